//! crosslink's resources and the rules that govern them. Pure: no IO, no clocks, no randomness
//! that the caller does not hand in, so every rule is testable on its own and every write the
//! store makes was decided here.

pub mod digitalocean;
pub mod error;
pub mod lifecycle;
pub mod megaport;
pub mod time;

pub use digitalocean::{attachment, peering, region, vpc};
pub use error::{DomainError, Kind};
pub use lifecycle::{Observation, ResourceType, Step, TransitionPolicy};
pub use peering::{PeeringStatus, VpcPeering};
pub use vpc::Vpc;

/// A resource id as the API writes it: lower-case, hyphenated UUID. Other spellings the `uuid`
/// crate accepts (upper case, braces, `urn:uuid:`, no hyphens) name nothing here.
pub fn parse_resource_id(s: &str) -> Option<uuid::Uuid> {
    let id = uuid::Uuid::try_parse(s).ok()?;
    let mut canonical = uuid::Uuid::encode_buffer();
    (id.hyphenated().encode_lower(&mut canonical) == s).then_some(id)
}

/// Who owns a row: a DigitalOcean team or a Megaport company. Stored and logged in its
/// textual form, `team:<name>` or `company:<uid>`, so one column holds either.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TenantId {
    Team(TeamId),
    Company(megaport::company::CompanyUid),
}

impl std::fmt::Display for TenantId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Team(t) => write!(f, "team:{}", t.0),
            Self::Company(c) => write!(f, "company:{}", c.0),
        }
    }
}

impl std::str::FromStr for TenantId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.split_once(':') {
            Some(("team", t)) => Ok(Self::Team(TeamId(t.to_owned()))),
            Some(("company", c)) => Ok(Self::Company(megaport::company::CompanyUid(c.to_owned()))),
            _ => Err(format!("not a tenant: '{s}'")),
        }
    }
}

impl From<&TeamId> for TenantId {
    fn from(t: &TeamId) -> Self {
        Self::Team(t.clone())
    }
}

/// The tenant behind a DigitalOcean bearer token. Every row carries one; every query filters by it.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct TeamId(pub String);

impl std::fmt::Display for TeamId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_the_canonical_spelling_is_an_id() {
        let id = uuid::Uuid::new_v4();
        let s = id.to_string();
        assert_eq!(super::parse_resource_id(&s), Some(id));
        for other in [
            s.to_uppercase(),
            id.simple().to_string(),
            format!("{{{s}}}"),
            format!("urn:uuid:{s}"),
            format!(" {s}"),
            String::new(),
        ] {
            assert_eq!(super::parse_resource_id(&other), None, "{other}");
        }
    }

    #[test]
    fn tenants_round_trip_through_text() {
        use super::TenantId;
        for t in ["team:acme", "company:d1917a1e-0000-4000-8000-000000000000"] {
            assert_eq!(t.parse::<TenantId>().unwrap().to_string(), t);
        }
        assert!("acme".parse::<TenantId>().is_err());
    }
}
