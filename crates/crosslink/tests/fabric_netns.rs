//! The fabric in netns mode (root): attachment routers and MCRs are network namespaces joined
//! by veth pairs with the real /29 addresses; learned routes land in each namespace's kernel
//! table; a crash leaves nothing that a restart does not sweep, and a stop removes everything.

mod common;
#[path = "../../bgp/tests/support/mod.rs"]
mod support;

use common::{attachment_state as state, eventually, megaport_ok as mp, tempdir, Client, Server};
use serde_json::{json, Value};
use std::process::Command;
use std::time::Duration;

const ARGS: &[&str] = &[
    "--fabric",
    "netns",
    "--rate-limit-per-minute",
    "0",
    "--rate-limit-per-hour",
    "0",
];

/// This data directory's namespace prefix, as `crosslink fabric namespace` says it.
fn prefix_of(dir: &std::path::Path) -> String {
    let nil = uuid::Uuid::nil().to_string();
    let out = common::run(&[
        "fabric",
        "namespace",
        "--data-dir",
        dir.to_str().unwrap(),
        &nil,
    ]);
    let name = out.stdout.trim();
    name[..name.rfind('p').unwrap()].to_owned()
}

fn namespaces() -> Vec<String> {
    let out = Command::new("ip").args(["netns", "list"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| n.starts_with("clf"))
        .map(str::to_owned)
        .collect()
}

/// An attachment on `net` (`169.254.N`): DigitalOcean's router `.1/29`, the MCR `.6/29`.
fn attachment(s: &Server, team: &str, range: &str, asn: u32, net: u8) -> (String, String, String) {
    common::partner_attachment(
        s,
        team,
        json!({"ip_range": range}),
        json!({"bgp": {"local_router_asn": asn, "local_router_ip": format!("169.254.{net}.1/29"),
            "peer_router_ip": format!("169.254.{net}.6/29"), "peer_router_asn": 133937,
            "auth_key": format!("{team}-md5")}}),
    )
}

fn buy_vxc(s: &Server, t: &str, mcr: &str, key: &str, net: u8, asn: u32, password: &str) {
    mp(
        s,
        t,
        "POST",
        "/v4/networkdesign/buy",
        Some(json!({"networkDesign": [{"productUid": mcr,
        "associatedVxcs": [{"productName": "to-do", "serviceKey": key, "rateLimit": 1000, "term": 1, "shutdown": false,
        "aEnd": {"partnerConfig": {"interfaces": [{"ipAddresses": [format!("169.254.{net}.6/29")], "bgpConnections": [
            {"peerAsn": asn, "localIpAddress": format!("169.254.{net}.6"), "peerIpAddress": format!("169.254.{net}.1"),
             "password": password, "shutdown": false, "bfdEnabled": false}]}]}}, "bEnd": {}}]}]})),
    );
}

fn routes_in(ns: &str) -> String {
    let out = Command::new("ip")
        .args(["-n", ns, "route"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
#[ignore = "needs root: creates network namespaces and veth pairs (scripts/test runs it as root)"]
fn namespaces_carry_the_sessions_and_the_routes_and_leave_nothing_behind() {
    let dir = tempdir();
    let prefix = prefix_of(&dir);
    let mine = || -> Vec<String> {
        namespaces()
            .into_iter()
            .filter(|n| n.starts_with(&prefix))
            .collect()
    };
    let s = Server::start(&dir, ARGS);
    let (a, key_a, auth_a) = attachment(&s, "team-a", "10.10.0.0/20", 64532, 0);
    let (b, key_b, auth_b) = attachment(&s, "team-b", "10.20.0.0/20", 64600, 1);
    let t = common::megaport_token(&s, "customer");
    let mcr = mp(&s, &t, "POST", "/v4/networkdesign/buy", Some(json!({"networkDesign": [{"locationId": 61,
        "productName": "mcr", "term": 1, "productType": "MCR2", "portSpeed": 10000, "config": {}}]})))["data"][0]
        ["technicalServiceUid"].as_str().unwrap().to_owned();
    buy_vxc(&s, &t, &mcr, &key_a, 0, 64532, &auth_a);
    buy_vxc(&s, &t, &mcr, &key_b, 1, 64600, &auth_b);
    assert!(
        eventually(Duration::from_secs(20), || state(&s, "team-a", &a)
            == "ACTIVE"),
        "A never ACTIVE"
    );
    assert!(
        eventually(Duration::from_secs(20), || state(&s, "team-b", &b)
            == "ACTIVE"),
        "B never ACTIVE"
    );
    let ours = mine();
    assert_eq!(
        ours.len(),
        3,
        "two attachment routers and one MCR: {ours:?}"
    );
    // Each attachment's namespace has the other's VPC range as a kernel route via the MCR.
    assert!(
        eventually(Duration::from_secs(10), || {
            let all: String = ours.iter().map(|n| routes_in(n)).collect();
            all.contains("10.20.0.0/20 via 169.254.0.6")
                && all.contains("10.10.0.0/20 via 169.254.1.6")
        }),
        "{:?}",
        ours.iter().map(|n| routes_in(n)).collect::<Vec<_>>()
    );
    let remote = Client::new(&s, "team-a").get(&format!(
        "/v2/partner_network_connect/attachments/{a}/remote_routes"
    ));
    assert_eq!(
        remote.body["remote_routes"][0]["cidr"], "10.20.0.0/20",
        "{}",
        remote.raw
    );

    // kill -9: the namespaces stay behind; a restart sweeps them and builds the same again.
    s.kill9();
    let s = Server::start(&dir, ARGS);
    assert!(eventually(Duration::from_secs(20), || state(
        &s, "team-a", &a
    ) == "ACTIVE"));
    assert!(eventually(Duration::from_secs(20), || mine().len() == 3));
    // A stop (SIGTERM) removes every namespace, veth and route.
    stop_leaving_nothing(&s, &dir);
}

/// A customer with an MCR joined to team-a's attachment, and a port whose VXC (VLAN 100)
/// reaches the MCR with a BGP connection toward `169.254.2.1` (AS `asn`); `vxc100` in the
/// port's namespace has `169.254.2.1/29`.
struct Customer {
    s: Server,
    attachment: String,
    token: String,
    mcr: String,
    port: String,
    port_vxc: String,
    ns: String,
}

fn customer_with_port(dir: &std::path::Path, asn: u32) -> Customer {
    let s = Server::start(dir, ARGS);
    let (a, key_a, auth_a) = attachment(&s, "team-a", "10.10.0.0/20", 64532, 0);
    let t = common::megaport_token(&s, "customer");
    let buy = |body: Value| {
        mp(
            &s,
            &t,
            "POST",
            "/v4/networkdesign/buy",
            Some(json!({"networkDesign": [body]})),
        )
    };
    let mcr = buy(
        json!({"locationId": 61, "productName": "mcr", "term": 1, "productType": "MCR2",
        "portSpeed": 10000, "config": {}}),
    )["data"][0]["technicalServiceUid"]
        .as_str()
        .unwrap()
        .to_owned();
    buy_vxc(&s, &t, &mcr, &key_a, 0, 64532, &auth_a);
    let port = buy(
        json!({"locationId": 61, "productName": "office", "term": 12, "productType": "MEGAPORT",
        "portSpeed": 10000}),
    )["data"][0]["technicalServiceUid"]
        .as_str()
        .unwrap()
        .to_owned();
    let port_vxc = buy(json!({"productUid": port, "associatedVxcs": [{"productName": "office", "rateLimit": 1000,
        "term": 1, "aEnd": {"vlan": 100}, "bEnd": {"productUid": mcr, "partnerConfig": {"interfaces": [{
            "ipAddresses": ["169.254.2.6/29"], "bgpConnections": [{"peerAsn": asn, "localIpAddress": "169.254.2.6",
            "peerIpAddress": "169.254.2.1", "password": "port-md5-pw", "shutdown": false, "bfdEnabled": false}]}]}}}]}))
        ["data"][0]["vxcJTechnicalServiceUid"].as_str().unwrap().to_owned();
    assert!(eventually(Duration::from_secs(20), || state(
        &s, "team-a", &a
    ) == "ACTIVE"));
    // crosslink names the port's namespace; the VXC arrives there as vxc100.
    let named = common::run(&[
        "fabric",
        "namespace",
        "--data-dir",
        dir.to_str().unwrap(),
        &port,
    ]);
    let ns_name = named.stdout.trim().to_owned();
    assert!(
        ns_name.starts_with("clf"),
        "{}{}",
        named.stdout,
        named.stderr
    );
    let ns = support::Netns::adopt(&ns_name);
    assert!(eventually(Duration::from_secs(10), || ns
        .ip(&["-o", "link"])
        .contains("vxc100")));
    // The VLAN on the wire: where the kernel has 802.1Q, vxc100 is a VLAN 100 sub-interface
    // of a trunk; on one without it (like this project's CI machine), an untagged veth.
    let details = ns.ip(&["-d", "link", "show", "vxc100"]);
    if kernel_has_vlans() {
        assert!(details.contains("vlan protocol 802.1Q id 100"), "{details}");
    } else {
        assert!(details.contains("veth"), "{details}");
    }
    ns.ip(&["address", "add", "169.254.2.1/29", "dev", "vxc100"]);
    Customer {
        s,
        attachment: a,
        token: t,
        mcr,
        port,
        port_vxc,
        ns: ns_name,
    }
}

/// Whether `ip link add … type vlan` works here (tried in a scratch namespace).
fn kernel_has_vlans() -> bool {
    let ns = format!("clt-vlan-{}", std::process::id());
    let ip = |args: &[&str]| {
        std::process::Command::new("ip")
            .args(args)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let ok = ip(&["netns", "add", &ns])
        && ip(&[
            "-n", &ns, "link", "add", "t0", "type", "veth", "peer", "name", "t1",
        ])
        && ip(&[
            "-n", &ns, "link", "add", "link", "t0", "name", "t0.2", "type", "vlan", "id", "2",
        ]);
    ip(&["netns", "delete", &ns]);
    ok
}

/// Stops the server (SIGTERM) and checks its namespaces are all gone.
fn stop_leaving_nothing(s: &Server, dir: &std::path::Path) {
    let prefix = prefix_of(dir);
    assert!(namespaces().iter().any(|n| n.starts_with(&prefix)));
    // SAFETY: signalling our own child.
    unsafe { libc::kill(s.pid() as i32, libc::SIGTERM) };
    assert!(eventually(Duration::from_secs(15), || !namespaces()
        .iter()
        .any(|n| n.starts_with(&prefix))));
}

fn remote_routes(c: &Customer) -> String {
    Client::new(&c.s, "team-a")
        .get(&format!(
            "/v2/partner_network_connect/attachments/{}/remote_routes",
            c.attachment
        ))
        .raw
}

#[test]
#[ignore = "needs root: network namespaces and GoBGP (scripts/test runs it as root)"]
fn a_customers_gobgp_in_its_port_namespace_peers_with_the_mcr() {
    support::require_netns();
    let dir = tempdir();
    let c = customer_with_port(&dir, 65020);
    let ns = support::Netns::adopt(&c.ns);
    let cfg = support::GoBgpConfig {
        router_id: "169.254.2.1".parse().unwrap(),
        local_as: 65020,
        local_address: Some("169.254.2.1".parse().unwrap()),
        neighbor: "169.254.2.6".parse().unwrap(),
        remote_as: 133937,
        neighbor_port: None,
        listen_port: None,
        password: Some("port-md5-pw".into()),
        passive: false,
        announce: vec!["10.98.0.0/24".parse().unwrap()],
        hold_time: 9,
        extra: support::gobgp::GoBgpOptions { api_port: 50151 },
    };
    let mut gobgp = support::GoBgp::start(&ns, &cfg);
    gobgp.wait_established(Duration::from_secs(30));
    gobgp.wait_route("10.10.0.0/20", Duration::from_secs(15));
    assert!(
        eventually(Duration::from_secs(15), || remote_routes(&c)
            .contains("10.98.0.0/24")),
        "{}",
        remote_routes(&c)
    );
    drop(gobgp);
    stop_leaving_nothing(&c.s, &dir);
}

#[test]
#[ignore = "needs root: network namespaces (scripts/test runs it as root)"]
fn mistakes_keep_the_session_down_in_namespaces_too() {
    support::require_netns();
    let dir = tempdir();
    let s = Server::start(&dir, ARGS);
    let t = common::megaport_token(&s, "customer");
    let mcr = mp(&s, &t, "POST", "/v4/networkdesign/buy", Some(json!({"networkDesign": [{"locationId": 61,
        "productName": "mcr", "term": 1, "productType": "MCR2", "portSpeed": 10000, "config": {}}]})))["data"][0]
        ["technicalServiceUid"].as_str().unwrap().to_owned();
    // A wrong password on one /29, a wrong ASN on another.
    let (pw, key_pw, _) = attachment(&s, "pw", "10.30.0.0/20", 64532, 3);
    buy_vxc(&s, &t, &mcr, &key_pw, 3, 64532, "not-the-key");
    let (asn, key_asn, auth_asn) = attachment(&s, "asn", "10.31.0.0/20", 64532, 4);
    buy_vxc(&s, &t, &mcr, &key_asn, 4, 65001, &auth_asn);
    let words = |team: &str, id: &str| {
        Client::new(&s, team)
            .get(&format!("/v2/partner_network_connect/attachments/{id}"))
            .body["partner_attachment"]["bgp_diagnosis"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    };
    assert!(
        eventually(Duration::from_secs(30), || words("pw", &pw)
            .starts_with("Password mismatch")),
        "{}",
        words("pw", &pw)
    );
    assert!(
        eventually(Duration::from_secs(30), || words("asn", &asn)
            .starts_with("ASN mismatch")),
        "{}",
        words("asn", &asn)
    );
    assert_eq!(state(&s, "pw", &pw), "CREATED");
    stop_leaving_nothing(&s, &dir);
}

#[test]
#[ignore = "needs root: network namespaces and BIRD (scripts/test runs it as root)"]
fn a_customers_bird_in_its_port_namespace_peers_with_the_mcr() {
    support::require_netns();
    let dir = tempdir();
    let c = customer_with_port(&dir, 65010);
    let listed = common::run(&[
        "fabric",
        "exec",
        "--data-dir",
        dir.to_str().unwrap(),
        &c.port,
        "--",
        "ip",
        "-o",
        "link",
    ]);
    assert!(
        listed.stdout.contains("vxc100"),
        "{}{}",
        listed.stdout,
        listed.stderr
    );
    let ns = support::Netns::adopt(&c.ns);
    let cfg = support::BirdConfig {
        router_id: "169.254.2.1".parse().unwrap(),
        local_as: 65010,
        local_address: Some("169.254.2.1".parse().unwrap()),
        neighbor: "169.254.2.6".parse().unwrap(),
        remote_as: 133937,
        neighbor_port: None,
        listen_port: None,
        password: Some("port-md5-pw".into()),
        passive: false,
        announce: vec!["10.99.0.0/24".parse().unwrap()],
        hold_time: 9,
        extra: Default::default(),
    }
    .export_to_kernel();
    let mut bird = support::Bird::start(&ns, &cfg);
    bird.wait_established(Duration::from_secs(30));
    // The attachment's VPC range reaches BIRD (and the port namespace's kernel table)...
    bird.wait_route("10.10.0.0/20", Duration::from_secs(15));
    assert!(eventually(Duration::from_secs(10), || routes_in(&c.ns)
        .contains("10.10.0.0/20 via 169.254.2.6")));
    // ...and BIRD's prefix reaches the attachment's remote_routes.
    assert!(
        eventually(Duration::from_secs(15), || remote_routes(&c)
            .contains("10.99.0.0/24")),
        "{}",
        remote_routes(&c)
    );
    // The looking glass shows BIRD's session up.
    let lg = mp(
        &c.s,
        &c.token,
        "GET",
        &format!("/v2/product/mcr2/{}/lookingGlass/bgpSessions", c.mcr),
        None,
    );
    assert!(
        lg["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["neighborAsn"] == 65010 && x["status"] == "UP"),
        "{lg}"
    );
    // Cancelling the port's VXC closes the session and withdraws on both sides.
    mp(
        &c.s,
        &c.token,
        "POST",
        &format!("/v3/product/{}/action/CANCEL_NOW", c.port_vxc),
        None,
    );
    assert!(
        eventually(Duration::from_secs(15), || !remote_routes(&c)
            .contains("10.99.0.0/24")),
        "{}",
        remote_routes(&c)
    );
    assert!(eventually(Duration::from_secs(15), || bird.bgp_state()
        != "Established"));
    drop(bird);
    stop_leaving_nothing(&c.s, &dir);
}
