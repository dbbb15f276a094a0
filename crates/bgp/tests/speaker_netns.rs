//! Our speaker against real routers in network namespaces, on the production addresses
//! (169.254.0.1/29 ↔ 169.254.0.6/29) with TCP-MD5, and with its best routes in the kernel.
//! Root only: ignored by default, run with `-- --ignored` (scripts/test does as root).

mod support;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crosslink_bgp::kernel::ROUTE_PROTOCOL;
use crosslink_bgp::speaker::{
    Announce, IpNet, Md5Key, PeerConfig, Route, Speaker, SpeakerConfig, State,
};
use support::{Bird, BirdConfig, GoBgp, GoBgpConfig, Netns, RouterPair};

const DO_AS: u32 = RouterPair::A_AS;
const MCR_AS: u32 = RouterPair::B_AS;
const TIMEOUT: Duration = Duration::from_secs(30);

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// A runtime whose threads live in the namespace of the calling thread (threads inherit it).
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

/// Our speaker at the DO end (169.254.0.1, AS 64532) with the kernel FIB on.
fn start_do_end(rt: &tokio::runtime::Runtime, password: &str) -> Speaker {
    rt.block_on(async {
        let s = Speaker::start(SpeakerConfig {
            asn: DO_AS,
            router_id: "169.254.0.1".parse().unwrap(),
            listen: Some(SocketAddr::new(ip(RouterPair::A_IP), 179)),
            fib: true,
        })
        .await
        .unwrap();
        s.add_peer(PeerConfig {
            local_address: Some(ip(RouterPair::A_IP)),
            password: Some(Md5Key::new(password).unwrap()),
            hold_time: 9,
            connect_retry: Duration::from_secs(1),
            ..PeerConfig::new(ip(RouterPair::B_IP), MCR_AS)
        })
        .await
        .unwrap();
        s.announce("10.10.0.0/24".parse().unwrap(), Announce::default())
            .await
            .unwrap();
        s
    })
}

fn wait_established(rt: &tokio::runtime::Runtime, s: &Speaker) {
    support::wait_for(TIMEOUT, "our session Established", || {
        let p = rt.block_on(s.peers()).remove(0);
        if p.state == State::Established {
            Ok(())
        } else {
            Err(format!("{:?}: {:?}", p.state, p.last_error))
        }
    });
}

/// Waits for the peer's route to `prefix` in our Loc-RIB.
fn wait_loc_rib(rt: &tokio::runtime::Runtime, s: &Speaker, prefix: &str) -> Route {
    let want: IpNet = prefix.parse().unwrap();
    support::wait_for(TIMEOUT, &format!("{prefix} in our Loc-RIB"), || {
        rt.block_on(s.loc_rib())
            .into_iter()
            .find(|r| r.prefix == want)
            .ok_or_else(|| "not yet".to_string())
    })
}

fn kernel_routes(ns: &Netns) -> String {
    ns.ip(&["route", "show", "proto", &ROUTE_PROTOCOL.to_string()])
}

