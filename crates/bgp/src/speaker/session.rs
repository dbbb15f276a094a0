//! One BGP session: the tokio task around the sans-IO FSM.
//!
//! The task owns the FSM, performs its actions, and sleeps until the FSM's earliest timer
//! deadline (the FSM keeps the deadlines; stale expiries are ignored there). Each TCP
//! connection gets a reader task (framing, decoding with the negotiated context) and a writer
//! task (a queue of encoded bytes), so neither a slow peer nor a busy speaker task blocks the
//! timers. Established sessions hand the writer queue to the speaker task, which writes its
//! UPDATEs there directly.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::actor::Input;
use super::PeerConfig;
use crate::fsm::{
    self, Action, CeaseReason, ConnId, ConnectFailure, Event, Family, Negotiated, PeerOpen,
    Session, State, Timer,
};
use crate::transport::seam::ReadHalf;
use crate::transport::{Connection, Dial, Transport};
use crate::wire::{self, Capability, CodecContext, DecodeError, Message, Open};

/// Commands from the speaker task.
pub(super) enum Cmd {
    /// An accepted connection from this peer's address.
    Inbound(Connection),
    /// Administrative start / stop (ManualStart / ManualStop with Cease 6/2).
    Enable(bool),
    /// New session parameters: Cease / Administrative Reset, then start over with them.
    Reset(Box<PeerConfig>),
    /// End the session with a Cease (max-prefix: it restarts after the idle hold time).
    Cease(CeaseReason),
    /// Cease, wait briefly for the NOTIFICATION to be written, and end the task.
    Stop(CeaseReason),
}

/// An item for a connection's writer task.
enum WriteItem {
    Bytes(Vec<u8>),
    Close,
}

/// Queued bytes above which the speaker stops encoding for a peer (it is out of sync until
/// its writer drains below [`QUEUE_LOW`], then gets what changed meanwhile).
pub(super) const QUEUE_HIGH: usize = 4 << 20;
/// Queued bytes below which a paused peer is sent what it missed.
pub(super) const QUEUE_LOW: usize = 1 << 20;

/// The write queue of one connection, counting the bytes in it (including the write in
/// progress), so the speaker can tell a peer that does not read.
#[derive(Clone)]
pub(super) struct Writer {
    tx: mpsc::UnboundedSender<WriteItem>,
    queue: Arc<Queued>,
}

struct Queued {
    bytes: AtomicUsize,
    /// The speaker waits for the queue to drain below [`QUEUE_LOW`].
    paused: AtomicBool,
}

impl Writer {
    pub(super) fn send(&self, bytes: Vec<u8>) {
        let n = bytes.len();
        self.queue.bytes.fetch_add(n, Ordering::SeqCst);
        if self.tx.send(WriteItem::Bytes(bytes)).is_err() {
            self.queue.bytes.fetch_sub(n, Ordering::SeqCst);
        }
    }

    fn close(&self) {
        let _ = self.tx.send(WriteItem::Close);
    }

    pub(super) fn queued(&self) -> usize {
        self.queue.bytes.load(Ordering::SeqCst)
    }

    /// Asks the writer to report [`Report::Drained`] once below [`QUEUE_LOW`]; false if it is
    /// below already (then no report comes).
    pub(super) fn pause(&self) -> bool {
        self.queue.paused.store(true, Ordering::SeqCst);
        !(self.queued() < QUEUE_LOW && self.queue.paused.swap(false, Ordering::SeqCst))
    }
}

/// What a session tells the speaker task.
pub(super) enum Report {
    State {
        from: State,
        to: State,
        error: Option<String>,
        last_error: Option<String>,
        established_count: u64,
    },
    Up {
        out: Writer,
        local: SocketAddr,
        negotiated: Negotiated,
        ctx: CodecContext,
    },
    /// The last error changed without a state change (e.g. a retry while in Connect).
    Error(String),
    Update(Box<wire::Update>),
    RouteRefresh,
    /// The write queue of a paused peer drained below [`QUEUE_LOW`].
    Drained,
    Down,
}

/// Speaker-wide facts a session needs.
#[derive(Clone)]
pub(super) struct Local {
    pub asn: u32,
    pub router_id: std::net::Ipv4Addr,
    pub transport: Arc<dyn Transport>,
}

impl Local {
    /// The AS we are toward `p`: its own local ASN if it has one, else the speaker's.
    pub fn asn_for(&self, p: &PeerConfig) -> u32 {
        p.local_asn.unwrap_or(self.asn)
    }
}

