//! The fabric: turns the desired links (a LIVE VXC between an MCR and a DigitalOcean partner
//! attachment, with the BGP settings of both ends) into real BGP-4 sessions, and reports what
//! happens to them. It never writes resource rows: the caller hands it the desired state
//! (level-triggered: the same state gives the same sessions, after a restart too) and turns
//! its reports into lifecycle observations.
//!
//! **Loopback mode** (no privileges): every link gets its own block of loopback addresses,
//! `127.A.B.0/24`, and each address of the link's /29 maps to the address of the block with
//! the same last octet, so a link's addressing mistakes stay mistakes on the wire (an MCR
//! interface on the attachment's own address connects from the wrong place; a peer address
//! nobody holds gets no answer). The attachment's router (DigitalOcean's side) listens on
//! its mapped address (a port the kernel picks, so several servers share a machine); each MCR
//! is one speaker with one peer per BGP connection on its VXCs, so routes pass between all of
//! an MCR's VXCs. Sessions are real TCP with real TCP-MD5.
//!
//! **Netns mode** (root): each attachment router and each MCR is a network namespace, and each
//! link a veth pair carrying the real /29 addresses (169.254.0.1/29 ↔ 169.254.0.6/29); the
//! speakers listen on port 179 and install what they learn as kernel routes in their
//! namespace. Namespaces are named `<prefix><a|m><n>`; what a previous process left behind is
//! swept at start, and everything goes when the fabric shuts down.

mod netns;

use crosslink_bgp::speaker::{
    Announce, Md5Key, PeerConfig, PeerStatus, Route, Speaker, SpeakerConfig, SpeakerEvent, State,
};
use crosslink_bgp::wire::IpNet;
use ipnet::Ipv4Net;
use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, Mutex};
use uuid::Uuid;

/// DigitalOcean's end of a link: the partner attachment's router.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentEnd {
    pub attachment: Uuid,
    pub local_asn: u32,
    /// With its /29, e.g. 169.254.0.1/29.
    pub local_router_ip: Ipv4Net,
    pub peer_asn: u32,
    pub peer_router_ip: Ipv4Addr,
    /// The TCP-MD5 password; never logged.
    pub auth_key: String,
    /// What the attachment announces: its VPCs' ranges.
    pub announce: Vec<Ipv4Net>,
}

/// One BGP connection on the MCR's interface for this VXC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McrSession {
    pub local_asn: u32,
    pub local_ip: Ipv4Addr,
    pub peer_ip: Ipv4Addr,
    pub peer_asn: u32,
    pub password: Option<String>,
    pub shutdown: bool,
}

/// A LIVE VXC that carries BGP between an MCR and an attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub vxc: Uuid,
    /// The VXC's integer id, as the looking glass names it.
    pub vxc_id: i64,
    pub vxc_name: String,
    pub mcr: Uuid,
    pub mcr_asn: u32,
    pub attachment: AttachmentEnd,
    /// The MCR interface's addresses (CIDR) and its sessions toward the attachment.
    pub interface: Vec<Ipv4Net>,
    pub sessions: Vec<McrSession>,
}

/// A LIVE VXC between a customer's port and an MCR (netns mode): the port is a namespace the
/// customer runs their own router in; the VXC arrives there as interface `vxc<VLAN>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortLink {
    pub vxc: Uuid,
    pub vxc_id: i64,
    pub vxc_name: String,
    pub mcr: Uuid,
    pub mcr_asn: u32,
    pub port: Uuid,
    /// The port end's VLAN (`None`: untagged), which names its interface.
    pub vlan: Option<u16>,
    /// The MCR interface's addresses and its sessions toward the customer's router.
    pub interface: Vec<Ipv4Net>,
    pub sessions: Vec<McrSession>,
}

/// Everything the fabric should run.
#[derive(Debug, Clone, Default)]
pub struct Desired {
    pub attachments: Vec<Link>,
    pub ports: Vec<PortLink>,
}

/// The namespace of a customer's port: `<prefix>p<first 8 hex digits of its uid>`.
pub fn port_namespace(prefix: &str, port: Uuid) -> String {
    format!("{prefix}p{}", &port.simple().to_string()[..8])
}

/// What the fabric saw happen, for the lifecycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    Established {
        attachment: Uuid,
    },
    Down {
        attachment: Uuid,
        why: Option<String>,
    },
}

