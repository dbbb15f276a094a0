//! The speaker task: owns the peer table and every RIB, and turns RIB changes into packed
//! UPDATEs per peer.
//!
//! It drains whatever is queued (UPDATEs from sessions, API calls) while the Loc-RIB records
//! each best-path change with the old and the new best, and then flushes once: events,
//! kernel routes, and per peer the difference between the export of the old and of the new
//! best (the Adj-RIB-Out is not stored: after a flush it is exactly what the Loc-RIB
//! exports), encoded with attribute sets grouped by `Arc`. Queries, and anything that
//! changes what a peer is exported, flush first, so they see a settled state.

mod config;
mod events;
mod inbound;
mod kernel;
mod listen;
mod outbound;

use std::collections::{HashMap, HashSet};
use std::mem;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

pub(super) use self::events::Events;
use self::kernel::Kernel;
use self::listen::Listening;
use self::outbound::{resync, sync_all, sync_changes, Exporter, Full, Lag, Up};
use super::session::{Cmd, Local, Report};
use super::*;
use crate::fsm::CeaseReason;
use crate::rib::{self, ExportTarget, LocRib, Path, RouteAttrs, Source, SourceId, LOCAL};
use crate::transport::{Connection, Transport};
use crate::wire::AsPath;

type Reply<T> = oneshot::Sender<T>;

pub(super) enum Api {
    AddPeer(PeerConfig, Reply<Result<(), SpeakerError>>),
    RemovePeer(IpAddr, Reply<Result<(), SpeakerError>>),
    UpdatePeer(PeerConfig, Reply<Result<(), SpeakerError>>),
    Announce(Vec<IpNet>, Announce, Reply<()>),
    Withdraw(Vec<IpNet>, Reply<()>),
    Peers(Reply<Vec<PeerStatus>>),
    LocRib(Reply<Vec<Route>>),
    AdjRibIn(IpAddr, Reply<Vec<Route>>),
    AdjRibOut(IpAddr, Reply<Vec<Route>>),
    AddListen(SocketAddr, Reply<Result<SocketAddr, SpeakerError>>),
    Shutdown(Reply<()>),
}

pub(super) enum Input {
    Api(Api),
    Session {
        peer: IpAddr,
        sid: u64,
        report: Report,
    },
    Inbound(Connection),
}

/// Most queued inputs handled before the changes are flushed to peers.
const BATCH: usize = 256;
/// Recorded Loc-RIB changes after which the queue stops being drained for a flush: bounds
/// the memory a burst takes and lets the peers start on it.
const FLUSH_CHANGES: usize = 32 * 1024;
/// Changed prefixes a paused peer may miss at least before it is closed (Cease / Out of
/// Resources); the limit is twice the Loc-RIB if that is more.
const MIN_DIRTY: usize = 1 << 16;
/// How long shutdown waits for sessions to send their Cease.
const STOP_TIMEOUT: Duration = Duration::from_secs(3);

pub(super) fn start(
    cfg: SpeakerConfig,
    transport: Arc<dyn Transport>,
) -> Result<Speaker, SpeakerError> {
    crate::fsm::check_asn(cfg.asn).map_err(|e| SpeakerError::Config(e.to_string()))?;
    if cfg.router_id.is_unspecified() {
        return Err(SpeakerError::Config("router id must not be 0.0.0.0".into()));
    }
    let (tx, rx) = mpsc::channel::<Input>(BATCH);
    let listeners = match cfg.listen {
        Some(addr) => vec![Listening::bind(&*transport, addr, tx.clone())?],
        None => Vec::new(),
    };
    let events = Events::default();
    let kernel_status: Option<Arc<std::sync::Mutex<KernelStatus>>> = cfg.fib.then(Arc::default);
    let kernel = match &kernel_status {
        Some(status) => {
            let k = transport
                .kernel()
                .map_err(|e| SpeakerError::Io(e.to_string()))?;
            Some(
                Kernel::start(k, status.clone(), events.clone())
                    .map_err(|e| SpeakerError::Io(e.to_string()))?,
            )
        }
        None => None,
    };
    let local_addr = listeners.first().map(Listening::local_addr);
    let actor = Actor {
        local: Local {
            asn: cfg.asn,
            router_id: cfg.router_id,
            transport,
        },
        rx,
        tx: tx.clone(),
        events: events.clone(),
        listeners,
        kernel,
        peers: HashMap::new(),
        loc: LocRib::new(cfg.router_id),
        next_sid: 0,
    };
    tokio::spawn(actor.run());
    Ok(Speaker {
        _last: Arc::new(super::LastHandle(tx.clone())),
        tx,
        events,
        local_addr,
        kernel: kernel_status,
    })
}

