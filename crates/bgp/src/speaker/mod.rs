//! The BGP speaker: tokio adapters around the sans-IO [`crate::fsm`], the RIBs
//! ([`crate::rib`]) and a cheap-to-clone [`Speaker`] handle for the rest of crosslink.
//!
//! Shape (actor style, no global state, so one process can run many speakers):
//! - one **speaker task** owns the peer table and the Loc-RIB, which also holds each peer's
//!   Adj-RIB-In (post import policy). A peer's Adj-RIB-Out is what the Loc-RIB exports to it,
//!   so it is computed, not stored: the Loc-RIB records every best-path change (old and new
//!   best), and a flush exports both per peer and sends the difference. The handle, the
//!   listener and the session tasks talk to the task over one channel. It drains what is
//!   queued (up to a bound of changes), runs the decision process, then encodes the changes
//!   per peer in packed UPDATEs grouped by shared attributes (`Arc`), so 1M prefixes cost ~1k
//!   messages, not 1M, handed to the writer as they fill.
//! - one **session task** per configured peer drives its FSM: connects (TCP-MD5, TTL, local
//!   address), feeds decoded messages in, performs the FSM's actions, and sleeps until the
//!   FSM's earliest timer deadline. Each TCP connection has a reader and a writer task, so a
//!   slow peer never blocks the FSM or the RIB. Once Established, the speaker task writes its
//!   UPDATEs straight into the connection's write queue.
//! - one **listener task** per listen address ([`SpeakerConfig::listen`], more with
//!   [`Speaker::add_listen`]) accepts, matches the source address to a configured peer
//!   (unknown peers are closed at once) and hands the stream to its session; collisions are
//!   the FSM's job. Each peer's MD5 key is installed on every listener of its family.
//! - with `fib: true`, a **kernel thread** installs/removes best routes learned from peers
//!   through [`crate::kernel::KernelRoutes`] (blocking netlink off the async threads); all our
//!   routes are removed on shutdown.
//!
//! Export: see [`crate::rib::export`] (eBGP: our AS prepended, next hop self, no LOCAL_PREF,
//! MED only on our own routes; never back to the source peer). Import: routes with our AS in
//! the AS_PATH are refused; prefix lists and max-prefix from [`SessionPolicy`]. Local routes
//! win over learned ones. IPv4 and IPv6 unicast are both negotiated; a prefix goes to a peer
//! only with a next hop of its own family (an IPv6 prefix over an IPv4 session needs
//! [`Announce::next_hop`] or an IPv6-learned next hop).
//!
//! Events: [`Speaker::subscribe_status`] for peer states and counts (cheap),
//! [`Speaker::subscribe`] for those plus one event per best-route change.
//!
//! Sockets come from a [`Transport`]: [`Speaker::start`] uses TCP in the current network
//! namespace; [`Speaker::start_with`] takes [`Tcp::in_namespace`] (sockets and the kernel's
//! netlink socket made in another namespace by one thread of its own, then used from any
//! runtime) or an in-memory network for tests ([`crate::transport::memory`]).
//!
//! Per peer, [`PeerConfig::local_asn`] overrides the speaker's AS in that session's OPEN and
//! export (a Megaport VXC's `localAsn`).
//!
//! Passwords are never logged or printed ([`Md5Key`] redacts itself).

mod actor;
mod session;

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, oneshot};

pub use crate::fsm::State;
use crate::policy::SessionPolicy;
pub use crate::transport::Md5Key;
use crate::transport::{Tcp, Transport};
pub use crate::wire::{IpNet, LargeCommunity, Origin};

/// Speaker-wide settings.
#[derive(Clone, Debug)]
pub struct SpeakerConfig {
    pub asn: u32,
    pub router_id: Ipv4Addr,
    /// Where to accept BGP connections (port 0 picks a free port, see [`Speaker::local_addr`]).
    /// `None`: no listener, active peers only.
    pub listen: Option<SocketAddr>,
    /// Install best routes learned from peers in the kernel of the current network namespace.
    pub fib: bool,
}