/// What `/metrics` shows of the fabric.
#[derive(Debug, Clone, Default)]
pub struct FabricStats {
    pub sessions: BTreeMap<String, u64>,
    pub prefixes_received: u64,
    pub prefixes_advertised: u64,
    /// Times any session reached Established (one per link plus one per flap).
    pub established_total: u64,
    /// Times an Established session went down again.
    pub flaps_total: u64,
}

/// A BGP session of an MCR, for the looking glass.
#[derive(Debug, Clone)]
pub struct SessionView {
    pub vxc: Uuid,
    pub vxc_id: i64,
    pub vxc_name: String,
    pub status: PeerStatus,
    /// The peer and local addresses as the link's /29 says them (not their loopback mapping).
    pub neighbor: Ipv4Addr,
    pub local: Ipv4Addr,
    pub local_asn: u32,
}

/// Where each of a link's /29 addresses lives on loopback.
#[derive(Debug, Clone, Copy)]
struct Block {
    a: u8,
    b: u8,
}

impl Block {
    /// Blocks start at a place picked per fabric, so two servers on one machine rarely share
    /// an address (the listeners' ports keep them apart even when they do).
    fn of(base: u32, index: u32) -> Block {
        let i = base + index;
        Block {
            a: (1 + (i / 256) % 250) as u8,
            b: (i % 256) as u8,
        }
    }

    /// The loopback address standing for `ip` on this link: same last octet, when `ip` is on
    /// the attachment's /24; elsewhere an address nobody holds.
    fn map(self, ip: Ipv4Addr, link: Ipv4Net) -> Ipv4Addr {
        let same_24 = ip.octets()[..3] == link.addr().octets()[..3];
        let last = if same_24 { ip.octets()[3] } else { 255 };
        Ipv4Addr::new(127, self.a, self.b, last)
    }
}

struct LinkRun {
    link: Link,
    block: Block,
    /// The attachment's router.
    router: Speaker,
    watcher: tokio::task::JoinHandle<()>,
    /// Netns mode: the router's namespace, held for its drop (which deletes it and the veth).
    _ns: Option<netns::Ns>,
}

struct McrRun {
    speaker: Speaker,
    asn: u32,
    ns: Option<netns::Ns>,
}

/// Where the routers run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Loopback,
    /// Namespaces named with this prefix.
    Netns {
        prefix: String,
    },
}

struct PortRun {
    link: PortLink,
    /// The port side's trunk, when the VXC is tagged (802.1Q).
    trunk: Option<String>,
}

struct Inner {
    mode: Mode,
    port_links: HashMap<Uuid, PortRun>,
    ports: HashMap<Uuid, netns::Ns>,
    /// Where this fabric's blocks start (see [`Block::of`]).
    base: u32,
    links: HashMap<Uuid, LinkRun>,
    mcrs: HashMap<Uuid, McrRun>,
    /// Blocks handed out, so a link keeps its block while it lives.
    next_block: u32,
    free_blocks: Vec<u32>,
    blocks: HashMap<Uuid, u32>,
}

impl Inner {
    /// The link's index (its loopback block, its interface names), kept while it lives.
    fn index_of(&mut self, vxc: Uuid) -> u32 {
        if let Some(i) = self.blocks.get(&vxc) {
            return *i;
        }
        let i = self.free_blocks.pop().unwrap_or_else(|| {
            self.next_block += 1;
            self.next_block - 1
        });
        self.blocks.insert(vxc, i);
        i
    }

    /// Where an address of the link lives: its loopback stand-in, or itself in netns mode.
    fn place(&self, block: Block, ip: Ipv4Addr, on: Ipv4Net) -> Ipv4Addr {
        match self.mode {
            Mode::Loopback => block.map(ip, on),
            Mode::Netns { .. } => ip,
        }
    }

    fn netns_prefix(&self) -> Option<&str> {
        match &self.mode {
            Mode::Netns { prefix } => Some(prefix),
            Mode::Loopback => None,
        }
    }
}

