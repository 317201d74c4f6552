//! The notes nodes exchange through Redis: any bytes decode to a note or to
//! nothing (never a panic), and a decoded note encodes back to bytes that
//! decode to the same note and stamp.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linechat::cluster::note::Note;

fuzz_target!(|data: &[u8]| {
    let Some((stamp, note)) = Note::decode(data) else { return };
    let wire = note.encode(&stamp);
    assert_eq!(Note::decode(&wire), Some((stamp, note)), "a note did not survive encoding");
});
