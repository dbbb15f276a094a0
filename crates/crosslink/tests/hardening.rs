//! Hostile and careless clients against the real binary: slow and idle connections, floods,
//! oversized and malformed requests, the admin API without its token, restarts and a second
//! process on the same data. Each test reproduces one way the server used to lose.

mod common;

use common::{eventually, request, tempdir, Client, Server};
use serde_json::{json, Value};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn addr(base: &str) -> &str {
    base.trim_start_matches("http://")
}

/// Sends `bytes` on a new connection and reads until the server closes it (or 15 s pass).
fn raw(base: &str, bytes: &[u8]) -> (String, Vec<(String, String)>, String) {
    let mut s = TcpStream::connect(addr(base)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let _ = s.write_all(bytes);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines.next().unwrap_or_default().to_owned();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers, body.to_owned())
}

/// How long until the server closes a connection that sent `bytes` and then nothing.
fn closed_after(base: &str, bytes: &[u8]) -> (Duration, Vec<u8>) {
    let mut s = TcpStream::connect(addr(base)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let start = Instant::now();
    s.write_all(bytes).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
            Err(e) => panic!("connection still open after 30 s: {e}"),
        }
    }
    (start.elapsed(), out)
}

/// The floods and timing checks run one at a time: on a 2-core machine, two floods at once
/// would measure each other.
static HEAVY: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn heavy() -> std::sync::MutexGuard<'static, ()> {
    HEAVY.lock().unwrap_or_else(|p| p.into_inner())
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap()
}

fn assert_envelope(what: &str, status: &str, headers: &[(String, String)], body: &str) {
    let header = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let id = header("x-request-id").unwrap_or_else(|| panic!("{what}: no x-request-id: {status}"));
    for h in ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"] {
        assert!(header(h).is_some(), "{what}: no {h}: {status} {headers:?}");
    }
    let v: Value = serde_json::from_str(body)
        .unwrap_or_else(|_| panic!("{what}: body is not the envelope: {status} {body:?}"));
    assert!(
        v["id"].as_str().is_some_and(|s| !s.is_empty()),
        "{what}: {v}"
    );
    assert!(
        v["message"].as_str().is_some_and(|s| !s.is_empty()),
        "{what}: {v}"
    );
    assert_eq!(v["request_id"].as_str(), Some(id.as_str()), "{what}");
}

#[test]
fn idle_slow_header_and_slow_body_connections_are_closed_within_the_timeouts() {
    let _serial = heavy();
    let dir = tempdir();
    let s = Server::start(&dir, &["--header-timeout", "1", "--request-timeout", "2"]);
    for (what, bytes) in [
        ("idle", &b""[..]),
        ("half a request line", b"GET /v2/vp"),
        (
            "partial headers",
            b"GET /v2/vpcs HTTP/1.1\r\nHost: x\r\nAuthorization: Bea",
        ),
    ] {
        let (took, _) = closed_after(&s.api, bytes);
        assert!(
            took >= Duration::from_millis(900) && took < Duration::from_secs(4),
            "{what}: closed after {took:?}, header timeout is 1 s"
        );
    }
    // A declared body that never completes: 408 in the envelope, then the connection closes.
    let (took, out) = closed_after(
        &s.api,
        b"POST /v2/vpcs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"name\":",
    );
    assert!(
        took >= Duration::from_millis(1900) && took < Duration::from_secs(5),
        "slow body: closed after {took:?}, request timeout is 2 s"
    );
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("\"id\":\"request_timeout\""), "{text}");
    // A kept-alive connection left idle after a request is closed by the same timer.
    let mut c = TcpStream::connect(addr(&s.api)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    c.write_all(b"GET /v2/regions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n\r\n")
        .unwrap();
    let start = Instant::now();
    let mut all = Vec::new();
    let _ = c.read_to_end(&mut all);
    assert!(String::from_utf8_lossy(&all).starts_with("HTTP/1.1 200"));
    assert!(start.elapsed() < Duration::from_secs(4), "idle keep-alive");
    // Admin listener too.
    let (took, _) = closed_after(&s.admin, b"GET /_crosslink/he");
    assert!(took < Duration::from_secs(4), "admin: {took:?}");
}

