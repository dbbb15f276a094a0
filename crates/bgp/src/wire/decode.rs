//! Decoder: framing (RFC 4271 §4.1), message bodies, and UPDATE error handling per RFC 7606.
//!
//! Errors that require a session reset come back as a [`DecodeError`] holding the NOTIFICATION
//! to send. Attribute errors that RFC 7606 downgrades are recorded in [`Update::issues`].

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::types::codes::{header, open, update};
use super::types::*;

/// A message that must end the session: send `notification`, then close.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    pub notification: Notification,
    /// What exactly was wrong, for logs.
    pub reason: &'static str,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.reason, self.notification)
    }
}

impl std::error::Error for DecodeError {}

fn err(code: u8, subcode: u8, data: impl Into<Vec<u8>>, reason: &'static str) -> DecodeError {
    DecodeError {
        notification: Notification::new(code, subcode, data),
        reason,
    }
}

fn header_err(subcode: u8, data: impl Into<Vec<u8>>, reason: &'static str) -> DecodeError {
    err(codes::MESSAGE_HEADER_ERROR, subcode, data, reason)
}

fn open_err(subcode: u8, data: impl Into<Vec<u8>>, reason: &'static str) -> DecodeError {
    err(codes::OPEN_MESSAGE_ERROR, subcode, data, reason)
}

fn update_err(subcode: u8, data: impl Into<Vec<u8>>, reason: &'static str) -> DecodeError {
    err(codes::UPDATE_MESSAGE_ERROR, subcode, data, reason)
}

/// Decode the first message in `buf`. `Ok(None)` means more bytes are needed; otherwise the
/// message and the number of bytes it used. Header errors are reported as soon as the bytes
/// that show them have arrived.
pub fn decode(buf: &[u8], ctx: &CodecContext) -> Result<Option<(Message, usize)>, DecodeError> {
    let marker = &buf[..buf.len().min(16)];
    if marker.iter().any(|&b| b != 0xff) {
        return Err(header_err(
            header::CONNECTION_NOT_SYNCHRONIZED,
            Vec::new(),
            "marker is not all ones",
        ));
    }
    if buf.len() < HEADER_LEN {
        return Ok(None);
    }
    let len = usize::from(u16::from_be_bytes([buf[16], buf[17]]));
    let kind = buf[18];
    let bad_len = || {
        header_err(
            header::BAD_MESSAGE_LENGTH,
            [buf[16], buf[17]],
            "bad message length",
        )
    };
    if !(HEADER_LEN..=MAX_MESSAGE_LEN).contains(&len) {
        return Err(bad_len());
    }
    let fits = match kind {
        1 => len >= HEADER_LEN + 10,
        2 => len >= HEADER_LEN + 4,
        3 => len >= HEADER_LEN + 2,
        4 => len == HEADER_LEN,
        5 => len == HEADER_LEN + 4,
        _ => {
            return Err(header_err(
                header::BAD_MESSAGE_TYPE,
                [kind],
                "bad message type",
            ))
        }
    };
    if !fits {
        return Err(bad_len());
    }
    if buf.len() < len {
        return Ok(None);
    }
    let body = &buf[HEADER_LEN..len];
    let msg = match kind {
        1 => Message::Open(decode_open(body)?),
        2 => Message::Update(decode_update(body, ctx)?),
        3 => Message::Notification(Notification {
            code: body[0],
            subcode: body[1],
            data: body[2..].to_vec(),
        }),
        4 => Message::Keepalive,
        _ => Message::RouteRefresh(RouteRefresh {
            afi: Afi::from(u16::from_be_bytes([body[0], body[1]])),
            safi: Safi::from(body[3]),
        }),
    };
    Ok(Some((msg, len)))
}

/// Decode exactly one complete message (header included); trailing or missing bytes are a
/// length error.
pub fn decode_message(msg: &[u8], ctx: &CodecContext) -> Result<Message, DecodeError> {
    match decode(msg, ctx)? {
        Some((m, used)) if used == msg.len() => Ok(m),
        _ => Err(header_err(
            header::BAD_MESSAGE_LENGTH,
            msg.get(16..18).unwrap_or(&[]).to_vec(),
            "message length does not match the buffer",
        )),
    }
}

fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn decode_open(body: &[u8]) -> Result<Open, DecodeError> {
    let version = body[0];
    if version != BGP_VERSION {
        // Data: the largest version we support below the one offered (RFC 4271 §6.2).
        return Err(open_err(
            open::UNSUPPORTED_VERSION_NUMBER,
            u16::from(BGP_VERSION).to_be_bytes(),
            "unsupported BGP version",
        ));
    }
    let my_as = be16(&body[1..]);
    let hold_time = be16(&body[3..]);
    let bgp_id = Ipv4Addr::from(be32(&body[5..]));
    let opt_len = usize::from(body[9]);
    let mut params = &body[10..];
    let malformed = |reason| open_err(open::UNSPECIFIC, Vec::new(), reason);

    // RFC 9072 extended optional parameters: length 255 and a first type of 255.
    let extended = opt_len == 255 && params.first() == Some(&255);
    if extended {
        if params.len() < 3 || usize::from(be16(&params[1..])) != params.len() - 3 {
            return Err(malformed("extended optional parameters length mismatch"));
        }
        params = &params[3..];
    } else if opt_len != params.len() {
        return Err(malformed("optional parameters length mismatch"));
    }

    let mut capabilities = Vec::new();
    while !params.is_empty() {
        let hdr = if extended { 3 } else { 2 };
        if params.len() < hdr {
            return Err(malformed("truncated optional parameter"));
        }
        let kind = params[0];
        let len = if extended {
            usize::from(be16(&params[1..]))
        } else {
            usize::from(params[1])
        };
        let value = params
            .get(hdr..hdr + len)
            .ok_or_else(|| malformed("optional parameter overruns the message"))?;
        params = &params[hdr + len..];
        if kind != 2 {
            return Err(open_err(
                open::UNSUPPORTED_OPTIONAL_PARAMETER,
                Vec::new(),
                "unsupported optional parameter",
            ));
        }
        decode_capabilities(value, &mut capabilities)
            .ok_or_else(|| malformed("capability overruns its optional parameter"))?;
    }

    let open = Open {
        version,
        my_as,
        hold_time,
        bgp_id,
        capabilities,
    };
    // RFC 7607: AS 0 is never a valid peer AS.
    if my_as == 0 || open.four_octet_as() == Some(0) {
        return Err(open_err(open::BAD_PEER_AS, Vec::new(), "peer AS is 0"));
    }
    if hold_time == 1 || hold_time == 2 {
        return Err(open_err(
            open::UNACCEPTABLE_HOLD_TIME,
            Vec::new(),
            "hold time of 1 or 2 seconds",
        ));
    }
    // RFC 6286: any non-zero value is a valid identifier.
    if bgp_id.is_unspecified() {
        return Err(open_err(
            open::BAD_BGP_IDENTIFIER,
            Vec::new(),
            "BGP identifier is 0",
        ));
    }
    Ok(open)
}

/// Capabilities of one optional parameter. A known capability with an unexpected length is
/// kept as `Unknown` rather than failing the session over something we only inspect.
fn decode_capabilities(mut b: &[u8], out: &mut Vec<Capability>) -> Option<()> {
    while !b.is_empty() {
        let code = *b.first()?;
        let len = usize::from(*b.get(1)?);
        let v = b.get(2..2 + len)?;
        b = &b[2 + len..];
        out.push(match (code, len) {
            (1, 4) => Capability::Multiprotocol {
                afi: Afi::from(be16(v)),
                safi: Safi::from(v[3]),
            },
            (2, 0) => Capability::RouteRefresh,
            (65, 4) => Capability::FourOctetAs(be32(v)),
            _ => Capability::Unknown {
                code,
                value: v.to_vec(),
            },
        });
    }
    Some(())
}

