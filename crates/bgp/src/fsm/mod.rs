//! Sans-IO RFC 4271 session FSM: events in, actions out.
//!
//! The tokio adapter owns sockets, timers and the codec; this module only decides. Every input
//! (admin command, TCP change, decoded message, timer expiry) is an [`Event`], every effect an
//! [`Action`] that the adapter performs in the order given (a NOTIFICATION before the close that
//! follows it). Time is passed in, so the machine runs in tests without sockets or sleeps.
//!
//! One [`Session`] is one configured peer. It owns up to two TCP connections at a time, which is
//! how a connection collision (RFC 4271 §6.8) is resolved inside a single machine; connections
//! are named by [`ConnId`]s that the adapter assigns.

mod notification;
#[cfg(test)]
mod tests;

pub use notification::{LastError, Notification};

use std::fmt;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

/// Hold timer while waiting for the peer's OPEN ("4 minutes is suggested", RFC 4271 §8.2.2).
pub const OPEN_HOLD_TIME: Duration = Duration::from_secs(240);

/// The only BGP version we speak; sent back as data of an "unsupported version" NOTIFICATION.
pub const BGP_VERSION: u8 = 4;

/// A TCP connection, as numbered by the adapter. Ids must not be reused within a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

/// Who opened the TCP connection; collision resolution keeps the one opened by the higher BGP id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Outbound,
    Inbound,
}

/// RFC 4271 §8.2.2 states, ordered by progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    Idle,
    Connect,
    Active,
    OpenSent,
    OpenConfirm,
    Established,
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Timer {
    ConnectRetry,
    Hold,
    Keepalive,
    /// Delay before restarting automatically after an error (RFC 4271's IdleHoldTimer).
    IdleHold,
}

/// An AFI/SAFI pair from the multiprotocol capability (RFC 4760).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Family {
    pub afi: u16,
    pub safi: u8,
}

impl Family {
    pub const IPV4_UNICAST: Family = Family { afi: 1, safi: 1 };
    pub const IPV6_UNICAST: Family = Family { afi: 2, safi: 1 };
}

/// Per-peer settings. We always announce 4-octet AS and route refresh; `families` go in
/// multiprotocol capabilities.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub local_asn: u32,
    /// The AS the peer must announce in its OPEN.
    pub remote_asn: u32,
    pub bgp_id: Ipv4Addr,
    /// Proposed hold time in seconds: 0 (no keepalives) or at least 3.
    pub hold_time: u16,
    pub connect_retry_time: Duration,
    pub idle_hold_time: Duration,
    /// Never initiate TCP; wait for the peer in Active.
    pub passive: bool,
    pub families: Vec<Family>,
}

impl Config {
    pub fn new(local_asn: u32, remote_asn: u32, bgp_id: Ipv4Addr) -> Self {
        Self {
            local_asn,
            remote_asn,
            bgp_id,
            hold_time: 90,
            connect_retry_time: Duration::from_secs(10),
            idle_hold_time: Duration::from_secs(5),
            passive: false,
            families: vec![Family::IPV4_UNICAST],
        }
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        check_asn(self.local_asn)?;
        check_asn(self.remote_asn)?;
        check_hold_time(self.hold_time)?;
        let problem = if self.bgp_id.is_unspecified() {
            "BGP identifier must not be 0.0.0.0"
        } else if self.connect_retry_time.is_zero() || self.idle_hold_time.is_zero() {
            "connect retry and idle hold times must be positive"
        } else {
            return Ok(());
        };
        Err(ConfigError(problem))
    }

