//! `crosslink router` (the real binary) against real routers, BIRD 2 and GoBGP, in network
//! namespaces with the production addresses (169.254.0.1/29 ↔ 169.254.0.6/29) and a TCP-MD5
//! password; the misconfigurations users make, each with its own reason; and a data-plane test:
//! a ping that works only while the session is up.
//! Needs root: ignored by default, run with `-- --ignored` (scripts/test does as root).

#[path = "../../bgp/tests/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::{Bird, BirdConfig, GoBgp, GoBgpConfig, Netns, RouterPair};

const DO_AS: u32 = RouterPair::A_AS;
const MCR_AS: u32 = RouterPair::B_AS;
const PASSWORD: &str = "s3cret-md5-Pa55";
const SESSION: Duration = Duration::from_secs(30);
/// Our line for the route the MCR end announces.
const LEARNED: &str = "route 10.20.0.0/24 via 169.254.0.6 path 133937 added";

/// Our router running in a namespace; its stdout and stderr lines are collected.
struct Router {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Router {
    /// Starts `crosslink router ARGS` in `ns`, with `password` in $BGP_PASSWORD.
    fn start(ns: &Netns, args: &[String], password: Option<&str>) -> Router {
        let mut cmd = ns.command(env!("CARGO_BIN_EXE_crosslink"));
        cmd.arg("router")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(pw) = password {
            cmd.env("BGP_PASSWORD", pw);
        }
        let mut child = cmd.spawn().expect("start crosslink router");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let streams: [Box<dyn std::io::Read + Send>; 2] = [
            Box::new(child.stdout.take().unwrap()),
            Box::new(child.stderr.take().unwrap()),
        ];
        for stream in streams {
            let sink = lines.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    sink.lock().unwrap().push(line);
                }
            });
        }
        Router { child, lines }
    }

    fn output(&self) -> String {
        let text = self.lines.lock().unwrap().join("\n");
        assert!(
            !text.contains(PASSWORD) && !text.contains("wrong-password"),
            "crosslink router printed a password"
        );
        text
    }

    fn find(&self, needles: &[&str]) -> Option<String> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .find(|l| needles.iter().all(|n| l.contains(n)))
            .cloned()
    }

    /// Waits for a line containing every one of `needles`; returns it.
    fn wait_line(&mut self, needles: &[&str], timeout: Duration) -> String {
        let start = Instant::now();
        loop {
            if let Some(line) = self.find(needles) {
                return line;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                std::thread::sleep(Duration::from_millis(100));
                panic!(
                    "crosslink router exited ({status}) before a line with {needles:?}:\n{}",
                    self.output()
                );
            }
            assert!(
                start.elapsed() < timeout,
                "no line with {needles:?} after {timeout:?}; output:\n{}",
                self.output()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits for our session with the MCR end to reach Established.
    fn wait_established(&mut self) {
        self.wait_line(
            &["neighbor 169.254.0.6 AS133937", "-> Established"],
            SESSION,
        );
    }

    /// Number of lines so far; with [`Router::wait_line_after`], waits for a *new* event.
    fn mark(&self) -> usize {
        self.lines.lock().unwrap().len()
    }

    fn wait_line_after(&mut self, mark: usize, needles: &[&str], timeout: Duration) -> String {
        let start = Instant::now();
        loop {
            let found = self.lines.lock().unwrap()[mark..]
                .iter()
                .find(|l| needles.iter().all(|n| l.contains(n)))
                .cloned();
            if let Some(line) = found {
                return line;
            }
            assert!(
                start.elapsed() < timeout,
                "no new line with {needles:?} after {timeout:?}; output:\n{}",
                self.output()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGTERM, then a clean exit (status 0) within 10 s.
    fn stop(mut self) -> String {
        // SAFETY: plain kill(2) on our own child.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                std::thread::sleep(Duration::from_millis(100));
                assert!(
                    status.success(),
                    "exit after SIGTERM: {status}\n{}",
                    self.output()
                );
                return self.output();
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "router ignored SIGTERM:\n{}",
                self.output()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Router {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// BIRD's entry for `prefix` (`show route all`), if it has one. Not `Bird::route`: birdc exits
/// non-zero on "Network not found", which that helper turns into a panic.
fn bird_route(bird: &mut Bird, prefix: &str) -> Option<String> {
    let table = bird.birdc("show route all");
    let mut lines = table
        .lines()
        .skip_while(|l| !l.starts_with(&format!("{prefix} ")));
    let first = lines.next()?;
    let rest: Vec<&str> = lines
        .take_while(|l| l.starts_with(char::is_whitespace))
        .collect();
    Some(format!("{first}\n{}", rest.join("\n")))
}

fn wait_bird_route(bird: &mut Bird, prefix: &str) -> String {
    support::wait_for(SESSION, &format!("BIRD route {prefix}"), || {
        bird_route(bird, prefix).ok_or_else(|| bird.birdc("show route"))
    })
}

/// Our router on the DigitalOcean end (A) of a [`RouterPair`], peering with the MCR end.
fn do_side(
    asn: u32,
    neighbor_asn: u32,
    passive: bool,
    announce: &str,
    extra: &[&str],
) -> Vec<String> {
    let mut spec = format!(
        "{},asn={neighbor_asn},password-env=BGP_PASSWORD,local={},hold=9,connect-retry=2",
        RouterPair::B_IP,
        RouterPair::A_IP
    );
    if passive {
        spec.push_str(",passive");
    }
    let mut args: Vec<String> = [
        "--asn",
        &asn.to_string(),
        "--router-id",
        RouterPair::A_IP,
        "--listen",
        "169.254.0.1:179",
        "--neighbor",
        &spec,
        "--announce",
        announce,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// BIRD on the MCR end (B), announcing 10.20.0.0/24.
fn bird_mcr(passive: bool, password: &str, remote_as: u32) -> BirdConfig {
    let c = BirdConfig::mcr_end()
        .remote_as(remote_as)
        .password(password)
        .announce("10.20.0.0/24");
    if passive {
        c.passive()
    } else {
        c
    }
}

fn with_bird(crosslink_passive: bool) {
    support::require_netns();
    let pair = RouterPair::new(if crosslink_passive { "rbp" } else { "rba" });
    let mut bird = Bird::start(&pair.b, &bird_mcr(!crosslink_passive, PASSWORD, DO_AS));
    let mut ours = Router::start(
        &pair.a,
        &do_side(DO_AS, MCR_AS, crosslink_passive, "10.10.0.0/16", &[]),
        Some(PASSWORD),
    );
    ours.wait_established();
    bird.wait_established(SESSION);
    // Both directions, with the right AS paths and next hops.
    let learned = wait_bird_route(&mut bird, "10.10.0.0/16");
    assert!(
        learned.contains("BGP.as_path: 64532"),
        "our route at BIRD: {learned}"
    );
    assert!(
        learned.contains("via 169.254.0.1"),
        "our route at BIRD: {learned}"
    );
    ours.wait_line(&[LEARNED], SESSION);
    // The session is really signed (key present on the socket; never printed).
    let ss = pair.a.exec("ss", &["-tnHi", "state", "established"]);
    assert!(
        ss.contains("md5keys"),
        "our BGP socket carries no TCP-MD5 key"
    );
    // BIRD shuts its session: what it taught us goes away, with BIRD's reason.
    let mark = ours.mark();
    bird.birdc("disable peer");
    ours.wait_line_after(mark, &["route 10.20.0.0/24 withdrawn"], SESSION);
    ours.wait_line_after(
        mark,
        &[
            "neighbor 169.254.0.6",
            "Established ->",
            "administrative shutdown",
        ],
        SESSION,
    );
    bird.birdc("enable peer");
    bird.wait_established(SESSION);
    ours.wait_line_after(mark, &[LEARNED], SESSION);
    wait_bird_route(&mut bird, "10.10.0.0/16");
    // We go away: BIRD loses our route, told by a Cease rather than a hold-timer expiry.
    ours.stop();
    support::wait_for(Duration::from_secs(5), "BIRD to drop 10.10.0.0/16", || {
        bird_route(&mut bird, "10.10.0.0/16").map_or(Ok(()), Err)
    });
    let log = bird.birdc("show protocols all peer");
    assert!(
        log.contains("Administrative shutdown")
            || log.contains("Received: Administrative shutdown"),
        "BIRD did not see a Cease: {log}"
    );
}

#[test]
#[ignore = "needs root and network namespaces: run with --ignored (scripts/test does as root)"]
fn bird_md5_crosslink_active() {
    with_bird(false);
}

#[test]
#[ignore = "needs root and network namespaces: run with --ignored (scripts/test does as root)"]
fn bird_md5_crosslink_passive() {
    with_bird(true);
}

fn with_gobgp(crosslink_passive: bool) {
    support::require_netns();
    let pair = RouterPair::new(if crosslink_passive { "rgp" } else { "rga" });
    let mut config = GoBgpConfig::mcr_end()
        .password(PASSWORD)
        .announce("10.20.0.0/24");
    if !crosslink_passive {
        config = config.passive();
    }
    let mut gobgp = GoBgp::start(&pair.b, &config);
    // This side comes from a config file with the password in it.
    let dir = support::TempDir::new("rtoml");
    let toml = dir.path().join("router.toml");
    std::fs::write(
        &toml,
        format!(
            r#"asn = {DO_AS}
router_id = "169.254.0.1"
listen = "169.254.0.1:179"
announce = ["10.10.0.0/16"]

[[neighbor]]
address = "169.254.0.6"
asn = {MCR_AS}
local = "169.254.0.1"
password = "{PASSWORD}"
passive = {crosslink_passive}
hold = 9
connect_retry = 2
"#
        ),
    )
    .unwrap();
    let mut ours = Router::start(
        &pair.a,
        &["--config".into(), toml.to_str().unwrap().into()],
        None,
    );
    ours.wait_established();
    gobgp.wait_established(SESSION);
    let next_hop = gobgp.wait_route("10.10.0.0/16", SESSION);
    assert_eq!(next_hop, RouterPair::A_IP);
    ours.wait_line(&[LEARNED], SESSION);
    // GoBGP stops announcing: we withdraw it.
    gobgp.gobgp(&["global", "rib", "del", "10.20.0.0/24", "-a", "ipv4"]);
    ours.wait_line(&["route 10.20.0.0/24 withdrawn"], SESSION);
    ours.stop();
    support::wait_for(Duration::from_secs(5), "GoBGP to drop 10.10.0.0/16", || {
        gobgp
            .route("10.10.0.0/16")
            .map_or(Ok(()), |r| Err(format!("{r:?}")))
    });
}

#[test]
#[ignore = "needs root and network namespaces: run with --ignored (scripts/test does as root)"]
fn gobgp_md5_crosslink_active() {
    with_gobgp(false);
}

#[test]
#[ignore = "needs root and network namespaces: run with --ignored (scripts/test does as root)"]
fn gobgp_md5_crosslink_passive() {
    with_gobgp(true);
}

/// The text after `down: ` in a line.
fn reason(line: &str) -> String {
    line.split_once("down: ")
        .map(|(_, r)| r.to_string())
        .unwrap_or_else(|| panic!("no `down:` reason in {line:?}"))
}

/// Each misconfiguration a user makes keeps the session down with its own reason in words.
#[test]
#[ignore = "needs root and network namespaces: run with --ignored (scripts/test does as root)"]
fn misconfigurations_keep_the_session_down_with_their_own_reason() {
    support::require_netns();
    // Wrong password: the MCR drops our SYNs silently; all we can say is "no answer".
    let pair = RouterPair::new("rpw");
    let mut bird = Bird::start(&pair.b, &bird_mcr(true, PASSWORD, DO_AS));
    let mut ours = Router::start(
        &pair.a,
        &do_side(DO_AS, MCR_AS, false, "10.10.0.0/16", &[]),
        Some("wrong-password"),
    );
    let wrong_pw = ours.wait_line(&["neighbor 169.254.0.6 AS133937: down:"], SESSION);
    assert!(wrong_pw.contains("no answer to TCP connect"), "{wrong_pw}");
    assert!(wrong_pw.contains("MD5"), "{wrong_pw}");
    assert!(ours.find(&["-> Established"]).is_none());
    assert_ne!(bird.bgp_state(), "Established");
    drop((ours, bird, pair));

    // Wrong remote AS: TCP and OPEN get through, and we refuse BIRD's OPEN.
    let pair = RouterPair::new("ras");
    let _bird = Bird::start(&pair.b, &bird_mcr(true, PASSWORD, DO_AS));
    let mut ours = Router::start(
        &pair.a,
        &do_side(DO_AS, 65000, false, "10.10.0.0/16", &[]),
        Some(PASSWORD),
    );
    let wrong_as = ours.wait_line(&["neighbor 169.254.0.6 AS65000: down:"], SESSION);
    assert!(
        wrong_as.contains("bad peer AS")
            && wrong_as.contains("65000")
            && wrong_as.contains("133937"),
        "{wrong_as}"
    );
    assert!(ours.find(&["-> Established"]).is_none());
    drop((ours, pair));

    // Local and peer addresses swapped: the session would be sourced from the MCR's address.
    let pair = RouterPair::new("rsw");
    let _bird = Bird::start(&pair.b, &bird_mcr(true, PASSWORD, DO_AS));
    let spec = format!(
        "{},asn={MCR_AS},password-env=BGP_PASSWORD,local={},connect-retry=2",
        RouterPair::A_IP,
        RouterPair::B_IP
    );
    let args: Vec<String> = [
        "--asn",
        "64532",
        "--router-id",
        "169.254.0.1",
        "--no-listen",
        "--neighbor",
        &spec,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut ours = Router::start(&pair.a, &args, Some(PASSWORD));
    let swapped = ours.wait_line(&["neighbor 169.254.0.1 AS133937: down:"], SESSION);
    assert!(swapped.contains("169.254.0.6"), "{swapped}");
    assert!(ours.find(&["-> Established"]).is_none());

    let reasons = [reason(&wrong_pw), reason(&wrong_as), reason(&swapped)];
    assert!(
        reasons[0] != reasons[1] && reasons[1] != reasons[2] && reasons[0] != reasons[2],
        "each mistake needs its own reason: {reasons:?}"
    );
}

/// A 4-octet local AS (RFC 6793): AS_TRANS in the OPEN, the real AS in the capability and the
/// AS_PATH.
#[test]
#[ignore = "needs root and network namespaces: run with --ignored (scripts/test does as root)"]
fn four_octet_asn_reaches_established() {
    support::require_netns();
    let pair = RouterPair::new("r4o");
    let mut bird = Bird::start(&pair.b, &bird_mcr(true, PASSWORD, 4_200_000_001));
    let mut ours = Router::start(
        &pair.a,
        &do_side(
            4_200_000_001,
            MCR_AS,
            false,
            "10.10.0.0/16",
            &["--output", "json"],
        ),
        Some(PASSWORD),
    );
    let up = ours.wait_line(&[r#""event":"neighbor""#, r#""to":"Established""#], SESSION);
    let up: serde_json::Value = serde_json::from_str(&up).unwrap();
    assert_eq!(up["peer"], "169.254.0.6");
    assert_eq!(up["asn"], MCR_AS);
    let learned = wait_bird_route(&mut bird, "10.10.0.0/16");
    assert!(
        learned.contains("BGP.as_path: 4200000001"),
        "4-octet AS at BIRD: {learned}"
    );
    let route = ours.wait_line(
        &[r#""event":"route""#, r#""prefix":"10.20.0.0/24""#],
        SESSION,
    );
    let route: serde_json::Value = serde_json::from_str(&route).unwrap();
    assert_eq!(route["action"], "added");
    assert_eq!(route["next_hop"], "169.254.0.6");
    assert_eq!(route["as_path"], serde_json::json!([MCR_AS]));
}

/// Traffic crosses only while the session is up: our router (with --fib) installs BIRD's
/// loopback /32 in its namespace's kernel, BIRD installs ours, and a ping between the two
/// loopbacks works; it fails once BIRD shuts the session, works again when it comes back, and
/// fails for good once our router exits (its kernel routes removed).
#[test]
#[ignore = "needs root and network namespaces: run with --ignored (scripts/test does as root)"]
fn data_plane_ping_follows_the_session() {
    support::require_netns();
    support::require_tool("ping", "iputils-ping");
    let pair = RouterPair::new("rdp");
    pair.a.add_lo_address("10.1.1.1/32");
    pair.b.add_lo_address("10.2.2.2/32");
    let ping = || {
        pair.a
            .command("ping")
            .args(["-c1", "-W1", "-I", "10.1.1.1", "10.2.2.2"])
            .output()
            .unwrap()
            .status
            .success()
    };
    let wait_ping = |works: bool, what: &str| {
        support::wait_for(Duration::from_secs(15), what, || {
            if ping() == works {
                Ok(())
            } else {
                Err(pair.a.ip(&["route"]))
            }
        })
    };
    assert!(!ping(), "ping works before any route");
    let bird_conf = BirdConfig::mcr_end()
        .password(PASSWORD)
        .announce("10.2.2.2/32")
        .export_to_kernel()
        .passive();
    let mut bird = Bird::start(&pair.b, &bird_conf);
    let mut ours = Router::start(
        &pair.a,
        &do_side(DO_AS, MCR_AS, false, "10.1.1.1/32", &["--fib"]),
        Some(PASSWORD),
    );
    ours.wait_line(&["route 10.2.2.2/32 via 169.254.0.6", "added"], SESSION);
    wait_bird_route(&mut bird, "10.1.1.1/32");
    wait_ping(true, "ping 10.2.2.2 from 10.1.1.1 over BGP routes");
    let kernel = pair.a.ip(&["route", "show", "10.2.2.2/32"]);
    assert!(
        kernel.contains("via 169.254.0.6") && kernel.contains("proto 200"),
        "{kernel}"
    );

    bird.birdc("disable peer");
    wait_ping(false, "ping to fail after BIRD shut the session");
    bird.birdc("enable peer");
    wait_ping(true, "ping to work again after BIRD re-enabled the session");

    ours.stop();
    let left = pair.a.ip(&["route", "show", "proto", "200"]);
    assert_eq!(left, "", "kernel routes left behind after exit");
    assert!(!ping(), "ping still works after our router exited");
}
