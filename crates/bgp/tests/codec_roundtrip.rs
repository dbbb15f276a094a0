//! Round trips and hand-built wire cases for the BGP codec.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crosslink_bgp::wire::codes::{cease, header, open, update};
use crosslink_bgp::wire::*;

#[path = "support/samples.rs"]
mod samples;

use samples::{net, v4, FOUR, IBGP, IBGP2, TWO};

fn roundtrip(msg: &Message, ctx: &CodecContext) -> Vec<u8> {
    let bytes = encode_to_vec(msg, ctx).unwrap();
    assert_eq!(
        usize::from(u16::from_be_bytes([bytes[16], bytes[17]])),
        bytes.len()
    );
    let back = decode_message(&bytes, ctx).unwrap();
    assert_eq!(&back, msg);
    bytes
}

#[test]
fn keepalive_and_route_refresh() {
    let b = roundtrip(&Message::Keepalive, &FOUR);
    assert_eq!(b.len(), 19);
    assert_eq!(b[18], 4);
    let b = roundtrip(
        &Message::RouteRefresh(RouteRefresh {
            afi: Afi::Ipv6,
            safi: Safi::Unicast,
        }),
        &FOUR,
    );
    assert_eq!(&b[19..], &[0, 2, 0, 1]);
}

#[test]
fn open_with_capabilities() {
    let o = samples::open();
    assert_eq!(o.my_as, AS_TRANS);
    assert_eq!(o.asn(), 133937);
    assert!(o.supports(Afi::Ipv6, Safi::Unicast));
    assert!(!o.supports(Afi::Ipv6, Safi::Multicast));
    assert!(o.route_refresh());
    let b = roundtrip(&Message::Open(o), &TWO);
    // Version 4, My AS 23456, hold 90.
    assert_eq!(&b[19..24], &[4, 0x5b, 0xa0, 0, 90]);

    let small = Open::new(64532, 0, Ipv4Addr::new(169, 254, 0, 1), vec![]);
    assert_eq!((small.my_as, small.asn()), (64532, 64532));
    assert_eq!(small.capabilities, vec![Capability::FourOctetAs(64532)]);
    roundtrip(&Message::Open(small), &TWO);
}

#[test]
fn open_with_many_capabilities_uses_several_parameters_or_extended_form() {
    let caps: Vec<_> = (0..40u8)
        .map(|i| Capability::Unknown {
            code: 200,
            value: vec![i; 10],
        })
        .collect();
    let o = Open {
        version: 4,
        my_as: 65000,
        hold_time: 180,
        bgp_id: Ipv4Addr::new(1, 1, 1, 1),
        capabilities: caps,
    };
    let b = roundtrip(&Message::Open(o.clone()), &FOUR);
    assert_eq!(b[28], 255, "RFC 9072 extended parameters for > 255 octets");
    let few = Open {
        capabilities: o.capabilities[..20].to_vec(),
        ..o
    };
    let b = roundtrip(&Message::Open(few), &FOUR);
    // 20 × 12 = 240 octets of capabilities: one parameter of 240.
    assert_eq!(&b[28..31], &[242, 2, 240]);
}

#[test]
fn open_with_malformed_known_capability_keeps_it_as_unknown() {
    let mut b = encode_to_vec(
        &Message::Open(Open::new(65000, 9, Ipv4Addr::new(1, 2, 3, 4), vec![])),
        &FOUR,
    )
    .unwrap();
    // Replace the 4-octet AS capability (length 4) with a 3-octet one.
    let n = b.len();
    b.truncate(n - 6);
    b.extend_from_slice(&[65, 3, 1, 2, 3]);
    b[28] -= 1; // optional parameters length
    b[30] -= 1; // capability parameter length
    let n = b.len() as u16;
    b[16..18].copy_from_slice(&n.to_be_bytes());
    let Message::Open(o) = decode_message(&b, &FOUR).unwrap() else {
        panic!()
    };
    assert_eq!(
        o.capabilities,
        vec![Capability::Unknown {
            code: 65,
            value: vec![1, 2, 3]
        }]
    );
    assert_eq!(o.asn(), 65000);
}

#[test]
fn update_with_every_attribute() {
    roundtrip(&Message::Update(samples::update()), &IBGP);
}

#[test]
fn each_attribute_alone_round_trips() {
    for attributes in samples::each_attribute_alone(&samples::full_attributes()) {
        for ctx in [IBGP, IBGP2] {
            // Without NLRI nothing is mandatory, so each attribute stands alone.
            let u = Update {
                attributes: attributes.clone(),
                ..Default::default()
            };
            roundtrip(&Message::Update(u), &ctx);
        }
    }
}

