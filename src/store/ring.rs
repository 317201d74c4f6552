//! One room's lines in memory (`Ring`): kept in id order, dropped by age
//! and count, and found by id or time (`Ref`), as the memory history's
//! queries need.

use std::collections::{HashMap, VecDeque};

use super::entry::{Entry, SavedTopic};
use super::ids::{room_check, MsgId};

/// Where a query starts: a line's id, or a time (Unix ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ref {
    Id(MsgId),
    Time(u64),
}

/// One room's lines.
#[derive(Debug)]
pub(super) struct Ring {
    /// The room's name as last spelled.
    pub(super) name: Box<str>,
    pub(super) check: u32,
    pub(super) entries: VecDeque<Entry>,
    /// The next line's `seq`.
    pub(super) next_seq: u64,
    /// The newest `seq` retention dropped (0: none), and its time.
    pub(super) dropped_seq: u64,
    pub(super) dropped_time: u64,
    pub(super) bytes: usize,
    pub(super) topic: Option<SavedTopic>,
}

impl Ring {
    pub(super) fn new(key: &str, name: &str) -> Ring {
        Ring {
            name: name.into(),
            check: room_check(key),
            entries: VecDeque::new(),
            next_seq: 1,
            dropped_seq: 0,
            dropped_time: 0,
            bytes: 0,
            topic: None,
        }
    }

    pub(super) fn drop_oldest(&mut self) -> usize {
        let Some(e) = self.entries.pop_front() else { return 0 };
        self.dropped_seq = e.id.seq;
        self.dropped_time = e.time_ms;
        let cost = e.cost();
        self.bytes -= cost;
        cost
    }

    /// Adds `entry` in its place (the end, but for a cluster's late
    /// lines), then drops what passed `cutoff` (Unix ms) or `max_lines`;
    /// returns the bytes added and freed.
    pub(super) fn push(&mut self, entry: Entry, cutoff: u64, max_lines: usize) -> (usize, usize) {
        let cost = entry.cost();
        if self.entries.back().is_none_or(|last| last.id.seq < entry.id.seq) {
            self.entries.push_back(entry);
        } else {
            let at = self.entries.partition_point(|e| e.id.seq < entry.id.seq);
            self.entries.insert(at, entry);
        }
        self.bytes += cost;
        let mut freed = self.expire(cutoff);
        while self.entries.len() > max_lines {
            freed += self.drop_oldest();
        }
        (cost, freed)
    }

    /// Drops lines older than `cutoff` (Unix ms); returns the bytes freed.
    pub(super) fn expire(&mut self, cutoff: u64) -> usize {
        let mut freed = 0;
        while self.entries.front().is_some_and(|e| e.time_ms < cutoff) {
            freed += self.drop_oldest();
        }
        freed
    }

    /// The first position whose key is at or past `r` (`after`: past it).
    pub(super) fn position(&self, r: Ref, after: bool) -> usize {
        match r {
            Ref::Id(id) => {
                self.entries.partition_point(|e| e.id.seq < id.seq || (after && e.id.seq == id.seq))
            }
            Ref::Time(t) => self.entries.partition_point(|e| e.time_ms < t || (after && e.time_ms == t)),
        }
    }

    /// Where the line of place `seq` is, if it is kept (lines are in `seq`
    /// order: a binary search).
    pub(super) fn index_of(&self, seq: u64) -> Option<usize> {
        let at = self.entries.partition_point(|e| e.id.seq < seq);
        self.entries.get(at).filter(|e| e.id.seq == seq).map(|_| at)
    }

    /// Were lines after `r` dropped by retention?
    pub(super) fn dropped_after(&self, r: Ref) -> bool {
        match r {
            Ref::Id(id) => id.seq < self.dropped_seq,
            Ref::Time(t) => self.dropped_seq > 0 && t < self.dropped_time,
        }
    }

    /// Were the lines just before `r` dropped by retention?
    pub(super) fn dropped_before(&self, r: Ref) -> bool {
        match r {
            Ref::Id(id) => self.dropped_seq > 0 && id.seq <= self.dropped_seq + 1,
            Ref::Time(t) => self.dropped_seq > 0 && self.entries.front().is_none_or(|e| e.time_ms >= t),
        }
    }
}

/// The ring of the room `key` (named `name`, as last spelled), made if it
/// has none yet.
pub(super) fn ring_of<'a>(rings: &'a mut HashMap<String, Ring>, key: &str, name: &str) -> &'a mut Ring {
    if !rings.contains_key(key) {
        rings.insert(key.to_string(), Ring::new(key, name));
    }
    let ring = rings.get_mut(key).expect("just made");
    if *ring.name != *name {
        ring.name = name.into();
    }
    ring
}