struct Peer {
    cfg: PeerConfig,
    sid: u64,
    cmd: mpsc::UnboundedSender<Cmd>,
    task: JoinHandle<()>,
    state: State,
    since: Option<Instant>,
    last_error: Option<String>,
    established_count: u64,
    remote_id: Option<Ipv4Addr>,
    local_addr: Option<SocketAddr>,
    up: Option<Up>,
    /// The session's paths in the Loc-RIB (its Adj-RIB-In, after import policy).
    source: Option<SourceId>,
    /// How many paths `source` has in the Loc-RIB.
    accepted: usize,
    /// Announced by the peer but refused (policy, loop, limit): counted as received.
    rejected: HashSet<IpNet>,
    /// How many prefixes the peer was sent (its Adj-RIB-Out, which is what the Loc-RIB
    /// exports to it: computed from there, not stored).
    advertised: usize,
    /// The attributes of the peer's last UPDATE, shared with the next one if equal.
    last_attrs: Option<Arc<RouteAttrs>>,
    counts_changed: bool,
    /// A max-prefix Cease was sent in this session: ignore its further UPDATEs.
    ceased: bool,
    /// The peer's write queue filled up: what it was not sent (see [`Lag`]).
    lag: Option<Lag>,
}

impl Peer {
    fn status(&self) -> PeerStatus {
        PeerStatus {
            address: self.cfg.address,
            tag: self.cfg.tag,
            remote_asn: self.cfg.remote_asn,
            enabled: self.cfg.enabled,
            state: self.state,
            uptime: self.since.map(|t| t.elapsed()),
            remote_id: self.remote_id,
            local_addr: self.local_addr,
            prefixes_received: (self.accepted + self.rejected.len()) as u64,
            prefixes_accepted: self.accepted as u64,
            prefixes_advertised: self.advertised as u64,
            out_queue_bytes: self.up.as_ref().map_or(0, |u| u.out.queued() as u64),
            out_of_sync: self.lag.is_some(),
            last_error: self.last_error.clone(),
            established_count: self.established_count,
        }
    }
}

struct Actor {
    local: Local,
    rx: mpsc::Receiver<Input>,
    tx: mpsc::Sender<Input>,
    events: Events,
    listeners: Vec<Listening>,
    kernel: Option<Kernel>,
    peers: HashMap<IpAddr, Peer>,
    loc: LocRib,
    next_sid: u64,
}

impl Actor {
    async fn run(mut self) {
        while let Some(input) = self.rx.recv().await {
            let mut stop = self.input(input);
            for _ in 1..BATCH {
                if stop.is_some() || self.loc.pending_changes() >= FLUSH_CHANGES {
                    break;
                }
                match self.rx.try_recv() {
                    Ok(i) => stop = self.input(i),
                    Err(_) => break,
                }
            }
            if let Some(reply) = stop {
                self.shutdown().await;
                let _ = reply.send(());
                return;
            }
            self.flush();
        }
    }

    /// Handles one input; returns the reply channel when it asks to shut down.
    fn input(&mut self, input: Input) -> Option<Reply<()>> {
        match input {
            Input::Api(Api::Shutdown(reply)) => return Some(reply),
            Input::Api(api) => self.api(api),
            Input::Session { peer, sid, report } => self.report(peer, sid, report),
            Input::Inbound(conn) => match self.peers.get(&conn.peer_addr().ip().to_canonical()) {
                Some(p) => {
                    let _ = p.cmd.send(Cmd::Inbound(conn));
                }
                None => drop(conn), // not a configured peer: close at once
            },
        }
        None
    }