    pub fn is_ibgp(&self) -> bool {
        self.local_asn == self.remote_asn
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError(&'static str);

/// The one check of a proposed hold time (RFC 4271 §4.2): 0 (no keepalives) or at least 3 s.
pub fn check_hold_time(seconds: u16) -> Result<u16, ConfigError> {
    if matches!(seconds, 1 | 2) {
        Err(ConfigError(
            "the hold time is 0 (no keepalives) or at least 3 seconds",
        ))
    } else {
        Ok(seconds)
    }
}

/// The one check of an AS number a session may use, for every configuration surface (the
/// speaker, `crosslink router`'s file, the fabric): 0 and 4294967295 are reserved, 23456 is
/// the 2-octet stand-in for 4-octet ASNs.
pub fn check_asn(asn: u32) -> Result<u32, ConfigError> {
    match asn {
        0 => Err(ConfigError(
            "AS 0 is reserved (RFC 7607) and cannot be used",
        )),
        23_456 => Err(ConfigError(
            "AS 23456 is AS_TRANS, the 2-octet stand-in for 4-octet ASNs (RFC 6793), not a real AS",
        )),
        u32::MAX => Err(ConfigError(
            "AS 4294967295 is reserved (RFC 7300) and cannot be used",
        )),
        a => Ok(a),
    }
}

impl ConfigError {
    /// The problem in words, without the "invalid BGP session config" heading.
    pub fn reason(&self) -> &'static str {
        self.0
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid BGP session config: {}", self.0)
    }
}

impl std::error::Error for ConfigError {}

/// The peer's OPEN as decoded by the adapter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerOpen {
    pub version: u8,
    /// The real AS: from the 4-octet AS capability if present, else the My-AS field.
    pub asn: u32,
    pub hold_time: u16,
    pub bgp_id: Ipv4Addr,
    pub four_octet_as: bool,
    pub route_refresh: bool,
    /// Multiprotocol capabilities; empty means none were sent (IPv4 unicast implied).
    pub multiprotocol: Vec<Family>,
}

/// What both sides agreed on, reported when the session is Established.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Negotiated {
    pub conn: ConnId,
    pub peer_asn: u32,
    pub peer_bgp_id: Ipv4Addr,
    /// Seconds; 0 means no hold timer and no keepalives.
    pub hold_time: u16,
    pub keepalive_time: u16,
    pub four_octet_as: bool,
    pub route_refresh: bool,
    pub families: Vec<Family>,
}

/// Why an outbound TCP connect failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectFailure {
    Refused,
    TimedOut,
    Other(String),
}

/// Administrative reasons to end a session, each with its RFC 4486 Cease subcode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CeaseReason {
    MaxPrefix {
        family: Family,
        limit: u32,
    },
    AdminShutdown,
    PeerDeconfigured,
    AdminReset,
    /// The peer fell so far behind reading our UPDATEs that what it still needs is too much
    /// to keep track of.
    OutOfResources,
}

impl CeaseReason {
    fn notification(&self) -> Notification {
        match self {
            Self::MaxPrefix { family, limit } => {
                let mut data = family.afi.to_be_bytes().to_vec();
                data.push(family.safi);
                data.extend_from_slice(&limit.to_be_bytes());
                Notification::new(Notification::CEASE, 1, data)
            }
            Self::AdminShutdown => Notification::cease(2),
            Self::PeerDeconfigured => Notification::cease(3),
            Self::AdminReset => Notification::cease(4),
            Self::OutOfResources => Notification::cease(8),
        }
    }

    fn error(&self) -> LastError {
        match self {
            Self::MaxPrefix { limit, .. } => LastError::MaxPrefix { limit: *limit },
            Self::AdminShutdown => LastError::AdminDown,
            Self::PeerDeconfigured => LastError::PeerDeconfigured,
            Self::AdminReset => LastError::AdminReset,
            Self::OutOfResources => LastError::OutOfResources,
        }
    }

    /// Max-prefix, reset and out of resources bring the session back after the idle hold
    /// time; the others keep it down.
    fn restarts(&self) -> bool {
        matches!(
            self,
            Self::MaxPrefix { .. } | Self::AdminReset | Self::OutOfResources
        )
    }
}

