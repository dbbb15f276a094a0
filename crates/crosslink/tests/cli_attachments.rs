//! `crosslink network attachment ...` run as a subprocess, checking what a doctl user sees:
//! tables, `-o json` shapes, error lines, exit codes, and what goes over the wire.
//!
//! Two backends: the real `crosslink serve` (tests marked `needs the partner attachment API`
//! until the server's routes land), and `stub`, a few dozen lines of the same routes kept in
//! memory that record every request, so the client's side is checked now.

mod common;

use common::{tempdir, Client, Server};
use serde_json::{json, Value};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_crosslink"))
        .args(args)
        .env_remove("DIGITALOCEAN_ACCESS_TOKEN")
        .env_remove("DIGITALOCEAN_API_URL")
        .stdin(Stdio::null())
        .output()
        .expect("run crosslink");
    Run {
        code: status.code().expect("exited normally"),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    }
}

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
#[ignore = "needs the partner attachment API"]
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
#[ignore = "needs the partner attachment API"]
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

// ---- against the stub -----------------------------------------------------------------------

/// The partner attachment routes in memory, answering as §4 of the API reference says (202 on
/// create, PATCH, DELETE and service-key POST; `CREATING` for two GETs, then `CREATED`;
/// `DELETING` for two GETs, then a 404 saying "not found"). Every request is recorded.
mod stub {
    use serde_json::{json, Value};
    use std::collections::HashMap;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::sync::{Arc, Mutex};

    const BASE: &str = "/v2/partner_network_connect/attachments";

    #[derive(Clone, Debug)]
    pub struct Request {
        pub method: String,
        pub path: String,
        pub body: String,
    }

    #[derive(Default)]
    struct State {
        log: Vec<Request>,
        attachments: Vec<Value>,
        auth_keys: HashMap<String, String>,
        /// GETs left before the attachment's state moves on.
        pending: HashMap<String, u32>,
        next: u32,
    }

    pub struct Stub {
        pub url: String,
        state: Arc<Mutex<State>>,
    }

