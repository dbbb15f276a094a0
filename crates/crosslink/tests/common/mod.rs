//! Starts the real `crosslink serve` on port 0 in a temp dir and talks plain HTTP/1.1 to it.
#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub struct Server {
    child: Child,
    pub api: String,
    pub megaport: String,
    pub admin: String,
    pub admin_token: String,
}

impl Server {
    /// Starts with `--admin-token` set to a fresh value unless `extra` sets one.
    pub fn start(data_dir: &Path, extra: &[&str]) -> Server {
        Self::start_with(data_dir, extra, None)
    }

    /// Like `start`, with debug logging written to `log` (to check what never gets logged).
    pub fn start_logging(data_dir: &Path, extra: &[&str], log: &Path) -> Server {
        Self::start_with(data_dir, extra, Some(log))
    }

    fn start_with(data_dir: &Path, extra: &[&str], log: Option<&Path>) -> Server {
        let admin_token = format!("test-admin-{}", uuid::Uuid::new_v4().simple());
        let token_args: Vec<&str> = if extra.contains(&"--admin-token") {
            Vec::new()
        } else {
            vec!["--admin-token", &admin_token]
        };
        // These suites were written for a brand-new account's default-VPC rule; the seeded
        // default (a `default-<region>` per region) has its own tests.
        let mut token_args = token_args;
        if !extra.contains(&"--default-vpcs") {
            token_args.extend(["--default-vpcs", "first"]);
        }
        let admin_token = match extra.iter().position(|a| *a == "--admin-token") {
            Some(i) => extra[i + 1].to_owned(),
            None => admin_token.clone(),
        };
        let mut child = Command::new(env!("CARGO_BIN_EXE_crosslink"))
            .args([
                "serve",
                "--do-listen",
                "127.0.0.1:0",
                "--megaport-listen",
                "127.0.0.1:0",
                "--admin-listen",
                "127.0.0.1:0",
                "--data-dir",
            ])
            .arg(data_dir)
            .args(&token_args)
            .args(extra)
            .env(
                "CROSSLINK_LOG",
                if log.is_some() { "debug" } else { "warn" },
            )
            .stdout(Stdio::piped())
            .stderr(match log {
                Some(path) => Stdio::from(std::fs::File::create(path).expect("log file")),
                None => Stdio::inherit(),
            })
            .spawn()
            .expect("spawn crosslink serve");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let (mut api, mut admin, mut megaport) = (None, None, None);
        while api.is_none() || admin.is_none() || megaport.is_none() {
            let line = lines
                .next()
                .expect("server exited before printing its URLs")
                .unwrap();
            let url = line
                .split_whitespace()
                .find(|w| w.starts_with("http://"))
                .map(str::to_owned);
            if line.contains("DigitalOcean API") {
                api = url;
            } else if line.contains("Megaport API") {
                megaport = url;
            } else if line.trim_start().starts_with("admin") {
                admin = url;
            }
        }
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server {
            child,
            api: api.unwrap(),
            megaport: megaport.unwrap(),
            admin: admin.unwrap(),
            admin_token,
        }
    }