/// One configured neighbour.
#[derive(Clone, Debug)]
pub struct PeerConfig {
    pub address: IpAddr,
    pub remote_asn: u32,
    /// The AS we are toward this peer, if not the speaker's (a Megaport VXC's `localAsn`):
    /// in our OPEN and prepended to what we export to it.
    pub local_asn: Option<u32>,
    /// Source address for outbound connections (and for next-hop-self, once connected).
    pub local_address: Option<IpAddr>,
    /// The peer's TCP port (179 normally).
    pub port: u16,
    /// TCP-MD5 password (RFC 2385), installed on the listener and on each connect.
    pub password: Option<Md5Key>,
    /// Never connect; wait for the peer.
    pub passive: bool,
    /// Proposed hold time in seconds (0, or at least 3).
    pub hold_time: u16,
    /// ConnectRetry time; also the connect timeout and the pause before restarting after an error.
    pub connect_retry: Duration,
    /// IP TTL of our packets to the peer; `Some(1)` for directly connected eBGP, `None` for the
    /// system default (multihop).
    pub ttl: Option<u32>,
    pub policy: SessionPolicy,
    /// `false`: administratively down (Cease / Administrative Shutdown if it was up).
    pub enabled: bool,
    /// Opaque to the speaker; echoed in [`PeerStatus`] and peer events, so the caller maps a
    /// session to what it stands for (the fabric: the VXC) without keeping its own table.
    pub tag: u64,
}

impl PeerConfig {
    /// Defaults: port 179, active, hold time 90 s, connect retry 5 s, TTL 1, no password, no
    /// policy, enabled.
    pub fn new(address: IpAddr, remote_asn: u32) -> PeerConfig {
        PeerConfig {
            address,
            remote_asn,
            local_asn: None,
            local_address: None,
            port: 179,
            password: None,
            passive: false,
            hold_time: 90,
            connect_retry: Duration::from_secs(5),
            ttl: Some(1),
            policy: SessionPolicy::default(),
            enabled: true,
            tag: 0,
        }
    }
}

/// Attributes of a locally originated prefix. ORIGIN is IGP, the AS_PATH empty (our AS is
/// prepended toward eBGP peers).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Announce {
    pub med: Option<u32>,
    pub communities: Vec<u32>,
    pub large_communities: Vec<LargeCommunity>,
    /// Next hop to advertise instead of the session's own address.
    pub next_hop: Option<IpAddr>,
}

/// A route as shown to users (Loc-RIB, Adj-RIB-In, Adj-RIB-Out).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub prefix: IpNet,
    /// `None` for a local route without a next-hop override ("self").
    pub next_hop: Option<IpAddr>,
    /// ASNs in path order, nearest first (AS_SETs flattened in place).
    pub as_path: Vec<u32>,
    pub origin: Origin,
    pub med: Option<u32>,
    pub local_pref: Option<u32>,
    pub communities: Vec<u32>,
    pub large_communities: Vec<LargeCommunity>,
    /// The peer it was learned from; `None` for locally announced prefixes.
    pub from_peer: Option<IpAddr>,
    /// Chosen by the decision process (always true in Adj-RIB-Out views).
    pub best: bool,
}

/// Status of one peer for the API surfaces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerStatus {
    pub address: IpAddr,
    /// The peer's [`PeerConfig::tag`].
    pub tag: u64,
    pub remote_asn: u32,
    pub enabled: bool,
    pub state: State,
    /// Time since the session became Established.
    pub uptime: Option<Duration>,
    /// The peer's BGP identifier, once an OPEN was accepted.
    pub remote_id: Option<Ipv4Addr>,
    /// Local end of the established connection.
    pub local_addr: Option<SocketAddr>,
    /// Prefixes the peer currently announces to us (before import policy).
    pub prefixes_received: u64,
    /// Of those, accepted by import policy (in Adj-RIB-In).
    pub prefixes_accepted: u64,
    /// Prefixes we currently advertise to the peer (Adj-RIB-Out).
    pub prefixes_advertised: u64,
    /// Bytes waiting to be written to the peer (a peer that does not read keeps this near a
    /// few MiB: above that nothing more is encoded for it).
    pub out_queue_bytes: u64,
    /// The peer did not read fast enough: changes are held back until its queue drains, then
    /// it is sent what it missed.
    pub out_of_sync: bool,
    /// Why the session last failed or went down, in words (e.g. "OPEN: bad peer AS: expected
    /// 64532, peer sent 65000", "no answer to TCP connect (check the MD5 password ...)").
    pub last_error: Option<String>,
    /// How many times the session reached Established.
    pub established_count: u64,
}

/// The kernel routes of a speaker with `fib: true` (see [`Speaker::kernel_status`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KernelStatus {
    /// Best routes from peers that are in the kernel now.
    pub installed: u64,
    /// Best routes from peers the kernel refused and that are still best (not in the kernel).
    pub refused: u64,
    /// Installs and removals the kernel refused since the start.
    pub failures: u64,
    /// The last refusal in words (e.g. "kernel refused route 10.1.0.0/24 via 192.0.2.1:
    /// Network is unreachable (no route to the next hop: ...)") while any route is refused;
    /// `None` once every best route is in the kernel again.
    pub error: Option<String>,
}