#[test]
fn ipv4_next_hop_in_mp_reach_and_ipv6_next_hop_for_ipv4() {
    for next_hop in [
        IpAddr::V4(Ipv4Addr::new(169, 254, 0, 1)),
        IpAddr::V6(Ipv6Addr::LOCALHOST),
    ] {
        let attributes = PathAttributes {
            origin: Some(Origin::Igp),
            as_path: Some(AsPath::sequence([64532])),
            mp_reach: Some(MpReach {
                afi: Afi::Ipv4,
                safi: Safi::Unicast,
                next_hop,
                link_local_next_hop: None,
                nlri: vec![net("10.1.0.0/16")],
            }),
            ..Default::default()
        };
        roundtrip(
            &Message::Update(Update {
                attributes,
                ..Default::default()
            }),
            &FOUR,
        );
    }
}

#[test]
fn two_octet_session_uses_as_trans_and_as4_path() {
    let u = samples::as4_update();
    let b = roundtrip(&Message::Update(u.clone()), &TWO);
    let attrs = &b[23..];
    // AS_PATH: sequence of 3, AS_TRANS for both ASNs above 65535.
    assert!(attrs
        .windows(11)
        .any(|w| w == [0x40, 2, 8, 2, 3, 0x5b, 0xa0, 0xfc, 0x14, 0x5b, 0xa0]));
    // AS4_PATH (17) and AS4_AGGREGATOR (18) present.
    assert!(attrs.windows(2).any(|w| w == [0xc0, 17]));
    assert!(attrs.windows(2).any(|w| w == [0xc0, 18]));
    // On a 4-octet session neither appears.
    let b4 = roundtrip(&Message::Update(u), &FOUR);
    assert!(!b4[23..]
        .windows(2)
        .any(|w| w == [0xc0, 17] || w == [0xc0, 18]));
}

#[test]
fn two_octet_path_without_large_asns_has_no_as4_path() {
    let u = Update {
        attributes: PathAttributes {
            as_path: Some(AsPath::sequence([64532, 65001])),
            ..Default::default()
        },
        ..Default::default()
    };
    let b = roundtrip(&Message::Update(u), &TWO);
    assert!(!b.windows(2).any(|w| w == [0xc0, 17]));
}

fn update_bytes(withdrawn: &[u8], attrs: &[u8], nlri: &[u8]) -> Vec<u8> {
    let mut b = vec![0xff; 16];
    let len = 19 + 2 + withdrawn.len() + 2 + attrs.len() + nlri.len();
    b.extend_from_slice(&(len as u16).to_be_bytes());
    b.push(2);
    b.extend_from_slice(&(withdrawn.len() as u16).to_be_bytes());
    b.extend_from_slice(withdrawn);
    b.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
    b.extend_from_slice(attrs);
    b.extend_from_slice(nlri);
    b
}

const ORIGIN_IGP: [u8; 4] = [0x40, 1, 1, 0];
const NEXT_HOP: [u8; 7] = [0x40, 3, 4, 169, 254, 0, 6];

fn as_path2(asns: &[u16]) -> Vec<u8> {
    let mut v = vec![0x40, 2, (2 + 2 * asns.len()) as u8, 2, asns.len() as u8];
    for a in asns {
        v.extend_from_slice(&a.to_be_bytes());
    }
    v
}

fn as4_path(asns: &[u32]) -> Vec<u8> {
    let mut v = vec![0xc0, 17, (2 + 4 * asns.len()) as u8, 2, asns.len() as u8];
    for a in asns {
        v.extend_from_slice(&a.to_be_bytes());
    }
    v
}

fn decode_update(bytes: &[u8], ctx: &CodecContext) -> Update {
    match decode_message(bytes, ctx).unwrap() {
        Message::Update(u) => u,
        m => panic!("not an update: {m:?}"),
    }
}

