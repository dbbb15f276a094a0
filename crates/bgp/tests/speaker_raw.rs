//! The speaker against peers driven message by message through the wire codec, for behaviour
//! a well-behaved speaker never shows: unknown attributes, AS_PATH loops, silence (hold timer),
//! malformed attributes, explicit ROUTE-REFRESH; and the exact UPDATEs sent (export
//! differences, packing).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use crosslink_bgp::policy::PrefixList;
use crosslink_bgp::speaker::{
    Announce, IpNet, PeerConfig, PeerStatus, Speaker, SpeakerConfig, State,
};
use crosslink_bgp::transport;
use crosslink_bgp::wire::{
    self, flags, Afi, AsPath, Capability, CodecContext, Ipv4Net, Message, Open, Origin,
    PathAttributes, RawAttribute, RouteRefresh, Safi, Update,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const WAIT: Duration = Duration::from_secs(10);
const SPEAKER_AS: u32 = 65000;

struct RawPeer {
    stream: TcpStream,
    buf: Vec<u8>,
    ctx: CodecContext,
}

impl RawPeer {
    /// Connects from `addr`, exchanges OPEN and KEEPALIVE with `hold` seconds.
    async fn establish(addr: Ipv4Addr, asn: u32, to: SocketAddr, hold: u16) -> RawPeer {
        let stream = transport::connect(
            Some(SocketAddr::new(IpAddr::V4(addr), 0)),
            to,
            None,
            None,
            WAIT,
        )
        .await
        .unwrap();
        RawPeer::establish_on(stream, addr, asn, hold).await
    }

    async fn establish_on(stream: TcpStream, addr: Ipv4Addr, asn: u32, hold: u16) -> RawPeer {
        let open = Open::new(
            asn,
            hold,
            addr,
            vec![
                Capability::Multiprotocol {
                    afi: Afi::Ipv4,
                    safi: Safi::Unicast,
                },
                Capability::RouteRefresh,
            ],
        );
        let mut p = RawPeer {
            stream,
            buf: Vec::new(),
            ctx: CodecContext::default(),
        };
        p.send(&Message::Open(open.clone())).await;
        let Message::Open(theirs) = p.recv().await else {
            panic!("expected OPEN")
        };
        p.ctx = CodecContext::negotiated(&open, &theirs);
        p.send(&Message::Keepalive).await;
        assert_eq!(p.recv().await, Message::Keepalive);
        p
    }

    /// Connects with a tiny receive buffer, so that once it stops reading, what the speaker
    /// writes piles up in the speaker's write queue rather than in our socket.
    async fn establish_slow_reader(addr: Ipv4Addr, asn: u32, to: SocketAddr) -> RawPeer {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        socket.bind(SocketAddr::new(IpAddr::V4(addr), 0)).unwrap();
        let stream = socket.connect(to).await.unwrap();
        RawPeer::establish_on(stream, addr, asn, 90).await
    }

    async fn send(&mut self, m: &Message) {
        let bytes = wire::encode_to_vec(m, &self.ctx).unwrap();
        self.stream.write_all(&bytes).await.unwrap();
    }

    async fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    async fn recv(&mut self) -> Message {
        self.recv_within(WAIT)
            .await
            .expect("no message from the speaker in time")
    }

    /// The next message, or `None` if none comes within `wait`.
    async fn recv_within(&mut self, wait: Duration) -> Option<Message> {
        tokio::time::timeout(wait, async {
            loop {
                if let Some((m, used)) = wire::decode(&self.buf, &self.ctx).unwrap() {
                    self.buf.drain(..used);
                    return m;
                }
                let mut chunk = [0u8; 64 * 1024];
                let n = self.stream.read(&mut chunk).await.unwrap();
                assert!(n > 0, "speaker closed the connection");
                self.buf.extend_from_slice(&chunk[..n]);
            }
        })
        .await
        .ok()
    }

    /// Everything the speaker still sends until it closes the connection (a reset counts as
    /// closed), decoded.
    async fn read_to_end(&mut self) -> Vec<Message> {
        tokio::time::timeout(WAIT, async {
            let mut chunk = vec![0u8; 1 << 20];
            while let Ok(n @ 1..) = self.stream.read(&mut chunk).await {
                self.buf.extend_from_slice(&chunk[..n]);
            }
        })
        .await
        .expect("the speaker did not close the connection");
        let mut all = Vec::new();
        while let Some((m, used)) = wire::decode(&self.buf, &self.ctx).unwrap() {
            self.buf.drain(..used);
            all.push(m);
        }
        all
    }

    /// The next UPDATE that carries routes (keepalives and End-of-RIB skipped).
    async fn recv_routes(&mut self) -> Update {
        loop {
            if let Message::Update(u) = self.recv().await {
                if u.end_of_rib().is_none() {
                    return u;
                }
            }
        }
    }
}

fn update(prefix: &str, as_path: Vec<u32>, next_hop: Ipv4Addr) -> Update {
    Update {
        nlri: vec![prefix.parse::<Ipv4Net>().unwrap()],
        attributes: PathAttributes {
            origin: Some(Origin::Igp),
            as_path: Some(AsPath::sequence(as_path)),
            next_hop: Some(next_hop),
            ..Default::default()
        },
        ..Default::default()
    }
}

async fn speaker(addr: Ipv4Addr, peers: &[(Ipv4Addr, u32)]) -> Speaker {
    let s = Speaker::start(SpeakerConfig {
        asn: SPEAKER_AS,
        router_id: addr,
        listen: Some(SocketAddr::new(IpAddr::V4(addr), 0)),
        fib: false,
    })
    .await
    .unwrap();
    for &(a, asn) in peers {
        s.add_peer(PeerConfig {
            passive: true,
            ..PeerConfig::new(IpAddr::V4(a), asn)
        })
        .await
        .unwrap();
    }
    s
}

async fn status_until(
    s: &Speaker,
    peer: Ipv4Addr,
    what: &str,
    cond: impl Fn(&PeerStatus) -> bool,
) -> PeerStatus {
    let mut events = s.subscribe();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let st = s
            .peers()
            .await
            .into_iter()
            .find(|p| p.address == IpAddr::V4(peer))
            .unwrap();
        if cond(&st) {
            return st;
        }
        if tokio::time::timeout_at(deadline, events.recv())
            .await
            .is_err()
        {
            panic!("timed out waiting for {what}: {st:?}");
        }
    }
}

