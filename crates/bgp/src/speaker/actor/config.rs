//! Peer configuration: adding, removing and changing peers, with their keys on the listener.

use std::collections::HashSet;
use std::net::IpAddr;

use super::outbound::{request_refresh, sync_all, Full};
use super::{Actor, Peer};
use crate::fsm::CeaseReason;
use crate::speaker::session::{self, Cmd};
use crate::speaker::{IpNet, PeerConfig, SpeakerError, State};

impl Actor {
    fn check_peer(&self, p: &PeerConfig) -> Result<(), SpeakerError> {
        session::fsm_config(&self.local, p)
            .validate()
            .map_err(|e| SpeakerError::Config(e.to_string()))?;
        if p.passive && self.listeners.is_empty() {
            return Err(SpeakerError::Config(format!(
                "peer {} is passive but the speaker has no listen address",
                p.address
            )));
        }
        if p.port == 0 && !p.passive {
            return Err(SpeakerError::Config(format!(
                "peer {}: port 0 cannot be connected to",
                p.address
            )));
        }
        if let Some(l) = p.local_address {
            if l.is_ipv4() != p.address.is_ipv4() {
                return Err(SpeakerError::Config(format!(
                    "peer {}: local address {l} is of another IP family",
                    p.address
                )));
            }
        }
        Ok(())
    }

    pub(super) fn add_peer(&mut self, mut p: PeerConfig) -> Result<(), SpeakerError> {
        p.address = p.address.to_canonical();
        if self.peers.contains_key(&p.address) {
            return Err(SpeakerError::PeerExists(p.address));
        }
        self.check_peer(&p)?;
        if p.password.is_some() {
            self.set_listener_keys(p.address, p.password.as_ref())?;
        }
        self.next_sid += 1;
        let sid = self.next_sid;
        let (cmd, task) = session::spawn(self.local.clone(), p.clone(), sid, self.tx.clone())
            .map_err(|e| SpeakerError::Config(e.to_string()))?;
        let peer = Peer {
            cfg: p,
            sid,
            cmd,
            task,
            state: State::Idle,
            since: None,
            last_error: None,
            established_count: 0,
            remote_id: None,
            local_addr: None,
            up: None,
            source: None,
            accepted: 0,
            rejected: HashSet::new(),
            advertised: 0,
            last_attrs: None,
            counts_changed: false,
            ceased: false,
            lag: None,
        };
        self.peers.insert(peer.cfg.address, peer);
        Ok(())
    }

    pub(super) fn remove_peer(&mut self, addr: IpAddr) -> Result<(), SpeakerError> {
        let Some(mut peer) = self.peers.remove(&addr) else {
            return Err(SpeakerError::UnknownPeer(addr));
        };
        let _ = peer.cmd.send(Cmd::Stop(CeaseReason::PeerDeconfigured));
        self.drop_routes(&mut peer);
        let _ = self.set_listener_keys(addr, None);
        Ok(())
    }

    pub(super) fn update_peer(&mut self, mut p: PeerConfig) -> Result<(), SpeakerError> {
        p.address = p.address.to_canonical();
        self.check_peer(&p)?;
        let Some(old) = self.peers.get(&p.address).map(|x| x.cfg.clone()) else {
            return Err(SpeakerError::UnknownPeer(p.address));
        };
        if old.password != p.password {
            self.set_listener_keys(p.address, p.password.as_ref())?;
        }
        let session_changed = old.remote_asn != p.remote_asn
            || old.local_asn != p.local_asn
            || old.local_address != p.local_address
            || old.port != p.port
            || old.password != p.password
            || old.passive != p.passive
            || old.hold_time != p.hold_time
            || old.connect_retry != p.connect_retry
            || old.ttl != p.ttl;
        let import_changed = old.policy.import != p.policy.import;
        let export_changed = old.policy.export != p.policy.export;
        // Settle under the old policy first: each peer has then been sent exactly what the
        // Loc-RIB exports to it, which the export diff below relies on.
        self.flush();
        let peer = self.peers.get_mut(&p.address).expect("checked above");
        peer.cfg = p.clone();
        if session_changed {
            let _ = peer.cmd.send(Cmd::Reset(Box::new(p)));
            return Ok(());
        }
        if old.enabled != p.enabled {
            let _ = peer.cmd.send(Cmd::Enable(p.enabled));
            return Ok(());
        }
        if peer.up.is_none() {
            return Ok(());
        }
        if export_changed {
            sync_all(&self.loc, peer, Full::PolicyChanged(&old.policy));
        }
        if import_changed {
            // Drop what the new policy refuses now; what it newly permits comes back with the
            // peer's answer to a ROUTE-REFRESH, or after a reset if it cannot refresh.
            if let Some(src) = peer.source {
                let refused: Vec<IpNet> = self
                    .loc
                    .iter_source(src)
                    .map(|(k, _, _)| k)
                    .filter(|k| !p.policy.accepts(k))
                    .collect();
                for prefix in refused {
                    peer.rejected.insert(prefix);
                    if self.loc.remove(&prefix, src).is_some() {
                        peer.accepted = peer.accepted.saturating_sub(1);
                    }
                }
            }
            peer.counts_changed = true;
            let up = peer.up.as_ref().expect("checked above");
            if up.route_refresh {
                request_refresh(up);
            } else {
                let _ = peer.cmd.send(Cmd::Reset(Box::new(p.clone())));
            }
        }
        Ok(())
    }
}
