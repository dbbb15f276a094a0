//! The Megaport API against the real binary: auth, ordering, service key rules, partnerships,
//! the join with DigitalOcean partner attachments, races and crashes.

mod common;

use common::{eventually, request, request_with, tempdir, Response, Server};
use serde_json::{json, Value};
use std::time::Duration;

struct Mp<'a> {
    s: &'a Server,
    token: String,
}

impl Mp<'_> {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Response {
        let body = body.map(|b| b.to_string());
        request(
            &self.s.megaport,
            method,
            path,
            Some(&self.token),
            body.as_deref(),
        )
    }
    fn get(&self, path: &str) -> Response {
        self.call("GET", path, None)
    }
    fn buy(&self, lines: Value) -> Response {
        self.call(
            "POST",
            "/v4/networkdesign/buy",
            Some(json!({"networkDesign": lines, "discountCodes": []})),
        )
    }
    fn buy_mcr(&self, name: &str) -> String {
        let r = self.buy(
            json!([{"locationId": 61, "productName": name, "term": 1, "productType": "MCR2",
                                 "portSpeed": 2500, "costCentre": "", "config": {}}]),
        );
        assert_eq!(r.status, 200, "{}", r.raw);
        r.body["data"][0]["technicalServiceUid"]
            .as_str()
            .unwrap()
            .to_owned()
    }
    fn buy_port(&self, name: &str) -> String {
        let r = self.buy(json!([{"locationId": 61, "productName": name, "term": 12, "productType": "MEGAPORT",
                                 "portSpeed": 10000, "createDate": 0, "virtual": false, "marketplaceVisibility": false}]));
        assert_eq!(r.status, 200, "{}", r.raw);
        r.body["data"][0]["technicalServiceUid"]
            .as_str()
            .unwrap()
            .to_owned()
    }
    fn buy_vxc(
        &self,
        a_end: &str,
        name: &str,
        rate: u32,
        key: Option<&str>,
        b_end: Option<&str>,
    ) -> Response {
        let mut vxc = json!({"productName": name, "rateLimit": rate, "term": 1, "shutdown": false,
                             "aEnd": {}, "bEnd": {}});
        if let Some(k) = key {
            vxc["serviceKey"] = json!(k);
        }
        if let Some(b) = b_end {
            vxc["bEnd"] = json!({"productUid": b});
        }
        self.buy(json!([{"productUid": a_end, "associatedVxcs": [vxc]}]))
    }
    fn create_key(&self, body: Value) -> Response {
        self.call("POST", "/v2/service/key", Some(body))
    }
    fn status(&self, uid: &str) -> String {
        let r = self.get(&format!("/v2/product/{uid}"));
        r.body["data"]["provisioningStatus"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    }
}

fn company<'a>(s: &'a Server, name: &str) -> Mp<'a> {
    Mp {
        s,
        token: common::megaport_token(s, name),
    }
}

fn error_shape(r: &Response, status: u16) {
    assert_eq!(r.status, status, "{}", r.raw);
    assert!(r.body["message"].is_string(), "{}", r.raw);
    assert!(
        r.body["data"].is_string(),
        "error data is a string: {}",
        r.raw
    );
    assert!(r.body["terms"].is_string(), "{}", r.raw);
    assert!(r.header("trace-id").is_some(), "Trace-Id on errors");
}

#[test]
fn oauth_tokens_and_the_envelope() {
    let s = Server::start(&tempdir(), &[]);
    // megaportgo: grant type in the query, Basic auth, empty body.
    let r = request_with(
        &s.megaport,
        "POST",
        "/oauth2/token?grant_type=client_credentials",
        &[
            ("Authorization", "Basic d2VzdDpzZWNyZXQ="),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        Some(""),
    );
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["token_type"], "Bearer");
    assert_eq!(r.body["expires_in"], 3600);
    let t = r.body["access_token"].as_str().unwrap();
    // The same access key is the same company.
    let again = common::megaport_token(&s, "west");
    let me = |tok: &str| {
        request(&s.megaport, "GET", "/v2/products", Some(tok), None);
        let r = request(
            &s.megaport,
            "POST",
            "/v2/service/key",
            Some(tok),
            Some("{}"),
        );
        r.status
    };
    assert_eq!(me(t), 400);
    assert_eq!(me(&again), 400);

    // No token, a tampered token, a wrong grant type.
    error_shape(
        &request(&s.megaport, "GET", "/v2/products", None, None),
        401,
    );
    let mut bad = t.to_owned();
    bad.pop();
    bad.push(if t.ends_with('0') { '1' } else { '0' });
    error_shape(
        &request(&s.megaport, "GET", "/v2/products", Some(&bad), None),
        401,
    );
    let r = request_with(
        &s.megaport,
        "POST",
        "/oauth2/token?grant_type=password",
        &[("Authorization", "Basic d2VzdDpzZWNyZXQ=")],
        Some(""),
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.body["error"], "unsupported_grant_type");

    // Locations are public; the envelope has message, terms, data; ids are numbers.
    let r = request(&s.megaport, "GET", "/v3/locations", None, None);
    assert_eq!(r.status, 200);
    assert!(r.body["terms"]
        .as_str()
        .unwrap()
        .contains("Acceptable Use Policy"));
    let metros: Vec<&str> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["metro"].as_str().unwrap())
        .collect();
    for m in [
        "New York",
        "San Francisco",
        "Frankfurt",
        "Amsterdam",
        "Singapore",
    ] {
        assert!(metros.contains(&m), "{m}");
    }
    assert!(r.body["data"][0]["diversityZones"]["red"]["mcrSpeedMbps"]
        .as_array()
        .unwrap()
        .contains(&json!(2500)));
    let r = request(&s.megaport, "GET", "/v2/locations", None, None);
    assert_eq!(r.body["message"], "List all public locations");
    // Unknown route: enveloped 404.
    error_shape(
        &request(&s.megaport, "GET", "/v2/nothing", Some(t), None),
        404,
    );
    // Legacy login and X-Auth-Token (megalib).
    let r = request(
        &s.megaport,
        "POST",
        "/v2/login?username=west&password=pw",
        None,
        Some(""),
    );
    assert_eq!(r.status, 200, "{}", r.raw);
    let session = r.body["data"]["token"].as_str().unwrap();
    assert_eq!(r.body["data"]["session"], session);
    let r = request_with(
        &s.megaport,
        "GET",
        "/v2/products",
        &[("X-Auth-Token", session)],
        None,
    );
    assert_eq!(r.status, 200, "{}", r.raw);
}