fn ping(ns: &Netns, target: &str) -> bool {
    ns.command("ping")
        .args(["-c", "1", "-W", "1", target])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// We reach Established with BIRD over TCP-MD5, exchange prefixes both ways, install BIRD's
/// prefix in the kernel so traffic flows, and take it out again on shutdown.
#[test]
#[ignore = "needs root and network namespaces: run with --ignored (scripts/test does as root)"]
fn speaker_with_bird_md5_routes_and_kernel() {
    support::require_netns();
    support::require_tool("ping", "iputils-ping");
    let pair = RouterPair::new("spb");
    pair.b.add_lo_address("10.20.0.1/32");
    let mut bird = Bird::start(
        &pair.b,
        &BirdConfig::mcr_end()
            .password("speaker-md5-pw")
            .announce("10.20.0.0/24")
            .export_to_kernel(),
    );
    pair.a.enter(|| {
        let rt = runtime();
        let s = start_do_end(&rt, "speaker-md5-pw");
        wait_established(&rt, &s);
        bird.wait_established(TIMEOUT);

        let r = bird.wait_route("10.10.0.0/24", TIMEOUT);
        assert!(r.contains("via 169.254.0.1"), "{r}");
        assert!(r.contains(&format!("BGP.as_path: {DO_AS}")), "{r}");

        let route = wait_loc_rib(&rt, &s, "10.20.0.0/24");
        assert_eq!(route.as_path, vec![MCR_AS]);
        assert_eq!(route.next_hop, Some(ip(RouterPair::B_IP)));
        support::wait_until(
            TIMEOUT,
            "our kernel route",
            || kernel_routes(&pair.a),
            |r| r.contains("10.20.0.0/24 via 169.254.0.6"),
        );
        assert!(
            ping(&pair.a, "10.20.0.1"),
            "traffic follows the installed route"
        );

        // BIRD withdraws: the kernel route goes.
        bird.birdc("disable announced");
        support::wait_until(
            TIMEOUT,
            "kernel route removed after withdraw",
            || kernel_routes(&pair.a),
            |r| r.trim().is_empty(),
        );
        bird.birdc("enable announced");
        support::wait_until(
            TIMEOUT,
            "kernel route back",
            || kernel_routes(&pair.a),
            |r| r.contains("10.20.0.0/24"),
        );

        rt.block_on(s.shutdown());
        assert_eq!(
            kernel_routes(&pair.a).trim(),
            "",
            "shutdown removes our routes"
        );
        support::wait_until(
            TIMEOUT,
            "BIRD session down",
            || bird.bgp_state(),
            |state| state != "Established",
        );
    });
}

/// A wrong password against BIRD: never Established, classified as "no TCP answer".
#[test]
#[ignore = "needs root and network namespaces: run with --ignored (scripts/test does as root)"]
fn speaker_with_bird_wrong_password_is_no_tcp_answer() {
    support::require_netns();
    let pair = RouterPair::new("spw");
    let mut bird = Bird::start(&pair.b, &BirdConfig::mcr_end().password("the-right-one"));
    pair.a.enter(|| {
        let rt = runtime();
        let s = start_do_end(&rt, "a-wrong-one");
        let p = support::wait_for(TIMEOUT, "a classified error", || {
            let p = rt.block_on(s.peers()).remove(0);
            match &p.last_error {
                Some(e) if e.contains("no answer to TCP connect") => Ok(p),
                _ => Err(format!("{p:?}")),
            }
        });
        assert_eq!(p.established_count, 0);
        assert_ne!(bird.bgp_state(), "Established");
        rt.block_on(s.shutdown());
    });
}

/// GoBGP (strict RFC 7606 checks) at the MCR end accepts our UPDATEs and we accept its.
#[test]
#[ignore = "needs root and network namespaces: run with --ignored (scripts/test does as root)"]
fn speaker_with_gobgp_md5_exchange() {
    support::require_netns();
    let pair = RouterPair::new("spg");
    let mut gobgp = GoBgp::start(
        &pair.b,
        &GoBgpConfig::mcr_end()
            .password("gobgp-md5-pw")
            .announce("10.20.0.0/24"),
    );
    pair.a.enter(|| {
        let rt = runtime();
        let s = start_do_end(&rt, "gobgp-md5-pw");
        wait_established(&rt, &s);
        gobgp.wait_established(TIMEOUT);
        let next_hop = gobgp.wait_route("10.10.0.0/24", TIMEOUT);
        assert_eq!(next_hop, RouterPair::A_IP);
        let route = wait_loc_rib(&rt, &s, "10.20.0.0/24");
        assert_eq!(route.as_path, vec![MCR_AS]);
        rt.block_on(s.shutdown());
    });
}

/// A route the kernel refuses (next hop not on a connected network) shows in the status in
/// words and as a count; the valid one is installed; withdrawing the refused one clears the
/// error and keeps the count of failures.
#[test]
#[ignore = "needs root and network namespaces: run with --ignored (scripts/test does as root)"]
fn refused_kernel_route_shows_in_the_status() {
    support::require_netns();
    let pair = RouterPair::new("skr");
    pair.a.enter(|| {
        let rt = runtime();
        let (a_ip, b_ip) = (ip("127.0.0.1"), ip("127.0.0.2"));
        let (a, b) = rt.block_on(async {
            let a = Speaker::start(SpeakerConfig {
                asn: DO_AS,
                router_id: "169.254.0.1".parse().unwrap(),
                listen: Some(SocketAddr::new(a_ip, 179)),
                fib: true,
            })
            .await
            .unwrap();
            a.add_peer(PeerConfig {
                passive: true,
                ..PeerConfig::new(b_ip, MCR_AS)
            })
            .await
            .unwrap();
            let b = Speaker::start(SpeakerConfig {
                asn: MCR_AS,
                router_id: "169.254.0.6".parse().unwrap(),
                listen: None,
                fib: false,
            })
            .await
            .unwrap();
            b.add_peer(PeerConfig {
                local_address: Some(b_ip),
                connect_retry: Duration::from_secs(1),
                ..PeerConfig::new(a_ip, DO_AS)
            })
            .await
            .unwrap();
            assert_eq!(b.kernel_status(), None, "no kernel routes without fib");
            let via = |nh: &str| Announce {
                next_hop: Some(ip(nh)),
                ..Announce::default()
            };
            b.announce("10.1.0.0/24".parse().unwrap(), via("192.0.2.1"))
                .await
                .unwrap();
            b.announce("10.2.0.0/24".parse().unwrap(), via(RouterPair::B_IP))
                .await
                .unwrap();
            (a, b)
        });
        let status = || rt.block_on(async { a.kernel_status() }).unwrap();
        let st = support::wait_for(TIMEOUT, "the refused route in the status", || {
            let st = status();
            (st.refused == 1 && st.installed == 1)
                .then_some(st.clone())
                .ok_or(format!("{st:?}"))
        });
        assert_eq!(
            st.error.as_deref(),
            Some(
                "kernel refused route 10.1.0.0/24 via 192.0.2.1: Network is unreachable \
                 (no route to the next hop: it is not on a connected network)"
            )
        );
        assert_eq!(st.failures, 1);
        let routes = kernel_routes(&pair.a);
        assert!(routes.contains("10.2.0.0/24 via 169.254.0.6"), "{routes}");
        assert!(!routes.contains("10.1.0.0/24"), "{routes}");

        // The refused route goes away: no error any more, the count of failures stays.
        rt.block_on(b.withdraw("10.1.0.0/24".parse().unwrap()))
            .unwrap();
        let st = support::wait_for(TIMEOUT, "the error cleared", || {
            let st = status();
            st.error
                .is_none()
                .then_some(st.clone())
                .ok_or(format!("{st:?}"))
        });
        assert_eq!((st.refused, st.installed, st.failures), (0, 1, 1));
        rt.block_on(async {
            b.shutdown().await;
            a.shutdown().await;
        });
        assert_eq!(kernel_routes(&pair.a).trim(), "");
    });
}

/// Two speakers on one runtime in the test's own namespace, each with its sockets and kernel
/// routes in a namespace of its own (`Tcp::in_namespace`): MD5 and TTL 1 over the veth, and
/// the learned route lands in A's namespace only.
#[test]
#[ignore = "needs root and network namespaces: run with --ignored (scripts/test does as root)"]
fn speakers_in_namespaces_share_one_runtime() {
    use crosslink_bgp::netns::Namespace;
    use crosslink_bgp::transport::Tcp;
    use std::sync::Arc;

    support::require_netns();
    let pair = RouterPair::new("sns");
    let rt = runtime();
    let in_ns = |ns: &Netns| Arc::new(Tcp::in_namespace(Namespace::open(ns.name()).unwrap()));
    let key = Md5Key::new("seam").unwrap();
    let (a, b) = rt.block_on(async {
        let a = Speaker::start_with(
            SpeakerConfig {
                asn: DO_AS,
                router_id: "169.254.0.1".parse().unwrap(),
                listen: Some(SocketAddr::new(ip(RouterPair::A_IP), 179)),
                fib: true,
            },
            in_ns(&pair.a),
        )
        .await
        .unwrap();
        a.add_peer(PeerConfig {
            passive: true,
            password: Some(key.clone()),
            ..PeerConfig::new(ip(RouterPair::B_IP), MCR_AS)
        })
        .await
        .unwrap();
        let b = Speaker::start_with(
            SpeakerConfig {
                asn: MCR_AS,
                router_id: "169.254.0.6".parse().unwrap(),
                listen: None,
                fib: false,
            },
            in_ns(&pair.b),
        )
        .await
        .unwrap();
        b.add_peer(PeerConfig {
            local_address: Some(ip(RouterPair::B_IP)),
            password: Some(key.clone()),
            connect_retry: Duration::from_secs(1),
            ..PeerConfig::new(ip(RouterPair::A_IP), DO_AS)
        })
        .await
        .unwrap();
        b.announce("10.20.0.0/24".parse().unwrap(), Announce::default())
            .await
            .unwrap();
        (a, b)
    });
    wait_established(&rt, &a);
    wait_loc_rib(&rt, &a, "10.20.0.0/24");
    support::wait_for(TIMEOUT, "the route in A's kernel table", || {
        let routes = kernel_routes(&pair.a);
        routes
            .contains("10.20.0.0/24 via 169.254.0.6")
            .then_some(())
            .ok_or(routes)
    });
    let here =
        support::run(std::process::Command::new("ip").args(["route", "show", "proto", "200"]));
    assert!(!here.contains("10.20.0.0/24"), "{here}");
    rt.block_on(async {
        b.shutdown().await;
        a.shutdown().await;
    });
    assert!(!kernel_routes(&pair.a).contains("10.20.0.0/24"));
}