/// Parse IPv4 prefixes (RFC 4271 §4.3 encoding). Host bits past the length are cleared.
fn decode_v4_prefixes(mut b: &[u8], out: &mut Vec<Ipv4Net>) -> Result<(), ()> {
    out.reserve(b.len() / 4);
    while let Some((&len, rest)) = b.split_first() {
        let n = usize::from(len).div_ceil(8);
        if len > 32 || rest.len() < n {
            return Err(());
        }
        let mut o = [0u8; 4];
        o[..n].copy_from_slice(&rest[..n]);
        let addr = u32::from_be_bytes(o) & mask32(len);
        out.push(Ipv4Net::new(Ipv4Addr::from(addr), len).map_err(|_| ())?);
        b = &rest[n..];
    }
    Ok(())
}

fn decode_v6_prefixes(mut b: &[u8], out: &mut Vec<IpNet>) -> Result<(), ()> {
    out.reserve(b.len() / 9);
    while let Some((&len, rest)) = b.split_first() {
        let n = usize::from(len).div_ceil(8);
        if len > 128 || rest.len() < n {
            return Err(());
        }
        let mut o = [0u8; 16];
        o[..n].copy_from_slice(&rest[..n]);
        let addr = u128::from_be_bytes(o) & mask128(len);
        out.push(IpNet::V6(
            Ipv6Net::new(Ipv6Addr::from(addr), len).map_err(|_| ())?,
        ));
        b = &rest[n..];
    }
    Ok(())
}

fn mask32(len: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0)
}

fn mask128(len: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0)
}

fn decode_update(body: &[u8], ctx: &CodecContext) -> Result<Update, DecodeError> {
    let list_err = || {
        update_err(
            update::MALFORMED_ATTRIBUTE_LIST,
            Vec::new(),
            "withdrawn or attribute length exceeds the message",
        )
    };
    let wlen = usize::from(be16(body));
    let withdrawn_bytes = body.get(2..2 + wlen).ok_or_else(list_err)?;
    let rest = &body[2 + wlen..];
    if rest.len() < 2 {
        return Err(list_err());
    }
    let alen = usize::from(be16(rest));
    let attr_bytes = rest.get(2..2 + alen).ok_or_else(list_err)?;
    let nlri_bytes = &rest[2 + alen..];

    let network_err = || {
        update_err(
            update::INVALID_NETWORK_FIELD,
            Vec::new(),
            "malformed prefix",
        )
    };
    let mut withdrawn = Vec::new();
    decode_v4_prefixes(withdrawn_bytes, &mut withdrawn).map_err(|_| network_err())?;
    let mut nlri = Vec::new();
    decode_v4_prefixes(nlri_bytes, &mut nlri).map_err(|_| network_err())?;

    let mut issues = Vec::new();
    let attributes = decode_attributes(attr_bytes, ctx, !nlri.is_empty(), &mut issues)?;

    // Missing well-known mandatory attributes (RFC 4271 §6.3; RFC 7606 §3.d: treat-as-withdraw).
    // NEXT_HOP is only needed for NLRI in the NLRI field (RFC 4760 §3).
    let a = &attributes;
    let reach = !nlri.is_empty() || a.mp_reach.is_some();
    if reach
        && (a.origin.is_none() || a.as_path.is_none() || (!nlri.is_empty() && a.next_hop.is_none()))
    {
        issues.push(AttributeIssue {
            type_code: if a.origin.is_none() {
                attr::ORIGIN
            } else if a.as_path.is_none() {
                attr::AS_PATH
            } else {
                attr::NEXT_HOP
            },
            action: ErrorAction::TreatAsWithdraw,
            reason: "missing well-known mandatory attribute",
        });
    }
    Ok(Update {
        withdrawn,
        attributes,
        nlri,
        issues,
    })
}

/// How RFC 7606 (and RFC 6793 §6, RFC 7607, RFC 8092) say to handle a malformed instance.
fn malformed_action(code: u8) -> ErrorAction {
    match code {
        attr::ATOMIC_AGGREGATE | attr::AGGREGATOR | attr::AS4_PATH | attr::AS4_AGGREGATOR => {
            ErrorAction::AttributeDiscard
        }
        _ => ErrorAction::TreatAsWithdraw,
    }
}

