//! BGP-4 message types (RFC 4271, 4760, 5492, 6793, 1997, 8092, 2918).
//!
//! Plain data: everything public, no invariants hidden behind constructors, so the FSM and the
//! RIB can build and match messages directly. Validation happens in the decoder.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// AS_TRANS (RFC 6793): stands in for a 4-octet ASN wherever only 2 octets fit.
pub const AS_TRANS: u16 = 23456;
/// The only BGP version spoken.
pub const BGP_VERSION: u8 = 4;
/// RFC 4271 limits: header is 19 octets, a message at most 4096 (no RFC 8654 extended messages).
pub const HEADER_LEN: usize = 19;
pub const MAX_MESSAGE_LEN: usize = 4096;

/// One BGP message.
// Unboxed so callers can build and match UPDATEs directly; messages are short-lived.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    Open(Open),
    Update(Update),
    Notification(Notification),
    Keepalive,
    RouteRefresh(RouteRefresh),
}

impl Message {
    /// Message type code on the wire (RFC 4271 §4.1, RFC 2918).
    pub fn type_code(&self) -> u8 {
        match self {
            Message::Open(_) => 1,
            Message::Update(_) => 2,
            Message::Notification(_) => 3,
            Message::Keepalive => 4,
            Message::RouteRefresh(_) => 5,
        }
    }
}

/// Address Family Identifier (IANA).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Afi {
    Ipv4,
    Ipv6,
    Other(u16),
}

impl Afi {
    pub fn code(self) -> u16 {
        match self {
            Afi::Ipv4 => 1,
            Afi::Ipv6 => 2,
            Afi::Other(c) => c,
        }
    }
}

impl From<u16> for Afi {
    fn from(c: u16) -> Self {
        match c {
            1 => Afi::Ipv4,
            2 => Afi::Ipv6,
            c => Afi::Other(c),
        }
    }
}

/// Subsequent Address Family Identifier (IANA).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Safi {
    Unicast,
    Multicast,
    Other(u8),
}

impl Safi {
    pub fn code(self) -> u8 {
        match self {
            Safi::Unicast => 1,
            Safi::Multicast => 2,
            Safi::Other(c) => c,
        }
    }
}

impl From<u8> for Safi {
    fn from(c: u8) -> Self {
        match c {
            1 => Safi::Unicast,
            2 => Safi::Multicast,
            c => Safi::Other(c),
        }
    }
}

/// OPEN (RFC 4271 §4.2). `my_as` is the 2-octet field: AS_TRANS when the real ASN needs 4 octets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Open {
    pub version: u8,
    pub my_as: u16,
    pub hold_time: u16,
    pub bgp_id: Ipv4Addr,
    pub capabilities: Vec<Capability>,
}

impl Open {
    /// An OPEN for `asn`, with AS_TRANS in My AS when needed and the 4-octet AS capability
    /// always present (RFC 6793 §3: a speaker that supports it always announces it).
    pub fn new(
        asn: u32,
        hold_time: u16,
        bgp_id: Ipv4Addr,
        mut capabilities: Vec<Capability>,
    ) -> Open {
        let my_as = u16::try_from(asn).unwrap_or(AS_TRANS);
        if !capabilities
            .iter()
            .any(|c| matches!(c, Capability::FourOctetAs(_)))
        {
            capabilities.push(Capability::FourOctetAs(asn));
        }
        Open {
            version: BGP_VERSION,
            my_as,
            hold_time,
            bgp_id,
            capabilities,
        }
    }

    /// The ASN from the 4-octet AS capability, if announced.
    pub fn four_octet_as(&self) -> Option<u32> {
        self.capabilities.iter().find_map(|c| match c {
            Capability::FourOctetAs(a) => Some(*a),
            _ => None,
        })
    }

    /// The speaker's real ASN: capability 65 when present, else My AS.
    pub fn asn(&self) -> u32 {
        self.four_octet_as().unwrap_or(u32::from(self.my_as))
    }

    /// Whether the multiprotocol capability for (afi, safi) is announced.
    pub fn supports(&self, afi: Afi, safi: Safi) -> bool {
        self.capabilities
            .contains(&Capability::Multiprotocol { afi, safi })
    }

