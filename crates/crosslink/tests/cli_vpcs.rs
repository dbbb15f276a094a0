//! `crosslink vpcs ...` and `crosslink admin tokens create` run as subprocesses against a real
//! `crosslink serve`, checking what a doctl user sees: tables, JSON, error lines, exit codes.

mod common;

use common::{run, tempdir, Client, Run, Server};
use serde_json::{json, Value};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `crosslink vpcs -t TOKEN -u API --http-retry-max 0 ARGS...`, which must succeed.
fn vpcs(s: &Server, token: &str, args: &[&str]) -> String {
    let r = vpcs_run(s, token, args);
    assert_eq!(r.code, 0, "{args:?} failed: {}", r.stderr);
    r.stdout
}

fn vpcs_run(s: &Server, token: &str, args: &[&str]) -> Run {
    let mut all = vec!["vpcs", "-t", token, "-u", &s.api, "--http-retry-max", "0"];
    all.extend_from_slice(args);
    run(&all)
}

/// The cell of `row` under `header`, found by the header's position (empty cells have no
/// text to split on).
fn cell(table: &str, row: usize, header: &str) -> String {
    let lines: Vec<&str> = table.lines().collect();
    let start = lines[0].find(header).expect("header present");
    let line = lines[row];
    let rest = line.get(start..).unwrap_or("");
    rest.split("  ").next().unwrap().trim().to_owned()
}

