//! Sending: what the Loc-RIB exports to each Established peer, as the difference of its
//! changes, packed into UPDATEs by shared attributes; and what a peer whose queue is full
//! missed ([`Lag`]).

use std::collections::HashMap;
use std::mem;
use std::net::IpAddr;
use std::sync::Arc;

use super::Peer;
use crate::fsm::Family;
use crate::policy::SessionPolicy;
use crate::rib::{self, ExportTarget, LocRib, Path, RouteAttrs, SourceId};
use crate::speaker::session::{Writer, QUEUE_HIGH};
use crate::speaker::IpNet;
use crate::wire::{
    self, Afi, CodecContext, Ipv4Net, MpReach, MpUnreach, PathAttributes, Safi, Update,
};

/// What the speaker knows of an Established session.
pub(super) struct Up {
    pub out: Writer,
    pub ctx: CodecContext,
    pub target: ExportTarget,
    pub families: Vec<Family>,
    /// The peer understands ROUTE-REFRESH (RFC 2918).
    pub route_refresh: bool,
}

/// What sending to an Established peer works with, borrowed apart.
struct Outbound<'a> {
    up: &'a Up,
    policy: &'a SessionPolicy,
    lag: &'a mut Option<Lag>,
    advertised: &'a mut usize,
    counts_changed: &'a mut bool,
}

impl Peer {
    fn outbound(&mut self) -> Option<Outbound<'_>> {
        Some(Outbound {
            up: self.up.as_ref()?,
            policy: &self.cfg.policy,
            lag: &mut self.lag,
            advertised: &mut self.advertised,
            counts_changed: &mut self.counts_changed,
        })
    }
}

/// A peer whose write queue went over [`QUEUE_HIGH`] (it does not read, or reads slower than
/// we change): nothing more is encoded for it until the queue drains below [`session::QUEUE_LOW`],
/// then it is sent what it missed, so its queue stays bounded however long it stalls.
///
/// The Adj-RIB-Out is not stored, so what the peer holds is kept as a difference: for every
/// prefix not in `dirty` it holds exactly what the Loc-RIB exports to it now; for a prefix in
/// `dirty`, whether it holds a route at all (the exported route of the best path it was last
/// sent). On resync each dirty prefix gets its current export or, if it holds one and none is
/// exported any more, a withdrawal; the advertised count follows from the same flags.
#[derive(Default)]
pub(super) struct Lag {
    pub dirty: HashMap<IpNet, bool>,
    /// A ROUTE-REFRESH arrived meanwhile: the whole export is owed too.
    pub walk: bool,
}

impl Lag {
    /// `prefix` changed while the peer holds the export of `held` (kept if already dirty).
    fn record(
        &mut self,
        ex: &mut Exporter,
        policy: &SessionPolicy,
        prefix: IpNet,
        held: Option<&Path>,
    ) {
        self.dirty
            .entry(prefix)
            .or_insert_with(|| ex.export(&prefix, held, policy).is_some());
    }
}

/// Exports toward one peer: one exported attribute set per (attribute set, source, family),
/// so prefixes that shared attributes still share them and pack into the same UPDATEs.
pub(super) struct Exporter<'a> {
    loc: &'a LocRib,
    up: &'a Up,
    v4: bool,
    v6: bool,
    cache: HashMap<ExportKey, Option<Arc<RouteAttrs>>>,
    last: Option<(ExportKey, Option<Arc<RouteAttrs>>)>,
}

/// An attribute set, its source and whether the prefix is IPv4.
type ExportKey = (*const RouteAttrs, SourceId, bool);

impl<'a> Exporter<'a> {
    pub(super) fn new(loc: &'a LocRib, up: &'a Up) -> Self {
        Exporter {
            loc,
            up,
            v4: up.families.contains(&Family::IPV4_UNICAST),
            v6: up.families.contains(&Family::IPV6_UNICAST),
            cache: HashMap::new(),
            last: None,
        }
    }

