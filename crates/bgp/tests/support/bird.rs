//! BIRD 2 as a test peer inside a namespace: config builder, daemon guard, `birdc` queries.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use super::{require_tool, run, wait_for, wait_until, Daemon, Netns, RouterConfig, TempDir};

/// One BGP session of a BIRD instance (protocol `peer`); announced prefixes go through a
/// `static` protocol (blackhole routes, next hop self).
pub type BirdConfig = RouterConfig<BirdOptions>;

#[derive(Debug, Clone, Default)]
pub struct BirdOptions {
    /// Install BGP-learned routes into the namespace's kernel table (`proto bird`).
    pub export_to_kernel: bool,
}

impl BirdConfig {
    pub fn export_to_kernel(mut self) -> Self {
        self.extra.export_to_kernel = true;
        self
    }

    /// The address family of the session; BIRD 2 wants one channel per family.
    fn channel(&self) -> &'static str {
        if self.neighbor.is_ipv4() {
            "ipv4"
        } else {
            "ipv6"
        }
    }

    pub fn render(&self) -> String {
        let ch = self.channel();
        let mut c = String::new();
        writeln!(c, "log stderr all;").unwrap();
        writeln!(c, "router id {};", self.router_id).unwrap();
        writeln!(c, "protocol device {{ scan time 10; }}").unwrap();
        if self.extra.export_to_kernel {
            writeln!(
                c,
                "protocol kernel {{ {ch} {{ import none; export where source = RTS_BGP; }}; }}"
            )
            .unwrap();
        }
        let routes: Vec<_> = self
            .announce
            .iter()
            .filter(|p| {
                matches!(
                    (p, ch),
                    (ipnet::IpNet::V4(_), "ipv4") | (ipnet::IpNet::V6(_), "ipv6")
                )
            })
            .collect();
        assert_eq!(
            routes.len(),
            self.announce.len(),
            "BirdConfig: announced prefixes must be of the session's family ({ch})"
        );
        if !routes.is_empty() {
            writeln!(c, "protocol static announced {{\n  {ch};").unwrap();
            for p in routes {
                writeln!(c, "  route {p} blackhole;").unwrap();
            }
            writeln!(c, "}}").unwrap();
        }
        writeln!(c, "protocol bgp peer {{").unwrap();
        let local = self
            .local_address
            .map(|a| format!(" {a}"))
            .unwrap_or_default();
        let port = self
            .listen_port
            .map(|p| format!(" port {p}"))
            .unwrap_or_default();
        writeln!(c, "  local{local}{port} as {};", self.local_as).unwrap();
        match self.neighbor_port {
            Some(port) => writeln!(
                c,
                "  neighbor {} port {port} as {};",
                self.neighbor, self.remote_as
            ),
            None => writeln!(c, "  neighbor {} as {};", self.neighbor, self.remote_as),
        }
        .unwrap();
        if let Some(pw) = self.quoted_password("BirdConfig") {
            writeln!(c, "  password \"{pw}\";").unwrap();
        }
        if self.passive {
            writeln!(c, "  passive on;").unwrap();
        }
        writeln!(
            c,
            "  connect delay time 1;\n  connect retry time 2;\n  error wait time 1, 5;\n  hold time {};",
            self.hold_time
        )
        .unwrap();
        writeln!(
            c,
            "  {ch} {{ import all; export where source = RTS_STATIC; }};\n}}"
        )
        .unwrap();
        c
    }
}

/// A running BIRD, killed on drop.
pub struct Bird {
    netns: String,
    ctl: PathBuf,
    daemon: Daemon,
    _dir: TempDir,
}

impl Bird {
    /// Checks the config with `bird -p`, then starts `bird -f` in `ns`.
    pub fn start(ns: &Netns, config: &BirdConfig) -> Bird {
        require_tool("bird", "bird2");
        require_tool("birdc", "bird2");
        let dir = TempDir::new("bird");
        let conf = dir.path().join("bird.conf");
        std::fs::write(&conf, config.render()).unwrap();
        let conf_s = conf.to_str().unwrap().to_string();
        run(std::process::Command::new("bird").args(["-p", "-c", &conf_s]));
        let ctl = dir.path().join("bird.ctl");
        let pid = dir.path().join("bird.pid");
        let mut cmd = ns.command("bird");
        cmd.args(["-f", "-c", &conf_s, "-s"])
            .arg(&ctl)
            .arg("-P")
            .arg(&pid);
        let daemon = Daemon::spawn(
            "bird",
            cmd,
            dir.path().join("bird.log"),
            config.password.as_deref(),
        );
        let mut bird = Bird {
            netns: ns.name().to_string(),
            ctl,
            daemon,
            _dir: dir,
        };
        wait_for(Duration::from_secs(5), "BIRD control socket", || {
            bird.daemon.assert_running();
            bird.try_birdc("show status")
        });
        bird
    }

    fn try_birdc(&self, command: &str) -> Result<String, String> {
        let out = std::process::Command::new("ip")
            .args(["netns", "exec", &self.netns, "birdc", "-s"])
            .arg(&self.ctl)
            .args(command.split_whitespace())
            .output()
            .map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success() && !text.contains("Unable to connect") {
            Ok(text)
        } else {
            Err(format!("{text}{}", String::from_utf8_lossy(&out.stderr)))
        }
    }

    /// `birdc -s <ctl> <command>`; panics on failure.
    pub fn birdc(&mut self, command: &str) -> String {
        self.daemon.assert_running();
        self.try_birdc(command)
            .unwrap_or_else(|e| panic!("birdc {command}: {e}"))
    }

    /// The BGP state of protocol `peer` (`Established`, `Active`, `Connect`, ...), from the
    /// `BGP state:` line of `show protocols all peer`.
    pub fn bgp_state(&mut self) -> String {
        let out = self.birdc("show protocols all peer");
        out.lines()
            .find_map(|l| l.trim().strip_prefix("BGP state:"))
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|| format!("<no BGP state in: {out}>"))
    }

    pub fn wait_established(&mut self, timeout: Duration) {
        wait_until(
            timeout,
            "BIRD session Established",
            || self.bgp_state(),
            |state| state == "Established",
        )
    }

    /// `show route <prefix> all` output when BIRD has a route for exactly `prefix`.
    pub fn route(&mut self, prefix: &str) -> Option<String> {
        let out = self.birdc(&format!("show route {prefix} all"));
        out.lines().any(|l| l.starts_with(prefix)).then_some(out)
    }

    pub fn wait_route(&mut self, prefix: &str, timeout: Duration) -> String {
        wait_for(timeout, &format!("BIRD route {prefix}"), || {
            self.route(prefix).ok_or_else(|| self.birdc("show route"))
        })
    }

    pub fn log_tail(&self) -> String {
        self.daemon.log_tail()
    }
}
