//! crosslink-bgp
pub mod fsm;
pub mod kernel;
pub mod netns;
pub mod policy;
pub mod rib;
pub mod speaker;
pub mod transport;
pub mod wire;