#[test]
fn ordering_an_mcr_and_validating_designs() {
    let s = Server::start(&tempdir(), &[]);
    let west = company(&s, "west");
    // Validate: bare array, prices, nothing written.
    let r = west.call("POST", "/v3/networkdesign/validate", Some(json!([{"locationId": 61, "productName": "m",
        "term": 12, "productType": "MCR2", "portSpeed": 5000, "config": {"mcrAsn": 4200000000u64}}])));
    assert_eq!(r.status, 200, "{}", r.raw);
    assert!(r.body["data"][0]["price"]["monthlyRate"].as_f64().unwrap() > 0.0);
    assert_eq!(west.get("/v2/products").body["data"], json!([]));
    // Refusals in Megaport's words, nothing written.
    for (bad, words) in [
        (
            json!({"locationId": 61, "productName": "m", "term": 13, "productType": "MCR2", "portSpeed": 2500}),
            "term",
        ),
        (
            json!({"locationId": 61, "productName": "m", "term": 1, "productType": "MCR2", "portSpeed": 2000}),
            "portSpeed",
        ),
        (
            json!({"locationId": 9999, "productName": "m", "term": 1, "productType": "MCR2", "portSpeed": 2500}),
            "locationId",
        ),
        (
            json!({"locationId": 61, "productName": "", "term": 1, "productType": "MCR2", "portSpeed": 2500}),
            "productName",
        ),
        (
            json!({"locationId": 61, "productName": "m", "term": 1, "productType": "MCR2", "portSpeed": 2500, "config": {"mcrAsn": 0}}),
            "mcrAsn",
        ),
        (
            json!({"locationId": "sixty", "productName": "m", "term": 1, "productType": "MCR2", "portSpeed": 2500}),
            "locationId",
        ),
        (
            json!({"locationId": 61, "productName": "m", "term": 1, "productType": "ROUTER", "portSpeed": 2500}),
            "productType",
        ),
    ] {
        let r = west.buy(json!([bad]));
        error_shape(&r, 400);
        assert!(
            r.body["message"].as_str().unwrap().contains(words),
            "{words}: {}",
            r.raw
        );
    }
    let r = west.call("POST", "/v4/networkdesign/buy", Some(json!("not a design")));
    error_shape(&r, 400);
    let r = request(
        &s.megaport,
        "POST",
        "/v4/networkdesign/buy",
        Some(&west.token),
        Some("{not json"),
    );
    error_shape(&r, 400);
    assert_eq!(west.get("/v2/products").body["data"], json!([]));

    // megaportgo's MCR order (numbers as strings are fine too); default ASN 133937.
    let uid = west.buy_mcr("west-mcr");
    let r = west.get(&format!("/v2/product/{uid}"));
    assert_eq!(r.body["data"]["productType"], "MCR2");
    assert_eq!(
        r.body["data"]["resources"]["virtual_router"]["mcrAsn"],
        133937
    );
    assert_eq!(r.body["data"]["connectType"], "VROUTER");
    assert!(r.body["data"]["createDate"].is_i64());
    assert!(eventually(Duration::from_secs(5), || west.status(&uid) == "LIVE"));
    let typed = west.get(&format!("/v2/product/mcr2/{uid}"));
    assert_eq!(typed.body["data"]["productUid"], uid.as_str());
    // megalib's MCR: a virtual MEGAPORT with an ASN, strings for numbers and booleans.
    let r = west.call("POST", "/v2/networkdesign/buy", Some(json!([{"productName": "legacy", "productType": "MEGAPORT",
        "virtual": "true", "locationId": "61", "portSpeed": "1000", "term": "12", "config": {"mcrAsn": "65000"}}])));
    assert_eq!(r.status, 200, "{}", r.raw);
    let legacy = r.body["data"][0]["technicalServiceUid"].as_str().unwrap();
    assert_eq!(
        west.get(&format!("/v2/product/{legacy}")).body["data"]["productType"],
        "MCR2"
    );

    // Updates: name and ASN; the rate limit is fixed.
    let r = west.call(
        "PUT",
        &format!("/v2/product/mcr2/{uid}"),
        Some(json!({"name": "renamed", "costCentre": "cc-1",
        "asn": 64999, "ProductID": 1, "ProductType": "junk"})),
    );
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["data"]["productName"], "renamed");
    assert_eq!(
        r.body["data"]["resources"]["virtual_router"]["mcrAsn"],
        64999
    );
    let r = west.call(
        "PUT",
        &format!("/v2/product/mcr2/{uid}"),
        Some(json!({"rateLimit": 5000})),
    );
    error_shape(&r, 400);
    assert!(r.body["message"].as_str().unwrap().contains("fixed"));

    // Another company sees none of it.
    let east = company(&s, "east");
    assert_eq!(east.get("/v2/products").body["data"], json!([]));
    let r = east.get(&format!("/v2/product/{uid}"));
    error_shape(&r, 404);
    assert!(r.body["message"]
        .as_str()
        .unwrap()
        .contains("Could not find a service with UID"));
    error_shape(
        &east.call(
            "PUT",
            &format!("/v2/product/mcr2/{uid}"),
            Some(json!({"name": "x"})),
        ),
        404,
    );
    error_shape(
        &east.call(
            "POST",
            &format!("/v3/product/{uid}/action/CANCEL_NOW"),
            None,
        ),
        404,
    );

    // Cancel: CANCEL waits (and takes the MCR's VXCs along), UN_CANCEL restores both;
    // CANCEL_NOW decommissions and drops it from the list.
    let port = west.buy_port("p");
    let r = west.buy_vxc(&uid, "inside", 100, None, Some(&port));
    let inside = r.body["data"][0]["vxcJTechnicalServiceUid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(eventually(Duration::from_secs(5), || west.status(&inside) == "LIVE"));
    let r = west.call("POST", &format!("/v3/product/{uid}/action/CANCEL"), None);
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(
        r.body["message"],
        format!("Action [CANCEL Service {uid}] has been done.")
    );
    assert_eq!(west.status(&uid), "CANCELLED");
    assert_eq!(west.status(&inside), "CANCELLED");
    let mcr_now = west.get(&format!("/v2/product/{uid}"));
    let scheduled = mcr_now.body["data"]["terminateDate"].as_i64().unwrap();
    let created = mcr_now.body["data"]["createDate"].as_i64().unwrap();
    assert!(scheduled > created + 29 * 86_400_000, "{}", mcr_now.raw);
    assert_eq!(
        west.call("POST", &format!("/v3/product/{uid}/action/UN_CANCEL"), None)
            .status,
        200
    );
    assert_eq!(west.status(&uid), "LIVE");
    assert_eq!(west.status(&inside), "LIVE");
    error_shape(
        &west.call("POST", &format!("/v3/product/{uid}/action/UN_CANCEL"), None),
        409,
    );
    assert_eq!(
        west.call(
            "POST",
            &format!("/v3/product/{uid}/action/CANCEL_NOW"),
            None
        )
        .status,
        200
    );
    assert!(eventually(Duration::from_secs(5), || west.status(&uid)
        == "DECOMMISSIONED"));
    let listed = west.get("/v2/products");
    assert!(
        !listed.raw.contains(&uid),
        "decommissioned products leave the list"
    );
}