fn json_of(out: &str) -> Vec<Value> {
    serde_json::from_str::<Vec<Value>>(out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn vpc_create_list_get_update_delete() {
    let dir = tempdir();
    let s = Server::start(&dir, &[]);

    let out = vpcs(
        &s,
        "alice",
        &[
            "create",
            "--name",
            "a",
            "--region",
            "nyc1",
            "--description",
            "first one",
        ],
    );
    let header = out.lines().next().unwrap();
    let cols: Vec<&str> = header
        .split("    ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        cols,
        [
            "ID",
            "URN",
            "Name",
            "Description",
            "IP Range",
            "Region",
            "Created At",
            "Default"
        ]
    );
    assert_eq!(out.lines().count(), 2, "{out}");
    let a = cell(&out, 1, "ID");
    assert_eq!(cell(&out, 1, "URN"), format!("do:vpc:{a}"));
    assert_eq!(cell(&out, 1, "Description"), "first one");
    assert_eq!(cell(&out, 1, "IP Range"), "10.0.0.0/20");
    assert_eq!(cell(&out, 1, "Default"), "true");
    assert!(cell(&out, 1, "Created At").ends_with("+0000 UTC"), "{out}");
    assert!(
        !out.lines().any(|l| l.ends_with(' ')),
        "no trailing padding"
    );

    // Alias `c`, an explicit range.
    let out = vpcs(
        &s,
        "alice",
        &[
            "c",
            "--name",
            "b",
            "--region",
            "nyc1",
            "--ip-range",
            "192.168.0.0/24",
        ],
    );
    let b = cell(&out, 1, "ID");
    assert_eq!(cell(&out, 1, "Default"), "false");

    // list / ls, --format (case-insensitive, in the order asked), --no-header.
    let out = vpcs(
        &s,
        "alice",
        &["ls", "--format", "iprange,NAME,id", "--no-header"],
    );
    let mut rows: Vec<Vec<String>> = out
        .lines()
        .map(|l| l.split_whitespace().map(str::to_owned).collect())
        .collect();
    rows.sort();
    assert_eq!(
        rows,
        [
            vec!["10.0.0.0/20".to_owned(), "a".into(), a.clone()],
            vec!["192.168.0.0/24".to_owned(), "b".into(), b.clone()],
        ]
    );
    let out = vpcs(&s, "alice", &["list", "--format", "ID,Name"]);
    assert_eq!(
        out.lines()
            .next()
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["ID", "Name"]
    );
    // Another team sees nothing.
    assert_eq!(vpcs(&s, "bob", &["ls", "--no-header"]), "");

    let bad = vpcs_run(&s, "alice", &["ls", "--format", "ID,Colour"]);
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains("\"Colour\"") && bad.stderr.contains("IPRange"),
        "{}",
        bad.stderr
    );

    // -o json: the objects as an indented array, in the server's own shape.
    let out = vpcs(&s, "alice", &["get", &a, "-o", "json"]);
    assert!(out.starts_with("[\n  {\n"), "{out}");
    let got = json_of(&out);
    let direct = Client::new(&s, "alice").get(&format!("/v2/vpcs/{a}"));
    assert_eq!(got, [direct.body["vpc"].clone()]);
    assert_eq!(json_of(&vpcs(&s, "alice", &["ls", "-o", "json"])).len(), 2);

    // update sends only the flags given: a new description keeps the name.
    let out = vpcs(&s, "alice", &["u", &b, "--description", "second"]);
    assert_eq!(cell(&out, 1, "Name"), "b");
    assert_eq!(cell(&out, 1, "Description"), "second");
    let out = vpcs(&s, "alice", &["update", &b, "--name", "bee", "--default"]);
    assert_eq!(cell(&out, 1, "Name"), "bee");
    assert_eq!(cell(&out, 1, "Default"), "true");
    let out = vpcs(
        &s,
        "alice",
        &["g", &a, "--format", "Default", "--no-header"],
    );
    assert_eq!(out, "false\n", "setting b default unset a");
    // `--default=false` is sent as written (doctl would send true); the API refuses it.
    let r = vpcs_run(&s, "alice", &["update", &b, "--default=false"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stderr
            .starts_with(&format!("Error: PATCH {}/v2/vpcs/{b}: 4", s.api)),
        "{}",
        r.stderr
    );

    // delete needs --force without a terminal, and nothing is deleted meanwhile.
    let r = vpcs_run(&s, "alice", &["delete", &a]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--force"), "{}", r.stderr);
    vpcs(&s, "alice", &["get", &a]);
    assert_eq!(vpcs(&s, "alice", &["rm", &a, "-f"]), "");

    // The doctl error line for a gone id, exit code 1.
    let r = vpcs_run(&s, "alice", &["get", &a]);
    assert_eq!(r.code, 1);
    let line = r.stderr.trim_end();
    let prefix = format!("Error: GET {}/v2/vpcs/{a}: 404 (request \"", s.api);
    assert!(line.starts_with(&prefix), "{line}");
    assert!(line.ends_with("not found."), "{line}");
    assert_eq!(r.stdout, "");
}

#[test]
fn peering_create_and_delete_wait() {
    let dir = tempdir();
    let s = Server::start(&dir, &["--transitions", "vpc_peering=delay:1"]);
    let id = |out: String| cell(&out, 1, "ID");
    let a = id(vpcs(
        &s,
        "alice",
        &["create", "--name", "a", "--region", "nyc1"],
    ));
    let b = id(vpcs(
        &s,
        "alice",
        &["create", "--name", "b", "--region", "ams3"],
    ));
    let ids = format!("{a},{b}");

    let started = Instant::now();
    let out = vpcs(
        &s,
        "alice",
        &[
            "peerings",
            "create",
            "p1",
            "--vpc-ids",
            &ids,
            "--wait",
            "--wait-interval",
            "100ms",
        ],
    );
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "--wait returned before the delay"
    );
    let cols: Vec<&str> = out
        .lines()
        .next()
        .unwrap()
        .split("    ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(cols, ["ID", "Name", "VPC IDs", "Status", "Created At"]);
    assert_eq!(cell(&out, 1, "Status"), "ACTIVE");
    assert_eq!(cell(&out, 1, "VPC IDs"), ids);
    let p = id(out);

    // get, list (all, and per VPC through /v2/vpcs/{id}/peerings), update.
    let out = vpcs(
        &s,
        "alice",
        &[
            "peerings",
            "g",
            &p,
            "--format",
            "Name,Status",
            "--no-header",
        ],
    );
    assert_eq!(out.split_whitespace().collect::<Vec<_>>(), ["p1", "ACTIVE"]);
    let listed = json_of(&vpcs(&s, "alice", &["peerings", "ls", "-o", "json"]));
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["vpc_ids"], json!([a, b]));
    let r = vpcs_run(
        &s,
        "alice",
        &[
            "--trace",
            "peerings",
            "ls",
            "--vpc-id",
            &b,
            "--format",
            "ID",
            "--no-header",
        ],
    );
    assert_eq!(r.stdout, format!("{p}\n"));
    assert!(
        r.stderr.contains(&format!(
            "GET {}/v2/vpcs/{b}/peerings?page=1&per_page=200 -> 200",
            s.api
        )),
        "{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("alice"),
        "--trace must not print the token"
    );
    let out = vpcs(&s, "alice", &["peerings", "u", &p, "--name", "p2"]);
    assert_eq!(cell(&out, 1, "Name"), "p2");

    // delete --wait returns only once the peering is gone (DELETING lasts the 1 s delay).
    let started = Instant::now();
    assert_eq!(
        vpcs(
            &s,
            "alice",
            &[
                "peerings",
                "rm",
                &p,
                "-f",
                "--wait",
                "--wait-interval",
                "100ms"
            ]
        ),
        ""
    );
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "--wait returned before the delay"
    );
    let r = vpcs_run(&s, "alice", &["peerings", "get", &p]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .starts_with(&format!("Error: GET {}/v2/vpc_peerings/{p}: 404", s.api)),
        "{}",
        r.stderr
    );
}

#[test]
fn local_errors_send_nothing() {
    let dir = tempdir();
    let s = Server::start(&dir, &[]);

    // One VPC id: refused before any request (--trace would show one).
    let r = vpcs_run(
        &s,
        "alice",
        &[
            "--trace",
            "peerings",
            "create",
            "p",
            "--vpc-ids",
            "only-one",
        ],
    );
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("exactly 2"), "{}", r.stderr);
    assert!(!r.stderr.contains("trace:"), "{}", r.stderr);
    let r = vpcs_run(
        &s,
        "alice",
        &["--trace", "peerings", "create", "p", "--vpc-ids", "a,b,c"],
    );
    assert_eq!(r.code, 1);
    assert!(!r.stderr.contains("trace:"), "{}", r.stderr);

    // No token, or an empty one: a clear error, no request.
    for args in [
        vec!["vpcs", "-u", s.api.as_str(), "--trace", "ls"],
        vec!["vpcs", "-u", s.api.as_str(), "--trace", "-t", "", "ls"],
    ] {
        let r = run(&args);
        assert_eq!(r.code, 1);
        assert!(
            r.stderr.contains("access token is required"),
            "{}",
            r.stderr
        );
        assert!(!r.stderr.contains("trace:"), "{}", r.stderr);
    }
    // The token and URL may come from the environment, as with doctl.
    let out = Command::new(env!("CARGO_BIN_EXE_crosslink"))
        .args(["vpcs", "ls", "--no-header"])
        .env("DIGITALOCEAN_ACCESS_TOKEN", "alice")
        .env("DIGITALOCEAN_API_URL", &s.api)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let r = vpcs_run(
        &s,
        "alice",
        &[
            "peerings",
            "create",
            "p",
            "--vpc-ids",
            "x,y",
            "--wait-interval",
            "soon",
        ],
    );
    assert_eq!(r.code, 2, "clap usage error");
    let r = run(&["vpcs", "-t", "alice", "-u", "https://example.invalid", "ls"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("http://"), "{}", r.stderr);
}

#[test]
fn list_follows_every_page() {
    let dir = tempdir();
    let s = Server::start(
        &dir,
        &["--rate-limit-per-minute", "0", "--rate-limit-per-hour", "0"],
    );
    let c = Client::new(&s, "alice");
    for i in 0..201 {
        let r = c.call(
            "POST",
            "/v2/vpcs",
            Some(json!({"name": format!("v{i}"), "region": "nyc1"})),
        );
        assert_eq!(r.status, 201, "{}", r.raw);
    }
    let r = vpcs_run(
        &s,
        "alice",
        &["--trace", "ls", "--format", "Name", "--no-header"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut names: Vec<&str> = r.stdout.lines().collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 201);
    assert_eq!(r.stderr.matches("trace: GET").count(), 2, "{}", r.stderr);
}

#[test]
fn rate_limited_error_line() {
    let dir = tempdir();
    let s = Server::start(&dir, &["--rate-limit-per-minute", "1"]);
    vpcs(&s, "alice", &["ls"]);
    let r = vpcs_run(&s, "alice", &["ls"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.starts_with(&format!(
            "Error: GET {}/v2/vpcs?page=1&per_page=200: 429",
            s.api
        )),
        "{}",
        r.stderr
    );
}

#[test]
fn admin_tokens_create_under_strict_auth() {
    let dir = tempdir();
    let s = Server::start(&dir, &["--auth", "strict"]);
    let mint = |args: &[&str]| {
        let mut all = vec![
            "admin",
            "--admin-url",
            s.admin.as_str(),
            "--admin-token",
            s.admin_token.as_str(),
            "tokens",
            "create",
        ];
        all.extend_from_slice(args);
        run(&all)
    };
    let r = mint(&["--team", "acme", "--name", "ci"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let full = r.stdout.trim().to_owned();
    assert_eq!(r.stdout.lines().count(), 1, "only the value: {}", r.stdout);
    assert!(!full.is_empty());

    let r = mint(&["--team", "acme", "--name", "reader", "--scopes", "vpc:read"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let reader = r.stdout.trim().to_owned();

    // The minted token works; a made-up one is refused with doctl's error line.
    vpcs(&s, &full, &["create", "--name", "a", "--region", "nyc1"]);
    let r = vpcs_run(&s, "made-up", &["ls"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.starts_with(&format!(
            "Error: GET {}/v2/vpcs?page=1&per_page=200: 401",
            s.api
        )),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("made-up"), "the token is never printed");
    // Scopes hold: the reader can list but not create.
    assert_eq!(vpcs(&s, &reader, &["ls", "--no-header"]).lines().count(), 1);
    let r = vpcs_run(&s, &reader, &["create", "--name", "b", "--region", "nyc1"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains(": 403"), "{}", r.stderr);

    // Server-side validation comes back as an error line.
    let r = mint(&["--team", "acme", "--name", "bad", "--scopes", "vpc:fly"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .starts_with(&format!("Error: POST {}/_crosslink/tokens: 422", s.admin)),
        "{}",
        r.stderr
    );
}

/// The y/N prompt needs a terminal: `script` (util-linux) gives the client a pty.
#[test]
fn delete_prompts_on_a_terminal() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: `script` (util-linux) is not installed");
        return;
    }
    let dir = tempdir();
    let s = Server::start(&dir, &[]);
    let c = Client::new(&s, "alice");
    c.call(
        "POST",
        "/v2/vpcs",
        Some(json!({"name": "a", "region": "nyc1"})),
    );
    let r = c.call(
        "POST",
        "/v2/vpcs",
        Some(json!({"name": "b", "region": "nyc1"})),
    );
    let id = r.body["vpc"]["id"].as_str().unwrap().to_owned();
    let at_terminal = |answer: &str| {
        let cmd = format!(
            "{} vpcs -t alice -u {} --http-retry-max 0 rm {id}; echo rc=$?",
            env!("CARGO_BIN_EXE_crosslink"),
            s.api
        );
        let mut child = Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        // Answer only once the prompt is up, or the pty may swallow it.
        std::thread::sleep(Duration::from_millis(500));
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(format!("{answer}\n").as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        drop(stdin);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let out = at_terminal("n");
    assert!(
        out.contains("Warning: Are you sure you want to delete this VPC? (y/N) ?"),
        "{out}"
    );
    assert!(
        out.contains("operation aborted") && out.contains("rc=1"),
        "{out}"
    );
    assert_eq!(c.get(&format!("/v2/vpcs/{id}")).status, 200);
    let out = at_terminal("y");
    assert!(out.contains("rc=0"), "{out}");
    assert_eq!(c.get(&format!("/v2/vpcs/{id}")).status, 404);
}

/// `-o json` failures are JSON on stdout as doctl prints them; a refused connection is not
/// retried (only 429/5xx are), so a stopped server fails at once even with the default retries.
#[test]
fn json_errors_and_no_retry_on_refused_connections() {
    let dir = tempdir();
    let s = Server::start(&dir, &[]);
    let r = vpcs_run(&s, "alice", &["get", "no-such-vpc", "-o", "json"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr, "");
    let body: Value =
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout));
    let detail = body["errors"][0]["detail"].as_str().unwrap();
    assert!(
        detail.starts_with(&format!(
            "GET {}/v2/vpcs/no-such-vpc: 404 (request \"",
            s.api
        )),
        "{detail}"
    );
    assert_eq!(body["errors"].as_array().unwrap().len(), 1);
    // A local error too.
    let r = vpcs_run(
        &s,
        "alice",
        &["-o", "json", "peerings", "c", "p", "--vpc-ids", "x"],
    );
    assert_eq!(r.code, 1);
    let body: Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(body["errors"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("exactly 2"));

    // Find a port nobody listens on: bind, note it, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // As with godo, a path in the API URL is dropped.
    let r = run(&["vpcs", "-t", "alice", "-u", &format!("{}/v2/", s.api), "ls"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(&["vpcs", "-t", "alice", "-u", "http:///v2", "ls"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("names no host"), "{}", r.stderr);

    let url = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    let r = run(&["vpcs", "-t", "alice", "-u", &url, "ls"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .starts_with(&format!("Error: GET {url}/v2/vpcs?page=1&per_page=200: ")),
        "{}",
        r.stderr
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "a refused connection was retried: {:?}",
        started.elapsed()
    );
}

/// A flag's value taken from the environment does not show in an error's usage line, where it
/// would read as a required flag.
#[test]
fn usage_lines_leave_out_flags_set_in_the_environment() {
    for (args, usage) in [
        (&["vpcs", "get"][..], "Usage: crosslink vpcs get <VPC_ID>"),
        (
            &["vpcs", "peerings", "create", "p"][..],
            "Usage: crosslink vpcs peerings create --vpc-ids <VPC_IDS> <NAME>",
        ),
        (
            &["admin", "tokens", "create", "--name", "n"][..],
            "Usage: crosslink admin tokens create --team <TEAM> --name <NAME>",
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_crosslink"))
            .args(args)
            .env("DIGITALOCEAN_ACCESS_TOKEN", "alice")
            .env("DIGITALOCEAN_API_URL", "http://127.0.0.1:1")
            .env("CROSSLINK_ADMIN_TOKEN", "admin")
            .env("CROSSLINK_ADMIN_URL", "http://127.0.0.1:1")
            .env("CROSSLINK_DATA_DIR", "/nonexistent")
            .output()
            .unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        let line = stderr.lines().find(|l| l.starts_with("Usage:")).unwrap();
        assert_eq!(line, usage, "{stderr}");
    }
}

/// Every flag and argument of every command has a line of help.
#[test]
fn help_documents_every_flag_and_argument() {
    let commands = [
        "",
        "serve",
        "router",
        "vpcs",
        "vpcs get",
        "vpcs list",
        "vpcs create",
        "vpcs update",
        "vpcs delete",
        "vpcs peerings",
        "vpcs peerings get",
        "vpcs peerings list",
        "vpcs peerings create",
        "vpcs peerings update",
        "vpcs peerings delete",
        "admin",
        "admin tokens",
        "admin tokens create",
    ];
    // An argument line: `  -t, --token <T>`, `      --trace`, `  <VPC_ID>`.
    let is_arg = |l: &str| {
        let t = l.trim_start();
        l.starts_with("  ") && (t.starts_with('-') || t.starts_with('<'))
    };
    for command in commands {
        let r = run(&[command.split_whitespace().collect::<Vec<_>>(), vec!["-h"]].concat());
        assert_eq!(r.code, 0, "{command}: {}", r.stderr);
        let lines: Vec<&str> = r.stdout.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if !is_arg(line) {
                continue;
            }
            // Help on the same line after two spaces, or on the next line, indented.
            let inline = line.trim().contains("  ");
            let next = lines.get(i + 1).copied().unwrap_or("");
            let below = next.starts_with("      ") && !next.trim().is_empty() && !is_arg(next);
            assert!(
                inline || below,
                "`crosslink {command} -h`: no help for {:?}\n{}",
                line.trim(),
                r.stdout
            );
        }
    }
}
