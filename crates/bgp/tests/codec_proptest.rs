//! Property tests: any valid attribute set survives encode → decode on both kinds of session,
//! and no input makes the decoder panic.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crosslink_bgp::wire::*;
use proptest::collection::vec;
use proptest::prelude::*;

fn asn() -> impl Strategy<Value = u32> {
    prop_oneof![1u32..=65535, 65536u32..=u32::MAX, Just(u32::from(AS_TRANS))]
}

fn segment(kinds: &'static [SegmentKind]) -> impl Strategy<Value = AsPathSegment> {
    (proptest::sample::select(kinds), vec(asn(), 1..12))
        .prop_map(|(kind, asns)| AsPathSegment { kind, asns })
}

/// Confederation segments only lead the path, as a confederation member puts them there.
fn as_path() -> impl Strategy<Value = AsPath> {
    (
        vec(
            segment(&[SegmentKind::ConfedSequence, SegmentKind::ConfedSet]),
            0..2,
        ),
        vec(segment(&[SegmentKind::Sequence, SegmentKind::Set]), 0..4),
    )
        .prop_map(|(mut a, b)| {
            a.extend(b);
            AsPath { segments: a }
        })
}

fn host_v4() -> impl Strategy<Value = Ipv4Addr> {
    any::<u32>()
        .prop_map(Ipv4Addr::from)
        .prop_filter("host address", |a| {
            !(a.is_unspecified() || a.is_multicast() || a.is_broadcast())
        })
}

fn v4_prefix() -> impl Strategy<Value = Ipv4Net> {
    (any::<u32>(), 0u8..=32).prop_map(|(a, l)| Ipv4Net::new(Ipv4Addr::from(a), l).unwrap().trunc())
}

fn v6_prefix() -> impl Strategy<Value = IpNet> {
    (any::<u128>(), 0u8..=128)
        .prop_map(|(a, l)| IpNet::V6(Ipv6Net::new(Ipv6Addr::from(a), l).unwrap().trunc()))
}

fn family() -> impl Strategy<Value = (Afi, Safi)> {
    (
        prop_oneof![Just(Afi::Ipv4), Just(Afi::Ipv6)],
        prop_oneof![Just(Safi::Unicast), Just(Safi::Multicast)],
    )
}

fn prefixes(afi: Afi, n: usize) -> BoxedStrategy<Vec<IpNet>> {
    match afi {
        Afi::Ipv4 => vec(v4_prefix().prop_map(IpNet::V4), 0..n).boxed(),
        _ => vec(v6_prefix(), 0..n).boxed(),
    }
}

fn mp_reach() -> impl Strategy<Value = MpReach> {
    family().prop_flat_map(|(afi, safi)| {
        let nh = prop_oneof![
            host_v4().prop_map(|a| (IpAddr::V4(a), None)),
            any::<u128>().prop_map(|a| (IpAddr::V6(Ipv6Addr::from(a)), None)),
            (any::<u128>(), any::<u128>())
                .prop_map(|(a, b)| (IpAddr::V6(Ipv6Addr::from(a)), Some(Ipv6Addr::from(b)))),
        ];
        let nh = if afi == Afi::Ipv6 {
            nh.prop_filter("IPv6 next hop", |(a, _)| a.is_ipv6())
                .boxed()
        } else {
            nh.boxed()
        };
        (nh, prefixes(afi, 20)).prop_map(move |((next_hop, link_local_next_hop), nlri)| MpReach {
            afi,
            safi,
            next_hop,
            link_local_next_hop,
            nlri,
        })
    })
}

fn mp_unreach() -> impl Strategy<Value = MpUnreach> {
    family().prop_flat_map(|(afi, safi)| {
        prefixes(afi, 20).prop_map(move |withdrawn| MpUnreach {
            afi,
            safi,
            withdrawn,
        })
    })
}

const KNOWN: [u8; 13] = [1, 2, 3, 4, 5, 6, 7, 8, 14, 15, 17, 18, 32];

fn unknown_attrs() -> impl Strategy<Value = Vec<RawAttribute>> {
    vec((any::<u8>(), vec(any::<u8>(), 0..300)), 0..3).prop_map(|v| {
        let mut seen = Vec::new();
        v.into_iter()
            .filter(|(c, _)| {
                !KNOWN.contains(c) && !seen.contains(c) && {
                    seen.push(*c);
                    true
                }
            })
            .map(|(type_code, value)| RawAttribute {
                flags: flags::OPTIONAL | flags::TRANSITIVE | flags::PARTIAL,
                type_code,
                value,
            })
            .collect()
    })
}

prop_compose! {
    fn attributes()(
        origin in proptest::option::of(prop_oneof![Just(Origin::Igp), Just(Origin::Egp), Just(Origin::Incomplete)]),
        as_path in proptest::option::of(as_path()),
        next_hop in proptest::option::of(host_v4()),
        med in proptest::option::of(any::<u32>()),
        local_pref in proptest::option::of(any::<u32>()),
        atomic_aggregate in any::<bool>(),
        aggregator in proptest::option::of((asn(), any::<u32>())),
        communities in vec(any::<u32>(), 0..10),
        large in vec(any::<(u32, u32, u32)>(), 0..5),
        mp_reach in proptest::option::of(mp_reach()),
        mp_unreach in proptest::option::of(mp_unreach()),
        unknown in unknown_attrs(),
    ) -> PathAttributes {
        PathAttributes {
            origin,
            as_path,
            next_hop,
            med,
            local_pref,
            atomic_aggregate,
            aggregator: aggregator.map(|(asn, ip)| Aggregator { asn, ip: Ipv4Addr::from(ip) }),
            communities,
            large_communities: large.into_iter().map(|(a, b, c)| LargeCommunity(a, b, c)).collect(),
            mp_reach,
            mp_unreach,
            unknown,
        }
    }
}

