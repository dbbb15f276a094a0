//! TCP-MD5 and socket behaviour of `crosslink_bgp::transport`, with real sockets on loopback.
//! TCP_MD5SIG needs no privilege, so these run everywhere.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use crosslink_bgp::transport::{connect, Listener, Md5Key};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Long enough for loopback (a keyed connect takes under a millisecond), short enough that the
/// silent-drop cases stay cheap.
const SHORT: Duration = Duration::from_millis(1500);

fn key(s: &str) -> Md5Key {
    Md5Key::new(s).unwrap()
}

fn v4() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// A listener on `addr` that expects `k` from its own address family's loopback.
fn listener(addr: SocketAddr, k: Option<&Md5Key>) -> Listener {
    let l = Listener::bind(addr).unwrap();
    assert_ne!(
        l.local_addr().port(),
        0,
        "port 0 must be resolved to the bound port"
    );
    if k.is_some() {
        l.set_peer_key(addr.ip(), k).unwrap();
    }
    l
}

/// Connects, then proves the connection carries data both ways.
async fn connect_and_echo(l: &Listener, k: Option<&Md5Key>) -> io::Result<()> {
    let target = l.local_addr();
    let (client, server) = tokio::join!(connect(None, target, k, None, SHORT), async {
        tokio::time::timeout(SHORT, l.accept()).await
    });
    let mut client = client?;
    let (mut server, peer) = server.expect("accept timed out although connect succeeded")?;
    assert_eq!(peer, client.local_addr()?);
    client.write_all(b"OPEN").await?;
    let mut buf = [0u8; 4];
    server.read_exact(&mut buf).await?;
    assert_eq!(&buf, b"OPEN");
    server.write_all(b"KEEP").await?;
    client.read_exact(&mut buf).await?;
    assert_eq!(&buf, b"KEEP");
    Ok(())
}

async fn expect_timeout(l: &Listener, k: Option<&Md5Key>) {
    let started = Instant::now();
    let err = connect(None, l.local_addr(), k, None, SHORT)
        .await
        .expect_err("connect must not succeed when TCP-MD5 keys differ");
    assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
    assert!(started.elapsed() >= SHORT - Duration::from_millis(50));
    // The message must never carry the key.
    if let Some(k) = k {
        assert!(!err
            .to_string()
            .contains(std::str::from_utf8(k.as_bytes()).unwrap()));
    }
}

#[tokio::test]
async fn right_key_connects_ipv4() {
    let k = key("right-key");
    let l = listener(v4(), Some(&k));
    let started = Instant::now();
    connect_and_echo(&l, Some(&k)).await.unwrap();
    assert!(started.elapsed() < Duration::from_millis(500));
}

#[tokio::test]
async fn right_key_connects_ipv6() {
    let k = key("right-key-v6");
    let l = listener("[::1]:0".parse().unwrap(), Some(&k));
    connect_and_echo(&l, Some(&k)).await.unwrap();
}

#[tokio::test]
async fn eighty_byte_key_connects() {
    let k = Md5Key::new(vec![b'x'; 80]).unwrap();
    let l = listener(v4(), Some(&k));
    connect_and_echo(&l, Some(&k)).await.unwrap();
}

#[tokio::test]
async fn wrong_key_times_out() {
    let l = listener(v4(), Some(&key("listener-key")));
    expect_timeout(&l, Some(&key("another-key"))).await;
}

#[tokio::test]
async fn no_key_times_out_against_keyed_listener() {
    let l = listener(v4(), Some(&key("listener-key")));
    expect_timeout(&l, None).await;
}

#[tokio::test]
async fn keyed_client_times_out_against_unkeyed_listener() {
    let l = listener(v4(), None);
    expect_timeout(&l, Some(&key("client-key"))).await;
}

#[tokio::test]
async fn wrong_key_times_out_ipv6() {
    let l = listener("[::1]:0".parse().unwrap(), Some(&key("listener-key")));
    expect_timeout(&l, Some(&key("another-key"))).await;
}

#[tokio::test]
async fn key_for_another_peer_does_not_admit_this_one() {
    let l = listener(v4(), None);
    // Key for a different source address: our 127.0.0.1 connection is not signed-for.
    l.set_peer_key("127.0.0.2".parse().unwrap(), Some(&key("elsewhere")))
        .unwrap();
    connect_and_echo(&l, None).await.unwrap();
    expect_timeout(&l, Some(&key("elsewhere"))).await;
}

