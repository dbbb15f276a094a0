//! Megaport products a company orders in a location: ports, MCRs (Megaport Cloud Routers)
//! and MVEs. Each moves `DEPLOYABLE → CONFIGURED → LIVE` on the durable lifecycle, and
//! `CANCELLED → DECOMMISSIONED` when terminated.

use super::company::CompanyUid;
use super::location;
use super::port::DiversityZone;
use crate::lifecycle::Step;
use crate::time::Millis;
use crate::{DomainError, Kind};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProductType {
    Port,
    Mcr,
    Mve,
}

impl ProductType {
    /// As `productType` says it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Port => "MEGAPORT",
            Self::Mcr => "MCR2",
            Self::Mve => "MVE",
        }
    }

    /// Any case, as clients compare it.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_uppercase().as_str() {
            "MEGAPORT" => Some(Self::Port),
            "MCR2" | "MCR" => Some(Self::Mcr),
            "MVE" => Some(Self::Mve),
            _ => None,
        }
    }

    pub fn kind(self) -> Kind {
        match self {
            Self::Port => Kind::Port,
            Self::Mcr => Kind::Mcr,
            Self::Mve => Kind::Mve,
        }
    }
}

/// `provisioningStatus`, shared by products and VXCs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProvisioningStatus {
    Deployable,
    Configured,
    Live,
    Cancelled,
    Decommissioned,
}

impl ProvisioningStatus {
    pub const ALL: &'static [&'static str] = &[
        "DEPLOYABLE",
        "CONFIGURED",
        "LIVE",
        "CANCELLED",
        "DECOMMISSIONED",
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deployable => "DEPLOYABLE",
            Self::Configured => "CONFIGURED",
            Self::Live => "LIVE",
            Self::Cancelled => "CANCELLED",
            Self::Decommissioned => "DECOMMISSIONED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "DEPLOYABLE" => Some(Self::Deployable),
            "CONFIGURED" => Some(Self::Configured),
            "LIVE" => Some(Self::Live),
            "CANCELLED" => Some(Self::Cancelled),
            "DECOMMISSIONED" => Some(Self::Decommissioned),
            _ => None,
        }
    }

    pub fn step(self) -> Step {
        match self {
            Self::Deployable => Step::To("CONFIGURED"),
            Self::Configured => Step::To("LIVE"),
            Self::Cancelled => Step::To("DECOMMISSIONED"),
            Self::Live | Self::Decommissioned => Step::Done,
        }
    }

    /// Ordered and not terminated: it holds VLANs, takes keys and new VXCs.
    pub fn is_active(self) -> bool {
        !matches!(self, Self::Cancelled | Self::Decommissioned)
    }
}

/// What an order fixes and an update may change, kept as one document per product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductSpec {
    pub name: String,
    pub speed_mbps: u32,
    pub term_months: u32,
    #[serde(default)]
    pub cost_centre: String,
    pub marketplace_visibility: bool,
    /// MCR only: the router's ASN.
    #[serde(default)]
    pub asn: Option<u32>,
    /// MVE only: its vNICs' descriptions.
    #[serde(default)]
    pub vnics: Vec<String>,
    #[serde(default)]
    pub locked: bool,
    /// Resource tags (`/v2/product/{uid}/tags`), the owner's.
    #[serde(default)]
    pub resource_tags: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub uid: Uuid,
    /// The integer `productId`.
    pub product_id: i64,
    pub company: CompanyUid,
    pub product_type: ProductType,
    pub location_id: u32,
    pub diversity_zone: DiversityZone,
    pub status: ProvisioningStatus,
    pub created_at: Millis,
    pub spec: ProductSpec,
}

/// Megaport's default MCR ASN, used when an order names none.
pub const DEFAULT_MCR_ASN: u32 = 133_937;
/// Contract terms in months; 1 is "no minimum term".
pub const TERMS: &[u32] = &[1, 12, 24, 36, 48, 60];

fn invalid(field: &'static str, message: String) -> DomainError {
    DomainError::invalid_field(field, format!("Validation failed {message}"))
}

