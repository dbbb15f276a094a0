//! Differential tests against an independent codec, `netgauze-bgp-pkt`: what we encode it
//! decodes to the same content, and what it encodes we decode to the same content.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crosslink_bgp::wire::*;
use netgauze_bgp_pkt::capabilities::{
    BgpCapability, FourOctetAsCapability, MultiProtocolExtensionsCapability, UnrecognizedCapability,
};
use netgauze_bgp_pkt::community::{Community, LargeCommunity as NgLarge};
use netgauze_bgp_pkt::nlri::{Ipv4Unicast, Ipv4UnicastAddress, Ipv6Unicast, Ipv6UnicastAddress};
use netgauze_bgp_pkt::notification::{BgpNotificationMessage, CeaseError, OpenMessageError};
use netgauze_bgp_pkt::open::{BgpOpenMessage, BgpOpenMessageParameter};
use netgauze_bgp_pkt::path_attribute as pa;
use netgauze_bgp_pkt::route_refresh::BgpRouteRefreshMessage;
use netgauze_bgp_pkt::update::BgpUpdateMessage;
use netgauze_bgp_pkt::wire::deserializer::BgpParsingContext;
use netgauze_bgp_pkt::BgpMessage;
use netgauze_iana::address_family::{AddressFamily, AddressType, SubsequentAddressFamily};
use netgauze_parse_utils::reader::SliceReader;
use netgauze_parse_utils::traits::ParseFromWithOneInput;
use netgauze_parse_utils::WritablePdu;

#[path = "support/samples.rs"]
mod samples;

use samples::{net, IBGP, IBGP2};

fn ng_parse(bytes: &[u8], asn4: bool) -> BgpMessage {
    let mut ctx = BgpParsingContext::default();
    ctx.set_asn4(asn4);
    let mut r = SliceReader::new(bytes);
    let m = BgpMessage::parse(&mut r, &mut ctx)
        .unwrap_or_else(|e| panic!("netgauze rejects {bytes:02x?}: {e:?}"));
    m
}

fn ng_write<E: std::fmt::Debug, T: WritablePdu<E>>(x: &T) -> Vec<u8> {
    let mut out = Vec::new();
    x.write(&mut out).unwrap();
    out
}

fn address_type(afi: Afi, safi: Safi) -> AddressType {
    AddressType::from_afi_safi(
        AddressFamily::try_from(afi.code()).unwrap(),
        SubsequentAddressFamily::try_from(safi.code()).unwrap(),
    )
    .unwrap()
}

fn afi_safi(t: AddressType) -> (Afi, Safi) {
    (
        Afi::from(t.address_family() as u16),
        Safi::from(t.subsequent_address_family() as u8),
    )
}

// ---- netgauze → ours -------------------------------------------------------------------------

fn from_ng(m: &BgpMessage) -> Message {
    match m {
        BgpMessage::Open(o) => Message::Open(Open {
            version: o.version(),
            my_as: o.my_as(),
            hold_time: o.hold_time(),
            bgp_id: o.bgp_id(),
            capabilities: o.capabilities().into_iter().map(cap_from_ng).collect(),
        }),
        BgpMessage::Update(u) => Message::Update(update_from_ng(u)),
        BgpMessage::Notification(_) => {
            // Typed per code; compare through its own wire form.
            let b = ng_write(m);
            Message::Notification(Notification::new(b[19], b[20], b[21..].to_vec()))
        }
        BgpMessage::KeepAlive => Message::Keepalive,
        BgpMessage::RouteRefresh(r) => {
            let (afi, safi) = afi_safi(r.address_type());
            Message::RouteRefresh(RouteRefresh { afi, safi })
        }
    }
}

fn cap_from_ng(c: &BgpCapability) -> Capability {
    match c {
        BgpCapability::MultiProtocolExtensions(m) => {
            let (afi, safi) = afi_safi(m.address_type());
            Capability::Multiprotocol { afi, safi }
        }
        BgpCapability::RouteRefresh => Capability::RouteRefresh,
        BgpCapability::FourOctetAs(a) => Capability::FourOctetAs(a.asn4()),
        other => {
            let b = ng_write(other);
            Capability::Unknown {
                code: b[0],
                value: b[2..].to_vec(),
            }
        }
    }
}

