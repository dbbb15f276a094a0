//! The seam between the speaker and its sockets: sessions connect and accept through a
//! [`Transport`] and talk over a [`Connection`], so speaker behaviour can be tested over
//! in-memory pipes, and one runtime can serve speakers in many network namespaces.

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::TcpStream;

use super::{connect_in, set_stream_ttl, Listener, Md5Key};
use crate::kernel::KernelRoutes;
use crate::netns::Namespace;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A byte stream a session can run over (anything but TCP: tests' `tokio::io::duplex`).
pub trait Duplex: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Duplex for T {}

/// What an outbound connection asks for.
#[derive(Clone, Debug)]
pub struct Dial {
    pub peer: SocketAddr,
    /// Source address (port 0: any).
    pub local: Option<SocketAddr>,
    pub md5: Option<Md5Key>,
    pub ttl: Option<u32>,
    /// How long to wait for an answer; then [`io::ErrorKind::TimedOut`].
    pub timeout: Duration,
}

/// Where a speaker's connections come from. Errors follow [`super::connect`]: `TimedOut` for
/// no answer (or an MD5 mismatch), `ConnectionRefused` for a reset.
pub trait Transport: Send + Sync + 'static {
    fn connect(&self, dial: Dial) -> BoxFuture<'static, io::Result<Connection>>;
    /// Binds a listener (port 0 picks one; see [`Listen::local_addr`]).
    fn listen(&self, addr: SocketAddr) -> io::Result<Box<dyn Listen>>;
    /// The netlink socket for kernel routes, in the transport's namespace.
    fn kernel(&self) -> io::Result<KernelRoutes>;
}

/// A listening socket of a [`Transport`].
pub trait Listen: Send + Sync + 'static {
    fn local_addr(&self) -> SocketAddr;
    /// Installs (`Some`) or removes (`None`) the TCP-MD5 key expected from `peer`.
    fn set_peer_key(&self, peer: IpAddr, key: Option<&Md5Key>) -> io::Result<()>;
    fn accept(&self) -> BoxFuture<'_, io::Result<Connection>>;
}

/// An established connection and its two ends (peer address in its natural family). One
/// pointer wide: it travels in channel messages, and every slot of a channel is as large as
/// its largest message (unboxed, this cost ~4 KiB per session in queue blocks).
pub struct Connection(Box<Parts>);

struct Parts {
    io: Io,
    local: SocketAddr,
    peer: SocketAddr,
}

enum Io {
    /// Kept apart so an idle session waits for readability without holding a read buffer.
    Tcp(TcpStream),
    Other(Box<dyn Duplex>),
}

impl Connection {
    pub fn tcp(stream: TcpStream) -> io::Result<Connection> {
        let canonical = |mut a: SocketAddr| {
            a.set_ip(a.ip().to_canonical());
            a
        };
        Ok(Connection(Box::new(Parts {
            local: canonical(stream.local_addr()?),
            peer: canonical(stream.peer_addr()?),
            io: Io::Tcp(stream),
        })))
    }

    pub fn new(io: impl Duplex, local: SocketAddr, peer: SocketAddr) -> Connection {
        Connection(Box::new(Parts {
            io: Io::Other(Box::new(io)),
            local,
            peer,
        }))
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.0.local
    }

    pub fn peer_addr(&self) -> SocketAddr {
        self.0.peer
    }

    /// TTL of our packets on it (TCP only: a pipe has no hops).
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        match &self.0.io {
            Io::Tcp(s) => set_stream_ttl(s, ttl),
            Io::Other(_) => Ok(()),
        }
    }

    /// The stream itself, for tests that play a peer by hand.
    pub fn into_io(self) -> Box<dyn Duplex> {
        match self.0.io {
            Io::Tcp(s) => Box::new(s),
            Io::Other(b) => b,
        }
    }

    pub(crate) fn into_split(self) -> (ReadHalf, Box<dyn AsyncWrite + Send + Unpin>) {
        match self.0.io {
            Io::Tcp(s) => {
                let (r, w) = s.into_split();
                (ReadHalf::Tcp(r), Box::new(w))
            }
            Io::Other(b) => {
                let (r, w) = tokio::io::split(b);
                (ReadHalf::Other(r), Box::new(w))
            }
        }
    }
}

pub(crate) enum ReadHalf {
    Tcp(OwnedReadHalf),
    Other(tokio::io::ReadHalf<Box<dyn Duplex>>),
}

impl ReadHalf {
    /// Appends what arrives (up to `chunk` bytes) to `buf`; 0 at end of stream. On TCP the
    /// buffer grows only once data is there.
    pub(crate) async fn read_into(&mut self, buf: &mut Vec<u8>, chunk: usize) -> io::Result<usize> {
        let filled = buf.len();
        match self {
            ReadHalf::Tcp(r) => loop {
                r.readable().await?;
                buf.resize(filled + chunk, 0);
                match r.try_read(&mut buf[filled..]) {
                    Ok(n) => {
                        buf.truncate(filled + n);
                        return Ok(n);
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => buf.truncate(filled),
                    Err(e) => {
                        buf.truncate(filled);
                        return Err(e);
                    }
                }
            },
            ReadHalf::Other(r) => {
                buf.resize(filled + chunk, 0);
                let n = r.read(&mut buf[filled..]).await;
                buf.truncate(filled + *n.as_ref().unwrap_or(&0));
                n
            }
        }
    }
}

/// Real TCP, with sockets made in a network namespace (or the current one).
#[derive(Clone, Debug, Default)]
pub struct Tcp {
    ns: Option<Namespace>,
}

impl Tcp {
    /// Sockets in the namespace of the thread that makes them (the current one).
    pub fn here() -> Tcp {
        Tcp { ns: None }
    }

    /// Sockets in `ns`, whichever thread uses them.
    pub fn in_namespace(ns: Namespace) -> Tcp {
        Tcp { ns: Some(ns) }
    }
}

impl Transport for Tcp {
    fn connect(&self, d: Dial) -> BoxFuture<'static, io::Result<Connection>> {
        let ns = self.ns.clone();
        Box::pin(async move {
            let s = connect_in(
                ns.as_ref(),
                d.local,
                d.peer,
                d.md5.as_ref(),
                d.ttl,
                d.timeout,
            );
            Connection::tcp(s.await?)
        })
    }

    fn listen(&self, addr: SocketAddr) -> io::Result<Box<dyn Listen>> {
        Ok(Box::new(Listener::bind_in(self.ns.as_ref(), addr)?))
    }

    fn kernel(&self) -> io::Result<KernelRoutes> {
        match &self.ns {
            Some(ns) => ns.run(KernelRoutes::new)?,
            None => KernelRoutes::new(),
        }
    }
}

impl Listen for Listener {
    fn local_addr(&self) -> SocketAddr {
        Listener::local_addr(self)
    }

    fn set_peer_key(&self, peer: IpAddr, key: Option<&Md5Key>) -> io::Result<()> {
        Listener::set_peer_key(self, peer, key)
    }

    fn accept(&self) -> BoxFuture<'_, io::Result<Connection>> {
        Box::pin(async move { Connection::tcp(Listener::accept(self).await?.0) })
    }
}