pub fn validate_name(field: &'static str, name: &str) -> Result<(), DomainError> {
    let n = name.trim();
    if n.is_empty() {
        return Err(invalid(field, format!("{field} is required")));
    }
    if n.chars().count() > 64 || n.chars().any(char::is_control) {
        return Err(invalid(
            field,
            format!("{field} must be 1 to 64 characters without control characters"),
        ));
    }
    Ok(())
}

pub fn validate_term(term: u32) -> Result<(), DomainError> {
    if TERMS.contains(&term) {
        Ok(())
    } else {
        Err(invalid(
            "term",
            format!(
                "term {term} is not valid: use 1 (no minimum term), 12, 24, 36, 48 or 60 months"
            ),
        ))
    }
}

pub fn validate_cost_centre(c: &str) -> Result<(), DomainError> {
    if c.chars().count() > 255 || c.chars().any(char::is_control) {
        return Err(invalid(
            "costCentre",
            "costCentre must be at most 255 characters without control characters".into(),
        ));
    }
    Ok(())
}

/// A public or private 2- or 4-byte ASN (0 and 4294967295 are reserved).
pub fn validate_asn(field: &'static str, asn: i64) -> Result<u32, DomainError> {
    if (1..=4_294_967_294).contains(&asn) && asn != 23_456 {
        Ok(asn as u32)
    } else {
        Err(invalid(
            field,
            format!("{field} {asn} is not a valid ASN (1 to 4294967294, not 23456)"),
        ))
    }
}

/// The location and speed of an order for `t`, as Megaport checks them.
pub fn validate_location_speed(
    t: ProductType,
    location_id: u32,
    speed: u32,
) -> Result<&'static location::Location, DomainError> {
    let loc = location::by_id(location_id).ok_or_else(|| {
        invalid(
            "locationId",
            format!("locationId {location_id} is not a known location"),
        )
    })?;
    let speeds = match t {
        ProductType::Mcr => location::MCR_SPEEDS,
        ProductType::Port => location::PORT_SPEEDS,
        ProductType::Mve => return Ok(loc),
    };
    if !speeds.contains(&speed) {
        return Err(invalid(
            "portSpeed",
            format!(
                "portSpeed {speed} is not offered for {} at {}: use one of {}",
                t.as_str(),
                loc.name,
                speeds
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    Ok(loc)
}

/// A product can be changed by its owner while it is not terminated.
pub fn check_active(p: &Product) -> Result<(), DomainError> {
    if p.status.is_active() {
        Ok(())
    } else {
        Err(DomainError::conflict(
            p.product_type.kind(),
            format!(
                "Service {} is {} and cannot be changed",
                p.uid,
                p.status.as_str()
            ),
        ))
    }
}

/// A locked service (`/v2/product/{uid}/lock`) is neither changed nor cancelled.
pub fn check_unlocked(uid: Uuid, locked: bool) -> Result<(), DomainError> {
    if locked {
        Err(DomainError::forbidden(format!(
            "Service {uid} is locked: unlock it before changing or cancelling it"
        )))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_step_to_live_and_to_decommissioned() {
        assert_eq!(
            ProvisioningStatus::Deployable.step(),
            Step::To("CONFIGURED")
        );
        assert_eq!(ProvisioningStatus::Configured.step(), Step::To("LIVE"));
        assert_eq!(ProvisioningStatus::Live.step(), Step::Done);
        assert_eq!(
            ProvisioningStatus::Cancelled.step(),
            Step::To("DECOMMISSIONED")
        );
        for s in ProvisioningStatus::ALL {
            assert_eq!(ProvisioningStatus::parse(s).unwrap().as_str(), *s);
        }
    }

    #[test]
    fn terms_speeds_and_asns() {
        assert!(validate_term(1).is_ok());
        assert!(validate_term(13).is_err());
        assert!(validate_location_speed(ProductType::Mcr, 61, 2500).is_ok());
        assert!(validate_location_speed(ProductType::Mcr, 61, 2000).is_err());
        assert!(validate_location_speed(ProductType::Mcr, 1, 1000).is_err());
        assert_eq!(validate_asn("asn", 4_200_000_000), Ok(4_200_000_000));
        assert!(validate_asn("asn", 0).is_err());
        assert!(validate_asn("asn", 4_294_967_295).is_err());
    }
}