    /// Whether route refresh (RFC 2918) is announced.
    pub fn route_refresh(&self) -> bool {
        self.capabilities.contains(&Capability::RouteRefresh)
    }
}

/// A capability (RFC 5492). Unknown ones are kept as received, never rejected.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Capability {
    /// Code 1 (RFC 4760).
    Multiprotocol {
        afi: Afi,
        safi: Safi,
    },
    /// Code 2 (RFC 2918).
    RouteRefresh,
    /// Code 65 (RFC 6793).
    FourOctetAs(u32),
    Unknown {
        code: u8,
        value: Vec<u8>,
    },
}

impl Capability {
    /// What a crosslink speaker announces besides 4-octet AS (which [`Open::new`] adds): IPv4
    /// and IPv6 unicast (RFC 4760) and route refresh (RFC 2918).
    pub const UNICAST_AND_REFRESH: [Capability; 3] = [
        Capability::Multiprotocol {
            afi: Afi::Ipv4,
            safi: Safi::Unicast,
        },
        Capability::Multiprotocol {
            afi: Afi::Ipv6,
            safi: Safi::Unicast,
        },
        Capability::RouteRefresh,
    ];

    pub fn code(&self) -> u8 {
        match self {
            Capability::Multiprotocol { .. } => 1,
            Capability::RouteRefresh => 2,
            Capability::FourOctetAs(_) => 65,
            Capability::Unknown { code, .. } => *code,
        }
    }
}

/// UPDATE (RFC 4271 §4.3). IPv4 unicast NLRI travel in `withdrawn` / `nlri`; other families in
/// `attributes.mp_reach` / `attributes.mp_unreach`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Update {
    pub withdrawn: Vec<Ipv4Net>,
    pub attributes: PathAttributes,
    pub nlri: Vec<Ipv4Net>,
    /// What the decoder did under RFC 7606 (empty when the message was clean). Ignored by the
    /// encoder.
    pub issues: Vec<AttributeIssue>,
}

impl Update {
    /// True when RFC 7606 says every prefix announced here must be handled as withdrawn.
    pub fn treat_as_withdraw(&self) -> bool {
        self.issues
            .iter()
            .any(|i| i.action == ErrorAction::TreatAsWithdraw)
    }

    /// End-of-RIB marker (RFC 4724): an empty UPDATE for IPv4 unicast, or one holding only an
    /// empty MP_UNREACH for another family.
    pub fn end_of_rib(&self) -> Option<(Afi, Safi)> {
        if !self.withdrawn.is_empty() || !self.nlri.is_empty() {
            return None;
        }
        let a = &self.attributes;
        if *a == PathAttributes::default() {
            return Some((Afi::Ipv4, Safi::Unicast));
        }
        match &a.mp_unreach {
            Some(u)
                if u.withdrawn.is_empty()
                    && *a
                        == (PathAttributes {
                            mp_unreach: a.mp_unreach.clone(),
                            ..Default::default()
                        }) =>
            {
                Some((u.afi, u.safi))
            }
            _ => None,
        }
    }

    /// Every prefix this UPDATE takes away: withdrawn routes, MP_UNREACH, and under
    /// treat-as-withdraw also the announced ones.
    pub fn withdrawn_prefixes(&self) -> impl Iterator<Item = IpNet> + '_ {
        let taw = self.treat_as_withdraw();
        let v4 = self.withdrawn.iter().copied().map(IpNet::V4);
        let mp = self
            .attributes
            .mp_unreach
            .iter()
            .flat_map(|u| u.withdrawn.iter().copied());
        let ann = taw
            .then(|| self.announced_unchecked())
            .into_iter()
            .flatten();
        v4.chain(mp).chain(ann)
    }

    /// Every prefix this UPDATE announces (nothing under treat-as-withdraw).
    pub fn announced_prefixes(&self) -> impl Iterator<Item = IpNet> + '_ {
        (!self.treat_as_withdraw())
            .then(|| self.announced_unchecked())
            .into_iter()
            .flatten()
    }

    fn announced_unchecked(&self) -> impl Iterator<Item = IpNet> + '_ {
        let v4 = self.nlri.iter().copied().map(IpNet::V4);
        let mp = self
            .attributes
            .mp_reach
            .iter()
            .flat_map(|r| r.nlri.iter().copied());
        v4.chain(mp)
    }
}

