//! Speaker behaviour through the transport seam: speakers on an in-memory network
//! (`MemoryNet`, `tokio::io::duplex` pipes) with tokio's clock paused, so timers run in
//! virtual time and nothing touches a socket.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crosslink_bgp::speaker::{
    Announce, Md5Key, PeerConfig, PeerStatus, Speaker, SpeakerConfig, State,
};
use crosslink_bgp::transport::memory::MemoryNet;
use crosslink_bgp::wire::{self, Capability, CodecContext, IpNet, Message, Open};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn net(s: &str) -> IpNet {
    s.parse().unwrap()
}

async fn speaker(net: &MemoryNet, asn: u32, addr: &str) -> Speaker {
    let cfg = SpeakerConfig {
        asn,
        router_id: addr.parse().unwrap(),
        listen: Some(SocketAddr::new(ip(addr), 179)),
        fib: false,
    };
    Speaker::start_with(cfg, net.host(ip(addr))).await.unwrap()
}

fn peer(address: &str, remote_asn: u32) -> PeerConfig {
    let mut p = PeerConfig::new(ip(address), remote_asn);
    p.hold_time = 9;
    p.connect_retry = Duration::from_secs(1);
    p
}

fn passive(mut p: PeerConfig) -> PeerConfig {
    p.passive = true;
    p
}

fn keyed(mut p: PeerConfig, key: &str) -> PeerConfig {
    p.password = Some(Md5Key::new(key).unwrap());
    p
}