/// The session clock: tokio's, so tests that pause time drive the FSM's timers too.
fn now() -> std::time::Instant {
    Instant::now().into_std()
}

pub(super) fn fsm_config(local: &Local, p: &PeerConfig) -> fsm::Config {
    fsm::Config {
        local_asn: local.asn_for(p),
        remote_asn: p.remote_asn,
        bgp_id: local.router_id,
        hold_time: p.hold_time,
        connect_retry_time: p.connect_retry,
        idle_hold_time: p.connect_retry,
        passive: p.passive,
        families: vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST],
    }
}

fn local_open(local: &Local, p: &PeerConfig) -> Open {
    Open::new(
        local.asn_for(p),
        p.hold_time,
        local.router_id,
        Capability::UNICAST_AND_REFRESH.to_vec(),
    )
}

/// Spawns the session task; it starts the FSM at once if the peer is enabled.
pub(super) fn spawn(
    local: Local,
    cfg: PeerConfig,
    sid: u64,
    speaker: mpsc::Sender<Input>,
) -> Result<(mpsc::UnboundedSender<Cmd>, JoinHandle<()>), fsm::ConfigError> {
    let fsm = Session::new(fsm_config(&local, &cfg))?;
    let (tx, rx) = mpsc::unbounded_channel();
    let (itx, irx) = mpsc::channel(64);
    let task = SessionTask {
        open: local_open(&local, &cfg),
        local,
        cfg,
        fsm,
        sid,
        speaker,
        conns: Vec::new(),
        closing: Vec::new(),
        next_conn: 0,
        attempt: 0,
        connecting: None,
        itx,
        reported_error_at: None,
        established_before: 0,
    };
    let handle = tokio::spawn(task.run(rx, irx));
    Ok((tx, handle))
}

/// Inputs from the task's own helpers (connect attempts, readers).
enum Internal {
    Connected(u64, io::Result<Connection>),
    Msg(ConnId, Box<Message>),
    DecodeErr(ConnId, DecodeError),
    Closed(ConnId),
}

struct Conn {
    id: ConnId,
    out: Writer,
    local: SocketAddr,
    reader: JoinHandle<()>,
    writer: JoinHandle<()>,
}

struct SessionTask {
    local: Local,
    cfg: PeerConfig,
    open: Open,
    fsm: Session,
    sid: u64,
    speaker: mpsc::Sender<Input>,
    conns: Vec<Conn>,
    /// Writers still flushing a final NOTIFICATION.
    closing: Vec<JoinHandle<()>>,
    next_conn: u64,
    attempt: u64,
    connecting: Option<JoinHandle<()>>,
    itx: mpsc::Sender<Internal>,
    /// When the last error we told the speaker about happened.
    reported_error_at: Option<std::time::Instant>,
    /// Established count of the FSMs replaced by resets.
    established_before: u64,
}

const TIMERS: [Timer; 4] = [
    Timer::ConnectRetry,
    Timer::Hold,
    Timer::Keepalive,
    Timer::IdleHold,
];

/// How long a stopping session waits for its last NOTIFICATION to be written.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(2);

impl SessionTask {
    async fn run(
        mut self,
        mut cmds: mpsc::UnboundedReceiver<Cmd>,
        mut internal: mpsc::Receiver<Internal>,
    ) {
        if self.cfg.enabled {
            self.handle(Event::ManualStart, None).await;
        }
        loop {
            let deadline = TIMERS
                .iter()
                .filter_map(|&t| self.fsm.timer_deadline(t))
                .min()
                .map(Instant::from_std);
            tokio::select! {
                cmd = cmds.recv() => match cmd {
                    Some(Cmd::Stop(reason)) => {
                        self.handle(Event::Cease(reason), None).await;
                        break;
                    }
                    None => {
                        self.handle(Event::Cease(CeaseReason::AdminShutdown), None).await;
                        break;
                    }
                    Some(cmd) => self.command(cmd).await,
                },
                Some(i) = internal.recv() => self.internal(i).await,
                _ = sleep_until(deadline), if deadline.is_some() => {
                    let now = now();
                    for t in TIMERS {
                        if self.fsm.timer_deadline(t).is_some_and(|d| d <= now) {
                            self.handle(Event::TimerExpired(t), None).await;
                        }
                    }
                }
            }
        }
        if let Some(c) = self.connecting.take() {
            c.abort();
        }
        for c in self.conns.drain(..) {
            c.out.close();
            c.reader.abort();
            self.closing.push(c.writer);
        }
        let _ = tokio::time::timeout(FLUSH_TIMEOUT, async {
            for w in self.closing.drain(..) {
                let _ = w.await;
            }
        })
        .await;
    }

