//! crosslink-bgp
pub mod wire;