#[test]
fn thousands_of_slow_connections_leave_real_requests_answered() {
    let _serial = heavy();
    let dir = tempdir();
    let s = Server::start(&dir, &[]);
    let c = Client::new(&s, "tok");
    let vpc = c.call(
        "POST",
        "/v2/vpcs",
        Some(json!({"name": "v", "region": "nyc1"})),
    );
    assert_eq!(vpc.status, 201);
    let id = vpc.body["vpc"]["id"].as_str().unwrap().to_owned();
    let mut held = Vec::new();
    for i in 0..3000 {
        let base = if i % 10 == 0 { &s.admin } else { &s.api };
        let mut conn = TcpStream::connect(addr(base)).unwrap();
        let junk: &[u8] = match i % 3 {
            0 => b"",
            1 => b"GET /v2/vpcs HTTP/1.1\r\nHost:",
            _ => b"POST /v2/vpcs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nContent-Length: 50000\r\n\r\n{",
        };
        conn.write_all(junk).unwrap();
        held.push(conn);
    }
    for _ in 0..3 {
        let start = Instant::now();
        let health = request(&s.admin, "GET", "/_crosslink/health", None, None);
        let got = c.get(&format!("/v2/vpcs/{id}"));
        let took = start.elapsed();
        assert_eq!((health.status, got.status), (200, 200));
        assert!(
            took < Duration::from_secs(1),
            "took {took:?} with 3,000 slow connections open"
        );
    }
    drop(held);
}

#[test]
fn slow_body_flood_keeps_memory_bounded() {
    let _serial = heavy();
    let dir = tempdir();
    let s = Server::start(&dir, &["--request-timeout", "5"]);
    let pid = s.pid();
    let before = rss_kib(pid);
    let mut held = Vec::new();
    // Declared ~2 MB bodies, all but the last byte sent: refused on the declared length.
    let chunk = vec![b'a'; 64 * 1024];
    // Each connection its own token, so the rate limiter refuses none of them early.
    for i in 0..300 {
        let mut conn = TcpStream::connect(addr(&s.api)).unwrap();
        conn.write_all(format!("POST /v2/vpcs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a{i}\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\n\r\n").as_bytes()).unwrap();
        conn.set_nonblocking(true).unwrap();
        for _ in 0..30 {
            if conn.write(&chunk).is_err() {
                break;
            }
        }
        held.push(conn);
    }
    // Chunked bodies just under the limit that never end: buffered, but capped per request.
    for i in 0..300 {
        let mut conn = TcpStream::connect(addr(&s.api)).unwrap();
        conn.write_all(format!("POST /v2/vpcs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer b{i}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").as_bytes()).unwrap();
        conn.set_nonblocking(true).unwrap();
        for _ in 0..2 {
            let _ = conn.write_all(format!("{:x}\r\n", 30_000).as_bytes());
            let _ = conn.write_all(&chunk[..30_000]);
            let _ = conn.write_all(b"\r\n");
        }
        held.push(conn);
    }
    std::thread::sleep(Duration::from_secs(1));
    let during = rss_kib(pid);
    drop(held);
    std::thread::sleep(Duration::from_secs(6));
    let after = rss_kib(pid);
    eprintln!("RSS KiB: before {before}, during {during}, after {after}");
    assert!(
        during < before + 96 * 1024,
        "RSS grew from {before} KiB to {during} KiB with 600 slow bodies"
    );
    assert!(
        after < before + 64 * 1024,
        "RSS stayed at {after} KiB (from {before}) after the clients closed"
    );
    assert_eq!(Client::new(&s, "fresh").get("/v2/vpcs").status, 200);
}