    async fn command(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Inbound(stream) => {
                if let Some(ttl) = self.cfg.ttl {
                    let _ = stream.set_ttl(ttl);
                }
                // An error means the socket died already.
                if let Ok(id) = self.add_conn(stream) {
                    self.handle(Event::TcpConnectionConfirmed(id), None).await
                }
            }
            Cmd::Enable(true) => {
                self.cfg.enabled = true;
                self.handle(Event::ManualStart, None).await;
            }
            Cmd::Enable(false) => {
                self.cfg.enabled = false;
                self.handle(Event::ManualStop, None).await;
            }
            Cmd::Reset(cfg) => {
                self.handle(Event::Cease(CeaseReason::AdminReset), None)
                    .await;
                // The speaker validated the config before sending it.
                if let Ok(fsm) = Session::new(fsm_config(&self.local, &cfg)) {
                    self.established_before += self.fsm.stats().established_count;
                    self.fsm = fsm;
                    self.open = local_open(&self.local, &cfg);
                    self.cfg = *cfg;
                    if self.cfg.enabled {
                        self.handle(Event::ManualStart, None).await;
                    }
                }
            }
            Cmd::Cease(reason) | Cmd::Stop(reason) => self.handle(Event::Cease(reason), None).await,
        }
    }

    async fn internal(&mut self, i: Internal) {
        match i {
            Internal::Connected(attempt, result) => {
                if attempt != self.attempt || self.connecting.is_none() {
                    return; // abandoned; dropping the stream closes it
                }
                self.connecting = None;
                let event = match result {
                    Ok(stream) => match self.add_conn(stream) {
                        Ok(id) => Event::TcpCrAcked(id),
                        Err(e) => Event::TcpConnectFailed(ConnectFailure::Other(e.to_string())),
                    },
                    Err(e) => Event::TcpConnectFailed(match e.kind() {
                        io::ErrorKind::TimedOut => ConnectFailure::TimedOut,
                        io::ErrorKind::ConnectionRefused => ConnectFailure::Refused,
                        _ => ConnectFailure::Other(e.to_string()),
                    }),
                };
                self.handle(event, None).await;
            }
            Internal::Msg(c, msg) => match *msg {
                Message::Open(o) => {
                    let open = PeerOpen {
                        version: o.version,
                        asn: o.asn(),
                        hold_time: o.hold_time,
                        bgp_id: o.bgp_id,
                        four_octet_as: o.four_octet_as().is_some(),
                        route_refresh: o.route_refresh(),
                        multiprotocol: o
                            .capabilities
                            .iter()
                            .filter_map(|c| match c {
                                Capability::Multiprotocol { afi, safi } => Some(Family {
                                    afi: afi.code(),
                                    safi: safi.code(),
                                }),
                                _ => None,
                            })
                            .collect(),
                    };
                    self.handle(Event::BgpOpen(c, open), None).await
                }
                Message::Update(u) => self.handle(Event::UpdateMsg(c), Some(Box::new(u))).await,
                Message::Notification(n) => {
                    let n = fsm::Notification::new(n.code, n.subcode, n.data);
                    self.handle(Event::NotifMsg(c, n), None).await
                }
                Message::Keepalive => self.handle(Event::KeepAliveMsg(c), None).await,
                Message::RouteRefresh(_) => self.handle(Event::RouteRefreshMsg(c), None).await,
            },
            Internal::DecodeErr(c, e) => {
                let n = e.notification;
                let code = n.code;
                let n = fsm::Notification::new(n.code, n.subcode, n.data);
                let event = match code {
                    wire::codes::OPEN_MESSAGE_ERROR => Event::BgpOpenMsgErr(c, n),
                    wire::codes::UPDATE_MESSAGE_ERROR => Event::UpdateMsgErr(c, n),
                    _ => Event::BgpHeaderErr(c, n),
                };
                self.handle(event, None).await
            }
            Internal::Closed(c) => self.handle(Event::TcpConnectionFails(c), None).await,
        }
    }

    /// Feeds one event to the FSM and carries out its actions. `update` is the decoded UPDATE
    /// behind an `UpdateMsg`, passed on only if the FSM says so.
    async fn handle(&mut self, event: Event, mut update: Option<Box<wire::Update>>) {
        let actions = self.fsm.handle(now(), event);
        let state_changed = actions
            .iter()
            .any(|a| matches!(a, Action::StateChanged { .. }));
        let error_at = self.fsm.stats().last_error_at;
        if !state_changed && error_at.is_some() && error_at != self.reported_error_at {
            if let Some(e) = &self.fsm.stats().last_error {
                self.report(Report::Error(e.to_string())).await;
            }
        }
        self.reported_error_at = error_at;
        for action in actions {
            match action {
                Action::Connect => self.connect(),
                Action::CancelConnect => {
                    if let Some(c) = self.connecting.take() {
                        c.abort();
                    }
                }
                Action::SendOpen(c) => self.send(c, &Message::Open(self.open.clone())),
                Action::SendKeepalive(c) => self.send(c, &Message::Keepalive),
                Action::SendNotification(c, n) => {
                    let n = wire::Notification::new(n.code, n.subcode, n.data);
                    self.send(c, &Message::Notification(n))
                }
                Action::DeliverUpdate(_) => {
                    if let Some(u) = update.take() {
                        self.report(Report::Update(u)).await;
                    }
                }
                Action::DeliverRouteRefresh(_) => self.report(Report::RouteRefresh).await,
                Action::CloseConnection(c) => {
                    if let Some(i) = self.conns.iter().position(|x| x.id == c) {
                        let conn = self.conns.swap_remove(i);
                        conn.out.close();
                        conn.reader.abort();
                        self.closing.retain(|w| !w.is_finished());
                        // A peer that does not read would keep the writer (and the socket)
                        // forever: give its NOTIFICATION a moment, then drop it all.
                        let abort = conn.writer.abort_handle();
                        self.closing.push(tokio::spawn(async move {
                            if tokio::time::timeout(FLUSH_TIMEOUT, conn.writer)
                                .await
                                .is_err()
                            {
                                abort.abort();
                            }
                        }));
                    }
                }
                Action::StartTimer(..) | Action::StopTimer(_) => {}
                Action::StateChanged { from, to } => {
                    let stats = self.fsm.stats();
                    let last_error = stats.last_error.as_ref().map(ToString::to_string);
                    let caused_by_error =
                        to < from || (from == State::Connect && to == State::Active);
                    let report = Report::State {
                        from,
                        to,
                        error: last_error.clone().filter(|_| caused_by_error),
                        last_error,
                        established_count: self.established_before + stats.established_count,
                    };
                    self.report(report).await;
                }
                Action::SessionEstablished(negotiated) => {
                    if let Some(conn) = self.conns.iter().find(|x| x.id == negotiated.conn) {
                        let ctx = CodecContext {
                            four_octet_as: negotiated.four_octet_as,
                            ibgp: negotiated.peer_asn == self.local.asn_for(&self.cfg),
                        };
                        let report = Report::Up {
                            out: conn.out.clone(),
                            local: conn.local,
                            negotiated,
                            ctx,
                        };
                        self.report(report).await;
                    }
                }
                Action::SessionDown { .. } => self.report(Report::Down).await,
            }
        }
    }

    async fn report(&self, r: Report) {
        // Fails only while the speaker shuts down.
        let _ = self
            .speaker
            .send(Input::Session {
                peer: self.cfg.address,
                sid: self.sid,
                report: r,
            })
            .await;
    }

    fn send(&self, c: ConnId, msg: &Message) {
        let Some(conn) = self.conns.iter().find(|x| x.id == c) else {
            return;
        };
        // Queued UPDATEs reach the peer first and reset its hold timer as well; a peer that
        // does not read must not make KEEPALIVEs pile up behind them.
        if matches!(msg, Message::Keepalive) && conn.out.queued() >= QUEUE_LOW {
            return;
        }
        // Only OPEN, KEEPALIVE and NOTIFICATION come through here; none depends on the context.
        if let Ok(bytes) = wire::encode_to_vec(msg, &CodecContext::default()) {
            conn.out.send(bytes);
        }
    }

    fn connect(&mut self) {
        if let Some(c) = self.connecting.take() {
            c.abort();
        }
        self.attempt += 1;
        let attempt = self.attempt;
        let dial = self.local.transport.connect(Dial {
            peer: SocketAddr::new(self.cfg.address, self.cfg.port),
            local: self.cfg.local_address.map(|ip| SocketAddr::new(ip, 0)),
            md5: self.cfg.password.clone(),
            ttl: self.cfg.ttl,
            timeout: self.cfg.connect_retry,
        });
        let itx = self.itx.clone();
        self.connecting = Some(tokio::spawn(async move {
            let _ = itx.send(Internal::Connected(attempt, dial.await)).await;
        }));
    }

    fn add_conn(&mut self, stream: Connection) -> io::Result<ConnId> {
        let local = stream.local_addr();
        self.next_conn += 1;
        let id = ConnId(self.next_conn);
        let (r, w) = stream.into_split();
        let (tx, out_rx) = mpsc::unbounded_channel();
        let out = Writer {
            tx,
            queue: Arc::new(Queued {
                bytes: AtomicUsize::new(0),
                paused: AtomicBool::new(false),
            }),
        };
        let reader = tokio::spawn(read_loop(id, r, self.open.clone(), self.itx.clone()));
        let wake = (self.speaker.clone(), self.cfg.address, self.sid);
        let writer = tokio::spawn(write_loop(w, out_rx, out.queue.clone(), wake));
        self.conns.push(Conn {
            id,
            out,
            local,
            reader,
            writer,
        });
        Ok(id)
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// Read size; a read that fills the buffer grows it (up to [`READ_MAX`]) for bulk transfers.
const READ_CHUNK: usize = 4096;
const READ_MAX: usize = 256 * 1024;

/// Frames and decodes messages; after the peer's OPEN it decodes with the negotiated context.
/// Waits for readability without holding a buffer, so an idle session keeps none.
async fn read_loop(id: ConnId, mut r: ReadHalf, local: Open, to: mpsc::Sender<Internal>) {
    let mut ctx = CodecContext::default();
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = READ_CHUNK;
    loop {
        let n = match r.read_into(&mut buf, chunk).await {
            Ok(0) | Err(_) => {
                let _ = to.send(Internal::Closed(id)).await;
                return;
            }
            Ok(n) => n,
        };
        chunk = if n == chunk {
            (chunk * 2).min(READ_MAX)
        } else {
            READ_CHUNK
        };
        let mut start = 0;
        loop {
            match wire::decode(&buf[start..], &ctx) {
                Ok(Some((msg, used))) => {
                    start += used;
                    if let Message::Open(o) = &msg {
                        ctx = CodecContext::negotiated(&local, o);
                    }
                    if to.send(Internal::Msg(id, Box::new(msg))).await.is_err() {
                        return;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let _ = to.send(Internal::DecodeErr(id, e)).await;
                    return;
                }
            }
        }
        if start == buf.len() && chunk == READ_CHUNK {
            buf = Vec::new(); // drained and quiet: keep nothing while idle
        } else {
            buf.drain(..start);
        }
    }
}

/// Writes queued bytes, coalescing what is already queued into one write; counts them off
/// the queue once written and wakes a paused speaker below [`QUEUE_LOW`].
async fn write_loop(
    mut w: Box<dyn AsyncWrite + Send + Unpin>,
    mut rx: mpsc::UnboundedReceiver<WriteItem>,
    queue: Arc<Queued>,
    wake: (mpsc::Sender<Input>, std::net::IpAddr, u64),
) {
    let (speaker, peer, sid) = wake;
    let mut buf = Vec::new();
    while let Some(item) = rx.recv().await {
        let mut close = false;
        match item {
            WriteItem::Bytes(b) => buf = b,
            WriteItem::Close => close = true,
        }
        while !close && buf.len() < 256 * 1024 {
            match rx.try_recv() {
                Ok(WriteItem::Bytes(b)) => buf.extend_from_slice(&b),
                Ok(WriteItem::Close) => close = true,
                Err(_) => break,
            }
        }
        if !buf.is_empty() && w.write_all(&buf).await.is_err() {
            return;
        }
        let left = queue.bytes.fetch_sub(buf.len(), Ordering::SeqCst) - buf.len();
        if left < QUEUE_LOW && queue.paused.swap(false, Ordering::SeqCst) {
            let report = Report::Drained;
            let _ = speaker.send(Input::Session { peer, sid, report }).await;
        }
        buf = Vec::new();
        if close {
            let _ = w.shutdown().await;
            return;
        }
    }
}
