//! Megaport service keys: a company lets another connect a VXC to one of its products by
//! handing over a key. Single-use keys are spent by one VXC; a key is issued (made usable) by
//! the reconciler, so every step is durable and repeatable.

use super::company::CompanyUid;
use super::product::ProductType;
use super::vxc::{validate_vrouter, VrouterConfig};
use crate::lifecycle::Step;
use crate::time::Millis;
use crate::DomainError;
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
    /// The B-End VLAN (a port) or preferred VLAN (an MVE) a single-use key hands out.
    pub vlan: Option<u16>,
    /// A VXC ordered with the key needs no approval by the key's company.
    pub pre_approved: bool,
    /// The B-End configuration (an MCR) applied when the key is consumed.
    pub config: Option<VrouterConfig>,
}

impl ServiceKey {
    /// The single-use key DigitalOcean requests on its partner port for an attachment, to be
    /// issued (made active) by the reconciler; its rate limit is the attachment's bandwidth.
    pub fn for_attachment(
        a: &crate::attachment::PartnerAttachment,
        product_uid: String,
        now: Millis,
    ) -> Self {
        Self {
            id: Uuid::new_v4(),
            key: Uuid::new_v4(),
            company: super::company::digitalocean().uid,
            product_uid,
            description: format!("DigitalOcean partner attachment {}", a.name),
            max_speed: a.bandwidth_mbps,
            single_use: true,
            active: false,
            valid_from: now,
            valid_until: None,
            attachment: Some(a.id),
            used_at: None,
            status: KeyStatus::Creating,
            created_at: now,
            vlan: None,
            pre_approved: true,
            config: None,
        }
    }

    pub fn expired(&self, now: Millis) -> bool {
        self.valid_until.is_some_and(|end| end <= now)
    }

    /// Usable now: issued, active, inside its window and, if single-use, not yet used.
    pub fn check_usable(&self, now: Millis) -> Result<(), DomainError> {
        let why = if self.status != KeyStatus::Created {
            "has not been issued yet"
        } else if !self.active {
            "is not active"
        } else if self.expired(now) {
            "has expired"
        } else if self.valid_from > now {
            "is not valid yet"
        } else if self.single_use && self.used_at.is_some() {
            "is single-use and has already been used"
        } else {
            return Ok(());
        };
        Err(DomainError::invalid_field(
            "serviceKey",
            format!("Invalid service key: the service key {why}"),
        ))
    }

    pub fn valid(&self, now: Millis) -> bool {
        self.check_usable(now).is_ok()
    }

    /// Holds its VLAN on the product until used or expired.
    pub fn holds_vlan(&self, now: Millis) -> Option<u16> {
        (self.used_at.is_none() && !self.expired(now))
            .then_some(self.vlan)
            .flatten()
    }
}

/// A service key as its creator asks for it.
#[derive(Debug, Clone, Default)]
pub struct KeyRequest {
    pub description: String,
    pub max_speed: u32,
    pub single_use: bool,
    pub active: bool,
    pub pre_approved: bool,
    pub vlan: Option<u16>,
    pub valid_from: Option<Millis>,
    pub valid_until: Option<Millis>,
    pub config: Option<VrouterConfig>,
}

/// The seed's rules for a key on a product of `product_type` with `speed` Mbps.
pub fn validate_request(
    r: &KeyRequest,
    product_type: ProductType,
    speed: u32,
) -> Result<(), DomainError> {
    let bad = |field: &'static str, m: String| {
        DomainError::invalid_field(field, format!("Validation failed {m}"))
    };
    if r.max_speed == 0 || r.max_speed > speed {
        return Err(bad(
            "maxSpeed",
            format!("maxSpeed must be between 1 and the product's speed {speed} Mbps"),
        ));
    }
    if r.description.chars().count() > 100 || r.description.chars().any(char::is_control) {
        return Err(bad(
            "description",
            "description must be at most 100 characters without control characters".into(),
        ));
    }
    if r.vlan.is_some() && !r.single_use {
        return Err(bad(
            "vlan",
            "a VLAN can only be set on a single-use key; a multi-use key's VXCs each get their own"
                .into(),
        ));
    }
    if r.vlan.is_some() && product_type == ProductType::Mcr {
        return Err(bad(
            "vlan",
            "an MCR key carries a B-End configuration, not a VLAN".into(),
        ));
    }
    if let Some(c) = &r.config {
        if product_type != ProductType::Mcr || !r.single_use {
            return Err(bad(
                "bEndConfig",
                "a B-End configuration can only be set on a single-use key of an MCR".into(),
            ));
        }
        validate_vrouter(c)?;
    }
    if let (Some(s), Some(e)) = (r.valid_from, r.valid_until) {
        if e <= s {
            return Err(bad(
                "validFor",
                "validFor.end must be after validFor.start".into(),
            ));
        }
    }
    Ok(())
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
