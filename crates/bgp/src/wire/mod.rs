//! BGP-4 wire codec: message types, framing, encoder and RFC 7606-aware decoder.

mod decode;
mod encode;
mod types;

pub use decode::{decode, decode_message, DecodeError};
pub use encode::{encode, encode_to_vec, encode_update_packed, EncodeError};
pub use types::*;
