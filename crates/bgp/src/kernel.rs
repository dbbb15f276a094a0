//! Routes learned over BGP, programmed into the kernel's main routing table of a network
//! namespace through rtnetlink, so traffic really follows them.
//!
//! Every route we write carries routing protocol number [`ROUTE_PROTOCOL`] (200, unused by
//! `/etc/iproute2/rt_protos`; see them with `ip route show proto 200`) and metric
//! [`ROUTE_METRIC`]. Deletions name the protocol, so the kernel itself refuses to delete a route
//! that is not ours; the metric keeps an install from replacing a connected or static route of
//! the same prefix (the kernel keys routes by prefix, TOS and metric). Connected IPv4 routes
//! (metric 0) therefore still win over ours for the same prefix.
//!
//! A [`KernelRoutes`] works on the namespace its creating thread was in at [`KernelRoutes::new`].
//! Calls are blocking syscalls that the kernel answers at once; they are fine on an async task.

use std::io;
use std::net::IpAddr;

use ipnet::IpNet;
use netlink_packet_core::{
    NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP,
    NLM_F_REPLACE, NLM_F_REQUEST,
};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteHeader, RouteMessage, RouteProtocol, RouteScope, RouteType,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};

/// The `proto` value marking routes as ours.
pub const ROUTE_PROTOCOL: u8 = 200;
/// The metric (`ip route … metric`) of our routes: FRR's choice for BGP routes.
pub const ROUTE_METRIC: u32 = 20;

/// One of our routes as the kernel reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KernelRoute {
    pub prefix: IpNet,
    pub next_hop: Option<IpAddr>,
    pub metric: u32,
}

/// A netlink socket for installing and removing our routes.
pub struct KernelRoutes {
    socket: Socket,
    sequence: u32,
}

impl std::fmt::Debug for KernelRoutes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KernelRoutes").finish_non_exhaustive()
    }
}

impl KernelRoutes {
    /// Opens an rtnetlink socket in the calling thread's network namespace.
    pub fn new() -> io::Result<Self> {
        let mut socket = Socket::new(NETLINK_ROUTE)
            .map_err(|e| io::Error::new(e.kind(), format!("opening rtnetlink socket: {e}")))?;
        socket.bind_auto()?;
        socket.connect(&SocketAddr::new(0, 0))?;
        // Errors come back with the failing request's header only, not its whole payload.
        socket.set_cap_ack(true)?;
        Ok(KernelRoutes {
            socket,
            sequence: 0,
        })
    }

