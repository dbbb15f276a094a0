//! crosslink-control