#[test]
fn every_error_the_server_emits_is_in_the_envelope() {
    let _serial = heavy();
    let dir = tempdir();
    let s = Server::start(
        &dir,
        &[
            "--rate-limit-per-minute",
            "3",
            "--max-body-bytes",
            "1024",
            "--request-timeout",
            "1",
        ],
    );
    let api = &s.api;
    let many_headers: String = (0..300).map(|i| format!("X-H{i}: v\r\n")).collect();
    let huge_auth = format!(
        "GET /v2/vpcs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\r\n",
        "a".repeat(1 << 20)
    );
    let long_uri = format!(
        "GET /v2/vpcs?q={} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(70_000)
    );
    let cases: Vec<(&str, &str, String)> = vec![
        ("garbage request line", "400", "GARBAGE\r\n\r\n".into()),
        ("bad header syntax", "400", "GET / HTTP/1.1\r\nHo st: x\r\n\r\n".into()),
        ("uri too long", "414", long_uri),
        (
            "many headers",
            "431",
            format!("GET /v2/vpcs HTTP/1.1\r\nHost: x\r\n{many_headers}\r\n"),
        ),
        ("1 MiB authorization", "431", huge_auth),
        (
            "unknown route",
            "404",
            "GET /v3/nothing HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer e1\r\nConnection: close\r\n\r\n".into(),
        ),
        (
            "wrong method",
            "405",
            "PUT /v2/vpc_peerings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer e2\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".into(),
        ),
        (
            "declared body too large",
            "413",
            "POST /v2/vpcs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer e3\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n".into(),
        ),
        (
            "chunked body too large",
            "413",
            format!(
                "POST /v2/vpcs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer e4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n800\r\n{}\r\n800\r\n{}\r\n0\r\n\r\n",
                "a".repeat(0x800),
                "a".repeat(0x800)
            ),
        ),
        (
            "body never completes",
            "408",
            "POST /v2/vpcs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer e5\r\nContent-Length: 10\r\n\r\n{".into(),
        ),
        (
            "no token",
            "401",
            "GET /v2/vpcs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".into(),
        ),
        (
            "malformed json",
            "400",
            "POST /v2/vpcs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer e6\r\nContent-Length: 1\r\nConnection: close\r\n\r\n{".into(),
        ),
    ];
    for (what, code, req) in &cases {
        let (status, headers, body) = raw(api, req.as_bytes());
        assert!(
            status.starts_with(&format!("HTTP/1.1 {code}")),
            "{what}: expected {code}, got {status:?} {body}"
        );
        assert_envelope(what, &status, &headers, &body);
    }
    // 429 once the per-minute limit is spent.
    let c = Client::new(&s, "limited");
    let codes: Vec<u16> = (0..4).map(|_| c.get("/v2/vpcs").status).collect();
    assert_eq!(codes, [200, 200, 200, 429]);
    // The admin listener answers hyper's refusals in its own envelope as well.
    let (status, headers, body) = raw(&s.admin, b"GARBAGE\r\n\r\n");
    assert!(status.starts_with("HTTP/1.1 400"), "{status}");
    let header = headers.iter().find(|(k, _)| k == "x-request-id").unwrap();
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["id"], "bad_request");
    assert_eq!(v["request_id"].as_str(), Some(header.1.as_str()));
    // The admin API's own errors too: a rejected query keeps its reason.
    let r = s.admin("GET", "/_crosslink/events?limit=abc", None);
    assert_eq!(r.status, 400);
    assert!(
        r.body["message"].as_str().unwrap().contains("limit"),
        "{}",
        r.raw
    );
    assert_eq!(r.body["request_id"].as_str(), r.header("x-request-id"));
}