/// Inputs, named after RFC 4271 §8.1 events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    ManualStart,
    ManualStartPassive,
    ManualStop,
    AutomaticStart,
    /// Administrative end with a Cease NOTIFICATION.
    Cease(CeaseReason),
    TimerExpired(Timer),
    /// Our outbound connect completed.
    TcpCrAcked(ConnId),
    /// An inbound connection from the peer was accepted.
    TcpConnectionConfirmed(ConnId),
    /// The outbound connect attempt failed before a connection existed.
    TcpConnectFailed(ConnectFailure),
    /// An established TCP connection closed or broke.
    TcpConnectionFails(ConnId),
    BgpOpen(ConnId, PeerOpen),
    /// The decoder rejected a message header; the NOTIFICATION is what to send.
    BgpHeaderErr(ConnId, Notification),
    BgpOpenMsgErr(ConnId, Notification),
    NotifMsg(ConnId, Notification),
    KeepAliveMsg(ConnId),
    /// The adapter holds the decoded UPDATE and passes it on only if told [`Action::DeliverUpdate`].
    UpdateMsg(ConnId),
    UpdateMsgErr(ConnId, Notification),
    RouteRefreshMsg(ConnId),
}

/// Effects, to be carried out in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Start an outbound TCP connect, replacing any attempt in progress.
    Connect,
    /// Abandon the outbound connect in progress.
    CancelConnect,
    SendOpen(ConnId),
    SendKeepalive(ConnId),
    SendNotification(ConnId, Notification),
    DeliverUpdate(ConnId),
    DeliverRouteRefresh(ConnId),
    CloseConnection(ConnId),
    /// Arm (or re-arm) a timer; it comes back as [`Event::TimerExpired`].
    StartTimer(Timer, Duration),
    StopTimer(Timer),
    StateChanged {
        from: State,
        to: State,
    },
    SessionEstablished(Negotiated),
    /// Left Established: the adapter drops what it learned from the peer.
    SessionDown {
        reason: LastError,
    },
}

/// Counters for the status surface.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub transitions: u64,
    pub established_count: u64,
    pub established_since: Option<Instant>,
    pub last_error: Option<LastError>,
    pub last_error_at: Option<Instant>,
    pub connect_retry_counter: u32,
}

#[derive(Debug)]
struct Conn {
    id: ConnId,
    dir: Direction,
    /// OpenSent, OpenConfirm or Established.
    phase: State,
    negotiated: Option<Negotiated>,
}

/// A received message, for the per-connection transition table.
enum Msg {
    Open(PeerOpen),
    Keepalive,
    Update,
    UpdateErr(Notification),
    RouteRefresh,
}

impl Msg {
    fn name(&self) -> &'static str {
        match self {
            Msg::Open(_) => "OPEN",
            Msg::Keepalive => "KEEPALIVE",
            Msg::Update | Msg::UpdateErr(_) => "UPDATE",
            Msg::RouteRefresh => "ROUTE-REFRESH",
        }
    }
}

#[derive(Debug)]
pub struct Session {
    cfg: Config,
    state: State,
    conns: Vec<Conn>,
    /// An outbound connect is in progress.
    connecting: bool,
    passive: bool,
    /// Started and not stopped: errors lead to an automatic restart.
    enabled: bool,
    /// Deadline of each running timer; an expiry of a stopped or re-armed timer is stale and ignored.
    deadlines: [Option<Instant>; 4],
    stats: Stats,
    /// The time of the event being handled.
    now: Instant,
    out: Vec<Action>,
}