/// Optional and Transitive bits each recognised attribute must carry.
fn expected_flags(code: u8) -> Option<u8> {
    use flags::{OPTIONAL, TRANSITIVE};
    Some(match code {
        attr::ORIGIN
        | attr::AS_PATH
        | attr::NEXT_HOP
        | attr::LOCAL_PREF
        | attr::ATOMIC_AGGREGATE => TRANSITIVE,
        attr::MULTI_EXIT_DISC | attr::MP_REACH_NLRI | attr::MP_UNREACH_NLRI => OPTIONAL,
        attr::AGGREGATOR
        | attr::COMMUNITIES
        | attr::AS4_PATH
        | attr::AS4_AGGREGATOR
        | attr::LARGE_COMMUNITIES => OPTIONAL | TRANSITIVE,
        _ => return None,
    })
}

struct Attrs<'a> {
    ctx: &'a CodecContext,
    has_nlri: bool,
    out: PathAttributes,
    as4_path: Option<AsPath>,
    as4_aggregator: Option<Aggregator>,
    issues: &'a mut Vec<AttributeIssue>,
}

impl Attrs<'_> {
    fn issue(&mut self, type_code: u8, action: ErrorAction, reason: &'static str) {
        self.issues.push(AttributeIssue {
            type_code,
            action,
            reason,
        });
    }

    fn malformed(&mut self, code: u8, reason: &'static str) {
        self.issue(code, malformed_action(code), reason);
    }
}

fn decode_attributes(
    mut b: &[u8],
    ctx: &CodecContext,
    has_nlri: bool,
    issues: &mut Vec<AttributeIssue>,
) -> Result<PathAttributes, DecodeError> {
    let mut st = Attrs {
        ctx,
        has_nlri,
        out: PathAttributes::default(),
        as4_path: None,
        as4_aggregator: None,
        issues,
    };
    let mut seen = [0u64; 4];
    while !b.is_empty() {
        let fl = b[0];
        let hdr = if fl & flags::EXTENDED_LENGTH != 0 {
            4
        } else {
            3
        };
        if b.len() < hdr {
            // RFC 7606 §4: too few octets left for an attribute header.
            st.issue(
                0,
                ErrorAction::TreatAsWithdraw,
                "truncated attribute header",
            );
            break;
        }
        let code = b[1];
        let len = if hdr == 4 {
            usize::from(be16(&b[2..]))
        } else {
            usize::from(b[2])
        };
        if b.len() < hdr + len {
            if matches!(code, attr::MP_REACH_NLRI | attr::MP_UNREACH_NLRI) {
                // The NLRI could not be located: treat-as-withdraw is impossible (RFC 7606 §5.3).
                return Err(update_err(
                    update::ATTRIBUTE_LENGTH_ERROR,
                    b.to_vec(),
                    "MP_REACH/MP_UNREACH overruns the attribute list",
                ));
            }
            st.issue(
                code,
                ErrorAction::TreatAsWithdraw,
                "attribute overruns the attribute list",
            );
            break;
        }
        let raw = &b[..hdr + len];
        let value = &b[hdr..hdr + len];
        b = &b[hdr + len..];

        let (word, bit) = (usize::from(code / 64), code % 64);
        if seen[word] & (1 << bit) != 0 {
            if matches!(code, attr::MP_REACH_NLRI | attr::MP_UNREACH_NLRI) {
                return Err(update_err(
                    update::MALFORMED_ATTRIBUTE_LIST,
                    Vec::new(),
                    "MP_REACH/MP_UNREACH appears twice",
                ));
            }
            // RFC 7606 §3.g: keep the first, discard the rest.
            st.issue(code, ErrorAction::AttributeDiscard, "duplicate attribute");
            continue;
        }
        seen[word] |= 1 << bit;

        match expected_flags(code) {
            None => {
                if fl & flags::OPTIONAL == 0 {
                    return Err(update_err(
                        update::UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE,
                        raw.to_vec(),
                        "unrecognized well-known attribute",
                    ));
                }
                // Unknown optional non-transitive attributes are quietly ignored (RFC 4271 §5).
                if fl & flags::TRANSITIVE != 0 {
                    st.out.unknown.push(RawAttribute {
                        flags: fl & !flags::EXTENDED_LENGTH,
                        type_code: code,
                        value: value.to_vec(),
                    });
                }
            }
            Some(want) => {
                let flags_ok = fl & (flags::OPTIONAL | flags::TRANSITIVE) == want;
                if matches!(code, attr::MP_REACH_NLRI | attr::MP_UNREACH_NLRI) {
                    // Parse anyway: treat-as-withdraw needs the NLRI it carries.
                    if !flags_ok {
                        st.issue(code, ErrorAction::TreatAsWithdraw, "attribute flags error");
                    }
                    decode_mp(&mut st, code, value, raw)?;
                } else if !flags_ok {
                    st.malformed(code, "attribute flags error");
                } else {
                    decode_known(&mut st, code, value);
                }
            }
        }
    }
    merge_as4(&mut st);
    Ok(st.out)
}