/// The RFC 7606 action the decoder took for one malformed attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorAction {
    /// The attribute was dropped, the rest of the UPDATE stands.
    AttributeDiscard,
    /// Every NLRI of the UPDATE must be treated as withdrawn.
    TreatAsWithdraw,
}

/// One malformed attribute and what was done about it, for logs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttributeIssue {
    /// Attribute type code (0 when the attribute list itself was malformed).
    pub type_code: u8,
    pub action: ErrorAction,
    pub reason: &'static str,
}

/// Path attributes with the ones we understand typed. AS4_PATH / AS4_AGGREGATOR never appear
/// here: the decoder merges them (RFC 6793 §4.2.3) and the encoder regenerates them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PathAttributes {
    pub origin: Option<Origin>,
    pub as_path: Option<AsPath>,
    pub next_hop: Option<Ipv4Addr>,
    pub med: Option<u32>,
    pub local_pref: Option<u32>,
    pub atomic_aggregate: bool,
    pub aggregator: Option<Aggregator>,
    /// RFC 1997 communities, as 32-bit values (ASN << 16 | value). Empty means absent.
    pub communities: Vec<u32>,
    /// RFC 8092 large communities. Empty means absent.
    pub large_communities: Vec<LargeCommunity>,
    pub mp_reach: Option<MpReach>,
    pub mp_unreach: Option<MpUnreach>,
    /// Unrecognised optional transitive attributes, kept to be passed on. The encoder sets the
    /// Partial bit on them (RFC 4271 §5). Unrecognised non-transitive ones are dropped.
    pub unknown: Vec<RawAttribute>,
}

/// ORIGIN (RFC 4271 §5.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Origin {
    Igp = 0,
    Egp = 1,
    Incomplete = 2,
}

/// AS_PATH, with ASNs always held as 4 octets whatever the session encodes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct AsPath {
    pub segments: Vec<AsPathSegment>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AsPathSegment {
    pub kind: SegmentKind,
    pub asns: Vec<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SegmentKind {
    Set = 1,
    Sequence = 2,
    /// RFC 5065 confederation segments: accepted and carried, not counted in the path length.
    ConfedSequence = 3,
    ConfedSet = 4,
}

impl AsPath {
    /// A path of one AS_SEQUENCE.
    pub fn sequence(asns: impl Into<Vec<u32>>) -> AsPath {
        let asns = asns.into();
        if asns.is_empty() {
            return AsPath::default();
        }
        AsPath {
            segments: vec![AsPathSegment {
                kind: SegmentKind::Sequence,
                asns,
            }],
        }
    }

    /// Path length for best-path selection (RFC 4271 §9.1.2.2: a set counts 1; RFC 5065:
    /// confederation segments count 0).
    pub fn len(&self) -> usize {
        self.segments
            .iter()
            .map(|s| match s.kind {
                SegmentKind::Sequence => s.asns.len(),
                SegmentKind::Set => 1,
                SegmentKind::ConfedSequence | SegmentKind::ConfedSet => 0,
            })
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }

    /// The neighbouring AS (first AS of a leading AS_SEQUENCE).
    pub fn first_asn(&self) -> Option<u32> {
        match self.segments.first() {
            Some(s) if s.kind == SegmentKind::Sequence => s.asns.first().copied(),
            _ => None,
        }
    }

    /// Whether `asn` appears anywhere (loop detection).
    pub fn contains(&self, asn: u32) -> bool {
        self.segments.iter().any(|s| s.asns.contains(&asn))
    }

    /// Prepend `asn` as an eBGP speaker does when advertising (RFC 4271 §5.1.2), starting a new
    /// segment when the first is not a sequence or already holds 255 ASNs.
    pub fn prepend(&mut self, asn: u32) {
        match self.segments.first_mut() {
            Some(s) if s.kind == SegmentKind::Sequence && s.asns.len() < 255 => {
                s.asns.insert(0, asn)
            }
            _ => self.segments.insert(
                0,
                AsPathSegment {
                    kind: SegmentKind::Sequence,
                    asns: vec![asn],
                },
            ),
        }
    }
}

/// AGGREGATOR (RFC 4271 §5.1.7), ASN always 4 octets here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Aggregator {
    pub asn: u32,
    pub ip: Ipv4Addr,
}