/// What subscribers hear. Lagging receivers lose events (broadcast semantics); re-read
/// [`Speaker::peers`] / [`Speaker::loc_rib`] after a `Lagged` error.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpeakerEvent {
    /// A state change, or (`from == to`) a new error without one, e.g. another unanswered
    /// connect while in Connect.
    PeerState {
        peer: IpAddr,
        /// The peer's [`PeerConfig::tag`].
        tag: u64,
        from: State,
        to: State,
        /// The last error when the transition was caused by one.
        error: Option<String>,
    },
    /// The best route for a prefix changed; `None`: no route left (withdrawn).
    RouteBest { prefix: IpNet, route: Option<Route> },
    /// Counts after a batch of changes concerning this peer.
    PeerRoutes {
        peer: IpAddr,
        received: u64,
        accepted: u64,
        advertised: u64,
    },
    /// The kernel refused a route ([`KernelStatus::error`] set or changed), or every refused
    /// route is in again or gone (`error: None`).
    Kernel {
        error: Option<String>,
        refused: u64,
        failures: u64,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpeakerError {
    /// Bad configuration (words say what).
    Config(String),
    /// Socket or netlink failure at start (listener bind, kernel socket).
    Io(String),
    PeerExists(IpAddr),
    UnknownPeer(IpAddr),
    /// The speaker was shut down.
    Stopped,
}

impl fmt::Display for SpeakerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config(e) => write!(f, "invalid BGP configuration: {e}"),
            Self::Io(e) => write!(f, "BGP speaker: {e}"),
            Self::PeerExists(a) => write!(f, "BGP peer {a} is already configured"),
            Self::UnknownPeer(a) => write!(f, "no BGP peer {a} is configured"),
            Self::Stopped => f.write_str("BGP speaker is shut down"),
        }
    }
}

impl std::error::Error for SpeakerError {}

/// Handle to a running speaker: cheap to clone, every clone talks to the same speaker task.
/// When the last clone is dropped the speaker shuts down as with [`Speaker::shutdown`] (without
/// waiting for it).
#[derive(Clone)]
pub struct Speaker {
    tx: mpsc::Sender<actor::Input>,
    events: actor::Events,
    local_addr: Option<SocketAddr>,
    kernel: Option<std::sync::Arc<std::sync::Mutex<KernelStatus>>>,
    _last: std::sync::Arc<LastHandle>,
}

/// Shared by all clones of a handle; dropped with the last one.
struct LastHandle(mpsc::Sender<actor::Input>);

impl Drop for LastHandle {
    fn drop(&mut self) {
        let bye = || actor::Input::Api(actor::Api::Shutdown(oneshot::channel().0));
        // Otherwise it was sent, or the speaker is stopped already.
        if let Err(mpsc::error::TrySendError::Full(_)) = self.0.try_send(bye()) {
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                let tx = self.0.clone();
                rt.spawn(async move { tx.send(bye()).await });
            }
        }
    }
}

impl fmt::Debug for Speaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Speaker")
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

impl Speaker {
    /// Validates `cfg`, binds the listener (if any), opens the kernel socket (if `fib`) and
    /// spawns the tasks on the current tokio runtime; sockets are TCP in the current network
    /// namespace.
    pub async fn start(cfg: SpeakerConfig) -> Result<Speaker, SpeakerError> {
        actor::start(cfg, Arc::new(Tcp::here()))
    }

    /// [`Speaker::start`] with every socket (listeners, connections, the kernel's) from
    /// `transport`: [`Tcp::in_namespace`] for a speaker in another network namespace,
    /// [`crate::transport::memory::MemoryNet`] for tests.
    pub async fn start_with(
        cfg: SpeakerConfig,
        transport: Arc<dyn Transport>,
    ) -> Result<Speaker, SpeakerError> {
        actor::start(cfg, transport)
    }

    /// Listens on another address too (port 0 picks one); returns the bound address. Every
    /// peer's TCP-MD5 key is installed on it, as on the others.
    pub async fn add_listen(&self, addr: SocketAddr) -> Result<SocketAddr, SpeakerError> {
        self.call(|reply| actor::Api::AddListen(addr, reply))
            .await?
    }