/// A DigitalOcean team's partner attachment, CREATED, with its service key and auth key.
fn attachment(s: &Server, team: &str, bandwidth: u32) -> (String, String, String) {
    common::partner_attachment(
        s,
        team,
        json!({}),
        json!({"connection_bandwidth_in_mbps": bandwidth}),
    )
}

#[test]
fn the_seeds_flow_joins_an_attachment_to_an_mcr() {
    let s = Server::start(&tempdir(), &[]);
    let (pa, key, auth) = attachment(&s, "west-team", 1000);
    let west = company(&s, "west");
    let mcr = west.buy_mcr("west-mcr");
    // The key lookup megaportgo sends, `?` escaped into the path.
    let r = west.get(&format!("/v2/service/key%3Fkey={key}"));
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["data"]["valid"], true);
    assert_eq!(r.body["data"]["maxSpeed"], 1000);
    assert!(
        r.body["data"]["description"].is_null(),
        "a consumer does not see the key's details"
    );
    let b_end = r.body["data"]["productUid"].as_str().unwrap().to_owned();
    let partner = west.get("/v2/dropdowns/partner/megaports");
    assert!(
        partner.raw.contains(&b_end),
        "the key's port is a partner port"
    );

    let vxc_body = |rate: u32| {
        json!([{"productUid": mcr, "associatedVxcs": [{"productName": "to-do", "serviceKey": key,
        "rateLimit": rate, "term": 1, "shutdown": false, "aEnd": {"partnerConfig": {"interfaces": [{
            "ipAddresses": ["169.254.0.6/29"], "bfd": {}, "bgpConnections": [{"peerAsn": 64532,
            "localIpAddress": "169.254.0.6", "peerIpAddress": "169.254.0.1", "password": auth,
            "shutdown": false, "description": "do", "bfdEnabled": false}]}]}}, "bEnd": {"productUid": b_end}}]}])
    };
    // Above the attachment's bandwidth: refused, the key stays unused.
    let r = west.buy(vxc_body(2000));
    error_shape(&r, 400);
    assert!(
        r.body["message"].as_str().unwrap().contains("1000"),
        "{}",
        r.raw
    );
    assert!(
        west.call("POST", "/v3/networkdesign/validate", Some(vxc_body(1000)))
            .status
            == 200
    );
    let r = west.buy(vxc_body(1000));
    assert_eq!(r.status, 200, "{}", r.raw);
    let vxc = r.body["data"][0]["vxcJTechnicalServiceUid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(eventually(Duration::from_secs(5), || west.status(&vxc) == "LIVE"));
    // Single-use: spent.
    let r = west.buy(vxc_body(1000));
    error_shape(&r, 400);
    assert!(
        r.body["message"].as_str().unwrap().contains("single-use"),
        "{}",
        r.raw
    );
    assert_eq!(
        west.get(&format!("/v2/service/key?key={key}")).body["data"]["valid"],
        false
    );

    // VXCs are nested, not top level; the BGP config reads back as a VROUTER csp_connection.
    let list = west.get("/v2/products");
    let items = list.body["data"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let nested = &items[0]["associatedVxcs"][0];
    assert_eq!(nested["productUid"], vxc.as_str());
    let csp = &nested["resources"]["csp_connection"][0];
    assert_eq!(csp["connectType"], "VROUTER");
    assert_eq!(csp["interfaces"][0]["bgpConnections"][0]["peerAsn"], 64532);
    assert!(
        nested["bEnd"]["vlan"].is_null(),
        "the DigitalOcean end's VLAN is not the customer's to see"
    );
    assert_eq!(nested["bEnd"]["productUid"], b_end.as_str());

    // Deleting the attachment cancels the VXC; the customer is told.
    let c = common::Client::new(&s, "west-team");
    assert_eq!(
        c.call(
            "DELETE",
            &format!("/v2/partner_network_connect/attachments/{pa}"),
            None
        )
        .status,
        202
    );
    assert!(eventually(Duration::from_secs(5), || west.status(&vxc)
        == "DECOMMISSIONED"));
    let notes = west.get("/v2/notifications");
    assert!(
        notes
            .raw
            .contains("DigitalOcean deleted the partner attachment"),
        "{}",
        notes.raw
    );
    assert!(!west.get("/v2/products").raw.contains(&vxc));
}

#[test]
fn cancelling_the_vxc_leaves_the_attachment_and_its_port() {
    let s = Server::start(&tempdir(), &[]);
    let (pa, key, _) = attachment(&s, "t", 1000);
    let west = company(&s, "west");
    let mcr = west.buy_mcr("m");
    let r = west.buy_vxc(&mcr, "v", 500, Some(&key), None);
    assert_eq!(r.status, 200, "{}", r.raw);
    let vxc = r.body["data"][0]["vxcJTechnicalServiceUid"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = west.call(
        "POST",
        &format!("/v3/product/{vxc}/action/CANCEL_NOW"),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.raw);
    assert!(eventually(Duration::from_secs(5), || west.status(&vxc)
        == "DECOMMISSIONED"));
    let c = common::Client::new(&s, "t");
    let a = c.get(&format!("/v2/partner_network_connect/attachments/{pa}"));
    assert_eq!(
        a.body["partner_attachment"]["state"], "CREATED",
        "{}",
        a.raw
    );
    // DigitalOcean's port is still there for the next key.
    let r = c.call(
        "POST",
        &format!("/v2/partner_network_connect/attachments/{pa}/service_key"),
        None,
    );
    assert!(r.status < 300, "{}", r.raw);
    assert!(eventually(Duration::from_secs(5), || {
        let k = c.get(&format!(
            "/v2/partner_network_connect/attachments/{pa}/service_key"
        ));
        k.body["service_key"]["value"]
            .as_str()
            .is_some_and(|v| v != key && !v.is_empty())
    }));
}

#[test]
fn service_key_rules_of_the_seed() {
    let s = Server::start(&tempdir(), &[]);
    let east = company(&s, "east");
    let west = company(&s, "west");
    let port = east.buy_port("east-port");
    let west_port = west.buy_port("west-port");
    let mcr = west.buy_mcr("west-mcr");

    // Single-use with a VLAN; the same VLAN again is refused (the seed's message).
    let r = east.create_key(json!({"productUid": port, "singleUse": true, "maxSpeed": "500", "vlan": 100,
        "active": true, "description": "for west", "validFor": {"start": 0, "end": 4_102_444_800_000u64},
        "ValidFor": {"start": "2026-01-01T00:00:00Z", "end": "2100-01-01T00:00:00Z"}}));
    assert_eq!(r.status, 200, "{}", r.raw);
    assert!(r.body["message"]
        .as_str()
        .unwrap()
        .starts_with("New service key ["));
    let k1 = r.body["data"]["key"].as_str().unwrap().to_owned();
    assert_eq!(r.body["data"]["vlan"], 100);
    assert_eq!(r.body["data"]["maxSpeed"], 500);
    let r = east.create_key(json!({"productUid": port, "singleUse": true, "maxSpeed": 100, "vlan": 100, "active": true}));
    error_shape(&r, 400);
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("VLAN 100 is not available"),
        "{}",
        r.raw
    );
    // A VLAN on a multi-use key, a speed over the port's, both product refs: refused.
    error_shape(
        &east.create_key(
            json!({"productUid": port, "singleUse": false, "maxSpeed": 100, "vlan": 101}),
        ),
        400,
    );
    error_shape(
        &east.create_key(json!({"productUid": port, "singleUse": true, "maxSpeed": 20000})),
        400,
    );
    error_shape(
        &east.create_key(
            json!({"productUid": port, "productId": 3, "singleUse": true, "maxSpeed": 100}),
        ),
        400,
    );
    // On another company's product: it does not exist for this company.
    error_shape(
        &west.create_key(json!({"productUid": port, "singleUse": true, "maxSpeed": 100})),
        404,
    );

    // The consumer orders with the key: the key's VLAN is applied at the B-End.
    let r = west.buy_vxc(&west_port, "w-to-e", 500, Some(&k1), None);
    assert_eq!(r.status, 200, "{}", r.raw);
    let vxc = r.body["data"][0]["vxcJTechnicalServiceUid"]
        .as_str()
        .unwrap()
        .to_owned();
    let seen_by_east = east.get(&format!("/v2/product/{vxc}"));
    assert_eq!(
        seen_by_east.body["data"]["bEnd"]["vlan"], 100,
        "{}",
        seen_by_east.raw
    );
    assert!(
        seen_by_east.body["data"]["aEnd"]["vlan"].is_null(),
        "east does not see west's VLAN"
    );
    let seen_by_west = west.get(&format!("/v2/product/{vxc}"));
    assert!(seen_by_west.body["data"]["bEnd"]["vlan"].is_null());
    assert!(seen_by_west.body["data"]["aEnd"]["vlan"].is_number());
    // East sees it under its port; a notification says who connected.
    assert!(east.get("/v2/products").raw.contains(&vxc));
    assert!(east.get("/v2/notifications").raw.contains("for west"));
    // Spent: the VLAN is now the VXC's, so a new key for it is still refused.
    error_shape(&west.buy_vxc(&mcr, "again", 100, Some(&k1), None), 400);
    error_shape(
        &east.create_key(
            json!({"productUid": port, "singleUse": true, "maxSpeed": 100, "vlan": 100}),
        ),
        400,
    );

    // Multi-use: two VXCs; rate limit capped by maxSpeed.
    let r = east.create_key(
        json!({"productUid": port, "singleUse": false, "maxSpeed": 200, "active": true}),
    );
    let multi = r.body["data"]["key"].as_str().unwrap().to_owned();
    assert_eq!(
        west.buy_vxc(&mcr, "m1", 200, Some(&multi), None).status,
        200
    );
    assert_eq!(
        west.buy_vxc(&mcr, "m2", 100, Some(&multi), None).status,
        200
    );
    let r = west.buy_vxc(&mcr, "m3", 300, Some(&multi), None);
    error_shape(&r, 400);
    assert!(r.body["message"].as_str().unwrap().contains("200"));

    // Inactive and expired keys are refused with the reason.
    let r = east.create_key(json!({"productUid": port, "singleUse": true, "maxSpeed": 100}));
    let inactive = r.body["data"]["key"].as_str().unwrap().to_owned();
    let r = west.buy_vxc(&mcr, "x", 100, Some(&inactive), None);
    error_shape(&r, 400);
    assert!(
        r.body["message"].as_str().unwrap().contains("not active"),
        "{}",
        r.raw
    );
    let r = east.create_key(
        json!({"productUid": port, "singleUse": true, "maxSpeed": 100, "active": true,
        "validFor": {"start": 1_000_000_000_000u64, "end": 1_000_000_001_000u64}}),
    );
    let expired = r.body["data"]["key"].as_str().unwrap().to_owned();
    assert_eq!(r.body["data"]["expired"], true);
    let r = west.buy_vxc(&mcr, "x", 100, Some(&expired), None);
    assert!(
        r.body["message"].as_str().unwrap().contains("expired"),
        "{}",
        r.raw
    );
    error_shape(&west.buy_vxc(&mcr, "x", 100, Some("not-a-key"), None), 400);

    // Update: activate; only its company may; never deleted.
    let r = east.call(
        "PUT",
        "/v2/service/key",
        Some(json!({"key": inactive, "active": true, "singleUse": true, "ValidFor": null})),
    );
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(
        r.body["message"],
        format!("Service key [{inactive}] updated")
    );
    assert_eq!(r.body["data"]["active"], true);
    error_shape(
        &west.call(
            "PUT",
            "/v2/service/key",
            Some(json!({"key": inactive, "active": false})),
        ),
        404,
    );
    assert!(east.call("DELETE", "/v2/service/key", None).status >= 400);
    let keys = east.get(&format!("/v2/service/key?productIdOrUid={port}"));
    assert_eq!(
        keys.body["data"].as_array().unwrap().len(),
        4,
        "{}",
        keys.raw
    );
    let owner_view = east.get(&format!("/v2/service/key?key={k1}"));
    assert_eq!(owner_view.body["data"]["description"], "for west");
    assert!(owner_view.body["data"]["lastUsed"].is_i64());
}

#[test]
fn partnership_rights_and_approvals() {
    let s = Server::start(&tempdir(), &[]);
    let east = company(&s, "east");
    let west = company(&s, "west");
    let port = east.buy_port("east-port");
    let wport = west.buy_port("west-port");
    let key = east
        .create_key(
            json!({"productUid": port, "singleUse": true, "maxSpeed": 1000, "active": true}),
        )
        .body["data"]["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = west.buy_vxc(&wport, "to-east", 500, Some(&key), None);
    let vxc = r.body["data"][0]["vxcJTechnicalServiceUid"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/v3/product/vxc/{vxc}");

    // Only the owner changes the rate limit; only B changes B's VLAN.
    let r = east.call("PUT", &path, Some(json!({"rateLimit": 100})));
    error_shape(&r, 403);
    let r = west.call("PUT", &path, Some(json!({"bEndVlan": 300})));
    error_shape(&r, 403);
    assert_eq!(r.body["message"], "Only B end owner can change B VLAN");
    assert_eq!(
        west.call("PUT", &path, Some(json!({"rateLimit": 800})))
            .body["data"]["rateLimit"],
        800
    );
    error_shape(
        &west.call("PUT", &path, Some(json!({"rateLimit": 1500}))),
        400,
    );
    // Each names it its own way.
    assert_eq!(
        east.call("PUT", &path, Some(json!({"name": "from-west"})))
            .body["data"]["productName"],
        "from-west"
    );
    assert_eq!(west.get(&path).body["data"]["productName"], "to-east");

    // A VLAN change waits for the partner.
    let before = west.get(&path).body["data"]["aEnd"]["vlan"].clone();
    let r = west.call("PUT", &path, Some(json!({"aEndVlan": 777})));
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(
        r.body["data"]["aEnd"]["vlan"], before,
        "nothing changes before approval"
    );
    assert_eq!(r.body["data"]["vxcApproval"]["status"], "PENDING_EXTERNAL");
    error_shape(
        &west.call("PUT", &path, Some(json!({"aEndVlan": 778}))),
        409,
    );
    let pending = east.get("/v3/order_approvals");
    let approval = pending.body["data"][0]["uid"].as_str().unwrap().to_owned();
    assert_eq!(pending.body["data"][0]["status"], "PENDING");
    assert!(east.get("/v2/notifications").raw.contains("777"));
    // The requester cannot approve its own change; a stranger cannot see it.
    error_shape(
        &west.call(
            "POST",
            &format!("/v3/order_approvals/{approval}/approve"),
            Some(json!({})),
        ),
        403,
    );
    let stranger = company(&s, "north");
    error_shape(
        &stranger.call(
            "POST",
            &format!("/v3/order_approvals/{approval}/approve"),
            Some(json!({})),
        ),
        404,
    );
    let r = east.call(
        "POST",
        &format!("/v3/order_approvals/{approval}/approve"),
        Some(json!({"comments": "ok"})),
    );
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(west.get(&path).body["data"]["aEnd"]["vlan"], 777);
    assert!(west.get(&path).body["data"]["vxcApproval"]["status"].is_null());
    // A rejected change leaves it as it was.
    west.call("PUT", &path, Some(json!({"aEndVlan": 888})));
    let approval = east.get("/v3/order_approvals").body["data"][0]["uid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        east.call(
            "POST",
            &format!("/v3/order_approvals/{approval}/reject"),
            Some(json!({}))
        )
        .status,
        200
    );
    assert_eq!(west.get(&path).body["data"]["aEnd"]["vlan"], 777);
    // Only the A-End cancels.
    error_shape(
        &east.call(
            "POST",
            &format!("/v3/product/{vxc}/action/CANCEL_NOW"),
            None,
        ),
        403,
    );
    assert_eq!(
        west.call(
            "POST",
            &format!("/v3/product/{vxc}/action/CANCEL_NOW"),
            None
        )
        .status,
        200
    );
    // Strangers see nothing of it.
    error_shape(&stranger.get(&path), 404);
}

#[test]
fn a_single_use_key_is_consumed_by_exactly_one_of_many_concurrent_orders() {
    let s = Server::start(&tempdir(), &[]);
    let (_, key, _) = attachment(&s, "race", 1000);
    let companies: Vec<_> = (0..8).map(|i| company(&s, &format!("racer-{i}"))).collect();
    let mcrs: Vec<String> = companies.iter().map(|c| c.buy_mcr("m")).collect();
    let wins = std::thread::scope(|scope| {
        let handles: Vec<_> = companies
            .iter()
            .zip(&mcrs)
            .flat_map(|(c, m)| (0..4).map(move |_| (c, m)))
            .map(|(c, m)| {
                let key = key.clone();
                scope.spawn(move || c.buy_vxc(m, "race", 1000, Some(&key), None).status)
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .filter(|s| *s == 200)
            .count()
    });
    assert_eq!(wins, 1, "exactly one order wins a single-use key");
}

#[test]
fn provisioning_survives_sigkill() {
    let dir = tempdir();
    let s = Server::start(
        &dir,
        &["--transitions", "megaport_product=manual,vxc=manual"],
    );
    let west = company(&s, "west");
    let mcr = west.buy_mcr("m");
    let port = west.buy_port("p");
    let r = west.buy_vxc(&mcr, "inside", 100, None, Some(&port));
    assert_eq!(r.status, 200, "{}", r.raw);
    let vxc = r.body["data"][0]["vxcJTechnicalServiceUid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(west.status(&vxc), "DEPLOYABLE");
    let token = west.token;
    s.kill9();
    let s = Server::start(
        &dir,
        &["--transitions", "megaport_product=immediate,vxc=immediate"],
    );
    // The token is signed with a secret in the database: still valid after the restart.
    let west = Mp { s: &s, token };
    assert!(eventually(Duration::from_secs(5), || west.status(&vxc) == "LIVE"));
    assert!(eventually(Duration::from_secs(5), || west.status(&mcr) == "LIVE"));
    let events = s.admin("GET", "/_crosslink/events?limit=500", None);
    for st in ["DEPLOYABLE", "CONFIGURED", "LIVE"] {
        assert!(events.raw.contains(st), "{st} recorded");
    }
}

#[test]
fn strict_auth_takes_only_minted_keys() {
    let s = Server::start(&tempdir(), &["--auth", "strict"]);
    let r = request_with(
        &s.megaport,
        "POST",
        "/oauth2/token?grant_type=client_credentials",
        &[("Authorization", "Basic d2VzdDpzZWNyZXQ=")],
        Some(""),
    );
    assert_eq!(r.status, 401, "{}", r.raw);
    let minted = s.admin(
        "POST",
        "/_crosslink/megaport/api_keys",
        Some(r#"{"company":"East Co"}"#),
    );
    assert_eq!(minted.status, 201, "{}", minted.raw);
    let ak = minted.body["api_key"]["access_key"].as_str().unwrap();
    let sk = minted.body["api_key"]["secret_key"].as_str().unwrap();
    let good = format!("client_id={ak}&client_secret={sk}&grant_type=client_credentials");
    let r = request_with(
        &s.megaport,
        "POST",
        "/oauth2/token",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(&good),
    );
    assert_eq!(r.status, 200, "{}", r.raw);
    let t = r.body["access_token"].as_str().unwrap();
    assert_eq!(
        request(&s.megaport, "GET", "/v2/products", Some(t), None).status,
        200
    );
    let bad = format!("client_id={ak}&client_secret=wrong&grant_type=client_credentials");
    let r = request_with(&s.megaport, "POST", "/oauth2/token", &[], Some(&bad));
    assert_eq!(r.status, 401);
    // A bearer we never signed names nobody under strict auth.
    assert_eq!(
        request(&s.megaport, "GET", "/v2/products", Some("anything"), None).status,
        401
    );
    // The admin API needs its token for minting.
    let r = request(
        &s.admin,
        "POST",
        "/_crosslink/megaport/api_keys",
        None,
        Some(r#"{"company":"x"}"#),
    );
    assert_eq!(r.status, 401);
}

#[test]
fn hostile_bodies_get_clear_errors_and_change_nothing() {
    let s = Server::start(&tempdir(), &[]);
    let west = company(&s, "west");
    let mcr = west.buy_mcr("m");
    for body in [
        json!([{"productUid": mcr, "associatedVxcs": [{"productName": "v", "rateLimit": 100, "term": 1,
            "aEnd": {"partnerConfig": {"interfaces": [{"ipAddresses": ["169.254.0.6"], "bgpConnections": []}]}},
            "bEnd": {}}]}]),
        json!([{"productUid": mcr, "associatedVxcs": [{"productName": "v", "rateLimit": 100, "term": 1,
            "aEnd": {"partnerConfig": {"interfaces": [{"ipAddresses": ["169.254.0.6/29"], "bgpConnections": [
                {"peerAsn": 64532, "localIpAddress": "10.0.0.1", "peerIpAddress": "169.254.0.1"}]}]}},
            "bEnd": {}}]}]),
        json!([{"productUid": mcr, "associatedVxcs": [{"productName": "v", "rateLimit": -5, "term": 1}]}]),
        json!([{"productUid": mcr, "associatedVxcs": [{"productName": "v", "rateLimit": 10, "term": 1, "bEnd": {"productUid": "nope"}}]}]),
        json!([{"productUid": mcr, "associatedVxcs": [{"productName": "v", "rateLimit": 10, "term": 1, "aEnd": {"vlan": 1}, "bEnd": {"productUid": mcr}}]}]),
        json!([{"productUid": mcr, "associatedVxcs": [{"productName": "v", "rateLimit": 10, "term": 1, "aEnd": {"partnerConfig": {"connectType": "AWS"}}}]}]),
    ] {
        let r = west.buy(body.clone());
        error_shape(&r, 400);
    }
    let huge = "x".repeat(200_000);
    let r = request(
        &s.megaport,
        "POST",
        "/v2/service/key",
        Some(&west.token),
        Some(&huge),
    );
    error_shape(&r, 413);
    let listed = west.get("/v2/products");
    assert_eq!(listed.body["data"][0]["associatedVxcs"], json!([]));
    assert!(west.get("/v2/service/key").body["data"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[test]
fn keys_on_mcrs_and_mves_carry_their_b_end_configuration() {
    let s = Server::start(&tempdir(), &[]);
    let east = company(&s, "east");
    let west = company(&s, "west");
    let east_mcr = east.buy_mcr("east-mcr");
    let west_mcr = west.buy_mcr("west-mcr");
    let cfg = json!({"interfaces": [{"ipAddresses": ["10.9.0.1/30"], "bgpConnections": [
        {"peerAsn": 65010, "localIpAddress": "10.9.0.1", "peerIpAddress": "10.9.0.2", "shutdown": false, "bfdEnabled": false}]}]});
    // A VLAN is a port's or MVE's; an MCR key carries a B-End configuration, single-use only.
    error_shape(
        &east.create_key(
            json!({"productUid": east_mcr, "singleUse": true, "maxSpeed": 100, "vlan": 5}),
        ),
        400,
    );
    error_shape(
        &east.create_key(
            json!({"productUid": east_mcr, "singleUse": false, "maxSpeed": 100, "bEndConfig": cfg}),
        ),
        400,
    );
    let r = east.create_key(json!({"productUid": east_mcr, "singleUse": true, "maxSpeed": 100, "active": true, "bEndConfig": cfg}));
    assert_eq!(r.status, 200, "{}", r.raw);
    let key = r.body["data"]["key"].as_str().unwrap().to_owned();
    let r = west.buy_vxc(&west_mcr, "mcr-to-mcr", 100, Some(&key), None);
    assert_eq!(r.status, 200, "{}", r.raw);
    let vxc = r.body["data"][0]["vxcJTechnicalServiceUid"]
        .as_str()
        .unwrap()
        .to_owned();
    // Applied at consumption, visible to the key's company only.
    let east_view = east.get(&format!("/v2/product/{vxc}"));
    let csp = &east_view.body["data"]["resources"]["csp_connection"];
    assert_eq!(
        csp[0]["interfaces"][0]["bgpConnections"][0]["peerAsn"], 65010,
        "{}",
        east_view.raw
    );
    let west_view = west.get(&format!("/v2/product/{vxc}"));
    assert!(
        !west_view.raw.contains("65010"),
        "west never sees east's configuration"
    );
    // An MCR whose VXCs are attached keeps its ASN.
    let r = east.call(
        "PUT",
        &format!("/v2/product/mcr2/{east_mcr}"),
        Some(json!({"asn": 65001})),
    );
    error_shape(&r, 400);
    assert!(r.body["message"]
        .as_str()
        .unwrap()
        .starts_with("Cannot update ASN while VXCs are attached"));
    // safeDelete refuses while VXCs are attached; a plain cancel takes them along.
    error_shape(
        &east.call(
            "POST",
            &format!("/v3/product/{east_mcr}/action/CANCEL_NOW?safeDelete=true"),
            None,
        ),
        409,
    );
    assert_eq!(
        east.call(
            "POST",
            &format!("/v3/product/{east_mcr}/action/CANCEL_NOW"),
            None
        )
        .status,
        200
    );
    assert!(eventually(Duration::from_secs(5), || west.status(&vxc)
        == "DECOMMISSIONED"));

    // An MVE key with a preferred VLAN.
    let r = east.buy(json!([{"locationId": 91, "productName": "east-mve", "term": 12, "productType": "MVE",
        "vnics": [{"description": "data"}], "vendorConfig": {"vendor": "aruba", "productSize": "SMALL"}}]));
    assert_eq!(r.status, 200, "{}", r.raw);
    let mve = r.body["data"][0]["technicalServiceUid"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = east.create_key(
        json!({"productUid": mve, "singleUse": true, "maxSpeed": 100, "vlan": 42, "active": true}),
    );
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(
        east.get(&format!("/v2/product/{mve}")).body["data"]["productType"],
        "MVE"
    );
}

#[test]
fn vlans_on_a_port_follow_megaports_rules() {
    let s = Server::start(&tempdir(), &[]);
    let west = company(&s, "west");
    let port = west.buy_port("p");
    let mcr = west.buy_mcr("m");
    let order = |vlan: i64| {
        west.buy(json!([{"productUid": port, "associatedVxcs": [{"productName": "v", "rateLimit": 100, "term": 1,
            "aEnd": {"vlan": vlan}, "bEnd": {"productUid": mcr}}]}]))
    };
    assert_eq!(order(100).status, 200);
    let r = order(100);
    error_shape(&r, 400);
    assert!(r.body["message"]
        .as_str()
        .unwrap()
        .contains("VLAN 100 is not available"));
    for bad in [1, 4094, -2] {
        error_shape(&order(bad), 400);
    }
    let free = west.get(&format!("/v2/product/port/{port}/vlan?vlan=100"));
    assert_eq!(free.body["data"], json!([]));
    let free = west.get(&format!("/v2/product/port/{port}/vlan?vlan=101"));
    assert_eq!(free.body["data"], json!([101]));
    // Two lines of one design cannot take the same VLAN; the design is all or nothing.
    let both = west.buy(json!([{"productUid": port, "associatedVxcs": [
        {"productName": "a", "rateLimit": 10, "term": 1, "aEnd": {"vlan": 200}, "bEnd": {"productUid": mcr}},
        {"productName": "b", "rateLimit": 10, "term": 1, "aEnd": {"vlan": 200}, "bEnd": {"productUid": mcr}}]}]));
    error_shape(&both, 400);
    assert_eq!(
        west.get(&format!("/v2/product/port/{port}/vlan?vlan=200"))
            .body["data"],
        json!([200])
    );
    // Untagged needs the whole port.
    error_shape(&order(-1), 409);
}

#[test]
fn resource_tags_and_locks_are_the_owners() {
    let s = Server::start(&tempdir(), &[]);
    let west = company(&s, "west");
    let r = west.buy(
        json!([{"locationId": 71, "productName": "tagged", "term": 1, "productType": "MCR2",
        "portSpeed": 1000, "resourceTags": [{"key": "env", "value": "ci"}]}]),
    );
    let uid = r.body["data"][0]["technicalServiceUid"]
        .as_str()
        .unwrap()
        .to_owned();
    let tags = west.get(&format!("/v2/product/{uid}/tags"));
    assert_eq!(
        tags.body["data"]["resourceTags"],
        json!([{"key": "env", "value": "ci"}]),
        "{}",
        tags.raw
    );
    let r = west.call(
        "PUT",
        &format!("/v2/product/{uid}/tags"),
        Some(json!({"resourceTags": [{"key": "team", "value": "net"}]})),
    );
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(
        west.get(&format!("/v2/product/{uid}/tags")).body["data"]["resourceTags"][0]["key"],
        "team"
    );
    let east = company(&s, "east");
    error_shape(&east.get(&format!("/v2/product/{uid}/tags")), 404);
    assert_eq!(
        west.call("POST", &format!("/v2/product/{uid}/lock"), None)
            .status,
        200
    );
    assert_eq!(
        west.get(&format!("/v2/product/{uid}")).body["data"]["locked"],
        true
    );
    error_shape(
        &west.call(
            "POST",
            &format!("/v3/product/{uid}/action/CANCEL_NOW"),
            None,
        ),
        403,
    );
    error_shape(
        &west.call(
            "PUT",
            &format!("/v2/product/mcr2/{uid}"),
            Some(json!({"name": "x"})),
        ),
        403,
    );
    assert_eq!(
        west.call("DELETE", &format!("/v2/product/{uid}/lock"), None)
            .status,
        200
    );
    assert_eq!(
        west.get(&format!("/v2/product/{uid}")).body["data"]["locked"],
        false
    );
}

#[test]
fn reviewed_edges_are_refused_cleanly() {
    let s = Server::start(&tempdir(), &[]);
    let west = company(&s, "west");
    let port = west.buy_port("p");
    // Dates that overflowed or rolled over: a 400 each, nothing written, the server alive.
    for end in [
        json!(i64::MIN),
        json!("99999999999999-01-01"),
        json!("2026-01-01T00:00:NaNZ"),
        json!("2026-02-31"),
        json!("2026-01-01T00:00:00+9999999999999999:00"),
    ] {
        let r = west.create_key(
            json!({"productUid": port, "singleUse": false, "maxSpeed": 100,
            "validFor": {"start": 1_700_000_000_000u64, "end": end}}),
        );
        error_shape(&r, 400);
    }
    assert!(west.get("/v2/service/key").body["data"]
        .as_array()
        .unwrap()
        .is_empty());
    // An MCR's speed is shared by all its VXCs.
    let mcr = west.buy_mcr("m"); // 2500 Mbps
    let r = west.buy(json!([{"productUid": mcr, "associatedVxcs": [
        {"productName": "a", "rateLimit": 2000, "term": 1, "bEnd": {"productUid": port}},
        {"productName": "b", "rateLimit": 1000, "term": 1, "bEnd": {"productUid": port}}]}]));
    error_shape(&r, 400);
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("shared by all its VXCs"),
        "{}",
        r.raw
    );
    let r = west.buy_vxc(&mcr, "a", 2000, None, Some(&port));
    let vxc = r.body["data"][0]["vxcJTechnicalServiceUid"]
        .as_str()
        .unwrap()
        .to_owned();
    error_shape(&west.buy_vxc(&mcr, "b", 1000, None, Some(&port)), 400);
    assert_eq!(west.buy_vxc(&mcr, "c", 500, None, Some(&port)).status, 200);
    error_shape(
        &west.call(
            "PUT",
            &format!("/v3/product/vxc/{vxc}"),
            Some(json!({"rateLimit": 2500})),
        ),
        400,
    );
    // Moving an end is refused, not silently ignored.
    let other = west.buy_port("q");
    let r = west.call(
        "PUT",
        &format!("/v3/product/vxc/{vxc}"),
        Some(json!({"bEndProductUid": other})),
    );
    error_shape(&r, 400);
    assert_eq!(
        west.get(&format!("/v2/product/{vxc}")).body["data"]["bEnd"]["productUid"],
        port.as_str()
    );
    // Tags: a body without resourceTags removes nothing.
    error_shape(
        &west.call("PUT", &format!("/v2/product/{mcr}/tags"), Some(json!({}))),
        400,
    );
    // A long bad uid is not echoed whole.
    let long = "x".repeat(5000);
    let r = west.call(
        "POST",
        &format!("/v3/product/{long}/action/CANCEL_NOW"),
        None,
    );
    assert!(r.raw.len() < 1000, "{}", r.raw.len());
}
