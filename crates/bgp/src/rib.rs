//! RIBs and the decision process, as plain data (no IO), owned by the speaker task.
//!
//! - A route's attributes live once in an `Arc<RouteAttrs>` shared by every prefix of the
//!   UPDATE that carried them. Export creates one transformed `Arc` per (attribute set, peer),
//!   so the Adj-RIB-Out groups prefixes by pointer and packs them into few UPDATEs.
//! - [`LocRib`] holds every accepted path per prefix (a source id and that `Arc`, 16 bytes),
//!   the best one first, chosen by [`select_best`] (RFC 4271 §9.1.2, local routes first). A
//!   peer's paths there are its Adj-RIB-In after import policy: stored once, not twice.
//! - [`export`] applies the RFC 4271 advertisement rules toward one peer.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use crate::wire::{
    Aggregator, AsPath, IpNet, LargeCommunity, Origin, PathAttributes, RawAttribute, SegmentKind,
};

/// LOCAL_PREF assumed when a route has none (RFC 4271 leaves it to the operator; 100 is what
/// every common implementation uses).
pub const DEFAULT_LOCAL_PREF: u32 = 100;

/// The path attributes of a route, with its next hop in whatever family the NLRI needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteAttrs {
    pub origin: Origin,
    pub as_path: AsPath,
    /// `None` only for local routes without an override: "this speaker".
    pub next_hop: Option<IpAddr>,
    pub med: Option<u32>,
    pub local_pref: Option<u32>,
    pub atomic_aggregate: bool,
    pub aggregator: Option<Aggregator>,
    pub communities: Vec<u32>,
    pub large_communities: Vec<LargeCommunity>,
    /// Unrecognised optional transitive attributes, passed on (the encoder sets Partial).
    pub unknown: Vec<RawAttribute>,
}

impl RouteAttrs {
    /// Attributes of a received UPDATE; `next_hop` from NEXT_HOP (IPv4 NLRI) or MP_REACH.
    /// A missing ORIGIN or AS_PATH (which the decoder lets through only without NLRI) becomes
    /// INCOMPLETE / empty.
    pub fn from_wire(a: &PathAttributes, next_hop: Option<IpAddr>) -> RouteAttrs {
        RouteAttrs {
            origin: a.origin.unwrap_or(Origin::Incomplete),
            as_path: a.as_path.clone().unwrap_or_default(),
            next_hop,
            med: a.med,
            local_pref: a.local_pref,
            atomic_aggregate: a.atomic_aggregate,
            aggregator: a.aggregator,
            communities: a.communities.clone(),
            large_communities: a.large_communities.clone(),
            unknown: a.unknown.clone(),
        }
    }

    /// The attributes to encode, without NLRI or next hop (the caller places those).
    pub fn to_wire(&self) -> PathAttributes {
        PathAttributes {
            origin: Some(self.origin),
            as_path: Some(self.as_path.clone()),
            next_hop: None,
            med: self.med,
            local_pref: self.local_pref,
            atomic_aggregate: self.atomic_aggregate,
            aggregator: self.aggregator,
            communities: self.communities.clone(),
            large_communities: self.large_communities.clone(),
            mp_reach: None,
            mp_unreach: None,
            unknown: self.unknown.clone(),
        }
    }

    pub fn local_pref_or_default(&self) -> u32 {
        self.local_pref.unwrap_or(DEFAULT_LOCAL_PREF)
    }
}

/// ASNs of a path in order, nearest first, sets flattened in place (for display).
pub fn flat_as_path(p: &AsPath) -> Vec<u32> {
    p.segments
        .iter()
        .flat_map(|s| s.asns.iter().copied())
        .collect()
}

/// Where a path came from, as far as the decision process cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Source {
    /// `None`: announced locally.
    pub peer: Option<IpAddr>,
    /// The BGP identifier of the router that sent it (ours for local routes).
    pub bgp_id: Ipv4Addr,
    pub ebgp: bool,
}

impl Source {
    pub fn local(router_id: Ipv4Addr) -> Source {
        Source {
            peer: None,
            bgp_id: router_id,
            ebgp: false,
        }
    }

    pub fn is_local(&self) -> bool {
        self.peer.is_none()
    }
}

/// A [`Source`] registered in a [`LocRib`]; paths carry this small id instead of the source.
pub type SourceId = u32;

/// The source of locally announced routes, registered by [`LocRib::new`].
pub const LOCAL: SourceId = 0;

/// One candidate route for a prefix: 16 bytes, so a million of them stay small.
#[derive(Clone, Debug)]
pub struct Path {
    pub source: SourceId,
    pub attrs: Arc<RouteAttrs>,
}

/// The neighbouring AS a MED is comparable within (RFC 4271 §9.1.2.2 c): the first AS of the
/// path; local routes and empty paths have none and form their own group.
fn neighbour_as(p: &Path) -> Option<u32> {
    p.attrs.as_path.first_asn()
}

/// A missing MED counts as the lowest (RFC 4271 §9.1.2.2 c).
fn med(p: &Path) -> u32 {
    p.attrs.med.unwrap_or(0)
}

/// The tie-breaks after MED: eBGP over iBGP, lowest BGP identifier, lowest peer address.
fn tie_break(a: &Source, b: &Source) -> Ordering {
    b.ebgp
        .cmp(&a.ebgp)
        .then(u32::from(a.bgp_id).cmp(&u32::from(b.bgp_id)))
        .then(a.peer.cmp(&b.peer))
}

