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
        up_with(end)?;
    }
    Ok(())
}

/// Whether this kernel makes 802.1Q interfaces (`ip link add … type vlan`), probed once in a
/// scratch namespace. Without them a VXC to a port is an untagged veth named for its VLAN.
pub(crate) fn has_vlans() -> bool {
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| {
        let Ok(ns) = Ns::create(&format!("clvlan-probe-{}", std::process::id())) else {
            return false;
        };
        ns.ip(&["link", "add", "t0", "type", "veth", "peer", "name", "t1"])
            .and_then(|_| {
                ns.ip(&[
                    "link", "add", "link", "t0", "name", "t0.2", "type", "vlan", "id", "2",
                ])
            })
            .is_ok()
    })
}

/// A VXC to a port with its VLAN on the wire: a veth "trunk" between the namespaces and an
/// 802.1Q sub-interface with `vlan` on each end, which carries the addresses (the customer's
/// router sees tagged frames on the trunk, as on a real port).
pub(crate) fn tagged_veth(
    trunks: (&str, &str),
    vlan: u16,
    a: End<'_>,
    b: End<'_>,
) -> Result<(), String> {
    veth(
        End {
            ns: a.ns,
            name: trunks.0,
            addresses: Vec::new(),
        },
        End {
            ns: b.ns,
            name: trunks.1,
            addresses: Vec::new(),
        },
    )?;
    let id = vlan.to_string();
    for (trunk, end) in [(trunks.0, &a), (trunks.1, &b)] {
        ip(&[
            "-n", end.ns, "link", "add", "link", trunk, "name", end.name, "type", "vlan", "id", &id,
        ])?;
        up_with(end)?;
    }
    Ok(())
}

fn up_with(end: &End<'_>) -> Result<(), String> {
    for addr in &end.addresses {
        ip(&["-n", end.ns, "address", "add", addr, "dev", end.name])?;
    }
    ip(&["-n", end.ns, "link", "set", end.name, "up"])?;
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
