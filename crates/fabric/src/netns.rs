//! Network namespaces for netns mode: one per attachment router and per MCR, joined by veth
//! pairs carrying the real /29 addresses. Speakers run on the fabric's own runtime; their
//! sockets and kernel routes are made in the namespace by its [`Namespace`] thread.

use crosslink_bgp::netns::Namespace;
use crosslink_bgp::speaker::{Speaker, SpeakerConfig};
use crosslink_bgp::transport::Tcp;
use std::process::Command;
use std::sync::{Arc, OnceLock};

/// `ip <args>`, its stdout, or what went wrong in words.
pub(crate) fn ip(args: &[&str]) -> Result<String, String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run ip: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// A namespace this fabric made; deleted (with its links and routes) on drop.
pub(crate) struct Ns {
    pub name: String,
    /// Makes the namespace's sockets: a thread, started by the first speaker (a port's
    /// namespace has none).
    sockets: OnceLock<Namespace>,
}

impl Ns {
    pub fn create(name: &str) -> Result<Ns, String> {
        let _ = ip(&["netns", "delete", name]);
        ip(&["netns", "add", name])?;
        let ns = Ns {
            name: name.to_owned(),
            sockets: OnceLock::new(),
        };
        ns.ip(&["link", "set", "lo", "up"])?;
        Ok(ns)
    }

    pub fn ip(&self, args: &[&str]) -> Result<String, String> {
        let mut all = vec!["-n", self.name.as_str()];
        all.extend_from_slice(args);
        ip(&all)
    }

    /// Starts a speaker whose sockets (and kernel routes) are in the namespace, on the
    /// current runtime.
    pub async fn start_speaker(&self, cfg: SpeakerConfig) -> Result<Speaker, String> {
        let sockets = match self.sockets.get() {
            Some(s) => s.clone(),
            None => {
                let s = Namespace::open(&self.name).map_err(|e| e.to_string())?;
                self.sockets.get_or_init(|| s).clone()
            }
        };
        let transport = Arc::new(Tcp::in_namespace(sockets));
        Speaker::start_with(cfg, transport)
            .await
            .map_err(|e| e.to_string())
    }
}

impl Drop for Ns {
    fn drop(&mut self) {
        let _ = ip(&["netns", "delete", &self.name]);
    }
}
/// One end of a veth pair: its namespace, interface name and addresses.
pub(crate) struct End<'a> {
    pub ns: &'a str,
    pub name: &'a str,
    pub addresses: Vec<String>,
}

/// A veth pair between two namespaces, each end with its addresses and up.
pub(crate) fn veth(a: End<'_>, b: End<'_>) -> Result<(), String> {
    ip(&[
        "-n", a.ns, "link", "add", a.name, "type", "veth", "peer", "name", b.name, "netns", b.ns,
    ])?;
    for end in [&a, &b] {
        for addr in &end.addresses {
            ip(&["-n", end.ns, "address", "add", addr, "dev", end.name])?;
        }
        ip(&["-n", end.ns, "link", "set", end.name, "up"])?;
    }
    Ok(())
}

/// Deletes namespaces a previous process of this data left behind (`kill -9`).
pub(crate) fn sweep(prefix: &str) {
    if let Ok(list) = ip(&["netns", "list"]) {
        for line in list.lines() {
            let name = line.split_whitespace().next().unwrap_or("");
            if name.starts_with(prefix) {
                let _ = ip(&["netns", "delete", name]);
            }
        }
    }
}
