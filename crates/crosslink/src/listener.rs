//! Serves an axum router on a TCP listener the way a long-lived shared service must: hyper's
//! header-read timer (which also closes idle keep-alive connections), a bounded read buffer, a
//! cap on concurrent connections, the client address on every request, and hyper's own
//! protocol errors (400, 414, 431) answered in the vendor's envelope instead of an empty body.
//!
//! Request-level limits (body size, request timeout) are tower-http layers put around every
//! router here, once for all vendors; the bare 408/413 they answer with become the vendor's
//! error page like hyper's own refusals.

use axum::extract::ConnectInfo;
use axum::http::{Response, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tower::ServiceExt;

/// How a vendor answers a request hyper refused before it reached the router.
pub type ErrorPage = Arc<dyn Fn(StatusCode) -> Response<Vec<u8>> + Send + Sync>;

#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// A request head must arrive in full within this time of the server starting to wait for
    /// it; the same timer closes a kept-alive connection that sends nothing.
    pub header_timeout: Duration,
    /// A request, body included, must be read and answered within this time (408).
    pub request_timeout: Duration,
    /// The largest request body any route takes (413): a declared length over it is refused
    /// before a byte is read, a chunked body is cut off as it streams.
    pub max_body_bytes: usize,
    /// Connections served at once on this listener; further ones wait in the accept backlog.
    pub max_connections: usize,
}

/// The largest request head (request line and headers) hyper buffers; beyond it, 431 or 414.
/// hyper's default is ~400 KiB per connection, which thousands of slow clients turn into GBs.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// How long open requests may finish after a shutdown signal.
const DRAIN: Duration = Duration::from_secs(5);

/// Accepts and serves until `stop` turns true, then lets open requests finish (briefly).
pub async fn serve(
    listener: TcpListener,
    name: &'static str,
    router: axum::Router,
    limits: ConnectionLimits,
    error_page: ErrorPage,
    mut stop: watch::Receiver<bool>,
) {
    let router = limited(router, &limits, error_page.clone());
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(MAX_HEAD_BYTES);
    let mut saturated = false;
    loop {
        let permit = match slots.clone().try_acquire_owned() {
            Ok(p) => {
                saturated = false;
                p
            }
            Err(_) => {
                if !saturated {
                    tracing::warn!(
                        listener = name,
                        limit = limits.max_connections,
                        "connection limit reached: new connections wait until one closes (--max-connections)"
                    );
                    saturated = true;
                }
                tokio::select! {
                    p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
                    _ = stop.changed() => break,
                }
            }
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(s) => s,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning; the permit is returned.
                    tracing::warn!(listener = name, error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            router.clone().oneshot(req)
        });
        let io = TokioIo::new(Rewrite::new(stream, error_page.clone()));
        let conn = graceful.watch(builder.serve_connection(io, service));
        tokio::spawn(async move {
            let _ = conn.await;
            drop(permit);
        });
    }
    let _ = tokio::time::timeout(DRAIN, graceful.shutdown()).await;
}

/// The router with the request limits around it. A 408 or 413 from them carries no
/// `x-request-id` (it never reached the vendor's middleware) and becomes the vendor's page; a
/// body cut off while a handler reads it is refused inside the router, in its own envelope.
fn limited(router: axum::Router, limits: &ConnectionLimits, page: ErrorPage) -> axum::Router {
    use tower_http::limit::RequestBodyLimitLayer;
    use tower_http::timeout::TimeoutLayer;
    router.layer(
        tower::ServiceBuilder::new()
            .map_response(
                move |res: Response<tower_http::limit::ResponseBody<axum::body::Body>>| {
                    if res.headers().contains_key("x-request-id") {
                        res.map(axum::body::Body::new)
                    } else {
                        page(res.status()).map(axum::body::Body::from)
                    }
                },
            )
            .layer(RequestBodyLimitLayer::new(limits.max_body_bytes))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                limits.request_timeout,
            )),
    )
}

/// Replaces hyper's automatic error responses (an empty 400/414/431 written before any
/// service ran) with the vendor's error page. Every response our routers produce carries
/// `x-request-id`; a head without it can only be hyper's own.
struct Rewrite<S> {
    inner: S,
    page: ErrorPage,
    pending: Vec<u8>,
    written: usize,
}

