//! Writes a small seed corpus of valid messages (one file per message) into the directory
//! given as the first argument. The first byte of each file selects the session kind.

use crosslink_bgp::wire::*;

#[path = "../../tests/support/samples.rs"]
mod samples;

fn main() {
    let dir = std::env::args().nth(1).expect("usage: seeds <dir>");
    std::fs::create_dir_all(&dir).unwrap();
    let msgs = [
        Message::Open(samples::open()),
        Message::Update(samples::update()),
        Message::Update(Update::default()),
        Message::Notification(Notification::cease_with_message(2, "maintenance")),
        Message::Keepalive,
        Message::RouteRefresh(RouteRefresh {
            afi: Afi::Ipv6,
            safi: Safi::Unicast,
        }),
    ];
    let mut n = 0;
    for (sel, ctx) in [(3u8, samples::IBGP), (0u8, samples::TWO)] {
        let mut stream = vec![sel];
        for m in &msgs {
            let bytes = encode_to_vec(m, &ctx).unwrap();
            let mut one = vec![sel];
            one.extend_from_slice(&bytes);
            std::fs::write(format!("{dir}/seed-{n:02}"), one).unwrap();
            stream.extend_from_slice(&bytes);
            n += 1;
        }
        std::fs::write(format!("{dir}/stream-{sel}"), stream).unwrap();
    }
    println!("{n} seeds written to {dir}");
}
