//! The fabric in loopback mode against the real binary: a LIVE VXC ordered with an
//! attachment's key runs a real BGP session (TCP-MD5 on 127.x addresses), the attachment turns
//! ACTIVE when it is Established, routes pass between the MCR's VXCs into `remote_routes`,
//! the looking glass shows the sessions, and mistakes keep the session down.

mod common;

use common::{
    attachment_diagnosis as diagnosis, attachment_state as state, eventually, megaport_ok as mp,
    megaport_token as mp_token, request, tempdir, Client, Server,
};
use serde_json::json;
use std::time::Duration;

/// The tests poll; DigitalOcean's per-token rate limit would cut them off.
const NO_LIMITS: &[&str] = &["--rate-limit-per-minute", "0", "--rate-limit-per-hour", "0"];

/// A team's attachment on a fresh VPC of `range`; returns (id, key, auth key).
fn attachment(s: &Server, team: &str, range: &str) -> (String, String, String) {
    attachment_as(s, team, range, 64532)
}

/// The same with DigitalOcean's side on `asn`: two attachments on 64532 would drop each
/// other's routes (each sees its own AS in the path), as real routers do.
fn attachment_as(s: &Server, team: &str, range: &str, asn: u32) -> (String, String, String) {
    common::partner_attachment(
        s,
        team,
        json!({"ip_range": range}),
        json!({"bgp": {"local_router_asn": asn, "local_router_ip": "169.254.0.1/29",
            "peer_router_ip": "169.254.0.6/29", "peer_router_asn": 133937, "auth_key": format!("{team}-md5-key")}}),
    )
}