    /// A request to the admin API with the admin token.
    pub fn admin(&self, method: &str, path: &str, body: Option<&str>) -> Response {
        request(&self.admin, method, path, Some(&self.admin_token), body)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn kill9(mut self) {
        self.child.kill().unwrap(); // SIGKILL on Unix
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Value,
    pub raw: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One request on a fresh connection. `token: None` sends no Authorization header.
pub fn request(
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Response {
    let auth = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", a.as_str())).collect();
    request_with(base, method, path, &headers, body)
}

/// One request on a fresh connection with exactly these extra headers.
pub fn request_with(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Response {
    let hostport = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(hostport).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {hostport}\r\nConnection: close\r\nAccept: application/json\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    let body = body.unwrap_or("");
    if !body.is_empty() || matches!(method, "POST" | "PUT" | "PATCH") {
        if !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        {
            req.push_str("Content-Type: application/json\r\n");
        }
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, payload) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut head_lines = head.lines();
    let status = head_lines
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = head_lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let body = serde_json::from_str(payload).unwrap_or(Value::Null);
    Response {
        status,
        headers,
        body,
        raw: payload.to_owned(),
    }
}

pub struct Client {
    pub base: String,
    pub token: String,
}

impl Client {
    pub fn new(server: &Server, token: &str) -> Client {
        Client {
            base: server.api.clone(),
            token: token.to_owned(),
        }
    }
    pub fn call(&self, method: &str, path: &str, body: Option<Value>) -> Response {
        let body = body.map(|b| b.to_string());
        request(&self.base, method, path, Some(&self.token), body.as_deref())
    }
    pub fn get(&self, path: &str) -> Response {
        self.call("GET", path, None)
    }
}

pub fn tempdir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("crosslink-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Polls `f` until it returns true or `timeout` passes.
pub fn eventually(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    false
}

/// What a CLI subprocess did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `crosslink ARGS` with none of the client's environment variables set.
pub fn run(args: &[&str]) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_crosslink"))
        .args(args)
        .env_remove("DIGITALOCEAN_ACCESS_TOKEN")
        .env_remove("DIGITALOCEAN_API_URL")
        .env_remove("CROSSLINK_ADMIN_URL")
        .env_remove("CROSSLINK_ADMIN_TOKEN")
        .env_remove("MEGAPORT_ACCESS_KEY")
        .env_remove("MEGAPORT_SECRET_KEY")
        .env_remove("MEGAPORT_BASE_URL")
        .stdin(Stdio::null())
        .output()
        .expect("run crosslink");
    Run {
        code: status.code().expect("exited normally"),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    }
}

/// A company's bearer token from the Megaport API's `/oauth2/token` (client credentials).
pub fn megaport_token(s: &Server, company: &str) -> String {
    let body = format!("client_id={company}&client_secret=secret&grant_type=client_credentials");
    let r = request_with(
        &s.megaport,
        "POST",
        "/oauth2/token",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(&body),
    );
    assert_eq!(r.status, 200, "{}", r.raw);
    r.body["access_token"].as_str().unwrap().to_owned()
}

fn merged(mut base: Value, extra: Value) -> Value {
    if let (Some(b), Value::Object(e)) = (base.as_object_mut(), extra) {
        b.extend(e);
    }
    base
}

/// A team's partner attachment in nyc on a new VPC, once `CREATED`: (id, service key, BGP
/// auth key). `vpc` and `attachment` add to (or replace) the create bodies' fields.
pub fn partner_attachment(
    s: &Server,
    team: &str,
    vpc: Value,
    attachment: Value,
) -> (String, String, String) {
    let c = Client::new(s, team);
    let v = c.call(
        "POST",
        "/v2/vpcs",
        Some(merged(
            serde_json::json!({"name": format!("{team}-vpc"), "region": "nyc1"}),
            vpc,
        )),
    );
    assert_eq!(v.status, 201, "{}", v.raw);
    let body = merged(
        serde_json::json!({"name": format!("{team}-pa"), "connection_bandwidth_in_mbps": 1000, "region": "nyc",
            "naas_provider": "MEGAPORT", "vpc_ids": [v.body["vpc"]["id"]]}),
        attachment,
    );
    let r = c.call(
        "POST",
        "/v2/partner_network_connect/attachments",
        Some(body),
    );
    assert_eq!(r.status, 202, "{}", r.raw);
    let id = r.body["partner_attachment"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/v2/partner_network_connect/attachments/{id}");
    assert!(eventually(Duration::from_secs(5), || {
        c.get(&path).body["partner_attachment"]["state"] == "CREATED"
    }));
    let value = |suffix: &str, root: &str| {
        c.get(&format!("{path}/{suffix}")).body[root]["value"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let key = value("service_key", "service_key");
    let auth = value("bgp_auth_key", "bgp_auth_key");
    (id, key, auth)
}

/// A Megaport API call with a bearer token, which must succeed; its JSON body.
pub fn megaport_ok(
    s: &Server,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Value {
    let b = body.map(|b| b.to_string());
    let r = request(&s.megaport, method, path, Some(token), b.as_deref());
    assert!(r.status < 300, "{method} {path}: {}", r.raw);
    r.body
}

/// One string field of a team's partner attachment ("" when absent).
fn attachment_field(s: &Server, team: &str, id: &str, field: &str) -> String {
    Client::new(s, team)
        .get(&format!("/v2/partner_network_connect/attachments/{id}"))
        .body["partner_attachment"][field]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

pub fn attachment_state(s: &Server, team: &str, id: &str) -> String {
    attachment_field(s, team, id, "state")
}

pub fn attachment_diagnosis(s: &Server, team: &str, id: &str) -> String {
    attachment_field(s, team, id, "bgp_diagnosis")
}
