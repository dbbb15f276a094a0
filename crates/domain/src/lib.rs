//! crosslink-domain