#[tokio::test]
async fn unknown_transitive_attribute_passes_with_partial_bit() {
    let (s_ip, a_ip, b_ip) = (
        Ipv4Addr::new(127, 0, 20, 6),
        Ipv4Addr::new(127, 0, 20, 1),
        Ipv4Addr::new(127, 0, 20, 2),
    );
    let s = speaker(s_ip, &[(a_ip, 65001), (b_ip, 65002)]).await;
    let to = s.local_addr().unwrap();
    let mut a = RawPeer::establish(a_ip, 65001, to, 90).await;
    let mut b = RawPeer::establish(b_ip, 65002, to, 90).await;
    let mut u = update("10.50.0.0/24", vec![65001], a_ip);
    u.attributes.unknown = vec![RawAttribute {
        flags: flags::OPTIONAL | flags::TRANSITIVE,
        type_code: 99,
        value: vec![1, 2, 3],
    }];
    a.send(&Message::Update(u)).await;
    let got = b.recv_routes().await;
    assert_eq!(got.nlri, vec!["10.50.0.0/24".parse::<Ipv4Net>().unwrap()]);
    assert_eq!(
        got.attributes.as_path,
        Some(AsPath::sequence(vec![SPEAKER_AS, 65001]))
    );
    assert_eq!(got.attributes.next_hop, Some(s_ip));
    let unknown = &got.attributes.unknown;
    assert_eq!(unknown.len(), 1, "{unknown:?}");
    assert_eq!(unknown[0].type_code, 99);
    assert_eq!(unknown[0].value, vec![1, 2, 3]);
    assert_ne!(
        unknown[0].flags & flags::PARTIAL,
        0,
        "Partial bit set on pass-through"
    );

    // B asks for a refresh and gets the same route again.
    b.send(&Message::RouteRefresh(RouteRefresh {
        afi: Afi::Ipv4,
        safi: Safi::Unicast,
    }))
    .await;
    let again = b.recv_routes().await;
    assert_eq!(again.nlri, got.nlri);
    assert_eq!(again.attributes, got.attributes);

    // A's withdrawal reaches B.
    a.send(&Message::Update(Update {
        withdrawn: got.nlri.clone(),
        ..Default::default()
    }))
    .await;
    let w = b.recv_routes().await;
    assert_eq!(w.withdrawn, got.nlri);
    s.shutdown().await;
}

