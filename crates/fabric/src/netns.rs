//! Network namespaces for netns mode: one per attachment router and per MCR, joined by veth
//! pairs carrying the real /29 addresses. A speaker runs inside its namespace on a
//! current-thread runtime of its own thread (sockets and netlink open in the namespace of the
//! thread that creates them); its handle works from anywhere.

use crosslink_bgp::speaker::{Speaker, SpeakerConfig};
use std::fs::File;
use std::os::fd::AsRawFd;
use std::process::Command;
use tokio::sync::oneshot;

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
    /// Ends the thread that runs the namespace's speaker.
    stop: Option<oneshot::Sender<()>>,
}

impl Ns {
    pub fn create(name: &str) -> Result<Ns, String> {
        let _ = ip(&["netns", "delete", name]);
        ip(&["netns", "add", name])?;
        let ns = Ns {
            name: name.to_owned(),
            stop: None,
        };
        ns.ip(&["link", "set", "lo", "up"])?;
        Ok(ns)
    }

    pub fn ip(&self, args: &[&str]) -> Result<String, String> {
        let mut all = vec!["-n", self.name.as_str()];
        all.extend_from_slice(args);
        ip(&all)
    }

    /// Starts a speaker inside the namespace.
    pub async fn start_speaker(&mut self, cfg: SpeakerConfig) -> Result<Speaker, String> {
        let path = format!("/run/netns/{}", self.name);
        let file = File::open(&path).map_err(|e| format!("opening {path}: {e}"))?;
        let (ready_tx, ready_rx) = oneshot::channel();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        std::thread::Builder::new()
            .name(format!("ns-{}", self.name))
            .spawn(move || {
                // SAFETY: a valid namespace fd; CLONE_NEWNET moves only this thread.
                if unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
                    let _ = ready_tx.send(Err(format!(
                        "entering the namespace: {}",
                        std::io::Error::last_os_error()
                    )));
                    return;
                }
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(format!("runtime: {e}")));
                        return;
                    }
                };
                rt.block_on(async move {
                    match Speaker::start(cfg).await {
                        Ok(s) => {
                            let _ = ready_tx.send(Ok(s));
                            let _ = stop_rx.await;
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e.to_string()));
                        }
                    }
                });
            })
            .map_err(|e| format!("thread: {e}"))?;
        self.stop = Some(stop_tx);
        ready_rx
            .await
            .map_err(|_| "the namespace thread died".to_owned())?
    }
}

impl Drop for Ns {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
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
