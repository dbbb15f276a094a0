//! The DigitalOcean API against the real binary: status codes, root keys, rules, errors,
//! tenancy, pagination, rate limits, lifecycles and durability across SIGKILL.

mod common;

use common::{eventually, request, tempdir, Client, Server};
use serde_json::json;
use std::time::Duration;

fn vpc(c: &Client, name: &str, region: &str, range: Option<&str>) -> serde_json::Value {
    let mut body = json!({"name": name, "region": region});
    if let Some(r) = range {
        body["ip_range"] = json!(r);
    }
    let r = c.call("POST", "/v2/vpcs", Some(body));
    assert_eq!(r.status, 201, "{}", r.raw);
    r.body["vpc"].clone()
}

fn vpc_id(c: &Client, name: &str, region: &str) -> String {
    vpc(c, name, region, None)["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn vpc_crud_and_rules() {
    let dir = tempdir();
    let s = Server::start(&dir, &[]);
    let c = Client::new(&s, "alice");
    let a = vpc(&c, "a", "NYC1", None);
    assert_eq!(a["region"], "nyc1");
    assert_eq!(a["ip_range"], "10.0.0.0/20");
    assert_eq!(a["default"], true);
    assert_eq!(a["urn"], format!("do:vpc:{}", a["id"].as_str().unwrap()));
    assert!(a["created_at"].as_str().unwrap().ends_with('Z'));
    let b = vpc(&c, "b", "nyc1", Some("192.168.0.0/24"));
    assert_eq!(b["default"], false);
    let bid = b["id"].as_str().unwrap();
    let aid = a["id"].as_str().unwrap();

    // Rules, each leaving state unchanged.
    for (body, status) in [
        (
            json!({"name": "c", "region": "nyc1", "ip_range": "192.168.0.0/16"}),
            409,
        ),
        (json!({"name": "a", "region": "sfo3"}), 409),
        (
            json!({"name": "c", "region": "nyc1", "ip_range": "8.8.8.0/24"}),
            422,
        ),
        (
            json!({"name": "c", "region": "nyc1", "ip_range": "10.9.0.0/29"}),
            422,
        ),
        (
            json!({"name": "c", "region": "nyc1", "ip_range": "10.9.0.1/24"}),
            422,
        ),
        (json!({"name": "bad name", "region": "nyc1"}), 422),
        (json!({"name": "c", "region": "mars1"}), 422),
        (json!({"name": "c"}), 422),
        (json!({"name": 5, "region": "nyc1"}), 422),
        (
            json!({"name": "c", "region": "nyc1", "description": "x".repeat(256)}),
            422,
        ),
    ] {
        let r = c.call("POST", "/v2/vpcs", Some(body.clone()));
        assert_eq!(r.status, status, "{body}: {}", r.raw);
        assert!(r.body["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert_eq!(r.body["request_id"].as_str(), r.header("x-request-id"));
    }
    let r = request(
        &c.base,
        "POST",
        "/v2/vpcs",
        Some("alice"),
        Some("{\"name\": "),
    );
    assert_eq!(
        (r.status, r.body["id"].as_str()),
        (400, Some("bad_request"))
    );
    assert_eq!(
        c.get("/v2/vpcs").body["meta"]["total"],
        2,
        "rejected requests changed nothing"
    );

    // Updates.
    let r = c.call(
        "PUT",
        &format!("/v2/vpcs/{aid}"),
        Some(json!({"name": "a", "default": false})),
    );
    assert_eq!(
        (r.status, r.body["message"].as_str()),
        (403, Some("Can not unset default VPCs"))
    );
    let r = c.call(
        "PUT",
        &format!("/v2/vpcs/{aid}"),
        Some(json!({"description": "no name"})),
    );
    assert_eq!(r.status, 422);
    let r = c.call(
        "PATCH",
        &format!("/v2/vpcs/{bid}"),
        Some(json!({"default": true, "description": "main"})),
    );
    assert_eq!((r.status, &r.body["vpc"]["default"]), (200, &json!(true)));
    assert_eq!(
        c.get(&format!("/v2/vpcs/{aid}")).body["vpc"]["default"],
        false
    );
    let r = c.call(
        "PATCH",
        &format!("/v2/vpcs/{bid}"),
        Some(json!({"name": "a"})),
    );
    assert_eq!(r.status, 409);

    // Delete: the default is refused, the other goes with 204 and an empty body.
    assert_eq!(
        c.call("DELETE", &format!("/v2/vpcs/{bid}"), None).status,
        403
    );
    let r = c.call("DELETE", &format!("/v2/vpcs/{aid}"), None);
    assert_eq!((r.status, r.raw.as_str()), (204, ""));
    let r = c.get(&format!("/v2/vpcs/{aid}"));
    assert_eq!((r.status, r.body["id"].as_str()), (404, Some("not_found")));
    assert!(r.body["message"].as_str().unwrap().contains("not found"));
    assert_eq!(c.get("/v2/vpcs/not-a-uuid").status, 404);
    let m = c.get(&format!("/v2/vpcs/{bid}/members"));
    assert_eq!((m.status, &m.body["meta"]["total"]), (200, &json!(0)));

    let regions = c.get("/v2/regions");
    assert!(regions.body["regions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["slug"] == "blr1"));
}

#[test]
fn auth_tenancy_and_conventions() {
    let dir = tempdir();
    let s = Server::start(&dir, &[]);
    let alice = Client::new(&s, "alice");
    let bob = Client::new(&s, "bob");
    let a = vpc(&alice, "shared-name", "nyc1", None);
    let id = a["id"].as_str().unwrap();
    // Bob is another team: same name and range are his to use, Alice's VPC is invisible.
    let b = vpc(&bob, "shared-name", "nyc1", None);
    assert_eq!(b["ip_range"], a["ip_range"]);
    assert_eq!(bob.get(&format!("/v2/vpcs/{id}")).status, 404);
    // Ids are spelled one way, as the API writes them.
    assert_eq!(alice.get(&format!("/v2/vpcs/{id}")).status, 200);
    let upper = id.to_uppercase();
    assert_eq!(alice.get(&format!("/v2/vpcs/{upper}")).status, 404);
    assert_eq!(
        bob.call("DELETE", &format!("/v2/vpcs/{id}"), None).status,
        404
    );
    assert_eq!(bob.get("/v2/vpcs").body["meta"]["total"], 1);
    let account = |c: &Client| c.get("/v2/account").body["account"]["uuid"].clone();
    assert_ne!(account(&alice), account(&bob));
    assert_eq!(account(&alice), account(&Client::new(&s, "alice")));

    let r = request(&s.api, "GET", "/v2/vpcs", None, None);
    assert_eq!(
        (r.status, r.body["id"].as_str()),
        (401, Some("unauthorized"))
    );
    let r = alice.get("/v2/nothing-here");
    assert_eq!((r.status, r.body["id"].as_str()), (404, Some("not_found")));
    let r = alice.call("DELETE", "/v2/regions", None);
    assert_eq!(r.status, 405);
    assert_eq!(r.body["id"], "method_not_allowed");

    let ok = alice.get("/v2/vpcs");
    for h in [
        "ratelimit-limit",
        "ratelimit-remaining",
        "ratelimit-reset",
        "x-request-id",
    ] {
        assert!(ok.header(h).is_some(), "missing {h}");
    }
    assert_eq!(ok.header("ratelimit-limit"), Some("5000"));

    // Pagination: 45 VPCs, 20 per page.
    for i in 0..44 {
        vpc(&alice, &format!("v{i}"), "ams3", None);
    }
    let p1 = alice.get("/v2/vpcs?per_page=20");
    let pages = &p1.body["links"]["pages"];
    assert_eq!(p1.body["meta"]["total"], 45);
    assert!(pages.get("first").is_none() && pages.get("prev").is_none());
    assert_eq!(
        pages["last"],
        format!("{}/v2/vpcs?page=3&per_page=20", s.api)
    );
    let p3 = alice.get("/v2/vpcs?page=3&per_page=20");
    assert_eq!(p3.body["vpcs"].as_array().unwrap().len(), 5);
    assert!(p3.body["links"]["pages"].get("next").is_none());
    let far = alice.get("/v2/vpcs?page=507002211088");
    assert_eq!(
        (far.status, far.body["vpcs"].as_array().unwrap().len()),
        (200, 0)
    );
    for bad in ["per_page=0", "per_page=201", "page=0", "page=x"] {
        let r = alice.get(&format!("/v2/vpcs?{bad}"));
        assert_eq!(r.status, 400, "{bad}");
    }
}

/// `--default-vpcs seeded`: what `terraform apply` then `terraform destroy` needs.
#[test]
fn seeded_default_vpcs_leave_every_created_vpc_deletable() {
    let dir = tempdir();
    let s = Server::start(&dir, &["--default-vpcs", "seeded"]);
    let c = Client::new(&s, "alice");
    let a = vpc(&c, "a", "nyc3", Some("10.10.0.0/24"));
    let b = vpc_id(&c, "b", "nyc3");
    assert_eq!(a["default"], false);
    let all = c.get("/v2/vpcs").body;
    assert_eq!(all["meta"]["total"], 3);
    let seeded = all["vpcs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "default-nyc3")
        .unwrap()
        .clone();
    assert_eq!(
        (&seeded["default"], &seeded["region"]),
        (&json!(true), &json!("nyc3"))
    );
    let a = a["id"].as_str().unwrap();
    let r = c.call(
        "POST",
        "/v2/vpc_peerings",
        Some(json!({"name": "a-b", "vpc_ids": [a, b]})),
    );
    assert_eq!(r.status, 202, "{}", r.raw);
    let pid = r.body["vpc_peering"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        c.call("DELETE", &format!("/v2/vpc_peerings/{pid}"), None)
            .status,
        202
    );
    assert!(eventually(Duration::from_secs(10), || {
        c.get(&format!("/v2/vpc_peerings/{pid}")).status == 404
    }));
    for id in [a, b.as_str()] {
        let r = c.call("DELETE", &format!("/v2/vpcs/{id}"), None);
        assert_eq!(r.status, 204, "{}", r.raw);
    }
    let id = seeded["id"].as_str().unwrap();
    assert_eq!(
        c.call("DELETE", &format!("/v2/vpcs/{id}"), None).status,
        403
    );
}

#[test]
fn rate_limit_answers_429_with_retry_after() {
    let dir = tempdir();
    let s = Server::start(&dir, &["--rate-limit-per-minute", "3"]);
    let c = Client::new(&s, "burst");
    for left in [4999, 4998, 4997] {
        assert_eq!(
            c.get("/v2/vpcs").header("ratelimit-remaining"),
            Some(&*left.to_string())
        );
    }
    let r = c.get("/v2/vpcs");
    assert_eq!(
        (r.status, r.body["id"].as_str()),
        (429, Some("too_many_requests"))
    );
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    // Another token has its own budget.
    assert_eq!(Client::new(&s, "other").get("/v2/vpcs").status, 200);
}

#[test]
fn peering_lifecycle_and_per_vpc_routes() {
    let dir = tempdir();
    let s = Server::start(&dir, &[]);
    let c = Client::new(&s, "alice");
    let a = vpc_id(&c, "a", "nyc1");
    vpc(&c, "sfo3-default", "sfo3", None);
    let b = vpc_id(&c, "b", "sfo3");
    let blr = vpc_id(&c, "c", "blr1");

    let r = c.call(
        "POST",
        "/v2/vpc_peerings",
        Some(json!({"name": "a-b", "vpc_ids": [a, b]})),
    );
    assert_eq!(r.status, 202, "{}", r.raw);
    assert_eq!(r.body["vpc_peering"]["status"], "PROVISIONING");
    let pid = r.body["vpc_peering"]["id"].as_str().unwrap().to_owned();
    assert!(eventually(Duration::from_secs(5), || {
        c.get(&format!("/v2/vpc_peerings/{pid}")).body["vpc_peering"]["status"] == "ACTIVE"
    }));

    for (body, status) in [
        (json!({"name": "again", "vpc_ids": [b, a]}), 409),
        (json!({"name": "self", "vpc_ids": [a, a]}), 422),
        (json!({"name": "blr", "vpc_ids": [a, blr]}), 422),
        (json!({"name": "one", "vpc_ids": [a]}), 422),
        (json!({"name": "dots.no", "vpc_ids": [a, blr]}), 422),
        (
            json!({"name": "ghost", "vpc_ids": [a, uuid::Uuid::new_v4()]}),
            422,
        ),
    ] {
        let r = c.call("POST", "/v2/vpc_peerings", Some(body.clone()));
        assert_eq!(r.status, status, "{body}: {}", r.raw);
    }
    assert_eq!(c.call("DELETE", &format!("/v2/vpcs/{b}"), None).status, 409);

    // Per-VPC routes answer both root keys.
    let l = c.get(&format!("/v2/vpcs/{a}/peerings"));
    assert_eq!(l.body["peerings"], l.body["vpc_peerings"]);
    assert_eq!(l.body["vpc_peerings"][0]["id"], pid.as_str());
    let r = c.call(
        "PATCH",
        &format!("/v2/vpcs/{a}/peerings/{pid}"),
        Some(json!({"name": "renamed-x"})),
    );
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["peering"]["name"], "renamed-x");
    assert_eq!(r.body["vpc_peering"]["name"], "renamed-x");
    let r = c.call(
        "PATCH",
        &format!("/v2/vpcs/{blr}/peerings/{pid}"),
        Some(json!({"name": "x"})),
    );
    assert_eq!(r.status, 404);
    let r = c.call(
        "POST",
        &format!("/v2/vpcs/{b}/peerings"),
        Some(json!({"name": "b.c", "vpc_id": blr})),
    );
    assert_eq!(r.status, 422, "BLR1 across datacenters: {}", r.raw);

    // Region filter.
    assert_eq!(
        c.get("/v2/vpc_peerings?region=sfo3").body["meta"]["total"],
        1
    );
    assert_eq!(
        c.get("/v2/vpc_peerings?region=blr1").body["meta"]["total"],
        0
    );

    let r = c.call("DELETE", &format!("/v2/vpc_peerings/{pid}"), None);
    assert_eq!(
        (r.status, &r.body["vpc_peering"]["status"]),
        (202, &json!("DELETING"))
    );
    assert!(eventually(Duration::from_secs(5), || {
        let r = c.get(&format!("/v2/vpc_peerings/{pid}"));
        r.status == 404 && r.body["message"].as_str().unwrap().contains("not found")
    }));
    assert_eq!(c.call("DELETE", &format!("/v2/vpcs/{b}"), None).status, 204);

    let events = s.admin("GET", "/_crosslink/events", None);
    let trail: Vec<_> = events.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["resource_id"] == pid.as_str())
        .map(|e| format!("{}>{}", e["from"], e["to"]))
        .collect();
    assert_eq!(
        trail,
        [
            "null>\"PROVISIONING\"",
            "\"PROVISIONING\">\"ACTIVE\"",
            "\"ACTIVE\">\"DELETING\"",
            "\"DELETING\">null"
        ]
    );
}

#[test]
fn manual_transitions_advance_one_step_at_a_time() {
    let dir = tempdir();
    let s = Server::start(&dir, &["--transitions", "vpc_peering=manual"]);
    let c = Client::new(&s, "alice");
    let a = vpc_id(&c, "a", "nyc1");
    let b = vpc_id(&c, "b", "nyc1");
    let r = c.call(
        "POST",
        "/v2/vpc_peerings",
        Some(json!({"name": "m", "vpc_ids": [a, b]})),
    );
    let pid = r.body["vpc_peering"]["id"].as_str().unwrap().to_owned();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        c.get(&format!("/v2/vpc_peerings/{pid}")).body["vpc_peering"]["status"],
        "PROVISIONING"
    );
    let advance = json!({"resource_type": "vpc_peering", "id": pid}).to_string();
    let r = s.admin("POST", "/_crosslink/transitions/advance", Some(&advance));
    assert_eq!(r.status, 202, "{}", r.raw);
    assert!(eventually(Duration::from_secs(5), || {
        c.get(&format!("/v2/vpc_peerings/{pid}")).body["vpc_peering"]["status"] == "ACTIVE"
    }));
    // Switching the policy at runtime applies to what is in flight.
    let r = s.admin(
        "PUT",
        "/_crosslink/transitions",
        Some(r#"{"vpc_peering": "immediate"}"#),
    );
    assert_eq!(r.body["transitions"]["vpc_peering"], "immediate");
    let r = s.admin(
        "PUT",
        "/_crosslink/transitions",
        Some(r#"{"vpc_peering": "sometimes"}"#),
    );
    assert_eq!(r.status, 422);
}

#[test]
fn sigkill_loses_no_acknowledged_write_and_lifecycles_resume() {
    let dir = tempdir();
    let s = Server::start(&dir, &["--transitions", "vpc_peering=delay:2"]);
    let c = Client::new(&s, "alice");
    let mut vpcs = Vec::new();
    for i in 0..12 {
        vpcs.push(
            vpc(&c, &format!("v{i}"), "nyc1", None)["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let mut peerings = Vec::new();
    for i in 0..6 {
        let body = json!({"name": format!("p{i}"), "vpc_ids": [vpcs[2 * i], vpcs[2 * i + 1]]});
        let r = c.call("POST", "/v2/vpc_peerings", Some(body));
        assert_eq!(r.status, 202);
        peerings.push(r.body["vpc_peering"]["id"].as_str().unwrap().to_owned());
    }
    // Two peerings are on their way out when the process dies.
    for p in &peerings[..2] {
        assert_eq!(
            c.call("DELETE", &format!("/v2/vpc_peerings/{p}"), None)
                .status,
            202
        );
    }
    assert_eq!(
        c.get(&format!("/v2/vpc_peerings/{}", peerings[3])).body["vpc_peering"]["status"],
        "PROVISIONING"
    );
    s.kill9();

    let s = Server::start(&dir, &[]);
    let c = Client::new(&s, "alice");
    assert_eq!(c.get("/v2/vpcs?per_page=200").body["meta"]["total"], 12);
    assert!(eventually(Duration::from_secs(10), || {
        peerings[..2]
            .iter()
            .all(|p| c.get(&format!("/v2/vpc_peerings/{p}")).status == 404)
            && peerings[2..].iter().all(|p| {
                c.get(&format!("/v2/vpc_peerings/{p}")).body["vpc_peering"]["status"] == "ACTIVE"
            })
    }));
}

#[test]
fn strict_auth_accepts_only_minted_tokens_and_enforces_scopes() {
    let dir = tempdir();
    let s = Server::start(&dir, &["--auth", "strict"]);
    assert_eq!(
        request(&s.api, "GET", "/v2/vpcs", Some("made-up"), None).status,
        401
    );
    let mint = |scopes: serde_json::Value| {
        let body = json!({"team": "acme", "name": "ci", "scopes": scopes}).to_string();
        let r = s.admin("POST", "/_crosslink/tokens", Some(&body));
        assert_eq!(r.status, 201, "{}", r.raw);
        r.body["token"]["value"].as_str().unwrap().to_owned()
    };
    let reader = mint(json!(["vpc:read"]));
    let full = mint(json!([]));
    assert!(reader.starts_with("dop_v1_"));
    assert_eq!(
        request(&s.api, "GET", "/v2/vpcs", Some(&reader), None).status,
        200
    );
    let body = r#"{"name":"x","region":"nyc1"}"#;
    let r = request(&s.api, "POST", "/v2/vpcs", Some(&reader), Some(body));
    assert_eq!((r.status, r.body["id"].as_str()), (403, Some("forbidden")));
    assert_eq!(
        request(&s.api, "POST", "/v2/vpcs", Some(&full), Some(body)).status,
        201
    );
    // Both tokens belong to team acme: the reader sees the VPC the other created.
    let r = request(&s.api, "GET", "/v2/vpcs", Some(&reader), None);
    assert_eq!(r.body["meta"]["total"], 1);
    // The account is the team's, and needs account:read.
    let r = request(&s.api, "GET", "/v2/account", Some(&full), None);
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["account"]["team"]["name"], "acme");
    assert_eq!(r.body["account"]["status"], "active");
    let uuid = r.body["account"]["uuid"].as_str().unwrap().to_owned();
    assert_eq!(uuid.len(), 40);
    let r = request(&s.api, "GET", "/v2/account", Some(&reader), None);
    assert_eq!((r.status, r.body["id"].as_str()), (403, Some("forbidden")));
    // doctl's `auth init` check: any valid token may describe itself, nothing else may.
    let r = request(&s.api, "GET", "/v1/oauth/token/info", Some(&reader), None);
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["scopes"], json!(["vpc:read"]));
    assert!(r.body["resource_owner_id"].is_u64() && r.body["created_at"].is_i64());
    let r = request(&s.api, "GET", "/v1/oauth/token/info", Some("made-up"), None);
    assert_eq!(
        (r.status, r.body["id"].as_str()),
        (401, Some("unauthorized"))
    );
    let accounts = mint(json!(["account:read"]));
    let r = request(&s.api, "GET", "/v2/account", Some(&accounts), None);
    assert_eq!(r.body["account"]["uuid"], uuid.as_str());
    let bad = json!({"team": "acme", "name": "x", "scopes": ["root"]}).to_string();
    assert_eq!(
        s.admin("POST", "/_crosslink/tokens", Some(&bad)).status,
        422
    );
}