    /// Installs `prefix via next_hop`, replacing our earlier route for the same prefix (a changed
    /// next hop). The next hop must be on a connected network.
    pub fn install(&mut self, prefix: IpNet, next_hop: IpAddr) -> io::Result<()> {
        let prefix = prefix.trunc();
        if prefix.addr().is_ipv4() != next_hop.is_ipv4() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("route {prefix}: next hop {next_hop} is of another address family"),
            ));
        }
        let mut msg = route_message(prefix);
        msg.header.scope = RouteScope::Universe;
        msg.header.kind = RouteType::Unicast;
        msg.attributes
            .push(RouteAttribute::Gateway(next_hop.into()));
        msg.attributes.push(RouteAttribute::Priority(ROUTE_METRIC));
        self.request(
            RouteNetlinkMessage::NewRoute(msg),
            NLM_F_CREATE | NLM_F_REPLACE,
        )
        .map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "kernel refused route {prefix} via {next_hop}: {}",
                    reason(&e)
                ),
            )
        })
    }

    /// Removes our route(s) for `prefix`; returns whether there was one. Routes of other
    /// protocols for the same prefix are left alone.
    pub fn remove(&mut self, prefix: IpNet) -> io::Result<bool> {
        let prefix = prefix.trunc();
        let mut removed = false;
        // One delete removes one route; ours may exist at several metrics (an older install).
        loop {
            match self.delete(route_message(prefix)) {
                Ok(()) => removed = true,
                Err(e) if e.raw_os_error() == Some(libc::ESRCH) => return Ok(removed),
                Err(e) => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!("kernel refused to remove route {prefix}: {}", reason(&e)),
                    ))
                }
            }
        }
    }

    /// Removes every route of ours in the main table (both families); returns how many.
    pub fn remove_all(&mut self) -> io::Result<usize> {
        let mut removed = 0;
        for route in self.routes()? {
            let mut msg = route_message(route.prefix);
            msg.attributes.push(RouteAttribute::Priority(route.metric));
            match self.delete(msg) {
                Ok(()) => removed += 1,
                // Gone meanwhile: what we wanted.
                Err(e) if e.raw_os_error() == Some(libc::ESRCH) => {}
                Err(e) => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!("removing route {}: {e}", route.prefix),
                    ))
                }
            }
        }
        Ok(removed)
    }

    /// Our routes in the main table, as the kernel has them.
    pub fn routes(&mut self) -> io::Result<Vec<KernelRoute>> {
        let mut routes = Vec::new();
        for family in [AddressFamily::Inet, AddressFamily::Inet6] {
            let mut msg = RouteMessage::default();
            msg.header.address_family = family;
            for reply in self.exchange(RouteNetlinkMessage::GetRoute(msg), NLM_F_DUMP)? {
                if let RouteNetlinkMessage::NewRoute(r) = reply {
                    if let Some(route) = our_route(&r) {
                        routes.push(route);
                    }
                }
            }
        }
        Ok(routes)
    }

    fn delete(&mut self, mut msg: RouteMessage) -> io::Result<()> {
        // NOWHERE and UNSPEC are the kernel's "any scope / any type" for deletes.
        msg.header.scope = RouteScope::NoWhere;
        msg.header.kind = RouteType::Unspec;
        self.request(RouteNetlinkMessage::DelRoute(msg), 0)
    }

    /// Sends a request that is answered by an ACK or an error.
    fn request(&mut self, msg: RouteNetlinkMessage, flags: u16) -> io::Result<()> {
        self.exchange(msg, flags | NLM_F_ACK).map(drop)
    }

    /// Sends one request and collects the replies up to its ACK, error or end of dump.
    fn exchange(
        &mut self,
        msg: RouteNetlinkMessage,
        flags: u16,
    ) -> io::Result<Vec<RouteNetlinkMessage>> {
        self.sequence = self.sequence.wrapping_add(1);
        let sequence = self.sequence;
        let mut header = NetlinkHeader::default();
        header.flags = NLM_F_REQUEST | flags;
        header.sequence_number = sequence;
        let mut packet = NetlinkMessage::new(header, NetlinkPayload::InnerMessage(msg));
        packet.finalize();
        let mut buf = vec![0; packet.buffer_len()];
        packet.serialize(&mut buf);
        self.socket.send(&buf, 0)?;

        let mut replies = Vec::new();
        loop {
            let (datagram, _) = self.socket.recv_from_full()?;
            let mut offset = 0;
            while offset < datagram.len() {
                let reply = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&datagram[offset..])
                    .map_err(|e| {
                        io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!("bad netlink reply: {e}"),
                        )
                    })?;
                let len = reply.header.length as usize;
                if len == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "netlink reply of length 0",
                    ));
                }
                // Messages in a datagram are 4-byte aligned.
                offset += (len + 3) & !3;
                if reply.header.sequence_number != sequence {
                    continue;
                }
                match reply.payload {
                    NetlinkPayload::InnerMessage(m) => replies.push(m),
                    NetlinkPayload::Done(_) => return Ok(replies),
                    NetlinkPayload::Error(e) => {
                        return match e.code {
                            None => Ok(replies),
                            Some(_) => Err(e.to_io()),
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

/// The kernel's answer in words, with what it usually means for a route of ours.
fn reason(e: &io::Error) -> String {
    let Some(code) = e.raw_os_error() else {
        return e.to_string();
    };
    // The C library's text without Rust's " (os error N)".
    let text = io::Error::from_raw_os_error(code).to_string();
    let text = text.split(" (os error").next().unwrap_or_default();
    let hint = match code {
        libc::ENETUNREACH | libc::EHOSTUNREACH => {
            " (no route to the next hop: it is not on a connected network)"
        }
        libc::EPERM | libc::EACCES => " (changing routes needs CAP_NET_ADMIN)",
        libc::EINVAL => {
            " (the kernel does not accept this next hop, e.g. one of our own addresses)"
        }
        libc::ENODEV => " (the next hop's interface is gone)",
        libc::ENOBUFS | libc::ENOMEM => " (the kernel is out of memory)",
        _ => "",
    };
    format!("{text}{hint}")
}

/// The header and destination shared by every request about `prefix` in the main table.
fn route_message(prefix: IpNet) -> RouteMessage {
    let prefix = prefix.trunc();
    let mut msg = RouteMessage::default();
    msg.header.address_family = match prefix {
        IpNet::V4(_) => AddressFamily::Inet,
        IpNet::V6(_) => AddressFamily::Inet6,
    };
    msg.header.destination_prefix_length = prefix.prefix_len();
    msg.header.table = RouteHeader::RT_TABLE_MAIN;
    msg.header.protocol = RouteProtocol::from(ROUTE_PROTOCOL);
    if prefix.prefix_len() > 0 {
        msg.attributes
            .push(RouteAttribute::Destination(prefix.addr().into()));
    }
    msg
}

fn our_route(msg: &RouteMessage) -> Option<KernelRoute> {
    if u8::from(msg.header.protocol) != ROUTE_PROTOCOL {
        return None;
    }
    let mut destination = None;
    let mut table = u32::from(msg.header.table);
    let (mut next_hop, mut metric) = (None, 0);
    for attr in &msg.attributes {
        match attr {
            RouteAttribute::Destination(a) => destination = ip(a),
            RouteAttribute::Gateway(a) => next_hop = ip(a),
            RouteAttribute::Priority(p) => metric = *p,
            RouteAttribute::Table(t) => table = *t,
            _ => {}
        }
    }
    if table != u32::from(RouteHeader::RT_TABLE_MAIN) {
        return None;
    }
    let len = msg.header.destination_prefix_length;
    let prefix = match (msg.header.address_family, destination) {
        (AddressFamily::Inet, None) => IpNet::new(std::net::Ipv4Addr::UNSPECIFIED.into(), len),
        (AddressFamily::Inet6, None) => IpNet::new(std::net::Ipv6Addr::UNSPECIFIED.into(), len),
        (_, Some(addr)) => IpNet::new(addr, len),
        (_, None) => return None,
    }
    .ok()?;
    Some(KernelRoute {
        prefix,
        next_hop,
        metric,
    })
}

fn ip(a: &RouteAddress) -> Option<IpAddr> {
    match a {
        RouteAddress::Inet(v4) => Some((*v4).into()),
        RouteAddress::Inet6(v6) => Some((*v6).into()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_number_round_trips_through_the_codec() {
        assert_eq!(
            u8::from(RouteProtocol::from(ROUTE_PROTOCOL)),
            ROUTE_PROTOCOL
        );
    }

    #[test]
    fn default_route_has_no_destination_attribute() {
        let msg = route_message("0.0.0.0/0".parse().unwrap());
        assert!(msg.attributes.is_empty());
        let msg = route_message("10.1.2.3/16".parse().unwrap());
        assert_eq!(
            msg.attributes,
            vec![RouteAttribute::Destination(RouteAddress::Inet(
                "10.1.0.0".parse().unwrap()
            ))]
        );
    }

    #[test]
    fn foreign_routes_are_not_reported_as_ours() {
        let mut msg = route_message("10.0.0.0/8".parse().unwrap());
        assert!(our_route(&msg).is_some());
        msg.header.protocol = RouteProtocol::Bird;
        assert!(our_route(&msg).is_none());
    }

    /// Dumping our routes needs no privilege and must work in any namespace (none of ours
    /// exist in the test runner's namespace, unless a crashed run left some).
    #[test]
    fn dump_works_unprivileged() {
        let mut k = KernelRoutes::new().unwrap();
        k.routes().unwrap();
    }

    #[test]
    fn mixed_family_next_hop_is_a_clear_error() {
        let mut k = KernelRoutes::new().unwrap();
        let err = k
            .install("10.0.0.0/8".parse().unwrap(), "fe80::1".parse().unwrap())
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
}
