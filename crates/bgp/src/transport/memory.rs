//! An in-memory network for speaker tests without sockets: listeners by address, connections
//! as `tokio::io::duplex` pipes. It behaves like the kernel where sessions can tell: nothing
//! listening is a refusal (silence if the dialer has an MD5 key, whose unsigned RST the kernel
//! drops), and a TCP-MD5 key that differs from the listener's key for the dialer is silence
//! until the dial's timeout.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use super::seam::{BoxFuture, Connection, Dial, Listen, Transport};
use super::Md5Key;
use crate::kernel::KernelRoutes;

/// Bytes a pipe buffers each way.
const PIPE: usize = 256 * 1024;

/// The network: shared by the hosts made from it. Cheap to clone.
#[derive(Clone, Default)]
pub struct MemoryNet {
    listeners: Arc<Mutex<HashMap<SocketAddr, Arc<Shared>>>>,
    ports: Arc<AtomicU16>,
}

struct Shared {
    keys: Mutex<HashMap<IpAddr, Md5Key>>,
    queue: mpsc::UnboundedSender<Connection>,
}

impl MemoryNet {
    pub fn new() -> MemoryNet {
        MemoryNet::default()
    }

    /// A host at `ip`: its connections leave from `ip` unless the dial names a source.
    pub fn host(&self, ip: IpAddr) -> Arc<dyn Transport> {
        Arc::new(Host {
            net: self.clone(),
            ip,
        })
    }

    fn ephemeral(&self) -> u16 {
        40_000 + self.ports.fetch_add(1, Ordering::Relaxed) % 20_000
    }

    fn find(&self, to: SocketAddr) -> Option<Arc<Shared>> {
        let l = self.listeners.lock().unwrap_or_else(|p| p.into_inner());
        let any = match to {
            SocketAddr::V4(_) => IpAddr::from([0u8; 4]),
            SocketAddr::V6(_) => IpAddr::from([0u16; 8]),
        };
        l.get(&to)
            .or_else(|| l.get(&SocketAddr::new(any, to.port())))
            .cloned()
    }
}

struct Host {
    net: MemoryNet,
    ip: IpAddr,
}

impl Transport for Host {
    fn connect(&self, d: Dial) -> BoxFuture<'static, io::Result<Connection>> {
        let net = self.net.clone();
        let local = SocketAddr::new(d.local.map_or(self.ip, |l| l.ip()), net.ephemeral());
        Box::pin(async move {
            let silence = || async {
                tokio::time::sleep(d.timeout).await;
                Err(io::Error::new(io::ErrorKind::TimedOut, "no answer"))
            };
            let Some(l) = net.find(d.peer) else {
                if d.md5.is_some() {
                    return silence().await;
                }
                return Err(io::ErrorKind::ConnectionRefused.into());
            };
            let expected = l
                .keys
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&local.ip())
                .cloned();
            if expected != d.md5 {
                return silence().await;
            }
            let (ours, theirs) = tokio::io::duplex(PIPE);
            l.queue
                .send(Connection::new(theirs, d.peer, local))
                .map_err(|_| io::Error::from(io::ErrorKind::ConnectionRefused))?;
            Ok(Connection::new(ours, local, d.peer))
        })
    }

    fn listen(&self, mut addr: SocketAddr) -> io::Result<Box<dyn Listen>> {
        if addr.port() == 0 {
            addr.set_port(self.net.ephemeral());
        }
        let (queue, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            keys: Mutex::default(),
            queue,
        });
        let mut all = self.net.listeners.lock().unwrap_or_else(|p| p.into_inner());
        if all.contains_key(&addr) {
            return Err(io::ErrorKind::AddrInUse.into());
        }
        all.insert(addr, shared.clone());
        Ok(Box::new(MemListener {
            net: self.net.clone(),
            addr,
            shared,
            rx: tokio::sync::Mutex::new(rx),
        }))
    }

    fn kernel(&self) -> io::Result<KernelRoutes> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "an in-memory network has no kernel routes",
        ))
    }
}

struct MemListener {
    net: MemoryNet,
    addr: SocketAddr,
    shared: Arc<Shared>,
    rx: tokio::sync::Mutex<mpsc::UnboundedReceiver<Connection>>,
}

impl Listen for MemListener {
    fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    fn set_peer_key(&self, peer: IpAddr, key: Option<&Md5Key>) -> io::Result<()> {
        let mut keys = self.shared.keys.lock().unwrap_or_else(|p| p.into_inner());
        match key {
            Some(k) => keys.insert(peer, k.clone()),
            None => keys.remove(&peer),
        };
        Ok(())
    }

    fn accept(&self) -> BoxFuture<'_, io::Result<Connection>> {
        Box::pin(async move {
            let mut rx = self.rx.lock().await;
            rx.recv()
                .await
                .ok_or_else(|| io::Error::other("listener closed"))
        })
    }
}

impl Drop for MemListener {
    fn drop(&mut self) {
        let mut all = self.net.listeners.lock().unwrap_or_else(|p| p.into_inner());
        all.remove(&self.addr);
    }
}
