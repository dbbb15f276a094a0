//! TCP transport for BGP sessions on Linux: sockets bound where the session says, TCP-MD5
//! signatures (RFC 2385) and TTL; and the seam the speaker gets its connections through
//! ([`Transport`]): [`Tcp`] in a network namespace, or [`memory::MemoryNet`] in tests.
//!
//! An MD5 mismatch is silent at the TCP level: the kernel drops the unsigned or wrongly signed SYN
//! and the peer never answers. [`connect`] therefore reports it as [`io::ErrorKind::TimedOut`],
//! distinct from [`io::ErrorKind::ConnectionRefused`] (a TCP RST: nothing listens there), so the
//! session layer can say "no answer: possible auth mismatch" rather than invent an auth error.
//! With a key set, even a closed port looks like silence: the kernel's RST for it is unsigned and
//! the keyed socket drops it, so "refused" only ever appears on unkeyed sessions.

pub mod memory;
pub(crate) mod seam;

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsFd;
use std::time::Duration;

use socket2::{Domain, Protocol, SockAddr, SockRef, Socket, Type};
use tokio::net::{TcpSocket, TcpStream};

use crate::netns::Namespace;
pub use seam::{BoxFuture, Connection, Dial, Duplex, Listen, Tcp, Transport};

/// Longest key the kernel accepts (`TCP_MD5SIG_MAXKEYLEN`).
pub const MD5_MAX_KEY_LEN: usize = 80;

/// `struct tcp_md5sig` from `<linux/tcp.h>`; `libc` has the constants but not the struct.
#[allow(non_camel_case_types)]
#[repr(C)]
struct tcp_md5sig {
    tcpm_addr: libc::sockaddr_storage,
    tcpm_flags: u8,
    tcpm_prefixlen: u8,
    tcpm_keylen: u16,
    tcpm_ifindex: i32,
    tcpm_key: [u8; MD5_MAX_KEY_LEN],
}

/// A TCP-MD5 password: 1 to 80 bytes. `Debug` and `Display` print `<redacted>` so it cannot leak
/// through logs, and the bytes are overwritten when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Md5Key(Vec<u8>);

impl Md5Key {
    /// Accepts 1..=80 bytes; an empty key is refused because an empty key means "no key" to the
    /// kernel (use `None` for that).
    pub fn new(key: impl Into<Vec<u8>>) -> Result<Self, io::Error> {
        let key = key.into();
        check_key_len(key.len())?;
        Ok(Md5Key(key))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Md5Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Md5Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Drop for Md5Key {
    fn drop(&mut self) {
        for b in self.0.iter_mut() {
            // Volatile so the wipe of memory about to be freed is not optimised away.
            unsafe { std::ptr::write_volatile(b, 0) };
        }
    }
}

impl std::str::FromStr for Md5Key {
    type Err = io::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Md5Key::new(s.as_bytes())
    }
}

fn check_key_len(len: usize) -> io::Result<()> {
    if len == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "TCP-MD5 key is empty (omit the key instead)",
        ));
    }
    if len > MD5_MAX_KEY_LEN {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("TCP-MD5 key is {len} bytes; the limit is {MD5_MAX_KEY_LEN} bytes (RFC 2385 as implemented by Linux)"),
        ));
    }
    Ok(())
}