    /// The bound address of [`SpeakerConfig::listen`] (with the real port when 0 was asked
    /// for); see [`Speaker::add_listen`] for more.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local_addr
    }

    pub async fn add_peer(&self, p: PeerConfig) -> Result<(), SpeakerError> {
        self.call(|reply| actor::Api::AddPeer(p, reply)).await?
    }

    /// Sends Cease / Peer De-configured (6/3) if up, drops the peer's routes.
    pub async fn remove_peer(&self, addr: IpAddr) -> Result<(), SpeakerError> {
        self.call(|reply| actor::Api::RemovePeer(addr, reply))
            .await?
    }

    /// Applies a changed configuration for `p.address`. `enabled: false` brings the session
    /// down with Cease / Administrative Shutdown (6/2); a changed export policy re-evaluates the
    /// Adj-RIB-Out; a changed import policy asks the peer for a ROUTE-REFRESH (or resets the
    /// session if it cannot); other session parameters reset the session (Cease 6/4).
    pub async fn update_peer(&self, p: PeerConfig) -> Result<(), SpeakerError> {
        self.call(|reply| actor::Api::UpdatePeer(p, reply)).await?
    }

    /// Originates (or changes) a local route; it wins over learned ones and goes to all peers
    /// whose export policy permits it.
    pub async fn announce(&self, prefix: IpNet, attrs: Announce) -> Result<(), SpeakerError> {
        self.announce_many(vec![prefix], attrs).await
    }

    /// [`Speaker::announce`] for many prefixes with the same attributes, in one message to the
    /// speaker task and with one shared attribute set (cheap for large tables).
    pub async fn announce_many(
        &self,
        prefixes: Vec<IpNet>,
        attrs: Announce,
    ) -> Result<(), SpeakerError> {
        self.call(|reply| actor::Api::Announce(prefixes, attrs, reply))
            .await
    }

    /// Stops originating `prefix` (not an error when it was not announced).
    pub async fn withdraw(&self, prefix: IpNet) -> Result<(), SpeakerError> {
        self.withdraw_many(vec![prefix]).await
    }

    pub async fn withdraw_many(&self, prefixes: Vec<IpNet>) -> Result<(), SpeakerError> {
        self.call(|reply| actor::Api::Withdraw(prefixes, reply))
            .await
    }

    /// Status of every configured peer, ordered by address. Empty once shut down.
    pub async fn peers(&self) -> Vec<PeerStatus> {
        self.call(actor::Api::Peers).await.unwrap_or_default()
    }

    /// What the kernel did with our routes; `None` without `fib`. Updated as the kernel
    /// answers, so it may trail a route change by the time one netlink call takes.
    pub fn kernel_status(&self) -> Option<KernelStatus> {
        let k = self.kernel.as_ref()?;
        Some(k.lock().unwrap_or_else(|p| p.into_inner()).clone())
    }

    /// Every path in the Loc-RIB (best and others), ordered by prefix.
    pub async fn loc_rib(&self) -> Vec<Route> {
        self.call(actor::Api::LocRib).await.unwrap_or_default()
    }

    /// Routes accepted from `peer` (post import policy).
    pub async fn adj_rib_in(&self, peer: IpAddr) -> Vec<Route> {
        self.call(|reply| actor::Api::AdjRibIn(peer, reply))
            .await
            .unwrap_or_default()
    }

    /// Routes advertised to `peer`, with the attributes as sent.
    pub async fn adj_rib_out(&self, peer: IpAddr) -> Vec<Route> {
        self.call(|reply| actor::Api::AdjRibOut(peer, reply))
            .await
            .unwrap_or_default()
    }

    /// Every event, including one [`SpeakerEvent::RouteBest`] per changed prefix (a million
    /// for a full table: prefer [`Speaker::subscribe_status`] unless you need them).
    pub fn subscribe(&self) -> broadcast::Receiver<SpeakerEvent> {
        self.events.subscribe()
    }

    /// Peer state changes and route counts only ([`SpeakerEvent::PeerState`],
    /// [`SpeakerEvent::PeerRoutes`]); cheap however large the tables.
    pub fn subscribe_status(&self) -> broadcast::Receiver<SpeakerEvent> {
        self.events.subscribe_status()
    }

    /// Cease / Administrative Shutdown to every peer, kernel routes removed, tasks stopped.
    /// Other clones of the handle get [`SpeakerError::Stopped`] afterwards.
    pub async fn shutdown(self) {
        let _ = self.call(actor::Api::Shutdown).await;
    }

    async fn call<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> actor::Api,
    ) -> Result<T, SpeakerError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(actor::Input::Api(make(reply)))
            .await
            .map_err(|_| SpeakerError::Stopped)?;
        rx.await.map_err(|_| SpeakerError::Stopped)
    }
}
