//! crosslink-bgp
pub mod fsm;
pub mod wire;
pub mod transport;
pub mod policy;
pub mod kernel;
pub mod rib;
pub mod speaker;