    /// What the peer is sent for `prefix` when `path` is the best one, under `policy`.
    pub(super) fn export(
        &mut self,
        prefix: &IpNet,
        path: Option<&Path>,
        policy: &SessionPolicy,
    ) -> Option<Arc<RouteAttrs>> {
        let path = path?;
        let is_v4 = matches!(prefix, IpNet::V4(_));
        if !(if is_v4 { self.v4 } else { self.v6 }) || !policy.announces(prefix) {
            return None;
        }
        let key = (Arc::as_ptr(&path.attrs), path.source, is_v4);
        // Neighbouring prefixes mostly share attributes: skip the map for a repeat.
        if let Some((k, a)) = &self.last {
            if *k == key {
                return a.clone();
            }
        }
        let (loc, target) = (self.loc, &self.up.target);
        let a = self
            .cache
            .entry(key)
            .or_insert_with(|| {
                rib::export(prefix, path, &loc.source(path.source), target).map(Arc::new)
            })
            .clone();
        self.last = Some((key, a.clone()));
        a
    }
}

/// Sends one peer the difference the Loc-RIB `changes` make to what it exports to it; once
/// its queue is full, records the rest instead ([`Lag`]).
pub(super) fn sync_changes(loc: &LocRib, peer: &mut Peer, changes: &[rib::Change]) {
    let Some(o) = peer.outbound() else {
        return;
    };
    let mut ex = Exporter::new(loc, o.up);
    let mut batch = Batch::new(o.up, o.lag.is_none());
    for c in changes {
        if batch.stopped() {
            let lag = o.lag.get_or_insert_with(Lag::default);
            lag.record(&mut ex, o.policy, c.prefix, c.old.as_ref());
            continue;
        }
        let old = ex.export(&c.prefix, c.old.as_ref(), o.policy);
        match (old, ex.export(&c.prefix, c.new.as_ref(), o.policy)) {
            (None, None) => {}
            (Some(_), None) => {
                *o.advertised = o.advertised.saturating_sub(1);
                batch.withdraw(c.prefix);
            }
            (None, Some(new)) => {
                *o.advertised += 1;
                batch.announce(c.prefix, &new);
            }
            (Some(old), Some(new)) => {
                if !Arc::ptr_eq(&old, &new) && *old != *new {
                    batch.announce(c.prefix, &new);
                }
            }
        }
    }
    *o.counts_changed |= batch.finish(false);
}

/// Sends a paused peer whose queue drained what it missed ([`Lag`]), as far as its queue
/// takes it; the rest waits for the next drain.
pub(super) fn resync(loc: &LocRib, peer: &mut Peer) {
    let Some(o) = peer.outbound() else {
        return;
    };
    let Some(Lag { dirty, walk }) = o.lag.take() else {
        return;
    };
    let mut ex = Exporter::new(loc, o.up);
    let mut batch = Batch::new(o.up, true);
    let mut rest = HashMap::new();
    for (prefix, held) in dirty {
        if batch.stopped() {
            rest.insert(prefix, held);
            continue;
        }
        match (held, ex.export(&prefix, loc.best(&prefix), o.policy)) {
            (false, None) => {}
            (true, None) => {
                *o.advertised = o.advertised.saturating_sub(1);
                batch.withdraw(prefix);
            }
            (held, Some(new)) => {
                *o.advertised += usize::from(!held);
                batch.announce(prefix, &new);
            }
        }
    }
    if rest.is_empty() && walk {
        // The owed ROUTE-REFRESH: everything again (counts are right already).
        for (prefix, path) in loc.iter_best() {
            if let Some(new) = ex.export(&prefix, Some(path), o.policy) {
                batch.announce(prefix, &new);
            }
        }
    } else if !rest.is_empty() {
        *o.lag = Some(Lag { dirty: rest, walk });
    }
    *o.counts_changed |= batch.finish(false);
}

/// A pass over the whole Loc-RIB for one peer.
pub(super) enum Full<'a> {
    /// The session just came up: everything, then End-of-RIB.
    Initial,
    /// The peer asked for it all again (ROUTE-REFRESH).
    Refresh,
    /// The export policy changed from this one: the difference.
    PolicyChanged(&'a SessionPolicy),
}

