//! Many idle sessions in one process: 1,000 client speakers (one session each, no listener)
//! against one hub speaker with 1,000 passive peers, so 2,000 session ends and 1,001 speakers
//! share the process. Measures the resident memory they add.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use crosslink_bgp::speaker::{PeerConfig, Speaker, SpeakerConfig, State};

const SESSIONS: usize = 1000;

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

fn client_addr(i: usize) -> Ipv4Addr {
    Ipv4Addr::new(127, 1, 1 + (i / 200) as u8, 1 + (i % 200) as u8)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_idle_sessions_fit_in_little_memory() {
    let before = rss_kib();
    let hub_ip = Ipv4Addr::new(127, 1, 0, 1);
    let hub = Speaker::start(SpeakerConfig {
        asn: 65000,
        router_id: hub_ip,
        listen: Some(SocketAddr::new(IpAddr::V4(hub_ip), 0)),
        fib: false,
    })
    .await
    .unwrap();
    let port = hub.local_addr().unwrap().port();
    let mut clients = Vec::with_capacity(SESSIONS);
    for i in 0..SESSIONS {
        let me = client_addr(i);
        let asn = 64512 + i as u32;
        hub.add_peer(PeerConfig {
            passive: true,
            ..PeerConfig::new(IpAddr::V4(me), asn)
        })
        .await
        .unwrap();
        let c = Speaker::start(SpeakerConfig {
            asn,
            router_id: me,
            listen: None,
            fib: false,
        })
        .await
        .unwrap();
        c.add_peer(PeerConfig {
            local_address: Some(IpAddr::V4(me)),
            port,
            connect_retry: Duration::from_secs(1),
            ..PeerConfig::new(IpAddr::V4(hub_ip), 65000)
        })
        .await
        .unwrap();
        clients.push(c);
    }
    let started = Instant::now();
    let deadline = started + Duration::from_secs(120);
    loop {
        let up = hub
            .peers()
            .await
            .iter()
            .filter(|p| p.state == State::Established)
            .count();
        if up == SESSIONS {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {up} of {SESSIONS} sessions Established"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let took = started.elapsed();
    let used = rss_kib().saturating_sub(before);
    println!(
        "{SESSIONS} sessions ({} session ends, {} speakers) Established in {took:.2?}; RSS grew by {} MiB",
        2 * SESSIONS,
        SESSIONS + 1,
        used / 1024
    );
    for c in &clients {
        assert_eq!(c.peers().await[0].state, State::Established);
    }
    assert!(
        used < 128 * 1024,
        "{} MiB for {SESSIONS} idle sessions",
        used / 1024
    );
    for c in clients {
        c.shutdown().await;
    }
    hub.shutdown().await;
}
