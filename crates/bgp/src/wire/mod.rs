//! BGP-4 wire codec: message types, framing, encoder and RFC 7606-aware decoder.
//!
//! - [`decode`] frames and decodes the first message of a byte stream (`Ok(None)` until it is
//!   complete). An `Err` carries the NOTIFICATION to send before closing (RFC 4271 §6).
//!   Attribute errors that RFC 7606 downgrades come back inside the UPDATE
//!   ([`Update::issues`], [`Update::treat_as_withdraw`]).
//! - [`encode`] appends one message; [`encode_update_packed`] spreads an UPDATE with any
//!   number of prefixes over as few 4096-octet messages as possible.
//! - [`CodecContext`] says whether AS numbers are 2 or 4 octets on this session
//!   (RFC 6793: AS_TRANS + AS4_PATH toward 2-octet peers, merged back on receipt).

mod decode;
mod encode;
mod types;

pub use decode::{decode, decode_message, DecodeError};
pub use encode::{encode, encode_to_vec, encode_update_packed, EncodeError};
pub use types::*;