/// The MCR's speaker (in its own namespace in netns mode), started unless it runs with `asn`.
async fn ensure_mcr(inner: &mut Inner, mcr: Uuid, asn: u32, index: u32) -> Result<(), String> {
    if inner.mcrs.get(&mcr).is_some_and(|m| m.asn == asn) {
        return Ok(());
    }
    if let Some(old) = inner.mcrs.remove(&mcr) {
        old.speaker.shutdown().await;
    }
    let ns = match inner.netns_prefix() {
        Some(prefix) => Some(netns::Ns::create(&format!("{prefix}m{index}"))?),
        None => None,
    };
    let fib = ns.is_some();
    let speaker = start_in(
        ns.as_ref(),
        SpeakerConfig {
            asn,
            router_id: Ipv4Addr::new(127, 0, (index / 256) as u8, (index % 256) as u8),
            listen: None,
            fib,
        },
    )
    .await
    .map_err(|e| format!("MCR: {e}"))?;
    inner.mcrs.insert(mcr, McrRun { speaker, asn, ns });
    Ok(())
}

/// The MCR's peer for one BGP connection of VXC `vxc_id` (its tag, so a session says which
/// VXC it serves).
fn mcr_peer(
    s: &McrSession,
    vxc_id: i64,
    address: Ipv4Addr,
    local: Ipv4Addr,
    port: u16,
    ttl: Option<u32>,
) -> PeerConfig {
    let mut p = PeerConfig::new(IpAddr::V4(address), s.peer_asn);
    // The VXC's localAsn, which may differ from the MCR's own.
    p.local_asn = Some(s.local_asn);
    p.tag = vxc_id as u64;
    p.local_address = Some(IpAddr::V4(local));
    p.port = port;
    p.password = s.password.as_deref().and_then(md5);
    p.hold_time = HOLD_TIME;
    p.connect_retry = CONNECT_RETRY;
    p.ttl = ttl;
    p.enabled = !s.shutdown;
    p
}

/// Starts a speaker where the mode puts it: here, or in the namespace.
async fn start_in(ns: Option<&netns::Ns>, cfg: SpeakerConfig) -> Result<Speaker, String> {
    match ns {
        Some(ns) => ns.start_speaker(cfg).await,
        None => Speaker::start(cfg).await.map_err(|e| e.to_string()),
    }
}

/// Hold time for the fabric's sessions: short, so a dead session is noticed in seconds.
const HOLD_TIME: u16 = 9;
const CONNECT_RETRY: Duration = Duration::from_secs(1);

#[derive(Clone)]
pub struct Fabric {
    inner: Arc<Mutex<Inner>>,
    reports: mpsc::UnboundedSender<Report>,
}

fn md5(key: &str) -> Option<Md5Key> {
    Md5Key::new(key.as_bytes().to_vec()).ok()
}

fn net(n: Ipv4Net) -> IpNet {
    IpNet::V4(n.trunc())
}

impl Fabric {
    /// A fabric in loopback mode, and the receiver of its reports.
    pub fn loopback() -> (Fabric, mpsc::UnboundedReceiver<Report>) {
        Self::new(Mode::Loopback)
    }

    /// A fabric in `mode` (netns: namespaces left by an earlier process are swept first).
    pub fn new(mode: Mode) -> (Fabric, mpsc::UnboundedReceiver<Report>) {
        if let Mode::Netns { prefix } = &mode {
            netns::sweep(prefix);
        }
        let (tx, rx) = mpsc::unbounded_channel();
        (
            Fabric {
                inner: Arc::new(Mutex::new(Inner {
                    mode,
                    port_links: HashMap::new(),
                    ports: HashMap::new(),
                    base: (std::process::id() % 250) * 256,
                    links: HashMap::new(),
                    mcrs: HashMap::new(),
                    next_block: 0,
                    free_blocks: Vec::new(),
                    blocks: HashMap::new(),
                })),
                reports: tx,
            },
            rx,
        )
    }