fn decode_known(st: &mut Attrs<'_>, code: u8, v: &[u8]) {
    let four = st.ctx.four_octet_as;
    match code {
        attr::ORIGIN => match v {
            [0] => st.out.origin = Some(Origin::Igp),
            [1] => st.out.origin = Some(Origin::Egp),
            [2] => st.out.origin = Some(Origin::Incomplete),
            _ => st.malformed(code, "invalid ORIGIN"),
        },
        attr::AS_PATH => match decode_as_path(v, if four { 4 } else { 2 }) {
            Ok(p) => st.out.as_path = Some(p),
            Err(reason) => st.malformed(code, reason),
        },
        attr::NEXT_HOP => {
            // RFC 7606 §7.3: NEXT_HOP matters only for NLRI in the NLRI field.
            let nh = <[u8; 4]>::try_from(v).ok().map(Ipv4Addr::from);
            let reason = match nh {
                None => Some("NEXT_HOP length is not 4"),
                Some(a) if a.is_unspecified() || a.is_multicast() || a.is_broadcast() => {
                    Some("NEXT_HOP is not a host address")
                }
                Some(_) => None,
            };
            match reason {
                None => st.out.next_hop = nh,
                Some(r) if st.has_nlri => st.malformed(code, r),
                Some(r) => st.issue(code, ErrorAction::AttributeDiscard, r),
            }
        }
        attr::MULTI_EXIT_DISC => match <[u8; 4]>::try_from(v) {
            Ok(x) => st.out.med = Some(u32::from_be_bytes(x)),
            Err(_) => st.malformed(code, "MULTI_EXIT_DISC length is not 4"),
        },
        attr::LOCAL_PREF => match <[u8; 4]>::try_from(v) {
            Err(_) => st.malformed(code, "LOCAL_PREF length is not 4"),
            Ok(_) if !st.ctx.ibgp => st.issue(
                code,
                ErrorAction::AttributeDiscard,
                "LOCAL_PREF from an external peer",
            ),
            Ok(x) => st.out.local_pref = Some(u32::from_be_bytes(x)),
        },
        attr::ATOMIC_AGGREGATE => {
            if v.is_empty() {
                st.out.atomic_aggregate = true;
            } else {
                st.malformed(code, "ATOMIC_AGGREGATE length is not 0");
            }
        }
        attr::AGGREGATOR => match decode_aggregator(v, four) {
            Ok(a) => st.out.aggregator = Some(a),
            Err(r) => st.malformed(code, r),
        },
        attr::AS4_AGGREGATOR | attr::AS4_PATH if four => {
            // RFC 6793 §4.1: a 4-octet speaker never sends these to another one.
            st.issue(
                code,
                ErrorAction::AttributeDiscard,
                "AS4 attribute on a 4-octet session",
            )
        }
        attr::AS4_AGGREGATOR => match decode_aggregator(v, true) {
            Ok(a) => st.as4_aggregator = Some(a),
            Err(r) => st.malformed(code, r),
        },
        attr::AS4_PATH => match decode_as_path(v, 4) {
            Ok(p)
                if p.segments.iter().any(|s| {
                    matches!(s.kind, SegmentKind::ConfedSequence | SegmentKind::ConfedSet)
                }) =>
            {
                st.malformed(code, "AS4_PATH holds confederation segments")
            }
            Ok(p) => st.as4_path = Some(p),
            Err(r) => st.malformed(code, r),
        },
        attr::COMMUNITIES => {
            if v.is_empty() || !v.len().is_multiple_of(4) {
                st.malformed(code, "COMMUNITIES length is not a non-zero multiple of 4");
            } else {
                st.out.communities = v.chunks_exact(4).map(be32).collect();
            }
        }
        attr::LARGE_COMMUNITIES => {
            if v.is_empty() || !v.len().is_multiple_of(12) {
                st.malformed(
                    code,
                    "LARGE_COMMUNITIES length is not a non-zero multiple of 12",
                );
            } else {
                st.out.large_communities = v
                    .chunks_exact(12)
                    .map(|c| LargeCommunity(be32(c), be32(&c[4..]), be32(&c[8..])))
                    .collect();
            }
        }
        _ => {}
    }
}

