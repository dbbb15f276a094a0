//! Partner attachments against the real binary: scopes per route, durable lifecycles across a
//! SIGKILL and a restart, stored policies, and secrets kept out of logs and events. (Every
//! request rule is covered through pydo in tests/python/test_partner_attachments.py.)

mod common;

use common::{eventually, request, tempdir, Client, Server};
use serde_json::{json, Value};
use std::time::Duration;

const PA: &str = "/v2/partner_network_connect/attachments";

fn vpc(c: &Client, name: &str, region: &str) -> String {
    let r = c.call(
        "POST",
        "/v2/vpcs",
        Some(json!({"name": name, "region": region})),
    );
    assert_eq!(r.status, 201, "{}", r.raw);
    r.body["vpc"]["id"].as_str().unwrap().to_owned()
}

fn create(c: &Client, name: &str, vpc_ids: &[&str]) -> Value {
    let r = c.call(
        "POST",
        PA,
        Some(json!({
            "name": name, "region": "nyc", "connection_bandwidth_in_mbps": 1000,
            "naas_provider": "MEGAPORT", "vpc_ids": vpc_ids,
        })),
    );
    assert_eq!(r.status, 202, "{}", r.raw);
    r.body["partner_attachment"].clone()
}

fn state(c: &Client, id: &str) -> String {
    c.get(&format!("{PA}/{id}")).body["partner_attachment"]["state"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn scopes_are_the_ones_the_spec_declares_per_operation() {
    let dir = tempdir();
    let s = Server::start(&dir, &["--auth", "strict"]);
    let mint = |scopes: &[&str]| {
        let body = json!({"team": "acme", "name": "t", "scopes": scopes}).to_string();
        let r = s.admin("POST", "/_crosslink/tokens", Some(&body));
        assert_eq!(r.status, 201, "{}", r.raw);
        r.body["token"]["value"].as_str().unwrap().to_owned()
    };
    let full = Client {
        base: s.api.clone(),
        token: mint(&[]),
    };
    let v = vpc(&full, "v", "nyc1");
    let pa = create(&full, "pa", &[&v]);
    let id = pa["id"].as_str().unwrap();
    let reader = mint(&["partner_network_connect:read"]);
    let creator = mint(&["partner_network_connect:create"]);
    let writer = mint(&["partner_network_connect:write"]);
    let status = |token: &str, method: &str, path: &str, body: Option<&str>| {
        request(&s.api, method, path, Some(token), body).status
    };
    let new = json!({"name": "pb", "region": "nyc", "connection_bandwidth_in_mbps": 1000,
        "naas_provider": "MEGAPORT", "vpc_ids": [v]})
    .to_string();
    assert_eq!(status(&reader, "GET", PA, None), 200);
    assert_eq!(
        status(&reader, "GET", &format!("{PA}/{id}/bgp_auth_key"), None),
        200
    );
    assert_eq!(status(&reader, "POST", PA, Some(&new)), 403);
    assert_eq!(status(&creator, "GET", PA, None), 403);
    assert_eq!(status(&creator, "POST", PA, Some(&new)), 202);
    let regen = format!("{PA}/{id}/service_key");
    assert_eq!(status(&reader, "POST", &regen, Some("")), 403);
    assert_eq!(status(&writer, "POST", &regen, Some("")), 202);
    let r = request(&s.api, "POST", PA, Some(&reader), Some(&new));
    assert!(r.body["message"]
        .as_str()
        .unwrap()
        .contains("partner_network_connect:create"));
}

#[test]
fn a_sigkill_mid_creating_resumes_and_reaches_created() {
    let dir = tempdir();
    let (id, key_events) = {
        let s = Server::start(&dir, &["--transitions", "service_key=manual"]);
        let c = Client::new(&s, "tok");
        let v = vpc(&c, "v", "nyc1");
        let pa = create(&c, "pa", &[&v]);
        let id = pa["id"].as_str().unwrap().to_owned();
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(state(&c, &id), "CREATING", "the key waits for an advance");
        let sk = c.get(&format!("{PA}/{id}/service_key")).body;
        assert_eq!(sk["service_key"]["state"], "CREATING");
        assert_eq!(
            sk["service_key"]["value"], "",
            "not shown before it is issued"
        );
        let events = s.admin("GET", "/_crosslink/events", None).body;
        s.kill9();
        (id, events)
    };
    // The next process honours the stored policy: still waiting.
    let s = Server::start(&dir, &[]);
    let c = Client::new(&s, "tok");
    assert_eq!(
        s.admin("GET", "/_crosslink/transitions", None).body["transitions"]["service_key"],
        "manual"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(state(&c, &id), "CREATING");
    // Advancing the key (named by its id in the events) issues it; the attachment follows.
    let key_id = key_events["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["resource_type"] == "service_key")
        .unwrap()["resource_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = s.admin(
        "POST",
        "/_crosslink/transitions/advance",
        Some(&json!({"resource_type": "service_key", "id": key_id}).to_string()),
    );
    assert_eq!(r.status, 202, "{}", r.raw);
    assert!(eventually(Duration::from_secs(5), || state(&c, &id) == "CREATED"));
    let sk = c.get(&format!("{PA}/{id}/service_key")).body;
    assert_eq!(sk["service_key"]["state"], "CREATED");
    assert_ne!(sk["service_key"]["value"], key_id, "the key is not its id");
    drop(s);

    // A SIGKILL right after create, under the default policy, loses nothing either.
    let dir = tempdir();
    let s = Server::start(&dir, &[]);
    let c = Client::new(&s, "tok");
    let v = vpc(&c, "v", "nyc1");
    let ids: Vec<String> = (0..20)
        .map(|i| {
            create(&c, &format!("pa{i}"), &[&v])["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    s.kill9();
    let s = Server::start(&dir, &[]);
    let c = Client::new(&s, "tok");
    assert!(eventually(Duration::from_secs(10), || ids
        .iter()
        .all(|id| state(&c, id) == "CREATED")));
}

#[test]
fn keys_and_passwords_stay_out_of_events_and_logs() {
    let dir = tempdir();
    let log = dir.join("server.log");
    let s = Server::start_logging(&dir, &[], &log);
    let c = Client::new(&s, "tok");
    let v = vpc(&c, "v", "nyc1");
    let r = c.call(
        "POST",
        PA,
        Some(json!({
            "name": "pa", "region": "nyc", "connection_bandwidth_in_mbps": 1000,
            "naas_provider": "MEGAPORT", "vpc_ids": [v],
            "bgp": {"local_router_ip": "169.254.0.1/29", "peer_router_ip": "169.254.0.6/29",
                    "peer_router_asn": 65010, "auth_key": "very-secret-md5"}
        })),
    );
    assert_eq!(r.status, 202, "{}", r.raw);
    let id = r.body["partner_attachment"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(eventually(Duration::from_secs(5), || state(&c, &id) == "CREATED"));
    let key = c.get(&format!("{PA}/{id}/service_key")).body["service_key"]["value"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(key.len(), 36);
    assert_eq!(
        c.get(&format!("{PA}/{id}/bgp_auth_key")).body["bgp_auth_key"]["value"],
        "very-secret-md5"
    );
    c.call("POST", &format!("{PA}/{id}/service_key"), None);
    c.call("DELETE", &format!("{PA}/{id}"), None);
    let events = s.admin("GET", "/_crosslink/events", None).raw;
    drop(s);
    let logged = std::fs::read_to_string(&log).unwrap();
    for secret in [key.as_str(), "very-secret-md5"] {
        assert!(!events.contains(secret), "{secret} in events");
        assert!(!logged.contains(secret), "{secret} in the log");
    }
    assert!(events.contains("partner_attachment") && events.contains("service_key"));
}

/// Every create and PATCH rule, each refused in DigitalOcean's envelope with nothing changed.
#[test]
fn every_rule_refuses_in_the_envelope_and_changes_nothing() {
    let dir = tempdir();
    // The defaults a new user gets: seeded default VPCs, so every VPC made here is deletable.
    let s = Server::start(&dir, &["--default-vpcs", "seeded"]);
    let c = Client::new(&s, "rules");
    let nyc = vpc(&c, "n1", "nyc1");
    let nyc3 = vpc(&c, "n3", "nyc3");
    let ams = vpc(&c, "a3", "ams3");
    let other = vpc(&Client::new(&s, "someone-else"), "theirs", "nyc1");
    let extra: Vec<String> = (0..5).map(|i| vpc(&c, &format!("x{i}"), "nyc1")).collect();
    let good = json!({"name": "pa", "region": "NYC", "connection_bandwidth_in_mbps": 2000,
        "naas_provider": "megaport", "vpc_ids": [nyc, nyc3]});
    let with = |k: &str, v: Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    let bgp = |local: &str, peer: &str, asn: u64, key: &str| json!({"local_router_ip": local, "peer_router_ip": peer, "peer_router_asn": asn, "auth_key": key});
    let six: Vec<String> = std::iter::once(nyc.clone()).chain(extra.clone()).collect();
    let cases: Vec<(&str, Value, u16, &str)> = vec![
        (
            "bandwidth",
            with("connection_bandwidth_in_mbps", json!(50)),
            422,
            "invalid connection bandwidth rate provided",
        ),
        ("region", with("region", json!("nyc3")), 422, "region"),
        (
            "provider",
            with("naas_provider", json!("EQUINIX")),
            422,
            "naas_provider",
        ),
        (
            "name pattern",
            with("name", json!("has space")),
            422,
            "name",
        ),
        ("no VPCs", with("vpc_ids", json!([])), 422, "vpc_ids"),
        ("six VPCs", with("vpc_ids", json!(six)), 422, "vpc_ids"),
        (
            "VPC of another metro",
            with("vpc_ids", json!([nyc, ams])),
            422,
            "not in the attachment's metro",
        ),
        (
            "another team's VPC",
            with("vpc_ids", json!([other])),
            422,
            "does not exist",
        ),
        (
            "not an id",
            with("vpc_ids", json!(["nope"])),
            422,
            "vpc_ids",
        ),
        (
            "zone",
            with("redundancy_zone", json!("UNSPECIFIED")),
            422,
            "redundancy_zone",
        ),
        (
            "unknown parent",
            with("parent_uuid", json!(uuid::Uuid::new_v4().to_string())),
            422,
            "does not exist",
        ),
        (
            "partial bgp",
            with("bgp", json!({"auth_key": "k"})),
            422,
            "missing",
        ),
        (
            "asn 0",
            with("bgp", bgp("169.254.9.1/29", "169.254.9.6/29", 0, "k")),
            422,
            "ASN",
        ),
        (
            "other /29",
            with("bgp", bgp("169.254.9.1/29", "169.254.8.6/29", 65000, "k")),
            422,
            "same /29",
        ),
        (
            "same address",
            with("bgp", bgp("169.254.9.1/29", "169.254.9.1/29", 65000, "k")),
            422,
            "both",
        ),
        (
            "not link-local",
            with("bgp", bgp("10.0.0.1/29", "10.0.0.6/29", 65000, "k")),
            422,
            "link-local",
        ),
    ];
    for (what, body, status, says) in &cases {
        let r = c.call("POST", PA, Some(body.clone()));
        assert_eq!(r.status, *status, "{what}: {}", r.raw);
        assert!(
            r.body["message"]
                .as_str()
                .unwrap_or_default()
                .contains(says),
            "{what}: {}",
            r.raw
        );
        assert!(
            r.header("x-request-id").is_some() && r.body["request_id"].is_string(),
            "{what}"
        );
    }
    assert_eq!(c.get(PA).body["meta"]["total"], 0, "nothing was created");

    let pa = c.call("POST", PA, Some(good.clone()));
    assert_eq!(pa.status, 202, "{}", pa.raw);
    assert_eq!(
        pa.body["partner_attachment"]["naas_provider"], "megaport",
        "echoed as sent"
    );
    assert_eq!(pa.body["partner_attachment"]["region"], "NYC");
    let id = pa.body["partner_attachment"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let dup = c.call("POST", PA, Some(good.clone()));
    assert_eq!(dup.status, 409, "{}", dup.raw);
    // HA: a child in the same metro is listed by its parent, which then cannot be deleted.
    let child = c.call(
        "POST",
        PA,
        Some(
            json!({"name": "pa-ha", "region": "nyc", "connection_bandwidth_in_mbps": 2000,
            "naas_provider": "MEGAPORT", "vpc_ids": [nyc], "parent_uuid": id,
            "redundancy_zone": "MEGAPORT_BLUE"}),
        ),
    );
    assert_eq!(child.status, 202, "{}", child.raw);
    let child_id = child.body["partner_attachment"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(eventually(Duration::from_secs(5), || state(&c, &child_id) == "CREATED"));
    assert_eq!(
        c.get(&format!("{PA}/{id}")).body["partner_attachment"]["children"],
        json!([child_id])
    );
    assert_eq!(c.call("DELETE", &format!("{PA}/{id}"), None).status, 409);
    // PATCH: the same rules; a refused PATCH changes nothing.
    assert!(eventually(Duration::from_secs(5), || state(&c, &id) == "CREATED"));
    let before = c.get(&format!("{PA}/{id}")).body;
    for (what, body) in [
        ("metro", json!({"vpc_ids": [ams]})),
        ("empty", json!({"vpc_ids": []})),
        ("name", json!({"name": "bad name"})),
        ("taken name", json!({"name": "pa-ha"})),
        ("bgp", json!({"bgp": {"local_router_ip": "169.254.0.1/29"}})),
        ("mixed", json!({"name": "fine", "vpc_ids": [ams]})),
    ] {
        let r = c.call("PATCH", &format!("{PA}/{id}"), Some(body));
        assert!(matches!(r.status, 409 | 422), "{what}: {}", r.raw);
        assert_eq!(
            c.get(&format!("{PA}/{id}")).body,
            before,
            "{what} changed nothing"
        );
    }
    let r = c.call(
        "PATCH",
        &format!("{PA}/{id}"),
        Some(json!({"vpc_ids": [nyc3], "name": "renamed"})),
    );
    assert_eq!(r.status, 202, "{}", r.raw);
    assert_eq!(r.body["partner_attachment"]["vpc_ids"], json!([nyc3]));
    // A VPC in an attachment cannot be deleted; once out of it, it can.
    assert_eq!(
        c.call("DELETE", &format!("/v2/vpcs/{nyc3}"), None).status,
        409
    );
    assert_eq!(
        c.call("DELETE", &format!("/v2/vpcs/{}", extra[0]), None)
            .status,
        204
    );
    // Another team sees none of it.
    let intruder = Client::new(&s, "intruder");
    for path in [
        format!("{PA}/{id}"),
        format!("{PA}/{id}/service_key"),
        format!("{PA}/{id}/bgp_auth_key"),
        format!("{PA}/{id}/remote_routes"),
    ] {
        let r = intruder.get(&path);
        assert_eq!(r.status, 404, "{path}");
        assert!(r.body["message"].as_str().unwrap().contains("not found"));
    }
}
