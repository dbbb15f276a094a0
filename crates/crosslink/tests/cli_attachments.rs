//! `crosslink network attachment ...` run as a subprocess, checking what a doctl user sees:
//! tables, `-o json` shapes, error lines, exit codes, and what goes over the wire.
//! Against the real `crosslink serve`.

mod common;

use common::{run, tempdir, Client, Run, Server};
use serde_json::{json, Value};

/// `crosslink network -t TOKEN -u API --http-retry-max 0 attachment ARGS...`.
fn pa_run(api: &str, token: &str, args: &[&str]) -> Run {
    let mut all = vec![
        "network",
        "-t",
        token,
        "-u",
        api,
        "--http-retry-max",
        "0",
        "attachment",
    ];
    all.extend_from_slice(args);
    run(&all)
}

/// Like `pa_run`, and it must succeed.
fn pa(api: &str, token: &str, args: &[&str]) -> String {
    let r = pa_run(api, token, args);
    assert_eq!(r.code, 0, "{args:?} failed: {}{}", r.stderr, r.stdout);
    r.stdout
}

/// The cell of `row` under `header`, found by the header's position.
fn cell(table: &str, row: usize, header: &str) -> String {
    let lines: Vec<&str> = table.lines().collect();
    let start = lines[0].find(header).expect("header present");
    let rest = lines[row].get(start..).unwrap_or("");
    rest.split("  ").next().unwrap().trim().to_owned()
}