/// Installs (`Some`) or deletes (`None`) the TCP-MD5 key for `peer` on a socket. On an active
/// socket call it before `connect`; on a listening socket once per expected peer address, before
/// that peer's SYN arrives (accepted connections inherit the key).
pub fn set_md5_key(sock: &impl AsFd, peer: IpAddr, key: Option<&[u8]>) -> io::Result<()> {
    if let Some(key) = key {
        check_key_len(key.len())?;
    }
    let fd = std::os::fd::AsRawFd::as_raw_fd(&sock.as_fd());
    let sock = SockRef::from(sock);
    let family = sock.local_addr()?.domain();
    // An IPv6 socket (e.g. a dual-stack listener) wants IPv4 peers as v4-mapped IPv6 addresses.
    let peer = match (family, peer) {
        (Domain::IPV6, IpAddr::V4(v4)) => IpAddr::V6(v4.to_ipv6_mapped()),
        (Domain::IPV4, IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("cannot set a TCP-MD5 key for IPv6 peer {v6} on an IPv4 socket"),
                ))
            }
        },
        _ => peer,
    };
    let addr = SockAddr::from(SocketAddr::new(peer, 0));

    // SAFETY: all-zero bytes are a valid tcp_md5sig (plain integers and arrays).
    let mut sig: tcp_md5sig = unsafe { std::mem::zeroed() };
    // SAFETY: `addr` holds `addr.len()` initialised bytes, at most sizeof(sockaddr_storage).
    unsafe {
        std::ptr::copy_nonoverlapping(
            addr.as_ptr().cast::<u8>(),
            std::ptr::addr_of_mut!(sig.tcpm_addr).cast::<u8>(),
            addr.len() as usize,
        );
    }
    if let Some(key) = key {
        sig.tcpm_keylen = key.len() as u16;
        sig.tcpm_key[..key.len()].copy_from_slice(key);
    }
    // SAFETY: `sig` is a live, fully initialised tcp_md5sig and optlen is its exact size.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_MD5SIG,
            std::ptr::addr_of!(sig).cast(),
            std::mem::size_of::<tcp_md5sig>() as libc::socklen_t,
        )
    };
    // Do not leave key bytes on the stack.
    for b in sig.tcpm_key.iter_mut() {
        unsafe { std::ptr::write_volatile(b, 0) };
    }
    if rc == 0 {
        return Ok(());
    }
    let err = io::Error::last_os_error();
    // Deleting a key that was never set is what "make sure there is no key" means.
    if key.is_none() && err.raw_os_error() == Some(libc::ENOENT) {
        return Ok(());
    }
    Err(io::Error::new(
        err.kind(),
        format!("setting TCP-MD5 key for {peer}: {err}"),
    ))
}

/// A TCP socket for `addr`'s family, made in `ns` (the current namespace if `None`).
fn new_socket(addr: &SocketAddr, ns: Option<&Namespace>) -> io::Result<Socket> {
    let domain = Domain::for_address(*addr);
    let make = move || Socket::new(domain, Type::STREAM, Some(Protocol::TCP));
    let sock = match ns {
        Some(ns) => ns.run(make)??,
        None => make()?,
    };
    sock.set_nonblocking(true)?;
    sock.set_cloexec(true)?;
    sock.set_reuse_address(true)?;
    Ok(sock)
}

fn set_ttl(sock: &Socket, is_v6: bool, ttl: u32) -> io::Result<()> {
    if is_v6 {
        sock.set_unicast_hops_v6(ttl)
    } else {
        sock.set_ttl_v4(ttl)
    }
}

/// Opens a BGP connection to `peer`.
///
/// * `local`: source address and port to bind (port 0 = any); must be of `peer`'s family.
/// * `md5`: key installed before the SYN is sent.
/// * `ttl`: IP TTL / hop limit of outgoing packets (1 for directly connected eBGP).
///
/// Errors: [`io::ErrorKind::TimedOut`] when nothing answered within `timeout` (an unreachable
/// peer or, typically, a TCP-MD5 mismatch); [`io::ErrorKind::ConnectionRefused`] when the peer
/// host answered with a reset (nothing listening; only seen without `md5`, see the module docs).
pub async fn connect(
    local: Option<SocketAddr>,
    peer: SocketAddr,
    md5: Option<&Md5Key>,
    ttl: Option<u32>,
    timeout: Duration,
) -> io::Result<TcpStream> {
    connect_in(None, local, peer, md5, ttl, timeout).await
}