fn v4_from_ng(a: &Ipv4UnicastAddress) -> Ipv4Net {
    assert_eq!(a.path_id(), None);
    a.network().address()
}

fn v6_from_ng(a: &Ipv6UnicastAddress) -> IpNet {
    IpNet::V6(a.network().address())
}

fn path_from_ng(p: &pa::AsPath) -> AsPath {
    let kind = |t: pa::AsPathSegmentType| match t {
        pa::AsPathSegmentType::AsSet => SegmentKind::Set,
        pa::AsPathSegmentType::AsSequence => SegmentKind::Sequence,
    };
    let segments = match p {
        pa::AsPath::As2PathSegments(s) => s
            .iter()
            .map(|s| AsPathSegment {
                kind: kind(s.segment_type()),
                asns: s.as_numbers().iter().map(|&a| u32::from(a)).collect(),
            })
            .collect(),
        pa::AsPath::As4PathSegments(s) => s
            .iter()
            .map(|s| AsPathSegment {
                kind: kind(s.segment_type()),
                asns: s.as_numbers().to_vec(),
            })
            .collect(),
    };
    AsPath { segments }
}

fn update_from_ng(u: &BgpUpdateMessage) -> Update {
    let mut a = PathAttributes::default();
    for attr in u.path_attributes() {
        match attr.value() {
            pa::PathAttributeValue::Origin(o) => {
                a.origin = Some(match *o as u8 {
                    0 => Origin::Igp,
                    1 => Origin::Egp,
                    _ => Origin::Incomplete,
                })
            }
            pa::PathAttributeValue::AsPath(p) => a.as_path = Some(path_from_ng(p)),
            pa::PathAttributeValue::NextHop(n) => a.next_hop = Some(n.next_hop()),
            pa::PathAttributeValue::MultiExitDiscriminator(m) => a.med = Some(m.metric()),
            pa::PathAttributeValue::LocalPreference(l) => a.local_pref = Some(l.metric()),
            pa::PathAttributeValue::AtomicAggregate(_) => a.atomic_aggregate = true,
            pa::PathAttributeValue::Aggregator(pa::Aggregator::As4Aggregator(g)) => {
                a.aggregator = Some(Aggregator {
                    asn: *g.asn(),
                    ip: g.origin(),
                })
            }
            pa::PathAttributeValue::Aggregator(pa::Aggregator::As2Aggregator(g)) => {
                a.aggregator = Some(Aggregator {
                    asn: u32::from(*g.asn()),
                    ip: g.origin(),
                })
            }
            pa::PathAttributeValue::Communities(c) => {
                a.communities = c.communities().iter().map(|c| c.value()).collect()
            }
            pa::PathAttributeValue::LargeCommunities(c) => {
                a.large_communities = c
                    .communities()
                    .iter()
                    .map(|c| LargeCommunity(c.global_admin(), c.local_data1(), c.local_data2()))
                    .collect()
            }
            pa::PathAttributeValue::MpReach(pa::MpReach::Ipv6Unicast {
                next_hop_global,
                next_hop_local,
                nlri,
            }) => {
                a.mp_reach = Some(MpReach {
                    afi: Afi::Ipv6,
                    safi: Safi::Unicast,
                    next_hop: IpAddr::V6(*next_hop_global),
                    link_local_next_hop: *next_hop_local,
                    nlri: nlri.iter().map(v6_from_ng).collect(),
                })
            }
            pa::PathAttributeValue::MpReach(pa::MpReach::Ipv4Unicast {
                next_hop,
                next_hop_local,
                nlri,
            }) => {
                a.mp_reach = Some(MpReach {
                    afi: Afi::Ipv4,
                    safi: Safi::Unicast,
                    next_hop: *next_hop,
                    link_local_next_hop: *next_hop_local,
                    nlri: nlri.iter().map(|n| IpNet::V4(v4_from_ng(n))).collect(),
                })
            }
            pa::PathAttributeValue::MpUnreach(pa::MpUnreach::Ipv6Unicast { nlri }) => {
                a.mp_unreach = Some(MpUnreach {
                    afi: Afi::Ipv6,
                    safi: Safi::Unicast,
                    withdrawn: nlri.iter().map(v6_from_ng).collect(),
                })
            }
            pa::PathAttributeValue::MpUnreach(pa::MpUnreach::Ipv4Unicast { nlri }) => {
                a.mp_unreach = Some(MpUnreach {
                    afi: Afi::Ipv4,
                    safi: Safi::Unicast,
                    withdrawn: nlri.iter().map(|n| IpNet::V4(v4_from_ng(n))).collect(),
                })
            }
            pa::PathAttributeValue::As4Path(_) => panic!("AS4_PATH is checked by its own tests"),
            // Anything else (extended communities, unknown codes): opaque, from its wire form.
            _ => {
                let b = ng_write(attr);
                let hdr = if b[0] & flags::EXTENDED_LENGTH != 0 {
                    4
                } else {
                    3
                };
                a.unknown.push(RawAttribute {
                    flags: b[0] & !flags::EXTENDED_LENGTH,
                    type_code: b[1],
                    value: b[hdr..].to_vec(),
                });
            }
        }
    }
    Update {
        withdrawn: u.withdraw_routes().iter().map(v4_from_ng).collect(),
        attributes: a,
        nlri: u.nlri().iter().map(v4_from_ng).collect(),
        issues: vec![],
    }
}