/// The index of the best path (RFC 4271 §9.1.2): a local route if there is one, then highest
/// LOCAL_PREF, shortest AS_PATH, lowest ORIGIN, lowest MED among paths from the same
/// neighbouring AS, eBGP over iBGP, lowest BGP identifier, lowest peer address. MED is not
/// comparable across neighbouring ASes, so its step removes every path beaten by one from the
/// same AS (the RFC's elimination procedure) instead of sorting.
pub fn select_best(paths: &[&Path], source: impl Fn(SourceId) -> Source) -> Option<usize> {
    match paths.len() {
        0 => return None,
        1 => return Some(0),
        _ => {}
    }
    if let Some(i) = paths.iter().position(|p| p.source == LOCAL) {
        return Some(i);
    }
    let mut cand: Vec<usize> = (0..paths.len()).collect();
    let keep_max = |cand: &mut Vec<usize>, key: &dyn Fn(&Path) -> i64| {
        let best = cand.iter().map(|&i| key(paths[i])).max().unwrap_or(0);
        cand.retain(|&i| key(paths[i]) == best);
    };
    keep_max(&mut cand, &|p| i64::from(p.attrs.local_pref_or_default()));
    keep_max(&mut cand, &|p| -(p.attrs.as_path.len() as i64));
    keep_max(&mut cand, &|p| -(p.attrs.origin as i64));
    if cand.len() > 1 {
        let snapshot = cand.clone();
        cand.retain(|&i| {
            !snapshot.iter().any(|&j| {
                neighbour_as(paths[j]) == neighbour_as(paths[i]) && med(paths[j]) < med(paths[i])
            })
        });
    }
    cand.into_iter()
        .min_by(|&a, &b| tie_break(&source(paths[a].source), &source(paths[b].source)))
}

/// All paths of one prefix, the best one first. The others sit behind one optional pointer,
/// which costs 8 bytes while empty (the common case: one path per prefix); a prefix is 24
/// bytes plus its key.
#[derive(Clone, Debug)]
struct Dest {
    best: Path,
    // Boxed: a thin pointer, 8 bytes in every prefix instead of a `Vec`'s 24.
    #[allow(clippy::box_collection)]
    others: Option<Box<Vec<Path>>>,
}

impl Dest {
    fn new(best: Path) -> Dest {
        Dest { best, others: None }
    }

    fn others(&self) -> &[Path] {
        self.others.as_deref().map_or(&[], Vec::as_slice)
    }

    fn all(&self) -> impl Iterator<Item = &Path> {
        std::iter::once(&self.best).chain(self.others().iter())
    }

    /// Drops the `others` allocation once it is empty.
    fn tidy(&mut self) {
        if self.others.as_ref().is_some_and(|o| o.is_empty()) {
            self.others = None;
        }
    }

    /// Moves the winner of the decision process to the front.
    fn reselect(&mut self, sources: &[Option<Source>]) {
        let Some(others) = self.others.as_deref_mut() else {
            return;
        };
        let all: Vec<&Path> = std::iter::once(&self.best).chain(others.iter()).collect();
        let i = select_best(&all, |id| source_of(sources, id)).unwrap_or(0);
        if i > 0 {
            std::mem::swap(&mut self.best, &mut others[i - 1]);
        }
    }

    /// Takes the path of `source` away; `None` if it had none, else `(best changed, empty)`.
    fn remove(&mut self, source: SourceId, sources: &[Option<Source>]) -> Option<(bool, bool)> {
        if self.best.source == source {
            let Some(mut others) = self.others.take() else {
                return Some((true, true));
            };
            self.best = others.swap_remove(0);
            self.others = Some(others);
            self.tidy();
            self.reselect(sources);
            return Some((true, false));
        }
        let others = self.others.as_deref_mut()?;
        let i = others.iter().position(|p| p.source == source)?;
        others.swap_remove(i);
        self.tidy();
        Some((false, false))
    }
}

fn source_of(sources: &[Option<Source>], id: SourceId) -> Source {
    sources
        .get(id as usize)
        .copied()
        .flatten()
        .unwrap_or(Source {
            peer: None,
            bgp_id: Ipv4Addr::BROADCAST,
            ebgp: false,
        })
}

/// What [`LocRib::upsert`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Upserted {
    /// The source had no path for the prefix before.
    pub new: bool,
    /// The best path changed (a new best, or new attributes on the best).
    pub best_changed: bool,
}

/// A prefix whose best path changed since the last [`LocRib::take_changes`]: what it was
/// then and what it is now. Exports are computed from these, so no per-peer copy of the
/// advertised routes is needed and a flush looks nothing up.
#[derive(Clone, Debug)]
pub struct Change {
    pub prefix: IpNet,
    pub old: Option<Path>,
    pub new: Option<Path>,
}

/// Appends one change per run of equal keys in `keys` (sorted (key, index into `c`)): the
/// first `old`, the last `new`, unless they are the same path.
fn merge_runs<K: PartialEq>(c: &mut [Change], keys: &[(K, u32)], out: &mut Vec<Change>) {
    for run in keys.chunk_by(|a, b| a.0 == b.0) {
        let (first, last) = (run[0].1 as usize, run[run.len() - 1].1 as usize);
        let old = c[first].old.take();
        let new = c[last].new.take();
        if !same_path(&old, &new) {
            out.push(Change {
                prefix: c[first].prefix,
                old,
                new,
            });
        }
    }
}