#[tokio::test]
async fn removing_listener_key_admits_unkeyed_peer() {
    let k = key("temporary");
    let l = listener(v4(), Some(&k));
    expect_timeout(&l, None).await;
    l.set_peer_key("127.0.0.1".parse().unwrap(), None).unwrap();
    connect_and_echo(&l, None).await.unwrap();
    // Removing again is harmless.
    l.set_peer_key("127.0.0.1".parse().unwrap(), None).unwrap();
    // And a keyed client is now the odd one out.
    expect_timeout(&l, Some(&k)).await;
}

#[tokio::test]
async fn changing_listener_key_takes_effect() {
    let l = listener(v4(), Some(&key("old")));
    l.set_peer_key("127.0.0.1".parse().unwrap(), Some(&key("new")))
        .unwrap();
    connect_and_echo(&l, Some(&key("new"))).await.unwrap();
    expect_timeout(&l, Some(&key("old"))).await;
}

#[tokio::test]
async fn dual_stack_listener_takes_ipv4_peer_key() {
    let l = match Listener::bind("[::]:0".parse().unwrap()) {
        Ok(l) => l,
        Err(e) => panic!("binding [::]:0: {e}"),
    };
    let k = key("dual");
    l.set_peer_key("127.0.0.1".parse().unwrap(), Some(&k))
        .unwrap();
    let target: SocketAddr = SocketAddr::new("127.0.0.1".parse().unwrap(), l.local_addr().port());
    let (client, server) = tokio::join!(connect(None, target, Some(&k), None, SHORT), l.accept());
    client.unwrap();
    let (_, peer) = server.unwrap();
    assert_eq!(
        peer.ip(),
        "127.0.0.1".parse::<IpAddr>().unwrap(),
        "v4 peers come back unmapped"
    );
    let err = connect(None, target, None, None, SHORT).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
}

#[tokio::test]
async fn refused_port_is_classified_as_refused() {
    let target = closed_port();
    let started = Instant::now();
    let err = connect(None, target, None, None, SHORT).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
    assert!(
        started.elapsed() < SHORT,
        "a refusal is immediate, not a timeout"
    );
}

/// The kernel's RST for a closed port is unsigned, and a socket holding a key for that peer drops
/// unsigned segments: with TCP-MD5 on, "nothing listens" also looks like silence. The session
/// layer must not promise "refused" for keyed sessions.
#[tokio::test]
async fn keyed_connect_to_closed_port_is_silence_not_refusal() {
    let err = connect(None, closed_port(), Some(&key("keyed")), None, SHORT)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
}

/// A loopback port with no listener: bound, then released.
fn closed_port() -> SocketAddr {
    let port = Listener::bind(v4()).unwrap().local_addr().port();
    SocketAddr::new("127.0.0.1".parse().unwrap(), port)
}

#[tokio::test]
async fn binds_requested_local_address_and_port_and_sets_ttl() {
    let l = listener(v4(), None);
    // A free source port, found the same way as above.
    let src_port = Listener::bind(v4()).unwrap().local_addr().port();
    let local: SocketAddr = SocketAddr::new("127.0.0.1".parse().unwrap(), src_port);
    let (client, server) = tokio::join!(
        connect(Some(local), l.local_addr(), None, Some(1), SHORT),
        l.accept()
    );
    let client = client.unwrap();
    let (_, peer) = server.unwrap();
    assert_eq!(client.local_addr().unwrap(), local);
    assert_eq!(peer, local);
    assert_eq!(client.ttl().unwrap(), 1);
}

#[tokio::test]
async fn family_mismatch_is_a_clear_error() {
    let err = connect(
        Some("127.0.0.1:0".parse().unwrap()),
        "[::1]:179".parse().unwrap(),
        None,
        None,
        SHORT,
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
}

#[tokio::test]
async fn listener_bind_error_names_the_address() {
    let l = Listener::bind(v4()).unwrap();
    // Same address and port while the first one listens: EADDRINUSE despite SO_REUSEADDR.
    let err = Listener::bind(l.local_addr()).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
    assert!(
        err.to_string().contains(&l.local_addr().to_string()),
        "{err}"
    );
}
