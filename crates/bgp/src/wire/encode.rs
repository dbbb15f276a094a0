//! Encoder. Writes straight into the caller's buffer; no allocation per prefix.

use std::fmt;
use std::net::IpAddr;

use super::types::*;

/// Why a message could not be encoded. The output buffer is left as it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EncodeError {
    /// The message would exceed 4096 octets (use [`encode_update_packed`] for UPDATEs).
    TooLong { len: usize },
    /// A field does not fit its wire encoding.
    Invalid(&'static str),
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::TooLong { len } => {
                write!(f, "message of {len} octets exceeds {MAX_MESSAGE_LEN}")
            }
            EncodeError::Invalid(what) => write!(f, "cannot encode: {what}"),
        }
    }
}

impl std::error::Error for EncodeError {}

/// Append one message to `out`.
pub fn encode(msg: &Message, ctx: &CodecContext, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let start = out.len();
    let r = encode_body(msg, ctx, out).and_then(|()| finish_header(out, start));
    if r.is_err() {
        out.truncate(start);
    }
    r
}

/// Encode one message into a fresh buffer.
pub fn encode_to_vec(msg: &Message, ctx: &CodecContext) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    encode(msg, ctx, &mut out)?;
    Ok(out)
}

fn start_header(out: &mut Vec<u8>, kind: u8) {
    out.extend_from_slice(&[0xff; 16]);
    out.extend_from_slice(&[0, 0, kind]);
}

fn finish_header(out: &mut [u8], start: usize) -> Result<(), EncodeError> {
    let len = out.len() - start;
    if len > MAX_MESSAGE_LEN {
        return Err(EncodeError::TooLong { len });
    }
    out[start + 16..start + 18].copy_from_slice(&(len as u16).to_be_bytes());
    Ok(())
}

fn encode_body(msg: &Message, ctx: &CodecContext, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    start_header(out, msg.type_code());
    match msg {
        Message::Open(o) => encode_open(o, out),
        Message::Update(u) => encode_update_body(u, ctx, out),
        Message::Notification(n) => {
            out.extend_from_slice(&[n.code, n.subcode]);
            out.extend_from_slice(&n.data);
            Ok(())
        }
        Message::Keepalive => Ok(()),
        Message::RouteRefresh(r) => {
            out.extend_from_slice(&r.afi.code().to_be_bytes());
            out.extend_from_slice(&[0, r.safi.code()]);
            Ok(())
        }
    }
}

fn encode_update(u: &Update, ctx: &CodecContext, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let start = out.len();
    start_header(out, 2);
    encode_update_body(u, ctx, out)?;
    finish_header(out, start)
}

fn encode_update_body(
    u: &Update,
    ctx: &CodecContext,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    write_prefixes_field(out, u.withdrawn.iter().copied().map(IpNet::V4))?;
    let at = out.len();
    out.extend_from_slice(&[0, 0]);
    write_attributes(&u.attributes, ctx, Parts::All, out)?;
    patch_len(out, at, at + 2)?;
    for p in &u.nlri {
        put_prefix(out, IpNet::V4(*p));
    }
    Ok(())
}

/// Write at `at` the number of octets written since `from`.
fn patch_len(out: &mut [u8], at: usize, from: usize) -> Result<(), EncodeError> {
    let v = out.len() - from;
    let v = u16::try_from(v).map_err(|_| EncodeError::TooLong { len: v })?;
    out[at..at + 2].copy_from_slice(&v.to_be_bytes());
    Ok(())
}

