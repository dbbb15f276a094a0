//! GoBGP as a test peer inside a namespace: config builder, daemon guard, `gobgp` queries.
//! GoBGP has no kernel export of its own (that needs zebra), so it only speaks BGP here.

use std::fmt::Write as _;
use std::process::Command;
use std::time::Duration;

use super::{require_tool, run, wait_for, wait_until, Daemon, Netns, RouterConfig, TempDir};

/// One GoBGP instance with one neighbor. Announced prefixes are added with `gobgp global rib
/// add` once the daemon is up (next hop self towards eBGP).
pub type GoBgpConfig = RouterConfig<GoBgpOptions>;

#[derive(Debug, Clone)]
pub struct GoBgpOptions {
    /// gRPC API port, on the namespace's own 127.0.0.1.
    pub api_port: u16,
}

impl Default for GoBgpOptions {
    fn default() -> Self {
        GoBgpOptions { api_port: 50051 }
    }
}

impl GoBgpConfig {
    pub fn render(&self) -> String {
        let family = if self.neighbor.is_ipv4() {
            "ipv4-unicast"
        } else {
            "ipv6-unicast"
        };
        let mut c = String::new();
        writeln!(c, "[global.config]").unwrap();
        writeln!(c, "  as = {}", self.local_as).unwrap();
        writeln!(c, "  router-id = \"{}\"", self.router_id).unwrap();
        writeln!(c, "  port = {}", self.listen_port.unwrap_or(179)).unwrap();
        if let Some(addr) = self.local_address {
            writeln!(c, "  local-address-list = [\"{addr}\"]").unwrap();
        }
        writeln!(c, "[[neighbors]]\n  [neighbors.config]").unwrap();
        writeln!(c, "    neighbor-address = \"{}\"", self.neighbor).unwrap();
        writeln!(c, "    peer-as = {}", self.remote_as).unwrap();
        if let Some(pw) = self.quoted_password("GoBgpConfig") {
            writeln!(c, "    auth-password = \"{pw}\"").unwrap();
        }
        writeln!(c, "  [neighbors.transport.config]").unwrap();
        writeln!(c, "    passive-mode = {}", self.passive).unwrap();
        if let Some(addr) = self.local_address {
            writeln!(c, "    local-address = \"{addr}\"").unwrap();
        }
        if let Some(port) = self.neighbor_port {
            writeln!(c, "    remote-port = {port}").unwrap();
        }
        writeln!(c, "  [neighbors.timers.config]").unwrap();
        writeln!(
            c,
            "    connect-retry = 2\n    hold-time = {}\n    keepalive-interval = {}",
            self.hold_time,
            (self.hold_time / 3).max(1)
        )
        .unwrap();
        writeln!(
            c,
            "  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]"
        )
        .unwrap();
        writeln!(c, "      afi-safi-name = \"{family}\"").unwrap();
        c
    }
}

/// A running gobgpd, killed on drop.
pub struct GoBgp {
    netns: String,
    api_port: u16,
    daemon: Daemon,
    _dir: TempDir,
}

/// GoBGP's `session_state` numbers (its gRPC API enum).
fn state_name(n: i64) -> &'static str {
    match n {
        1 => "Idle",
        2 => "Connect",
        3 => "Active",
        4 => "OpenSent",
        5 => "OpenConfirm",
        6 => "Established",
        _ => "Unknown",
    }
}

impl GoBgp {
    /// Validates the config (`gobgpd -d`), starts gobgpd in `ns`, waits for its API, then
    /// announces `config.announce`.
    pub fn start(ns: &Netns, config: &GoBgpConfig) -> GoBgp {
        require_tool("gobgpd", "gobgpd");
        require_tool("gobgp", "gobgpd");
        let dir = TempDir::new("gobgp");
        let conf = dir.path().join("gobgpd.toml");
        std::fs::write(&conf, config.render()).unwrap();
        let conf_s = conf.to_str().unwrap().to_string();
        run(Command::new("gobgpd").args(["-d", "-f", &conf_s]));
        let mut cmd = ns.command("gobgpd");
        cmd.args([
            "-f",
            &conf_s,
            "--api-hosts",
            &format!("127.0.0.1:{}", config.extra.api_port),
            "--pprof-disable",
            "--log-plain",
        ]);
        let daemon = Daemon::spawn(
            "gobgpd",
            cmd,
            dir.path().join("gobgpd.log"),
            config.password.as_deref(),
        );
        let mut gobgp = GoBgp {
            netns: ns.name().to_string(),
            api_port: config.extra.api_port,
            daemon,
            _dir: dir,
        };
        wait_for(Duration::from_secs(10), "gobgpd API", || {
            gobgp.daemon.assert_running();
            gobgp.try_gobgp(&["global"])
        });
        for prefix in &config.announce {
            let afi = if prefix.addr().is_ipv4() {
                "ipv4"
            } else {
                "ipv6"
            };
            gobgp.gobgp(&["global", "rib", "add", &prefix.to_string(), "-a", afi]);
        }
        gobgp
    }

    fn try_gobgp(&self, args: &[&str]) -> Result<String, String> {
        let out = Command::new("ip")
            .args(["netns", "exec", &self.netns, "gobgp", "-p"])
            .arg(self.api_port.to_string())
            .args(args)
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// `gobgp -p <api> <args>`; panics on failure. Never print the output of `neighbor`
    /// queries: GoBGP includes the auth password in them.
    pub fn gobgp(&mut self, args: &[&str]) -> String {
        self.daemon.assert_running();
        self.try_gobgp(args)
            .unwrap_or_else(|e| panic!("gobgp {args:?}: {e}"))
    }

    /// The session state of the (only) neighbor: `Established`, `Active`, ...
    pub fn neighbor_state(&mut self) -> String {
        let out = self.gobgp(&["-j", "neighbor"]);
        let peers: serde_json::Value = serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("gobgp neighbor: unparseable JSON ({e})"));
        peers
            .get(0)
            .and_then(|p| p.pointer("/state/session_state"))
            .and_then(serde_json::Value::as_i64)
            .map_or("Unknown", state_name)
            .to_string()
    }

    pub fn wait_established(&mut self, timeout: Duration) {
        wait_until(
            timeout,
            "GoBGP session Established",
            || self.neighbor_state(),
            |state| state == "Established",
        )
    }

    /// The paths GoBGP holds for exactly `prefix` in its global RIB (JSON values), if any.
    pub fn route(&mut self, prefix: &str) -> Option<Vec<serde_json::Value>> {
        let afi = if prefix.contains(':') { "ipv6" } else { "ipv4" };
        let out = self.gobgp(&["-j", "global", "rib", "-a", afi]);
        let rib: serde_json::Value = serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("gobgp global rib: unparseable JSON ({e}): {out}"));
        rib.get(prefix)
            .and_then(serde_json::Value::as_array)
            .filter(|paths| !paths.is_empty())
            .cloned()
    }

    /// Waits for `prefix` and returns the next hop of its best path.
    pub fn wait_route(&mut self, prefix: &str, timeout: Duration) -> String {
        wait_for(timeout, &format!("GoBGP route {prefix}"), || {
            let paths = self
                .route(prefix)
                .ok_or_else(|| self.gobgp(&["global", "rib"]))?;
            Ok(paths
                .iter()
                .flat_map(|p| p["attrs"].as_array().cloned().unwrap_or_default())
                .find_map(|a| a["nexthop"].as_str().map(str::to_string))
                .unwrap_or_default())
        })
    }

    pub fn log_tail(&self) -> String {
        self.daemon.log_tail()
    }
}