#[tokio::test]
async fn routes_with_our_as_in_the_path_are_dropped() {
    let (s_ip, a_ip) = (Ipv4Addr::new(127, 0, 21, 6), Ipv4Addr::new(127, 0, 21, 1));
    let s = speaker(s_ip, &[(a_ip, 65001)]).await;
    let mut a = RawPeer::establish(a_ip, 65001, s.local_addr().unwrap(), 90).await;
    a.send(&Message::Update(update(
        "10.51.0.0/24",
        vec![65001, SPEAKER_AS, 65009],
        a_ip,
    )))
    .await;
    a.send(&Message::Update(update("10.52.0.0/24", vec![65001], a_ip)))
        .await;
    let st = status_until(&s, a_ip, "two received", |p| p.prefixes_received == 2).await;
    assert_eq!(st.prefixes_accepted, 1);
    let rib = s.loc_rib().await;
    assert_eq!(
        rib.iter().map(|r| r.prefix.to_string()).collect::<Vec<_>>(),
        vec!["10.52.0.0/24"]
    );
    s.shutdown().await;
}

#[tokio::test]
async fn silent_peer_hits_the_hold_timer() {
    let (s_ip, a_ip) = (Ipv4Addr::new(127, 0, 22, 6), Ipv4Addr::new(127, 0, 22, 1));
    let s = speaker(s_ip, &[(a_ip, 65001)]).await;
    let mut a = RawPeer::establish(a_ip, 65001, s.local_addr().unwrap(), 3).await;
    status_until(&s, a_ip, "Established", |p| p.state == State::Established).await;
    // Say nothing: after 3 s the speaker gives up with a NOTIFICATION.
    let n = loop {
        match a.recv().await {
            Message::Keepalive | Message::Update(_) => continue,
            Message::Notification(n) => break n,
            m => panic!("unexpected {m:?}"),
        }
    };
    assert_eq!(n.code, wire::codes::HOLD_TIMER_EXPIRED);
    let st = status_until(&s, a_ip, "hold timer error", |p| p.last_error.is_some()).await;
    assert_eq!(st.last_error.as_deref(), Some("hold timer expired"));
    assert_ne!(st.state, State::Established);
    s.shutdown().await;
}

#[tokio::test]
async fn malformed_origin_is_treated_as_withdraw_and_the_session_stays() {
    let (s_ip, a_ip) = (Ipv4Addr::new(127, 0, 23, 6), Ipv4Addr::new(127, 0, 23, 1));
    let s = speaker(s_ip, &[(a_ip, 65001)]).await;
    let mut a = RawPeer::establish(a_ip, 65001, s.local_addr().unwrap(), 90).await;
    let good = update("10.53.0.0/24", vec![65001], a_ip);
    a.send(&Message::Update(good.clone())).await;
    status_until(&s, a_ip, "accepted", |p| p.prefixes_accepted == 1).await;
    // The same UPDATE with ORIGIN 7 (RFC 7606 §7.1: treat-as-withdraw).
    let mut bytes = wire::encode_to_vec(&Message::Update(good), &a.ctx).unwrap();
    let at = bytes
        .windows(4)
        .position(|w| w == [flags::TRANSITIVE, wire::attr::ORIGIN, 1, 0])
        .expect("ORIGIN attribute in the encoding");
    bytes[at + 3] = 7;
    a.send_raw(&bytes).await;
    let st = status_until(&s, a_ip, "withdrawn", |p| p.prefixes_received == 0).await;
    assert_eq!(st.state, State::Established, "no session reset for it");
    assert!(s.loc_rib().await.is_empty());
    s.shutdown().await;
}

