//! crosslink's resources and the rules that govern them. Pure: no IO, no clocks, no randomness
//! that the caller does not hand in, so every rule is testable on its own and every write the
//! store makes was decided here.

pub mod error;
pub mod lifecycle;
pub mod peering;
pub mod region;
pub mod time;
pub mod vpc;

pub use error::DomainError;
pub use lifecycle::{ResourceType, TransitionPolicy};
pub use peering::{PeeringStatus, VpcPeering};
pub use vpc::Vpc;

/// A resource id as the API writes it: lower-case, hyphenated UUID. Other spellings the `uuid`
/// crate accepts (upper case, braces, `urn:uuid:`, no hyphens) name nothing here.
pub fn parse_resource_id(s: &str) -> Option<uuid::Uuid> {
    let id = uuid::Uuid::try_parse(s).ok()?;
    let mut canonical = uuid::Uuid::encode_buffer();
    (id.hyphenated().encode_lower(&mut canonical) == s).then_some(id)
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
}
