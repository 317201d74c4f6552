//! Line ids: a line's place in its room, a number unique across the
//! server and its restarts, and a check of its room; and the ids of lines a
//! cluster's Redis stream numbered. Shown as `UNIQ-SEQ-ROOM` in hex.

use std::fmt;

/// A line's id: its place in its room (`seq`, from 1), a number unique
/// across the server and its restarts (`uniq`), and a check of the room it
/// belongs to. Shown as `uniq-seq-room` in hexadecimal; clients treat it
/// as opaque.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MsgId {
    pub seq: u64,
    pub uniq: u64,
    pub room: u32,
}

impl fmt::Display for MsgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:x}-{:x}-{:08x}", self.uniq, self.seq, self.room)
    }
}

/// Bits of a time-ordered `seq` below the millisecond (a stream id's `n`).
pub const STREAM_SEQ_BITS: u32 = 20;

impl MsgId {
    /// The id of a line a cluster's Redis stream numbered `ms-n`, in the
    /// room whose check is `room` (`uniq` 0: the stream's own).
    pub fn from_stream(ms: u64, n: u64, room: u32) -> MsgId {
        MsgId { seq: (ms << STREAM_SEQ_BITS) | n.min((1 << STREAM_SEQ_BITS) - 1), uniq: 0, room }
    }

    /// Its place in a stream (`ms`, `n`), for lines numbered by time.
    pub fn stream_place(self) -> (u64, u64) {
        (self.seq >> STREAM_SEQ_BITS, self.seq & ((1 << STREAM_SEQ_BITS) - 1))
    }

    /// Reads an id as [`fmt::Display`] writes it.
    pub fn parse(s: &str) -> Option<MsgId> {
        let mut parts = s.split('-');
        let hex = |p: Option<&str>| {
            let p = p?;
            if p.is_empty() || p.len() > 16 || !p.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            u64::from_str_radix(p, 16).ok()
        };
        let (uniq, seq, room) = (hex(parts.next())?, hex(parts.next())?, hex(parts.next())?);
        if parts.next().is_some() || seq == 0 || room > u64::from(u32::MAX) {
            return None;
        }
        Some(MsgId { seq, uniq, room: room as u32 })
    }
}

/// The check of a room in its lines' ids: FNV-1a of its folded name.
pub fn room_check(key: &str) -> u32 {
    key.bytes().fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
}