// ---- ours → netgauze -------------------------------------------------------------------------

fn to_ng(m: &Message, asn4: bool) -> BgpMessage {
    match m {
        Message::Open(o) => {
            let caps: Vec<BgpCapability> = o.capabilities.iter().map(cap_to_ng).collect();
            BgpMessage::Open(BgpOpenMessage::new(
                o.my_as,
                o.hold_time,
                o.bgp_id,
                vec![BgpOpenMessageParameter::new_capabilities(caps)],
            ))
        }
        Message::Update(u) => BgpMessage::Update(update_to_ng(u, asn4)),
        Message::Keepalive => BgpMessage::KeepAlive,
        Message::RouteRefresh(r) => BgpMessage::RouteRefresh(BgpRouteRefreshMessage::new(
            address_type(r.afi, r.safi),
            netgauze_bgp_pkt::iana::RouteRefreshSubcode::NormalRequest,
        )),
        Message::Notification(_) => unreachable!("notifications are built explicitly"),
    }
}

fn cap_to_ng(c: &Capability) -> BgpCapability {
    match c {
        Capability::Multiprotocol { afi, safi } => BgpCapability::MultiProtocolExtensions(
            MultiProtocolExtensionsCapability::new(address_type(*afi, *safi)),
        ),
        Capability::RouteRefresh => BgpCapability::RouteRefresh,
        Capability::FourOctetAs(a) => BgpCapability::FourOctetAs(FourOctetAsCapability::new(*a)),
        Capability::Unknown { code, value } => {
            BgpCapability::Unrecognized(UnrecognizedCapability::new(*code, value.clone()))
        }
    }
}

fn ng_v4(n: &Ipv4Net) -> Ipv4UnicastAddress {
    Ipv4UnicastAddress::new_no_path_id(Ipv4Unicast::from_net(*n).unwrap())
}

fn ng_v6(n: &IpNet) -> Ipv6UnicastAddress {
    let IpNet::V6(n) = n else {
        panic!("IPv6 expected")
    };
    Ipv6UnicastAddress::new(None, Ipv6Unicast::from_net(*n).unwrap())
}

fn ng_attr(
    optional: bool,
    transitive: bool,
    long: bool,
    v: pa::PathAttributeValue,
) -> pa::PathAttribute {
    pa::PathAttribute::from(optional, transitive, false, long, v).unwrap()
}