fn decode_aggregator(v: &[u8], four: bool) -> Result<Aggregator, &'static str> {
    let (asn, ip) = match (four, v.len()) {
        (true, 8) => (be32(v), be32(&v[4..])),
        (false, 6) => (u32::from(be16(v)), be32(&v[2..])),
        _ => return Err("aggregator length does not match the AS size"),
    };
    if asn == 0 {
        return Err("aggregator AS is 0");
    }
    Ok(Aggregator {
        asn,
        ip: Ipv4Addr::from(ip),
    })
}

fn decode_as_path(mut v: &[u8], width: usize) -> Result<AsPath, &'static str> {
    let mut segments = Vec::new();
    while !v.is_empty() {
        if v.len() < 2 {
            return Err("truncated AS_PATH segment header");
        }
        let kind = match v[0] {
            1 => SegmentKind::Set,
            2 => SegmentKind::Sequence,
            3 => SegmentKind::ConfedSequence,
            4 => SegmentKind::ConfedSet,
            _ => return Err("invalid AS_PATH segment type"),
        };
        let count = usize::from(v[1]);
        if count == 0 {
            return Err("empty AS_PATH segment");
        }
        let body = v
            .get(2..2 + count * width)
            .ok_or("AS_PATH segment overruns the attribute")?;
        v = &v[2 + count * width..];
        let asns: Vec<u32> = if width == 4 {
            body.chunks_exact(4).map(be32).collect()
        } else {
            body.chunks_exact(2).map(|c| u32::from(be16(c))).collect()
        };
        if asns.contains(&0) {
            return Err("AS 0 in the path");
        }
        segments.push(AsPathSegment { kind, asns });
    }
    Ok(AsPath { segments })
}

