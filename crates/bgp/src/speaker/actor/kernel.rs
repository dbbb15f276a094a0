//! The kernel thread of a speaker with `fib`: best routes from peers go into the kernel's
//! table through blocking netlink calls, off the async threads.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;

use super::events::Events;
use crate::kernel::KernelRoutes;
use crate::rib::{self, LOCAL};
use crate::speaker::{IpNet, KernelStatus, SpeakerEvent};

/// Routes to install or remove, with how many best routes from peers there are after them.
enum KernelOp {
    Install(Vec<(IpNet, IpAddr)>, usize),
    Remove(Vec<IpNet>, usize),
    /// Remove every route of ours, then stop.
    Finish(oneshot::Sender<()>),
}

/// The kernel thread's state: the socket, and what it tells the status surface.
struct KernelThread {
    k: KernelRoutes,
    status: Arc<Mutex<KernelStatus>>,
    events: Events,
    /// Best routes the kernel refused to install (not in the kernel).
    refused: HashSet<IpNet>,
}

impl KernelThread {
    fn install(&mut self, routes: Vec<(IpNet, IpAddr)>) -> (u64, Option<String>) {
        let mut error = None;
        let mut failed = 0;
        for (prefix, nh) in routes {
            match self.k.install(prefix, nh) {
                Ok(()) => {
                    self.refused.remove(&prefix);
                }
                Err(e) => {
                    failed += 1;
                    // A refused change of next hop may leave the old route in: take it out,
                    // so no traffic follows a route that is no longer best.
                    let _ = self.k.remove(prefix);
                    self.refused.insert(prefix);
                    error = Some(e.to_string());
                }
            }
        }
        (failed, error)
    }

    fn remove(&mut self, prefixes: Vec<IpNet>) -> (u64, Option<String>) {
        let mut error = None;
        let mut failed = 0;
        for prefix in prefixes {
            if self.refused.remove(&prefix) {
                continue; // never got in
            }
            if let Err(e) = self.k.remove(prefix) {
                failed += 1;
                error = Some(e.to_string());
            }
        }
        (failed, error)
    }

    /// Counts the outcome of a batch; tells subscribers when the error changed or cleared.
    fn update(&mut self, wanted: usize, (failed, error): (u64, Option<String>)) {
        let mut st = self.status.lock().unwrap_or_else(|p| p.into_inner());
        st.installed = wanted.saturating_sub(self.refused.len()) as u64;
        st.failures += failed;
        st.refused = self.refused.len() as u64;
        let before = st.error.clone();
        if error.is_some() {
            st.error = error;
        } else if self.refused.is_empty() {
            st.error = None;
        }
        if st.error != before {
            self.events.send(SpeakerEvent::Kernel {
                error: st.error.clone(),
                refused: st.refused,
                failures: st.failures,
            });
        }
    }
}

/// The kernel thread: blocking netlink calls, in order, off the async threads. A refused
/// route (e.g. a next hop not on a connected network) stays out of the kernel and shows in
/// the [`KernelStatus`].
fn spawn_kernel(mut t: KernelThread) -> std::io::Result<std::sync::mpsc::Sender<KernelOp>> {
    let (tx, rx) = std::sync::mpsc::channel::<KernelOp>();
    std::thread::Builder::new()
        .name("bgp-kernel".into())
        .spawn(move || {
            for op in rx.iter() {
                match op {
                    KernelOp::Install(routes, wanted) => {
                        let outcome = t.install(routes);
                        t.update(wanted, outcome);
                    }
                    KernelOp::Remove(prefixes, wanted) => {
                        let outcome = t.remove(prefixes);
                        t.update(wanted, outcome);
                    }
                    KernelOp::Finish(ack) => {
                        let _ = t.k.remove_all();
                        let _ = ack.send(());
                        return;
                    }
                }
            }
            // Every handle is gone without a shutdown: still leave no routes behind.
            let _ = t.k.remove_all();
        })?;
    Ok(tx)
}

/// The speaker task's side of the kernel thread: what it installed, and the way to it.
pub(super) struct Kernel {
    tx: std::sync::mpsc::Sender<KernelOp>,
    /// Prefixes we installed in the kernel.
    installed: HashSet<IpNet>,
}

impl Kernel {
    /// Starts the thread around `k` (a socket opened in the speaker's namespace).
    pub(super) fn start(
        k: KernelRoutes,
        status: Arc<Mutex<KernelStatus>>,
        events: Events,
    ) -> std::io::Result<Kernel> {
        let thread = KernelThread {
            k,
            status,
            events,
            refused: HashSet::new(),
        };
        Ok(Kernel {
            tx: spawn_kernel(thread)?,
            installed: HashSet::new(),
        })
    }

    /// Installs the new best routes from peers and removes those that are no longer best.
    pub(super) fn follow(&mut self, changes: &[rib::Change]) {
        let mut install = Vec::new();
        let mut remove = Vec::new();
        for c in changes {
            let nh = c.new.as_ref().filter(|b| b.source != LOCAL);
            match nh.and_then(|b| b.attrs.next_hop) {
                Some(nh) => {
                    self.installed.insert(c.prefix);
                    install.push((c.prefix, nh));
                }
                None => {
                    if self.installed.remove(&c.prefix) {
                        remove.push(c.prefix);
                    }
                }
            }
        }
        let wanted = self.installed.len();
        if !install.is_empty() {
            let _ = self.tx.send(KernelOp::Install(install, wanted));
        }
        if !remove.is_empty() {
            let _ = self.tx.send(KernelOp::Remove(remove, wanted));
        }
    }

    /// Removes every route of ours and stops the thread (waiting at most `timeout`).
    pub(super) async fn finish(self, timeout: Duration) {
        let (ack, done) = oneshot::channel();
        if self.tx.send(KernelOp::Finish(ack)).is_ok() {
            let _ = tokio::time::timeout(timeout, done).await;
        }
    }
}