/// The `i`-th /24 from 10.0.0.0 up.
fn net24(i: u32) -> IpNet {
    IpNet::V4(Ipv4Net::new((0x0a00_0000 + (i << 8)).into(), 24).unwrap())
}

fn nets(v: &[&str]) -> Vec<Ipv4Net> {
    v.iter().map(|s| s.parse().unwrap()).collect()
}

/// The Adj-RIB-Out is computed from the Loc-RIB, not stored: a changed export policy must
/// still send exactly the difference, and the advertised count must follow.
#[tokio::test]
async fn export_policy_change_sends_only_the_difference() {
    let (s_ip, a_ip, b_ip) = (
        Ipv4Addr::new(127, 0, 24, 6),
        Ipv4Addr::new(127, 0, 24, 1),
        Ipv4Addr::new(127, 0, 24, 2),
    );
    let s = speaker(s_ip, &[(a_ip, 65001), (b_ip, 65002)]).await;
    let to = s.local_addr().unwrap();
    let mut a = RawPeer::establish(a_ip, 65001, to, 90).await;
    let mut b = RawPeer::establish(b_ip, 65002, to, 90).await;
    let all = nets(&["10.60.1.0/24", "10.60.2.0/24", "10.60.3.0/24"]);
    let mut u = update("10.60.1.0/24", vec![65001], a_ip);
    u.nlri = all.clone();
    a.send(&Message::Update(u)).await;
    let mut got = b.recv_routes().await.nlri;
    got.sort();
    assert_eq!(got, all);
    status_until(&s, b_ip, "three advertised", |p| p.prefixes_advertised == 3).await;

    let mut cfg = PeerConfig {
        passive: true,
        ..PeerConfig::new(IpAddr::V4(b_ip), 65002)
    };
    cfg.policy.export =
        Some(PrefixList::parse(["deny 10.60.2.0/24", "permit 0.0.0.0/0 le 32"]).unwrap());
    s.update_peer(cfg.clone()).await.unwrap();
    let w = b.recv_routes().await;
    assert_eq!((w.withdrawn, w.nlri), (nets(&["10.60.2.0/24"]), vec![]));
    let st = status_until(&s, b_ip, "two advertised", |p| p.prefixes_advertised == 2).await;
    assert_eq!(st.prefixes_advertised, 2);
    let out: Vec<String> = s
        .adj_rib_out(IpAddr::V4(b_ip))
        .await
        .iter()
        .map(|r| r.prefix.to_string())
        .collect();
    assert_eq!(out, vec!["10.60.1.0/24", "10.60.3.0/24"]);

    // Permitted again: only that prefix comes back.
    cfg.policy.export = None;
    s.update_peer(cfg).await.unwrap();
    let back = b.recv_routes().await;
    assert_eq!(
        (back.withdrawn, back.nlri),
        (vec![], nets(&["10.60.2.0/24"]))
    );
    status_until(&s, b_ip, "three advertised", |p| p.prefixes_advertised == 3).await;

    // A change in the Loc-RIB still reaches B as a difference.
    a.send(&Message::Update(Update {
        withdrawn: nets(&["10.60.1.0/24"]),
        ..Default::default()
    }))
    .await;
    let w = b.recv_routes().await;
    assert_eq!((w.withdrawn, w.nlri), (nets(&["10.60.1.0/24"]), vec![]));
    status_until(&s, b_ip, "two advertised", |p| p.prefixes_advertised == 2).await;
    s.shutdown().await;
}