fn encode_open(o: &Open, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    out.push(o.version);
    out.extend_from_slice(&o.my_as.to_be_bytes());
    out.extend_from_slice(&o.hold_time.to_be_bytes());
    out.extend_from_slice(&o.bgp_id.octets());
    let mut caps = Vec::with_capacity(o.capabilities.len() * 6);
    for c in &o.capabilities {
        let value_at = caps.len() + 2;
        caps.extend_from_slice(&[c.code(), 0]);
        match c {
            Capability::Multiprotocol { afi, safi } => {
                caps.extend_from_slice(&afi.code().to_be_bytes());
                caps.extend_from_slice(&[0, safi.code()]);
            }
            Capability::RouteRefresh => {}
            Capability::FourOctetAs(asn) => caps.extend_from_slice(&asn.to_be_bytes()),
            Capability::Unknown { value, .. } => caps.extend_from_slice(value),
        }
        caps[value_at - 1] = u8::try_from(caps.len() - value_at)
            .map_err(|_| EncodeError::Invalid("capability value longer than 255 octets"))?;
    }
    // One Capabilities parameter per whole capability that fits in 255 octets.
    let mut params: Vec<&[u8]> = Vec::new();
    let mut rest = caps.as_slice();
    while !rest.is_empty() {
        let mut take = 0;
        while take < rest.len() && take + 2 + usize::from(rest[take + 1]) <= 255 {
            take += 2 + usize::from(rest[take + 1]);
        }
        params.push(&rest[..take]);
        rest = &rest[take..];
    }
    let plain: usize = params.iter().map(|p| 2 + p.len()).sum();
    if plain <= 255 {
        out.push(plain as u8);
        for p in params {
            out.extend_from_slice(&[2, p.len() as u8]);
            out.extend_from_slice(p);
        }
    } else {
        // RFC 9072 extended optional parameters.
        let len =
            u16::try_from(3 + caps.len()).map_err(|_| EncodeError::TooLong { len: caps.len() })?;
        out.extend_from_slice(&[255, 255]);
        out.extend_from_slice(&len.to_be_bytes());
        out.push(2);
        out.extend_from_slice(&(caps.len() as u16).to_be_bytes());
        out.extend_from_slice(&caps);
    }
    Ok(())
}

/// Octets a prefix takes on the wire.
pub(crate) fn prefix_wire_len(p: &IpNet) -> usize {
    1 + usize::from(p.prefix_len()).div_ceil(8)
}

/// Write a prefix, clearing host bits past its length.
fn put_prefix(out: &mut Vec<u8>, p: IpNet) {
    let len = p.prefix_len();
    let n = usize::from(len).div_ceil(8);
    out.push(len);
    match p {
        IpNet::V4(p) => out.extend_from_slice(&p.network().octets()[..n]),
        IpNet::V6(p) => out.extend_from_slice(&p.network().octets()[..n]),
    }
}

/// A 2-octet length followed by prefixes (the Withdrawn Routes field).
fn write_prefixes_field(
    out: &mut Vec<u8>,
    prefixes: impl Iterator<Item = IpNet>,
) -> Result<(), EncodeError> {
    let at = out.len();
    out.extend_from_slice(&[0, 0]);
    for p in prefixes {
        put_prefix(out, p);
    }
    patch_len(out, at, at + 2)
}

/// Write an attribute header, with Extended Length only when needed.
fn attr_header(out: &mut Vec<u8>, fl: u8, code: u8, len: usize) -> Result<(), EncodeError> {
    let fl = fl & !flags::EXTENDED_LENGTH;
    if len <= 255 {
        out.extend_from_slice(&[fl, code, len as u8]);
    } else {
        let len = u16::try_from(len).map_err(|_| EncodeError::TooLong { len })?;
        out.extend_from_slice(&[fl | flags::EXTENDED_LENGTH, code]);
        out.extend_from_slice(&len.to_be_bytes());
    }
    Ok(())
}

/// Which attributes to write: everything, or all but the MP ones (and NEXT_HOP, which an
/// UPDATE holding only MP_REACH should not carry, RFC 4760 §3).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Parts {
    All,
    Base { next_hop: bool },
}

const WELL_KNOWN: u8 = flags::TRANSITIVE;
const OPT_TRANS: u8 = flags::OPTIONAL | flags::TRANSITIVE;
const OPT: u8 = flags::OPTIONAL;

