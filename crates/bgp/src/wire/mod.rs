//! BGP-4 wire codec: message types, framing, encoder and RFC 7606-aware decoder.

mod types;

pub use types::*;