/// A table sent as one UPDATE per prefix with equal attributes is stored with one shared
/// attribute set, so a peer that comes up later gets it packed into one UPDATE.
#[tokio::test]
async fn equal_attributes_of_separate_updates_are_packed_together() {
    let (s_ip, a_ip, b_ip) = (
        Ipv4Addr::new(127, 0, 25, 6),
        Ipv4Addr::new(127, 0, 25, 1),
        Ipv4Addr::new(127, 0, 25, 2),
    );
    let s = speaker(s_ip, &[(a_ip, 65001), (b_ip, 65002)]).await;
    let to = s.local_addr().unwrap();
    let mut a = RawPeer::establish(a_ip, 65001, to, 90).await;
    let prefixes: Vec<String> = (0..50).map(|i| format!("10.61.{i}.0/24")).collect();
    for p in &prefixes {
        a.send(&Message::Update(update(p, vec![65001], a_ip))).await;
    }
    status_until(&s, a_ip, "50 accepted", |p| p.prefixes_accepted == 50).await;
    let mut b = RawPeer::establish(b_ip, 65002, to, 90).await;
    let u = b.recv_routes().await;
    assert_eq!(u.nlri.len(), 50, "one UPDATE for all: {u:?}");
    s.shutdown().await;
}

/// A peer that keeps its session up but stops reading (small socket buffers) while a large
/// table churns: the bytes we queue for it stay bounded (nothing more is encoded for it once
/// a few MiB wait), and once it reads again it ends with exactly what the Loc-RIB exports to
/// it, withdrawals of what went meanwhile included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_that_stops_reading_has_a_bounded_queue_and_catches_up() {
    const N: u32 = 100_000;
    const ROUNDS: u32 = 30;
    /// The speaker's bound is 4 MiB, overshot by at most the UPDATEs of one encode step.
    const BOUND: u64 = 5 << 20;
    let (s_ip, b_ip) = (Ipv4Addr::new(127, 0, 26, 6), Ipv4Addr::new(127, 0, 26, 2));
    let s = speaker(s_ip, &[(b_ip, 65002)]).await;
    let mut b = RawPeer::establish_slow_reader(b_ip, 65002, s.local_addr().unwrap()).await;
    status_until(&s, b_ip, "Established", |p| p.state == State::Established).await;

    // B reads nothing from here on, but still says KEEPALIVE.
    let table: Vec<IpNet> = (0..N).map(net24).collect();
    let (mut peak, mut paused) = (0, false);
    for round in 0..ROUNDS {
        let attrs = Announce {
            med: Some(round),
            ..Announce::default()
        };
        s.announce_many(table.clone(), attrs).await.unwrap();
        // Every third round a different tenth of the table goes away.
        if round % 3 == 2 {
            let gone = (round / 3 % 10) as usize * table.len() / 10;
            s.withdraw_many(table[gone..gone + table.len() / 10].to_vec())
                .await
                .unwrap();
        }
        b.send(&Message::Keepalive).await;
        let st = s.peers().await.remove(0);
        assert_eq!(st.state, State::Established);
        peak = peak.max(st.out_queue_bytes);
        paused |= st.out_of_sync;
    }
    assert!(
        peak <= BOUND,
        "{peak} bytes queued for a peer that does not read"
    );
    assert!(
        paused,
        "the peer never went out of sync (peak queue {peak} bytes)"
    );

    // B reads again: it catches up and ends with the Loc-RIB's export.
    let mut held = std::collections::HashMap::new();
    while let Some(m) = b.recv_within(Duration::from_secs(3)).await {
        if let Message::Update(u) = m {
            for p in &u.withdrawn {
                held.remove(p);
            }
            for p in &u.nlri {
                held.insert(*p, u.attributes.med);
            }
        }
    }
    let st = s.peers().await.remove(0);
    assert!(!st.out_of_sync, "{st:?}");
    let out = s.adj_rib_out(IpAddr::V4(b_ip)).await;
    let want: std::collections::HashMap<Ipv4Net, Option<u32>> = out
        .iter()
        .map(|r| match r.prefix {
            IpNet::V4(p) => (p, r.med),
            p => panic!("unexpected {p}"),
        })
        .collect();
    assert_eq!(want.len(), s.loc_rib().await.len(), "all exported to B");
    assert_eq!(held.len(), want.len(), "B holds as many routes as exported");
    assert!(held == want, "B holds other routes than exported to it");
    assert_eq!(st.prefixes_advertised, want.len() as u64);
    s.shutdown().await;
}