/// RFC 8092 large community: global administrator, local data 1, local data 2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LargeCommunity(pub u32, pub u32, pub u32);

/// MP_REACH_NLRI (RFC 4760 §3). Only the IP unicast/multicast NLRI format is understood.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MpReach {
    pub afi: Afi,
    pub safi: Safi,
    /// Global next hop (IPv4 when 4 octets, IPv6 when 16 or 32).
    pub next_hop: IpAddr,
    /// RFC 2545 link-local next hop (the second half of a 32-octet next hop).
    pub link_local_next_hop: Option<Ipv6Addr>,
    pub nlri: Vec<IpNet>,
}

/// MP_UNREACH_NLRI (RFC 4760 §4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MpUnreach {
    pub afi: Afi,
    pub safi: Safi,
    pub withdrawn: Vec<IpNet>,
}

/// An attribute carried opaquely.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RawAttribute {
    /// Flags as received; the encoder computes Extended Length itself.
    pub flags: u8,
    pub type_code: u8,
    pub value: Vec<u8>,
}

/// Attribute flag bits (RFC 4271 §4.3).
pub mod flags {
    pub const OPTIONAL: u8 = 0x80;
    pub const TRANSITIVE: u8 = 0x40;
    pub const PARTIAL: u8 = 0x20;
    pub const EXTENDED_LENGTH: u8 = 0x10;
}

/// Attribute type codes.
pub mod attr {
    pub const ORIGIN: u8 = 1;
    pub const AS_PATH: u8 = 2;
    pub const NEXT_HOP: u8 = 3;
    pub const MULTI_EXIT_DISC: u8 = 4;
    pub const LOCAL_PREF: u8 = 5;
    pub const ATOMIC_AGGREGATE: u8 = 6;
    pub const AGGREGATOR: u8 = 7;
    pub const COMMUNITIES: u8 = 8;
    pub const MP_REACH_NLRI: u8 = 14;
    pub const MP_UNREACH_NLRI: u8 = 15;
    pub const AS4_PATH: u8 = 17;
    pub const AS4_AGGREGATOR: u8 = 18;
    pub const LARGE_COMMUNITIES: u8 = 32;
}

/// ROUTE-REFRESH (RFC 2918). The reserved octet is sent as 0 and ignored on receipt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouteRefresh {
    pub afi: Afi,
    pub safi: Safi,
}

/// NOTIFICATION (RFC 4271 §4.5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    pub code: u8,
    pub subcode: u8,
    pub data: Vec<u8>,
}

/// NOTIFICATION error codes and subcodes (RFC 4271 §4.5, §6; RFC 4486; RFC 7313 not used).
pub mod codes {
    pub const MESSAGE_HEADER_ERROR: u8 = 1;
    pub const OPEN_MESSAGE_ERROR: u8 = 2;
    pub const UPDATE_MESSAGE_ERROR: u8 = 3;
    pub const HOLD_TIMER_EXPIRED: u8 = 4;
    pub const FSM_ERROR: u8 = 5;
    pub const CEASE: u8 = 6;

    /// Subcodes of Message Header Error.
    pub mod header {
        pub const CONNECTION_NOT_SYNCHRONIZED: u8 = 1;
        pub const BAD_MESSAGE_LENGTH: u8 = 2;
        pub const BAD_MESSAGE_TYPE: u8 = 3;
    }

    /// Subcodes of OPEN Message Error.
    pub mod open {
        pub const UNSPECIFIC: u8 = 0;
        pub const UNSUPPORTED_VERSION_NUMBER: u8 = 1;
        pub const BAD_PEER_AS: u8 = 2;
        pub const BAD_BGP_IDENTIFIER: u8 = 3;
        pub const UNSUPPORTED_OPTIONAL_PARAMETER: u8 = 4;
        pub const UNACCEPTABLE_HOLD_TIME: u8 = 6;
        /// RFC 5492.
        pub const UNSUPPORTED_CAPABILITY: u8 = 7;
    }

