//! Writes a small seed corpus of valid messages (one file per message) into the directory
//! given as the first argument. The first byte of each file selects the session kind.

use std::net::{IpAddr, Ipv4Addr};

use crosslink_bgp::wire::*;

fn main() {
    let dir = std::env::args().nth(1).expect("usage: seeds <dir>");
    std::fs::create_dir_all(&dir).unwrap();
    let ctx4 = CodecContext {
        four_octet_as: true,
        ibgp: true,
    };
    let ctx2 = CodecContext {
        four_octet_as: false,
        ibgp: false,
    };
    let open = Open::new(
        133937,
        90,
        Ipv4Addr::new(169, 254, 0, 6),
        vec![
            Capability::Multiprotocol {
                afi: Afi::Ipv4,
                safi: Safi::Unicast,
            },
            Capability::Multiprotocol {
                afi: Afi::Ipv6,
                safi: Safi::Unicast,
            },
            Capability::RouteRefresh,
            Capability::Unknown {
                code: 64,
                value: vec![0x80, 0x78, 0, 1, 1, 0x80],
            },
        ],
    );
    let attributes = PathAttributes {
        origin: Some(Origin::Igp),
        as_path: Some(AsPath {
            segments: vec![
                AsPathSegment {
                    kind: SegmentKind::Sequence,
                    asns: vec![133937, 64532],
                },
                AsPathSegment {
                    kind: SegmentKind::Set,
                    asns: vec![65001, 4_200_000_000],
                },
            ],
        }),
        next_hop: Some(Ipv4Addr::new(169, 254, 0, 6)),
        med: Some(10),
        local_pref: Some(100),
        atomic_aggregate: true,
        aggregator: Some(Aggregator {
            asn: 133937,
            ip: Ipv4Addr::new(10, 0, 0, 1),
        }),
        communities: vec![0xFFFF_FF01, (64532 << 16) | 7],
        large_communities: vec![LargeCommunity(133937, 1, 2)],
        mp_reach: Some(MpReach {
            afi: Afi::Ipv6,
            safi: Safi::Unicast,
            next_hop: IpAddr::V6("2001:db8::6".parse().unwrap()),
            link_local_next_hop: Some("fe80::6".parse().unwrap()),
            nlri: vec!["2001:db8:1::/48".parse().unwrap()],
        }),
        mp_unreach: Some(MpUnreach {
            afi: Afi::Ipv6,
            safi: Safi::Unicast,
            withdrawn: vec!["2001:db8:2::/48".parse().unwrap()],
        }),
        unknown: vec![RawAttribute {
            flags: 0xe0,
            type_code: 16,
            value: vec![0, 2, 0, 1, 0, 0, 0, 9],
        }],
    };
    let update = Update {
        withdrawn: vec!["10.9.0.0/16".parse().unwrap()],
        attributes,
        nlri: vec![
            "10.10.0.0/24".parse().unwrap(),
            "192.0.2.0/25".parse().unwrap(),
        ],
        issues: vec![],
    };
    let msgs = [
        Message::Open(open),
        Message::Update(update),
        Message::Update(Update::default()),
        Message::Notification(Notification::cease_with_message(2, "maintenance")),
        Message::Keepalive,
        Message::RouteRefresh(RouteRefresh {
            afi: Afi::Ipv6,
            safi: Safi::Unicast,
        }),
    ];
    let mut n = 0;
    for (sel, ctx) in [(3u8, ctx4), (0u8, ctx2)] {
        let mut stream = vec![sel];
        for m in &msgs {
            let bytes = encode_to_vec(m, &ctx).unwrap();
            let mut one = vec![sel];
            one.extend_from_slice(&bytes);
            std::fs::write(format!("{dir}/seed-{n:02}"), one).unwrap();
            stream.extend_from_slice(&bytes);
            n += 1;
        }
        std::fs::write(format!("{dir}/stream-{sel}"), stream).unwrap();
    }
    println!("{n} seeds written to {dir}");
}