/// Prefixes of the table that fills the write queue of a peer that stopped reading.
const FILL: u32 = 12_000;

/// A speaker with one passive peer B (`connect_retry` also its idle hold time) that connected
/// with a tiny receive buffer, stopped reading, and fell out of sync while a table of [`FILL`]
/// prefixes changed. Each route carries 1,000 communities, so an UPDATE holds only about ten
/// prefixes and one pass over the table is about 4 MiB.
async fn peer_out_of_sync(
    s_ip: Ipv4Addr,
    b_ip: Ipv4Addr,
    connect_retry: Duration,
) -> (Speaker, RawPeer, PeerConfig) {
    let s = speaker(s_ip, &[]).await;
    let cfg = PeerConfig {
        passive: true,
        connect_retry,
        ..PeerConfig::new(IpAddr::V4(b_ip), 65002)
    };
    s.add_peer(cfg.clone()).await.unwrap();
    let b = RawPeer::establish_slow_reader(b_ip, 65002, s.local_addr().unwrap()).await;
    status_until(&s, b_ip, "Established", |p| p.state == State::Established).await;
    let table: Vec<IpNet> = (0..FILL).map(net24).collect();
    for round in 0..10 {
        let attrs = Announce {
            med: Some(round),
            communities: (0..1000).map(|c| 65000 << 16 | c).collect(),
            ..Announce::default()
        };
        s.announce_many(table.clone(), attrs).await.unwrap();
        let st = s.peers().await.remove(0);
        assert_eq!(st.state, State::Established);
        if st.out_of_sync {
            return (s, b, cfg);
        }
    }
    panic!("B never went out of sync: {:?}", s.peers().await);
}

/// B (from [`peer_out_of_sync`]), its session ended, is accepted again with a new connection
/// and gets the whole table.
async fn comes_back_with_the_table(s: &Speaker, b_ip: Ipv4Addr) {
    status_until(s, b_ip, "Active", |p| p.state == State::Active).await;
    let mut b = RawPeer::establish(b_ip, 65002, s.local_addr().unwrap(), 90).await;
    let mut got = 0;
    while got < FILL as usize {
        got += b.recv_routes().await.nlri.len();
    }
    assert_eq!(got, FILL as usize);
    let st = status_until(s, b_ip, "table advertised", |p| {
        p.prefixes_advertised == u64::from(FILL)
    })
    .await;
    assert_eq!((st.state, st.established_count), (State::Established, 2));
}

/// A peer that stops reading while many distinct prefixes come and go: what it missed is
/// tracked per prefix up to twice the table (at least 65,536 prefixes); past that the session
/// ends with Cease / Out of Resources (RFC 4486 subcode 8), the NOTIFICATION last in what
/// the peer still gets, and the peer comes back after the idle hold time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_far_behind_is_closed_with_out_of_resources() {
    const CHURN: u32 = 40_000;
    let (s_ip, b_ip) = (Ipv4Addr::new(127, 0, 27, 6), Ipv4Addr::new(127, 0, 27, 2));
    let (s, mut b, _) = peer_out_of_sync(s_ip, b_ip, Duration::from_secs(1)).await;

    // Two rounds of CHURN new prefixes that come and go again. A round takes more than
    // FLUSH_CHANGES, so each call is a flush of its own: after the first round at most
    // FILL + CHURN prefixes changed, fewer than 65,536; the second announcement takes that
    // past 65,536 but not past twice the Loc-RIB; its withdrawal shrinks the Loc-RIB back
    // and ends the session.
    for round in 0..2 {
        let churn: Vec<IpNet> = (0..CHURN)
            .map(|i| net24(FILL + round * CHURN + i))
            .collect();
        s.announce_many(churn.clone(), Announce::default())
            .await
            .unwrap();
        let st = s.peers().await.remove(0);
        assert!(st.out_of_sync, "round {round}, announced: {st:?}");
        s.withdraw_many(churn).await.unwrap();
        let st = s.peers().await.remove(0);
        if round == 0 {
            assert!(st.out_of_sync, "round {round}, withdrawn: {st:?}");
        } else {
            assert!(
                !st.out_of_sync,
                "not ceased after {CHURN} x 2 changes: {st:?}"
            );
        }
    }

    // B reads again at once (the speaker gives the NOTIFICATION 2 s before it drops the
    // connection): the UPDATEs queued before, then the NOTIFICATION, then the end.
    let rest = b.read_to_end().await;
    match rest.last() {
        Some(Message::Notification(n)) => {
            assert_eq!((n.code, n.subcode), (wire::codes::CEASE, 8), "{n:?}")
        }
        m => panic!("last of {} messages: {m:?}", rest.len()),
    }
    let st = status_until(&s, b_ip, "session down", |p| p.state != State::Established).await;
    assert_eq!(
        st.last_error.as_deref(),
        Some("peer stopped reading our UPDATEs and fell too far behind (Cease / Out of Resources)")
    );
    assert!(!st.out_of_sync);
    assert_eq!(st.out_queue_bytes, 0);

    // After the idle hold time B is accepted again and gets the whole table.
    comes_back_with_the_table(&s, b_ip).await;
    s.shutdown().await;
}