impl Session {
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Self {
            passive: config.passive,
            cfg: config,
            state: State::Idle,
            conns: Vec::new(),
            connecting: false,
            enabled: false,
            deadlines: [None; 4],
            stats: Stats::default(),
            now: Instant::now(),
            out: Vec::new(),
        })
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    pub fn state(&self) -> State {
        self.state
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Parameters of the connection furthest along (the Established one, once there is one).
    pub fn negotiated(&self) -> Option<&Negotiated> {
        self.conns
            .iter()
            .filter(|c| c.negotiated.is_some())
            .max_by_key(|c| c.phase)
            .and_then(|c| c.negotiated.as_ref())
    }

    pub fn timer_deadline(&self, timer: Timer) -> Option<Instant> {
        self.deadlines[timer as usize]
    }

    /// Applies one event at time `now` (monotonic, from the same clock as the timers).
    pub fn handle(&mut self, now: Instant, event: Event) -> Vec<Action> {
        self.now = now;
        match event {
            Event::ManualStart => self.start(self.cfg.passive),
            Event::ManualStartPassive => self.start(true),
            Event::AutomaticStart => self.start(self.passive),
            Event::ManualStop => self.stop(None),
            Event::Cease(reason) => self.stop(Some(reason)),
            Event::TimerExpired(t) => self.timer_expired(t),
            Event::TcpCrAcked(c) => self.connection_up(c, Direction::Outbound),
            Event::TcpConnectionConfirmed(c) => self.connection_up(c, Direction::Inbound),
            Event::TcpConnectFailed(f) => self.connect_failed(f),
            Event::TcpConnectionFails(c) => self.connection_lost(c),
            Event::BgpHeaderErr(c, n) | Event::BgpOpenMsgErr(c, n) => {
                if self.phase(c).is_some() {
                    let e = LastError::sent(&n, "");
                    self.fail(c, Some(n), e);
                }
            }
            Event::NotifMsg(c, n) => {
                if self.phase(c).is_some() {
                    self.fail(c, None, LastError::received(&n));
                }
            }
            Event::BgpOpen(c, open) => self.message(c, Msg::Open(open)),
            Event::KeepAliveMsg(c) => self.message(c, Msg::Keepalive),
            Event::UpdateMsg(c) => self.message(c, Msg::Update),
            Event::UpdateMsgErr(c, n) => self.message(c, Msg::UpdateErr(n)),
            Event::RouteRefreshMsg(c) => self.message(c, Msg::RouteRefresh),
        }
        std::mem::take(&mut self.out)
    }

    fn start(&mut self, passive: bool) {
        if self.state != State::Idle {
            return;
        }
        self.enabled = true;
        self.passive = passive;
        self.stop_timer(Timer::IdleHold);
        if passive {
            self.set_state(State::Active);
        } else {
            self.connect();
            self.set_state(State::Connect);
        }
    }

    fn connect(&mut self) {
        self.connecting = true;
        self.out.push(Action::Connect);
        self.start_timer(Timer::ConnectRetry, self.cfg.connect_retry_time);
    }

    /// ManualStop (`None`) or an administrative Cease.
    fn stop(&mut self, reason: Option<CeaseReason>) {
        let restart = reason.as_ref().is_some_and(CeaseReason::restarts);
        if !restart {
            self.enabled = false;
        }
        if self.state == State::Idle {
            if !self.enabled {
                self.stop_timer(Timer::IdleHold);
            }
            return;
        }
        let (notification, error) = match &reason {
            Some(r) => (r.notification(), r.error()),
            None => (Notification::cease(2), LastError::AdminDown),
        };
        self.set_error(error);
        self.close_all(Some(notification));
        if reason.is_none() {
            self.stats.connect_retry_counter = 0;
        }
        self.go_idle(restart);
    }

    fn timer_expired(&mut self, t: Timer) {
        match self.deadlines[t as usize] {
            Some(deadline) if self.now >= deadline => self.deadlines[t as usize] = None,
            _ => return,
        }
        match t {
            Timer::ConnectRetry => match self.state {
                State::Connect => {
                    self.set_error(LastError::NoTcpAnswer);
                    self.connect();
                }
                State::Active if !self.passive => {
                    self.connect();
                    self.set_state(State::Connect);
                }
                _ => {}
            },
            Timer::Hold => {
                self.set_error(LastError::HoldTimerExpired);
                self.close_all(Some(Notification::new(
                    Notification::HOLD_TIMER_EXPIRED,
                    0,
                    Vec::new(),
                )));
                self.go_idle(true);
            }
            Timer::Keepalive => {
                let ids: Vec<ConnId> = self
                    .conns
                    .iter()
                    .filter(|c| c.phase >= State::OpenConfirm)
                    .map(|c| c.id)
                    .collect();
                self.out.extend(ids.into_iter().map(Action::SendKeepalive));
                if let Some(hold) = self.hold_time() {
                    self.start_timer(Timer::Keepalive, keepalive_interval(hold));
                }
            }
            Timer::IdleHold => {
                if self.enabled {
                    self.start(self.passive);
                }
            }
        }
    }

    fn connection_up(&mut self, c: ConnId, dir: Direction) {
        if self.phase(c).is_some() {
            return;
        }
        if dir == Direction::Outbound {
            if !self.connecting {
                // A connect that completed after we gave up on it.
                self.out.push(Action::CloseConnection(c));
                return;
            }
            self.connecting = false;
        }
        match self.state {
            State::Connect | State::Active => {
                self.stop_timer(Timer::ConnectRetry);
                self.add_conn(c, dir);
                self.start_timer(Timer::Hold, OPEN_HOLD_TIME);
                self.set_state(State::OpenSent);
            }
            // Track the second connection until its OPEN decides the collision.
            State::OpenSent | State::OpenConfirm if self.conns.len() < 2 => self.add_conn(c, dir),
            // RFC 4271 §6.8: a collision with an Established session closes the new connection.
            State::Established => self.close(c, Some(Notification::cease(7))),
            _ => self.close(c, Some(Notification::cease(5))),
        }
    }

    fn connect_failed(&mut self, failure: ConnectFailure) {
        if !self.connecting {
            return;
        }
        self.connecting = false;
        if self.state != State::Connect {
            return; // an inbound connection took over meanwhile
        }
        self.set_error(match failure {
            ConnectFailure::Refused => LastError::ConnectionRefused,
            ConnectFailure::TimedOut => LastError::NoTcpAnswer,
            ConnectFailure::Other(e) => LastError::ConnectFailed(e),
        });
        // Keep listening and retry when ConnectRetry expires (the RFC's DelayOpen branch).
        self.start_timer(Timer::ConnectRetry, self.cfg.connect_retry_time);
        self.set_state(State::Active);
    }

    fn connection_lost(&mut self, c: ConnId) {
        let Some(phase) = self.phase(c) else { return };
        self.set_error(LastError::ConnectionClosedByPeer);
        self.close(c, None);
        if !self.conns.is_empty() {
            self.conn_removed();
        } else if phase == State::OpenSent {
            // RFC 4271: back to Active, listening, with ConnectRetry restarted.
            self.stop_timer(Timer::Hold);
            if !self.passive {
                self.start_timer(Timer::ConnectRetry, self.cfg.connect_retry_time);
            }
            self.set_state(if self.connecting {
                State::Connect
            } else {
                State::Active
            });
        } else {
            self.go_idle(true);
        }
    }

    /// The per-connection transition table for received messages.
    fn message(&mut self, c: ConnId, msg: Msg) {
        let Some(phase) = self.phase(c) else { return };
        match (phase, msg) {
            (State::OpenSent, Msg::Open(open)) => self.open_received(c, open),
            (State::OpenConfirm, Msg::Keepalive) => self.establish(c),
            (State::Established, Msg::Keepalive) => self.restart_hold(),
            (State::Established, Msg::Update) => {
                self.restart_hold();
                self.out.push(Action::DeliverUpdate(c));
            }
            (State::Established, Msg::RouteRefresh) => {
                self.restart_hold();
                self.out.push(Action::DeliverRouteRefresh(c));
            }
            (State::Established, Msg::UpdateErr(n)) => {
                let e = LastError::sent(&n, "");
                self.fail(c, Some(n), e);
            }
            (phase, msg) => {
                // RFC 6608 subcodes: 1 OpenSent, 2 OpenConfirm, 3 Established.
                let subcode = match phase {
                    State::OpenSent => 1,
                    State::OpenConfirm => 2,
                    _ => 3,
                };
                let n = Notification::new(Notification::FSM_ERROR, subcode, Vec::new());
                let e = LastError::sent(&n, format!("peer sent {}", msg.name()));
                self.fail(c, Some(n), e);
            }
        }
    }

    fn open_received(&mut self, c: ConnId, open: PeerOpen) {
        if let Err((subcode, data, text)) = self.check_open(&open) {
            let n = Notification::new(Notification::OPEN_MESSAGE_ERROR, subcode, data);
            let e = LastError::sent(&n, text);
            return self.fail(c, Some(n), e);
        }
        if let Some(loser) = self.collision_loser(c, open.bgp_id) {
            self.close(loser, Some(Notification::cease(7)));
            if loser == c {
                return self.conn_removed();
            }
        }
        let neg = self.negotiate(c, &open);
        let hold = neg.hold_time;
        if let Some(conn) = self.conns.iter_mut().find(|x| x.id == c) {
            conn.phase = State::OpenConfirm;
            conn.negotiated = Some(neg);
        }
        self.out.push(Action::SendKeepalive(c));
        if hold > 0 {
            self.start_timer(Timer::Keepalive, keepalive_interval(hold));
            self.start_timer(Timer::Hold, Duration::from_secs(hold.into()));
        } else {
            self.stop_timer(Timer::Keepalive);
            self.stop_timer(Timer::Hold);
        }
        self.set_state(State::OpenConfirm);
    }

    /// RFC 4271 §6.2 checks, in its order; the error is (subcode, data, detail for the user).
    fn check_open(&self, open: &PeerOpen) -> Result<(), (u8, Vec<u8>, String)> {
        if open.version != BGP_VERSION {
            let data = u16::from(BGP_VERSION).to_be_bytes().to_vec();
            let text = format!(
                "peer speaks version {}, we speak {BGP_VERSION}",
                open.version
            );
            return Err((1, data, text));
        }
        if open.asn != self.cfg.remote_asn {
            let text = format!("expected {}, peer sent {}", self.cfg.remote_asn, open.asn);
            return Err((2, Vec::new(), text));
        }
        if matches!(open.hold_time, 1 | 2) {
            let text = format!(
                "peer proposed {} s; must be 0 or at least 3",
                open.hold_time
            );
            return Err((6, Vec::new(), text));
        }
        if open.bgp_id.is_unspecified() || open.bgp_id == self.cfg.bgp_id {
            let text = format!("peer sent {}, ours is {}", open.bgp_id, self.cfg.bgp_id);
            return Err((3, Vec::new(), text));
        }
        Ok(())
    }

    /// RFC 4271 §6.8: keep the connection opened by the speaker with the higher BGP identifier.
    /// The peer's identifier is known from this OPEN, so a partner still in OpenSent is decided too.
    fn collision_loser(&self, c: ConnId, peer_id: Ipv4Addr) -> Option<ConnId> {
        let this = self.conns.iter().find(|x| x.id == c)?;
        let other = self.conns.iter().find(|x| x.id != c)?;
        if this.dir == other.dir {
            return Some(other.id); // the peer reconnected; the older connection is stale
        }
        let keep_outbound = u32::from(self.cfg.bgp_id) > u32::from(peer_id);
        Some(if (this.dir == Direction::Outbound) == keep_outbound {
            other.id
        } else {
            c
        })
    }

    fn negotiate(&self, c: ConnId, open: &PeerOpen) -> Negotiated {
        let hold_time = self.cfg.hold_time.min(open.hold_time);
        let implied = [Family::IPV4_UNICAST];
        let theirs = if open.multiprotocol.is_empty() {
            &implied[..]
        } else {
            &open.multiprotocol[..]
        };
        Negotiated {
            conn: c,
            peer_asn: open.asn,
            peer_bgp_id: open.bgp_id,
            hold_time,
            keepalive_time: hold_time / 3,
            four_octet_as: open.four_octet_as,
            route_refresh: open.route_refresh,
            families: self
                .cfg
                .families
                .iter()
                .filter(|f| theirs.contains(f))
                .copied()
                .collect(),
        }
    }

    fn establish(&mut self, c: ConnId) {
        let others: Vec<ConnId> = self
            .conns
            .iter()
            .map(|x| x.id)
            .filter(|&x| x != c)
            .collect();
        for o in others {
            self.close(o, Some(Notification::cease(7)));
        }
        if let Some(conn) = self.conns.iter_mut().find(|x| x.id == c) {
            conn.phase = State::Established;
        }
        self.restart_hold();
        self.set_state(State::Established);
    }

    /// Ends one connection after an error; the session goes Idle if it was the last one.
    fn fail(&mut self, c: ConnId, notification: Option<Notification>, error: LastError) {
        self.set_error(error);
        self.close(c, notification);
        if self.conns.is_empty() {
            self.go_idle(true);
        } else {
            self.conn_removed();
        }
    }

    fn close(&mut self, c: ConnId, notification: Option<Notification>) {
        if let Some(n) = notification {
            self.out.push(Action::SendNotification(c, n));
        }
        self.out.push(Action::CloseConnection(c));
        self.conns.retain(|x| x.id != c);
    }

    fn close_all(&mut self, notification: Option<Notification>) {
        let ids: Vec<ConnId> = self.conns.iter().map(|x| x.id).collect();
        for c in ids {
            self.close(c, notification.clone());
        }
    }

    /// One of two connections is gone; the survivor sets the state (and its timers, if it still waits for an OPEN).
    fn conn_removed(&mut self) {
        let top = self
            .conns
            .iter()
            .map(|x| x.phase)
            .max()
            .unwrap_or(State::Idle);
        if top == State::OpenSent && self.state != State::OpenSent {
            self.stop_timer(Timer::Keepalive);
            self.start_timer(Timer::Hold, OPEN_HOLD_TIME);
        }
        self.set_state(top);
    }

    fn go_idle(&mut self, after_error: bool) {
        for t in [Timer::ConnectRetry, Timer::Hold, Timer::Keepalive] {
            self.stop_timer(t);
        }
        if self.connecting {
            self.connecting = false;
            self.out.push(Action::CancelConnect);
        }
        self.set_state(State::Idle);
        if after_error {
            self.stats.connect_retry_counter += 1;
            if self.enabled {
                self.start_timer(Timer::IdleHold, self.cfg.idle_hold_time);
            }
        }
    }

    fn set_state(&mut self, to: State) {
        let from = self.state;
        if from == to {
            return;
        }
        self.state = to;
        self.stats.transitions += 1;
        self.out.push(Action::StateChanged { from, to });
        if from == State::Established {
            self.stats.established_since = None;
            let reason = self
                .stats
                .last_error
                .clone()
                .unwrap_or(LastError::ConnectionClosedByPeer);
            self.out.push(Action::SessionDown { reason });
        }
        if to == State::Established {
            self.stats.established_count += 1;
            self.stats.established_since = Some(self.now);
            if let Some(n) = self.negotiated().cloned() {
                self.out.push(Action::SessionEstablished(n));
            }
        }
    }

    fn set_error(&mut self, e: LastError) {
        self.stats.last_error = Some(e);
        self.stats.last_error_at = Some(self.now);
    }

    fn add_conn(&mut self, id: ConnId, dir: Direction) {
        self.conns.push(Conn {
            id,
            dir,
            phase: State::OpenSent,
            negotiated: None,
        });
        self.out.push(Action::SendOpen(id));
    }

    fn phase(&self, c: ConnId) -> Option<State> {
        self.conns.iter().find(|x| x.id == c).map(|x| x.phase)
    }

    /// Negotiated non-zero hold time of the connection furthest along.
    fn hold_time(&self) -> Option<u16> {
        self.negotiated().map(|n| n.hold_time).filter(|&h| h > 0)
    }

    fn restart_hold(&mut self) {
        if let Some(hold) = self.hold_time() {
            self.start_timer(Timer::Hold, Duration::from_secs(hold.into()));
        }
    }

    fn start_timer(&mut self, t: Timer, d: Duration) {
        self.deadlines[t as usize] = Some(self.now + d);
        self.out.push(Action::StartTimer(t, d));
    }

    fn stop_timer(&mut self, t: Timer) {
        if self.deadlines[t as usize].take().is_some() {
            self.out.push(Action::StopTimer(t));
        }
    }
}

fn keepalive_interval(hold: u16) -> Duration {
    Duration::from_secs(u64::from(hold / 3).max(1))
}

impl Stats {
    pub fn uptime(&self, now: Instant) -> Option<Duration> {
        self.established_since
            .map(|t| now.saturating_duration_since(t))
    }
}
