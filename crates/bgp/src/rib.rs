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

/// All paths of one prefix, the best one first. The others sit in a boxed slice, which costs
/// nothing while empty (the common case: one path per prefix).
#[derive(Clone, Debug)]
struct Dest {
    best: Path,
    others: Box<[Path]>,
}

impl Dest {
    fn all(&self) -> impl Iterator<Item = &Path> {
        std::iter::once(&self.best).chain(self.others.iter())
    }

    /// Moves the winner of the decision process to the front.
    fn reselect(&mut self, sources: &[Option<Source>]) {
        if self.others.is_empty() {
            return;
        }
        let all: Vec<&Path> = self.all().collect();
        let i = select_best(&all, |id| source_of(sources, id)).unwrap_or(0);
        if i > 0 {
            std::mem::swap(&mut self.best, &mut self.others[i - 1]);
        }
    }

    fn id(&self) -> (SourceId, *const RouteAttrs) {
        (self.best.source, Arc::as_ptr(&self.best.attrs))
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

/// The Loc-RIB: every accepted path per prefix with the best one selected. A peer's paths
/// here are its Adj-RIB-In (after import policy); they are stored once.
#[derive(Debug)]
pub struct LocRib {
    dests: HashMap<IpNet, Dest>,
    /// Indexed by [`SourceId`]; `None` marks a free id.
    sources: Vec<Option<Source>>,
}

impl LocRib {
    /// A Loc-RIB whose local routes carry `router_id` as their BGP identifier.
    pub fn new(router_id: Ipv4Addr) -> LocRib {
        LocRib {
            dests: HashMap::new(),
            sources: vec![Some(Source::local(router_id))],
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

    /// Removes every path of `id` and frees the id; the prefixes whose best path changed are
    /// appended to `changed`.
    pub fn remove_source(&mut self, id: SourceId, changed: &mut Vec<IpNet>) {
        if id == LOCAL {
            return;
        }
        let sources = &self.sources;
        self.dests.retain(|prefix, d| {
            if d.best.source == id {
                changed.push(*prefix);
                if d.others.is_empty() {
                    return false;
                }
                let mut others = std::mem::take(&mut d.others).into_vec();
                d.best = others.swap_remove(0);
                d.others = others.into_boxed_slice();
                d.reselect(sources);
            } else if d.others.iter().any(|p| p.source == id) {
                let others: Vec<Path> = std::mem::take(&mut d.others)
                    .into_vec()
                    .into_iter()
                    .filter(|p| p.source != id)
                    .collect();
                d.others = others.into_boxed_slice();
            }
            true
        });
        if let Some(slot) = self.sources.get_mut(id as usize) {
            *slot = None;
        }
    }

    /// Gives memory back after most prefixes went away (tables keep their peak size).
    pub fn shrink_if_sparse(&mut self) {
        shrink_if_sparse(&mut self.dests);
    }

    /// Number of prefixes with at least one path.
    pub fn len(&self) -> usize {
        self.dests.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dests.is_empty()
    }

    /// Adds `path`, replacing the earlier path from the same source.
    pub fn upsert(&mut self, prefix: IpNet, path: Path) -> Upserted {
        use std::collections::hash_map::Entry;
        let d = match self.dests.entry(prefix) {
            Entry::Vacant(v) => {
                v.insert(Dest {
                    best: path,
                    others: Box::new([]),
                });
                return Upserted {
                    new: true,
                    best_changed: true,
                };
            }
            Entry::Occupied(o) => o.into_mut(),
        };
        let before = d.id();
        let mut new = false;
        if d.best.source == path.source {
            d.best = path;
        } else if let Some(p) = d.others.iter_mut().find(|p| p.source == path.source) {
            *p = path;
        } else {
            let mut others = std::mem::take(&mut d.others).into_vec();
            others.push(path);
            d.others = others.into_boxed_slice();
            new = true;
        }
        d.reselect(&self.sources);
        Upserted {
            new,
            best_changed: before != d.id(),
        }
    }

    /// Removes the path of `source` for `prefix`: `None` if there was none, else whether the
    /// best path changed (including: no path left).
    pub fn remove(&mut self, prefix: &IpNet, source: SourceId) -> Option<bool> {
        let d = self.dests.get_mut(prefix)?;
        if d.best.source == source {
            if d.others.is_empty() {
                self.dests.remove(prefix);
                return Some(true);
            }
            let mut others = std::mem::take(&mut d.others).into_vec();
            d.best = others.swap_remove(0);
            d.others = others.into_boxed_slice();
            d.reselect(&self.sources);
            return Some(true);
        }
        let i = d.others.iter().position(|p| p.source == source)?;
        let mut others = std::mem::take(&mut d.others).into_vec();
        others.swap_remove(i);
        d.others = others.into_boxed_slice();
        Some(false)
    }

    pub fn best(&self, prefix: &IpNet) -> Option<&Path> {
        self.dests.get(prefix).map(|d| &d.best)
    }

    /// The path of `source` for `prefix`, if any.
    pub fn path_of(&self, prefix: &IpNet, source: SourceId) -> Option<&Path> {
        self.dests
            .get(prefix)
            .and_then(|d| d.all().find(|p| p.source == source))
    }

    /// Every path of `prefix`, with whether it is the best.
    pub fn paths(&self, prefix: &IpNet) -> impl Iterator<Item = (&Path, bool)> {
        self.dests
            .get(prefix)
            .into_iter()
            .flat_map(|d| d.all().enumerate().map(|(i, p)| (p, i == 0)))
    }

    /// Every prefix with its best path.
    pub fn iter_best(&self) -> impl Iterator<Item = (&IpNet, &Path)> {
        self.dests.iter().map(|(k, d)| (k, &d.best))
    }

    /// Every path of every prefix, with whether it is the best.
    pub fn iter_all(&self) -> impl Iterator<Item = (&IpNet, &Path, bool)> {
        self.dests
            .iter()
            .flat_map(|(k, d)| d.all().enumerate().map(move |(i, p)| (k, p, i == 0)))
    }

    /// The paths of one source (its Adj-RIB-In), with whether each is the best.
    pub fn iter_source(&self, id: SourceId) -> impl Iterator<Item = (&IpNet, &Path, bool)> {
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
        let mut changed = Vec::new();
        rib.remove_source(s1, &mut changed);
        changed.sort();
        // 10.1 is gone, 10.2 falls back to s2; 10.3 never involved s1.
        assert_eq!(changed, vec![net("10.1.0.0/16"), net("10.2.0.0/16")]);
        assert_eq!(rib.len(), 2);
        assert_eq!(rib.best(&net("10.2.0.0/16")).unwrap().source, s2);
        assert_eq!(rib.add_source(peer(7, true)), s1);
        assert_eq!(rib.source(s1).peer, peer(7, true).peer);
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
