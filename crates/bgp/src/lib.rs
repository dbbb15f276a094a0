//! crosslink-bgp