/// Session-up and refresh walks are sent whole (one table's worth at most, and a refresh
/// for a paused peer waits for it to drain); a policy change for a paused peer is recorded.
pub(super) fn sync_all(loc: &LocRib, peer: &mut Peer, full: Full) {
    let Some(o) = peer.outbound() else {
        return;
    };
    if matches!(full, Full::Refresh) && (o.lag.is_some() || o.up.out.queued() >= QUEUE_HIGH) {
        o.lag.get_or_insert_with(Lag::default).walk = true;
        return;
    }
    let mut ex = Exporter::new(loc, o.up);
    let mut batch = Batch::new(o.up, o.lag.is_none());
    for (prefix, path) in loc.iter_best() {
        let new = ex.export(&prefix, Some(path), o.policy);
        match (&full, new) {
            (Full::Initial, Some(new)) => {
                *o.advertised += 1;
                batch.announce(prefix, &new);
            }
            (Full::Refresh, Some(new)) => batch.announce(prefix, &new),
            (Full::PolicyChanged(before), new) => {
                match (ex.export(&prefix, Some(path), before), new) {
                    (Some(_), None) | (None, Some(_)) if batch.stopped() => {
                        let lag = o.lag.get_or_insert_with(Lag::default);
                        lag.record(&mut ex, before, prefix, Some(path));
                    }
                    (Some(_), None) => {
                        *o.advertised = o.advertised.saturating_sub(1);
                        batch.withdraw(prefix);
                    }
                    (None, Some(new)) => {
                        *o.advertised += 1;
                        batch.announce(prefix, &new);
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    *o.counts_changed |= batch.finish(matches!(full, Full::Initial));
}

/// Prefixes of one attribute set encoded at a time.
const GROUP_ENCODE: usize = 16 * 1024;
/// Encoded bytes handed to the connection's writer at a time, so it starts writing while the
/// rest is being encoded.
const WRITE_CHUNK: usize = 128 * 1024;

/// Changes for one peer, announcements grouped by attribute set, encoded as they fill up.
struct Batch<'a> {
    up: &'a Up,
    out: Vec<u8>,
    withdraw_v4: Vec<Ipv4Net>,
    withdraw_v6: Vec<IpNet>,
    groups: Vec<(Arc<RouteAttrs>, Vec<Ipv4Net>, Vec<IpNet>)>,
    index: HashMap<*const RouteAttrs, usize>,
    sent: bool,
    /// The writer's queue went over [`QUEUE_HIGH`].
    stopped: bool,
}

impl<'a> Batch<'a> {
    /// `send: false`: stopped from the start (the peer is paused).
    fn new(up: &'a Up, send: bool) -> Self {
        Batch {
            stopped: !send || up.out.queued() >= QUEUE_HIGH,
            up,
            out: Vec::new(),
            withdraw_v4: Vec::new(),
            withdraw_v6: Vec::new(),
            groups: Vec::new(),
            index: HashMap::new(),
            sent: false,
        }
    }

    /// Whether the peer's queue is full: callers record instead of adding (what was added is
    /// still sent by [`Batch::finish`]).
    fn stopped(&self) -> bool {
        self.stopped
    }

    fn withdraw(&mut self, prefix: IpNet) {
        self.sent = true;
        match prefix {
            IpNet::V4(p) => self.withdraw_v4.push(p),
            p => self.withdraw_v6.push(p),
        }
        if self.withdraw_v4.len() + self.withdraw_v6.len() >= GROUP_ENCODE {
            self.encode_withdrawals();
        }
    }

    fn announce(&mut self, prefix: IpNet, attrs: &Arc<RouteAttrs>) {
        self.sent = true;
        let i = *self.index.entry(Arc::as_ptr(attrs)).or_insert_with(|| {
            self.groups.push((attrs.clone(), Vec::new(), Vec::new()));
            self.groups.len() - 1
        });
        let g = &mut self.groups[i];
        match prefix {
            IpNet::V4(p) => g.1.push(p),
            p => g.2.push(p),
        }
        if g.1.len() + g.2.len() >= GROUP_ENCODE {
            self.encode_group(i);
        }
    }

    fn encode_withdrawals(&mut self) {
        if self.withdraw_v4.is_empty() && self.withdraw_v6.is_empty() {
            return;
        }
        let mut u = Update {
            withdrawn: mem::take(&mut self.withdraw_v4),
            attributes: PathAttributes {
                mp_unreach: (!self.withdraw_v6.is_empty()).then(|| MpUnreach {
                    afi: Afi::Ipv6,
                    safi: Safi::Unicast,
                    withdrawn: mem::take(&mut self.withdraw_v6),
                }),
                ..Default::default()
            },
            ..Default::default()
        };
        let _ = wire::encode_update_packed(&u, &self.up.ctx, &mut self.out);
        u.withdrawn.clear();
        self.withdraw_v4 = u.withdrawn;
        self.written();
    }

    fn encode_group(&mut self, i: usize) {
        let (attrs, v4, v6) = &mut self.groups[i];
        let (ctx, out) = (&self.up.ctx, &mut self.out);
        match attrs.next_hop {
            Some(IpAddr::V4(nh)) if !v4.is_empty() => {
                let mut u = Update {
                    nlri: mem::take(v4),
                    attributes: PathAttributes {
                        next_hop: Some(nh),
                        ..attrs.to_wire()
                    },
                    ..Default::default()
                };
                let _ = wire::encode_update_packed(&u, ctx, out);
                u.nlri.clear();
                *v4 = u.nlri;
            }
            Some(nh @ IpAddr::V6(_)) if !v6.is_empty() => {
                let u = Update {
                    attributes: PathAttributes {
                        mp_reach: Some(MpReach {
                            afi: Afi::Ipv6,
                            safi: Safi::Unicast,
                            next_hop: nh,
                            link_local_next_hop: None,
                            nlri: mem::take(v6),
                        }),
                        ..attrs.to_wire()
                    },
                    ..Default::default()
                };
                let _ = wire::encode_update_packed(&u, ctx, out);
            }
            _ => {}
        }
        // Prefixes the next hop cannot carry were never exported with it; drop any left.
        v4.clear();
        v6.clear();
        self.written();
    }

    /// Hands the encoded bytes to the writer once there are enough.
    fn written(&mut self) {
        if self.out.len() >= WRITE_CHUNK {
            self.up.out.send(mem::take(&mut self.out));
            self.stopped |= self.up.out.queued() >= QUEUE_HIGH;
        }
    }

    /// Encodes and sends the rest (and End-of-RIB markers); whether anything changed.
    fn finish(mut self, end_of_rib: bool) -> bool {
        self.encode_withdrawals();
        for i in 0..self.groups.len() {
            self.encode_group(i);
        }
        if end_of_rib {
            for f in &self.up.families {
                let u = match *f {
                    Family::IPV4_UNICAST => Update::default(),
                    Family::IPV6_UNICAST => Update {
                        attributes: PathAttributes {
                            mp_unreach: Some(MpUnreach {
                                afi: Afi::Ipv6,
                                safi: Safi::Unicast,
                                withdrawn: Vec::new(),
                            }),
                            ..Default::default()
                        },
                        ..Default::default()
                    },
                    _ => continue,
                };
                let _ = wire::encode(&wire::Message::Update(u), &self.up.ctx, &mut self.out);
            }
        }
        if !self.out.is_empty() {
            self.up.out.send(mem::take(&mut self.out));
        }
        self.sent
    }
}

/// Asks the peer to send its routes again (RFC 2918), for every negotiated family.
pub(super) fn request_refresh(up: &Up) {
    let mut out = Vec::new();
    for f in &up.families {
        let rr = wire::RouteRefresh {
            afi: Afi::from(f.afi),
            safi: Safi::from(f.safi),
        };
        let _ = wire::encode(&wire::Message::RouteRefresh(rr), &up.ctx, &mut out);
    }
    up.out.send(out);
}