/// [`connect`] from namespace `ns`.
async fn connect_in(
    ns: Option<&Namespace>,
    local: Option<SocketAddr>,
    peer: SocketAddr,
    md5: Option<&Md5Key>,
    ttl: Option<u32>,
    timeout: Duration,
) -> io::Result<TcpStream> {
    let sock = new_socket(&peer, ns)?;
    if let Some(local) = local {
        if local.is_ipv4() != peer.is_ipv4() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("local address {local} and peer {peer} are of different IP families"),
            ));
        }
        sock.bind(&local.into()).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("binding {local} to connect to {peer}: {e}"),
            )
        })?;
    }
    if let Some(key) = md5 {
        set_md5_key(&sock, peer.ip(), Some(key.as_bytes()))?;
    }
    if let Some(ttl) = ttl {
        set_ttl(&sock, peer.is_ipv6(), ttl)?;
    }
    let sock = TcpSocket::from_std_stream(std::net::TcpStream::from(sock));
    let stream = match tokio::time::timeout(timeout, sock.connect(peer)).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => return Err(io::Error::new(e.kind(), format!("connecting to {peer}: {e}"))),
        Err(_) => {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "no TCP answer from {peer} within {timeout:?} (unreachable, or TCP-MD5 keys differ)"
                ),
            ))
        }
    };
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// A BGP listening socket with per-peer TCP-MD5 keys.
#[derive(Debug)]
pub struct Listener {
    inner: tokio::net::TcpListener,
    local: SocketAddr,
}

impl Listener {
    /// Binds `addr` (port 0 picks a free port; see [`Listener::local_addr`]). A wildcard IPv6
    /// address also accepts IPv4 peers unless the host disabled dual-stack sockets.
    pub fn bind(addr: SocketAddr) -> io::Result<Self> {
        Self::bind_in(None, addr)
    }

    /// [`Listener::bind`] in namespace `ns`.
    pub fn bind_in(ns: Option<&Namespace>, addr: SocketAddr) -> io::Result<Self> {
        let sock = new_socket(&addr, ns)?;
        sock.bind(&addr.into())
            .map_err(|e| io::Error::new(e.kind(), format!("binding BGP listener {addr}: {e}")))?;
        sock.listen(128)?;
        let local = sock
            .local_addr()?
            .as_socket()
            .ok_or_else(|| io::Error::other("listener has no IP address"))?;
        let inner = tokio::net::TcpListener::from_std(std::net::TcpListener::from(sock))?;
        Ok(Listener { inner, local })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Installs (`Some`) or removes (`None`) the TCP-MD5 key expected from `peer`. Removing a key
    /// that is not set is not an error.
    pub fn set_peer_key(&self, peer: IpAddr, key: Option<&Md5Key>) -> io::Result<()> {
        set_md5_key(&self.inner, peer, key.map(Md5Key::as_bytes))
    }

    /// Waits for the next connection. The peer address is given in its natural family even on a
    /// dual-stack listener (no v4-mapped IPv6 addresses).
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, mut peer) = self.inner.accept().await?;
        peer.set_ip(peer.ip().to_canonical());
        stream.set_nodelay(true)?;
        Ok((stream, peer))
    }
}

/// Sets the TTL / hop limit on an established stream (e.g. one returned by [`Listener::accept`]),
/// so replies to a directly connected eBGP peer leave with TTL 1 as well.
pub fn set_stream_ttl(stream: &TcpStream, ttl: u32) -> io::Result<()> {
    let is_v6 = stream.local_addr()?.is_ipv6();
    let sock = SockRef::from(stream);
    if is_v6 {
        sock.set_unicast_hops_v6(ttl)
    } else {
        sock.set_ttl_v4(ttl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_md5sig_is_216_bytes() {
        assert_eq!(std::mem::size_of::<tcp_md5sig>(), 216);
    }

    #[test]
    fn key_never_printed() {
        let k = Md5Key::new("s3cret-value").unwrap();
        assert_eq!(format!("{k:?}"), "<redacted>");
        assert_eq!(format!("{k}"), "<redacted>");
        assert!(!format!("{:?}", Some(&k)).contains("s3cret"));
    }

    #[test]
    fn key_length_limits() {
        assert!(Md5Key::new(vec![b'a'; 80]).is_ok());
        let err = Md5Key::new(vec![b'a'; 81]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("81 bytes"), "{err}");
        assert!(Md5Key::new("").is_err());
    }

    #[test]
    fn oversized_raw_key_rejected_before_syscall() {
        let sock = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        let err = set_md5_key(&sock, "127.0.0.1".parse().unwrap(), Some(&[0u8; 81])).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn v6_peer_on_v4_socket_is_a_clear_error() {
        let sock = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        let err = set_md5_key(&sock, "2001:db8::1".parse().unwrap(), Some(b"k")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
}