/// The state (`st` column of /proc/net/tcp) of the TCP socket from `local` to `remote`.
fn tcp_state(local: SocketAddr, remote: SocketAddr) -> Option<u8> {
    let addr = |field: &str| {
        let (ip, port) = field.split_once(':')?;
        let ip = Ipv4Addr::from(u32::from_str_radix(ip, 16).ok()?.to_ne_bytes());
        let port = u16::from_str_radix(port, 16).ok()?;
        Some(SocketAddr::new(IpAddr::V4(ip), port))
    };
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    table.lines().skip(1).find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        (addr(f[1])? == local && addr(f[2])? == remote)
            .then(|| u8::from_str_radix(f[3], 16).ok())
            .flatten()
    })
}

/// TCP_ESTABLISHED in /proc/net/tcp.
const TCP_ESTABLISHED: u8 = 1;

/// A session reset while its peer does not read: the NOTIFICATION cannot be written, so the
/// speaker lets go of the connection after 2 s instead of keeping it (and its queue) for as
/// long as the peer does not read; the peer is accepted again meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_connection_whose_peer_does_not_read_is_dropped_after_2s() {
    let (s_ip, b_ip) = (Ipv4Addr::new(127, 0, 28, 6), Ipv4Addr::new(127, 0, 28, 2));
    let (s, mut b, mut cfg) = peer_out_of_sync(s_ip, b_ip, Duration::from_secs(5)).await;
    let (ours, theirs) = (s.local_addr().unwrap(), b.stream.local_addr().unwrap());
    assert_eq!(tcp_state(ours, theirs), Some(TCP_ESTABLISHED));

    // A changed hold time resets the session (Cease / Administrative Reset).
    cfg.hold_time = 60;
    s.update_peer(cfg).await.unwrap();
    let reset = tokio::time::Instant::now();
    let st = status_until(&s, b_ip, "reset", |p| p.state != State::Established).await;
    assert_eq!(st.last_error.as_deref(), Some("administratively reset"));
    while tcp_state(ours, theirs) == Some(TCP_ESTABLISHED) {
        assert!(
            reset.elapsed() < Duration::from_secs(5),
            "the speaker still holds the connection of a peer that does not read"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let held = reset.elapsed();
    assert!(held >= Duration::from_secs(2), "dropped after {held:?}");

    // B reads again: what the kernel still had, then the end, without the NOTIFICATION.
    let rest = b.read_to_end().await;
    assert!(
        !matches!(rest.last(), Some(Message::Notification(_))),
        "the whole queue was written after all"
    );

    // The speaker is fine: B comes back and gets the table.
    comes_back_with_the_table(&s, b_ip).await;
    s.shutdown().await;
}