fn attrs(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

#[test]
fn as4_path_merge_rfc6793() {
    // Old speaker 65001 prepended itself to a path built by NEW speakers.
    let a = attrs(&[
        &ORIGIN_IGP,
        &as_path2(&[65001, AS_TRANS, AS_TRANS]),
        &NEXT_HOP,
        &as4_path(&[133937, 200000]),
    ]);
    let u = decode_update(&update_bytes(&[], &a, &[24, 10, 0, 0]), &TWO);
    assert!(u.issues.is_empty(), "{:?}", u.issues);
    assert_eq!(
        u.attributes.as_path,
        Some(AsPath::sequence([65001, 133937, 200000]))
    );
    // AS4_PATH longer than AS_PATH is ignored.
    let a = attrs(&[
        &ORIGIN_IGP,
        &as_path2(&[AS_TRANS]),
        &NEXT_HOP,
        &as4_path(&[133937, 200000]),
    ]);
    let u = decode_update(&update_bytes(&[], &a, &[24, 10, 0, 0]), &TWO);
    assert_eq!(
        u.attributes.as_path,
        Some(AsPath::sequence([u32::from(AS_TRANS)]))
    );
    // On a 4-octet session AS4_PATH is discarded.
    let mut p4 = vec![0x40, 2, 6, 2, 1, 0, 0, 0xfd, 0xe9];
    p4.extend_from_slice(&as4_path(&[7]));
    let a = attrs(&[&ORIGIN_IGP, &p4, &NEXT_HOP]);
    let u = decode_update(&update_bytes(&[], &a, &[24, 10, 0, 0]), &FOUR);
    assert_eq!(u.attributes.as_path, Some(AsPath::sequence([65001])));
    assert_eq!(u.issues[0].action, ErrorAction::AttributeDiscard);
    assert!(!u.treat_as_withdraw());
}

#[test]
fn as4_aggregator_replaces_as_trans_and_stale_as4_is_ignored() {
    let agg2 = |asn: u16| {
        let mut v = vec![0xc0, 7, 6];
        v.extend_from_slice(&asn.to_be_bytes());
        v.extend_from_slice(&[10, 0, 0, 1]);
        v
    };
    let as4_agg = [0xc0, 18, 8, 0, 2, 0x0b, 0x31, 10, 0, 0, 1];
    let a = attrs(&[
        &ORIGIN_IGP,
        &as_path2(&[AS_TRANS]),
        &agg2(AS_TRANS),
        &as4_agg,
        &as4_path(&[133937]),
    ]);
    let u = decode_update(&update_bytes(&[], &a, &[]), &TWO);
    assert_eq!(u.attributes.aggregator.unwrap().asn, 133937);
    assert_eq!(u.attributes.as_path, Some(AsPath::sequence([133937])));
    // AGGREGATOR from an old speaker (not AS_TRANS): both AS4 attributes are stale.
    let a = attrs(&[
        &ORIGIN_IGP,
        &as_path2(&[65001]),
        &agg2(65001),
        &as4_agg,
        &as4_path(&[133937]),
    ]);
    let u = decode_update(&update_bytes(&[], &a, &[]), &TWO);
    assert_eq!(u.attributes.aggregator.unwrap().asn, 65001);
    assert_eq!(u.attributes.as_path, Some(AsPath::sequence([65001])));
}

#[test]
fn host_bits_are_cleared() {
    let a = attrs(&[&ORIGIN_IGP, &as_path2(&[65001]), &NEXT_HOP]);
    let u = decode_update(
        &update_bytes(&[23, 10, 0, 0xff], &a, &[20, 10, 0, 0xff]),
        &TWO,
    );
    assert!(u.issues.is_empty());
    assert_eq!(u.withdrawn, vec![v4("10.0.254.0/23")]);
    assert_eq!(u.nlri, vec![v4("10.0.240.0/20")]);
    // And the encoder writes canonical bytes for a prefix with host bits.
    let b = encode_to_vec(
        &Message::Update(Update {
            withdrawn: vec![v4("10.0.255.1/23")],
            ..Default::default()
        }),
        &FOUR,
    )
    .unwrap();
    assert_eq!(&b[21..25], &[23, 10, 0, 0xfe]);
}

#[test]
fn framing_partial_and_back_to_back() {
    let mut buf = encode_to_vec(&Message::Keepalive, &FOUR).unwrap();
    let refresh = Message::RouteRefresh(RouteRefresh {
        afi: Afi::Ipv4,
        safi: Safi::Unicast,
    });
    encode(&refresh, &FOUR, &mut buf).unwrap();
    for cut in 0..19 {
        assert_eq!(decode(&buf[..cut], &FOUR).unwrap(), None);
    }
    let (m, n) = decode(&buf, &FOUR).unwrap().unwrap();
    assert_eq!((m, n), (Message::Keepalive, 19));
    assert_eq!(decode(&buf[19..40], &FOUR).unwrap(), None);
    assert_eq!(decode(&buf[19..], &FOUR).unwrap(), Some((refresh, 23)));
    // A trailing byte after a single message is a length error for decode_message.
    buf.truncate(19);
    buf.push(0);
    assert!(decode_message(&buf, &FOUR).is_err());
}

fn expect_err(bytes: &[u8], ctx: &CodecContext, code: u8, subcode: u8) -> DecodeError {
    let e = decode(bytes, ctx).expect_err("must fail");
    assert_eq!(
        (e.notification.code, e.notification.subcode),
        (code, subcode),
        "{e}"
    );
    e
}

#[test]
fn header_errors() {
    let mut b = encode_to_vec(&Message::Keepalive, &FOUR).unwrap();
    b[3] = 0;
    expect_err(
        &b[..5],
        &FOUR,
        codes::MESSAGE_HEADER_ERROR,
        header::CONNECTION_NOT_SYNCHRONIZED,
    );
    let mut b = encode_to_vec(&Message::Keepalive, &FOUR).unwrap();
    b[17] = 20;
    b.push(0);
    let e = expect_err(
        &b,
        &FOUR,
        codes::MESSAGE_HEADER_ERROR,
        header::BAD_MESSAGE_LENGTH,
    );
    assert_eq!(e.notification.data, vec![0, 20]);
    for len in [0u16, 18, 4097, 65535] {
        let mut b = vec![0xff; 16];
        b.extend_from_slice(&len.to_be_bytes());
        b.push(2);
        expect_err(
            &b,
            &FOUR,
            codes::MESSAGE_HEADER_ERROR,
            header::BAD_MESSAGE_LENGTH,
        );
    }
    let mut b = encode_to_vec(&Message::Keepalive, &FOUR).unwrap();
    b[18] = 9;
    let e = expect_err(
        &b,
        &FOUR,
        codes::MESSAGE_HEADER_ERROR,
        header::BAD_MESSAGE_TYPE,
    );
    assert_eq!(e.notification.data, vec![9]);
    // OPEN shorter than its fixed part.
    let mut b = vec![0xff; 16];
    b.extend_from_slice(&[0, 28, 1]);
    b.extend_from_slice(&[4, 0, 1, 0, 90, 1, 1, 1, 1]);
    expect_err(
        &b,
        &FOUR,
        codes::MESSAGE_HEADER_ERROR,
        header::BAD_MESSAGE_LENGTH,
    );
}

fn open_bytes(version: u8, my_as: u16, hold: u16, id: [u8; 4], params: &[u8]) -> Vec<u8> {
    let mut body = vec![version];
    body.extend_from_slice(&my_as.to_be_bytes());
    body.extend_from_slice(&hold.to_be_bytes());
    body.extend_from_slice(&id);
    body.push(params.len() as u8);
    body.extend_from_slice(params);
    let mut b = vec![0xff; 16];
    b.extend_from_slice(&((19 + body.len()) as u16).to_be_bytes());
    b.push(1);
    b.extend_from_slice(&body);
    b
}

#[test]
fn open_errors() {
    let e = expect_err(
        &open_bytes(3, 65000, 90, [1, 1, 1, 1], &[]),
        &FOUR,
        codes::OPEN_MESSAGE_ERROR,
        open::UNSUPPORTED_VERSION_NUMBER,
    );
    assert_eq!(e.notification.data, vec![0, 4]);
    for hold in [1, 2] {
        expect_err(
            &open_bytes(4, 65000, hold, [1, 1, 1, 1], &[]),
            &FOUR,
            codes::OPEN_MESSAGE_ERROR,
            open::UNACCEPTABLE_HOLD_TIME,
        );
    }
    for hold in [0, 3, 65535] {
        assert!(decode(&open_bytes(4, 65000, hold, [1, 1, 1, 1], &[]), &FOUR).is_ok());
    }
    expect_err(
        &open_bytes(4, 65000, 90, [0, 0, 0, 0], &[]),
        &FOUR,
        codes::OPEN_MESSAGE_ERROR,
        open::BAD_BGP_IDENTIFIER,
    );
    expect_err(
        &open_bytes(4, 0, 90, [1, 1, 1, 1], &[]),
        &FOUR,
        codes::OPEN_MESSAGE_ERROR,
        open::BAD_PEER_AS,
    );
    expect_err(
        &open_bytes(4, AS_TRANS, 90, [1, 1, 1, 1], &[2, 6, 65, 4, 0, 0, 0, 0]),
        &FOUR,
        codes::OPEN_MESSAGE_ERROR,
        open::BAD_PEER_AS,
    );
    // Deprecated authentication parameter (type 1).
    expect_err(
        &open_bytes(4, 65000, 90, [1, 1, 1, 1], &[1, 1, 0]),
        &FOUR,
        codes::OPEN_MESSAGE_ERROR,
        open::UNSUPPORTED_OPTIONAL_PARAMETER,
    );
    // Capability overrunning its parameter.
    expect_err(
        &open_bytes(4, 65000, 90, [1, 1, 1, 1], &[2, 3, 65, 4, 0]),
        &FOUR,
        codes::OPEN_MESSAGE_ERROR,
        open::UNSPECIFIC,
    );
    // Parameter length disagreeing with the optional parameters length.
    let mut b = open_bytes(4, 65000, 90, [1, 1, 1, 1], &[2, 2, 2, 0]);
    b[28] = 3;
    expect_err(&b, &FOUR, codes::OPEN_MESSAGE_ERROR, open::UNSPECIFIC);
}

#[test]
fn update_length_errors_reset_the_session() {
    // Withdrawn length past the end.
    let mut b = update_bytes(&[], &[], &[]);
    b[20] = 5;
    expect_err(
        &b,
        &FOUR,
        codes::UPDATE_MESSAGE_ERROR,
        update::MALFORMED_ATTRIBUTE_LIST,
    );
    // Total attribute length past the end.
    let mut b = update_bytes(&[], &[], &[]);
    b[22] = 1;
    expect_err(
        &b,
        &FOUR,
        codes::UPDATE_MESSAGE_ERROR,
        update::MALFORMED_ATTRIBUTE_LIST,
    );
    // Prefix length 33, and a prefix cut short.
    expect_err(
        &update_bytes(&[], &[], &[33, 1, 2, 3, 4, 5]),
        &FOUR,
        codes::UPDATE_MESSAGE_ERROR,
        update::INVALID_NETWORK_FIELD,
    );
    expect_err(
        &update_bytes(&[24, 10, 0], &[], &[]),
        &FOUR,
        codes::UPDATE_MESSAGE_ERROR,
        update::INVALID_NETWORK_FIELD,
    );
}

#[test]
fn unrecognized_well_known_resets() {
    let a = attrs(&[&ORIGIN_IGP, &[0x40, 99, 1, 7]]);
    let e = expect_err(
        &update_bytes(&[], &a, &[]),
        &FOUR,
        codes::UPDATE_MESSAGE_ERROR,
        update::UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE,
    );
    assert_eq!(e.notification.data, vec![0x40, 99, 1, 7]);
}

#[test]
fn unknown_optional_attributes() {
    // Transitive: kept, and passed on with Partial. Non-transitive: dropped.
    let a = attrs(&[
        &ORIGIN_IGP,
        &as_path2(&[65001]),
        &NEXT_HOP,
        &[0xc0, 99, 2, 1, 2],
        &[0x80, 98, 1, 1],
    ]);
    let u = decode_update(&update_bytes(&[], &a, &[8, 10]), &TWO);
    assert!(u.issues.is_empty());
    assert_eq!(
        u.attributes.unknown,
        vec![RawAttribute {
            flags: 0xc0,
            type_code: 99,
            value: vec![1, 2]
        }]
    );
    let b = encode_to_vec(&Message::Update(u), &FOUR).unwrap();
    assert!(b.windows(5).any(|w| w == [0xe0, 99, 2, 1, 2]));
    // Extended length for an unknown attribute over 255 octets.
    let big = RawAttribute {
        flags: 0xc0,
        type_code: 99,
        value: vec![7; 300],
    };
    let u = Update {
        attributes: PathAttributes {
            unknown: vec![big],
            ..Default::default()
        },
        ..Default::default()
    };
    let b = encode_to_vec(&Message::Update(u), &FOUR).unwrap();
    assert_eq!(&b[23..27], &[0xf0, 99, 1, 44]);
}

fn issues_of(a: &[u8], ctx: &CodecContext) -> (Update, Vec<(u8, ErrorAction)>) {
    let u = decode_update(&update_bytes(&[], a, &[24, 10, 1, 2]), ctx);
    let i = u.issues.iter().map(|i| (i.type_code, i.action)).collect();
    (u, i)
}

use ErrorAction::{AttributeDiscard as Discard, TreatAsWithdraw as Taw};

#[test]
fn rfc7606_treat_as_withdraw_cases() {
    let path = as_path2(&[65001]);
    let cases: Vec<(Vec<u8>, u8)> = vec![
        // ORIGIN value 3, ORIGIN length 2, ORIGIN with optional flag.
        (attrs(&[&[0x40, 1, 1, 3], &path, &NEXT_HOP]), 1),
        (attrs(&[&[0x40, 1, 2, 0, 0], &path, &NEXT_HOP]), 1),
        (attrs(&[&[0xc0, 1, 1, 0], &path, &NEXT_HOP]), 1),
        // AS_PATH: bad segment type, empty segment, overrun, AS 0.
        (
            attrs(&[&ORIGIN_IGP, &[0x40, 2, 4, 9, 1, 0, 1], &NEXT_HOP]),
            2,
        ),
        (attrs(&[&ORIGIN_IGP, &[0x40, 2, 2, 2, 0], &NEXT_HOP]), 2),
        (
            attrs(&[&ORIGIN_IGP, &[0x40, 2, 4, 2, 2, 0, 1], &NEXT_HOP]),
            2,
        ),
        (attrs(&[&ORIGIN_IGP, &as_path2(&[0]), &NEXT_HOP]), 2),
        // NEXT_HOP length 5, NEXT_HOP 0.0.0.0, NEXT_HOP multicast.
        (
            attrs(&[&ORIGIN_IGP, &path, &[0x40, 3, 5, 1, 2, 3, 4, 5]]),
            3,
        ),
        (attrs(&[&ORIGIN_IGP, &path, &[0x40, 3, 4, 0, 0, 0, 0]]), 3),
        (attrs(&[&ORIGIN_IGP, &path, &[0x40, 3, 4, 224, 0, 0, 5]]), 3),
        // MED length 3, MED flagged transitive.
        (
            attrs(&[&ORIGIN_IGP, &path, &NEXT_HOP, &[0x80, 4, 3, 0, 0, 1]]),
            4,
        ),
        (
            attrs(&[&ORIGIN_IGP, &path, &NEXT_HOP, &[0xc0, 4, 4, 0, 0, 0, 1]]),
            4,
        ),
        // COMMUNITIES length 3 and 0; LARGE_COMMUNITIES length 8.
        (
            attrs(&[&ORIGIN_IGP, &path, &NEXT_HOP, &[0xc0, 8, 3, 0, 0, 1]]),
            8,
        ),
        (attrs(&[&ORIGIN_IGP, &path, &NEXT_HOP, &[0xc0, 8, 0]]), 8),
        (
            attrs(&[
                &ORIGIN_IGP,
                &path,
                &NEXT_HOP,
                &[0xc0, 32, 8, 0, 0, 0, 1, 0, 0, 0, 1],
            ]),
            32,
        ),
        // Missing well-known: no ORIGIN, no AS_PATH, no NEXT_HOP.
        (attrs(&[&path, &NEXT_HOP]), 1),
        (attrs(&[&ORIGIN_IGP, &NEXT_HOP]), 2),
        (attrs(&[&ORIGIN_IGP, &path]), 3),
        // Last attribute overruns the attribute list.
        (
            attrs(&[&ORIGIN_IGP, &path, &NEXT_HOP, &[0xc0, 8, 9, 0, 0, 0, 1]]),
            8,
        ),
        // Fewer than 3 octets left.
        (attrs(&[&ORIGIN_IGP, &path, &NEXT_HOP, &[0xc0, 8]]), 0),
    ];
    for (a, code) in cases {
        let (u, issues) = issues_of(&a, &TWO);
        assert!(issues.contains(&(code, Taw)), "{code}: {issues:?}");
        assert!(u.treat_as_withdraw());
        assert_eq!(u.announced_prefixes().count(), 0);
        assert_eq!(
            u.withdrawn_prefixes().collect::<Vec<_>>(),
            vec![net("10.1.2.0/24")]
        );
    }
}

#[test]
fn rfc7606_attribute_discard_cases() {
    let base = attrs(&[&ORIGIN_IGP, &as_path2(&[65001]), &NEXT_HOP]);
    let cases: Vec<(Vec<u8>, u8)> = vec![
        (vec![0x40, 6, 1, 0], 6), // ATOMIC_AGGREGATE length 1
        (vec![0xc0, 7, 8, 0, 0, 0xfd, 0xe9, 1, 1, 1, 1], 7), // 4-octet AGGREGATOR on a 2-octet session
        (vec![0xc0, 7, 6, 0, 0, 1, 1, 1, 1], 7),             // AGGREGATOR AS 0
        (vec![0x80, 7, 6, 0, 1, 1, 1, 1, 1], 7),             // AGGREGATOR not transitive
        (vec![0xc0, 17, 3, 2, 1, 0], 17),                    // AS4_PATH malformed
        (vec![0xc0, 17, 6, 3, 1, 0, 0, 0, 1], 17), // AS4_PATH with a confederation segment
        (vec![0xc0, 18, 6, 0, 0, 0, 1, 1, 1], 18), // AS4_AGGREGATOR length 6
        (vec![0x40, 1, 1, 2], 1),                  // duplicate ORIGIN
        (vec![0x40, 5, 4, 0, 0, 0, 100], 5),       // LOCAL_PREF from an external peer
    ];
    for (extra, code) in cases {
        let (u, issues) = issues_of(&attrs(&[&base, &extra]), &TWO);
        assert_eq!(issues, vec![(code, Discard)], "{code}");
        assert!(!u.treat_as_withdraw());
        assert_eq!(u.attributes.origin, Some(Origin::Igp), "first ORIGIN kept");
        assert_eq!(
            u.announced_prefixes().collect::<Vec<_>>(),
            vec![net("10.1.2.0/24")]
        );
    }
    // LOCAL_PREF is kept from an internal peer.
    let (u, issues) = issues_of(&attrs(&[&base, &[0x40, 5, 4, 0, 0, 0, 100]]), &IBGP2);
    assert!(issues.is_empty());
    assert_eq!(u.attributes.local_pref, Some(100));
    // A bad NEXT_HOP without IPv4 NLRI does not withdraw anything.
    let a = attrs(&[&ORIGIN_IGP, &as_path2(&[65001]), &[0x40, 3, 4, 0, 0, 0, 0]]);
    let u = decode_update(&update_bytes(&[], &a, &[]), &TWO);
    assert_eq!(
        u.issues,
        vec![AttributeIssue {
            type_code: 3,
            action: Discard,
            reason: "NEXT_HOP is not a host address"
        }]
    );
}

fn mp_reach_v6(nh: &[u8], nlri: &[u8]) -> Vec<u8> {
    let mut v = vec![
        0x80,
        14,
        (5 + nh.len() + nlri.len()) as u8,
        0,
        2,
        1,
        nh.len() as u8,
    ];
    v.extend_from_slice(nh);
    v.push(0);
    v.extend_from_slice(nlri);
    v
}

#[test]
fn mp_reach_errors() {
    let nh: Vec<u8> = "2001:db8::1".parse::<Ipv6Addr>().unwrap().octets().to_vec();
    let ok = mp_reach_v6(&nh, &[32, 0x20, 1, 0xd, 0xb8]);
    // Fine: ORIGIN + AS_PATH, no NEXT_HOP needed.
    let u = decode_update(
        &update_bytes(&[], &attrs(&[&ok, &ORIGIN_IGP, &as_path2(&[1])]), &[]),
        &TWO,
    );
    assert!(u.issues.is_empty());
    assert_eq!(
        u.announced_prefixes().collect::<Vec<_>>(),
        vec![net("2001:db8::/32")]
    );
    // Missing ORIGIN with MP_REACH: treat-as-withdraw of the IPv6 prefix.
    let u = decode_update(
        &update_bytes(&[], &attrs(&[&ok, &as_path2(&[1])]), &[]),
        &TWO,
    );
    assert!(u.treat_as_withdraw());
    assert_eq!(
        u.withdrawn_prefixes().collect::<Vec<_>>(),
        vec![net("2001:db8::/32")]
    );
    // Twice: session reset.
    expect_err(
        &update_bytes(&[], &attrs(&[&ok, &ok]), &[]),
        &FOUR,
        codes::UPDATE_MESSAGE_ERROR,
        update::MALFORMED_ATTRIBUTE_LIST,
    );
    // Next hop length 5: the NLRI cannot be located.
    expect_err(
        &update_bytes(&[], &mp_reach_v6(&[1, 2, 3, 4, 5], &[]), &[]),
        &FOUR,
        codes::UPDATE_MESSAGE_ERROR,
        update::OPTIONAL_ATTRIBUTE_ERROR,
    );
    // Prefix length 129.
    expect_err(
        &update_bytes(&[], &mp_reach_v6(&nh, &[129, 0]), &[]),
        &FOUR,
        codes::UPDATE_MESSAGE_ERROR,
        update::OPTIONAL_ATTRIBUTE_ERROR,
    );
    // MP_REACH overrunning the attribute list.
    let mut cut = ok.clone();
    cut[2] += 4;
    expect_err(
        &update_bytes(&[], &cut, &[]),
        &FOUR,
        codes::UPDATE_MESSAGE_ERROR,
        update::ATTRIBUTE_LENGTH_ERROR,
    );
    // MP_REACH flagged transitive: parsed, then treat-as-withdraw.
    let mut bad_flags = ok.clone();
    bad_flags[0] = 0xc0;
    let u = decode_update(
        &update_bytes(
            &[],
            &attrs(&[&bad_flags, &ORIGIN_IGP, &as_path2(&[1])]),
            &[],
        ),
        &TWO,
    );
    assert!(u.treat_as_withdraw());
    assert_eq!(u.withdrawn_prefixes().count(), 1);
    // Unsupported AFI/SAFI (flowspec): discarded.
    let flow = [0x80, 14, 8, 0, 1, 133, 0, 0, 2, 1, 2];
    let u = decode_update(
        &update_bytes(&[], &attrs(&[&flow, &ORIGIN_IGP, &as_path2(&[1])]), &[]),
        &TWO,
    );
    assert_eq!(u.issues[0].action, Discard);
    assert!(u.attributes.mp_reach.is_none());
}

#[test]
fn end_of_rib() {
    assert_eq!(
        Update::default().end_of_rib(),
        Some((Afi::Ipv4, Safi::Unicast))
    );
    let u = Update {
        attributes: PathAttributes {
            mp_unreach: Some(MpUnreach {
                afi: Afi::Ipv6,
                safi: Safi::Unicast,
                withdrawn: vec![],
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    assert_eq!(u.end_of_rib(), Some((Afi::Ipv6, Safi::Unicast)));
    let b = roundtrip(&Message::Update(u), &FOUR);
    assert_eq!(b.len(), 19 + 4 + 6);
    let u = Update {
        nlri: vec![v4("10.0.0.0/8")],
        ..Default::default()
    };
    assert_eq!(u.end_of_rib(), None);
}

#[test]
fn notifications() {
    let n = Notification::new(
        codes::OPEN_MESSAGE_ERROR,
        open::BAD_PEER_AS,
        vec![0xfd, 0xe9],
    );
    assert_eq!(n.describe(), "OPEN Message Error / Bad Peer AS");
    roundtrip(&Message::Notification(n), &FOUR);
    assert_eq!(
        Notification::hold_timer_expired().describe(),
        "Hold Timer Expired"
    );
    assert_eq!(
        Notification::cease(cease::MAXIMUM_PREFIXES_REACHED).describe(),
        "Cease / Maximum Number of Prefixes Reached"
    );
    assert_eq!(
        Notification::new(3, 42, vec![]).describe(),
        "UPDATE Message Error / subcode 42"
    );
    assert_eq!(
        Notification::new(77, 1, vec![]).describe(),
        "Unknown Error 77 / subcode 1"
    );
    let s = Notification::cease_with_message(cease::ADMINISTRATIVE_SHUTDOWN, "maintenance window");
    assert_eq!(s.shutdown_message(), Some("maintenance window"));
    assert_eq!(
        s.describe(),
        "Cease / Administrative Shutdown: \"maintenance window\""
    );
    roundtrip(&Message::Notification(s), &FOUR);
    let long = "é".repeat(200);
    let s = Notification::cease_with_message(cease::ADMINISTRATIVE_RESET, &long);
    assert_eq!(s.data[0], 254);
    assert_eq!(s.shutdown_message().unwrap().chars().count(), 127);
    // Every header/OPEN/UPDATE/Cease subcode has a name.
    for (code, subs) in [
        (1u8, 1..=3u8),
        (2, 1..=4),
        (3, 1..=6),
        (5, 1..=3),
        (6, 1..=8),
    ] {
        for sub in subs {
            assert!(
                Notification::new(code, sub, vec![])
                    .subcode_name()
                    .is_some(),
                "{code}/{sub}"
            );
        }
    }
}

#[test]
fn decode_error_carries_the_notification() {
    let e = decode(&[0xff, 0, 1], &FOUR).unwrap_err();
    assert_eq!(
        e.to_string(),
        "marker is not all ones (Message Header Error / Connection Not Synchronized)"
    );
}

#[test]
fn encode_rejects_oversized_message_and_leaves_buffer_alone() {
    let nlri: Vec<Ipv4Net> = (0..1200u32)
        .map(|i| Ipv4Net::new(Ipv4Addr::from(0x0a00_0000 + (i << 8)), 24).unwrap())
        .collect();
    let u = Update {
        nlri,
        ..Default::default()
    };
    let mut out = vec![1, 2, 3];
    assert!(matches!(
        encode(&Message::Update(u), &FOUR, &mut out),
        Err(EncodeError::TooLong { .. })
    ));
    assert_eq!(out, vec![1, 2, 3]);
    let n = Notification::new(6, 2, vec![0; 5000]);
    assert!(encode(&Message::Notification(n), &FOUR, &mut out).is_err());
    let cap = Capability::Unknown {
        code: 99,
        value: vec![0; 256],
    };
    let o = Open::new(1, 90, Ipv4Addr::new(1, 1, 1, 1), vec![cap]);
    assert_eq!(
        encode(&Message::Open(o), &FOUR, &mut out),
        Err(EncodeError::Invalid(
            "capability value longer than 255 octets"
        ))
    );
    assert_eq!(out, vec![1, 2, 3]);
}
