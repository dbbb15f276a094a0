//! Prefixes pushed through a speaker in the middle (feeder → transit → monitor) over real TCP on
//! loopback, timed. The small run is part of the suite; the 1M run is opt-in:
//! `cargo test -p crosslink-bgp --test speaker_throughput -- --ignored --nocapture`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use crosslink_bgp::speaker::{Announce, IpNet, PeerConfig, Speaker, SpeakerConfig, State};
use crosslink_bgp::wire::Ipv4Net;

async fn speaker(asn: u32, addr: Ipv4Addr) -> Speaker {
    Speaker::start(SpeakerConfig {
        asn,
        router_id: addr,
        listen: Some(SocketAddr::new(IpAddr::V4(addr), 0)),
        fib: false,
    })
    .await
    .unwrap()
}

fn peer(me: &Speaker, other: &Speaker, remote_asn: u32, passive: bool) -> PeerConfig {
    let theirs = other.local_addr().unwrap();
    PeerConfig {
        local_address: Some(me.local_addr().unwrap().ip()),
        port: theirs.port(),
        passive,
        connect_retry: Duration::from_secs(1),
        ..PeerConfig::new(theirs.ip(), remote_asn)
    }
}

/// Polls the peer table until `cond` holds for `other`'s entry (cheap, unlike a Loc-RIB dump).
async fn until(
    sp: &Speaker,
    other: &Speaker,
    timeout: Duration,
    what: &str,
    cond: impl Fn(&crosslink_bgp::speaker::PeerStatus) -> bool,
) {
    let addr = other.local_addr().unwrap().ip();
    let deadline = Instant::now() + timeout;
    loop {
        let peers = sp.peers().await;
        let s = peers.iter().find(|p| p.address == addr).unwrap();
        if cond(s) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {s:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn run(n: u32, octet: u8) {
    let feeder = speaker(65001, Ipv4Addr::new(127, 0, octet, 1)).await;
    let transit = speaker(65000, Ipv4Addr::new(127, 0, octet, 6)).await;
    let monitor = speaker(65002, Ipv4Addr::new(127, 0, octet, 2)).await;
    transit
        .add_peer(peer(&transit, &feeder, 65001, true))
        .await
        .unwrap();
    transit
        .add_peer(peer(&transit, &monitor, 65002, true))
        .await
        .unwrap();
    feeder
        .add_peer(peer(&feeder, &transit, 65000, false))
        .await
        .unwrap();
    monitor
        .add_peer(peer(&monitor, &transit, 65000, false))
        .await
        .unwrap();
    let timeout = Duration::from_secs(30 + u64::from(n / 5000));
    until(&monitor, &transit, timeout, "Established", |s| {
        s.state == State::Established
    })
    .await;
    until(&feeder, &transit, timeout, "Established", |s| {
        s.state == State::Established
    })
    .await;

    // n unique /32s from 11.0.0.0.
    let prefixes: Vec<IpNet> = (0..n)
        .map(|i| IpNet::V4(Ipv4Net::new(Ipv4Addr::from(0x0b00_0000 + i), 32).unwrap()))
        .collect();
    let started = Instant::now();
    feeder
        .announce_many(prefixes.clone(), Announce::default())
        .await
        .unwrap();
    until(&monitor, &transit, timeout, "all prefixes", |s| {
        s.prefixes_accepted == u64::from(n)
    })
    .await;
    let up = started.elapsed();
    let t = transit.peers().await;
    assert!(t.iter().all(|s| s.state == State::Established));
    let from_feeder = t.iter().find(|s| s.prefixes_received > 0).unwrap();
    assert_eq!(from_feeder.prefixes_accepted, u64::from(n));
    let to_monitor = t.iter().find(|s| s.prefixes_advertised > 0).unwrap();
    assert_eq!(to_monitor.prefixes_advertised, u64::from(n));

    let started = Instant::now();
    feeder.withdraw_many(prefixes).await.unwrap();
    until(&monitor, &transit, timeout, "all withdrawn", |s| {
        s.prefixes_received == 0
    })
    .await;
    let down = started.elapsed();
    let rate = |d: Duration| f64::from(n) / d.as_secs_f64();
    println!(
        "{n} prefixes feeder -> transit -> monitor: announced in {up:.2?} ({:.0}/s), withdrawn in {down:.2?} ({:.0}/s)",
        rate(up),
        rate(down)
    );
    for s in [feeder, transit, monitor] {
        s.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_thousand_prefixes_through_a_transit_speaker() {
    run(20_000, 13).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "takes a while in a debug build; run with --ignored"]
async fn one_million_prefixes_through_a_transit_speaker() {
    run(1_000_000, 14).await;
}
