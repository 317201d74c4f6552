//! The notes nodes exchange through Redis: any bytes decode to a note or to
//! nothing (never a panic), and a decoded note encodes back to bytes that
//! decode to the same note and stamp. A note may end with the stream id
//! the history script appends; it splits off and reads back the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linechat::cluster::history::{split_note, StreamId};
use linechat::cluster::note::Note;

fuzz_target!(|data: &[u8]| {
    let (note_bytes, id) = split_note(data);
    if let Some(id) = id {
        assert_eq!(StreamId::parse(&id.text()), Some(id));
        let mut again = note_bytes.to_vec();
        again.extend_from_slice(format!("\x1fsid:{}", id.text()).as_bytes());
        assert_eq!(split_note(&again), (note_bytes, Some(id)));
    }
    let Some((stamp, note)) = Note::decode(note_bytes) else { return };
    let wire = note.encode(&stamp);
    assert_eq!(Note::decode(&wire), Some((stamp, note)), "a note did not survive encoding");
});
