//! Any bytes, on either kind of session: the decoder never panics, and on a 4-octet session a
//! message decoded cleanly survives encode → decode unchanged.
#![no_main]

use crosslink_bgp::wire::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, data)) = data.split_first() else {
        return;
    };
    let ctx = CodecContext {
        four_octet_as: sel & 1 == 1,
        ibgp: sel & 2 == 2,
    };
    let mut rest = data;
    // Walk the stream like a session would, message after message.
    while let Ok(Some((msg, used))) = decode(rest, &ctx) {
        assert!((HEADER_LEN..=MAX_MESSAGE_LEN).contains(&used) && used <= rest.len());
        rest = &rest[used..];
        let clean = match &msg {
            Message::Update(u) => u.issues.is_empty(),
            _ => true,
        };
        let Ok(bytes) = encode_to_vec(&msg, &ctx) else {
            continue;
        };
        let again = decode_message(&bytes, &ctx).expect("our own encoding must decode");
        if ctx.four_octet_as && clean {
            let mut expect = msg;
            if let Message::Update(u) = &mut expect {
                // Passed-on unknown attributes gain the Partial bit.
                for a in &mut u.attributes.unknown {
                    a.flags |= flags::PARTIAL;
                }
            }
            assert_eq!(again, expect);
        }
    }
});