prop_compose! {
    fn update()(
        withdrawn in vec(v4_prefix(), 0..20),
        mut attributes in attributes(),
        nlri in vec(v4_prefix(), 0..20),
    ) -> Update {
        // Well-known mandatory attributes for what is announced.
        if !nlri.is_empty() || attributes.mp_reach.is_some() {
            attributes.origin.get_or_insert(Origin::Igp);
            attributes.as_path.get_or_insert_with(AsPath::default);
        }
        if !nlri.is_empty() {
            attributes.next_hop.get_or_insert(Ipv4Addr::new(169, 254, 0, 1));
        }
        Update { withdrawn, attributes, nlri, issues: vec![] }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn update_round_trips(mut u in update(), four in any::<bool>()) {
        let ctx = CodecContext { four_octet_as: four, ibgp: true };
        // A 4-octet confederation member AS cannot be told to a 2-octet peer (AS4_PATH carries
        // no confederation segments, RFC 6793 §3): keep those 2-octet here.
        if !four {
            for s in u.attributes.as_path.iter_mut().flat_map(|p| &mut p.segments) {
                if matches!(s.kind, SegmentKind::ConfedSequence | SegmentKind::ConfedSet) {
                    s.asns.iter_mut().for_each(|a| *a = (*a & 0x7fff) | 1);
                }
            }
        }
        let m = Message::Update(u);
        match encode_to_vec(&m, &ctx) {
            Err(EncodeError::TooLong { .. }) => {}
            Err(e) => prop_assert!(false, "{e}"),
            Ok(bytes) => {
                prop_assert!(bytes.len() <= MAX_MESSAGE_LEN);
                prop_assert_eq!(decode_message(&bytes, &ctx).unwrap(), m);
            }
        }
    }

    #[test]
    fn packed_updates_carry_every_prefix(u in update(), four in any::<bool>()) {
        let ctx = CodecContext { four_octet_as: four, ibgp: true };
        let mut buf = Vec::new();
        let Ok(n) = encode_update_packed(&u, &ctx, &mut buf) else { return Ok(()) };
        let (mut w, mut a) = (Vec::new(), Vec::new());
        let mut rest = buf.as_slice();
        for _ in 0..n {
            let (m, used) = decode(rest, &ctx).unwrap().unwrap();
            let Message::Update(m) = m else { panic!() };
            prop_assert!(m.issues.is_empty());
            w.extend(m.withdrawn_prefixes());
            a.extend(m.announced_prefixes());
            rest = &rest[used..];
        }
        prop_assert!(rest.is_empty());
        prop_assert_eq!(w, u.withdrawn_prefixes().collect::<Vec<_>>());
        prop_assert_eq!(a, u.announced_prefixes().collect::<Vec<_>>());
    }

    #[test]
    fn open_round_trips(
        asn in asn(),
        hold in prop_oneof![Just(0u16), 3u16..],
        id in 1u32..,
        caps in vec((1u8.., vec(any::<u8>(), 0..40)), 0..8),
    ) {
        let capabilities = caps
            .into_iter()
            .filter(|(c, _)| ![1, 2, 65].contains(c))
            .map(|(code, value)| Capability::Unknown { code, value })
            .collect();
        let m = Message::Open(Open::new(asn, hold, Ipv4Addr::from(id), capabilities));
        let bytes = encode_to_vec(&m, &CodecContext::default()).unwrap();
        prop_assert_eq!(decode_message(&bytes, &CodecContext::default()).unwrap(), m);
    }

    #[test]
    fn arbitrary_bytes_never_panic(body in vec(any::<u8>(), 0..600), kind in 0u8..7, four in any::<bool>(), ibgp in any::<bool>()) {
        let ctx = CodecContext { four_octet_as: four, ibgp };
        // Raw bytes, and the same behind a valid header so the body parsers are reached.
        let _ = decode(&body, &ctx);
        let mut b = vec![0xff; 16];
        b.extend_from_slice(&((19 + body.len()) as u16).to_be_bytes());
        b.push(kind);
        b.extend_from_slice(&body);
        if let Ok(Some((m, _))) = decode(&b, &ctx) {
            let _ = encode_to_vec(&m, &ctx);
        }
    }

    #[test]
    fn mutated_updates_never_panic(u in update(), flips in vec((any::<prop::sample::Index>(), any::<u8>()), 1..6), four in any::<bool>()) {
        let ctx = CodecContext { four_octet_as: four, ibgp: false };
        let Ok(mut bytes) = encode_to_vec(&Message::Update(u), &ctx) else { return Ok(()) };
        for (i, v) in flips {
            let i = 19 + i.index(bytes.len() - 19);
            bytes[i] = v;
        }
        if let Ok(Some((Message::Update(m), _))) = decode(&bytes, &ctx) {
            // Whatever was accepted can be sent on.
            let _ = encode_to_vec(&Message::Update(m), &ctx);
        }
    }
}
