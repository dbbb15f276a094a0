//! RIBs and the decision process, as plain data (no IO), owned by the speaker task.
//!
//! - A route's attributes live once in an `Arc<RouteAttrs>` shared by every prefix of the
//!   UPDATE that carried them, by the Adj-RIB-In and by the Loc-RIB. Export creates one
//!   transformed `Arc` per (attribute set, peer), so the Adj-RIB-Out groups prefixes by pointer
//!   and packs them into few UPDATEs.
//! - [`LocRib`] holds every accepted path per prefix and the best one, chosen by
//!   [`select_best`] (RFC 4271 §9.1.2, with local routes first).
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

/// One candidate route for a prefix.
#[derive(Clone, Debug)]
pub struct Path {
    pub source: Source,
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
fn tie_break(a: &Path, b: &Path) -> Ordering {
    b.source
        .ebgp
        .cmp(&a.source.ebgp)
        .then(u32::from(a.source.bgp_id).cmp(&u32::from(b.source.bgp_id)))
        .then(a.source.peer.cmp(&b.source.peer))
}

/// The index of the best path (RFC 4271 §9.1.2): a local route if there is one, then highest
/// LOCAL_PREF, shortest AS_PATH, lowest ORIGIN, lowest MED among paths from the same
/// neighbouring AS, eBGP over iBGP, lowest BGP identifier, lowest peer address. MED is not
/// comparable across neighbouring ASes, so its step removes every path beaten by one from the
/// same AS (the RFC's elimination procedure) instead of sorting.
pub fn select_best(paths: &[Path]) -> Option<usize> {
    match paths.len() {
        0 => return None,
        1 => return Some(0),
        _ => {}
    }
    if let Some(i) = paths.iter().position(|p| p.source.is_local()) {
        return Some(i);
    }
    let mut cand: Vec<usize> = (0..paths.len()).collect();
    let keep_max = |cand: &mut Vec<usize>, key: &dyn Fn(&Path) -> i64| {
        let best = cand.iter().map(|&i| key(&paths[i])).max().unwrap_or(0);
        cand.retain(|&i| key(&paths[i]) == best);
    };
    keep_max(&mut cand, &|p| i64::from(p.attrs.local_pref_or_default()));
    keep_max(&mut cand, &|p| -(p.attrs.as_path.len() as i64));
    keep_max(&mut cand, &|p| -(p.attrs.origin as i64));
    if cand.len() > 1 {
        let snapshot = cand.clone();
        cand.retain(|&i| {
            !snapshot.iter().any(|&j| {
                neighbour_as(&paths[j]) == neighbour_as(&paths[i])
                    && med(&paths[j]) < med(&paths[i])
            })
        });
    }
    cand.into_iter()
        .min_by(|&a, &b| tie_break(&paths[a], &paths[b]))
}

/// All paths of one prefix and the chosen one.
#[derive(Clone, Debug)]
struct Dest {
    paths: Vec<Path>,
    best: usize,
}

/// The Loc-RIB: every accepted path per prefix, with the best one selected.
#[derive(Debug, Default)]
pub struct LocRib {
    dests: HashMap<IpNet, Dest>,
}

/// Identity of the best path, to tell whether an operation changed it.
fn best_id(d: Option<&Dest>) -> Option<(Option<IpAddr>, *const RouteAttrs)> {
    d.map(|d| {
        let p = &d.paths[d.best];
        (p.source.peer, Arc::as_ptr(&p.attrs))
    })
}

impl LocRib {
    pub fn new() -> LocRib {
        LocRib::default()
    }

    /// Number of prefixes with at least one path.
    pub fn len(&self) -> usize {
        self.dests.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dests.is_empty()
    }

    /// Adds `path`, replacing the earlier path from the same source. Returns whether the best
    /// path of `prefix` changed (a new best, or new attributes on the best).
    pub fn upsert(&mut self, prefix: IpNet, path: Path) -> bool {
        let dest = self.dests.entry(prefix).or_insert_with(|| Dest {
            paths: Vec::new(),
            best: usize::MAX,
        });
        let before = (dest.best != usize::MAX).then(|| {
            let p = &dest.paths[dest.best];
            (p.source.peer, Arc::as_ptr(&p.attrs))
        });
        match dest
            .paths
            .iter_mut()
            .find(|p| p.source.peer == path.source.peer)
        {
            Some(p) => *p = path,
            None => dest.paths.push(path),
        }
        dest.best = select_best(&dest.paths).unwrap_or(0);
        before != best_id(Some(dest))
    }