fn update_to_ng(u: &Update, asn4: bool) -> BgpUpdateMessage {
    use pa::PathAttributeValue as V;
    let a = &u.attributes;
    let mut out = Vec::new();
    if let Some(r) = &a.mp_reach {
        let long = r.nlri.len() > 10;
        let v = match (r.afi, r.next_hop) {
            (Afi::Ipv6, IpAddr::V6(g)) => pa::MpReach::Ipv6Unicast {
                next_hop_global: g,
                next_hop_local: r.link_local_next_hop,
                nlri: r.nlri.iter().map(ng_v6).collect(),
            },
            _ => pa::MpReach::Ipv4Unicast {
                next_hop: r.next_hop,
                next_hop_local: r.link_local_next_hop,
                nlri: r
                    .nlri
                    .iter()
                    .map(|n| match n {
                        IpNet::V4(n) => ng_v4(n),
                        IpNet::V6(_) => panic!("IPv4 expected"),
                    })
                    .collect(),
            },
        };
        out.push(ng_attr(true, false, long, V::MpReach(v)));
    }
    if let Some(w) = &a.mp_unreach {
        assert_eq!(w.afi, Afi::Ipv6);
        let v = pa::MpUnreach::Ipv6Unicast {
            nlri: w.withdrawn.iter().map(ng_v6).collect(),
        };
        out.push(ng_attr(
            true,
            false,
            w.withdrawn.len() > 10,
            V::MpUnreach(v),
        ));
    }
    if let Some(o) = a.origin {
        let o = match o {
            Origin::Igp => pa::Origin::IGP,
            Origin::Egp => pa::Origin::EGP,
            Origin::Incomplete => pa::Origin::Incomplete,
        };
        out.push(ng_attr(false, true, false, V::Origin(o)));
    }
    if let Some(p) = &a.as_path {
        let kind = |k: SegmentKind| match k {
            SegmentKind::Set => pa::AsPathSegmentType::AsSet,
            SegmentKind::Sequence => pa::AsPathSegmentType::AsSequence,
            _ => panic!("netgauze has no confederation segments"),
        };
        let v = if asn4 {
            pa::AsPath::as4_path_segments(
                p.segments
                    .iter()
                    .map(|s| pa::As4PathSegment::new(kind(s.kind), s.asns.clone()))
                    .collect::<Vec<_>>(),
            )
        } else {
            pa::AsPath::as2_path_segments(
                p.segments
                    .iter()
                    .map(|s| {
                        let asns: Vec<u16> =
                            s.asns.iter().map(|&x| u16::try_from(x).unwrap()).collect();
                        pa::As2PathSegment::new(kind(s.kind), asns)
                    })
                    .collect::<Vec<_>>(),
            )
        };
        out.push(ng_attr(false, true, false, V::AsPath(v)));
    }
    if let Some(nh) = a.next_hop {
        out.push(ng_attr(
            false,
            true,
            false,
            V::NextHop(pa::NextHop::new(nh)),
        ));
    }
    if let Some(m) = a.med {
        out.push(ng_attr(
            true,
            false,
            false,
            V::MultiExitDiscriminator(pa::MultiExitDiscriminator::new(m)),
        ));
    }
    if let Some(l) = a.local_pref {
        out.push(ng_attr(
            false,
            true,
            false,
            V::LocalPreference(pa::LocalPreference::new(l)),
        ));
    }
    if a.atomic_aggregate {
        out.push(ng_attr(
            false,
            true,
            false,
            V::AtomicAggregate(pa::AtomicAggregate),
        ));
    }
    if let Some(g) = a.aggregator {
        let v = if asn4 {
            pa::Aggregator::As4Aggregator(pa::As4Aggregator::new(g.asn, g.ip))
        } else {
            pa::Aggregator::As2Aggregator(pa::As2Aggregator::new(
                u16::try_from(g.asn).unwrap(),
                g.ip,
            ))
        };
        out.push(ng_attr(true, true, false, V::Aggregator(v)));
    }
    if !a.communities.is_empty() {
        let c: Vec<Community> = a.communities.iter().map(|&c| Community::new(c)).collect();
        out.push(ng_attr(
            true,
            true,
            c.len() > 60,
            V::Communities(pa::Communities::new(c)),
        ));
    }
    if !a.large_communities.is_empty() {
        let c: Vec<NgLarge> = a
            .large_communities
            .iter()
            .map(|l| NgLarge::new(l.0, l.1, l.2))
            .collect();
        out.push(ng_attr(
            true,
            true,
            c.len() > 20,
            V::LargeCommunities(pa::LargeCommunities::new(c)),
        ));
    }
    for r in &a.unknown {
        let v = V::UnknownAttribute(pa::UnknownAttribute::new(r.type_code, r.value.clone()));
        let partial = r.flags & flags::PARTIAL != 0;
        out.push(
            pa::PathAttribute::from(
                true,
                r.flags & flags::TRANSITIVE != 0,
                partial,
                r.value.len() > 255,
                v,
            )
            .unwrap(),
        );
    }
    BgpUpdateMessage::new(
        u.withdrawn.iter().map(ng_v4).collect::<Vec<_>>(),
        out,
        u.nlri.iter().map(ng_v4).collect::<Vec<_>>(),
    )
}

