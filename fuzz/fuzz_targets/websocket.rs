//! The WebSocket frame decoder (`WsDecoder`), fed arbitrary client bytes in
//! arbitrary reads: the events do not depend on the reads, nothing follows
//! a close or a failure, and no message passes the size limit. Then a
//! masked frame built from the input decodes back to the same payload.
//! Half the inputs run a decoder that takes binary messages as lines (IRC's
//! `binary.ircv3.net`): only text messages must then be UTF-8.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linechat::net::ws::{masked_frame, WsDecoder, WsEvent};

#[derive(Debug, PartialEq, Eq)]
enum Ev {
    Text(Vec<u8>),
    Ping(Vec<u8>),
    Close(u16),
    Fail(u16),
}

fn decode(data: &[u8], step: usize, max: usize, binary: bool) -> Vec<Ev> {
    let mut d = WsDecoder::new(binary, None);
    let mut evs = Vec::new();
    for chunk in data.chunks(step.max(1)) {
        d.feed(chunk, max, &mut |e| {
            evs.push(match e {
                WsEvent::Text(t) => Ev::Text(t.to_vec()),
                WsEvent::Ping(p) => Ev::Ping(p.to_vec()),
                WsEvent::Close(c) => Ev::Close(c),
                WsEvent::Fail(c, _) => Ev::Fail(c),
            });
            true
        });
    }
    evs
}


fuzz_target!(|input: &[u8]| {
    if input.len() < 6 {
        return;
    }
    let step = 1 + input[0] as usize % 40;
    let binary = input[0] >= 128;
    let max = 16 + input[1] as usize * 4;
    let data = &input[2..];
    let whole = decode(data, data.len(), max, binary);
    assert_eq!(whole, decode(data, step, max, binary), "reads of {step} bytes changed the events");
    if let Some(end) = whole.iter().position(|e| matches!(e, Ev::Close(_) | Ev::Fail(_))) {
        assert_eq!(end, whole.len() - 1, "events after a close or failure: {whole:?}");
    }
    for e in &whole {
        if let Ev::Text(t) = e {
            assert!(t.len() <= max, "a message of {} bytes passed {max}", t.len());
            assert!(binary || std::str::from_utf8(t).is_ok(), "a text message that is not UTF-8");
        }
    }
    // Round trip: a valid text frame carries its payload through.
    let mask = [input[2], input[3], input[4], input[5]];
    if let Ok(text) = std::str::from_utf8(&input[6..]) {
        let frame = masked_frame(0x81, text.as_bytes(), mask);
        let evs = decode(&frame, step, text.len().max(1), binary);
        assert_eq!(evs, vec![Ev::Text(text.as_bytes().to_vec())]);
    }
    // Where binary is taken, any bytes in a binary frame come through.
    if binary {
        let frame = masked_frame(0x82, &input[6..], mask);
        let evs = decode(&frame, step, input.len().max(1), true);
        assert_eq!(evs, vec![Ev::Text(input[6..].to_vec())]);
    }
});
