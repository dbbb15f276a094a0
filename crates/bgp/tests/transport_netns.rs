//! Tests in network namespaces: kernel route programming and the BIRD/GoBGP interop harness.
//! They need root: ignored by default, run with `-- --ignored` (scripts/test does as root).

mod support;

use std::net::IpAddr;
use std::time::Duration;

use crosslink_bgp::kernel::{KernelRoutes, ROUTE_METRIC, ROUTE_PROTOCOL};
use support::{Bird, BirdConfig, GoBgp, GoBgpConfig, RouterPair};

const MCR_AS: u32 = RouterPair::B_AS;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn our_routes(ns: &support::Netns, family: &str) -> String {
    ns.ip(&[
        family,
        "route",
        "show",
        "proto",
        &ROUTE_PROTOCOL.to_string(),
    ])
}

#[test]
#[ignore = "needs root and network namespaces: run with --ignored (scripts/test does as root)"]
fn kernel_routes_install_replace_remove_in_namespace() {
    support::require_netns();
    let pair = RouterPair::new("kern");
    let (a, b) = (&pair.a, &pair.b);
    a.ip(&[
        "address",
        "add",
        "fd00:a::1/64",
        "dev",
        RouterPair::A_IF,
        "nodad",
    ]);
    b.ip(&[
        "address",
        "add",
        "fd00:a::6/64",
        "dev",
        RouterPair::B_IF,
        "nodad",
    ]);
    // A network "behind" the MCR end, reachable from A only through the route we install.
    b.add_lo_address("10.20.0.1/32");
    // Someone else's routes in A, which we must never touch.
    a.ip(&[
        "route",
        "add",
        "10.30.0.0/24",
        "via",
        "169.254.0.6",
        "proto",
        "static",
    ]);
    a.ip(&[
        "route",
        "add",
        "10.20.0.0/24",
        "via",
        "169.254.0.5",
        "metric",
        "100",
        "proto",
        "static",
    ]);
    let ping = |target: &str| {
        a.command("ping")
            .args(["-c", "1", "-W", "1", target])
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap()
            .success()
    };
    support::require_tool("ping", "iputils-ping");
    // The foreign static route points at a host that does not exist: no reply yet.
    assert!(
        !ping("10.20.0.1"),
        "10.20.0.1 reachable before any route of ours"
    );

    a.enter(|| {
        let mut k = KernelRoutes::new().unwrap();
        k.install("10.20.0.0/24".parse().unwrap(), ip("169.254.0.6"))
            .unwrap();
        k.install("fd00:20::/48".parse().unwrap(), ip("fd00:a::6"))
            .unwrap();
        // Reinstalling with the same next hop is idempotent.
        k.install("10.20.0.0/24".parse().unwrap(), ip("169.254.0.6"))
            .unwrap();
        let mut ours = k.routes().unwrap();
        ours.sort_by_key(|r| r.prefix);
        assert_eq!(ours.len(), 2, "{ours:?}");
        assert_eq!(ours[0].next_hop, Some(ip("169.254.0.6")));
        assert_eq!(ours[0].metric, ROUTE_METRIC);
    });
    let v4 = our_routes(a, "-4");
    assert!(v4.contains("10.20.0.0/24 via 169.254.0.6"), "{v4}");
    assert_eq!(v4.lines().count(), 1, "{v4}");
    let v6 = our_routes(a, "-6");
    assert!(v6.contains("fd00:20::/48 via fd00:a::6"), "{v6}");
    // Ours (metric 20) beats the foreign static one (metric 100): traffic flows.
    // The first packet waits for ARP; a loaded machine may need more than one second for it.
    assert!(
        (0..5).any(|_| ping("10.20.0.1")),
        "no ping over the installed route"
    );

    a.enter(|| {
        let mut k = KernelRoutes::new().unwrap();
        // Next hop change: replaced, not added.
        k.install("10.20.0.0/24".parse().unwrap(), ip("169.254.0.5"))
            .unwrap();
        // Unreachable next hop: clear error.
        let err = k
            .install("10.40.0.0/24".parse().unwrap(), ip("192.0.2.1"))
            .unwrap_err();
        assert!(
            err.to_string().contains("not on a connected network"),
            "{err}"
        );
    });
    let v4 = our_routes(a, "-4");
    assert!(v4.contains("10.20.0.0/24 via 169.254.0.5"), "{v4}");
    assert_eq!(v4.lines().count(), 1, "{v4}");
    assert!(
        !ping("10.20.0.1"),
        "ping still works after the next hop moved to a dead host"
    );

    a.enter(|| {
        let mut k = KernelRoutes::new().unwrap();
        assert!(k.remove("10.20.0.0/24".parse().unwrap()).unwrap());
        assert!(
            !k.remove("10.20.0.0/24".parse().unwrap()).unwrap(),
            "second remove finds nothing"
        );
        // Not ours: stays.
        assert!(!k.remove("10.30.0.0/24".parse().unwrap()).unwrap());
        k.install("10.21.0.0/24".parse().unwrap(), ip("169.254.0.6"))
            .unwrap();
        assert_eq!(k.remove_all().unwrap(), 2, "10.21.0.0/24 and fd00:20::/48");
        assert!(k.routes().unwrap().is_empty());
    });
    assert_eq!(our_routes(a, "-4"), "");
    assert_eq!(our_routes(a, "-6"), "");
    let all = a.ip(&["-4", "route", "show"]);
    assert!(
        all.contains("10.30.0.0/24 via 169.254.0.6 dev to-mcr proto static"),
        "{all}"
    );
    assert!(
        all.contains("10.20.0.0/24 via 169.254.0.5 dev to-mcr proto static metric 100"),
        "{all}"
    );
    assert!(
        all.contains("169.254.0.0/29 dev to-mcr proto kernel"),
        "{all}"
    );
}