// ---- test data -------------------------------------------------------------------------------

/// [`samples::update`], for a 2-octet session when `asn4` is false: netgauze writes such
/// paths without AS4_PATH, so ASNs above 65535 are folded into 2 octets.
fn sample_update(asn4: bool) -> Update {
    let mut u = samples::update();
    if !asn4 {
        let fold = |x: &mut u32| *x = if *x > 0xffff { *x % 60000 + 1 } else { *x };
        let a = &mut u.attributes;
        for s in &mut a.as_path.as_mut().unwrap().segments {
            s.asns.iter_mut().for_each(fold);
        }
        fold(&mut a.aggregator.as_mut().unwrap().asn);
    }
    u
}

fn ours_then_theirs(m: &Message, ctx: &CodecContext) {
    let bytes = encode_to_vec(m, ctx).unwrap();
    let theirs = ng_parse(&bytes, ctx.four_octet_as);
    assert_eq!(&from_ng(&theirs), m);
}

fn theirs_then_ours(m: &Message, ctx: &CodecContext) {
    let bytes = ng_write(&to_ng(m, ctx.four_octet_as));
    let ours = decode_message(&bytes, ctx).unwrap();
    assert_eq!(&ours, m);
}

// ---- tests -----------------------------------------------------------------------------------

#[test]
fn open_both_ways() {
    let m = Message::Open(samples::open());
    ours_then_theirs(&m, &IBGP);
    theirs_then_ours(&m, &IBGP);
    let small = Message::Open(Open::new(
        64532,
        0,
        Ipv4Addr::new(169, 254, 0, 1),
        vec![Capability::RouteRefresh],
    ));
    ours_then_theirs(&small, &IBGP2);
    theirs_then_ours(&small, &IBGP2);
    // netgauze agrees on the real ASN behind AS_TRANS.
    let BgpMessage::Open(o) = ng_parse(&encode_to_vec(&m, &IBGP).unwrap(), true) else {
        panic!()
    };
    assert_eq!(o.my_asn4(), 133937);
    assert_eq!(o.my_as(), AS_TRANS);
}

#[test]
fn capabilities_netgauze_knows_and_we_do_not() {
    // Graceful restart, enhanced route refresh, extended next hop, FQDN: netgauze types them;
    // we keep them as unknown with identical bytes.
    let caps = [
        BgpCapability::EnhancedRouteRefresh,
        BgpCapability::CiscoRouteRefresh,
        BgpCapability::ExtendedMessage,
    ];
    let o = BgpMessage::Open(BgpOpenMessage::new(
        64532,
        240,
        Ipv4Addr::new(10, 0, 0, 1),
        vec![BgpOpenMessageParameter::new_capabilities(caps.to_vec())],
    ));
    let bytes = ng_write(&o);
    let Message::Open(ours) = decode_message(&bytes, &IBGP).unwrap() else {
        panic!()
    };
    assert_eq!(
        ours.capabilities,
        vec![
            Capability::Unknown {
                code: 70,
                value: vec![]
            },
            Capability::Unknown {
                code: 128,
                value: vec![]
            },
            Capability::Unknown {
                code: 6,
                value: vec![]
            },
        ]
    );
    assert_eq!(encode_to_vec(&Message::Open(ours), &IBGP).unwrap(), bytes);
}

