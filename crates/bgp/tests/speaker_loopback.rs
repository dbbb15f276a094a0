//! Speakers talking real BGP over real TCP on loopback (127.0.0.0/8 addresses are all local on
//! Linux, so each speaker binds its own address; no root, no namespaces). Every test uses its
//! own 127.0.N.0/24 so tests can run in parallel, and waits on speaker events with a deadline
//! rather than sleeping.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use crosslink_bgp::policy::{MaxPrefix, PrefixList};
use crosslink_bgp::speaker::{
    Announce, IpNet, Md5Key, PeerConfig, PeerStatus, Route, Speaker, SpeakerConfig, State,
};
use tokio::sync::broadcast::error::RecvError;

const WAIT: Duration = Duration::from_secs(15);

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn net(s: &str) -> IpNet {
    s.parse().unwrap()
}

async fn speaker(asn: u32, addr: &str) -> Speaker {
    let addr = ip(addr);
    let IpAddr::V4(router_id) = addr else {
        unreachable!()
    };
    Speaker::start(SpeakerConfig {
        asn,
        router_id,
        listen: Some(SocketAddr::new(addr, 0)),
        fib: false,
    })
    .await
    .unwrap()
}

/// `me`'s view of `other`: connect from `me`'s address to `other`'s listener.
fn peer(me: &Speaker, other: &Speaker, remote_asn: u32) -> PeerConfig {
    let theirs = other.local_addr().unwrap();
    PeerConfig {
        local_address: Some(me.local_addr().unwrap().ip()),
        port: theirs.port(),
        hold_time: 9,
        connect_retry: Duration::from_secs(1),
        ..PeerConfig::new(theirs.ip(), remote_asn)
    }
}

fn passive(mut p: PeerConfig) -> PeerConfig {
    p.passive = true;
    p
}

/// Waits until `cond` holds on the speaker's state, re-checking after every event.
async fn until<T>(
    sp: &Speaker,
    what: &str,
    mut cond: impl FnMut(&[PeerStatus], &[Route]) -> Option<T>,
) -> T {
    let mut events = sp.subscribe();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (peers, rib) = (sp.peers().await, sp.loc_rib().await);
        if let Some(v) = cond(&peers, &rib) {
            return v;
        }
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Ok(_)) | Ok(Err(RecvError::Lagged(_))) => {}
            Ok(Err(RecvError::Closed)) => panic!("speaker stopped while waiting for {what}"),
            Err(_) => panic!("timed out waiting for {what}; peers: {peers:#?}; rib: {rib:#?}"),
        }
    }
}

fn status<'a>(peers: &'a [PeerStatus], addr: &Speaker) -> &'a PeerStatus {
    let a = addr.local_addr().unwrap().ip();
    peers
        .iter()
        .find(|p| p.address == a)
        .expect("peer configured")
}

async fn established(sp: &Speaker, other: &Speaker) -> PeerStatus {
    until(sp, "Established", |peers, _| {
        let s = status(peers, other);
        (s.state == State::Established).then(|| s.clone())
    })
    .await
}

async fn route_to(sp: &Speaker, prefix: &str) -> Route {
    let p = net(prefix);
    until(sp, &format!("route {prefix}"), |_, rib| {
        rib.iter().find(|r| r.prefix == p && r.best).cloned()
    })
    .await
}

async fn no_route(sp: &Speaker, prefix: &str) {
    let p = net(prefix);
    until(sp, &format!("withdrawal of {prefix}"), |_, rib| {
        (!rib.iter().any(|r| r.prefix == p)).then_some(())
    })
    .await
}

async fn error_with(sp: &Speaker, other: &Speaker, text: &str) -> PeerStatus {
    until(
        sp,
        &format!("last error containing {text:?}"),
        |peers, _| {
            let s = status(peers, other);
            s.last_error
                .as_deref()
                .is_some_and(|e| e.contains(text))
                .then(|| s.clone())
        },
    )
    .await
}

