//! The fabric in netns mode (root): attachment routers and MCRs are network namespaces joined
//! by veth pairs with the real /29 addresses; learned routes land in each namespace's kernel
//! table; a crash leaves nothing that a restart does not sweep, and a stop removes everything.

mod common;

use common::{eventually, request, tempdir, Client, Server};
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

fn namespaces() -> Vec<String> {
    let out = Command::new("ip").args(["netns", "list"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| n.starts_with("clf"))
        .map(str::to_owned)
        .collect()
}

fn mp(s: &Server, t: &str, method: &str, path: &str, body: Option<Value>) -> Value {
    let b = body.map(|b| b.to_string());
    let r = request(&s.megaport, method, path, Some(t), b.as_deref());
    assert!(r.status < 300, "{method} {path}: {}", r.raw);
    r.body
}

fn state(s: &Server, team: &str, id: &str) -> String {
    Client::new(s, team)
        .get(&format!("/v2/partner_network_connect/attachments/{id}"))
        .body["partner_attachment"]["state"]
        .as_str()
        .unwrap_or("")
        .to_owned()
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
    let before = namespaces();
    let dir = tempdir();
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
    let ours: Vec<String> = namespaces()
        .into_iter()
        .filter(|n| !before.contains(n))
        .collect();
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
    assert!(eventually(Duration::from_secs(20), || {
        namespaces()
            .into_iter()
            .filter(|n| !before.contains(n))
            .count()
            == 3
    }));
    // A stop (SIGTERM) removes every namespace, veth and route.
    // SAFETY: signalling our own child.
    unsafe { libc::kill(s.pid() as i32, libc::SIGTERM) };
    assert!(
        eventually(Duration::from_secs(15), || namespaces()
            .iter()
            .all(|n| before.contains(n))),
        "{:?}",
        namespaces()
    );
    drop(s);
}
