//! crosslink-store