    /// Removes the path of `peer` (`None`: the local one). Returns whether the best path
    /// changed (including: no path left).
    pub fn remove(&mut self, prefix: &IpNet, peer: Option<IpAddr>) -> bool {
        let Some(dest) = self.dests.get_mut(prefix) else {
            return false;
        };
        let Some(i) = dest.paths.iter().position(|p| p.source.peer == peer) else {
            return false;
        };
        let before = best_id(Some(dest));
        dest.paths.swap_remove(i);
        if dest.paths.is_empty() {
            self.dests.remove(prefix);
            return true;
        }
        dest.best = select_best(&dest.paths).unwrap_or(0);
        before != best_id(Some(dest))
    }

    pub fn best(&self, prefix: &IpNet) -> Option<&Path> {
        self.dests.get(prefix).map(|d| &d.paths[d.best])
    }

    /// Every path of `prefix`, with whether it is the best.
    pub fn paths(&self, prefix: &IpNet) -> impl Iterator<Item = (&Path, bool)> {
        self.dests.get(prefix).into_iter().flat_map(|d| {
            d.paths
                .iter()
                .enumerate()
                .map(move |(i, p)| (p, i == d.best))
        })
    }

    /// Every prefix with its best path.
    pub fn iter_best(&self) -> impl Iterator<Item = (&IpNet, &Path)> {
        self.dests.iter().map(|(k, d)| (k, &d.paths[d.best]))
    }