fn same_path(a: &Option<Path>, b: &Option<Path>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a.source == b.source && Arc::ptr_eq(&a.attrs, &b.attrs),
        _ => false,
    }
}

/// The hasher of the RIB tables: one folded multiply per word, seeded per process. Keys are
/// a few words, and SipHash cost more than the table lookups themselves.
#[derive(Clone)]
struct FoldState(u64);

impl FoldState {
    fn random() -> FoldState {
        use std::hash::BuildHasher;
        FoldState(std::collections::hash_map::RandomState::new().hash_one(0x5eed_u64) | 1)
    }
}

struct FoldHasher(u64);

const FOLD_K: u64 = 0x9e37_79b9_7f4a_7c15;

impl std::hash::BuildHasher for FoldState {
    type Hasher = FoldHasher;
    fn build_hasher(&self) -> FoldHasher {
        FoldHasher(self.0)
    }
}

impl std::hash::Hasher for FoldHasher {
    fn write(&mut self, bytes: &[u8]) {
        for c in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..c.len()].copy_from_slice(c);
            self.write_u64(u64::from_le_bytes(w));
        }
    }

    fn write_u8(&mut self, x: u8) {
        self.write_u64(x.into());
    }

    fn write_u64(&mut self, x: u64) {
        let p = u128::from(self.0 ^ x) * u128::from(FOLD_K);
        self.0 = (p as u64) ^ ((p >> 64) as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// An IPv4 prefix as a table key: 8 bytes, hashed as one word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct V4Key(u32, u8);

impl std::hash::Hash for V4Key {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        h.write_u64((u64::from(self.0) << 8) | u64::from(self.1));
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct V6Key([u8; 16], u8);

impl std::hash::Hash for V6Key {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        let (hi, lo) = self.0.split_at(8);
        h.write_u64(u64::from_le_bytes(hi.try_into().unwrap_or_default()));
        h.write_u64(u64::from_le_bytes(lo.try_into().unwrap_or_default()) ^ u64::from(self.1));
    }
}

trait Key: std::hash::Hash + Eq + Copy {
    fn net(self) -> IpNet;
}

impl Key for V4Key {
    fn net(self) -> IpNet {
        IpNet::V4(ipnet::Ipv4Net::new_assert(self.0.into(), self.1))
    }
}

impl Key for V6Key {
    fn net(self) -> IpNet {
        IpNet::V6(ipnet::Ipv6Net::new_assert(self.0.into(), self.1))
    }
}

/// Number of sub-tables: each grows on its own, so a resize copies 1/64 of the table and the
/// peak memory stays near the table's size instead of 1.5 times it.
const SHARDS: usize = 64;

/// A best path before and after a change.
type Best = (Option<Path>, Option<Path>);

struct Table<K> {
    shards: Vec<HashMap<K, Dest, FoldState>>,
    /// Picks the shard; seeded apart from the shards' hasher, whose bits they use.
    pick: FoldState,
    len: usize,
}

impl<K: Key> Table<K> {
    fn new() -> Table<K> {
        let state = FoldState::random();
        Table {
            shards: (0..SHARDS)
                .map(|_| HashMap::with_hasher(state.clone()))
                .collect(),
            pick: FoldState::random(),
            len: 0,
        }
    }

    fn shard(&self, k: &K) -> usize {
        use std::hash::BuildHasher;
        (self.pick.hash_one(k) >> 58) as usize % SHARDS
    }

    fn get(&self, k: &K) -> Option<&Dest> {
        self.shards[self.shard(k)].get(k)
    }

    fn iter(&self) -> impl Iterator<Item = (IpNet, &Dest)> {
        self.shards
            .iter()
            .flat_map(|s| s.iter().map(|(k, d)| (k.net(), d)))
    }

    /// Adds or replaces the path of `path.source`; with the old and new best when it changed.
    fn upsert(&mut self, k: K, path: Path, sources: &[Option<Source>]) -> (Upserted, Option<Best>) {
        use std::collections::hash_map::Entry;
        let i = self.shard(&k);
        let d = match self.shards[i].entry(k) {
            Entry::Vacant(v) => {
                let new = path.clone();
                v.insert(Dest::new(path));
                self.len += 1;
                let up = Upserted {
                    new: true,
                    best_changed: true,
                };
                return (up, Some((None, Some(new))));
            }
            Entry::Occupied(o) => o.into_mut(),
        };
        let old = d.best.clone();
        let mut new = false;
        if d.best.source == path.source {
            d.best = path;
        } else if let Some(p) = d
            .others
            .as_deref_mut()
            .and_then(|o| o.iter_mut().find(|p| p.source == path.source))
        {
            *p = path;
        } else {
            d.others.get_or_insert_with(Default::default).push(path);
            new = true;
        }
        d.reselect(sources);
        let best_changed = old.source != d.best.source || !Arc::ptr_eq(&old.attrs, &d.best.attrs);
        let change = best_changed.then(|| (Some(old), Some(d.best.clone())));
        (Upserted { new, best_changed }, change)
    }

    /// Removes the path of `source`: `None` if there was none, else the old and new best if
    /// the best changed.
    fn remove(
        &mut self,
        k: &K,
        source: SourceId,
        sources: &[Option<Source>],
    ) -> Option<Option<Best>> {
        let i = self.shard(k);
        let d = self.shards[i].get_mut(k)?;
        let old = d.best.clone();
        let (changed, empty) = d.remove(source, sources)?;
        let new = (!empty).then(|| d.best.clone());
        if empty {
            self.shards[i].remove(k);
            self.len -= 1;
        }
        Some(changed.then_some((Some(old), new)))
    }

    /// Removes every path of `id`; calls `changed(prefix, old best, new best)` where the best
    /// path changed.
    fn remove_source(
        &mut self,
        id: SourceId,
        sources: &[Option<Source>],
        mut changed: impl FnMut(IpNet, Path, Option<&Path>),
    ) {
        for shard in &mut self.shards {
            shard.retain(|k, d| {
                let old = d.best.clone();
                match d.remove(id, sources) {
                    Some((true, empty)) => {
                        changed(k.net(), old, (!empty).then_some(&d.best));
                        !empty
                    }
                    _ => true,
                }
            });
        }
        self.len = self.shards.iter().map(HashMap::len).sum();
    }

    fn shrink_if_sparse(&mut self) {
        for s in &mut self.shards {
            if s.capacity() > 64 && s.len() < s.capacity() / 4 {
                s.shrink_to_fit();
            }
        }
    }
}

/// The Loc-RIB: every accepted path per prefix with the best one selected. A peer's paths
/// here are its Adj-RIB-In (after import policy); they are stored once. Best-path changes
/// are recorded until [`LocRib::take_changes`].
pub struct LocRib {
    v4: Table<V4Key>,
    v6: Table<V6Key>,
    /// Indexed by [`SourceId`]; `None` marks a free id.
    sources: Vec<Option<Source>>,
    /// Removed sources whose ids are freed at the next [`LocRib::take_changes`]: the
    /// recorded changes still name them.
    retired: Vec<SourceId>,
    changes: Vec<Change>,
}

impl std::fmt::Debug for LocRib {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocRib")
            .field("len", &self.len())
            .field("sources", &self.sources)
            .finish_non_exhaustive()
    }
}

fn v4_key(p: &ipnet::Ipv4Net) -> V4Key {
    V4Key(p.addr().into(), p.prefix_len())
}

fn v6_key(p: &ipnet::Ipv6Net) -> V6Key {
    V6Key(p.addr().octets(), p.prefix_len())
}

impl LocRib {
    /// A Loc-RIB whose local routes carry `router_id` as their BGP identifier.
    pub fn new(router_id: Ipv4Addr) -> LocRib {
        LocRib {
            v4: Table::new(),
            v6: Table::new(),
            sources: vec![Some(Source::local(router_id))],
            retired: Vec::new(),
            changes: Vec::new(),
        }
    }

    /// Registers a source (a peer for one Established session).
    pub fn add_source(&mut self, s: Source) -> SourceId {
        match self.sources.iter().skip(1).position(Option::is_none) {
            Some(i) => {
                self.sources[i + 1] = Some(s);
                (i + 1) as SourceId
            }
            None => {
                self.sources.push(Some(s));
                (self.sources.len() - 1) as SourceId
            }
        }
    }

    pub fn source(&self, id: SourceId) -> Source {
        source_of(&self.sources, id)
    }

    /// Removes every path of `id` (recording the changes); the id is freed at the next
    /// [`LocRib::take_changes`].
    pub fn remove_source(&mut self, id: SourceId) {
        if id == LOCAL || self.retired.contains(&id) {
            return;
        }
        let changes = &mut self.changes;
        let mut record = |prefix, old: Path, new: Option<&Path>| {
            changes.push(Change {
                prefix,
                old: Some(old),
                new: new.cloned(),
            })
        };
        self.v4.remove_source(id, &self.sources, &mut record);
        self.v6.remove_source(id, &self.sources, &mut record);
        self.retired.push(id);
    }

    /// Gives memory back after most prefixes went away (tables keep their peak size).
    pub fn shrink_if_sparse(&mut self) {
        self.v4.shrink_if_sparse();
        self.v6.shrink_if_sparse();
    }

    /// Number of prefixes with at least one path.
    pub fn len(&self) -> usize {
        self.v4.len + self.v6.len
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds `path`, replacing the earlier path from the same source.
    pub fn upsert(&mut self, prefix: IpNet, path: Path) -> Upserted {
        let (up, change) = match &prefix {
            IpNet::V4(p) => self.v4.upsert(v4_key(p), path, &self.sources),
            IpNet::V6(p) => self.v6.upsert(v6_key(p), path, &self.sources),
        };
        if let Some((old, new)) = change {
            self.changes.push(Change { prefix, old, new });
        }
        up
    }

    /// Removes the path of `source` for `prefix`: `None` if there was none, else whether the
    /// best path changed (including: no path left).
    pub fn remove(&mut self, prefix: &IpNet, source: SourceId) -> Option<bool> {
        let change = match prefix {
            IpNet::V4(p) => self.v4.remove(&v4_key(p), source, &self.sources),
            IpNet::V6(p) => self.v6.remove(&v6_key(p), source, &self.sources),
        }?;
        let Some((old, new)) = change else {
            return Some(false);
        };
        self.changes.push(Change {
            prefix: *prefix,
            old,
            new,
        });
        Some(true)
    }

    /// Prefixes whose best path changed since the last call, once each, ordered by prefix
    /// (a change undone in between is left out). Frees the ids of removed sources.
    pub fn take_changes(&mut self) -> Vec<Change> {
        for id in self.retired.drain(..) {
            if let Some(slot) = self.sources.get_mut(id as usize) {
                *slot = None;
            }
        }
        let mut c = std::mem::take(&mut self.changes);
        // Sorted by (prefix, position): a prefix changed several times keeps its first `old`
        // and its last `new`. Sorting small keys beats moving the changes around; IPv4
        // prefixes as one integer compare fastest.
        let mut v4: Vec<(u64, u32)> = Vec::with_capacity(c.len());
        let mut v6: Vec<(IpNet, u32)> = Vec::new();
        for (i, x) in c.iter().enumerate() {
            match &x.prefix {
                IpNet::V4(p) => {
                    let k = (u64::from(u32::from(p.addr())) << 8) | u64::from(p.prefix_len());
                    v4.push((k, i as u32));
                }
                p => v6.push((*p, i as u32)),
            }
        }
        v4.sort_unstable();
        v6.sort_unstable();
        let mut out = Vec::with_capacity(c.len());
        merge_runs(&mut c, &v4, &mut out);
        merge_runs(&mut c, &v6, &mut out);
        out
    }

    /// How many changes are recorded (with repeats).
    pub fn pending_changes(&self) -> usize {
        self.changes.len()
    }

    fn dest(&self, prefix: &IpNet) -> Option<&Dest> {
        match prefix {
            IpNet::V4(p) => self.v4.get(&v4_key(p)),
            IpNet::V6(p) => self.v6.get(&v6_key(p)),
        }
    }

    pub fn best(&self, prefix: &IpNet) -> Option<&Path> {
        self.dest(prefix).map(|d| &d.best)
    }

    /// The path of `source` for `prefix`, if any.
    pub fn path_of(&self, prefix: &IpNet, source: SourceId) -> Option<&Path> {
        self.dest(prefix)
            .and_then(|d| d.all().find(|p| p.source == source))
    }

    /// Every path of `prefix`, with whether it is the best.
    pub fn paths(&self, prefix: &IpNet) -> impl Iterator<Item = (&Path, bool)> {
        self.dest(prefix)
            .into_iter()
            .flat_map(|d| d.all().enumerate().map(|(i, p)| (p, i == 0)))
    }

    fn dests(&self) -> impl Iterator<Item = (IpNet, &Dest)> {
        self.v4.iter().chain(self.v6.iter())
    }

    /// Every prefix with its best path.
    pub fn iter_best(&self) -> impl Iterator<Item = (IpNet, &Path)> {
        self.dests().map(|(k, d)| (k, &d.best))
    }

    /// Every path of every prefix, with whether it is the best.
    pub fn iter_all(&self) -> impl Iterator<Item = (IpNet, &Path, bool)> {
        self.dests()
            .flat_map(|(k, d)| d.all().enumerate().map(move |(i, p)| (k, p, i == 0)))
    }

    /// The paths of one source (its Adj-RIB-In), with whether each is the best.
    pub fn iter_source(&self, id: SourceId) -> impl Iterator<Item = (IpNet, &Path, bool)> {
        self.iter_all().filter(move |(_, p, _)| p.source == id)
    }
}

/// Shrinks a table holding less than a quarter of its capacity (and more than a trifle).
pub fn shrink_if_sparse<K: std::hash::Hash + Eq, V>(map: &mut HashMap<K, V>) {
    if map.capacity() > 4096 && map.len() < map.capacity() / 4 {
        map.shrink_to_fit();
    }
}

/// The peer a route is exported to, and what the session needs to rewrite it.
#[derive(Clone, Copy, Debug)]
pub struct ExportTarget {
    pub local_asn: u32,
    pub peer: IpAddr,
    pub ebgp: bool,
    /// Our address on the session, per family, for next-hop-self.
    pub self_v4: Option<Ipv4Addr>,
    pub self_v6: Option<Ipv6Addr>,
}

impl ExportTarget {
    fn self_for(&self, prefix: &IpNet) -> Option<IpAddr> {
        match prefix {
            IpNet::V4(_) => self.self_v4.map(IpAddr::V4),
            IpNet::V6(_) => self.self_v6.map(IpAddr::V6),
        }
    }
}

/// The attributes to advertise `path` with to `t`, or `None` when it must not go there:
/// never back to the peer it came from; no iBGP-learned route to another iBGP peer (no route
/// reflection); no route whose next hop cannot be expressed in the prefix's family.
///
/// Toward eBGP: our AS prepended, next hop self (or the local route's override), no
/// LOCAL_PREF, MED only on our own routes (RFC 4271 §5.1.4). Toward iBGP: LOCAL_PREF set,
/// learned next hops kept. Prefix-list policy is the caller's job.
pub fn export(prefix: &IpNet, path: &Path, src: &Source, t: &ExportTarget) -> Option<RouteAttrs> {
    if src.peer == Some(t.peer) || (!t.ebgp && !src.ebgp && !src.is_local()) {
        return None;
    }
    let a = &path.attrs;
    let mut out = RouteAttrs::clone(a);
    let family_ok = |nh: &IpAddr| nh.is_ipv4() == matches!(prefix, IpNet::V4(_));
    if t.ebgp {
        out.as_path.prepend(t.local_asn);
        out.local_pref = None;
        if !src.is_local() {
            out.med = None;
        }
        out.next_hop = match a.next_hop {
            Some(nh) if src.is_local() && family_ok(&nh) => Some(nh),
            _ => t.self_for(prefix),
        };
    } else {
        out.local_pref = Some(a.local_pref_or_default());
        out.next_hop = match a.next_hop {
            Some(nh) if family_ok(&nh) => Some(nh),
            _ => t.self_for(prefix),
        };
    }
    out.next_hop.filter(family_ok)?;
    Some(out)
}

/// Whether a received AS_PATH shows a loop through `asn` (RFC 4271 §9.1.2).
pub fn has_loop(p: &AsPath, asn: u32) -> bool {
    p.segments.iter().any(|s| {
        matches!(s.kind, SegmentKind::Sequence | SegmentKind::Set) && s.asns.contains(&asn)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::AsPathSegment;

    fn attrs(f: impl FnOnce(&mut RouteAttrs)) -> Arc<RouteAttrs> {
        let mut a = RouteAttrs {
            origin: Origin::Igp,
            as_path: AsPath::sequence(vec![65001]),
            next_hop: Some("192.0.2.1".parse().unwrap()),
            med: None,
            local_pref: None,
            atomic_aggregate: false,
            aggregator: None,
            communities: vec![],
            large_communities: vec![],
            unknown: vec![],
        };
        f(&mut a);
        Arc::new(a)
    }

    /// Peer `n` at 10.0.0.n with BGP id 10.0.0.n.
    fn peer(n: u8, ebgp: bool) -> Source {
        Source {
            peer: Some(IpAddr::from([10, 0, 0, n])),
            bgp_id: Ipv4Addr::new(10, 0, 0, n),
            ebgp,
        }
    }

    /// Candidates for the decision process: source id = index + 1 into `sources`.
    struct Candidates {
        sources: Vec<Source>,
        paths: Vec<Path>,
    }

    impl Candidates {
        fn new() -> Self {
            Candidates {
                sources: vec![Source::local(Ipv4Addr::new(9, 9, 9, 9))],
                paths: vec![],
            }
        }

        fn add(mut self, src: Source, f: impl FnOnce(&mut RouteAttrs)) -> Self {
            let id = if src.is_local() {
                LOCAL
            } else {
                self.sources.push(src);
                (self.sources.len() - 1) as SourceId
            };
            self.paths.push(Path {
                source: id,
                attrs: attrs(f),
            });
            self
        }

        fn best(&self) -> Option<usize> {
            let refs: Vec<&Path> = self.paths.iter().collect();
            select_best(&refs, |id| self.sources[id as usize])
        }
    }

    fn net(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    #[test]
    fn local_route_wins_over_everything() {
        let c = Candidates::new()
            .add(peer(1, true), |a| {
                a.local_pref = Some(1000);
                a.as_path = AsPath::default();
            })
            .add(Source::local(Ipv4Addr::new(9, 9, 9, 9)), |a| {
                a.as_path = AsPath::sequence(vec![1, 2, 3, 4]);
            });
        assert_eq!(c.best(), Some(1));
    }

    #[test]
    fn highest_local_pref_then_shortest_path_then_origin() {
        let lp = Candidates::new()
            .add(peer(1, false), |a| a.local_pref = Some(100))
            .add(peer(2, false), |a| {
                a.local_pref = Some(200);
                a.as_path = AsPath::sequence(vec![1, 2, 3]);
            });
        assert_eq!(lp.best(), Some(1));
        let len = Candidates::new()
            .add(peer(1, true), |a| a.as_path = AsPath::sequence(vec![1, 2]))
            .add(peer(2, true), |a| a.as_path = AsPath::sequence(vec![3]));
        assert_eq!(len.best(), Some(1));
        let origin = Candidates::new()
            .add(peer(1, true), |a| a.origin = Origin::Incomplete)
            .add(peer(2, true), |a| a.origin = Origin::Egp);
        assert_eq!(origin.best(), Some(1));
    }

    #[test]
    fn as_set_counts_one() {
        let c = Candidates::new()
            .add(peer(1, true), |a| a.as_path = AsPath::sequence(vec![1, 2]))
            .add(peer(2, true), |a| {
                a.as_path = AsPath {
                    segments: vec![
                        AsPathSegment {
                            kind: SegmentKind::Sequence,
                            asns: vec![3],
                        },
                        AsPathSegment {
                            kind: SegmentKind::Set,
                            asns: vec![4, 5, 6],
                        },
                    ],
                }
            });
        // Both length 2: the tie-break (lower id) picks the first.
        assert_eq!(c.best(), Some(0));
    }

    #[test]
    fn med_only_within_the_same_neighbour_as() {
        // Same neighbour AS: the lower MED wins even though its router id is higher.
        let same = Candidates::new()
            .add(peer(1, true), |a| a.med = Some(50))
            .add(peer(2, true), |a| a.med = Some(10));
        assert_eq!(same.best(), Some(1));
        // Different neighbour ASes: MED is ignored, the lower router id wins.
        let diff = Candidates::new()
            .add(peer(1, true), |a| a.med = Some(50))
            .add(peer(2, true), |a| {
                a.med = Some(10);
                a.as_path = AsPath::sequence(vec![65002]);
            });
        assert_eq!(diff.best(), Some(0));
        // Missing MED is the lowest.
        let missing = Candidates::new()
            .add(peer(1, true), |a| a.med = Some(1))
            .add(peer(2, true), |a| a.med = None);
        assert_eq!(missing.best(), Some(1));
    }

    #[test]
    fn med_elimination_is_not_a_sort() {
        // A (AS1, MED 10, id 3), B (AS1, MED 20, id 1), C (AS2, id 2): A eliminates B, then
        // C (id 2) beats A (id 3); B, the lowest id, must not come back.
        let c = Candidates::new()
            .add(peer(3, true), |a| a.med = Some(10))
            .add(peer(1, true), |a| a.med = Some(20))
            .add(peer(2, true), |a| a.as_path = AsPath::sequence(vec![65002]));
        assert_eq!(c.best(), Some(2));
    }

    #[test]
    fn ebgp_over_ibgp_then_lowest_id_then_lowest_address() {
        let c = Candidates::new()
            .add(peer(1, false), |_| {})
            .add(peer(2, true), |_| {});
        assert_eq!(c.best(), Some(1));
        let ids = Candidates::new()
            .add(peer(5, true), |_| {})
            .add(peer(4, true), |_| {});
        assert_eq!(ids.best(), Some(1));
        let mut same_id = Candidates::new()
            .add(peer(5, true), |_| {})
            .add(peer(4, true), |_| {});
        same_id.sources[2].bgp_id = same_id.sources[1].bgp_id;
        same_id.sources[1].peer = Some("10.0.0.9".parse().unwrap());
        assert_eq!(same_id.best(), Some(1));
    }

    #[test]
    fn loc_rib_reports_best_changes() {
        let mut rib = LocRib::new(Ipv4Addr::new(9, 9, 9, 9));
        let (s1, s2, s3) = (
            rib.add_source(peer(1, true)),
            rib.add_source(peer(2, true)),
            rib.add_source(peer(3, true)),
        );
        let path = |source, f: fn(&mut RouteAttrs)| Path {
            source,
            attrs: attrs(f),
        };
        let p = net("10.1.0.0/16");
        let up = rib.upsert(p, path(s2, |_| {}));
        assert!(up.new && up.best_changed);
        // A worse path does not change the best.
        let up = rib.upsert(p, path(s1, |a| a.as_path = AsPath::sequence(vec![1, 2])));
        assert!(up.new && !up.best_changed);
        assert_eq!(rib.paths(&p).count(), 2);
        // Replacing the worse path with a better one does.
        let up = rib.upsert(p, path(s1, |_| {}));
        assert!(!up.new && up.best_changed);
        assert_eq!(rib.best(&p).unwrap().source, s1);
        // New attributes on the best path are a change.
        assert!(
            rib.upsert(p, path(s1, |a| a.communities = vec![5]))
                .best_changed
        );
        assert_eq!(rib.path_of(&p, s2).unwrap().source, s2);
        assert!(rib.path_of(&p, s3).is_none());
        // Removing a path that is not there, or not the best.
        assert_eq!(rib.remove(&p, s3), None);
        assert_eq!(rib.iter_source(s2).count(), 1);
        assert_eq!(rib.remove(&p, s1), Some(true));
        assert_eq!(rib.best(&p).unwrap().source, s2);
        assert_eq!(rib.remove(&p, s2), Some(true));
        assert!(rib.is_empty());
        assert_eq!(rib.remove(&p, s2), None);
    }

    #[test]
    fn removing_a_source_drops_its_paths_and_reuses_the_id() {
        let mut rib = LocRib::new(Ipv4Addr::new(9, 9, 9, 9));
        let (s1, s2) = (rib.add_source(peer(1, true)), rib.add_source(peer(2, true)));
        let path = |source| Path {
            source,
            attrs: attrs(|_| {}),
        };
        rib.upsert(net("10.1.0.0/16"), path(s1));
        rib.upsert(net("10.2.0.0/16"), path(s1));
        rib.upsert(net("10.2.0.0/16"), path(s2));
        rib.upsert(net("10.3.0.0/16"), path(s2));
        rib.take_changes();
        rib.remove_source(s1);
        // The id stays taken (and its source known) while changes still name it.
        assert_ne!(rib.add_source(peer(8, true)), s1);
        assert_eq!(rib.source(s1).peer, peer(1, true).peer);
        let changes = rib.take_changes();
        let changed: Vec<IpNet> = changes.iter().map(|c| c.prefix).collect();
        // 10.1 is gone, 10.2 falls back to s2; 10.3 never involved s1.
        assert_eq!(changed, vec![net("10.1.0.0/16"), net("10.2.0.0/16")]);
        assert!(changes[0].new.is_none());
        assert_eq!(changes[0].old.as_ref().unwrap().source, s1);
        assert_eq!(changes[1].new.as_ref().unwrap().source, s2);
        assert_eq!(rib.len(), 2);
        assert_eq!(rib.best(&net("10.2.0.0/16")).unwrap().source, s2);
        assert_eq!(rib.add_source(peer(7, true)), s1);
        assert_eq!(rib.source(s1).peer, peer(7, true).peer);
    }

    #[test]
    fn changes_keep_the_first_old_and_the_last_new_best() {
        let mut rib = LocRib::new(Ipv4Addr::new(9, 9, 9, 9));
        let (s1, s2) = (rib.add_source(peer(1, true)), rib.add_source(peer(2, true)));
        let path = |source| Path {
            source,
            attrs: attrs(|_| {}),
        };
        let (p, q, r) = (net("10.1.0.0/16"), net("10.2.0.0/16"), net("2001:db8::/32"));
        rib.upsert(q, path(s2));
        rib.take_changes();
        // p: added then withdrawn again (no change left); q: s2 -> s1 -> s2 with new
        // attributes; r: added from two sources (one change, from nothing).
        rib.upsert(p, path(s1));
        rib.remove(&p, s1);
        rib.upsert(q, path(s1));
        let last = path(s2);
        rib.upsert(q, last.clone());
        rib.remove(&q, s1);
        rib.upsert(r, path(s2));
        rib.upsert(r, path(s1));
        assert!(rib.pending_changes() >= 5);
        let c = rib.take_changes();
        assert_eq!(c.len(), 2, "{c:?}");
        assert_eq!(c[0].prefix, q);
        assert_eq!(c[0].old.as_ref().unwrap().source, s2);
        assert!(Arc::ptr_eq(&c[0].new.as_ref().unwrap().attrs, &last.attrs));
        assert_eq!(c[1].prefix, r);
        assert!(c[1].old.is_none());
        assert_eq!(rib.paths(&r).count(), 2);
        assert!(rib.take_changes().is_empty());
        // Many prefixes over every shard come back, each once.
        for i in 0..5000u32 {
            let p = IpNet::V4(ipnet::Ipv4Net::new((i << 8).into(), 24).unwrap());
            rib.upsert(p, path(s1));
        }
        assert_eq!(rib.len(), 5002);
        assert_eq!(rib.iter_best().count(), 5002);
        assert_eq!(rib.take_changes().len(), 5000);
        rib.remove_source(s1);
        assert_eq!(rib.take_changes().len(), 5001);
        assert_eq!(rib.len(), 2);
    }

    fn target(ebgp: bool) -> ExportTarget {
        ExportTarget {
            local_asn: 4200000001,
            peer: "10.0.0.7".parse().unwrap(),
            ebgp,
            self_v4: Some(Ipv4Addr::new(169, 254, 0, 6)),
            self_v6: None,
        }
    }

    fn learned(f: impl FnOnce(&mut RouteAttrs)) -> Path {
        Path {
            source: 1,
            attrs: attrs(f),
        }
    }

    #[test]
    fn export_to_ebgp_prepends_sets_next_hop_self_strips_local_pref_and_med() {
        let p = learned(|a| {
            a.local_pref = Some(300);
            a.med = Some(7);
            a.communities = vec![0xfde8_0001];
        });
        let out = export(&net("10.1.0.0/16"), &p, &peer(1, true), &target(true)).unwrap();
        assert_eq!(flat_as_path(&out.as_path), vec![4200000001, 65001]);
        assert_eq!(out.next_hop, Some("169.254.0.6".parse().unwrap()));
        assert_eq!(out.local_pref, None);
        assert_eq!(out.med, None);
        assert_eq!(out.communities, vec![0xfde8_0001]);
    }

    #[test]
    fn export_local_route_keeps_med_and_override() {
        let local = Source::local(Ipv4Addr::new(1, 1, 1, 1));
        let mut p = Path {
            source: LOCAL,
            attrs: attrs(|a| {
                a.as_path = AsPath::default();
                a.med = Some(7);
                a.next_hop = Some("192.0.2.55".parse().unwrap());
            }),
        };
        let out = export(&net("10.1.0.0/16"), &p, &local, &target(true)).unwrap();
        assert_eq!(flat_as_path(&out.as_path), vec![4200000001]);
        assert_eq!(out.med, Some(7));
        assert_eq!(out.next_hop, Some("192.0.2.55".parse().unwrap()));
        // Without override: self.
        p.attrs = attrs(|a| a.next_hop = None);
        let out = export(&net("10.1.0.0/16"), &p, &local, &target(true)).unwrap();
        assert_eq!(out.next_hop, Some("169.254.0.6".parse().unwrap()));
        // An IPv6 prefix with no IPv6 next hop on the session cannot be exported.
        assert!(export(&net("2001:db8::/32"), &p, &local, &target(true)).is_none());
    }

    #[test]
    fn export_never_back_to_the_source_nor_ibgp_to_ibgp() {
        let t = target(true);
        let mut back = peer(7, true);
        back.peer = Some(t.peer);
        let p = learned(|_| {});
        assert!(export(&net("10.1.0.0/16"), &p, &back, &t).is_none());
        assert!(export(&net("10.1.0.0/16"), &p, &peer(1, false), &target(false)).is_none());
        let out = export(&net("10.1.0.0/16"), &p, &peer(1, true), &target(false)).unwrap();
        assert_eq!(out.local_pref, Some(DEFAULT_LOCAL_PREF));
        assert_eq!(out.next_hop, Some("192.0.2.1".parse().unwrap()));
        assert_eq!(flat_as_path(&out.as_path), vec![65001]);
    }

    #[test]
    fn loop_detection() {
        assert!(has_loop(&AsPath::sequence(vec![1, 64532, 3]), 64532));
        assert!(!has_loop(&AsPath::sequence(vec![1, 3]), 64532));
    }
}