    impl Stub {
        pub fn start() -> Stub {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            let state = Arc::new(Mutex::new(State::default()));
            let shared = state.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming().flatten() {
                    serve(stream, &shared);
                }
            });
            Stub { url, state }
        }

        pub fn requests(&self) -> Vec<Request> {
            self.state.lock().unwrap().log.clone()
        }

        pub fn clear(&self) {
            self.state.lock().unwrap().log.clear();
        }

        /// Adds `n` CREATED attachments without going through the API.
        pub fn seed(&self, n: usize) {
            let mut s = self.state.lock().unwrap();
            for i in 0..n {
                let body = json!({"name": format!("seed{i}"), "connection_bandwidth_in_mbps": 1000,
                    "region": "sfo", "naas_provider": "MEGAPORT", "vpc_ids": ["v"]});
                let mut a = create(&mut s, &body);
                a["state"] = json!("CREATED");
                let id = a["id"].as_str().unwrap().to_owned();
                s.pending.remove(&id);
                s.attachments.push(a);
            }
        }
    }

    fn serve(stream: TcpStream, state: &Mutex<State>) {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let target = parts.next().unwrap_or_default().to_owned();
        let mut length = 0;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).unwrap();
            if header.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = header.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap();
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let body = String::from_utf8(body).unwrap();
        let (status, answer) = {
            let mut s = state.lock().unwrap();
            s.log.push(Request {
                method: method.clone(),
                path: target.clone(),
                body: body.clone(),
            });
            handle(&mut s, &method, &target, &body)
        };
        let text = answer.to_string();
        let reply = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
            text.len()
        );
        let mut stream = stream;
        let _ = stream.write_all(reply.as_bytes());
    }

    fn not_found() -> (u16, Value) {
        (
            404,
            json!({"id": "not_found", "message": "partner attachment not found"}),
        )
    }

    fn create(s: &mut State, body: &Value) -> Value {
        s.next += 1;
        let id = format!("pa-{:04}", s.next);
        let bgp = &body["bgp"];
        if let Some(key) = bgp["auth_key"].as_str() {
            s.auth_keys.insert(id.clone(), key.to_owned());
        }
        s.pending.insert(id.clone(), 2);
        json!({
            "id": id,
            "name": body["name"],
            "state": "CREATING",
            "connection_bandwidth_in_mbps": body["connection_bandwidth_in_mbps"],
            "region": body["region"].as_str().unwrap_or_default().to_uppercase(),
            "naas_provider": body["naas_provider"],
            "vpc_ids": body["vpc_ids"],
            "bgp": {
                "local_asn": bgp["local_router_asn"].as_u64().unwrap_or(0),
                "local_router_ip": bgp["local_router_ip"].as_str().unwrap_or_default(),
                "peer_asn": bgp["peer_router_asn"].as_u64().unwrap_or(0),
                "peer_router_ip": bgp["peer_router_ip"].as_str().unwrap_or_default(),
            },
            "created_at": "2026-12-01T07:43:37Z",
            "redundancy_zone": body["redundancy_zone"].as_str().unwrap_or("MEGAPORT_RED"),
            "parent_uuid": body.get("parent_uuid").cloned(),
            "children": [],
        })
    }

    fn query(target: &str, key: &str) -> Option<usize> {
        let q = target.split_once('?')?.1;
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == key)
            .and_then(|(_, v)| v.parse().ok())
    }

    fn handle(s: &mut State, method: &str, target: &str, body: &str) -> (u16, Value) {
        let path = target.split('?').next().unwrap();
        let Some(rest) = path.strip_prefix(BASE) else {
            return not_found();
        };
        let segs: Vec<&str> = rest.split('/').filter(|x| !x.is_empty()).collect();
        let body: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        if segs.is_empty() {
            return match method {
                "GET" => {
                    let (page, per) = (
                        query(target, "page").unwrap_or(1),
                        query(target, "per_page").unwrap_or(20),
                    );
                    let all = &s.attachments;
                    let chunk: Vec<Value> = all
                        .iter()
                        .skip((page - 1) * per)
                        .take(per)
                        .cloned()
                        .collect();
                    let links = if page * per < all.len() {
                        json!({"pages": {"next": format!("http://elsewhere{BASE}?page={}", page + 1)}})
                    } else {
                        json!({})
                    };
                    (
                        200,
                        json!({"partner_attachments": chunk, "links": links, "meta": {"total": all.len()}}),
                    )
                }
                "POST" if body["name"] == "refuse-me" => (
                    422,
                    json!({"id": "unprocessable_entity",
                           "message": format!("auth_key {} is too weak", body["bgp"]["auth_key"].as_str().unwrap_or_default())}),
                ),
                "POST" => {
                    let a = create(s, &body);
                    s.attachments.push(a.clone());
                    (202, json!({"partner_attachment": a}))
                }
                _ => (405, json!({"id": "method_not_allowed", "message": "no"})),
            };
        }
        let id = segs[0].to_owned();
        let Some(i) = s.attachments.iter().position(|a| a["id"] == id) else {
            return not_found();
        };
        match (method, &segs[1..]) {
            ("GET", []) => {
                match s.pending.get_mut(&id) {
                    Some(n) if *n > 0 => *n -= 1,
                    _ => match s.attachments[i]["state"].as_str() {
                        Some("CREATING") => s.attachments[i]["state"] = json!("CREATED"),
                        Some("DELETING") => {
                            s.attachments.remove(i);
                            return not_found();
                        }
                        _ => {}
                    },
                }
                (200, json!({"partner_attachment": s.attachments[i]}))
            }
            ("PATCH", []) => {
                for k in ["name", "vpc_ids"] {
                    if let Some(v) = body.get(k) {
                        s.attachments[i][k] = v.clone();
                    }
                }
                (202, json!({"partner_attachment": s.attachments[i]}))
            }
            ("DELETE", []) => {
                s.attachments[i]["state"] = json!("DELETING");
                s.pending.insert(id, 2);
                (202, json!({"partner_attachment": s.attachments[i]}))
            }
            ("GET", ["remote_routes"]) => {
                let routes = if s.attachments[i]["name"] == "routed" {
                    json!([{"cidr": "10.10.10.0/24"}, {"cidr": "192.168.1.0/24"}])
                } else {
                    json!([])
                };
                let total = routes.as_array().unwrap().len();
                (
                    200,
                    json!({"remote_routes": routes, "links": {}, "meta": {"total": total}}),
                )
            }
            ("GET", ["service_key"]) => (
                200,
                json!({"service_key": {"value": format!("sk-{id}"), "state": "CREATED",
                                       "created_at": "2026-12-01T07:43:37Z"}}),
            ),
            ("POST", ["service_key"]) => (202, json!({})),
            ("GET", ["bgp_auth_key"]) => (
                200,
                json!({"bgp_auth_key": {"value": s.auth_keys.get(&id).cloned().unwrap_or_default()}}),
            ),
            _ => not_found(),
        }
    }
}