#[test]
fn failed_authentication_is_rate_limited_per_address() {
    let dir = tempdir();
    let s = Server::start(&dir, &["--auth", "strict", "--rate-limit-per-minute", "5"]);
    let codes: Vec<u16> = (0..7)
        .map(|i| request(&s.api, "GET", "/v2/vpcs", Some(&format!("guess-{i}")), None).status)
        .collect();
    assert_eq!(codes, [401, 401, 401, 401, 401, 429, 429]);
    let r = request(&s.api, "GET", "/v2/vpcs", Some("guess-again"), None);
    assert!(r.header("retry-after").is_some());
}

#[test]
fn ten_thousand_tokens_do_not_grow_memory_without_bound() {
    let _serial = heavy();
    let dir = tempdir();
    let s = Server::start(&dir, &[]);
    let pid = s.pid();
    let run = |from: usize| {
        for i in from..from + 5000 {
            let r = request(&s.api, "GET", "/v2/regions", Some(&format!("t{i}")), None);
            assert_eq!(r.status, 200);
        }
    };
    run(0);
    let first = rss_kib(pid);
    run(5000);
    let second = rss_kib(pid);
    eprintln!("RSS KiB after 5,000 tokens {first}, after 10,000 {second}");
    assert!(
        second < first + 16 * 1024,
        "5,000 more tokens grew RSS from {first} KiB to {second} KiB"
    );
}