fn write_attributes(
    a: &PathAttributes,
    ctx: &CodecContext,
    parts: Parts,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    // RFC 7606 §5.1: MP_REACH / MP_UNREACH first.
    if parts == Parts::All {
        if let Some(r) = &a.mp_reach {
            write_mp_reach(r, &r.nlri, out)?;
        }
        if let Some(u) = &a.mp_unreach {
            let len = 3 + u.withdrawn.iter().map(prefix_wire_len).sum::<usize>();
            attr_header(out, OPT, attr::MP_UNREACH_NLRI, len)?;
            out.extend_from_slice(&u.afi.code().to_be_bytes());
            out.push(u.safi.code());
            for p in &u.withdrawn {
                put_prefix(out, *p);
            }
        }
    }
    if let Some(o) = a.origin {
        attr_header(out, WELL_KNOWN, attr::ORIGIN, 1)?;
        out.push(o as u8);
    }
    let mut needs_as4_path = false;
    if let Some(path) = &a.as_path {
        needs_as4_path = !ctx.four_octet_as
            && path
                .segments
                .iter()
                .any(|s| s.asns.iter().any(|&x| x > 0xffff));
        write_as_path(
            out,
            attr::AS_PATH,
            WELL_KNOWN,
            path,
            ctx.four_octet_as,
            false,
        )?;
    }
    if let (Some(nh), Parts::All | Parts::Base { next_hop: true }) = (a.next_hop, parts) {
        attr_header(out, WELL_KNOWN, attr::NEXT_HOP, 4)?;
        out.extend_from_slice(&nh.octets());
    }
    if let Some(med) = a.med {
        attr_header(out, OPT, attr::MULTI_EXIT_DISC, 4)?;
        out.extend_from_slice(&med.to_be_bytes());
    }
    if let Some(lp) = a.local_pref {
        attr_header(out, WELL_KNOWN, attr::LOCAL_PREF, 4)?;
        out.extend_from_slice(&lp.to_be_bytes());
    }
    if a.atomic_aggregate {
        attr_header(out, WELL_KNOWN, attr::ATOMIC_AGGREGATE, 0)?;
    }
    let mut as4_aggregator = None;
    if let Some(agg) = a.aggregator {
        if ctx.four_octet_as {
            attr_header(out, OPT_TRANS, attr::AGGREGATOR, 8)?;
            out.extend_from_slice(&agg.asn.to_be_bytes());
        } else {
            attr_header(out, OPT_TRANS, attr::AGGREGATOR, 6)?;
            out.extend_from_slice(&as2(agg.asn).to_be_bytes());
            as4_aggregator = (agg.asn > 0xffff).then_some(agg);
        }
        out.extend_from_slice(&agg.ip.octets());
    }
    if !a.communities.is_empty() {
        attr_header(out, OPT_TRANS, attr::COMMUNITIES, 4 * a.communities.len())?;
        for c in &a.communities {
            out.extend_from_slice(&c.to_be_bytes());
        }
    }
    if let (true, Some(path)) = (needs_as4_path, &a.as_path) {
        write_as_path(out, attr::AS4_PATH, OPT_TRANS, path, true, true)?;
    }
    if let Some(agg) = as4_aggregator {
        attr_header(out, OPT_TRANS, attr::AS4_AGGREGATOR, 8)?;
        out.extend_from_slice(&agg.asn.to_be_bytes());
        out.extend_from_slice(&agg.ip.octets());
    }
    if !a.large_communities.is_empty() {
        attr_header(
            out,
            OPT_TRANS,
            attr::LARGE_COMMUNITIES,
            12 * a.large_communities.len(),
        )?;
        for LargeCommunity(g, l1, l2) in &a.large_communities {
            out.extend_from_slice(&g.to_be_bytes());
            out.extend_from_slice(&l1.to_be_bytes());
            out.extend_from_slice(&l2.to_be_bytes());
        }
    }
    for u in &a.unknown {
        // Passed on unrecognised, so Partial (RFC 4271 §5).
        attr_header(out, u.flags | flags::PARTIAL, u.type_code, u.value.len())?;
        out.extend_from_slice(&u.value);
    }
    Ok(())
}

fn as2(asn: u32) -> u16 {
    u16::try_from(asn).unwrap_or(AS_TRANS)
}

