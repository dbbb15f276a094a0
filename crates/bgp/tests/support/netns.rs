//! Named network namespaces that clean up after themselves, and veth links between them.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::process::Command;

use super::{run, unique};

/// Prefix of every namespace these tests create; stale ones of dead test processes are swept.
const PREFIX: &str = "clt-";

/// A network namespace (`ip netns add`), deleted with everything still running in it on drop.
pub struct Netns {
    name: String,
    /// Made here (deleted on drop), or someone else's (left alone).
    owned: bool,
}

impl Netns {
    /// Creates `clt-<tag>-<pid>-<n>` with `lo` up.
    pub fn new(tag: &str) -> Netns {
        sweep_stale();
        let name = format!("{PREFIX}{}", unique(tag));
        run(Command::new("ip").args(["netns", "add", &name]));
        let ns = Netns { name, owned: true };
        ns.ip(&["link", "set", "lo", "up"]);
        ns
    }

    /// A namespace someone else made (crosslink's fabric), used but not deleted here.
    pub fn adopt(name: &str) -> Netns {
        Netns {
            name: name.to_owned(),
            owned: false,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// `ip -n <ns> <args>`; panics on failure, returns stdout.
    pub fn ip(&self, args: &[&str]) -> String {
        run(Command::new("ip").arg("-n").arg(&self.name).args(args))
    }

    /// A command that will run `program` inside the namespace (`ip netns exec`; the process
    /// keeps its pid, so killing the child kills the program). The child enters the namespace
    /// some time after spawn: drop the guard before then and it finds nothing to kill, so wait
    /// for a sign of life from inside first.
    pub fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.name, program]);
        cmd
    }

    /// Runs `program args` inside the namespace; panics on failure, returns stdout.
    pub fn exec(&self, program: &str, args: &[&str]) -> String {
        run(self.command(program).args(args))
    }

    /// Adds an address to `lo` (e.g. `10.20.0.1/32`, standing for a network behind a router).
    pub fn add_lo_address(&self, cidr: &str) {
        self.ip(&["address", "add", cidr, "dev", "lo"]);
    }

    pub fn enable_forwarding(&self) {
        // Through /proc rather than sysctl(8), which is not always installed.
        self.exec(
            "sh",
            &[
                "-c",
                "echo 1 > /proc/sys/net/ipv4/ip_forward && echo 1 > /proc/sys/net/ipv6/conf/all/forwarding",
            ],
        );
    }

    /// Runs `f` on a thread that has entered this namespace; sockets it opens live there.
    pub fn enter<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        let path = format!("/run/netns/{}", self.name);
        let file = File::open(&path).unwrap_or_else(|e| panic!("opening {path}: {e}"));
        std::thread::scope(|s| {
            s.spawn(|| {
                // SAFETY: a valid namespace fd; CLONE_NEWNET only moves this thread.
                let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
                assert_eq!(rc, 0, "setns({path}): {}", std::io::Error::last_os_error());
                f()
            })
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        if self.owned {
            delete(&self.name);
        }
    }
}

fn delete(name: &str) {
    if let Ok(out) = Command::new("ip").args(["netns", "pids", name]).output() {
        for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
            if let Ok(pid) = pid.parse::<i32>() {
                // SAFETY: plain kill(2) on a pid that lives in our own test namespace.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
    }
    let _ = Command::new("ip").args(["netns", "delete", name]).status();
}

/// Deletes namespaces left behind by test processes that died without unwinding (kill -9).
fn sweep_stale() {
    let Ok(out) = Command::new("ip").args(["netns", "list"]).output() else {
        return;
    };
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let name = line.split_whitespace().next().unwrap_or("");
        let Some(rest) = name.strip_prefix(PREFIX) else {
            continue;
        };
        // clt-<tag>-<pid>-<n>
        let mut parts = rest.rsplit('-');
        let (_n, pid) = (parts.next(), parts.next());
        if let Some(pid) = pid.and_then(|p| p.parse::<u32>().ok()) {
            if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
                delete(name);
            }
        }
    }
}

/// Connects `a` and `b` with a veth pair, `a_if` in `a` and `b_if` in `b`, each with its address
/// (CIDR) and up. IPv6 addresses are added without duplicate address detection.
pub fn veth(a: &Netns, a_if: &str, a_cidrs: &[&str], b: &Netns, b_if: &str, b_cidrs: &[&str]) {
    a.ip(&[
        "link", "add", a_if, "type", "veth", "peer", "name", b_if, "netns", &b.name,
    ]);
    for (ns, ifname, cidrs) in [(a, a_if, a_cidrs), (b, b_if, b_cidrs)] {
        for cidr in cidrs {
            if cidr.contains(':') {
                ns.ip(&["address", "add", cidr, "dev", ifname, "nodad"]);
            } else {
                ns.ip(&["address", "add", cidr, "dev", ifname]);
            }
        }
        ns.ip(&["link", "set", ifname, "up"]);
    }
}

/// The production topology of one attachment: the DigitalOcean router end (169.254.0.1/29,
/// AS 64532 by convention) and the MCR end (169.254.0.6/29, AS 133937) joined by a veth pair,
/// with forwarding on in both.
pub struct RouterPair {
    pub a: Netns,
    pub b: Netns,
}

impl RouterPair {
    pub const A_IP: &'static str = "169.254.0.1";
    pub const B_IP: &'static str = "169.254.0.6";
    pub const A_AS: u32 = 64532;
    pub const B_AS: u32 = 133937;
    pub const A_IF: &'static str = "to-mcr";
    pub const B_IF: &'static str = "to-do";

    pub fn new(tag: &str) -> RouterPair {
        let a = Netns::new(&format!("{tag}a"));
        let b = Netns::new(&format!("{tag}b"));
        veth(
            &a,
            Self::A_IF,
            &["169.254.0.1/29"],
            &b,
            Self::B_IF,
            &["169.254.0.6/29"],
        );
        a.enable_forwarding();
        b.enable_forwarding();
        RouterPair { a, b }
    }
}