/// `sp`'s status of the peer at `addr` once `ok` holds (virtual time: 60 s at most).
async fn until(
    sp: &Speaker,
    addr: &str,
    what: &str,
    ok: impl Fn(&PeerStatus) -> bool,
) -> PeerStatus {
    let mut last = None;
    for _ in 0..600 {
        if let Some(s) = sp.peers().await.into_iter().find(|p| p.address == ip(addr)) {
            if ok(&s) {
                return s;
            }
            last = Some(s);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("peer {addr}: no {what}; last status {last:#?}");
}

async fn established(sp: &Speaker, addr: &str) -> PeerStatus {
    until(sp, addr, "Established", |s| s.state == State::Established).await
}

async fn route_from(sp: &Speaker, prefix: &str) -> Option<crosslink_bgp::speaker::Route> {
    sp.loc_rib()
        .await
        .into_iter()
        .find(|r| r.prefix == net(prefix) && r.best)
}

/// Two speakers with MD5 on both ends: A listens, B connects.
async fn pair(net: &MemoryNet) -> (Speaker, Speaker) {
    let a = speaker(net, 65001, "10.0.0.1").await;
    let b = speaker(net, 65002, "10.0.0.2").await;
    a.add_peer(keyed(passive(peer("10.0.0.2", 65002)), "k"))
        .await
        .unwrap();
    b.add_peer(keyed(peer("10.0.0.1", 65001), "k"))
        .await
        .unwrap();
    established(&a, "10.0.0.2").await;
    established(&b, "10.0.0.1").await;
    (a, b)
}

/// An established pair, A announcing 192.0.2.0/24 and B 198.51.100.0/24.
async fn announcing_pair(net: &MemoryNet) -> (Speaker, Speaker) {
    let (a, b) = pair(net).await;
    a.announce(self::net("192.0.2.0/24"), Announce::default())
        .await
        .unwrap();
    b.announce(self::net("198.51.100.0/24"), Announce::default())
        .await
        .unwrap();
    (a, b)
}

#[tokio::test(start_paused = true)]
async fn establish_and_exchange_routes() {
    let net = MemoryNet::new();
    let (a, b) = announcing_pair(&net).await;
    let sa = until(&a, "10.0.0.2", "route", |s| s.prefixes_accepted == 1).await;
    assert_eq!(sa.prefixes_advertised, 1);
    assert_eq!(sa.remote_id, Some("10.0.0.2".parse().unwrap()));
    until(&b, "10.0.0.1", "route", |s| s.prefixes_accepted == 1).await;
    let r = route_from(&b, "192.0.2.0/24")
        .await
        .expect("B learned A's route");
    assert_eq!(r.as_path, vec![65001]);
    assert_eq!(r.next_hop, Some(ip("10.0.0.1")));
    assert_eq!(r.from_peer, Some(ip("10.0.0.1")));
    let r = route_from(&a, "198.51.100.0/24")
        .await
        .expect("A learned B's route");
    assert_eq!(r.as_path, vec![65002]);
    assert_eq!(r.next_hop, Some(ip("10.0.0.2")));
}

#[tokio::test(start_paused = true)]
async fn removing_a_peer_withdraws_its_routes_on_both_sides() {
    let net = MemoryNet::new();
    let (a, b) = announcing_pair(&net).await;
    until(&a, "10.0.0.2", "route", |s| s.prefixes_accepted == 1).await;
    until(&b, "10.0.0.1", "route", |s| s.prefixes_accepted == 1).await;
    a.remove_peer(ip("10.0.0.2")).await.unwrap();
    assert!(route_from(&a, "198.51.100.0/24").await.is_none());
    let s = until(&b, "10.0.0.1", "session down", |s| {
        s.state != State::Established
    })
    .await;
    assert_eq!(s.prefixes_accepted, 0);
    let e = s.last_error.unwrap_or_default();
    assert!(e.contains("peer de-configured"), "{e}");
    assert!(route_from(&b, "192.0.2.0/24").await.is_none());
}

#[tokio::test(start_paused = true)]
async fn bad_peer_as_names_both_numbers() {
    let net = MemoryNet::new();
    let a = speaker(&net, 65001, "10.0.0.1").await;
    let b = speaker(&net, 65002, "10.0.0.2").await;
    a.add_peer(passive(peer("10.0.0.2", 65009))).await.unwrap();
    b.add_peer(peer("10.0.0.1", 65001)).await.unwrap();
    let s = until(&a, "10.0.0.2", "error", |s| s.last_error.is_some()).await;
    assert_eq!(
        s.last_error.as_deref(),
        Some("OPEN: bad peer AS: expected 65009, peer sent 65002")
    );
    let s = until(&b, "10.0.0.1", "error", |s| s.last_error.is_some()).await;
    let e = s.last_error.unwrap();
    assert!(e.contains("NOTIFICATION OPEN: bad peer AS"), "{e}");
    assert_eq!(s.established_count, 0);
}

#[tokio::test(start_paused = true)]
async fn wrong_md5_key_is_silence() {
    let net = MemoryNet::new();
    let a = speaker(&net, 65001, "10.0.0.1").await;
    let b = speaker(&net, 65002, "10.0.0.2").await;
    a.add_peer(keyed(passive(peer("10.0.0.2", 65002)), "right"))
        .await
        .unwrap();
    b.add_peer(keyed(peer("10.0.0.1", 65001), "wrong"))
        .await
        .unwrap();
    let s = until(&b, "10.0.0.1", "error", |s| s.last_error.is_some()).await;
    let e = s.last_error.unwrap();
    assert!(e.contains("no answer"), "{e}");
    assert_ne!(s.state, State::Established);
}

/// Per-session local ASN: B is AS 65002 but says 64999 to A, in its OPEN and its AS_PATH.
#[tokio::test(start_paused = true)]
async fn per_session_local_asn() {
    let net = MemoryNet::new();
    let a = speaker(&net, 65001, "10.0.0.1").await;
    let b = speaker(&net, 65002, "10.0.0.2").await;
    a.add_peer(passive(peer("10.0.0.2", 64999))).await.unwrap();
    let mut p = peer("10.0.0.1", 65001);
    p.local_asn = Some(64999);
    b.add_peer(p).await.unwrap();
    established(&a, "10.0.0.2").await;
    b.announce(self::net("198.51.100.0/24"), Announce::default())
        .await
        .unwrap();
    until(&a, "10.0.0.2", "route", |s| s.prefixes_accepted == 1).await;
    let r = route_from(&a, "198.51.100.0/24").await.unwrap();
    assert_eq!(r.as_path, vec![64999]);
}

/// Several listen addresses, each with every peer's key.
#[tokio::test(start_paused = true)]
async fn keys_on_every_listen_address() {
    let net = MemoryNet::new();
    let a = speaker(&net, 65001, "10.0.0.1").await;
    let second = a
        .add_listen(SocketAddr::new(ip("10.0.1.1"), 179))
        .await
        .unwrap();
    assert_eq!(second, SocketAddr::new(ip("10.0.1.1"), 179));
    let b = speaker(&net, 65002, "10.0.0.2").await;
    let c = speaker(&net, 65003, "10.0.1.2").await;
    a.add_peer(keyed(passive(peer("10.0.0.2", 65002)), "kb"))
        .await
        .unwrap();
    a.add_peer(keyed(passive(peer("10.0.1.2", 65003)), "kc"))
        .await
        .unwrap();
    b.add_peer(keyed(peer("10.0.0.1", 65001), "kb"))
        .await
        .unwrap();
    // C reaches A on its second address.
    c.add_peer(keyed(peer("10.0.1.1", 65001), "kc"))
        .await
        .unwrap();
    established(&a, "10.0.0.2").await;
    let s = established(&a, "10.0.1.2").await;
    assert_eq!(s.local_addr, Some(second));
}

/// Both ends connect at once: the connection opened by the higher BGP identifier survives
/// (RFC 4271 6.8), and each side is Established once.
#[tokio::test(start_paused = true)]
async fn collision_keeps_the_higher_identifiers_connection() {
    let net = MemoryNet::new();
    let a = speaker(&net, 65001, "10.0.0.1").await;
    let b = speaker(&net, 65002, "10.0.0.2").await;
    a.add_peer(peer("10.0.0.2", 65002)).await.unwrap();
    b.add_peer(peer("10.0.0.1", 65001)).await.unwrap();
    established(&a, "10.0.0.2").await;
    established(&b, "10.0.0.1").await;
    tokio::time::sleep(Duration::from_secs(30)).await;
    let sa = established(&a, "10.0.0.2").await;
    let sb = established(&b, "10.0.0.1").await;
    assert_eq!((sa.established_count, sb.established_count), (1, 1));
    // B (10.0.0.2) has the higher identifier: its outbound connection is kept, so B's end
    // is an ephemeral port and A's end is its listener.
    assert_eq!(sa.local_addr.unwrap().port(), 179);
    assert_ne!(sb.local_addr.unwrap().port(), 179);
}

/// A peer that goes silent after the OPEN exchange: the hold timer (3 s) expires, A sends
/// NOTIFICATION 4/0 and says so.
#[tokio::test(start_paused = true)]
async fn hold_timer_expiry() {
    let net = MemoryNet::new();
    let a = speaker(&net, 65001, "10.0.0.1").await;
    let mut p = passive(peer("10.0.0.9", 65009));
    p.hold_time = 3;
    a.add_peer(p).await.unwrap();
    let dial = crosslink_bgp::transport::Dial {
        peer: SocketAddr::new(ip("10.0.0.1"), 179),
        local: None,
        md5: None,
        ttl: None,
        timeout: Duration::from_secs(1),
    };
    let mut io = net
        .host(ip("10.0.0.9"))
        .connect(dial)
        .await
        .unwrap()
        .into_io();
    let ctx = CodecContext::default();
    let open = Open::new(
        65009,
        3,
        "10.0.0.9".parse().unwrap(),
        Capability::UNICAST_AND_REFRESH.to_vec(),
    );
    for m in [Message::Open(open), Message::Keepalive] {
        io.write_all(&wire::encode_to_vec(&m, &ctx).unwrap())
            .await
            .unwrap();
    }
    established(&a, "10.0.0.9").await;
    let started = tokio::time::Instant::now();
    // Read (A's KEEPALIVEs, then its NOTIFICATION), never answer.
    let mut buf = Vec::new();
    let notification = loop {
        let mut chunk = [0u8; 4096];
        let n = io.read(&mut chunk).await.unwrap();
        assert!(n > 0, "closed without a NOTIFICATION");
        buf.extend_from_slice(&chunk[..n]);
        let mut found = None;
        while let Some((m, used)) = wire::decode(&buf, &ctx).unwrap() {
            buf.drain(..used);
            if let Message::Notification(n) = m {
                found = Some(n);
            }
        }
        if let Some(n) = found {
            break n;
        }
    };
    assert_eq!((notification.code, notification.subcode), (4, 0));
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(2) && waited <= Duration::from_secs(4),
        "{waited:?}"
    );
    let s = until(&a, "10.0.0.9", "down", |s| s.state != State::Established).await;
    let e = s.last_error.unwrap_or_default();
    assert!(e.contains("hold timer expired"), "{e}");
}