    /// Brings the running sessions in line with `desired`: new links start, gone ones stop
    /// (and report down), changed ones restart; announcements follow the VPCs.
    pub async fn apply(&self, desired: Desired) {
        let mut inner = self.inner.lock().await;
        let want: BTreeMap<Uuid, Link> = desired
            .attachments
            .into_iter()
            .map(|l| (l.vxc, l))
            .collect();
        // Stop what is gone or changed (other than its announcements).
        let stale: Vec<Uuid> = inner
            .links
            .iter()
            .filter(|(vxc, run)| match want.get(vxc) {
                None => true,
                Some(l) => !same_sessions(&run.link, l),
            })
            .map(|(vxc, _)| *vxc)
            .collect();
        for vxc in stale {
            self.stop_link(&mut inner, vxc).await;
        }
        for (vxc, link) in want {
            if let Some(run) = inner.links.get_mut(&vxc) {
                if run.link.attachment.announce != link.attachment.announce {
                    reannounce(
                        &run.router,
                        &run.link.attachment.announce,
                        &link.attachment.announce,
                    )
                    .await;
                    run.link = link;
                }
                continue;
            }
            if let Err(e) = self.start_link(&mut inner, link).await {
                tracing::warn!(vxc = %vxc, error = %e, "fabric: cannot start the link");
            }
        }
        // Customers' ports, in netns mode only (on loopback there is nowhere to run a router).
        let ports: BTreeMap<Uuid, PortLink> = match inner.mode {
            Mode::Netns { .. } => desired.ports.into_iter().map(|l| (l.vxc, l)).collect(),
            Mode::Loopback => BTreeMap::new(),
        };
        let stale: Vec<Uuid> = inner
            .port_links
            .iter()
            .filter(|(vxc, run)| ports.get(vxc) != Some(&run.link))
            .map(|(vxc, _)| *vxc)
            .collect();
        for vxc in stale {
            self.stop_port_link(&mut inner, vxc).await;
        }
        for (vxc, link) in ports {
            if inner.port_links.contains_key(&vxc) {
                continue;
            }
            if let Err(e) = self.start_port_link(&mut inner, link).await {
                tracing::warn!(vxc = %vxc, error = %e, "fabric: cannot start the port link");
            }
        }
        // MCRs with no link left stop.
        let used: Vec<Uuid> = inner
            .links
            .values()
            .map(|r| r.link.mcr)
            .chain(inner.port_links.values().map(|r| r.link.mcr))
            .collect();
        let idle: Vec<Uuid> = inner
            .mcrs
            .keys()
            .filter(|m| !used.contains(m))
            .copied()
            .collect();
        for m in idle {
            if let Some(run) = inner.mcrs.remove(&m) {
                run.speaker.shutdown().await;
            }
        }
    }

    async fn start_link(&self, inner: &mut Inner, link: Link) -> Result<(), String> {
        let index = inner.index_of(link.vxc);
        let block = Block::of(inner.base, index);
        let att = &link.attachment;
        let on = att.local_router_ip;
        let router_addr = inner.place(block, att.local_router_ip.addr(), on);
        let netns = inner.netns_prefix().map(str::to_owned);
        // The MCR first (in netns mode the link's veth goes into its namespace).
        ensure_mcr(inner, link.mcr, link.mcr_asn, index).await?;
        let ns = match &netns {
            Some(prefix) => {
                let ns = netns::Ns::create(&format!("{prefix}a{index}"))?;
                let mcr_ns = inner.mcrs[&link.mcr]
                    .ns
                    .as_ref()
                    .map(|n| n.name.clone())
                    .unwrap_or_default();
                netns::veth(
                    netns::End {
                        ns: &ns.name,
                        name: "do0",
                        addresses: vec![att.local_router_ip.to_string()],
                    },
                    netns::End {
                        ns: &mcr_ns,
                        name: &format!("vx{index}"),
                        addresses: link.interface.iter().map(|a| a.to_string()).collect(),
                    },
                )?;
                Some(ns)
            }
            None => None,
        };
        let (port, fib) = if ns.is_some() {
            (179, true)
        } else {
            (0, false)
        };
        let router = start_in(
            ns.as_ref(),
            SpeakerConfig {
                asn: att.local_asn,
                router_id: router_addr,
                listen: Some(SocketAddr::new(IpAddr::V4(router_addr), port)),
                fib,
            },
        )
        .await
        .map_err(|e| format!("attachment router: {e}"))?;
        // Listening before any peer exists, so no state change is missed.
        let events = router.subscribe_status();
        let port = router
            .local_addr()
            .map(|a| a.port())
            .ok_or("attachment router has no listener")?;
        let ttl = ns.as_ref().map(|_| 1);
        let mut peer = PeerConfig::new(
            IpAddr::V4(inner.place(block, att.peer_router_ip, on)),
            att.peer_asn,
        );
        peer.passive = true;
        peer.password = md5(&att.auth_key);
        peer.hold_time = HOLD_TIME;
        peer.connect_retry = CONNECT_RETRY;
        peer.ttl = ttl;
        router
            .add_peer(peer)
            .await
            .map_err(|e| format!("attachment peer: {e}"))?;
        let prefixes: Vec<IpNet> = att.announce.iter().map(|n| net(*n)).collect();
        if !prefixes.is_empty() {
            router
                .announce_many(prefixes, Announce::default())
                .await
                .map_err(|e| format!("announce: {e}"))?;
        }
        let mcr = &inner.mcrs[&link.mcr].speaker;
        for s in &link.sessions {
            let p = mcr_peer(
                s,
                link.vxc_id,
                inner.place(block, s.peer_ip, on),
                inner.place(block, s.local_ip, on),
                port,
                ttl,
            );
            if let Err(e) = mcr.add_peer(p).await {
                tracing::warn!(vxc = %link.vxc, error = %e, "fabric: MCR peer");
            }
        }
        let watcher = tokio::spawn(watch(events, att.attachment, self.reports.clone()));
        inner.links.insert(
            link.vxc,
            LinkRun {
                link,
                block,
                router,
                watcher,
                _ns: ns,
            },
        );
        Ok(())
    }