async fn pair(n: u8, key_a: Option<&str>, key_b: Option<&str>) -> (Speaker, Speaker) {
    let a = speaker(65001, &format!("127.0.{n}.1")).await;
    let b = speaker(65002, &format!("127.0.{n}.2")).await;
    let key = |k: Option<&str>| k.map(|k| Md5Key::new(k).unwrap());
    let mut pa = peer(&a, &b, 65002);
    pa.password = key(key_a);
    let mut pb = passive(peer(&b, &a, 65001));
    pb.password = key(key_b);
    a.add_peer(pa).await.unwrap();
    b.add_peer(pb).await.unwrap();
    (a, b)
}

async fn exchange_routes(a: &Speaker, b: &Speaker) {
    let sa = established(a, b).await;
    established(b, a).await;
    assert_eq!(sa.established_count, 1);
    assert!(sa.uptime.is_some());
    let IpAddr::V4(b_id) = b.local_addr().unwrap().ip() else {
        unreachable!()
    };
    assert_eq!(sa.remote_id, Some(b_id));

    a.announce(
        net("10.1.0.0/16"),
        Announce {
            med: Some(5),
            communities: vec![(65001 << 16) | 7],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    b.announce(net("10.2.0.0/16"), Announce::default())
        .await
        .unwrap();
    // IPv6 over an IPv4 session needs an IPv6 next hop: given explicitly.
    b.announce(
        net("2001:db8:b::/48"),
        Announce {
            next_hop: Some(ip("2001:db8::2")),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    let r = route_to(b, "10.1.0.0/16").await;
    assert_eq!(r.as_path, vec![65001]);
    assert_eq!(r.next_hop, Some(a.local_addr().unwrap().ip()));
    assert_eq!(r.from_peer, Some(a.local_addr().unwrap().ip()));
    assert_eq!(r.med, Some(5), "MED of our own route goes to eBGP peers");
    assert_eq!(r.local_pref, None, "no LOCAL_PREF across eBGP");
    assert_eq!(r.communities, vec![(65001 << 16) | 7]);

    let r = route_to(a, "10.2.0.0/16").await;
    assert_eq!(r.as_path, vec![65002]);
    let r6 = route_to(a, "2001:db8:b::/48").await;
    assert_eq!(r6.next_hop, Some(ip("2001:db8::2")));
    assert_eq!(r6.as_path, vec![65002]);

    let s = until(a, "counts", |peers, _| {
        let s = status(peers, b);
        (s.prefixes_received == 2 && s.prefixes_advertised == 1).then(|| s.clone())
    })
    .await;
    assert_eq!(s.prefixes_accepted, 2);
    assert_eq!(a.adj_rib_in(b.local_addr().unwrap().ip()).await.len(), 2);
    let out = a.adj_rib_out(b.local_addr().unwrap().ip()).await;
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].as_path, vec![65001], "our AS prepended toward eBGP");

    a.withdraw(net("10.1.0.0/16")).await.unwrap();
    b.withdraw(net("2001:db8:b::/48")).await.unwrap();
    no_route(b, "10.1.0.0/16").await;
    no_route(a, "2001:db8:b::/48").await;
    route_to(a, "10.2.0.0/16").await;
}

#[tokio::test]
async fn two_speakers_exchange_and_withdraw_routes() {
    let (a, b) = pair(1, None, None).await;
    exchange_routes(&a, &b).await;
    a.clone().shutdown().await;
    error_with(&b, &a, "administrative shutdown").await;
    no_route(&b, "10.1.0.0/16").await;
    b.shutdown().await;
}

#[tokio::test]
async fn two_speakers_with_md5() {
    let (a, b) = pair(2, Some("s3cret"), Some("s3cret")).await;
    exchange_routes(&a, &b).await;
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn wrong_password_stays_down_as_no_tcp_answer() {
    let (a, b) = pair(3, Some("right"), Some("wrong")).await;
    let s = error_with(&a, &b, "no answer to TCP connect").await;
    assert_ne!(s.state, State::Established);
    assert_eq!(s.established_count, 0);
    let sb = b.peers().await;
    assert_eq!(sb[0].established_count, 0);
    // The password never shows up in what we report.
    assert!(!format!("{s:?}{sb:?}").contains("right"));
    assert!(!format!("{s:?}{sb:?}").contains("wrong"));
    // Fixing the password on B brings the session up.
    let mut pb = passive(peer(&b, &a, 65001));
    pb.password = Some(Md5Key::new("right").unwrap());
    b.update_peer(pb).await.unwrap();
    established(&a, &b).await;
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn wrong_remote_as_is_an_open_error_in_words() {
    let a = speaker(65001, "127.0.4.1").await;
    let b = speaker(65002, "127.0.4.2").await;
    a.add_peer(peer(&a, &b, 65000)).await.unwrap();
    b.add_peer(passive(peer(&b, &a, 65001))).await.unwrap();
    let s = error_with(&a, &b, "OPEN: bad peer AS").await;
    assert_eq!(
        s.last_error.as_deref(),
        Some("OPEN: bad peer AS: expected 65000, peer sent 65002")
    );
    let s = error_with(&b, &a, "peer sent NOTIFICATION OPEN: bad peer AS").await;
    assert_eq!(s.established_count, 0);
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn remove_peer_sends_cease_peer_deconfigured() {
    let (a, b) = pair(5, None, None).await;
    established(&b, &a).await;
    a.announce(net("10.5.0.0/16"), Announce::default())
        .await
        .unwrap();
    route_to(&b, "10.5.0.0/16").await;
    a.remove_peer(b.local_addr().unwrap().ip()).await.unwrap();
    assert!(a.peers().await.is_empty());
    error_with(&b, &a, "peer sent NOTIFICATION cease: peer de-configured").await;
    no_route(&b, "10.5.0.0/16").await;
    assert_eq!(
        a.remove_peer(b.local_addr().unwrap().ip())
            .await
            .unwrap_err()
            .to_string(),
        format!("no BGP peer {} is configured", b.local_addr().unwrap().ip())
    );
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn admin_down_and_up_again() {
    let (a, b) = pair(6, None, None).await;
    established(&b, &a).await;
    let mut pa = peer(&a, &b, 65002);
    pa.enabled = false;
    a.update_peer(pa.clone()).await.unwrap();
    error_with(
        &b,
        &a,
        "peer sent NOTIFICATION cease: administrative shutdown",
    )
    .await;
    let s = error_with(&a, &b, "administratively shut down").await;
    assert_eq!(s.state, State::Idle);
    assert!(!s.enabled);
    pa.enabled = true;
    a.update_peer(pa).await.unwrap();
    let s = until(&a, "second Established", |peers, _| {
        let s = status(peers, &b);
        (s.established_count == 2 && s.state == State::Established).then(|| s.clone())
    })
    .await;
    assert!(s.enabled);
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn max_prefix_tears_the_session_down() {
    let a = speaker(65001, "127.0.7.1").await;
    let b = speaker(65002, "127.0.7.2").await;
    a.add_peer(peer(&a, &b, 65002)).await.unwrap();
    let mut pb = passive(peer(&b, &a, 65001));
    pb.policy.max_prefix = Some(MaxPrefix::new(2, true).unwrap());
    b.add_peer(pb).await.unwrap();
    established(&b, &a).await;
    for p in ["10.7.1.0/24", "10.7.2.0/24"] {
        a.announce(net(p), Announce::default()).await.unwrap();
    }
    until(&b, "two prefixes", |peers, _| {
        (status(peers, &a).prefixes_accepted == 2).then_some(())
    })
    .await;
    a.announce(net("10.7.3.0/24"), Announce::default())
        .await
        .unwrap();
    error_with(&b, &a, "maximum prefix limit (2) reached").await;
    error_with(
        &a,
        &b,
        "peer sent NOTIFICATION cease: maximum number of prefixes reached",
    )
    .await;
    no_route(&b, "10.7.1.0/24").await;
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn import_policy_change_uses_route_refresh() {
    let (a, b) = pair(8, None, None).await;
    let mut pb = passive(peer(&b, &a, 65001));
    pb.policy.import = Some(PrefixList::parse(["permit 10.8.1.0/24"]).unwrap());
    b.update_peer(pb.clone()).await.unwrap();
    established(&b, &a).await;
    for p in ["10.8.1.0/24", "10.8.2.0/24"] {
        a.announce(net(p), Announce::default()).await.unwrap();
    }
    let s = until(&b, "one accepted of two", |peers, _| {
        let s = status(peers, &a);
        (s.prefixes_received == 2).then(|| s.clone())
    })
    .await;
    assert_eq!(s.prefixes_accepted, 1);
    assert!(b
        .loc_rib()
        .await
        .iter()
        .all(|r| r.prefix != net("10.8.2.0/24")));
    // Widening the import list asks A for its routes again; the session stays up.
    pb.policy.import = None;
    b.update_peer(pb).await.unwrap();
    route_to(&b, "10.8.2.0/24").await;
    let s = status(&b.peers().await, &a).clone();
    assert_eq!((s.established_count, s.prefixes_accepted), (1, 2));
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn both_active_collide_and_settle_on_one_session() {
    let a = speaker(65001, "127.0.9.1").await;
    let b = speaker(65002, "127.0.9.2").await;
    a.add_peer(peer(&a, &b, 65002)).await.unwrap();
    b.add_peer(peer(&b, &a, 65001)).await.unwrap();
    established(&a, &b).await;
    established(&b, &a).await;
    a.announce(net("10.9.0.0/16"), Announce::default())
        .await
        .unwrap();
    route_to(&b, "10.9.0.0/16").await;
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn unknown_peer_connection_is_closed() {
    use tokio::io::AsyncReadExt;
    let a = speaker(65001, "127.0.10.1").await;
    let started = Instant::now();
    let mut s = crosslink_bgp::transport::connect(
        Some("127.0.10.99:0".parse().unwrap()),
        a.local_addr().unwrap(),
        None,
        None,
        WAIT,
    )
    .await
    .unwrap();
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(WAIT, s.read(&mut buf))
        .await
        .expect("closed promptly")
        .unwrap_or(0);
    assert_eq!(n, 0, "an unconfigured peer gets nothing but a close");
    assert!(started.elapsed() < WAIT);
    a.shutdown().await;
}

#[tokio::test]
async fn bad_config_is_refused_with_words() {
    let a = speaker(65001, "127.0.11.1").await;
    let mut p = PeerConfig::new(ip("127.0.11.2"), 65002);
    p.hold_time = 2;
    let e = a.add_peer(p).await.unwrap_err().to_string();
    assert!(e.contains("hold time"), "{e}");
    let mut p = PeerConfig::new(ip("127.0.11.2"), 65002);
    p.local_address = Some(ip("::1"));
    let e = a.add_peer(p).await.unwrap_err().to_string();
    assert!(e.contains("another IP family"), "{e}");
    a.add_peer(PeerConfig::new(ip("127.0.11.2"), 65002))
        .await
        .unwrap();
    // An IPv6 peer next to an IPv4 listener is fine without a password...
    a.add_peer(PeerConfig::new(ip("::1"), 65003)).await.unwrap();
    // ...but its key cannot go on that listener: said so, not ignored.
    let mut p = PeerConfig::new(ip("::2"), 65003);
    p.password = Some(Md5Key::new("k").unwrap());
    let e = a.add_peer(p).await.unwrap_err().to_string();
    assert!(e.contains("IPv6 peer"), "{e}");
    let e = a
        .add_peer(PeerConfig::new(ip("127.0.11.2"), 65002))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("already configured"), "{e}");
    let e = Speaker::start(SpeakerConfig {
        asn: 0,
        router_id: "1.1.1.1".parse().unwrap(),
        listen: None,
        fib: false,
    })
    .await
    .unwrap_err();
    assert!(e.to_string().contains("AS 0"), "{e}");
    a.shutdown().await;
}

/// An MCR-like speaker between two customers: routes cross it with its AS prepended and its
/// own address as next hop, in both directions, and leave when withdrawn or when the origin's
/// session goes down. Customer A has a 4-octet AS.
#[tokio::test]
async fn three_speakers_through_an_mcr() {
    const MCR: u32 = 133937;
    const A: u32 = 4200000001;
    const B: u32 = 65010;
    let mcr = speaker(MCR, "127.0.12.6").await;
    let a = speaker(A, "127.0.12.1").await;
    let b = speaker(B, "127.0.12.2").await;
    mcr.add_peer(passive(peer(&mcr, &a, A))).await.unwrap();
    let mut to_b = passive(peer(&mcr, &b, B));
    to_b.policy.export =
        Some(PrefixList::parse(["deny 10.66.0.0/16", "permit 0.0.0.0/0 le 32"]).unwrap());
    mcr.add_peer(to_b).await.unwrap();
    a.add_peer(peer(&a, &mcr, MCR)).await.unwrap();
    b.add_peer(peer(&b, &mcr, MCR)).await.unwrap();
    established(&a, &mcr).await;
    established(&b, &mcr).await;

    a.announce(net("10.10.0.0/16"), Announce::default())
        .await
        .unwrap();
    a.announce(net("10.66.0.0/16"), Announce::default())
        .await
        .unwrap();
    b.announce(
        net("10.20.0.0/16"),
        Announce {
            med: Some(3),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mcr_ip = mcr.local_addr().unwrap().ip();

    let r = route_to(&b, "10.10.0.0/16").await;
    assert_eq!(r.as_path, vec![MCR, A]);
    assert_eq!(r.next_hop, Some(mcr_ip));
    let r = route_to(&a, "10.20.0.0/16").await;
    assert_eq!(r.as_path, vec![MCR, B]);
    assert_eq!(r.next_hop, Some(mcr_ip));
    assert_eq!(r.med, None, "a learned MED is not passed to another AS");
    // The MCR keeps A's export-denied prefix from B, and never sends A's routes back to A.
    route_to(&mcr, "10.66.0.0/16").await;
    assert!(b
        .loc_rib()
        .await
        .iter()
        .all(|r| r.prefix != net("10.66.0.0/16")));
    let back = mcr.adj_rib_out(a.local_addr().unwrap().ip()).await;
    assert_eq!(
        back.iter().map(|r| r.prefix).collect::<Vec<_>>(),
        vec![net("10.20.0.0/16")]
    );
    // A's own route reaches the MCR with the 4-octet AS intact.
    let r = route_to(&mcr, "10.10.0.0/16").await;
    assert_eq!(r.as_path, vec![A]);

    a.withdraw(net("10.10.0.0/16")).await.unwrap();
    no_route(&b, "10.10.0.0/16").await;
    b.withdraw(net("10.20.0.0/16")).await.unwrap();
    no_route(&a, "10.20.0.0/16").await;

    // A session going down takes its routes out of the MCR and away from B.
    a.announce(net("10.11.0.0/16"), Announce::default())
        .await
        .unwrap();
    route_to(&b, "10.11.0.0/16").await;
    a.shutdown().await;
    no_route(&mcr, "10.11.0.0/16").await;
    no_route(&b, "10.11.0.0/16").await;
    mcr.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn dropping_every_handle_shuts_the_speaker_down() {
    let (a, b) = pair(15, None, None).await;
    established(&b, &a).await;
    let a_ip = a.local_addr().unwrap().ip();
    let a2 = a.clone();
    drop(a);
    // A clone still holds it up.
    assert_eq!(a2.peers().await.len(), 1);
    drop(a2);
    let s = until(&b, "A gone", |peers, _| {
        let s = peers.iter().find(|p| p.address == a_ip).unwrap();
        s.last_error
            .as_deref()
            .is_some_and(|e| e.contains("administrative shutdown"))
            .then(|| s.clone())
    })
    .await;
    assert_ne!(s.state, State::Established);
    b.shutdown().await;
}

#[tokio::test]
async fn status_subscribers_get_states_and_counts_but_no_route_events() {
    use crosslink_bgp::speaker::SpeakerEvent;
    let a = speaker(65001, "127.0.16.1").await;
    let b = speaker(65002, "127.0.16.2").await;
    let mut status = b.subscribe_status();
    let mut all = b.subscribe();
    a.add_peer(peer(&a, &b, 65002)).await.unwrap();
    b.add_peer(passive(peer(&b, &a, 65001))).await.unwrap();
    a.announce(net("10.16.0.0/16"), Announce::default())
        .await
        .unwrap();
    // The full stream shows the route...
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match tokio::time::timeout_at(deadline, all.recv()).await {
            Ok(Ok(SpeakerEvent::RouteBest { prefix, route })) => {
                assert_eq!(prefix, net("10.16.0.0/16"));
                assert_eq!(route.unwrap().as_path, vec![65001]);
                break;
            }
            Ok(_) => {}
            Err(_) => panic!("no RouteBest event"),
        }
    }
    // ...the status stream saw Established and the count, and never a route.
    let (mut established, mut counted) = (false, false);
    while !(established && counted) {
        match tokio::time::timeout_at(deadline, status.recv()).await {
            Ok(Ok(SpeakerEvent::PeerState { to, .. })) => established |= to == State::Established,
            Ok(Ok(SpeakerEvent::PeerRoutes { accepted, .. })) => counted |= accepted == 1,
            Ok(other) => panic!("unexpected on the status stream: {other:?}"),
            Err(_) => panic!("status stream: established {established}, counted {counted}"),
        }
    }
    a.shutdown().await;
    b.shutdown().await;
}

/// iBGP: no prepend, LOCAL_PREF carried, learned next hops kept, and no route learned over
/// iBGP goes to another iBGP peer (no route reflection). A–B–C all in AS 65030, in a line.
#[tokio::test]
async fn ibgp_keeps_local_pref_and_does_not_reflect() {
    let a = speaker(65030, "127.0.17.1").await;
    let b = speaker(65030, "127.0.17.2").await;
    let c = speaker(65030, "127.0.17.3").await;
    let ibgp = |p: PeerConfig| PeerConfig { ttl: None, ..p };
    a.add_peer(ibgp(peer(&a, &b, 65030))).await.unwrap();
    b.add_peer(ibgp(passive(peer(&b, &a, 65030))))
        .await
        .unwrap();
    b.add_peer(ibgp(passive(peer(&b, &c, 65030))))
        .await
        .unwrap();
    c.add_peer(ibgp(peer(&c, &b, 65030))).await.unwrap();
    established(&a, &b).await;
    established(&c, &b).await;
    a.announce(net("10.17.0.0/16"), Announce::default())
        .await
        .unwrap();
    let r = route_to(&b, "10.17.0.0/16").await;
    assert_eq!(r.as_path, Vec::<u32>::new());
    assert_eq!(r.local_pref, Some(100));
    assert_eq!(r.next_hop, Some(a.local_addr().unwrap().ip()));
    // B learned it over iBGP: C must not get it. B's own route does reach C.
    b.announce(net("10.18.0.0/16"), Announce::default())
        .await
        .unwrap();
    route_to(&c, "10.18.0.0/16").await;
    assert!(c
        .loc_rib()
        .await
        .iter()
        .all(|r| r.prefix != net("10.17.0.0/16")));
    assert!(b
        .adj_rib_out(c.local_addr().unwrap().ip())
        .await
        .iter()
        .all(|r| r.prefix != net("10.17.0.0/16")));
    for s in [a, b, c] {
        s.shutdown().await;
    }
}

#[tokio::test]
async fn a_peers_tag_comes_back_in_its_status_and_events() {
    let a = speaker(65001, "127.0.30.1").await;
    let b = speaker(65002, "127.0.30.2").await;
    let mut events = a.subscribe_status();
    let mut pa = peer(&a, &b, 65002);
    pa.tag = 4242;
    a.add_peer(pa).await.unwrap();
    b.add_peer(passive(peer(&b, &a, 65001))).await.unwrap();
    let st = established(&a, &b).await;
    assert_eq!(st.tag, 4242);
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, events.recv()).await {
            Ok(Ok(crosslink_bgp::speaker::SpeakerEvent::PeerState {
                tag,
                to: State::Established,
                ..
            })) => {
                assert_eq!(tag, 4242);
                break;
            }
            Ok(Ok(_)) | Ok(Err(RecvError::Lagged(_))) => {}
            other => panic!("no Established event with the tag: {other:?}"),
        }
    }
}