#[test]
fn update_four_octet_both_ways() {
    let m = Message::Update(sample_update(true));
    ours_then_theirs(&m, &IBGP);
    theirs_then_ours(&m, &IBGP);
}

#[test]
fn update_two_octet_both_ways() {
    let m = Message::Update(sample_update(false));
    ours_then_theirs(&m, &IBGP2);
    theirs_then_ours(&m, &IBGP2);
}

#[test]
fn update_each_attribute_alone() {
    let full = samples::full_attributes();
    let mut cases = samples::each_attribute_alone(&full);
    cases.push(PathAttributes {
        mp_reach: full.mp_reach.clone(),
        origin: full.origin,
        as_path: full.as_path.clone(),
        ..Default::default()
    });
    // IPv6 next hop without link-local, and IPv4 unicast carried in MP_REACH.
    let mut r = full.mp_reach.clone().unwrap();
    r.link_local_next_hop = None;
    cases.push(PathAttributes {
        mp_reach: Some(r),
        origin: full.origin,
        as_path: Some(AsPath::default()),
        ..Default::default()
    });
    cases.push(PathAttributes {
        mp_reach: Some(MpReach {
            afi: Afi::Ipv4,
            safi: Safi::Unicast,
            next_hop: IpAddr::V4(Ipv4Addr::new(169, 254, 0, 1)),
            link_local_next_hop: None,
            nlri: vec![net("10.1.0.0/16")],
        }),
        origin: full.origin,
        as_path: Some(AsPath::default()),
        ..Default::default()
    });
    for attributes in cases {
        let m = Message::Update(Update {
            attributes,
            ..Default::default()
        });
        ours_then_theirs(&m, &IBGP);
        theirs_then_ours(&m, &IBGP);
    }
}

#[test]
fn update_with_many_prefixes() {
    let nlri: Vec<Ipv4Net> = (0..800u32)
        .map(|i| Ipv4Net::new(Ipv4Addr::from(0x0a00_0000 + (i << 8)), 24).unwrap())
        .collect();
    let mut u = sample_update(true);
    u.nlri = nlri;
    u.attributes.mp_reach.as_mut().unwrap().nlri = (0..40u128)
        .map(|i| {
            IpNet::V6(
                Ipv6Net::new(Ipv6Addr::from((0x2001_0db8u128 << 96) | (i << 80)), 48).unwrap(),
            )
        })
        .collect();
    u.attributes.communities = (0..100).collect();
    let m = Message::Update(u);
    ours_then_theirs(&m, &IBGP);
    theirs_then_ours(&m, &IBGP);
}

#[test]
fn packed_updates_all_parse_in_netgauze() {
    let mut u = sample_update(true);
    u.nlri = (0..5000u32)
        .map(|i| Ipv4Net::new(Ipv4Addr::from(0x0b00_0000 + (i << 8)), 24).unwrap())
        .collect();
    let mut buf = Vec::new();
    let n = encode_update_packed(&u, &IBGP, &mut buf).unwrap();
    let mut rest = buf.as_slice();
    let mut seen = 0;
    let mut nlri = Vec::new();
    while !rest.is_empty() {
        let len = usize::from(u16::from_be_bytes([rest[16], rest[17]]));
        let BgpMessage::Update(x) = ng_parse(&rest[..len], true) else {
            panic!()
        };
        nlri.extend(x.nlri().iter().map(v4_from_ng));
        rest = &rest[len..];
        seen += 1;
    }
    assert_eq!(seen, n);
    assert_eq!(nlri, u.nlri);
}