fn buy_mcr(s: &Server, t: &str) -> String {
    let r = mp(
        s,
        t,
        "POST",
        "/v4/networkdesign/buy",
        Some(json!({"networkDesign": [{"locationId": 61,
        "productName": "mcr", "term": 1, "productType": "MCR2", "portSpeed": 10000, "config": {}}]})),
    );
    r["data"][0]["technicalServiceUid"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// megaportgo's VXC order with the MCR end's interface and BGP connection.
/// The MCR end's BGP connection: (interface and local IP, peer IP, peer ASN, password).
type McrBgp<'a> = (&'a str, &'a str, u32, &'a str);

fn buy_vxc(
    s: &Server,
    t: &str,
    mcr: &str,
    key: &str,
    (local, peer, asn, password): McrBgp<'_>,
) -> String {
    let r = mp(
        s,
        t,
        "POST",
        "/v4/networkdesign/buy",
        Some(json!({"networkDesign": [{"productUid": mcr,
        "associatedVxcs": [{"productName": "to-do", "serviceKey": key, "rateLimit": 1000, "term": 1, "shutdown": false,
        "aEnd": {"partnerConfig": {"interfaces": [{"ipAddresses": [format!("{local}/29")], "bfd": {}, "bgpConnections": [
            {"peerAsn": asn, "localIpAddress": local, "peerIpAddress": peer, "password": password,
             "shutdown": false, "description": "do", "bfdEnabled": false}]}]}}, "bEnd": {}}]}]})),
    );
    r["data"][0]["vxcJTechnicalServiceUid"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn remote_routes(s: &Server, team: &str, id: &str) -> Vec<String> {
    let r = Client::new(s, team).get(&format!(
        "/v2/partner_network_connect/attachments/{id}/remote_routes"
    ));
    r.body["remote_routes"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", r.raw))
        .iter()
        .map(|r| r["cidr"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_seeds_flow_ends_established_and_routes_pass_between_the_mcrs_vxcs() {
    let s = Server::start(&tempdir(), NO_LIMITS);
    let (a, key_a, auth_a) = attachment(&s, "team-a", "10.10.0.0/20");
    let (b, key_b, auth_b) = attachment_as(&s, "team-b", "10.20.0.0/20", 64600);
    let t = mp_token(&s, "customer");
    let mcr = buy_mcr(&s, &t);
    let vxc_a = buy_vxc(
        &s,
        &t,
        &mcr,
        &key_a,
        ("169.254.0.6", "169.254.0.1", 64532, &auth_a),
    );
    assert!(
        eventually(Duration::from_secs(15), || state(&s, "team-a", &a)
            == "ACTIVE"),
        "attachment A never ACTIVE"
    );
    buy_vxc(
        &s,
        &t,
        &mcr,
        &key_b,
        ("169.254.0.6", "169.254.0.1", 64600, &auth_b),
    );
    assert!(
        eventually(Duration::from_secs(15), || state(&s, "team-b", &b)
            == "ACTIVE"),
        "{}",
        mp(
            &s,
            &t,
            "GET",
            &format!("/v2/product/mcr2/{mcr}/lookingGlass/bgpSessions"),
            None
        )
    );
    // The MCR passes each attachment's VPC range to the other.
    assert!(
        eventually(Duration::from_secs(10), || remote_routes(&s, "team-a", &a)
            == ["10.20.0.0/20"]),
        "{:?}",
        remote_routes(&s, "team-a", &a)
    );
    assert!(eventually(Duration::from_secs(10), || remote_routes(
        &s, "team-b", &b
    ) == [
        "10.10.0.0/20"
    ]));
    // The looking glass: two sessions UP, routes per neighbour.
    let lg = mp(
        &s,
        &t,
        "GET",
        &format!("/v2/product/mcr2/{mcr}/lookingGlass/bgpSessions"),
        None,
    );
    let sessions = lg["data"].as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{lg}");
    assert!(
        sessions
            .iter()
            .all(|x| x["status"] == "UP" && x["localAsn"] == 133937),
        "{lg}"
    );
    let sid = sessions
        .iter()
        .find(|x| x["vxcUid"] == vxc_a.as_str())
        .unwrap()["sessionId"]
        .as_str()
        .unwrap()
        .to_owned();
    let rcvd = mp(
        &s,
        &t,
        "GET",
        &format!("/v2/product/mcr2/{mcr}/lookingGlass/bgpSessions/{sid}/received"),
        None,
    );
    assert_eq!(rcvd["data"][0]["prefix"], "10.10.0.0/20", "{rcvd}");
    assert_eq!(rcvd["data"][0]["asPath"], json!([64532]));
    let adv = mp(
        &s,
        &t,
        "GET",
        &format!("/v2/product/mcr2/{mcr}/lookingGlass/bgpSessions/{sid}/advertised"),
        None,
    );
    assert_eq!(adv["data"][0]["prefix"], "10.20.0.0/20", "{adv}");
    assert_eq!(adv["data"][0]["asPath"], json!([133937, 64600]), "{adv}");
    let routes = mp(
        &s,
        &t,
        "GET",
        &format!("/v2/product/mcr2/{mcr}/lookingGlass/routes"),
        None,
    );
    assert_eq!(routes["data"].as_array().unwrap().len(), 2, "{routes}");
    // The VXC itself says its BGP status to its owner.
    let v = mp(&s, &t, "GET", &format!("/v2/product/{vxc_a}"), None);
    assert_eq!(v["data"]["bgpStatus"], "UP", "{v}");
    // Another company sees no looking glass of it.
    let other = mp_token(&s, "stranger");
    let r = request(
        &s.megaport,
        "GET",
        &format!("/v2/product/mcr2/{mcr}/lookingGlass/bgpSessions"),
        Some(&other),
        None,
    );
    assert_eq!(r.status, 404);

    // Prometheus sees the sessions and the resources, without the admin token.
    let m = request(&s.admin, "GET", "/metrics", None, None);
    assert_eq!(m.status, 200);
    assert!(
        m.raw
            .contains("crosslink_bgp_sessions{state=\"Established\"} 2"),
        "{}",
        m.raw
    );
    assert!(
        m.raw
            .contains("crosslink_resources{type=\"vxc\",status=\"LIVE\"} 2"),
        "{}",
        m.raw
    );
    assert!(
        m.raw.contains("crosslink_bgp_prefixes_received 2"),
        "{}",
        m.raw
    );
    assert!(m.raw.contains("crosslink_bgp_flaps_total 0"), "{}", m.raw);

    // Changing A's VPCs withdraws and announces accordingly.
    let ca = Client::new(&s, "team-a");
    let vpc2 = ca.call(
        "POST",
        "/v2/vpcs",
        Some(json!({"name": "a2", "region": "nyc1", "ip_range": "10.11.0.0/20"})),
    );
    let r = ca.call(
        "PATCH",
        &format!("/v2/partner_network_connect/attachments/{a}"),
        Some(json!({"vpc_ids": [vpc2.body["vpc"]["id"]]})),
    );
    assert!(r.status < 300, "{}", r.raw);
    assert!(
        eventually(Duration::from_secs(10), || remote_routes(&s, "team-b", &b)
            == ["10.11.0.0/20"]),
        "{:?}",
        remote_routes(&s, "team-b", &b)
    );

    // Cancelling A's VXC closes its session: A back to CREATED, B no longer learns A's range.
    mp(
        &s,
        &t,
        "POST",
        &format!("/v3/product/{vxc_a}/action/CANCEL_NOW"),
        None,
    );
    assert!(eventually(Duration::from_secs(10), || state(
        &s, "team-a", &a
    ) == "CREATED"));
    assert!(eventually(Duration::from_secs(10), || remote_routes(
        &s, "team-b", &b
    )
    .is_empty()));
    let events = s.admin("GET", "/_crosslink/events?limit=1000", None);
    assert!(
        events.raw.contains("\"to\":\"ACTIVE\""),
        "history shows ACTIVE: {}",
        events.raw
    );
}

#[test]
fn each_mistake_keeps_the_session_down_and_says_why() {
    let s = Server::start(&tempdir(), NO_LIMITS);
    let t = mp_token(&s, "customer");
    let mcr = buy_mcr(&s, &t);
    let cases: [(&str, McrBgp, &str); 4] = [
        (
            "pw",
            ("169.254.0.6", "169.254.0.1", 64532, "not-the-key"),
            "Password mismatch",
        ),
        (
            "asn",
            ("169.254.0.6", "169.254.0.1", 65001, ""),
            "ASN mismatch",
        ),
        (
            "flip",
            ("169.254.0.1", "169.254.0.6", 64532, ""),
            "Local and peer IPs are flipped",
        ),
        (
            "itf",
            ("169.254.0.5", "169.254.0.1", 64532, ""),
            "not the attachment's peer router IP",
        ),
    ];
    let mut made = Vec::new();
    for (i, (team, (local, peer, asn, pw), _)) in cases.iter().enumerate() {
        let (id, key, auth) = attachment(&s, team, &format!("10.{}.0.0/20", 30 + i * 16));
        let pw = if pw.is_empty() { auth.as_str() } else { pw };
        buy_vxc(&s, &t, &mcr, &key, (local, peer, *asn, pw));
        made.push(id);
    }
    for ((team, _, words), id) in cases.iter().zip(&made) {
        assert!(
            eventually(Duration::from_secs(20), || diagnosis(&s, team, id)
                .contains(words)),
            "{team}: {}",
            diagnosis(&s, team, id)
        );
        assert_eq!(state(&s, team, id), "CREATED");
    }
    // The ASN case names both numbers, from the NOTIFICATION on the wire.
    let asn = diagnosis(&s, "asn", &made[1]);
    assert!(asn.contains("65001") && asn.contains("64532"), "{asn}");
    // The looking glass says the same sessions are down.
    let lg = mp(
        &s,
        &t,
        "GET",
        &format!("/v2/product/mcr2/{mcr}/lookingGlass/bgpSessions"),
        None,
    );
    assert!(
        lg["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["status"] == "DOWN"),
        "{lg}"
    );
    // The admin API says the same, for any team's attachment.
    let admin = s.admin(
        "GET",
        &format!("/_crosslink/attachments/{}/diagnosis", made[1]),
        None,
    );
    assert!(
        admin.body["diagnosis"]
            .as_str()
            .unwrap_or("")
            .starts_with("ASN mismatch"),
        "{}",
        admin.raw
    );
    assert!(
        admin.body["team"]
            .as_str()
            .is_some_and(|t| t.starts_with("team-")),
        "{}",
        admin.raw
    );
    // The CLI's diagnose prints it.
    let out = common::run(&[
        "network",
        "attachment",
        "diagnose",
        &made[0],
        "-u",
        &s.api,
        "-t",
        "pw",
    ]);
    assert!(
        out.stdout.contains("Password mismatch"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    // Without a VXC, the words say so.
    let (lone, _, _) = attachment(&s, "lone", "10.200.0.0/20");
    assert_eq!(
        diagnosis(&s, "lone", &lone),
        "",
        "no extra field before anything is ordered"
    );
    let out = common::run(&[
        "network",
        "attachment",
        "diagnose",
        &lone,
        "-u",
        &s.api,
        "-t",
        "lone",
    ]);
    assert!(
        out.stdout
            .starts_with("No VXC uses this attachment's service key"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_kill_9_and_a_restart_bring_the_session_back() {
    let dir = tempdir();
    let s = Server::start(&dir, NO_LIMITS);
    let (a, key, auth) = attachment(&s, "team-a", "10.10.0.0/20");
    let t = mp_token(&s, "customer");
    let mcr = buy_mcr(&s, &t);
    buy_vxc(
        &s,
        &t,
        &mcr,
        &key,
        ("169.254.0.6", "169.254.0.1", 64532, &auth),
    );
    assert!(eventually(Duration::from_secs(15), || state(
        &s, "team-a", &a
    ) == "ACTIVE"));
    s.kill9();
    // The session is rebuilt from the database alone; the token, signed with the data's
    // secret, is still good.
    let s = Server::start(&dir, NO_LIMITS);
    let lg = |s: &Server| {
        mp(
            s,
            &t,
            "GET",
            &format!("/v2/product/mcr2/{mcr}/lookingGlass/bgpSessions"),
            None,
        )
    };
    assert!(
        eventually(Duration::from_secs(15), || lg(&s)["data"][0]["status"]
            == "UP"),
        "{}",
        lg(&s)
    );
    assert_eq!(state(&s, "team-a", &a), "ACTIVE");
    // Restarted without a fabric: no session, and the looking glass says so.
    drop(s);
    let mut args = NO_LIMITS.to_vec();
    args.extend(["--fabric", "off"]);
    let s = Server::start(&dir, &args);
    assert_eq!(lg(&s)["data"], json!([]));
}

#[test]
fn shutting_the_bgp_connection_down_and_up_again() {
    let s = Server::start(&tempdir(), NO_LIMITS);
    let (a, key, auth) = attachment(&s, "team-a", "10.10.0.0/20");
    let t = mp_token(&s, "customer");
    let mcr = buy_mcr(&s, &t);
    let vxc = buy_vxc(
        &s,
        &t,
        &mcr,
        &key,
        ("169.254.0.6", "169.254.0.1", 64532, &auth),
    );
    assert!(eventually(Duration::from_secs(15), || state(
        &s, "team-a", &a
    ) == "ACTIVE"));
    let config = |shutdown: bool| {
        json!({"aEndConfig": {"interfaces": [{"ipAddresses": ["169.254.0.6/29"], "bgpConnections": [
            {"peerAsn": 64532, "localIpAddress": "169.254.0.6", "peerIpAddress": "169.254.0.1",
             "password": auth, "shutdown": shutdown, "bfdEnabled": false}]}]}})
    };
    mp(
        &s,
        &t,
        "PUT",
        &format!("/v3/product/vxc/{vxc}"),
        Some(config(true)),
    );
    assert!(eventually(Duration::from_secs(15), || state(
        &s, "team-a", &a
    ) == "CREATED"));
    assert!(
        eventually(Duration::from_secs(15), || diagnosis(&s, "team-a", &a)
            .contains("shut down")),
        "{}",
        diagnosis(&s, "team-a", &a)
    );
    mp(
        &s,
        &t,
        "PUT",
        &format!("/v3/product/vxc/{vxc}"),
        Some(config(false)),
    );
    assert!(eventually(Duration::from_secs(15), || state(
        &s, "team-a", &a
    ) == "ACTIVE"));
    // The whole VXC shut down: the session closes too.
    mp(
        &s,
        &t,
        "PUT",
        &format!("/v3/product/vxc/{vxc}"),
        Some(json!({"shutdown": true})),
    );
    assert!(eventually(Duration::from_secs(15), || state(
        &s, "team-a", &a
    ) == "CREATED"));
    let words = diagnosis(&s, "team-a", &a);
    assert!(words.contains("is shut down by its owner"), "{words}");
}

/// A BGP connection's `localAsn` is what the MCR speaks on that session alone: an attachment
/// that expects 65010 comes up only when the connection says so, and the looking glass says
/// which ASN the session used.
#[test]
fn a_connections_local_asn_is_the_one_on_the_wire() {
    let s = Server::start(&tempdir(), NO_LIMITS);
    let (a, key, auth) = common::partner_attachment(
        &s,
        "team-l",
        json!({"ip_range": "10.30.0.0/20"}),
        json!({"bgp": {"local_router_ip": "169.254.0.1/29", "peer_router_ip": "169.254.0.6/29",
            "peer_router_asn": 65010, "auth_key": "team-l-md5-key"}}),
    );
    let t = mp_token(&s, "customer-l");
    let mcr = buy_mcr(&s, &t);
    let r = mp(
        &s,
        &t,
        "POST",
        "/v4/networkdesign/buy",
        Some(json!({"networkDesign": [{"productUid": mcr,
        "associatedVxcs": [{"productName": "to-do", "serviceKey": key, "rateLimit": 1000, "term": 1, "shutdown": false,
        "aEnd": {"partnerConfig": {"interfaces": [{"ipAddresses": ["169.254.0.6/29"], "bgpConnections": [
            {"peerAsn": 64532, "localAsn": 65010, "localIpAddress": "169.254.0.6", "peerIpAddress": "169.254.0.1",
             "password": auth, "shutdown": false, "bfdEnabled": false}]}]}}, "bEnd": {}}]}]})),
    );
    assert!(r["data"][0]["vxcJTechnicalServiceUid"].is_string(), "{r}");
    assert!(
        eventually(Duration::from_secs(15), || state(&s, "team-l", &a)
            == "ACTIVE"),
        "{}",
        diagnosis(&s, "team-l", &a)
    );
    let glass = mp(
        &s,
        &t,
        "GET",
        &format!("/v2/product/mcr2/{mcr}/lookingGlass/bgpSessions"),
        None,
    );
    let sessions = glass["data"].as_array().cloned().unwrap_or_default();
    assert!(sessions.iter().any(|x| x["localAsn"] == 65010), "{glass}");
}