#[test]
fn the_admin_api_needs_the_admin_token() {
    let dir = tempdir();
    let s = Server::start(&dir, &[]);
    let routes = [
        ("GET", "/_crosslink/transitions", None),
        (
            "PUT",
            "/_crosslink/transitions",
            Some(r#"{"vpc_peering":"manual"}"#),
        ),
        (
            "POST",
            "/_crosslink/transitions/advance",
            Some(r#"{"resource_type":"vpc_peering","id":"00000000-0000-4000-8000-000000000000"}"#),
        ),
        ("GET", "/_crosslink/events", None),
        ("POST", "/_crosslink/reset", None),
        (
            "POST",
            "/_crosslink/tokens",
            Some(r#"{"team":"t","name":"n"}"#),
        ),
        ("GET", "/_crosslink/nothing", None),
    ];
    for (method, path, body) in routes {
        for token in [None, Some("wrong"), Some("")] {
            let r = request(&s.admin, method, path, token, body);
            assert_eq!(r.status, 401, "{method} {path} with {token:?}");
            assert_eq!(r.body["id"], "unauthorized");
            assert!(r.header("x-request-id").is_some());
        }
    }
    assert_eq!(
        request(&s.admin, "GET", "/_crosslink/health", None, None).status,
        200
    );
    assert_eq!(s.admin("GET", "/_crosslink/events", None).status, 200);
    assert_eq!(
        s.admin(
            "PUT",
            "/_crosslink/transitions",
            Some(r#"{"vpc_peering":"manual"}"#)
        )
        .status,
        200
    );
}

/// Runs `crosslink serve` with `args`: its output and exit code if it stops at once, else its
/// start-up output and `None` (it is killed).
fn serve_output(args: &[&str], env: &[(&str, &str)]) -> (String, Option<i32>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_crosslink"))
        .arg("serve")
        .args(args)
        .envs(env.iter().copied())
        .env_remove("CROSSLINK_ADMIN_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Start-up takes milliseconds; one still running after 2 s is serving.
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            return (text, status.code());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    (
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        None,
    )
}

#[test]
fn the_admin_token_is_generated_once_private_and_read_by_the_cli() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempdir();
    let data = dir.to_str().unwrap();
    let common = [
        "--data-dir",
        data,
        "--do-listen",
        "127.0.0.1:0",
        "--megaport-listen",
        "127.0.0.1:0",
        "--admin-listen",
        "127.0.0.1:0",
    ];
    let (first, code) = serve_output(&common, &[]);
    assert_eq!(code, None, "{first}");
    let file = dir.join("admin-token");
    let value = std::fs::read_to_string(&file).unwrap().trim().to_owned();
    assert!(value.len() >= 40);
    assert!(
        first.contains(&value),
        "printed at the first start: {first}"
    );
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let (second, _) = serve_output(&common, &[]);
    assert!(!second.contains(&value), "printed only once: {second}");
    assert!(second.contains("admin-token"), "{second}");

    // The CLI finds it in the data directory.
    let s = Server::start(&dir, &["--admin-token", &value]);
    let out = Command::new(env!("CARGO_BIN_EXE_crosslink"))
        .args(["admin", "--admin-url", &s.admin, "--data-dir", data])
        .args(["tokens", "create", "--team", "acme", "--name", "ci"])
        .env_remove("CROSSLINK_ADMIN_TOKEN")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(env!("CARGO_BIN_EXE_crosslink"))
        .args(["admin", "--admin-url", &s.admin, "--admin-token", "wrong"])
        .args(["tokens", "create", "--team", "acme", "--name", "ci"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("401"));
}

#[test]
fn listeners_beyond_loopback_are_announced_and_a_tokenless_admin_one_refused() {
    let dir = tempdir();
    let data = dir.to_str().unwrap();
    let (out, code) = serve_output(
        &[
            "--data-dir",
            data,
            "--do-listen",
            "127.0.0.1:0",
            "--megaport-listen",
            "127.0.0.1:0",
            "--admin-listen",
            "0.0.0.0:0",
        ],
        &[],
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("refusing") && out.contains("--admin-token"),
        "{out}"
    );
    let (out, code) = serve_output(
        &[
            "--data-dir",
            data,
            "--do-listen",
            "0.0.0.0:0",
            "--megaport-listen",
            "127.0.0.1:0",
            "--admin-listen",
            "0.0.0.0:0",
            "--admin-token",
            "short",
        ],
        &[],
    );
    assert_eq!(code, Some(1), "a guessable token is refused: {out}");
    let (out, code) = serve_output(
        &[
            "--data-dir",
            data,
            "--do-listen",
            "0.0.0.0:0",
            "--megaport-listen",
            "127.0.0.1:0",
            "--admin-listen",
            "0.0.0.0:0",
            "--admin-token",
            "chosen-on-purpose-and-long-enough",
        ],
        &[],
    );
    assert_eq!(code, None, "{out}");
    assert!(
        out.contains("WARNING: the DigitalOcean API listens on 0.0.0.0:"),
        "{out}"
    );
    assert!(
        out.contains("WARNING: the admin API listens on 0.0.0.0:"),
        "{out}"
    );
    assert!(
        out.contains("WARNING: the web console listens on 0.0.0.0:"),
        "{out}"
    );
    assert!(
        !out.contains("0.0.0.0:0"),
        "names the port actually bound: {out}"
    );
    assert_eq!(
        out.matches("WARNING: the admin API").count(),
        1,
        "said once: {out}"
    );
    assert!(!out.contains("chosen-on-purpose"), "never echoed: {out}");
}

#[test]
fn a_second_serve_on_the_same_data_dir_fails_naming_the_holder() {
    let dir = tempdir();
    let s = Server::start(&dir, &[]);
    let (out, code) = serve_output(
        &[
            "--data-dir",
            dir.to_str().unwrap(),
            "--do-listen",
            "127.0.0.1:0",
            "--megaport-listen",
            "127.0.0.1:0",
            "--admin-listen",
            "127.0.0.1:0",
        ],
        &[],
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(&format!("pid {}", s.pid())),
        "names the holder: {out}"
    );
    assert_eq!(Client::new(&s, "t").get("/v2/vpcs").status, 200);
}

#[test]
fn a_restart_keeps_the_transition_policy() {
    let dir = tempdir();
    let (a, b) = {
        let s = Server::start(&dir, &["--transitions", "vpc_peering=manual"]);
        let c = Client::new(&s, "tok");
        let mk = |n: &str| {
            c.call(
                "POST",
                "/v2/vpcs",
                Some(json!({"name": n, "region": "nyc1"})),
            )
            .body["vpc"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        (mk("a"), mk("b"))
    };
    let s = Server::start(&dir, &[]);
    let c = Client::new(&s, "tok");
    let t = s.admin("GET", "/_crosslink/transitions", None);
    assert_eq!(t.body["transitions"]["vpc_peering"], "manual");
    let p = c.call(
        "POST",
        "/v2/vpc_peerings",
        Some(json!({"name": "p", "vpc_ids": [a, b]})),
    );
    let id = p.body["vpc_peering"]["id"].as_str().unwrap().to_owned();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        c.get(&format!("/v2/vpc_peerings/{id}")).body["vpc_peering"]["status"],
        "PROVISIONING",
        "manual: waits for an advance"
    );
    drop(s);
    // A flag at start-up replaces the stored value, and says so.
    let s = Server::start(&dir, &["--transitions", "vpc_peering=immediate"]);
    let c = Client::new(&s, "tok");
    assert!(eventually(Duration::from_secs(5), || {
        c.get(&format!("/v2/vpc_peerings/{id}")).body["vpc_peering"]["status"] == "ACTIVE"
    }));
}

#[test]
fn small_ones_nulls_host_header_and_control_characters() {
    let dir = tempdir();
    let s = Server::start(&dir, &["--public-url", "https://twin.example:8443"]);
    let c = Client::new(&s, "tok");
    let v = c.call(
        "POST",
        "/v2/vpcs",
        Some(json!({"name": "a", "region": "nyc1", "junk": null})),
    );
    assert_eq!(v.status, 201, "{}", v.raw);
    let id = v.body["vpc"]["id"].as_str().unwrap();
    let r = c.call(
        "PATCH",
        &format!("/v2/vpcs/{id}"),
        Some(json!({"name": "b", "foo": null})),
    );
    assert_eq!((r.status, r.body["vpc"]["name"].as_str()), (200, Some("b")));
    let r = c.call(
        "PATCH",
        &format!("/v2/vpcs/{id}"),
        Some(json!({"name": null})),
    );
    assert_eq!(r.status, 422, "a known field may not be null");
    for bad in ["nul\u{0}byte", "bell\u{7}", "esc\u{1b}[31m"] {
        let r = c.call(
            "PATCH",
            &format!("/v2/vpcs/{id}"),
            Some(json!({"description": bad})),
        );
        assert_eq!(r.status, 422, "{bad:?}: {}", r.raw);
        assert!(r.body["message"].as_str().unwrap().contains("control"));
    }
    c.call(
        "POST",
        "/v2/vpcs",
        Some(json!({"name": "c", "region": "nyc1"})),
    );
    let (status, _, body) = raw(
        &s.api,
        b"GET /v2/vpcs?per_page=1 HTTP/1.1\r\nHost: evil.example\"><script>\r\nAuthorization: Bearer tok\r\nConnection: close\r\n\r\n",
    );
    assert!(status.contains("200"), "{status}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let next = v["links"]["pages"]["next"].as_str().unwrap();
    assert!(
        next.starts_with("https://twin.example:8443/v2/vpcs?"),
        "{next}"
    );
}

#[test]
fn past_the_connection_cap_new_connections_wait_for_a_free_slot() {
    let _serial = heavy();
    let dir = tempdir();
    let s = Server::start(&dir, &["--max-connections", "4", "--header-timeout", "2"]);
    let held: Vec<TcpStream> = (0..4)
        .map(|_| TcpStream::connect(addr(&s.api)).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let start = Instant::now();
    let r = request(&s.api, "GET", "/v2/regions", Some("t"), None);
    let waited = start.elapsed();
    assert_eq!(r.status, 200);
    assert!(
        waited > Duration::from_millis(1200),
        "served after {waited:?}: the fifth connection should wait until the header timer frees a slot"
    );
    // The admin listener has its own slots.
    let start = Instant::now();
    assert_eq!(
        request(&s.admin, "GET", "/_crosslink/health", None, None).status,
        200
    );
    assert!(start.elapsed() < Duration::from_millis(500));
    drop(held);
}
