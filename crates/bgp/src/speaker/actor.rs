//! The speaker task: owns the peer table and every RIB, and turns RIB changes into packed
//! UPDATEs per peer.
//!
//! It drains whatever is queued (UPDATEs from sessions, API calls) while the Loc-RIB records
//! each best-path change with the old and the new best, and then flushes once: events,
//! kernel routes, and per peer the difference between the export of the old and of the new
//! best (the Adj-RIB-Out is not stored: after a flush it is exactly what the Loc-RIB
//! exports), encoded with attribute sets grouped by `Arc`. Queries, and anything that
//! changes what a peer is exported, flush first, so they see a settled state.

use std::collections::{HashMap, HashSet};
use std::mem;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::TcpStream;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;

use super::session::{self, Cmd, Local, Report, Writer, QUEUE_HIGH};
use super::*;
use crate::fsm::{CeaseReason, Family};
use crate::kernel::KernelRoutes;
use crate::policy::MaxPrefixVerdict;
use crate::rib::{self, ExportTarget, LocRib, Path, RouteAttrs, Source, SourceId, LOCAL};
use crate::transport::Listener;
use crate::wire::{
    self, Afi, AsPath, CodecContext, Ipv4Net, MpReach, MpUnreach, PathAttributes, Safi, Update,
};

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
    Shutdown(Reply<()>),
}

/// The event channels, each created by its first subscriber: a buffer is allocated up front,
/// and speakers nobody listens to (many per process) should not pay for it. `status` carries
/// no per-route events, so route events are built only while someone wants them.
#[derive(Clone, Default)]
pub(super) struct Events {
    all: Arc<std::sync::OnceLock<broadcast::Sender<SpeakerEvent>>>,
    status: Arc<std::sync::OnceLock<broadcast::Sender<SpeakerEvent>>>,
}

fn channel() -> broadcast::Sender<SpeakerEvent> {
    broadcast::channel(EVENT_CAPACITY).0
}

/// Peer states and counts only: few, and a speaker per attachment keeps one, so the buffer is
/// small (a 1,024-event buffer per speaker cost ~200 KiB each, 200 MiB for 1,000 attachments).
fn status_channel() -> broadcast::Sender<SpeakerEvent> {
    broadcast::channel(STATUS_CAPACITY).0
}

impl Events {
    pub(super) fn subscribe(&self) -> broadcast::Receiver<SpeakerEvent> {
        self.all.get_or_init(channel).subscribe()
    }

    pub(super) fn subscribe_status(&self) -> broadcast::Receiver<SpeakerEvent> {
        self.status.get_or_init(status_channel).subscribe()
    }

    /// A peer state or count event: to every subscriber.
    fn send(&self, e: SpeakerEvent) {
        if let Some(tx) = self.status.get() {
            let _ = tx.send(e.clone());
        }
        if let Some(tx) = self.all.get() {
            let _ = tx.send(e);
        }
    }

    /// Whether route events have a receiver.
    fn routes_listened(&self) -> bool {
        self.all.get().is_some_and(|tx| tx.receiver_count() > 0)
    }

    fn send_route(&self, e: SpeakerEvent) {
        if let Some(tx) = self.all.get() {
            let _ = tx.send(e);
        }
    }
}

pub(super) enum Input {
    Api(Api),
    Session {
        peer: IpAddr,
        sid: u64,
        report: Report,
    },
    Inbound(TcpStream, SocketAddr),
}

/// Most queued inputs handled before the changes are flushed to peers.
const BATCH: usize = 256;
/// Recorded Loc-RIB changes after which the queue stops being drained for a flush: bounds
/// the memory a burst takes and lets the peers start on it.
const FLUSH_CHANGES: usize = 32 * 1024;
/// Events a subscriber may fall behind by before it sees `Lagged`.
const EVENT_CAPACITY: usize = 1024;
const STATUS_CAPACITY: usize = 64;
/// Changed prefixes a paused peer may miss at least before it is closed (Cease / Out of
/// Resources); the limit is twice the Loc-RIB if that is more.
const MIN_DIRTY: usize = 1 << 16;
/// How long shutdown waits for sessions to send their Cease.
const STOP_TIMEOUT: Duration = Duration::from_secs(3);

