//! Splitting large UPDATEs into 4096-octet messages.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crosslink_bgp::wire::*;

const CTX: CodecContext = CodecContext {
    four_octet_as: true,
    ibgp: false,
};

fn v4_prefixes(n: u32, len: u8) -> Vec<Ipv4Net> {
    (0..n)
        .map(|i| {
            Ipv4Net::new(
                Ipv4Addr::from(0x0a00_0000u32.wrapping_add(i << (32 - u32::from(len)))),
                len,
            )
            .unwrap()
        })
        .collect()
}

fn v6_prefixes(n: u32) -> Vec<IpNet> {
    (0..n)
        .map(|i| {
            let a = Ipv6Addr::from((0x2001_0db8u128 << 96) | (u128::from(i) << 64));
            IpNet::V6(Ipv6Net::new(a, 64).unwrap())
        })
        .collect()
}

fn attrs() -> PathAttributes {
    PathAttributes {
        origin: Some(Origin::Igp),
        as_path: Some(AsPath::sequence([133937, 64532])),
        next_hop: Some(Ipv4Addr::new(169, 254, 0, 6)),
        communities: vec![1, 2, 3],
        ..Default::default()
    }
}

/// Decode every message, check sizes and that each carries attributes exactly when it
/// announces something.
fn decode_all(mut buf: &[u8]) -> Vec<Update> {
    let mut out = Vec::new();
    while !buf.is_empty() {
        let (m, n) = decode(buf, &CTX).unwrap().expect("complete message");
        assert!(n <= MAX_MESSAGE_LEN);
        let Message::Update(u) = m else {
            panic!("not an update")
        };
        assert!(u.issues.is_empty(), "{:?}", u.issues);
        out.push(u);
        buf = &buf[n..];
    }
    out
}

#[test]
fn ipv4_announcements_fill_messages() {
    let nlri = v4_prefixes(100_000, 24);
    let u = Update {
        attributes: attrs(),
        nlri: nlri.clone(),
        ..Default::default()
    };
    let mut buf = Vec::new();
    let count = encode_update_packed(&u, &CTX, &mut buf).unwrap();
    let msgs = decode_all(&buf);
    assert_eq!(msgs.len(), count);
    let got: Vec<Ipv4Net> = msgs.iter().flat_map(|m| m.nlri.iter().copied()).collect();
    assert_eq!(got, nlri);
    for m in &msgs {
        assert_eq!(m.attributes, attrs());
    }
    // Every message repeats the attributes; the rest holds /24s of 4 octets each.
    let attr_len = usize::from(u16::from_be_bytes([buf[21], buf[22]]));
    assert_eq!(attr_len, 4 + 13 + 7 + 15);
    let per = (MAX_MESSAGE_LEN - 23 - attr_len) / 4;
    assert_eq!(count, 100_000usize.div_ceil(per));
    // All but the last are full to within one prefix.
    let mut b = buf.as_slice();
    for _ in 0..count - 1 {
        let len = usize::from(u16::from_be_bytes([b[16], b[17]]));
        assert!(len > MAX_MESSAGE_LEN - 4, "{len}");
        b = &b[len..];
    }
}

#[test]
fn small_update_is_one_message() {
    let u = Update {
        withdrawn: v4_prefixes(3, 16),
        attributes: attrs(),
        nlri: v4_prefixes(10, 24),
        ..Default::default()
    };
    let mut buf = Vec::new();
    assert_eq!(encode_update_packed(&u, &CTX, &mut buf).unwrap(), 1);
    assert_eq!(decode_all(&buf), vec![u]);
}

#[test]
fn withdrawals_and_mixed_families() {
    let withdrawn = v4_prefixes(5000, 32);
    let mp_withdrawn = v6_prefixes(3000);
    let nlri = v4_prefixes(3000, 22);
    let mp_nlri = v6_prefixes(4000);
    let mut attributes = attrs();
    attributes.mp_reach = Some(MpReach {
        afi: Afi::Ipv6,
        safi: Safi::Unicast,
        next_hop: IpAddr::V6("2001:db8::6".parse().unwrap()),
        link_local_next_hop: Some("fe80::6".parse().unwrap()),
        nlri: mp_nlri.clone(),
    });
    attributes.mp_unreach = Some(MpUnreach {
        afi: Afi::Ipv6,
        safi: Safi::Unicast,
        withdrawn: mp_withdrawn.clone(),
    });
    let u = Update {
        withdrawn: withdrawn.clone(),
        attributes,
        nlri: nlri.clone(),
        ..Default::default()
    };
    let mut buf = vec![9, 9];
    let count = encode_update_packed(&u, &CTX, &mut buf).unwrap();
    assert_eq!(&buf[..2], &[9, 9], "appends");
    let msgs = decode_all(&buf[2..]);
    assert_eq!(msgs.len(), count);

    let all_w: Vec<_> = msgs
        .iter()
        .flat_map(|m| m.withdrawn.iter().copied())
        .collect();
    assert_eq!(all_w, withdrawn);
    let all_n: Vec<_> = msgs.iter().flat_map(|m| m.nlri.iter().copied()).collect();
    assert_eq!(all_n, nlri);
    let all_mw: Vec<_> = msgs
        .iter()
        .filter_map(|m| m.attributes.mp_unreach.as_ref())
        .flat_map(|x| x.withdrawn.iter().copied())
        .collect();
    assert_eq!(all_mw, mp_withdrawn);
    let all_mn: Vec<_> = msgs
        .iter()
        .filter_map(|m| m.attributes.mp_reach.as_ref())
        .flat_map(|x| x.nlri.iter().copied())
        .collect();
    assert_eq!(all_mn, mp_nlri);
    for m in &msgs {
        if let Some(r) = &m.attributes.mp_reach {
            assert_eq!(m.attributes.origin, Some(Origin::Igp));
            assert_eq!(r.link_local_next_hop, Some("fe80::6".parse().unwrap()));
            // RFC 4760 §3: no NEXT_HOP when only MP_REACH announces.
            assert_eq!(m.attributes.next_hop, None);
        }
        if !m.nlri.is_empty() {
            assert_eq!(m.attributes.next_hop, Some(Ipv4Addr::new(169, 254, 0, 6)));
        }
        if m.nlri.is_empty() && m.attributes.mp_reach.is_none() {
            assert_eq!(
                m.attributes.origin, None,
                "withdraw-only messages carry no path attributes"
            );
        }
    }
}

#[test]
fn attributes_too_large_for_any_message() {
    let mut attributes = attrs();
    attributes.unknown = vec![RawAttribute {
        flags: 0xc0,
        type_code: 99,
        value: vec![0; 4080],
    }];
    let u = Update {
        attributes,
        nlri: v4_prefixes(10, 24),
        ..Default::default()
    };
    let mut buf = vec![1];
    assert!(encode_update_packed(&u, &CTX, &mut buf).is_err());
    assert_eq!(buf, vec![1]);
    let u = Update { nlri: vec![], ..u };
    assert!(matches!(
        encode_update_packed(&u, &CTX, &mut buf),
        Err(EncodeError::TooLong { .. })
    ));
    assert_eq!(buf, vec![1]);
}