    /// Every prefix with all its paths and the best's index.
    pub fn iter_all(&self) -> impl Iterator<Item = (&IpNet, &[Path], usize)> {
        self.dests
            .iter()
            .map(|(k, d)| (k, d.paths.as_slice(), d.best))
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
pub fn export(prefix: &IpNet, path: &Path, t: &ExportTarget) -> Option<RouteAttrs> {
    let src = &path.source;
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

    fn peer(n: u8, ebgp: bool) -> Source {
        Source {
            peer: Some(IpAddr::from([10, 0, 0, n])),
            bgp_id: Ipv4Addr::new(10, 0, 0, n),
            ebgp,
        }
    }

    fn path(src: Source, f: impl FnOnce(&mut RouteAttrs)) -> Path {
        Path {
            source: src,
            attrs: attrs(f),
        }
    }

    fn net(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    #[test]
    fn local_route_wins_over_everything() {
        let paths = [
            path(peer(1, true), |a| {
                a.local_pref = Some(1000);
                a.as_path = AsPath::default();
            }),
            path(Source::local(Ipv4Addr::new(9, 9, 9, 9)), |a| {
                a.as_path = AsPath::sequence(vec![1, 2, 3, 4]);
            }),
        ];
        assert_eq!(select_best(&paths), Some(1));
    }

    #[test]
    fn highest_local_pref_then_shortest_path_then_origin() {
        let lp = [
            path(peer(1, false), |a| a.local_pref = Some(100)),
            path(peer(2, false), |a| {
                a.local_pref = Some(200);
                a.as_path = AsPath::sequence(vec![1, 2, 3]);
            }),
        ];
        assert_eq!(select_best(&lp), Some(1));
        let len = [
            path(peer(1, true), |a| a.as_path = AsPath::sequence(vec![1, 2])),
            path(peer(2, true), |a| a.as_path = AsPath::sequence(vec![3])),
        ];
        assert_eq!(select_best(&len), Some(1));
        let origin = [
            path(peer(1, true), |a| a.origin = Origin::Incomplete),
            path(peer(2, true), |a| a.origin = Origin::Egp),
        ];
        assert_eq!(select_best(&origin), Some(1));
    }

    #[test]
    fn as_set_counts_one() {
        let paths = [
            path(peer(1, true), |a| a.as_path = AsPath::sequence(vec![1, 2])),
            path(peer(2, true), |a| {
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
            }),
        ];
        // Both length 2: the tie-break (lower id) picks the first.
        assert_eq!(select_best(&paths), Some(0));
    }

    #[test]
    fn med_only_within_the_same_neighbour_as() {
        // Same neighbour AS: the lower MED wins even though its router id is higher.
        let same = [
            path(peer(1, true), |a| a.med = Some(50)),
            path(peer(2, true), |a| a.med = Some(10)),
        ];
        assert_eq!(select_best(&same), Some(1));
        // Different neighbour ASes: MED is ignored, the lower router id wins.
        let diff = [
            path(peer(1, true), |a| a.med = Some(50)),
            path(peer(2, true), |a| {
                a.med = Some(10);
                a.as_path = AsPath::sequence(vec![65002]);
            }),
        ];
        assert_eq!(select_best(&diff), Some(0));
        // Missing MED is the lowest.
        let missing = [
            path(peer(1, true), |a| a.med = Some(1)),
            path(peer(2, true), |a| a.med = None),
        ];
        assert_eq!(select_best(&missing), Some(1));
    }

    #[test]
    fn med_elimination_is_not_a_sort() {
        // A (AS1, MED 10, id 3), B (AS1, MED 20, id 1), C (AS2, id 2): B is eliminated by A,
        // then C (id 2) beats A (id 3). A pairwise sort could pick B via B<C<... cycles.
        let paths = [
            path(peer(3, true), |a| a.med = Some(10)),
            path(peer(1, true), |a| a.med = Some(20)),
            path(peer(2, true), |a| a.as_path = AsPath::sequence(vec![65002])),
        ];
        assert_eq!(select_best(&paths), Some(2));
    }

    #[test]
    fn ebgp_over_ibgp_then_lowest_id_then_lowest_address() {
        let paths = [path(peer(1, false), |_| {}), path(peer(2, true), |_| {})];
        assert_eq!(select_best(&paths), Some(1));
        let ids = [path(peer(5, true), |_| {}), path(peer(4, true), |_| {})];
        assert_eq!(select_best(&ids), Some(1));
        let mut same_id = [path(peer(5, true), |_| {}), path(peer(4, true), |_| {})];
        same_id[1].source.bgp_id = same_id[0].source.bgp_id;
        same_id[0].source.peer = Some("10.0.0.9".parse().unwrap());
        assert_eq!(select_best(&same_id), Some(1));
    }

    #[test]
    fn loc_rib_reports_best_changes() {
        let mut rib = LocRib::new();
        let p = net("10.1.0.0/16");
        assert!(rib.upsert(p, path(peer(2, true), |_| {})));
        // A worse path does not change the best.
        assert!(!rib.upsert(
            p,
            path(peer(1, true), |a| a.as_path = AsPath::sequence(vec![1, 2]))
        ));
        assert_eq!(rib.paths(&p).count(), 2);
        // Replacing the worse path with a better one does.
        assert!(rib.upsert(p, path(peer(1, true), |_| {})));
        assert_eq!(rib.best(&p).unwrap().source.peer, peer(1, true).peer);
        // New attributes on the best path are a change.
        assert!(rib.upsert(p, path(peer(1, true), |a| a.communities = vec![5])));
        // Removing a non-best path is not.
        assert!(!rib.remove(&p, peer(3, true).peer));
        assert!(rib.remove(&p, peer(1, true).peer));
        assert_eq!(rib.best(&p).unwrap().source.peer, peer(2, true).peer);
        assert!(rib.remove(&p, peer(2, true).peer));
        assert!(rib.is_empty());
        assert!(!rib.remove(&p, peer(2, true).peer));
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

    #[test]
    fn export_to_ebgp_prepends_sets_next_hop_self_strips_local_pref_and_med() {
        let p = path(peer(1, true), |a| {
            a.local_pref = Some(300);
            a.med = Some(7);
            a.communities = vec![0xfde8_0001];
        });
        let out = export(&net("10.1.0.0/16"), &p, &target(true)).unwrap();
        assert_eq!(flat_as_path(&out.as_path), vec![4200000001, 65001]);
        assert_eq!(out.next_hop, Some("169.254.0.6".parse().unwrap()));
        assert_eq!(out.local_pref, None);
        assert_eq!(out.med, None);
        assert_eq!(out.communities, vec![0xfde8_0001]);
    }

    #[test]
    fn export_local_route_keeps_med_and_override() {
        let mut p = path(Source::local(Ipv4Addr::new(1, 1, 1, 1)), |a| {
            a.as_path = AsPath::default();
            a.med = Some(7);
            a.next_hop = Some("192.0.2.55".parse().unwrap());
        });
        let out = export(&net("10.1.0.0/16"), &p, &target(true)).unwrap();
        assert_eq!(flat_as_path(&out.as_path), vec![4200000001]);
        assert_eq!(out.med, Some(7));
        assert_eq!(out.next_hop, Some("192.0.2.55".parse().unwrap()));
        // Without override: self.
        p.attrs = attrs(|a| a.next_hop = None);
        let out = export(&net("10.1.0.0/16"), &p, &target(true)).unwrap();
        assert_eq!(out.next_hop, Some("169.254.0.6".parse().unwrap()));
        // An IPv6 prefix with no IPv6 next hop on the session cannot be exported.
        assert!(export(&net("2001:db8::/32"), &p, &target(true)).is_none());
    }

    #[test]
    fn export_never_back_to_the_source_nor_ibgp_to_ibgp() {
        let t = target(true);
        let mut back = path(peer(7, true), |_| {});
        back.source.peer = Some(t.peer);
        assert!(export(&net("10.1.0.0/16"), &back, &t).is_none());
        let ibgp_learned = path(peer(1, false), |_| {});
        assert!(export(&net("10.1.0.0/16"), &ibgp_learned, &target(false)).is_none());
        let ebgp_learned = path(peer(1, true), |_| {});
        let out = export(&net("10.1.0.0/16"), &ebgp_learned, &target(false)).unwrap();
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
