//! NOTIFICATION codes in words, and the classified last error shown to users.

use std::fmt;

/// A NOTIFICATION as the FSM sees it; the adapter encodes it with the wire codec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    pub code: u8,
    pub subcode: u8,
    pub data: Vec<u8>,
}

impl Notification {
    pub const OPEN_MESSAGE_ERROR: u8 = 2;
    pub const HOLD_TIMER_EXPIRED: u8 = 4;
    pub const FSM_ERROR: u8 = 5;
    pub const CEASE: u8 = 6;

    pub fn new(code: u8, subcode: u8, data: Vec<u8>) -> Self {
        Self {
            code,
            subcode,
            data,
        }
    }

    /// Cease with an RFC 4486 subcode and no data.
    pub fn cease(subcode: u8) -> Self {
        Self::new(Self::CEASE, subcode, Vec::new())
    }
}

impl fmt::Display for Notification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        describe(f, self.code, self.subcode)
    }
}

fn code_name(code: u8) -> Option<&'static str> {
    Some(match code {
        1 => "message header",
        2 => "OPEN",
        3 => "UPDATE",
        4 => "hold timer expired",
        5 => "FSM",
        6 => "cease",
        7 => "ROUTE-REFRESH",
        _ => return None,
    })
}

/// Subcode names from RFC 4271, 4486, 5492, 6608, 7313, 8538, 9234 and 9384.
fn subcode_name(code: u8, subcode: u8) -> Option<&'static str> {
    Some(match (code, subcode) {
        (1, 1) => "connection not synchronized",
        (1, 2) => "bad message length",
        (1, 3) => "bad message type",
        (2, 1) => "unsupported version number",
        (2, 2) => "bad peer AS",
        (2, 3) => "bad BGP identifier",
        (2, 4) => "unsupported optional parameter",
        (2, 6) => "unacceptable hold time",
        (2, 7) => "unsupported capability",
        (2, 11) => "role mismatch",
        (3, 1) => "malformed attribute list",
        (3, 2) => "unrecognized well-known attribute",
        (3, 3) => "missing well-known attribute",
        (3, 4) => "attribute flags error",
        (3, 5) => "attribute length error",
        (3, 6) => "invalid ORIGIN attribute",
        (3, 8) => "invalid NEXT_HOP attribute",
        (3, 9) => "optional attribute error",
        (3, 10) => "invalid network field",
        (3, 11) => "malformed AS_PATH",
        (5, 1) => "unexpected message in OpenSent",
        (5, 2) => "unexpected message in OpenConfirm",
        (5, 3) => "unexpected message in Established",
        (6, 1) => "maximum number of prefixes reached",
        (6, 2) => "administrative shutdown",
        (6, 3) => "peer de-configured",
        (6, 4) => "administrative reset",
        (6, 5) => "connection rejected",
        (6, 6) => "other configuration change",
        (6, 7) => "connection collision resolution",
        (6, 8) => "out of resources",
        (6, 9) => "hard reset",
        (6, 10) => "BFD down",
        (7, 1) => "invalid message length",
        _ => return None,
    })
}

fn describe(f: &mut fmt::Formatter<'_>, code: u8, subcode: u8) -> fmt::Result {
    match (code_name(code), subcode_name(code, subcode)) {
        (Some(c), Some(s)) => write!(f, "{c}: {s}"),
        (Some(c), None) if subcode == 0 => f.write_str(c),
        (Some(c), None) => write!(f, "{c}: subcode {subcode}"),
        (None, _) => write!(f, "error code {code} subcode {subcode}"),
    }
}

/// Why the session last went down or failed to come up, in terms an operator can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LastError {
    /// ConnectRetry ran out with the TCP connect unanswered; a TCP-MD5 mismatch looks exactly like this.
    NoTcpAnswer,
    ConnectionRefused,
    ConnectFailed(String),
    NotificationSent {
        code: u8,
        subcode: u8,
        text: String,
    },
    NotificationReceived {
        code: u8,
        subcode: u8,
        text: String,
    },
    HoldTimerExpired,
    MaxPrefix {
        limit: u32,
    },
    AdminDown,
    AdminReset,
    PeerDeconfigured,
    OutOfResources,
    ConnectionClosedByPeer,
}

impl LastError {
    /// Classifies a NOTIFICATION from the peer; an RFC 9003 shutdown communication becomes the text.
    pub fn received(n: &Notification) -> Self {
        let text = match (n.code, n.subcode, n.data.split_first()) {
            (6, 2 | 4, Some((&len, rest))) if usize::from(len) <= rest.len() => {
                String::from_utf8_lossy(&rest[..usize::from(len)])
                    .chars()
                    .filter(|c| !c.is_control())
                    .collect()
            }
            _ => String::new(),
        };
        Self::NotificationReceived {
            code: n.code,
            subcode: n.subcode,
            text,
        }
    }

    pub fn sent(n: &Notification, text: impl Into<String>) -> Self {
        Self::NotificationSent {
            code: n.code,
            subcode: n.subcode,
            text: text.into(),
        }
    }
}

impl fmt::Display for LastError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoTcpAnswer => {
                f.write_str("no answer to TCP connect (check the MD5 password and addresses)")
            }
            Self::ConnectionRefused => f.write_str("TCP connection refused by the peer"),
            Self::ConnectFailed(e) => write!(f, "TCP connect failed: {e}"),
            Self::NotificationSent {
                code,
                subcode,
                text,
            } => {
                describe(f, *code, *subcode)?;
                if !text.is_empty() {
                    write!(f, ": {text}")?;
                }
                Ok(())
            }
            Self::NotificationReceived {
                code,
                subcode,
                text,
            } => {
                f.write_str("peer sent NOTIFICATION ")?;
                describe(f, *code, *subcode)?;
                if !text.is_empty() {
                    write!(f, ": \"{text}\"")?;
                }
                Ok(())
            }
            Self::HoldTimerExpired => f.write_str("hold timer expired"),
            Self::MaxPrefix { limit } => write!(f, "maximum prefix limit ({limit}) reached"),
            Self::AdminDown => f.write_str("administratively shut down"),
            Self::AdminReset => f.write_str("administratively reset"),
            Self::PeerDeconfigured => f.write_str("peer de-configured"),
            Self::OutOfResources => f.write_str(
                "peer stopped reading our UPDATEs and fell too far behind (Cease / Out of Resources)",
            ),
            Self::ConnectionClosedByPeer => f.write_str("connection closed by the peer"),
        }
    }
}