pub(super) fn start(cfg: SpeakerConfig) -> Result<Speaker, SpeakerError> {
    crate::fsm::check_asn(cfg.asn).map_err(|e| SpeakerError::Config(e.to_string()))?;
    if cfg.router_id.is_unspecified() {
        return Err(SpeakerError::Config("router id must not be 0.0.0.0".into()));
    }
    let listener = match cfg.listen {
        Some(addr) => Some(Arc::new(
            Listener::bind(addr).map_err(|e| SpeakerError::Io(e.to_string()))?,
        )),
        None => None,
    };
    let events = Events::default();
    let kernel_status = cfg.fib.then(Arc::default);
    let kernel = match &kernel_status {
        Some(status) => {
            let k = KernelRoutes::new().map_err(|e| SpeakerError::Io(e.to_string()))?;
            let thread = KernelThread {
                k,
                status: Arc::clone(status),
                events: events.clone(),
                refused: HashSet::new(),
            };
            Some(spawn_kernel(thread).map_err(|e| SpeakerError::Io(e.to_string()))?)
        }
        None => None,
    };
    let (tx, rx) = mpsc::channel::<Input>(BATCH);
    let local_addr = listener.as_ref().map(|l| l.local_addr());
    let accept = listener.clone().map(|l| {
        let tx = tx.clone();
        tokio::spawn(async move {
            loop {
                match l.accept().await {
                    Ok((stream, peer)) => {
                        if tx.send(Input::Inbound(stream, peer)).await.is_err() {
                            return;
                        }
                    }
                    // Out of descriptors and the like: back off instead of spinning.
                    Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        })
    });
    let actor = Actor {
        local: Local {
            asn: cfg.asn,
            router_id: cfg.router_id,
        },
        rx,
        tx: tx.clone(),
        events: events.clone(),
        listener,
        accept,
        kernel,
        installed: HashSet::new(),
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

/// What the speaker knows of an Established session.
struct Up {
    out: Writer,
    ctx: CodecContext,
    target: ExportTarget,
    families: Vec<Family>,
    /// The peer understands ROUTE-REFRESH (RFC 2918).
    route_refresh: bool,
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
struct Lag {
    dirty: HashMap<IpNet, bool>,
    /// A ROUTE-REFRESH arrived meanwhile: the whole export is owed too.
    walk: bool,
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
    listener: Option<Arc<Listener>>,
    accept: Option<JoinHandle<()>>,
    kernel: Option<std::sync::mpsc::Sender<KernelOp>>,
    /// Prefixes we installed in the kernel.
    installed: HashSet<IpNet>,
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
            Input::Inbound(stream, addr) => match self.peers.get(&addr.ip().to_canonical()) {
                Some(p) => {
                    let _ = p.cmd.send(Cmd::Inbound(stream));
                }
                None => drop(stream), // not a configured peer: close at once
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
            Api::Shutdown(_) => unreachable!("handled by input()"),
        }
    }

    fn check_peer(&self, p: &PeerConfig) -> Result<(), SpeakerError> {
        session::fsm_config(self.local, p)
            .validate()
            .map_err(|e| SpeakerError::Config(e.to_string()))?;
        if p.passive && self.listener.is_none() {
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

    fn set_listener_key(&self, p: &PeerConfig) -> Result<(), SpeakerError> {
        match &self.listener {
            Some(l) => l
                .set_peer_key(p.address, p.password.as_ref())
                .map_err(|e| SpeakerError::Io(e.to_string())),
            None => Ok(()),
        }
    }

    fn add_peer(&mut self, mut p: PeerConfig) -> Result<(), SpeakerError> {
        p.address = p.address.to_canonical();
        if self.peers.contains_key(&p.address) {
            return Err(SpeakerError::PeerExists(p.address));
        }
        self.check_peer(&p)?;
        if p.password.is_some() {
            self.set_listener_key(&p)?;
        }
        self.next_sid += 1;
        let sid = self.next_sid;
        let (cmd, task) = session::spawn(self.local, p.clone(), sid, self.tx.clone())
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

    fn remove_peer(&mut self, addr: IpAddr) -> Result<(), SpeakerError> {
        let Some(mut peer) = self.peers.remove(&addr) else {
            return Err(SpeakerError::UnknownPeer(addr));
        };
        let _ = peer.cmd.send(Cmd::Stop(CeaseReason::PeerDeconfigured));
        self.drop_routes(&mut peer);
        if let Some(l) = &self.listener {
            let _ = l.set_peer_key(addr, None);
        }
        Ok(())
    }

    fn update_peer(&mut self, mut p: PeerConfig) -> Result<(), SpeakerError> {
        p.address = p.address.to_canonical();
        self.check_peer(&p)?;
        let Some(old) = self.peers.get(&p.address).map(|x| x.cfg.clone()) else {
            return Err(SpeakerError::UnknownPeer(p.address));
        };
        if old.password != p.password {
            self.set_listener_key(&p)?;
        }
        let session_changed = old.remote_asn != p.remote_asn
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
                let ebgp = negotiated.peer_asn != self.local.asn;
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
                        local_asn: self.local.asn,
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

    /// Applies an UPDATE from an Established peer to its Adj-RIB-In and the Loc-RIB.
    fn receive(&mut self, addr: IpAddr, u: Update) {
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

    /// Sends what changed since the last flush: events, kernel routes, UPDATEs per peer.
    fn flush(&mut self) {
        let changes = self.loc.take_changes();
        if !changes.is_empty() {
            let events = self.events.routes_listened();
            let mut install = Vec::new();
            let mut remove = Vec::new();
            for c in &changes {
                let best = c.new.as_ref();
                if events {
                    let route = best
                        .map(|b| route(c.prefix, &b.attrs, self.loc.source(b.source).peer, true));
                    self.events.send_route(SpeakerEvent::RouteBest {
                        prefix: c.prefix,
                        route,
                    });
                }
                if self.kernel.is_some() {
                    match best
                        .filter(|b| b.source != LOCAL)
                        .and_then(|b| b.attrs.next_hop)
                    {
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
            }
            if let Some(k) = &self.kernel {
                let wanted = self.installed.len();
                if !install.is_empty() {
                    let _ = k.send(KernelOp::Install(install, wanted));
                }
                if !remove.is_empty() {
                    let _ = k.send(KernelOp::Remove(remove, wanted));
                }
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
        if let Some(a) = self.accept.take() {
            a.abort();
        }
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
            let (ack, done) = oneshot::channel();
            if k.send(KernelOp::Finish(ack)).is_ok() {
                let _ = tokio::time::timeout(STOP_TIMEOUT, done).await;
            }
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

/// Exports toward one peer: one exported attribute set per (attribute set, source, family),
/// so prefixes that shared attributes still share them and pack into the same UPDATEs.
struct Exporter<'a> {
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
    fn new(loc: &'a LocRib, up: &'a Up) -> Self {
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
    fn export(
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
fn sync_changes(loc: &LocRib, peer: &mut Peer, changes: &[rib::Change]) {
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
fn resync(loc: &LocRib, peer: &mut Peer) {
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
enum Full<'a> {
    /// The session just came up: everything, then End-of-RIB.
    Initial,
    /// The peer asked for it all again (ROUTE-REFRESH).
    Refresh,
    /// The export policy changed from this one: the difference.
    PolicyChanged(&'a SessionPolicy),
}

/// Session-up and refresh walks are sent whole (one table's worth at most, and a refresh
/// for a paused peer waits for it to drain); a policy change for a paused peer is recorded.
fn sync_all(loc: &LocRib, peer: &mut Peer, full: Full) {
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
fn request_refresh(up: &Up) {
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
    status: Arc<std::sync::Mutex<KernelStatus>>,
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
