//! Throughput figures for the codec (not a pass/fail test). Run in release:
//! `cargo test -p crosslink-bgp --release --test codec_bench -- --ignored --nocapture`

use std::hint::black_box;
use std::net::Ipv4Addr;
use std::time::Instant;

use crosslink_bgp::wire::*;

const CTX: CodecContext = CodecContext {
    four_octet_as: true,
    ibgp: false,
};

fn update(n: u32) -> Update {
    Update {
        attributes: PathAttributes {
            origin: Some(Origin::Igp),
            as_path: Some(AsPath::sequence([133937, 64532])),
            next_hop: Some(Ipv4Addr::new(169, 254, 0, 6)),
            med: Some(0),
            communities: vec![(64532 << 16) | 100],
            ..Default::default()
        },
        nlri: (0..n)
            .map(|i| Ipv4Net::new(Ipv4Addr::from(0x0a00_0000 + (i << 8)), 24).unwrap())
            .collect(),
        ..Default::default()
    }
}

fn decode_all(mut buf: &[u8]) -> usize {
    let mut prefixes = 0;
    while let Some((m, used)) = decode(buf, &CTX).unwrap() {
        if let Message::Update(u) = m {
            prefixes += u.nlri.len();
        }
        buf = &buf[used..];
    }
    prefixes
}

#[test]
#[ignore = "benchmark: run explicitly in release"]
fn throughput() {
    // 1000 prefixes: decode (2 messages) + encode again, repeated.
    let u = update(1000);
    let mut wire = Vec::new();
    let n = encode_update_packed(&u, &CTX, &mut wire).unwrap();
    let rounds = 20_000;
    let mut out = Vec::with_capacity(8192);
    let t = Instant::now();
    for _ in 0..rounds {
        let mut rest = wire.as_slice();
        while let Some((m, used)) = decode(rest, &CTX).unwrap() {
            let Message::Update(m) = m else {
                unreachable!()
            };
            out.clear();
            encode_update_packed(black_box(&m), &CTX, &mut out).unwrap();
            rest = &rest[used..];
        }
    }
    let per = t.elapsed() / rounds;
    println!(
        "UPDATE with 1000 /24 ({} octets, {n} message): decode+encode {per:?} per round",
        wire.len()
    );

    // 1M prefixes: pack, then decode everything.
    let big = update(1_000_000);
    let t = Instant::now();
    let mut wire = Vec::new();
    let msgs = encode_update_packed(&big, &CTX, &mut wire).unwrap();
    let enc = t.elapsed();
    let t = Instant::now();
    assert_eq!(decode_all(&wire), 1_000_000);
    let dec = t.elapsed();
    println!(
        "1,000,000 /24: encode {enc:?} ({msgs} UPDATEs, {} MB), decode {dec:?}",
        wire.len() / 1_000_000
    );
}
