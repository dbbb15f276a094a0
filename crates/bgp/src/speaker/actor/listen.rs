//! Listeners: each accepts in a task of its own and hands connections to the speaker task,
//! which gives them to the session of the source address. Every peer's TCP-MD5 key is
//! installed on every listener that could receive its connection.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{Actor, Input};
use crate::speaker::{Md5Key, SpeakerError};
use crate::transport::{Listen, Transport};

/// A bound listener and its accept task (aborted on drop).
pub(super) struct Listening {
    listen: Arc<dyn Listen>,
    accept: JoinHandle<()>,
}

impl Drop for Listening {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl Listening {
    pub(super) fn bind(
        transport: &dyn Transport,
        addr: SocketAddr,
        tx: mpsc::Sender<Input>,
    ) -> Result<Listening, SpeakerError> {
        let listen: Arc<dyn Listen> = transport
            .listen(addr)
            .map_err(|e| SpeakerError::Io(e.to_string()))?
            .into();
        let l = listen.clone();
        let accept = tokio::spawn(async move {
            loop {
                match l.accept().await {
                    Ok(conn) => {
                        if tx.send(Input::Inbound(conn)).await.is_err() {
                            return;
                        }
                    }
                    // Out of descriptors and the like: back off instead of spinning.
                    Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        });
        Ok(Listening { listen, accept })
    }

    pub(super) fn local_addr(&self) -> SocketAddr {
        self.listen.local_addr()
    }

    /// Whether a connection from `peer` can arrive here: same family, or any IPv4 peer on a
    /// dual-stack IPv6 wildcard.
    fn could_receive(&self, peer: IpAddr) -> bool {
        match (self.local_addr().ip(), peer) {
            (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => true,
            (IpAddr::V6(on), IpAddr::V4(_)) => on.is_unspecified(),
            (IpAddr::V4(_), IpAddr::V6(_)) => false,
        }
    }

    fn set_key(&self, peer: IpAddr, key: Option<&Md5Key>) -> Result<(), SpeakerError> {
        if !self.could_receive(peer) {
            return Ok(());
        }
        self.listen
            .set_peer_key(peer, key)
            .map_err(|e| SpeakerError::Io(e.to_string()))
    }
}

impl Actor {
    /// Installs (or with `None` removes) `peer`'s key on every listener.
    pub(super) fn set_listener_keys(
        &self,
        peer: IpAddr,
        key: Option<&Md5Key>,
    ) -> Result<(), SpeakerError> {
        let reachable = self.listeners.iter().any(|l| l.could_receive(peer));
        if key.is_some() && !self.listeners.is_empty() && !reachable {
            // Said, not ignored: the peer's connections could not be accepted with its key.
            let family = if peer.is_ipv4() { "IPv4" } else { "IPv6" };
            return Err(SpeakerError::Io(format!(
                "cannot set a TCP-MD5 key for {family} peer {peer}: no listener of its family"
            )));
        }
        self.listeners.iter().try_for_each(|l| l.set_key(peer, key))
    }

    /// Binds another listen address, with the keys of the peers configured so far.
    pub(super) fn add_listen(&mut self, addr: SocketAddr) -> Result<SocketAddr, SpeakerError> {
        let l = Listening::bind(&*self.local.transport, addr, self.tx.clone())?;
        for p in self.peers.values() {
            if let Some(key) = &p.cfg.password {
                l.set_key(p.cfg.address, Some(key))?;
            }
        }
        let bound = l.local_addr();
        self.listeners.push(l);
        Ok(bound)
    }
}