impl<S> Rewrite<S> {
    fn new(inner: S, page: ErrorPage) -> Self {
        Self {
            inner,
            page,
            pending: Vec::new(),
            written: 0,
        }
    }
}

/// The status of a response head that hyper produced on its own, if `buf` is one.
fn automatic_error(buf: &[u8]) -> Option<StatusCode> {
    let rest = buf
        .strip_prefix(b"HTTP/1.1 ")
        .or_else(|| buf.strip_prefix(b"HTTP/1.0 "))?;
    let code = std::str::from_utf8(rest.get(..3)?).ok()?.parse().ok()?;
    let status = StatusCode::from_u16(code).ok()?;
    if !status.is_client_error() {
        return None;
    }
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
    (!head.contains("\r\nx-request-id:")).then_some(status)
}

/// An HTTP/1.1 response, closing the connection, as bytes.
fn encode(res: Response<Vec<u8>>) -> Vec<u8> {
    let status = res.status();
    let mut out = format!(
        "HTTP/1.1 {} {}\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    )
    .into_bytes();
    for (k, v) in res.headers() {
        out.extend_from_slice(k.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(v.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    let body = res.into_body();
    out.extend_from_slice(
        format!(
            "content-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(&body);
    out
}

impl<S: AsyncWrite + Unpin> Rewrite<S> {
    /// If `head` is one of hyper's automatic errors, queues the vendor's page in its place
    /// (the caller then reports the original bytes as written) and starts sending it.
    fn replace(&mut self, cx: &mut Context<'_>, head: &[u8]) -> io::Result<bool> {
        let Some(status) = automatic_error(head) else {
            return Ok(false);
        };
        self.pending = encode((self.page)(status));
        self.written = 0;
        // What does not go out now is written by `drain` on the next write or flush.
        let _ = self.drain(cx)?;
        Ok(true)
    }

    /// Writes what is left of a replaced response; Ready once it is all out.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.pending.len() {
            let n =
                ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Rewrite<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Rewrite<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        ready!(this.drain(cx))?;
        if this.replace(cx, buf)? {
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    /// hyper writes a response head as the first slice of a vectored write (its own error
    /// responses have no body), so the head is seen whole here too.
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        ready!(this.drain(cx))?;
        let first = bufs
            .iter()
            .find(|b| !b.is_empty())
            .map_or(&[][..], |b| &b[..]);
        if let Some(status) = automatic_error(first) {
            this.pending = encode((this.page)(status));
            this.written = 0;
            let _ = this.drain(cx)?;
            return Poll::Ready(Ok(bufs.iter().map(|b| b.len()).sum()));
        }
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Raises the soft open-files limit to the hard one (a server's usual first step) and returns
/// how many descriptors the process may hold.
pub fn raise_fd_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit with a valid pointer to an rlimit.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 1024;
        }
        if lim.rlim_cur < lim.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                lim = raised;
            }
        }
    }
    lim.rlim_cur
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_heads_without_a_request_id_are_automatic() {
        let hyper_431 =
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        assert_eq!(
            automatic_error(hyper_431),
            Some(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
        );
        let ours = b"HTTP/1.1 404 Not Found\r\nx-request-id: 1\r\ncontent-length: 2\r\n\r\n{}";
        assert_eq!(automatic_error(ours), None);
        assert_eq!(
            automatic_error(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"),
            None
        );
        assert_eq!(automatic_error(b"{\"id\":\"HTTP/1.1 400\"}"), None);
    }

    #[test]
    fn encoded_page_closes_the_connection() {
        let res = Response::builder()
            .status(StatusCode::URI_TOO_LONG)
            .header("content-type", "application/json")
            .body(b"{}".to_vec())
            .unwrap();
        let text = String::from_utf8(encode(res)).unwrap();
        assert!(text.starts_with("HTTP/1.1 414 URI Too Long\r\n"));
        assert!(text.ends_with("content-length: 2\r\nconnection: close\r\n\r\n{}"));
    }
}
