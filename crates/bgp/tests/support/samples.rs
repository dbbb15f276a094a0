//! Sample messages with every field we know set, shared by the codec tests and the fuzz seed
//! corpus (`fuzz/src/seeds.rs` includes this file by path, so it uses nothing but the crate).
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr};

use crosslink_bgp::wire::*;

/// Sessions: 4- or 2-octet ASNs (RFC 6793), external or internal peer.
pub const FOUR: CodecContext = CodecContext {
    four_octet_as: true,
    ibgp: false,
};
pub const TWO: CodecContext = CodecContext {
    four_octet_as: false,
    ibgp: false,
};
pub const IBGP: CodecContext = CodecContext {
    four_octet_as: true,
    ibgp: true,
};
pub const IBGP2: CodecContext = CodecContext {
    four_octet_as: false,
    ibgp: true,
};

pub fn v4(s: &str) -> Ipv4Net {
    s.parse().unwrap()
}

pub fn net(s: &str) -> IpNet {
    s.parse().unwrap()
}

/// An OPEN from a 4-octet AS (AS_TRANS in My AS) with our capabilities and three we keep
/// opaque: graceful restart (64), FQDN (73) and an unassigned code.
pub fn open() -> Open {
    let opaque = [
        Capability::Unknown {
            code: 64,
            value: vec![0x80, 0x78, 0, 1, 1, 0x80],
        },
        Capability::Unknown {
            code: 73,
            value: b"\x03rdo\x00".to_vec(),
        },
        Capability::Unknown {
            code: 230,
            value: vec![1, 2, 3],
        },
    ];
    let capabilities = Capability::UNICAST_AND_REFRESH
        .into_iter()
        .chain(opaque)
        .collect();
    Open::new(133937, 90, Ipv4Addr::new(169, 254, 0, 6), capabilities)
}

/// Every attribute we type, and two unknown transitive ones (one that other implementations
/// know: a route-target extended community). The AS_PATH and AGGREGATOR need 4-octet ASNs.
pub fn full_attributes() -> PathAttributes {
    PathAttributes {
        origin: Some(Origin::Incomplete),
        as_path: Some(AsPath {
            segments: vec![
                AsPathSegment {
                    kind: SegmentKind::Sequence,
                    asns: vec![133937, 64532, 4_200_000_000],
                },
                AsPathSegment {
                    kind: SegmentKind::Set,
                    asns: vec![65001, 65002],
                },
            ],
        }),
        next_hop: Some(Ipv4Addr::new(169, 254, 0, 6)),
        med: Some(50),
        local_pref: Some(200),
        atomic_aggregate: true,
        aggregator: Some(Aggregator {
            asn: 133937,
            ip: Ipv4Addr::new(10, 0, 0, 1),
        }),
        communities: vec![(64532 << 16) | 100, 0xFFFF_FF01],
        large_communities: vec![LargeCommunity(133937, 1, 2), LargeCommunity(64532, 0, 0)],
        mp_reach: Some(MpReach {
            afi: Afi::Ipv6,
            safi: Safi::Unicast,
            next_hop: IpAddr::V6("2001:db8::6".parse().unwrap()),
            link_local_next_hop: Some("fe80::6".parse().unwrap()),
            nlri: vec![
                net("2001:db8:1::/48"),
                net("2001:db8:2::/64"),
                net("2001:db8:30::1/128"),
                net("::/0"),
            ],
        }),
        mp_unreach: Some(MpUnreach {
            afi: Afi::Ipv6,
            safi: Safi::Unicast,
            withdrawn: vec![net("2001:db8:ff::/56")],
        }),
        unknown: vec![
            RawAttribute {
                flags: flags::OPTIONAL | flags::TRANSITIVE | flags::PARTIAL,
                type_code: 16,
                value: vec![0, 2, 0xfc, 0x14, 0, 0, 0, 1],
            },
            RawAttribute {
                flags: flags::OPTIONAL | flags::TRANSITIVE | flags::PARTIAL,
                type_code: 250,
                value: vec![9, 8, 7],
            },
        ],
    }
}

/// Each attribute of `full` alone in a set; MP_REACH with the ORIGIN and (empty) AS_PATH it
/// needs. Without NLRI nothing is mandatory, so each of these is a valid UPDATE by itself.
pub fn each_attribute_alone(full: &PathAttributes) -> Vec<PathAttributes> {
    let none = PathAttributes::default;
    vec![
        PathAttributes {
            origin: full.origin,
            ..none()
        },
        PathAttributes {
            as_path: full.as_path.clone(),
            ..none()
        },
        PathAttributes {
            as_path: Some(AsPath::default()),
            ..none()
        },
        PathAttributes {
            next_hop: full.next_hop,
            ..none()
        },
        PathAttributes {
            med: full.med,
            ..none()
        },
        PathAttributes {
            local_pref: full.local_pref,
            ..none()
        },
        PathAttributes {
            atomic_aggregate: full.atomic_aggregate,
            ..none()
        },
        PathAttributes {
            aggregator: full.aggregator,
            ..none()
        },
        PathAttributes {
            communities: full.communities.clone(),
            ..none()
        },
        PathAttributes {
            large_communities: full.large_communities.clone(),
            ..none()
        },
        PathAttributes {
            mp_reach: full.mp_reach.clone(),
            origin: full.origin,
            as_path: Some(AsPath::default()),
            ..none()
        },
        PathAttributes {
            mp_unreach: full.mp_unreach.clone(),
            ..none()
        },
        PathAttributes {
            unknown: full.unknown.clone(),
            ..none()
        },
    ]
}

/// An UPDATE with withdrawn routes (the default route among them), [`full_attributes`] and
/// IPv4 NLRI of several lengths.
pub fn update() -> Update {
    Update {
        withdrawn: vec![v4("10.9.0.0/16"), v4("0.0.0.0/0")],
        attributes: full_attributes(),
        nlri: vec![
            v4("10.10.0.0/24"),
            v4("10.20.0.0/20"),
            v4("192.0.2.0/25"),
            v4("192.0.2.1/32"),
        ],
        issues: vec![],
    }
}

/// 4-octet ASNs in AS_PATH and AGGREGATOR: toward a 2-octet peer they become AS_TRANS, with
/// AS4_PATH and AS4_AGGREGATOR carrying the real ones (RFC 6793).
pub fn as4_update() -> Update {
    Update {
        attributes: PathAttributes {
            origin: Some(Origin::Igp),
            as_path: Some(AsPath::sequence([133937, 64532, 4_200_000_000])),
            next_hop: Some(Ipv4Addr::new(169, 254, 0, 6)),
            aggregator: Some(Aggregator {
                asn: 133937,
                ip: Ipv4Addr::new(10, 0, 0, 1),
            }),
            ..Default::default()
        },
        nlri: vec![v4("10.20.0.0/16")],
        ..Default::default()
    }
}
