//! Shared infrastructure for tests that need network namespaces and real BGP peers.
//!
//! Use from a test file with `mod support;`. Tests that need root and network namespaces are
//! marked `#[ignore = "needs root and network namespaces: ..."]`, so a plain `cargo test` lists
//! them as ignored with that reason, and call [`require_netns`] first: run explicitly (with
//! `-- --ignored`), missing root or tools fail the test loudly. `scripts/test` runs them that way
//! as root, after `scripts/install-bgp-peers`.
#![allow(dead_code)]

pub mod bird;
pub mod gobgp;
pub mod netns;
pub mod router;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub use bird::{Bird, BirdConfig};
pub use gobgp::{GoBgp, GoBgpConfig};
pub use netns::{Netns, RouterPair};
pub use router::RouterConfig;

/// Checks that namespace tests can run here; they were asked for explicitly (`--ignored`), so
/// a missing piece fails the test with its reason instead of passing silently.
pub fn require_netns() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "network-namespace tests need root (run them as root with --ignored, as scripts/test does)"
    );
    require_tool("ip", "iproute2");
    let out = Command::new("ip")
        .args(["netns", "list"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run `ip netns list`: {e}"));
    assert!(
        out.status.success(),
        "`ip netns` unavailable: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Fails loudly when `program` is not on PATH.
pub fn require_tool(program: &str, package: &str) {
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "`{program}` not found on PATH: install {package} (scripts/install-bgp-peers does)"
    );
}

/// Runs a command to completion; panics with its stderr on failure, returns stdout.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Polls `probe` every 200 ms until it returns `Ok` or `timeout` passes; the panic message then
/// carries the last `Err` (what was seen instead).
pub fn wait_for<T>(
    timeout: Duration,
    what: &str,
    mut probe: impl FnMut() -> Result<T, String>,
) -> T {
    let started = Instant::now();
    loop {
        match probe() {
            Ok(v) => return v,
            Err(last) if started.elapsed() >= timeout => {
                panic!("timed out after {timeout:?} waiting for {what}; last seen: {last}")
            }
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

/// [`wait_for`] until what `probe` shows satisfies `done`; a timeout shows the last of it.
pub fn wait_until(
    timeout: Duration,
    what: &str,
    mut probe: impl FnMut() -> String,
    done: impl Fn(&str) -> bool,
) {
    wait_for(timeout, what, || {
        let seen = probe();
        if done(&seen) {
            Ok(())
        } else {
            Err(seen)
        }
    })
}

/// A unique suffix: process id plus a per-process counter.
pub fn unique(tag: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{tag}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A scratch directory removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("crosslink-{}", unique(tag)));
        std::fs::create_dir_all(&path).unwrap_or_else(|e| panic!("creating {path:?}: {e}"));
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A child process killed (and reaped) on drop.
pub struct Daemon {
    pub name: String,
    child: std::process::Child,
    log: PathBuf,
    /// Text (a password) never shown from the log.
    secret: Option<String>,
}

impl Daemon {
    pub fn spawn(name: &str, mut cmd: Command, log: PathBuf, secret: Option<&str>) -> Daemon {
        let file = std::fs::File::create(&log).unwrap_or_else(|e| panic!("creating {log:?}: {e}"));
        cmd.stdin(std::process::Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("starting {name} ({cmd:?}): {e}"));
        Daemon {
            name: name.to_string(),
            child,
            log,
            secret: secret.filter(|s| !s.is_empty()).map(str::to_string),
        }
    }

    /// Panics with the log tail if the process has exited.
    pub fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("{} exited ({status}); log:\n{}", self.name, self.log_tail());
        }
    }

    pub fn log_tail(&self) -> String {
        let mut text = std::fs::read_to_string(&self.log).unwrap_or_default();
        if let Some(secret) = &self.secret {
            text = text.replace(secret.as_str(), "<redacted>");
        }
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
