//! Receiving: an UPDATE from an Established peer applied to its Adj-RIB-In (its paths in the
//! Loc-RIB) under import policy, loop prevention and max-prefix.

use std::net::IpAddr;
use std::sync::Arc;

use super::{Actor, Peer};
use crate::fsm::{CeaseReason, Family};
use crate::policy::MaxPrefixVerdict;
use crate::rib::{self, LocRib, Path, RouteAttrs, SourceId};
use crate::speaker::session::Cmd;
use crate::speaker::IpNet;
use crate::wire::{Afi, Safi, Update};

impl Actor {
    /// Applies an UPDATE from an Established peer to its Adj-RIB-In and the Loc-RIB.
    pub(super) fn receive(&mut self, addr: IpAddr, u: Update) {
        let asn = self.local.asn;
        let Some(peer) = self.peers.get_mut(&addr) else {
            return;
        };
        let (Some(source), false) = (peer.source, peer.ceased) else {
            return;
        };
        let mut rx = Receiving {
            source,
            peer,
            loc: &mut self.loc,
        };
        for prefix in u.withdrawn_prefixes() {
            rx.withdraw(prefix);
        }
        if !u.treat_as_withdraw() {
            let looped = u
                .attributes
                .as_path
                .as_ref()
                .is_some_and(|p| rib::has_loop(p, asn));
            if !u.nlri.is_empty() {
                let nh = u.attributes.next_hop.map(IpAddr::V4);
                let attrs = rx.intern(RouteAttrs::from_wire(&u.attributes, nh));
                let refuse = looped || nh.is_none();
                for p in &u.nlri {
                    rx.announce(IpNet::V4(*p), &attrs, refuse);
                }
            }
            if let Some(r) = &u.attributes.mp_reach {
                let unicast = r.safi == Safi::Unicast && matches!(r.afi, Afi::Ipv4 | Afi::Ipv6);
                if unicast && !r.nlri.is_empty() {
                    let attrs = rx.intern(RouteAttrs::from_wire(&u.attributes, Some(r.next_hop)));
                    for p in &r.nlri {
                        let ok = p.addr().is_ipv4() == r.next_hop.is_ipv4();
                        rx.announce(*p, &attrs, looped || !ok);
                    }
                }
            }
        }
        let peer = rx.peer;
        peer.counts_changed = true;
        if peer.cfg.policy.check_count(peer.accepted) == MaxPrefixVerdict::Teardown {
            let limit = peer.cfg.policy.max_prefix.map_or(0, |m| m.limit());
            let family = if u.nlri.is_empty() && u.attributes.mp_reach.is_some() {
                Family::IPV6_UNICAST
            } else {
                Family::IPV4_UNICAST
            };
            peer.ceased = true;
            let _ = peer
                .cmd
                .send(Cmd::Cease(CeaseReason::MaxPrefix { family, limit }));
        }
    }
}

/// One UPDATE being applied to one peer's Adj-RIB-In (its paths in the Loc-RIB).
struct Receiving<'a> {
    source: SourceId,
    peer: &'a mut Peer,
    loc: &'a mut LocRib,
}

impl Receiving<'_> {
    /// One `Arc` for equal attributes of consecutive UPDATEs (a table is mostly sent as runs
    /// of them): less memory, and fewer, fuller UPDATEs onward.
    fn intern(&mut self, a: RouteAttrs) -> Arc<RouteAttrs> {
        match &self.peer.last_attrs {
            Some(last) if **last == a => last.clone(),
            _ => {
                let a = Arc::new(a);
                self.peer.last_attrs = Some(a.clone());
                a
            }
        }
    }

    fn withdraw(&mut self, prefix: IpNet) {
        if !self.withdraw_accepted(prefix) && !self.peer.rejected.is_empty() {
            self.peer.rejected.remove(&prefix);
        }
    }

    fn announce(&mut self, prefix: IpNet, attrs: &Arc<RouteAttrs>, refuse: bool) {
        let policy = &self.peer.cfg.policy;
        let over_limit = || {
            policy.max_prefix.is_some_and(|m| {
                !m.teardown()
                    && self.peer.accepted >= m.limit() as usize
                    && self.loc.path_of(&prefix, self.source).is_none()
            })
        };
        if refuse || !policy.accepts(&prefix) || over_limit() {
            self.peer.rejected.insert(prefix);
            self.withdraw_accepted(prefix);
            return;
        }
        if !self.peer.rejected.is_empty() {
            self.peer.rejected.remove(&prefix);
        }
        let path = Path {
            source: self.source,
            attrs: attrs.clone(),
        };
        if self.loc.upsert(prefix, path).new {
            self.peer.accepted += 1;
        }
    }

    /// Takes the peer's accepted path for `prefix` away; false if it had none.
    fn withdraw_accepted(&mut self, prefix: IpNet) -> bool {
        let had = self.loc.remove(&prefix, self.source).is_some();
        if had {
            self.peer.accepted = self.peer.accepted.saturating_sub(1);
        }
        had
    }
}