    fn api(&mut self, api: Api) {
        match api {
            Api::AddPeer(p, reply) => {
                let _ = reply.send(self.add_peer(p));
            }
            Api::RemovePeer(addr, reply) => {
                let _ = reply.send(self.remove_peer(addr.to_canonical()));
            }
            Api::UpdatePeer(p, reply) => {
                let _ = reply.send(self.update_peer(p));
            }
            Api::Announce(prefixes, a, reply) => {
                let attrs = RouteAttrs {
                    origin: Origin::Igp,
                    as_path: AsPath::default(),
                    next_hop: a.next_hop.map(|ip| ip.to_canonical()),
                    med: a.med,
                    local_pref: None,
                    atomic_aggregate: false,
                    aggregator: None,
                    communities: a.communities,
                    large_communities: a.large_communities,
                    unknown: Vec::new(),
                };
                let path = Path {
                    source: LOCAL,
                    attrs: Arc::new(attrs),
                };
                for prefix in prefixes {
                    self.loc.upsert(prefix.trunc(), path.clone());
                }
                let _ = reply.send(());
            }
            Api::Withdraw(prefixes, reply) => {
                for prefix in prefixes {
                    self.loc.remove(&prefix.trunc(), LOCAL);
                }
                let _ = reply.send(());
            }
            Api::Peers(reply) => {
                self.flush();
                let mut v: Vec<PeerStatus> = self.peers.values().map(Peer::status).collect();
                v.sort_by_key(|s| s.address);
                let _ = reply.send(v);
            }
            Api::LocRib(reply) => {
                self.flush();
                let mut v = Vec::with_capacity(self.loc.len());
                for (prefix, p, best) in self.loc.iter_all() {
                    let from = self.loc.source(p.source).peer;
                    v.push(route(prefix, &p.attrs, from, best));
                }
                v.sort_by(|a, b| {
                    (a.prefix, !a.best, a.from_peer).cmp(&(b.prefix, !b.best, b.from_peer))
                });
                let _ = reply.send(v);
            }
            Api::AdjRibIn(addr, reply) => {
                self.flush();
                let addr = addr.to_canonical();
                let v = match self.peers.get(&addr).and_then(|p| p.source) {
                    Some(src) => sorted(
                        self.loc
                            .iter_source(src)
                            .map(|(prefix, p, best)| route(prefix, &p.attrs, Some(addr), best)),
                    ),
                    None => Vec::new(),
                };
                let _ = reply.send(v);
            }
            Api::AdjRibOut(addr, reply) => {
                self.flush();
                let v = match self.peers.get(&addr.to_canonical()) {
                    Some(Peer {
                        up: Some(up), cfg, ..
                    }) => {
                        let mut ex = Exporter::new(&self.loc, up);
                        sorted(self.loc.iter_best().filter_map(|(prefix, path)| {
                            let a = ex.export(&prefix, Some(path), &cfg.policy)?;
                            Some(route(prefix, &a, None, true))
                        }))
                    }
                    _ => Vec::new(),
                };
                let _ = reply.send(v);
            }
            Api::AddListen(addr, reply) => {
                let _ = reply.send(self.add_listen(addr));
            }
            Api::Shutdown(_) => unreachable!("handled by input()"),
        }
    }

    fn report(&mut self, addr: IpAddr, sid: u64, report: Report) {
        let Some(peer) = self.peers.get_mut(&addr) else {
            return;
        };
        if peer.sid != sid {
            return;
        }
        match report {
            Report::State {
                from,
                to,
                error,
                last_error,
                established_count,
            } => {
                peer.state = to;
                // A reset starts a fresh FSM without history; the last error stays ours.
                if last_error.is_some() {
                    peer.last_error = last_error;
                }
                peer.established_count = established_count;
                if to == State::Established {
                    peer.since = Some(Instant::now());
                } else if from == State::Established {
                    peer.since = None;
                }
                self.events.send(SpeakerEvent::PeerState {
                    peer: addr,
                    tag: peer.cfg.tag,
                    from,
                    to,
                    error,
                });
            }
            Report::Up {
                out,
                local,
                negotiated,
                ctx,
            } => {
                if peer.source.is_some() {
                    // A new session without word that the old one ended: forget the old one.
                    let mut old = self.peers.remove(&addr).expect("looked up above");
                    self.drop_routes(&mut old);
                    self.peers.insert(addr, old);
                }
                // Pending changes predate the session, which gets the settled table below.
                self.flush();
                let peer = self.peers.get_mut(&addr).expect("looked up above");
                let local_asn = self.local.asn_for(&peer.cfg);
                let ebgp = negotiated.peer_asn != local_asn;
                let (self_v4, self_v6) = match local.ip().to_canonical() {
                    IpAddr::V4(a) => (Some(a), None),
                    IpAddr::V6(a) => (None, Some(a)),
                };
                peer.remote_id = Some(negotiated.peer_bgp_id);
                peer.local_addr = Some(local);
                peer.ceased = false;
                peer.lag = None;
                peer.source = Some(self.loc.add_source(Source {
                    peer: Some(addr),
                    bgp_id: negotiated.peer_bgp_id,
                    ebgp,
                }));
                peer.up = Some(Up {
                    out,
                    ctx,
                    target: ExportTarget {
                        local_asn,
                        peer: addr,
                        ebgp,
                        self_v4,
                        self_v6,
                    },
                    families: negotiated.families.clone(),
                    route_refresh: negotiated.route_refresh,
                });
                sync_all(&self.loc, peer, Full::Initial);
            }
            Report::Error(e) => {
                peer.last_error = Some(e.clone());
                self.events.send(SpeakerEvent::PeerState {
                    peer: addr,
                    tag: peer.cfg.tag,
                    from: peer.state,
                    to: peer.state,
                    error: Some(e),
                });
            }
            Report::Update(u) => self.receive(addr, *u),
            Report::RouteRefresh => {
                // What was sent is what the Loc-RIB exports once settled.
                self.flush();
                if let Some(peer) = self.peers.get_mut(&addr) {
                    sync_all(&self.loc, peer, Full::Refresh);
                }
            }
            // The flush that follows every batch of inputs sends it what it missed.
            Report::Drained => {}
            Report::Down => {
                let mut peer = self.peers.remove(&addr).expect("looked up above");
                self.drop_routes(&mut peer);
                self.peers.insert(addr, peer);
            }
        }
    }