    async fn start_port_link(&self, inner: &mut Inner, link: PortLink) -> Result<(), String> {
        let prefix = inner
            .netns_prefix()
            .ok_or("ports need netns mode")?
            .to_owned();
        let index = inner.index_of(link.vxc);
        ensure_mcr(inner, link.mcr, link.mcr_asn, index).await?;
        if let std::collections::hash_map::Entry::Vacant(e) = inner.ports.entry(link.port) {
            e.insert(netns::Ns::create(&port_namespace(&prefix, link.port))?);
        }
        let port_ns = inner.ports[&link.port].name.clone();
        let mcr_ns = inner.mcrs[&link.mcr]
            .ns
            .as_ref()
            .map(|n| n.name.clone())
            .unwrap_or_default();
        let port_end = netns::End {
            ns: &port_ns,
            name: &port_if(&link),
            addresses: Vec::new(),
        };
        let mcr_end = netns::End {
            ns: &mcr_ns,
            name: &format!("pv{index}"),
            addresses: link.interface.iter().map(|a| a.to_string()).collect(),
        };
        // Tagged where the kernel has 802.1Q; the trunk is what a stop deletes.
        let trunk = match link.vlan {
            Some(vlan) if netns::has_vlans() => {
                let trunk = format!("vt{index}");
                netns::tagged_veth((&trunk, &format!("pt{index}")), vlan, port_end, mcr_end)?;
                Some(trunk)
            }
            _ => {
                netns::veth(port_end, mcr_end)?;
                None
            }
        };
        let mcr = &inner.mcrs[&link.mcr].speaker;
        for s in &link.sessions {
            if let Err(e) = mcr
                .add_peer(mcr_peer(
                    s,
                    link.vxc_id,
                    s.peer_ip,
                    s.local_ip,
                    179,
                    Some(1),
                ))
                .await
            {
                tracing::warn!(vxc = %link.vxc, error = %e, "fabric: MCR peer toward a port");
            }
        }
        inner.port_links.insert(link.vxc, PortRun { link, trunk });
        Ok(())
    }

    async fn stop_port_link(&self, inner: &mut Inner, vxc: Uuid) {
        let Some(run) = inner.port_links.remove(&vxc) else {
            return;
        };
        if let Some(mcr) = inner.mcrs.get(&run.link.mcr) {
            for s in &run.link.sessions {
                let _ = mcr.speaker.remove_peer(IpAddr::V4(s.peer_ip)).await;
            }
        }
        // The port's namespace stays (the customer's router lives there); its VXC goes.
        if let Some(ns) = inner.ports.get(&run.link.port) {
            let _ = ns.ip(&[
                "link",
                "del",
                &run.trunk.unwrap_or_else(|| port_if(&run.link)),
            ]);
        }
        if let Some(i) = inner.blocks.remove(&vxc) {
            inner.free_blocks.push(i);
        }
    }

