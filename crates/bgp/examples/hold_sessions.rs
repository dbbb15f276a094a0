//! Many BGP sessions on loopback, for bench/fabric's like-for-like comparison with BIRD.
//!
//! ```text
//! hold_sessions serve N   # one speaker (AS 65000) on 0.0.0.0:1790, N passive peers 127.3.x.y
//! hold_sessions drive N   # one speaker (AS 65001), N peers from 127.3.x.y to 127.2.x.y:1790
//! ```
//! Both use hold time 9 s and no TTL limit, and TCP-MD5 (key "bench") with `HOLD_MD5=1` (one
//! listening socket takes at most ~960 keys with Linux's default `net.core.optmem_max` of
//! 128 KiB). `drive` prints the seconds until all N are Established, then both hold their
//! sessions until stdin closes.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use crosslink_bgp::speaker::{Md5Key, PeerConfig, Speaker, SpeakerConfig, State};

const PORT: u16 = 1790;

/// The i-th address of a /16 on loopback, skipping .0 and .255 (`127.<net>.x.y`).
fn addr(net: u8, i: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(
        127,
        net,
        (i / 250) as u8,
        (i % 250 + 1) as u8,
    ))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (mode, n) = match (args.get(1).map(String::as_str), args.get(2)) {
        (Some(m @ ("serve" | "drive")), Some(n)) => (m.to_owned(), n.parse::<usize>().unwrap()),
        _ => {
            eprintln!("usage: hold_sessions serve|drive N");
            std::process::exit(2);
        }
    };
    let serve = mode == "serve";
    let md5 = std::env::var("HOLD_MD5").is_ok_and(|v| v == "1");
    let speaker = Speaker::start(SpeakerConfig {
        asn: if serve { 65000 } else { 65001 },
        router_id: if serve { [10, 0, 0, 1] } else { [10, 0, 0, 2] }.into(),
        listen: serve.then(|| SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), PORT)),
        fib: false,
    })
    .await
    .expect("speaker");
    let started = Instant::now();
    for i in 0..n {
        let mut p = if serve {
            PeerConfig::new(addr(3, i), 65001)
        } else {
            PeerConfig::new(addr(2, i), 65000)
        };
        p.passive = serve;
        p.port = PORT;
        p.local_address = (!serve).then(|| addr(3, i));
        p.password = md5.then(|| Md5Key::new("bench").unwrap());
        p.hold_time = 9;
        p.connect_retry = Duration::from_secs(1);
        p.ttl = None;
        speaker.add_peer(p).await.expect("peer");
    }
    if serve {
        println!("ready");
    } else {
        loop {
            let up = speaker
                .peers()
                .await
                .iter()
                .filter(|p| p.state == State::Established)
                .count();
            if up == n {
                println!("{:.3}", started.elapsed().as_secs_f64());
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    // Hold until the bench closes our stdin.
    tokio::task::spawn_blocking(|| std::io::Read::read(&mut std::io::stdin(), &mut [0u8; 1]))
        .await
        .ok();
    speaker.shutdown().await;
}
