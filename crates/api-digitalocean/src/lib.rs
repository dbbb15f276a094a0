//! The DigitalOcean API: wire types (always) and the axum server (feature `server`).

pub mod wire;