/// AS_PATH (or AS4_PATH), splitting segments longer than 255 ASNs. AS4_PATH leaves out
/// confederation segments (RFC 6793 §3).
fn write_as_path(
    out: &mut Vec<u8>,
    code: u8,
    fl: u8,
    path: &AsPath,
    four: bool,
    skip_confed: bool,
) -> Result<(), EncodeError> {
    let width = if four { 4 } else { 2 };
    let keep = |s: &&AsPathSegment| {
        !(skip_confed && matches!(s.kind, SegmentKind::ConfedSequence | SegmentKind::ConfedSet))
    };
    let len: usize = path
        .segments
        .iter()
        .filter(keep)
        .map(|s| s.asns.len().div_ceil(255) * 2 + s.asns.len() * width)
        .sum();
    attr_header(out, fl, code, len)?;
    for s in path.segments.iter().filter(keep) {
        for chunk in s.asns.chunks(255) {
            out.extend_from_slice(&[s.kind as u8, chunk.len() as u8]);
            for &asn in chunk {
                if four {
                    out.extend_from_slice(&asn.to_be_bytes());
                } else {
                    out.extend_from_slice(&as2(asn).to_be_bytes());
                }
            }
        }
    }
    Ok(())
}

fn mp_next_hop_len(r: &MpReach) -> usize {
    match (r.next_hop, r.link_local_next_hop) {
        (IpAddr::V4(_), _) => 4,
        (IpAddr::V6(_), None) => 16,
        (IpAddr::V6(_), Some(_)) => 32,
    }
}

/// The MP_REACH header (AFI, SAFI, next hop, reserved octet).
fn write_mp_reach_head(r: &MpReach, out: &mut Vec<u8>) {
    out.extend_from_slice(&r.afi.code().to_be_bytes());
    out.push(r.safi.code());
    out.push(mp_next_hop_len(r) as u8);
    match r.next_hop {
        IpAddr::V4(a) => out.extend_from_slice(&a.octets()),
        IpAddr::V6(a) => {
            out.extend_from_slice(&a.octets());
            if let Some(ll) = r.link_local_next_hop {
                out.extend_from_slice(&ll.octets());
            }
        }
    }
    out.push(0);
}

fn write_mp_reach(r: &MpReach, nlri: &[IpNet], out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let len = 5 + mp_next_hop_len(r) + nlri.iter().map(prefix_wire_len).sum::<usize>();
    attr_header(out, OPT, attr::MP_REACH_NLRI, len)?;
    write_mp_reach_head(r, out);
    for p in nlri {
        put_prefix(out, *p);
    }
    Ok(())
}

/// Append `update` as one UPDATE if it fits, otherwise as as few UPDATEs as the 4096-octet
/// limit allows: withdrawals first (IPv4, then MP_UNREACH), then IPv4 NLRI with the
/// attributes, then MP_REACH NLRI with the attributes. Returns the number of messages.
pub fn encode_update_packed(
    update: &Update,
    ctx: &CodecContext,
    out: &mut Vec<u8>,
) -> Result<usize, EncodeError> {
    let start = out.len();
    let a = &update.attributes;
    let prefixes = update.withdrawn.len()
        + update.nlri.len()
        + a.mp_reach.as_ref().map_or(0, |r| r.nlri.len())
        + a.mp_unreach.as_ref().map_or(0, |u| u.withdrawn.len());
    // Every prefix takes at least one octet: past that count one message cannot hold them.
    if prefixes < MAX_MESSAGE_LEN {
        match encode_update(update, ctx, out) {
            Ok(()) => return Ok(1),
            Err(EncodeError::TooLong { .. }) => out.truncate(start),
            Err(e) => {
                out.truncate(start);
                return Err(e);
            }
        }
    }
    let r = pack(update, ctx, out);
    if r.is_err() {
        out.truncate(start);
    }
    r
}

/// Room left for prefixes in a message currently `used` octets long.
fn room(used: usize) -> usize {
    MAX_MESSAGE_LEN.saturating_sub(used)
}

/// Write prefixes while they fit in the message started at `msg_start`; returns how many were written.
fn fill(out: &mut Vec<u8>, msg_start: usize, prefixes: &[IpNet]) -> usize {
    let mut n = 0;
    for p in prefixes {
        if prefix_wire_len(p) > room(out.len() - msg_start) {
            break;
        }
        put_prefix(out, *p);
        n += 1;
    }
    n
}