fn headers(table: &str) -> Vec<String> {
    table
        .lines()
        .next()
        .unwrap()
        .split("    ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

fn json_of(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

const ATTACHMENT_HEADERS: [&str; 15] = [
    "ID",
    "Name",
    "State",
    "Connection Bandwidth (MBPS)",
    "Region",
    "NaaS Provider",
    "VPC IDs",
    "Created At",
    "BGP Local ASN",
    "BGP Local Router IP",
    "BGP Peer ASN",
    "BGP Peer Router IP",
    "Redundancy Zone",
    "Parent UUID",
    "Children UUIDs",
];

const AUTH_KEY: &str = "md5-s3cret-key";

fn create_args<'a>(name: &'a str, vpc_ids: &'a str) -> Vec<&'a str> {
    vec![
        "create",
        "--name",
        name,
        "--connection-bandwidth-in-mbps",
        "1000",
        "--region",
        "nyc",
        "--naas-provider",
        "MEGAPORT",
        "--vpc-ids",
        vpc_ids,
    ]
}

// ---- against the real server ----------------------------------------------------------------

fn vpc(c: &Client, name: &str, region: &str) -> String {
    let r = c.call(
        "POST",
        "/v2/vpcs",
        Some(json!({"name": name, "region": region})),
    );
    assert_eq!(r.status, 201, "{}", r.raw);
    r.body["vpc"]["id"].as_str().unwrap().to_owned()
}

#[test]
fn attachment_every_subcommand() {
    let dir = tempdir();
    let s = Server::start(&dir, &[]);
    let c = Client::new(&s, "alice");
    let (v1, v2, v3) = (
        vpc(&c, "a", "nyc1"),
        vpc(&c, "b", "nyc3"),
        vpc(&c, "c", "nyc1"),
    );
    let ids = format!("{v1},{v2}");

    // create --wait with BGP flags (sent, unlike doctl's); the key is never printed.
    let mut args = create_args("pa1", &ids);
    args.extend([
        "--bgp-local-asn",
        "64512",
        "--bgp-local-router-ip",
        "169.254.0.1/29",
        "--bgp-peer-asn",
        "133937",
        "--bgp-peer-router-ip",
        "169.254.0.6/29",
        "--bgp-auth-key",
        AUTH_KEY,
        "--redundancy-zone",
        "MEGAPORT_RED",
        "--wait",
        "--wait-interval",
        "100ms",
        "--trace",
    ]);
    let r = pa_run(&s.api, "alice", &args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains(AUTH_KEY) && !r.stderr.contains(AUTH_KEY));
    assert!(
        !r.stderr.contains("alice"),
        "--trace never prints the token"
    );
    let out = r.stdout;
    assert_eq!(headers(&out), ATTACHMENT_HEADERS);
    assert_eq!(out.lines().count(), 2, "{out}");
    let pa1 = cell(&out, 1, "ID");
    assert_eq!(cell(&out, 1, "State"), "CREATED");
    assert_eq!(cell(&out, 1, "Region"), "NYC");
    assert_eq!(cell(&out, 1, "NaaS Provider"), "MEGAPORT");
    assert_eq!(cell(&out, 1, "VPC IDs"), ids);
    assert_eq!(cell(&out, 1, "Connection Bandwidth (MBPS)"), "1000");
    assert_eq!(cell(&out, 1, "BGP Peer ASN"), "133937");
    assert_eq!(cell(&out, 1, "BGP Local Router IP"), "169.254.0.1/29");
    assert_eq!(cell(&out, 1, "Redundancy Zone"), "MEGAPORT_RED");
    assert!(cell(&out, 1, "Created At").ends_with("+0000 UTC"), "{out}");
    let trace_gets = r
        .stderr
        .matches(&format!(
            "GET {}/v2/partner_network_connect/attachments/{pa1} -> 200",
            s.api
        ))
        .count();
    assert!(trace_gets >= 1, "--wait polled: {}", r.stderr);

    // Without --wait the answer is the 202's CREATING; alias c, region in any case.
    let mut args = create_args("pa2", &v3);
    args[0] = "c";
    args[6] = "NyC";
    let out = pa(&s.api, "alice", &args);
    let pa2 = cell(&out, 1, "ID");
    assert_eq!(cell(&out, 1, "State"), "CREATING");

    // get / g with --format (case-insensitive, in the order asked) and --no-header.
    let out = pa(
        &s.api,
        "alice",
        &["g", &pa1, "--format", "name,VPCIDs,state", "--no-header"],
    );
    assert_eq!(
        out.split_whitespace().collect::<Vec<_>>(),
        ["pa1", ids.as_str(), "CREATED"]
    );
    // list / ls, all of them; another team sees none.
    let out = pa(&s.api, "alice", &["ls", "--format", "ID", "--no-header"]);
    let mut listed: Vec<&str> = out.lines().collect();
    listed.sort();
    let mut want = vec![pa1.as_str(), pa2.as_str()];
    want.sort();
    assert_eq!(listed, want);
    assert_eq!(pa(&s.api, "bob", &["list", "--no-header"]), "");

    // -o json: doctl's wrapper, empty parent_uuid/children left out.
    let got = json_of(&pa(&s.api, "alice", &["get", &pa1, "-o", "json"]));
    let direct = c.get(&format!("/v2/partner_network_connect/attachments/{pa1}"));
    let inner = &got[0]["PartnerAttachment"];
    assert_eq!(got.as_array().unwrap().len(), 1, "{got}");
    assert_eq!(inner["id"], direct.body["partner_attachment"]["id"]);
    assert_eq!(inner["vpc_ids"], json!([v1, v2]));
    assert_eq!(inner["bgp"]["peer_asn"], 133937);
    assert!(inner.get("parent_uuid").is_none() && inner.get("children").is_none());
    assert!(inner.get("auth_key").is_none() && inner["bgp"].get("auth_key").is_none());
    assert_eq!(
        json_of(&pa(&s.api, "alice", &["ls", "-o", "json"]))
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // update / u sends only what is given: a rename keeps the VPCs, new VPCs keep the name.
    let out = pa(&s.api, "alice", &["u", &pa1, "--name", "pa1-renamed"]);
    assert_eq!(cell(&out, 1, "Name"), "pa1-renamed");
    assert_eq!(cell(&out, 1, "VPC IDs"), ids);
    let out = pa(&s.api, "alice", &["update", &pa1, "--vpc-ids", &v1]);
    assert_eq!(cell(&out, 1, "Name"), "pa1-renamed");
    assert_eq!(cell(&out, 1, "VPC IDs"), v1);

    // list-routes: a table of Cidr, `[]` in JSON when there are none.
    let out = pa(&s.api, "alice", &["list-routes", &pa1]);
    assert_eq!(headers(&out), ["Cidr"]);
    let routes = json_of(&pa(&s.api, "alice", &["ls-routes", &pa1, "-o", "json"]));
    assert!(routes.is_array(), "{routes}");
    assert_eq!(routes.as_array().unwrap().len(), out.lines().count() - 1);

    // get-service-key: Value State CreatedAt; JSON is a bare object.
    let out = pa(&s.api, "alice", &["get-service-key", &pa1]);
    assert_eq!(headers(&out), ["Value", "State", "CreatedAt"]);
    let key = json_of(&pa(&s.api, "alice", &["g-service-key", &pa1, "-o", "json"]));
    assert!(key.is_object(), "{key}");
    assert!(key["created_at"].is_string(), "{key}");
    // regenerate-service-key prints nothing (`{}` under -o json).
    assert_eq!(pa(&s.api, "alice", &["regenerate-service-key", &pa1]), "");
    let out = pa(&s.api, "alice", &["regen-service-key", &pa1, "-o", "json"]);
    assert_eq!(json_of(&out), json!({}));

    // get-bgp-auth-key is where the key shows.
    let out = pa(&s.api, "alice", &["get-bgp-auth-key", &pa1]);
    assert_eq!(headers(&out), ["Value"]);
    assert_eq!(cell(&out, 1, "Value"), AUTH_KEY);
    let out = pa(
        &s.api,
        "alice",
        &["g-bgp-auth-key", &pa1, "--format", "Value", "--no-header"],
    );
    assert_eq!(out, format!("{AUTH_KEY}\n"));
    assert_eq!(
        json_of(&pa(
            &s.api,
            "alice",
            &["g-bgp-auth-key", &pa1, "-o", "json"]
        )),
        json!({"value": AUTH_KEY})
    );

    // delete needs --force without a terminal; rm -f --wait returns once it is gone.
    let r = pa_run(&s.api, "alice", &["delete", &pa1]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--force"), "{}", r.stderr);
    pa(&s.api, "alice", &["get", &pa1]);
    let out = pa(
        &s.api,
        "alice",
        &["rm", &pa1, "-f", "--wait", "--wait-interval", "100ms"],
    );
    assert_eq!(out, "");
    let r = pa_run(&s.api, "alice", &["get", &pa1]);
    assert_eq!(r.code, 1);
    let prefix = format!(
        "Error: GET {}/v2/partner_network_connect/attachments/{pa1}: 404",
        s.api
    );
    assert!(r.stderr.starts_with(&prefix), "{}", r.stderr);
    assert!(r.stderr.contains("not found"), "{}", r.stderr);
    assert_eq!(r.stdout, "");
    assert_eq!(pa(&s.api, "alice", &["delete", "--force", &pa2]), "");
}

#[test]
fn attachment_errors() {
    let dir = tempdir();
    let s = Server::start(&dir, &[]);
    let c = Client::new(&s, "alice");
    let v = vpc(&c, "a", "ams3");

    // --type other than partner: a local error, nothing sent.
    let r = pa_run(
        &s.api,
        "alice",
        &["--trace", "ls", "--type", "interconnect"],
    );
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr.trim_end(),
        "Error: unsupported attachment type: interconnect"
    );
    let r = pa_run(&s.api, "alice", &["--type", "x", "g", "id", "-o", "json"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        json_of(&r.stdout),
        json!({"errors": [{"detail": "unsupported attachment type: x"}]})
    );

    // The API's refusal comes back as doctl's error line: a VPC outside the metro.
    let mut args = create_args("pa1", &v);
    args.extend(["--bgp-auth-key", AUTH_KEY]);
    let r = pa_run(&s.api, "alice", &args);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let prefix = format!(
        "Error: POST {}/v2/partner_network_connect/attachments: 4",
        s.api
    );
    assert!(r.stderr.starts_with(&prefix), "{}", r.stderr);
    assert!(!r.stderr.contains(AUTH_KEY), "{}", r.stderr);

    // A gone id, in JSON: `{"errors":[{"detail": ...}]}` on stdout.
    let r = pa_run(
        &s.api,
        "alice",
        &["get-service-key", "no-such", "-o", "json"],
    );
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr, "");
    let detail = json_of(&r.stdout)["errors"][0]["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        detail.starts_with(&format!(
            "GET {}/v2/partner_network_connect/attachments/no-such/service_key: 404",
            s.api
        )),
        "{detail}"
    );
}