#[test]
fn stub_every_subcommand() {
    let s = stub::Stub::start();
    let api = s.url.as_str();

    // create --wait: the BGP flags go out as a bgp object; polls until CREATED.
    let mut args = create_args("pa1", "v1,v2");
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
        "MEGAPORT_BLUE",
        "--parent-uuid",
        "pa-parent",
        "--wait",
        "--wait-interval",
        "50ms",
        "--trace",
    ]);
    let r = pa_run(api, "alice", &args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains(AUTH_KEY), "{}", r.stdout);
    assert!(!r.stderr.contains(AUTH_KEY), "{}", r.stderr);
    assert!(!r.stderr.contains("alice"), "{}", r.stderr);
    let out = r.stdout;
    assert_eq!(headers(&out), ATTACHMENT_HEADERS);
    let pa1 = cell(&out, 1, "ID");
    assert_eq!(cell(&out, 1, "State"), "CREATED");
    assert_eq!(cell(&out, 1, "Region"), "NYC");
    assert_eq!(cell(&out, 1, "VPC IDs"), "v1,v2");
    assert_eq!(cell(&out, 1, "BGP Local ASN"), "64512");
    assert_eq!(cell(&out, 1, "BGP Peer Router IP"), "169.254.0.6/29");
    assert_eq!(cell(&out, 1, "Parent UUID"), "pa-parent");
    assert_eq!(cell(&out, 1, "Created At"), "2026-12-01 07:43:37 +0000 UTC");
    let reqs = s.requests();
    let post: Value = serde_json::from_str(&reqs[0].body).unwrap();
    assert_eq!(
        (reqs[0].method.as_str(), reqs[0].path.as_str()),
        ("POST", "/v2/partner_network_connect/attachments")
    );
    assert_eq!(
        post,
        json!({
            "name": "pa1",
            "connection_bandwidth_in_mbps": 1000,
            "region": "nyc",
            "naas_provider": "MEGAPORT",
            "vpc_ids": ["v1", "v2"],
            "parent_uuid": "pa-parent",
            "redundancy_zone": "MEGAPORT_BLUE",
            "bgp": {
                "local_router_ip": "169.254.0.1/29",
                "peer_router_ip": "169.254.0.6/29",
                "peer_router_asn": 133937,
                "auth_key": AUTH_KEY,
                "local_router_asn": 64512,
            },
        })
    );
    let polls = reqs
        .iter()
        .filter(|q| q.method == "GET" && q.path.ends_with(&pa1))
        .count();
    assert_eq!(polls, 3, "two CREATING answers, then CREATED");
    assert_eq!(r.stderr.matches("trace: ").count(), 4, "{}", r.stderr);

    // Without BGP flags no bgp object; without --wait the 202's CREATING is shown.
    s.clear();
    let mut args = create_args("routed", "v3");
    args[0] = "c";
    let out = pa(api, "alice", &args);
    let pa2 = cell(&out, 1, "ID");
    assert_eq!(cell(&out, 1, "State"), "CREATING");
    let reqs = s.requests();
    assert_eq!(reqs.len(), 1);
    assert!(!reqs[0].body.contains("bgp"), "{}", reqs[0].body);

    // get / g, list / ls with --format and --no-header.
    let out = pa(
        api,
        "alice",
        &["g", &pa1, "--format", "name,State,VPCIDs", "--no-header"],
    );
    assert_eq!(out, "pa1    CREATED    v1,v2\n");
    let out = pa(api, "alice", &["get", &pa1, "--format", "ID,Children"]);
    assert_eq!(headers(&out), ["ID", "Children UUIDs"]);
    let out = pa(api, "alice", &["ls", "--format", "ID", "--no-header"]);
    assert_eq!(out, format!("{pa1}\n{pa2}\n"));
    let out = pa(api, "alice", &["list"]);
    assert_eq!(out.lines().count(), 3);
    let bad = pa_run(api, "alice", &["ls", "--format", "ID,Colour"]);
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.contains("\"Colour\""), "{}", bad.stderr);

    // -o json: doctl's wrapper object; empty parent_uuid and children left out.
    let got = json_of(&pa(api, "alice", &["ls", "-o", "json"]));
    let list = got.as_array().unwrap();
    assert_eq!(list.len(), 2);
    let first = &list[0]["PartnerAttachment"];
    assert_eq!(first["id"], pa1.as_str());
    assert_eq!(first["parent_uuid"], "pa-parent");
    assert_eq!(first["bgp"]["local_asn"], 64512);
    assert!(first.get("children").is_none(), "{first}");
    let second = &list[1]["PartnerAttachment"];
    assert!(second.get("parent_uuid").is_none() && second.get("children").is_none());
    assert_eq!(second["bgp"], json!({}), "godo's empty BGP struct");
    let got = json_of(&pa(api, "alice", &["get", &pa2, "-o", "json"]));
    assert_eq!(got, json!([list[1].clone()]));

    // update / u sends only the flags given.
    s.clear();
    let out = pa(api, "alice", &["u", &pa1, "--name", "pa1b"]);
    assert_eq!(cell(&out, 1, "Name"), "pa1b");
    assert_eq!(cell(&out, 1, "VPC IDs"), "v1,v2");
    let out = pa(api, "alice", &["update", &pa1, "--vpc-ids", "v2,v4"]);
    assert_eq!(cell(&out, 1, "VPC IDs"), "v2,v4");
    let bodies: Vec<(String, String)> = s
        .requests()
        .into_iter()
        .map(|q| (q.method, q.body))
        .collect();
    assert_eq!(
        bodies,
        [
            ("PATCH".to_owned(), r#"{"name":"pa1b"}"#.to_owned()),
            ("PATCH".to_owned(), r#"{"vpc_ids":["v2","v4"]}"#.to_owned()),
        ]
    );
    let r = pa_run(api, "alice", &["update", &pa1]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("nothing to update"), "{}", r.stderr);

    // list-routes / ls-routes.
    let out = pa(api, "alice", &["list-routes", &pa2]);
    assert_eq!(out, "Cidr\n10.10.10.0/24\n192.168.1.0/24\n");
    let out = pa(api, "alice", &["ls-routes", &pa2, "--no-header"]);
    assert_eq!(out, "10.10.10.0/24\n192.168.1.0/24\n");
    assert_eq!(
        json_of(&pa(api, "alice", &["ls-routes", &pa2, "-o", "json"])),
        json!([{"cidr": "10.10.10.0/24"}, {"cidr": "192.168.1.0/24"}])
    );
    assert_eq!(pa(api, "alice", &["ls-routes", &pa1, "-o", "json"]), "[]\n");
    assert!(s.requests().iter().any(|q| q.path
        == format!(
            "/v2/partner_network_connect/attachments/{pa2}/remote_routes?page=1&per_page=200"
        )));

    // get-service-key / g-service-key: a table, and a bare object in JSON.
    let out = pa(api, "alice", &["get-service-key", &pa1]);
    assert_eq!(headers(&out), ["Value", "State", "CreatedAt"]);
    assert_eq!(cell(&out, 1, "Value"), format!("sk-{pa1}"));
    assert_eq!(cell(&out, 1, "CreatedAt"), "2026-12-01 07:43:37 +0000 UTC");
    let out = pa(
        api,
        "alice",
        &["g-service-key", &pa1, "--format", "State", "--no-header"],
    );
    assert_eq!(out, "CREATED\n");
    assert_eq!(
        json_of(&pa(api, "alice", &["g-service-key", &pa1, "-o", "json"])),
        json!({"value": format!("sk-{pa1}"), "state": "CREATED", "created_at": "2026-12-01T07:43:37Z"})
    );

    // regenerate-service-key / regen-service-key: a POST, nothing printed.
    s.clear();
    assert_eq!(pa(api, "alice", &["regenerate-service-key", &pa1]), "");
    assert_eq!(
        pa(api, "alice", &["regen-service-key", &pa1, "-o", "json"]),
        "{}\n"
    );
    let reqs = s.requests();
    assert_eq!(reqs.len(), 2);
    assert!(reqs.iter().all(|q| q.method == "POST"
        && q.path == format!("/v2/partner_network_connect/attachments/{pa1}/service_key")));

    // get-bgp-auth-key / g-bgp-auth-key: the one place the key is shown.
    let out = pa(api, "alice", &["get-bgp-auth-key", &pa1]);
    assert_eq!(out, format!("Value\n{AUTH_KEY}\n"));
    assert_eq!(
        pa(api, "alice", &["g-bgp-auth-key", &pa1, "--no-header"]),
        format!("{AUTH_KEY}\n")
    );
    assert_eq!(
        pa(api, "alice", &["g-bgp-auth-key", &pa1, "--format", "value"]),
        format!("Value\n{AUTH_KEY}\n")
    );
    assert_eq!(
        json_of(&pa(api, "alice", &["g-bgp-auth-key", &pa1, "-o", "json"])),
        json!({"value": AUTH_KEY})
    );

    // delete: --force needed without a terminal, nothing sent before it.
    s.clear();
    let r = pa_run(api, "alice", &["delete", &pa1]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--force"), "{}", r.stderr);
    assert!(s.requests().is_empty());
    // rm -f --wait: DELETING twice, then the 404 saying "not found" ends the wait.
    let started = Instant::now();
    let out = pa(
        api,
        "alice",
        &["rm", &pa1, "-f", "--wait", "--wait-interval", "50ms"],
    );
    assert_eq!(out, "");
    assert!(started.elapsed() >= Duration::from_millis(100));
    let methods: Vec<String> = s.requests().into_iter().map(|q| q.method).collect();
    assert_eq!(methods, ["DELETE", "GET", "GET", "GET"]);
    let r = pa_run(api, "alice", &["get", &pa1]);
    assert_eq!(r.code, 1);
    // Without --wait, one DELETE and done.
    s.clear();
    assert_eq!(pa(api, "alice", &["delete", "--force", &pa2]), "");
    assert_eq!(s.requests().len(), 1);
}

#[test]
fn stub_errors_and_type() {
    let s = stub::Stub::start();
    let api = s.url.as_str();

    // --type: partner (the default) only; anything else fails before a request.
    let r = run(&[
        "network",
        "-t",
        "alice",
        "-u",
        api,
        "--type",
        "interconnect",
        "attachment",
        "ls",
    ]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "Error: unsupported attachment type: interconnect\n"
    );
    for args in [
        vec!["--type", "interconnect", "ls"],
        vec!["ls", "--type", "interconnect"],
        vec!["g", "x", "--type", "interconnect"],
        vec!["rm", "x", "-f", "--type", "interconnect"],
    ] {
        let r = pa_run(api, "alice", &args);
        assert_eq!(r.code, 1, "{args:?}");
        assert_eq!(
            r.stderr,
            "Error: unsupported attachment type: interconnect\n"
        );
    }
    let r = pa_run(api, "alice", &["-o", "json", "ls", "--type", "Partner"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        json_of(&r.stdout),
        json!({"errors": [{"detail": "unsupported attachment type: Partner"}]})
    );
    assert!(s.requests().is_empty());
    pa(api, "alice", &["ls", "--type", "partner"]);
    // As doctl's examples write it: `network --type partner attachment ...`.
    let r = run(&[
        "network",
        "-t",
        "alice",
        "-u",
        api,
        "--type",
        "partner",
        "attachment",
        "ls",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);

    // The API's error line, doctl style, exit 1; and in JSON.
    let r = pa_run(api, "alice", &["get", "no-such"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        format!(
            "Error: GET {api}/v2/partner_network_connect/attachments/no-such: 404 partner attachment not found\n"
        )
    );
    assert_eq!(r.stdout, "");
    let r = pa_run(api, "alice", &["g-bgp-auth-key", "no-such", "-o", "json"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr, "");
    assert_eq!(
        json_of(&r.stdout),
        json!({"errors": [{"detail": format!(
            "GET {api}/v2/partner_network_connect/attachments/no-such/bgp_auth_key: 404 partner attachment not found"
        )}]})
    );

    // A server that quotes the auth key back: the key is blotted out of the error line.
    let mut args = create_args("refuse-me", "v1");
    args.extend(["--bgp-auth-key", AUTH_KEY]);
    let r = pa_run(api, "alice", &args);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        format!(
            "Error: POST {api}/v2/partner_network_connect/attachments: 422 auth_key [redacted] is too weak\n"
        )
    );

    // Local mistakes send nothing: an empty VPC id, a missing required flag.
    s.clear();
    let r = pa_run(api, "alice", &create_args("pa", "v1,,v2"));
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--vpc-ids"), "{}", r.stderr);
    let r = pa_run(api, "alice", &["create", "--name", "pa"]);
    assert_eq!(r.code, 2, "clap usage error");
    assert!(s.requests().is_empty());
}

#[test]
fn stub_list_follows_every_page() {
    let s = stub::Stub::start();
    s.seed(201);
    let r = pa_run(
        &s.url,
        "alice",
        &["--trace", "ls", "--format", "Name", "--no-header"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut names: Vec<&str> = r.stdout.lines().collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 201);
    // Pages asked for by number on the configured URL, never the server's absolute link.
    let paths: Vec<String> = s.requests().into_iter().map(|q| q.path).collect();
    assert_eq!(
        paths,
        [
            "/v2/partner_network_connect/attachments?page=1&per_page=200",
            "/v2/partner_network_connect/attachments?page=2&per_page=200",
        ]
    );
}
