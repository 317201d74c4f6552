//! Read markers: for each account, where it last read each room (a time,
//! and the line's id when known), so that every device signed in to it
//! agrees on what is unread (IRCv3 draft/read-marker). A marker only moves
//! forward. Kept in memory, and with `--db` in the file.

use std::collections::HashMap;

use super::history::MsgId;

/// Where an account last read a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marker {
    /// Unix milliseconds: everything said until then is read.
    pub time_ms: u64,
    /// The line read last, when the marker was set from one.
    pub id: Option<MsgId>,
}

/// A marker on its way to the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkerRow {
    pub account: String,
    pub room: String,
    pub marker: Marker,
}

/// Every account's markers, by account key and room key.
#[derive(Debug, Default)]
pub struct Markers {
    by_account: HashMap<String, HashMap<String, Marker>>,
}

impl Markers {
    /// `account`'s marker in `room`.
    pub fn get(&self, account: &str, room: &str) -> Option<Marker> {
        self.by_account.get(account)?.get(room).copied()
    }

    /// Moves `account`'s marker in `room` to `marker` if that is later (a
    /// later time, or a later line of the same millisecond); the marker
    /// now (moved or not), and whether it moved.
    pub fn advance(&mut self, account: &str, room: &str, marker: Marker) -> (Marker, bool) {
        let rooms = self.by_account.entry(account.to_string()).or_default();
        let place = |m: &Marker| (m.time_ms, m.id.map_or(0, |id| id.seq));
        match rooms.get(room) {
            Some(now) if place(now) >= place(&marker) => (*now, false),
            _ => {
                rooms.insert(room.to_string(), marker);
                (marker, true)
            }
        }
    }

    /// Read back from the file.
    pub fn restore(&mut self, row: MarkerRow) {
        self.by_account.entry(row.account).or_default().insert(row.room, row.marker);
    }

    /// The account is gone: its markers too.
    pub fn forget(&mut self, account: &str) {
        self.by_account.remove(account);
    }

    /// How many markers are kept.
    pub fn len(&self) -> usize {
        self.by_account.values().map(HashMap::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_only_move_forward_per_account_and_room() {
        let mut m = Markers::default();
        let at = |time_ms| Marker { time_ms, id: None };
        assert_eq!(m.advance("alice", "#r", at(10)), (at(10), true));
        assert_eq!(m.advance("alice", "#r", at(5)), (at(10), false), "never back");
        assert_eq!(m.advance("alice", "#r", at(10)), (at(10), false));
        assert_eq!(m.advance("alice", "#s", at(1)), (at(1), true));
        assert_eq!(m.get("bob", "#r"), None);
        // Two lines of one millisecond: the later one moves the marker.
        let line = |seq| Some(MsgId { seq, uniq: 1, room: 1 });
        assert!(m.advance("carol", "#r", Marker { time_ms: 7, id: line(2) }).1);
        assert!(m.advance("carol", "#r", Marker { time_ms: 7, id: line(3) }).1);
        assert!(!m.advance("carol", "#r", Marker { time_ms: 7, id: line(1) }).1);
        m.forget("carol");
        assert_eq!(m.len(), 2);
        m.forget("alice");
        assert!(m.is_empty());
        m.restore(MarkerRow { account: "bob".into(), room: "#r".into(), marker: at(3) });
        assert_eq!(m.get("bob", "#r"), Some(at(3)));
    }
}
