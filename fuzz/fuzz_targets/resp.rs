//! The RESP2 decoder of the Redis link: frames do not depend on how the
//! bytes arrive, the decoder never holds more than its limit allows, and
//! every decoded frame encodes back to bytes that decode to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linechat::cluster::redis::resp::{Decoder, Frame};

const MAX: usize = 512;

fn decode(data: &[u8], step: usize) -> (Vec<Frame>, bool) {
    let mut d = Decoder::new(MAX);
    let mut frames = Vec::new();
    for chunk in data.chunks(step.max(1)) {
        d.feed(chunk);
        loop {
            match d.next_frame() {
                Ok(Some(f)) => frames.push(f),
                Ok(None) => break,
                Err(_) => return (frames, true),
            }
        }
        assert!(d.pending() <= MAX + step, "the decoder holds {} bytes", d.pending());
    }
    (frames, false)
}

fuzz_target!(|input: &[u8]| {
    let Some((&step, data)) = input.split_first() else { return };
    let step = 1 + step as usize % 64;
    let (whole, whole_failed) = decode(data, data.len());
    let (pieces, pieces_failed) = decode(data, step);
    if !whole_failed && !pieces_failed {
        assert_eq!(whole, pieces, "reads of {step} bytes changed the frames");
    } else {
        // A failure may come earlier in pieces (an over-long unended line
        // is noticed as it grows), never a different frame before it.
        let n = whole.len().min(pieces.len());
        assert_eq!(whole[..n], pieces[..n]);
    }
    for f in &whole {
        let mut wire = Vec::new();
        f.encode(&mut wire);
        let (again, failed) = decode(&wire, wire.len());
        assert!(!failed && again == vec![f.clone()], "{f:?} did not survive encoding");
    }
});