fn decode_mp(st: &mut Attrs<'_>, code: u8, v: &[u8], raw: &[u8]) -> Result<(), DecodeError> {
    let reset = |reason| update_err(update::OPTIONAL_ATTRIBUTE_ERROR, raw.to_vec(), reason);
    if v.len() < 3 {
        return Err(reset("MP attribute too short"));
    }
    let afi = Afi::from(be16(v));
    let safi = Safi::from(v[2]);
    if !matches!(afi, Afi::Ipv4 | Afi::Ipv6) || !matches!(safi, Safi::Unicast | Safi::Multicast) {
        // Never negotiated by us, so its NLRI format is unknown: skip the family.
        st.issue(code, ErrorAction::AttributeDiscard, "unsupported AFI/SAFI");
        return Ok(());
    }
    let mut prefixes = Vec::new();
    let parse = |b: &[u8], out: &mut Vec<IpNet>| {
        if afi == Afi::Ipv4 {
            let mut v4 = Vec::new();
            decode_v4_prefixes(b, &mut v4)?;
            out.extend(v4.into_iter().map(IpNet::V4));
            Ok(())
        } else {
            decode_v6_prefixes(b, out)
        }
    };
    if code == attr::MP_UNREACH_NLRI {
        parse(&v[3..], &mut prefixes).map_err(|_| reset("malformed MP_UNREACH prefix"))?;
        st.out.mp_unreach = Some(MpUnreach {
            afi,
            safi,
            withdrawn: prefixes,
        });
        return Ok(());
    }
    let nh_len = usize::from(*v.get(3).ok_or_else(|| reset("MP_REACH too short"))?);
    let nh = v
        .get(4..4 + nh_len)
        .ok_or_else(|| reset("MP_REACH next hop overruns"))?;
    // RFC 7606 §7.11: a next hop length we cannot use means the NLRI cannot be located.
    let (next_hop, link_local_next_hop) = match (afi, nh_len) {
        (Afi::Ipv4, 4) => (IpAddr::V4(Ipv4Addr::from(be32(nh))), None),
        (_, 16) => (IpAddr::V6(v6(nh)), None),
        (_, 32) => (IpAddr::V6(v6(nh)), Some(v6(&nh[16..]))),
        _ => return Err(reset("MP_REACH next hop length")),
    };
    let nlri = v
        .get(5 + nh_len..)
        .ok_or_else(|| reset("MP_REACH too short"))?;
    parse(nlri, &mut prefixes).map_err(|_| reset("malformed MP_REACH prefix"))?;
    st.out.mp_reach = Some(MpReach {
        afi,
        safi,
        next_hop,
        link_local_next_hop,
        nlri: prefixes,
    });
    Ok(())
}

fn v6(b: &[u8]) -> Ipv6Addr {
    let mut o = [0u8; 16];
    o.copy_from_slice(&b[..16]);
    Ipv6Addr::from(o)
}

/// RFC 6793 §4.2.3: rebuild the real path from AS_PATH and AS4_PATH on a 2-octet session.
fn merge_as4(st: &mut Attrs<'_>) {
    let mut as4_path = st.as4_path.take();
    if let Some(a4) = st.as4_aggregator.take() {
        match &mut st.out.aggregator {
            Some(agg) if agg.asn == u32::from(AS_TRANS) => *agg = a4,
            // Aggregated by an old speaker after the AS4 attributes were made: both are stale.
            Some(_) => as4_path = None,
            None => {}
        }
    }
    let (Some(path), Some(as4)) = (&mut st.out.as_path, as4_path) else {
        return;
    };
    let (n, n4) = (path.len(), as4.len());
    if n < n4 {
        return;
    }
    let mut need = n - n4;
    let mut merged = Vec::with_capacity(path.segments.len() + as4.segments.len());
    // Leading confederation segments count 0 and are never in AS4_PATH: always keep them.
    for seg in &path.segments {
        let confed = matches!(
            seg.kind,
            SegmentKind::ConfedSequence | SegmentKind::ConfedSet
        );
        if need == 0 && !confed {
            break;
        }
        match seg.kind {
            SegmentKind::Sequence => {
                let take = need.min(seg.asns.len());
                merged.push(AsPathSegment {
                    kind: seg.kind,
                    asns: seg.asns[..take].to_vec(),
                });
                need -= take;
            }
            SegmentKind::Set => {
                merged.push(seg.clone());
                need -= 1;
            }
            _ => merged.push(seg.clone()),
        }
    }
    let mut as4 = as4.segments.into_iter();
    // Join the two halves of a sequence split at the boundary.
    if let (Some(last), Some(first)) = (merged.last_mut(), as4.as_slice().first()) {
        if last.kind == SegmentKind::Sequence && first.kind == SegmentKind::Sequence {
            last.asns.extend_from_slice(&first.asns);
            as4.next();
        }
    }
    merged.extend(as4);
    path.segments = merged;
}