#[test]
fn as4_path_and_as4_aggregator_toward_a_two_octet_peer() {
    let u = samples::as4_update();
    let bytes = encode_to_vec(&Message::Update(u.clone()), &IBGP2).unwrap();
    let BgpMessage::Update(x) = ng_parse(&bytes, false) else {
        panic!()
    };
    let mut saw = 0;
    for attr in x.path_attributes() {
        match attr.value() {
            pa::PathAttributeValue::AsPath(p) => {
                assert_eq!(
                    path_from_ng(p),
                    AsPath::sequence([u32::from(AS_TRANS), 64532, u32::from(AS_TRANS)])
                );
                saw += 1;
            }
            pa::PathAttributeValue::As4Path(p) => {
                let s = &p.segments()[0];
                assert_eq!(s.as_numbers(), &[133937, 64532, 4_200_000_000]);
                assert!(attr.optional() && attr.transitive());
                saw += 1;
            }
            pa::PathAttributeValue::Aggregator(pa::Aggregator::As2Aggregator(g)) => {
                assert_eq!(*g.asn(), AS_TRANS);
                saw += 1;
            }
            pa::PathAttributeValue::UnknownAttribute(x) => {
                // netgauze carries AS4_AGGREGATOR opaquely.
                assert_eq!(x.code(), 18);
                assert_eq!(x.value(), &[0, 2, 0x0b, 0x31, 10, 0, 0, 1]);
                saw += 1;
            }
            _ => {}
        }
    }
    assert_eq!(saw, 4);
    // netgauze's bytes (as a 2-octet speaker would send them) merge back to the real path.
    assert_eq!(
        decode_message(&ng_write(&BgpMessage::Update(x)), &IBGP2).unwrap(),
        Message::Update(u)
    );
}

#[test]
fn notification_both_ways() {
    let cases = [
        BgpMessage::Notification(BgpNotificationMessage::OpenMessageError(
            OpenMessageError::BadPeerAs {
                value: vec![0xfc, 0x14].into(),
            },
        )),
        BgpMessage::Notification(BgpNotificationMessage::CeaseError(
            CeaseError::AdministrativeShutdown {
                value: b"\x04bye!".to_vec().into(),
            },
        )),
        BgpMessage::Notification(BgpNotificationMessage::CeaseError(
            CeaseError::MaximumNumberOfPrefixesReached {
                value: vec![].into(),
            },
        )),
    ];
    let expect = [
        ("OPEN Message Error / Bad Peer AS", 2, 2),
        ("Cease / Administrative Shutdown: \"bye!\"", 6, 2),
        ("Cease / Maximum Number of Prefixes Reached", 6, 1),
    ];
    for (theirs, (words, code, sub)) in cases.iter().zip(expect) {
        let bytes = ng_write(theirs);
        let Message::Notification(n) = decode_message(&bytes, &IBGP).unwrap() else {
            panic!()
        };
        assert_eq!(
            (n.code, n.subcode, n.describe().as_str()),
            (code, sub, words)
        );
        // And back: netgauze reads ours as the same typed notification.
        let back = ng_parse(
            &encode_to_vec(&Message::Notification(n), &IBGP).unwrap(),
            true,
        );
        assert_eq!(&back, theirs);
    }
    for (code, sub) in [(1u8, 2u8), (3, 11), (4, 0), (5, 1), (6, 7)] {
        let n = Message::Notification(Notification::new(code, sub, vec![1, 2]));
        ours_then_theirs(&n, &IBGP);
    }
}

#[test]
fn keepalive_and_route_refresh_both_ways() {
    for m in [
        Message::Keepalive,
        Message::RouteRefresh(RouteRefresh {
            afi: Afi::Ipv4,
            safi: Safi::Unicast,
        }),
        Message::RouteRefresh(RouteRefresh {
            afi: Afi::Ipv6,
            safi: Safi::Unicast,
        }),
    ] {
        ours_then_theirs(&m, &IBGP);
        theirs_then_ours(&m, &IBGP);
    }
}