#[test]
#[ignore = "needs root and network namespaces: run with --ignored (scripts/test does as root)"]
fn netns_guard_deletes_namespace_and_processes() {
    support::require_netns();
    let ns = support::Netns::new("guard");
    let name = ns.name().to_string();
    // `ip netns exec` enters the namespace some time after spawn; deleting it before then would
    // leave no process to kill. The shell prints only once it is inside, then becomes `sleep`.
    let mut sleeper = ns
        .command("sh")
        .args(["-c", "echo inside && exec sleep 600"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(sleeper.stdout.take().unwrap()),
        &mut ready,
    )
    .unwrap();
    assert_eq!(ready, "inside\n", "the process did not start in {name}");
    let pids = support::run(std::process::Command::new("ip").args(["netns", "pids", &name]));
    assert!(
        pids.split_whitespace()
            .any(|p| p == sleeper.id().to_string()),
        "pid {} not in {name}: {pids}",
        sleeper.id()
    );
    let listed = support::run(std::process::Command::new("ip").args(["netns", "list"]));
    assert!(listed.contains(&name));
    drop(ns);
    let status = sleeper.wait().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(libc::SIGKILL),
        "process in the namespace was not killed: {status}"
    );
    let listed = support::run(std::process::Command::new("ip").args(["netns", "list"]));
    assert!(
        !listed.contains(&name),
        "{name} survived its guard: {listed}"
    );
}

/// The harness itself: BIRD (DO end) and GoBGP (MCR end) with a shared TCP-MD5 password reach
/// Established over the production addresses and exchange one prefix each way; BIRD installs
/// the learned prefix into its namespace's kernel.
#[test]
#[ignore = "needs root and network namespaces: run with --ignored (scripts/test does as root)"]
fn harness_bird_and_gobgp_with_md5_exchange_prefixes() {
    support::require_netns();
    let pair = RouterPair::new("hrn");
    let started = std::time::Instant::now();
    let mut bird = Bird::start(
        &pair.a,
        &BirdConfig::do_end()
            .password("harness-md5-pw")
            .announce("10.10.0.0/24")
            .export_to_kernel(),
    );
    let mut gobgp = GoBgp::start(
        &pair.b,
        &GoBgpConfig::mcr_end()
            .password("harness-md5-pw")
            .announce("10.20.0.0/24"),
    );
    let timeout = Duration::from_secs(30);
    bird.wait_established(timeout);
    gobgp.wait_established(timeout);
    eprintln!(
        "BIRD <-> GoBGP Established {:?} after starting BIRD",
        started.elapsed()
    );
    let route = bird.wait_route("10.20.0.0/24", timeout);
    assert!(route.contains("via 169.254.0.6"), "{route}");
    assert!(route.contains(&format!("BGP.as_path: {MCR_AS}")), "{route}");
    let next_hop = gobgp.wait_route("10.10.0.0/24", timeout);
    assert_eq!(next_hop, RouterPair::A_IP);
    support::wait_until(
        Duration::from_secs(10),
        "kernel route from BIRD",
        || pair.a.ip(&["route", "show", "10.20.0.0/24"]),
        |r| r.contains("via 169.254.0.6") && r.contains("proto bird"),
    );
    // The session really is signed: the key shows up on the socket (not printed).
    let ss = pair.a.exec("ss", &["-tnHi", "state", "established"]);
    assert!(
        ss.contains("md5keys"),
        "BGP session socket carries no TCP-MD5 key"
    );
}

/// The harness notices a password mismatch: no Established, and the kernel counts MD5
/// failures. Without this, the test above could pass with the password silently ignored.
#[test]
#[ignore = "needs root and network namespaces: run with --ignored (scripts/test does as root)"]
fn harness_password_mismatch_never_establishes() {
    support::require_netns();
    support::require_tool("nstat", "iproute2");
    let pair = RouterPair::new("mis");
    let mut bird = Bird::start(&pair.a, &BirdConfig::do_end().password("one-password"));
    let mut gobgp = GoBgp::start(
        &pair.b,
        &GoBgpConfig::mcr_end().password("another-password"),
    );
    let md5_failures = |ns: &support::Netns| -> u64 {
        let out = ns.exec("nstat", &["-az", "TcpExtTCPMD5Failure"]);
        out.lines()
            .find_map(|l| l.strip_prefix("TcpExtTCPMD5Failure"))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let failures = support::wait_for(Duration::from_secs(15), "TCP-MD5 failures", || {
        let n = md5_failures(&pair.a) + md5_failures(&pair.b);
        if n > 0 {
            Ok(n)
        } else {
            Err(format!(
                "BIRD {}, GoBGP {}",
                bird.bgp_state(),
                gobgp.neighbor_state()
            ))
        }
    });
    assert!(failures > 0);
    // Well past BIRD's connect delay and both sides' retry timers.
    std::thread::sleep(Duration::from_secs(4));
    assert_ne!(bird.bgp_state(), "Established");
    assert_ne!(gobgp.neighbor_state(), "Established");
}