    /// Subcodes of UPDATE Message Error.
    pub mod update {
        pub const MALFORMED_ATTRIBUTE_LIST: u8 = 1;
        pub const UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE: u8 = 2;
        pub const MISSING_WELL_KNOWN_ATTRIBUTE: u8 = 3;
        pub const ATTRIBUTE_FLAGS_ERROR: u8 = 4;
        pub const ATTRIBUTE_LENGTH_ERROR: u8 = 5;
        pub const INVALID_ORIGIN_ATTRIBUTE: u8 = 6;
        pub const INVALID_NEXT_HOP_ATTRIBUTE: u8 = 8;
        pub const OPTIONAL_ATTRIBUTE_ERROR: u8 = 9;
        pub const INVALID_NETWORK_FIELD: u8 = 10;
        pub const MALFORMED_AS_PATH: u8 = 11;
    }

    /// Subcodes of Finite State Machine Error (RFC 6608).
    pub mod fsm {
        pub const UNSPECIFIED: u8 = 0;
        pub const UNEXPECTED_IN_OPENSENT: u8 = 1;
        pub const UNEXPECTED_IN_OPENCONFIRM: u8 = 2;
        pub const UNEXPECTED_IN_ESTABLISHED: u8 = 3;
    }

    /// Subcodes of Cease (RFC 4486).
    pub mod cease {
        pub const MAXIMUM_PREFIXES_REACHED: u8 = 1;
        pub const ADMINISTRATIVE_SHUTDOWN: u8 = 2;
        pub const PEER_DECONFIGURED: u8 = 3;
        pub const ADMINISTRATIVE_RESET: u8 = 4;
        pub const CONNECTION_REJECTED: u8 = 5;
        pub const OTHER_CONFIGURATION_CHANGE: u8 = 6;
        pub const CONNECTION_COLLISION_RESOLUTION: u8 = 7;
        pub const OUT_OF_RESOURCES: u8 = 8;
    }
}

impl Notification {
    pub fn new(code: u8, subcode: u8, data: impl Into<Vec<u8>>) -> Notification {
        Notification {
            code,
            subcode,
            data: data.into(),
        }
    }

    /// Cease with a subcode and no data.
    pub fn cease(subcode: u8) -> Notification {
        Notification::new(codes::CEASE, subcode, Vec::new())
    }

    /// Cease / Administrative Shutdown or Reset with an RFC 9003 shutdown communication
    /// (UTF-8, cut to 255 octets on a character boundary).
    pub fn cease_with_message(subcode: u8, message: &str) -> Notification {
        let mut end = message.len().min(255);
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        let mut data = Vec::with_capacity(end + 1);
        data.push(end as u8);
        data.extend_from_slice(&message.as_bytes()[..end]);
        Notification::new(codes::CEASE, subcode, data)
    }

    /// Hold Timer Expired.
    pub fn hold_timer_expired() -> Notification {
        Notification::new(codes::HOLD_TIMER_EXPIRED, 0, Vec::new())
    }