    async fn stop_link(&self, inner: &mut Inner, vxc: Uuid) {
        let Some(run) = inner.links.remove(&vxc) else {
            return;
        };
        run.watcher.abort();
        if let Some(mcr) = inner.mcrs.get(&run.link.mcr) {
            let on = run.link.attachment.local_router_ip;
            for s in &run.link.sessions {
                let addr = inner.place(run.block, s.peer_ip, on);
                let _ = mcr.speaker.remove_peer(IpAddr::V4(addr)).await;
            }
        }
        let was_up = run
            .router
            .peers()
            .await
            .iter()
            .any(|p| p.state == State::Established);
        run.router.shutdown().await;
        if let Some(i) = inner.blocks.remove(&vxc) {
            inner.free_blocks.push(i);
        }
        if was_up {
            let _ = self.reports.send(Report::Down {
                attachment: run.link.attachment.attachment,
                why: Some("the VXC's BGP session was closed".into()),
            });
        }
    }

    /// The router of an attachment whose link runs.
    async fn router_of(&self, attachment: Uuid) -> Option<Speaker> {
        let inner = self.inner.lock().await;
        inner
            .links
            .values()
            .find(|r| r.link.attachment.attachment == attachment)
            .map(|r| r.router.clone())
    }

    /// Routes the attachment learned from the MCR: its `remote_routes`.
    pub async fn remote_routes(&self, attachment: Uuid) -> Vec<Route> {
        match self.router_of(attachment).await {
            Some(r) => r
                .loc_rib()
                .await
                .into_iter()
                .filter(|r| r.from_peer.is_some())
                .collect(),
            None => Vec::new(),
        }
    }

    /// The attachment router's session, if its link runs.
    pub async fn attachment_session(&self, attachment: Uuid) -> Option<PeerStatus> {
        let router = self.router_of(attachment).await?;
        router.peers().await.into_iter().next()
    }

    /// An MCR's BGP sessions, one per BGP connection on its VXCs.
    pub async fn mcr_sessions(&self, mcr: Uuid) -> Vec<SessionView> {
        let (speaker, links, ports) = {
            let inner = self.inner.lock().await;
            let Some(run) = inner.mcrs.get(&mcr) else {
                return Vec::new();
            };
            let links: Vec<(Link, Vec<IpAddr>)> = inner
                .links
                .values()
                .filter(|r| r.link.mcr == mcr)
                .map(|r| {
                    let on = r.link.attachment.local_router_ip;
                    let addrs = r
                        .link
                        .sessions
                        .iter()
                        .map(|s| IpAddr::V4(inner.place(r.block, s.peer_ip, on)))
                        .collect();
                    (r.link.clone(), addrs)
                })
                .collect();
            let ports: Vec<PortLink> = inner
                .port_links
                .values()
                .filter(|r| r.link.mcr == mcr)
                .map(|r| r.link.clone())
                .collect();
            (run.speaker.clone(), links, ports)
        };
        let peers = speaker.peers().await;
        let mut out = Vec::new();
        for (link, addrs) in links {
            for (s, addr) in link.sessions.iter().zip(addrs) {
                let tag = link.vxc_id as u64;
                if let Some(status) = peers.iter().find(|p| p.tag == tag && p.address == addr) {
                    out.push(SessionView {
                        vxc: link.vxc,
                        vxc_id: link.vxc_id,
                        vxc_name: link.vxc_name.clone(),
                        status: status.clone(),
                        neighbor: s.peer_ip,
                        local: s.local_ip,
                        local_asn: s.local_asn,
                    });
                }
            }
        }
        for l in ports {
            for s in &l.sessions {
                let (tag, addr) = (l.vxc_id as u64, IpAddr::V4(s.peer_ip));
                if let Some(status) = peers.iter().find(|p| p.tag == tag && p.address == addr) {
                    out.push(SessionView {
                        vxc: l.vxc,
                        vxc_id: l.vxc_id,
                        vxc_name: l.vxc_name.clone(),
                        status: status.clone(),
                        neighbor: s.peer_ip,
                        local: s.local_ip,
                        local_asn: s.local_asn,
                    });
                }
            }
        }
        out
    }

