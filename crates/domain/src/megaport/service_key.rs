//! Megaport service keys: a company lets another connect a VXC to one of its products by
//! handing over a key. Single-use keys are spent by one VXC; a key is issued (made usable) by
//! the reconciler, so every step is durable and repeatable.

use super::company::CompanyUid;
use crate::lifecycle::Step;
use crate::time::Millis;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceKey {
    /// Names the key in events and logs, where the key itself must never appear.
    pub id: Uuid,
    /// The key itself (a UUID string, as Megaport's are): a secret.
    pub key: Uuid,
    pub company: CompanyUid,
    /// The port (or MCR, MVE) a VXC made with the key connects to.
    pub product_uid: String,
    pub description: String,
    /// The rate limit a VXC made with the key may have at most, in Mbps.
    pub max_speed: u32,
    pub single_use: bool,
    pub active: bool,
    pub valid_from: Millis,
    pub valid_until: Option<Millis>,
    /// The partner attachment the key was issued for, when DigitalOcean issued it.
    pub attachment: Option<Uuid>,
    /// Set when a VXC used the key.
    pub used_at: Option<Millis>,
    pub status: KeyStatus,
    pub created_at: Millis,
}

/// The service key's lifecycle: requested, then issued by the reconciler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyStatus {
    Creating,
    Created,
}

impl KeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Creating => "CREATING",
            Self::Created => "CREATED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "CREATING" => Some(Self::Creating),
            "CREATED" => Some(Self::Created),
            _ => None,
        }
    }

    pub fn step(self) -> Step {
        match self {
            Self::Creating => Step::Issue,
            Self::Created => Step::Done,
        }
    }
}

/// What issuing `key` does to the attachment's earlier keys: each unused one stops working
/// (a used single-use key is spent anyway; the VXC that used it keeps its connection).
pub fn superseded(key: &ServiceKey, earlier: &[ServiceKey]) -> Vec<Uuid> {
    earlier
        .iter()
        .filter(|k| k.id != key.id && k.active && k.used_at.is_none())
        .map(|k| k.id)
        .collect()
}
