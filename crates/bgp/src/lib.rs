//! crosslink-bgp
pub mod fsm;
pub mod wire;
