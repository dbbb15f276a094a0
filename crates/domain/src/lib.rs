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