    pub fn code_name(&self) -> &'static str {
        match self.code {
            codes::MESSAGE_HEADER_ERROR => "Message Header Error",
            codes::OPEN_MESSAGE_ERROR => "OPEN Message Error",
            codes::UPDATE_MESSAGE_ERROR => "UPDATE Message Error",
            codes::HOLD_TIMER_EXPIRED => "Hold Timer Expired",
            codes::FSM_ERROR => "Finite State Machine Error",
            codes::CEASE => "Cease",
            _ => "Unknown Error",
        }
    }

    pub fn subcode_name(&self) -> Option<&'static str> {
        use codes::*;
        let name = match (self.code, self.subcode) {
            (MESSAGE_HEADER_ERROR, 1) => "Connection Not Synchronized",
            (MESSAGE_HEADER_ERROR, 2) => "Bad Message Length",
            (MESSAGE_HEADER_ERROR, 3) => "Bad Message Type",
            (OPEN_MESSAGE_ERROR, 1) => "Unsupported Version Number",
            (OPEN_MESSAGE_ERROR, 2) => "Bad Peer AS",
            (OPEN_MESSAGE_ERROR, 3) => "Bad BGP Identifier",
            (OPEN_MESSAGE_ERROR, 4) => "Unsupported Optional Parameter",
            (OPEN_MESSAGE_ERROR, 6) => "Unacceptable Hold Time",
            (OPEN_MESSAGE_ERROR, 7) => "Unsupported Capability",
            (UPDATE_MESSAGE_ERROR, 1) => "Malformed Attribute List",
            (UPDATE_MESSAGE_ERROR, 2) => "Unrecognized Well-known Attribute",
            (UPDATE_MESSAGE_ERROR, 3) => "Missing Well-known Attribute",
            (UPDATE_MESSAGE_ERROR, 4) => "Attribute Flags Error",
            (UPDATE_MESSAGE_ERROR, 5) => "Attribute Length Error",
            (UPDATE_MESSAGE_ERROR, 6) => "Invalid ORIGIN Attribute",
            (UPDATE_MESSAGE_ERROR, 8) => "Invalid NEXT_HOP Attribute",
            (UPDATE_MESSAGE_ERROR, 9) => "Optional Attribute Error",
            (UPDATE_MESSAGE_ERROR, 10) => "Invalid Network Field",
            (UPDATE_MESSAGE_ERROR, 11) => "Malformed AS_PATH",
            (FSM_ERROR, 1) => "Receive Unexpected Message in OpenSent State",
            (FSM_ERROR, 2) => "Receive Unexpected Message in OpenConfirm State",
            (FSM_ERROR, 3) => "Receive Unexpected Message in Established State",
            (CEASE, 1) => "Maximum Number of Prefixes Reached",
            (CEASE, 2) => "Administrative Shutdown",
            (CEASE, 3) => "Peer De-configured",
            (CEASE, 4) => "Administrative Reset",
            (CEASE, 5) => "Connection Rejected",
            (CEASE, 6) => "Other Configuration Change",
            (CEASE, 7) => "Connection Collision Resolution",
            (CEASE, 8) => "Out of Resources",
            _ => return None,
        };
        Some(name)
    }

    /// RFC 9003 shutdown communication carried by Cease / Administrative Shutdown or Reset.
    pub fn shutdown_message(&self) -> Option<&str> {
        if self.code != codes::CEASE
            || !matches!(
                self.subcode,
                codes::cease::ADMINISTRATIVE_SHUTDOWN | codes::cease::ADMINISTRATIVE_RESET
            )
        {
            return None;
        }
        let (&len, rest) = self.data.split_first()?;
        let text = rest.get(..usize::from(len))?;
        std::str::from_utf8(text).ok().filter(|s| !s.is_empty())
    }

    /// Words for logs and the API, e.g. "OPEN Message Error / Bad Peer AS".
    pub fn describe(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Notification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code_name())?;
        if self.code_name() == "Unknown Error" {
            write!(f, " {}", self.code)?;
        }
        match self.subcode_name() {
            Some(s) => write!(f, " / {s}")?,
            None if self.subcode != 0 => write!(f, " / subcode {}", self.subcode)?,
            None => {}
        }
        if let Some(m) = self.shutdown_message() {
            write!(f, ": {m:?}")?;
        }
        Ok(())
    }
}

/// What the codec must know about the session (negotiated after the OPEN exchange).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CodecContext {
    /// Both sides announced capability 65: AS_PATH and AGGREGATOR carry 4-octet ASNs.
    /// Otherwise 2-octet ASNs with AS_TRANS, and AS4_PATH / AS4_AGGREGATOR carry the truth.
    pub four_octet_as: bool,
    /// Internal peer: LOCAL_PREF is expected (from an external peer it is discarded, RFC 7606
    /// §7.5).
    pub ibgp: bool,
}

impl CodecContext {
    /// Context for a session after the OPEN exchange.
    pub fn negotiated(local: &Open, remote: &Open) -> CodecContext {
        CodecContext {
            four_octet_as: local.four_octet_as().is_some() && remote.four_octet_as().is_some(),
            ibgp: local.asn() == remote.asn(),
        }
    }
}