    /// Routes an MCR session received from (or advertised to) its neighbour.
    pub async fn mcr_routes(&self, mcr: Uuid, vxc: Uuid, advertised: bool) -> Vec<Route> {
        let (speaker, addrs) = {
            let inner = self.inner.lock().await;
            let (Some(m), Some(l)) = (inner.mcrs.get(&mcr), inner.links.get(&vxc)) else {
                return Vec::new();
            };
            let on = l.link.attachment.local_router_ip;
            let addrs: Vec<IpAddr> = l
                .link
                .sessions
                .iter()
                .map(|s| IpAddr::V4(inner.place(l.block, s.peer_ip, on)))
                .collect();
            (m.speaker.clone(), addrs)
        };
        let mut out = Vec::new();
        for a in addrs {
            out.extend(if advertised {
                speaker.adj_rib_out(a).await
            } else {
                speaker.adj_rib_in(a).await
            });
        }
        out
    }

    /// An MCR's routing table.
    pub async fn mcr_rib(&self, mcr: Uuid) -> Vec<Route> {
        let speaker = self
            .inner
            .lock()
            .await
            .mcrs
            .get(&mcr)
            .map(|m| m.speaker.clone());
        match speaker {
            Some(s) => s.loc_rib().await,
            None => Vec::new(),
        }
    }

    /// Counts for `/metrics`: the attachment routers' sessions by state, the prefixes they
    /// hold, and how often their sessions came up.
    pub async fn stats(&self) -> FabricStats {
        let routers: Vec<Speaker> = self
            .inner
            .lock()
            .await
            .links
            .values()
            .map(|r| r.router.clone())
            .collect();
        let mut stats = FabricStats::default();
        for r in routers {
            for p in r.peers().await {
                *stats.sessions.entry(format!("{:?}", p.state)).or_default() += 1;
                stats.prefixes_received += p.prefixes_accepted;
                stats.prefixes_advertised += p.prefixes_advertised;
                stats.established_total += p.established_count;
                let up_now = u64::from(p.state == crosslink_bgp::speaker::State::Established);
                stats.flaps_total += p.established_count.saturating_sub(up_now);
            }
        }
        stats
    }

    /// Closes every session (withdrawing on both sides).
    pub async fn shutdown(&self) {
        self.apply(Desired::default()).await;
        self.inner.lock().await.ports.clear();
    }
}

/// The port end's interface: `vxc<VLAN>` (an 802.1Q sub-interface where the kernel has them),
/// or `vxc-untagged`.
fn port_if(l: &PortLink) -> String {
    match l.vlan {
        Some(v) => format!("vxc{v}"),
        None => "vxc-untagged".into(),
    }
}

/// Same sessions: everything but the announcements (those change in place).
fn same_sessions(a: &Link, b: &Link) -> bool {
    let mut a = a.clone();
    a.attachment.announce = b.attachment.announce.clone();
    a.vxc_name = b.vxc_name.clone();
    &a == b
}

async fn reannounce(router: &Speaker, old: &[Ipv4Net], new: &[Ipv4Net]) {
    let gone: Vec<IpNet> = old
        .iter()
        .filter(|n| !new.contains(n))
        .map(|n| net(*n))
        .collect();
    let added: Vec<IpNet> = new
        .iter()
        .filter(|n| !old.contains(n))
        .map(|n| net(*n))
        .collect();
    if !gone.is_empty() {
        let _ = router.withdraw_many(gone).await;
    }
    if !added.is_empty() {
        let _ = router.announce_many(added, Announce::default()).await;
    }
}

/// Turns the attachment router's session changes into reports.
async fn watch(
    mut events: tokio::sync::broadcast::Receiver<SpeakerEvent>,
    attachment: Uuid,
    reports: mpsc::UnboundedSender<Report>,
) {
    // A session that fails before it was ever up here says so once: after a restart the
    // attachment may still read ACTIVE from before, and must not stay so on a dead session.
    let mut said_down = false;
    loop {
        let report = match events.recv().await {
            Ok(SpeakerEvent::PeerState {
                to, from, error, ..
            }) => {
                if to == State::Established && from != to {
                    said_down = false;
                    Report::Established { attachment }
                } else if (from == State::Established && from != to)
                    || (error.is_some() && !said_down && to != State::Established)
                {
                    said_down = true;
                    Report::Down {
                        attachment,
                        why: error,
                    }
                } else {
                    continue;
                }
            }
            Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
            Err(_) => return,
        };
        if reports.send(report).is_err() {
            return;
        }
    }
}