    /// Forgets what a session learned and advertised; its routes leave the Loc-RIB.
    fn drop_routes(&mut self, peer: &mut Peer) {
        peer.up = None;
        peer.local_addr = None;
        if let Some(src) = peer.source.take() {
            self.loc.remove_source(src);
        }
        peer.accepted = 0;
        peer.rejected = HashSet::new();
        peer.advertised = 0;
        peer.last_attrs = None;
        peer.lag = None;
        peer.counts_changed = true;
    }

    /// Sends what changed since the last flush: events, kernel routes, UPDATEs per peer.
    fn flush(&mut self) {
        let changes = self.loc.take_changes();
        if !changes.is_empty() {
            let events = self.events.routes_listened();
            for c in changes.iter().filter(|_| events) {
                let route = c
                    .new
                    .as_ref()
                    .map(|b| route(c.prefix, &b.attrs, self.loc.source(b.source).peer, true));
                self.events.send_route(SpeakerEvent::RouteBest {
                    prefix: c.prefix,
                    route,
                });
            }
            if let Some(k) = &mut self.kernel {
                k.follow(&changes);
            }
            for peer in self.peers.values_mut() {
                sync_changes(&self.loc, peer, &changes);
            }
            self.loc.shrink_if_sparse();
        }
        // More changed prefixes than the table has (churn of prefixes that come and go)
        // are more than is worth tracking for one peer: it gets a fresh start instead.
        let most_dirty = (2 * self.loc.len()).max(MIN_DIRTY);
        for peer in self.peers.values_mut() {
            let (Some(lag), Some(up)) = (&peer.lag, &peer.up) else {
                continue;
            };
            if lag.dirty.len() > most_dirty {
                peer.lag = None;
                let _ = peer.cmd.send(Cmd::Cease(CeaseReason::OutOfResources));
            } else if !up.out.pause() {
                resync(&self.loc, peer);
            }
        }
        for peer in self.peers.values_mut() {
            if mem::take(&mut peer.counts_changed) {
                let s = peer.status();
                self.events.send(SpeakerEvent::PeerRoutes {
                    peer: s.address,
                    received: s.prefixes_received,
                    accepted: s.prefixes_accepted,
                    advertised: s.prefixes_advertised,
                });
            }
        }
    }

    async fn shutdown(&mut self) {
        // Sessions blocked on a full queue get an error instead of waiting for us.
        self.rx.close();
        self.listeners.clear();
        let mut tasks = Vec::new();
        for (_, peer) in self.peers.drain() {
            let _ = peer.cmd.send(Cmd::Stop(CeaseReason::AdminShutdown));
            tasks.push(peer.task);
        }
        let _ = tokio::time::timeout(STOP_TIMEOUT, async {
            for t in tasks {
                let _ = t.await;
            }
        })
        .await;
        if let Some(k) = self.kernel.take() {
            k.finish(STOP_TIMEOUT).await;
        }
    }
}

fn route(prefix: IpNet, a: &RouteAttrs, from_peer: Option<IpAddr>, best: bool) -> Route {
    Route {
        prefix,
        next_hop: a.next_hop,
        as_path: rib::flat_as_path(&a.as_path),
        origin: a.origin,
        med: a.med,
        local_pref: a.local_pref,
        communities: a.communities.clone(),
        large_communities: a.large_communities.clone(),
        from_peer,
        best,
    }
}

fn sorted(routes: impl Iterator<Item = Route>) -> Vec<Route> {
    let mut v: Vec<Route> = routes.collect();
    v.sort_by_key(|r| r.prefix);
    v
}