fn pack(u: &Update, ctx: &CodecContext, out: &mut Vec<u8>) -> Result<usize, EncodeError> {
    let mut count = 0;
    let no_progress = EncodeError::Invalid("attributes leave no room for a prefix");

    // IPv4 withdrawals.
    let mut rest: &[Ipv4Net] = &u.withdrawn;
    while !rest.is_empty() {
        let s = out.len();
        start_header(out, 2);
        out.extend_from_slice(&[0, 0]);
        let mut n = 0;
        for p in rest {
            if prefix_wire_len(&IpNet::V4(*p)) + 2 > room(out.len() - s) {
                break;
            }
            put_prefix(out, IpNet::V4(*p));
            n += 1;
        }
        patch_len(out, s + HEADER_LEN, s + HEADER_LEN + 2)?;
        out.extend_from_slice(&[0, 0]);
        finish_header(out, s)?;
        rest = &rest[n..];
        count += 1;
    }

    // MP_UNREACH withdrawals, one attribute per message.
    if let Some(mu) = &u.attributes.mp_unreach {
        let mut rest: &[IpNet] = &mu.withdrawn;
        while !rest.is_empty() {
            let s = out.len();
            start_header(out, 2);
            out.extend_from_slice(&[0, 0, 0, 0]);
            let a = out.len();
            out.extend_from_slice(&[OPT | flags::EXTENDED_LENGTH, attr::MP_UNREACH_NLRI, 0, 0]);
            out.extend_from_slice(&mu.afi.code().to_be_bytes());
            out.push(mu.safi.code());
            let n = fill(out, s, rest);
            if n == 0 {
                return Err(no_progress);
            }
            patch_len(out, a + 2, a + 4)?;
            patch_len(out, s + HEADER_LEN + 2, a)?;
            finish_header(out, s)?;
            rest = &rest[n..];
            count += 1;
        }
    }

    let mut base = Vec::new();
    // IPv4 NLRI with the attributes (no MP parts).
    if !u.nlri.is_empty() {
        write_attributes(
            &u.attributes,
            ctx,
            Parts::Base { next_hop: true },
            &mut base,
        )?;
        let mut rest: &[Ipv4Net] = &u.nlri;
        while !rest.is_empty() {
            let s = out.len();
            start_header(out, 2);
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(&(base.len() as u16).to_be_bytes());
            out.extend_from_slice(&base);
            let mut n = 0;
            for p in rest {
                if prefix_wire_len(&IpNet::V4(*p)) > room(out.len() - s) {
                    break;
                }
                put_prefix(out, IpNet::V4(*p));
                n += 1;
            }
            if n == 0 {
                return Err(no_progress);
            }
            finish_header(out, s)?;
            rest = &rest[n..];
            count += 1;
        }
    }

    // MP_REACH NLRI with the attributes, MP_REACH first.
    if let Some(r) = &u.attributes.mp_reach {
        base.clear();
        write_attributes(
            &u.attributes,
            ctx,
            Parts::Base { next_hop: false },
            &mut base,
        )?;
        let mut rest: &[IpNet] = &r.nlri;
        loop {
            let s = out.len();
            start_header(out, 2);
            out.extend_from_slice(&[0, 0, 0, 0]);
            let a = out.len();
            out.extend_from_slice(&[OPT | flags::EXTENDED_LENGTH, attr::MP_REACH_NLRI, 0, 0]);
            write_mp_reach_head(r, out);
            // Leave room for the other attributes after the NLRI.
            let limit = out.len() + room(out.len() - s).saturating_sub(base.len());
            let mut n = 0;
            for p in rest {
                if out.len() + prefix_wire_len(p) > limit {
                    break;
                }
                put_prefix(out, *p);
                n += 1;
            }
            if n == 0 && !rest.is_empty() {
                return Err(no_progress);
            }
            patch_len(out, a + 2, a + 4)?;
            out.extend_from_slice(&base);
            patch_len(out, s + HEADER_LEN + 2, a)?;
            finish_header(out, s)?;
            rest = &rest[n..];
            count += 1;
            if rest.is_empty() {
                break;
            }
        }
    }
    if count == 0 {
        // No prefixes to spread: the attributes alone are too long.
        let mut probe = Vec::new();
        write_attributes(&u.attributes, ctx, Parts::All, &mut probe)?;
        return Err(EncodeError::TooLong {
            len: HEADER_LEN + 4 + probe.len(),
        });
    }
    Ok(count)
}
