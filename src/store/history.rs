//! Room history in memory: every line said in a room (chat, notices,
//! actions, topic changes) with its id and time, the last `--history` per
//! room, none older than `--history-age`, all of them inside
//! `--history-memory` (the oldest lines of the largest rooms go first).
//! Queries page by id or by time, as IRCv3 CHATHISTORY does. Every read
//! is answered from here, whichever backend keeps the lines across
//! restarts. No I/O, no wire format.

use std::collections::HashMap;

/// Retention settings. `max_lines == 0`: history is off.
#[derive(Debug, Clone)]
pub struct HistoryConfig {
    /// Lines kept per room.
    pub max_lines: usize,
    /// Lines older than this many milliseconds are dropped.
    pub max_age_ms: u64,
    /// All rooms' lines together, in bytes (as estimated by [`Entry::cost`]).
    pub max_bytes: usize,
    /// Lines one query may return (`--history-page`).
    pub page: usize,
    /// Lines a client gets on joining a room (`--join-replay`; 0: none).
    pub join_replay: usize,
}

impl Default for HistoryConfig {
    /// The defaults of `--history`, `--history-age`, `--history-memory`,
    /// `--history-page` and `--join-replay`.
    fn default() -> Self {
        HistoryConfig {
            max_lines: 1000,
            max_age_ms: 7 * 86_400_000,
            max_bytes: 32 << 20,
            page: 100,
            join_replay: 0,
        }
    }
}

impl HistoryConfig {
    pub fn enabled(&self) -> bool {
        self.max_lines > 0
    }
}

use super::entry::reactions_cost;
pub use super::entry::{Entry, Kind, Reaction, SavedTopic, MAX_REACTIONS_PER_LINE};
pub use super::ids::{room_check, MsgId, STREAM_SEQ_BITS};
pub use super::ring::Ref;
use super::ring::{ring_of, Ring};

/// Which lines a query wants (all bounds exclusive), as CHATHISTORY names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Query {
    /// The newest lines (after the reference, when there is one).
    Latest(Option<Ref>),
    Before(Ref),
    After(Ref),
    /// About half before the reference, half from it on.
    Around(Ref),
    /// Between two references, from the first towards the second.
    Between(Ref, Ref),
}

/// A query's answer: lines oldest first.
#[derive(Debug)]
pub struct Page<'a> {
    /// The room's name as its lines were said (empty: never used).
    pub room: &'a str,
    pub items: Vec<&'a Entry>,
    /// False when lines between the reference and the answer were dropped.
    pub complete: bool,
}

/// Why a query was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryError {
    /// An id never issued in that room.
    UnknownId,
}

/// Every room's lines.
#[derive(Debug)]
pub struct History {
    pub cfg: HistoryConfig,
    /// Lines get time-ordered places (`seq` from the clock, in units of
    /// 2^-20 ms), so they interleave with lines whose ids a cluster's
    /// Redis stream gave (see [`MsgId::from_stream`]).
    pub time_ordered: bool,
    /// By folded room name.
    rings: HashMap<String, Ring>,
    bytes: usize,
    next_uniq: u64,
}

impl History {
    /// Empty; ids are unique across restarts as they start from the
    /// clock (`now_ms`) unless a store says where it left off.
    pub fn new(cfg: HistoryConfig, now_ms: u64) -> History {
        History { cfg, time_ordered: false, rings: HashMap::new(), bytes: 0, next_uniq: now_ms << 10 }
    }

    pub fn enabled(&self) -> bool {
        self.cfg.enabled()
    }

    /// Lines held, and their estimated bytes.
    pub fn size(&self) -> (usize, usize) {
        (self.rings.values().map(|r| r.entries.len()).sum(), self.bytes)
    }

    /// Rooms with history.
    pub fn rooms(&self) -> usize {
        self.rings.len()
    }

    /// The next unique number is at least `uniq` (a store read its last one).
    pub fn continue_after(&mut self, uniq: u64) {
        self.next_uniq = self.next_uniq.max(uniq + 1);
    }

    /// Records a line said in the room `key` (folded) named `name`, at
    /// `now_ms`; returns its id and time. With history off, nothing is
    /// kept and `None` comes back. (One room lookup when the room has
    /// history: this runs for every line said.)
    pub fn append(&mut self, key: &str, name: &str, line: NewLine, now_ms: u64) -> Option<(MsgId, u64)> {
        if !self.cfg.enabled() {
            return None;
        }
        let uniq = self.next_uniq;
        self.next_uniq += 1;
        let ring = ring_of(&mut self.rings, key, name);
        if self.time_ordered {
            ring.next_seq = ring.next_seq.max(now_ms << STREAM_SEQ_BITS);
        }
        let id = MsgId { seq: ring.next_seq, uniq, room: ring.check };
        let entry = Entry {
            id,
            time_ms: now_ms,
            kind: line.kind,
            whole: line.whole,
            from: line.from.into(),
            text: line.text.into(),
            reactions: None,
        };
        ring.next_seq += 1;
        if line.kind == Kind::Topic {
            let by = if line.text.is_empty() { String::new() } else { line.from.to_string() };
            ring.topic = Some(SavedTopic { text: line.text.to_string(), by, at: now_ms / 1000 });
        }
        let cutoff = now_ms.saturating_sub(self.cfg.max_age_ms);
        let (added, freed) = ring.push(entry, cutoff, self.cfg.max_lines);
        self.bytes = self.bytes + added - freed;
        if self.bytes > self.cfg.max_bytes {
            self.shrink();
        }
        Some((id, now_ms))
    }

    /// Adds a line whose id a cluster's stream gave, in its place among the
    /// others (it may come after lines this node numbered itself); a line
    /// already held is skipped. Returns it, if added.
    pub fn insert(&mut self, key: &str, name: &str, entry: Entry, now_ms: u64) -> Option<&Entry> {
        if !self.cfg.enabled() {
            return None;
        }
        let ring = self.ring(key, name);
        if ring.entries.iter().rev().take(64).any(|e| e.id.seq == entry.id.seq) {
            return None;
        }
        ring.next_seq = ring.next_seq.max(entry.id.seq + 1);
        if entry.kind == Kind::Topic {
            let by = if entry.text.is_empty() { String::new() } else { entry.from.to_string() };
            ring.topic = Some(SavedTopic { text: entry.text.to_string(), by, at: entry.time_ms / 1000 });
        }
        let seq = entry.id.seq;
        self.put(key, entry, now_ms);
        self.rings.get(key)?.entries.iter().rev().find(|e| e.id.seq == seq)
    }

    /// Adds a line with its id already given (loaded from a store).
    pub fn restore(&mut self, key: &str, name: &str, entry: Entry, now_ms: u64) {
        if !self.cfg.enabled() {
            return;
        }
        self.continue_after(entry.id.uniq);
        let ring = self.ring(key, name);
        if ring.entries.back().is_some_and(|e| e.id.seq >= entry.id.seq) {
            return;
        }
        ring.next_seq = entry.id.seq + 1;
        if ring.entries.is_empty() && ring.dropped_seq == 0 && entry.id.seq > 1 {
            // Older lines were dropped before the restart.
            ring.dropped_seq = entry.id.seq - 1;
            ring.dropped_time = entry.time_ms;
        }
        self.put(key, entry, now_ms);
    }

    /// Restores a room's saved topic (loaded from a store).
    pub fn restore_topic(&mut self, key: &str, name: &str, topic: SavedTopic) {
        if self.cfg.enabled() {
            self.ring(key, name).topic = Some(topic);
        }
    }

    fn ring(&mut self, key: &str, name: &str) -> &mut Ring {
        ring_of(&mut self.rings, key, name)
    }

    fn put(&mut self, key: &str, entry: Entry, now_ms: u64) {
        let cutoff = now_ms.saturating_sub(self.cfg.max_age_ms);
        let Some(ring) = self.rings.get_mut(key) else { return };
        let (added, freed) = ring.push(entry, cutoff, self.cfg.max_lines);
        self.bytes = self.bytes + added - freed;
        if self.bytes > self.cfg.max_bytes {
            self.shrink();
        }
    }

    /// Over the memory budget: drops the oldest lines of the largest room
    /// until it is a sixteenth below the next largest, and again, until a
    /// sixteenth of the budget is free (so rooms are scanned once per many
    /// lines, not once per line).
    fn shrink(&mut self) {
        let target = self.cfg.max_bytes - self.cfg.max_bytes / 16;
        while self.bytes > target {
            let mut largest: Option<(&String, usize)> = None;
            let mut second = 0;
            for (key, ring) in &self.rings {
                match largest {
                    Some((_, bytes)) if ring.bytes <= bytes => second = second.max(ring.bytes),
                    _ => {
                        second = second.max(largest.map_or(0, |(_, b)| b));
                        largest = Some((key, ring.bytes));
                    }
                }
            }
            let Some((key, _)) = largest else { return };
            let key = key.clone();
            let ring = self.rings.get_mut(&key).expect("found above");
            loop {
                self.bytes -= ring.drop_oldest();
                if ring.entries.is_empty() || self.bytes <= target || ring.bytes < second - second / 16 {
                    break;
                }
            }
            if ring.entries.is_empty() {
                self.rings.remove(&key);
            }
        }
    }

    /// Drops what passed `--history-age` in every room (rooms nobody
    /// speaks in are swept here, not on their next line).
    pub fn expire(&mut self, now_ms: u64) {
        let cutoff = now_ms.saturating_sub(self.cfg.max_age_ms);
        let mut freed = 0;
        self.rings.retain(|_, ring| {
            freed += ring.expire(cutoff);
            !ring.entries.is_empty()
        });
        self.bytes -= freed;
    }

    /// The accounting agrees with what is held, within every bound, each
    /// room in order (the fuzz targets check this after every step).
    pub fn check(&self) -> Result<(), String> {
        let mut total = 0;
        for (key, ring) in &self.rings {
            let bytes: usize = ring.entries.iter().map(Entry::cost).sum();
            if bytes != ring.bytes {
                return Err(format!("{key}: {} bytes counted, {bytes} held", ring.bytes));
            }
            total += bytes;
            if ring.entries.len() > self.cfg.max_lines {
                return Err(format!("{key}: {} lines over --history", ring.entries.len()));
            }
            if ring.entries.iter().zip(ring.entries.iter().skip(1)).any(|(a, b)| a.id.seq >= b.id.seq) {
                return Err(format!("{key}: lines out of order"));
            }
            if ring.entries.back().is_some_and(|e| e.id.seq >= ring.next_seq) {
                return Err(format!("{key}: a line at or past the next seq"));
            }
        }
        if total != self.bytes || total > self.cfg.max_bytes {
            return Err(format!("{} bytes counted, {total} held, budget {}", self.bytes, self.cfg.max_bytes));
        }
        Ok(())
    }

    /// The time of the newest line (not a tombstone) kept for `key`.
    pub fn newest_time(&self, key: &str) -> Option<u64> {
        self.rings.get(key)?.entries.iter().rev().find(|e| e.kind != Kind::Deleted).map(|e| e.time_ms)
    }

    /// Every key with lines kept (rooms' folded names, conversations' keys).
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.rings.keys().map(String::as_str)
    }

    /// Has nothing been kept for the room `key`?
    pub fn is_empty(&self, key: &str) -> bool {
        self.rings.get(key).is_none_or(|r| r.entries.is_empty())
    }

    /// The topic kept for the room `key`, if any.
    /// The line `id` of the room `key`, if it is still kept.
    pub fn entry(&self, key: &str, id: MsgId) -> Option<&Entry> {
        let ring = self.rings.get(key)?;
        ring.entries.get(ring.index_of(id.seq)?).filter(|e| e.id == id)
    }

    /// The lines kept of the room `key`, newest first.
    pub fn newest_first(&self, key: &str) -> impl Iterator<Item = &Entry> {
        self.rings.get(key).into_iter().flat_map(|r| r.entries.iter().rev())
    }

    /// Keeps `nick`'s reaction `emoji` to the line `id` of the room `key`
    /// (once; at most [`MAX_REACTIONS_PER_LINE`]); false if not kept.
    pub fn react(&mut self, key: &str, id: MsgId, nick: &str, emoji: &str) -> bool {
        self.react_where(key, id.seq, |e| e.id == id, nick, emoji)
    }

    /// As [`History::react`], for the line `seq` (read back from a file).
    pub fn react_at(&mut self, key: &str, seq: u64, nick: &str, emoji: &str) -> bool {
        self.react_where(key, seq, |_| true, nick, emoji)
    }

    fn react_where(
        &mut self,
        key: &str,
        seq: u64,
        is_it: impl Fn(&Entry) -> bool,
        nick: &str,
        emoji: &str,
    ) -> bool {
        let Some(ring) = self.rings.get_mut(key) else { return false };
        let Some(at) = ring.index_of(seq) else { return false };
        let entry = &mut ring.entries[at];
        if !is_it(entry) || entry.kind == Kind::Deleted {
            return false;
        }
        let all = entry.reactions.get_or_insert_with(Default::default);
        if all.len() >= MAX_REACTIONS_PER_LINE || all.iter().any(|r| &*r.nick == nick && &*r.emoji == emoji) {
            return false;
        }
        all.push(Reaction { nick: nick.into(), emoji: emoji.into() });
        let added = std::mem::size_of::<Reaction>() + nick.len() + emoji.len();
        ring.bytes += added;
        self.bytes += added;
        true
    }

    /// Turns the line `id` of the room `key` into a tombstone (no author,
    /// no text); false if it is not kept or is one already.
    pub fn delete(&mut self, key: &str, id: MsgId) -> bool {
        let Some(ring) = self.rings.get_mut(key) else { return false };
        let Some(at) = ring.index_of(id.seq) else { return false };
        let entry = &mut ring.entries[at];
        if entry.id != id || entry.kind == Kind::Deleted {
            return false;
        }
        let freed = entry.from.len() + entry.text.len() + reactions_cost(&entry.reactions);
        (entry.kind, entry.from, entry.text, entry.reactions) = (Kind::Deleted, "".into(), "".into(), None);
        ring.bytes -= freed;
        self.bytes -= freed;
        true
    }

    pub fn topic(&self, key: &str) -> Option<&SavedTopic> {
        self.rings.get(key)?.topic.as_ref()
    }

    /// Lines of the room `key` as `query` asks, at most `limit`, oldest first.
    pub fn query(
        &mut self,
        key: &str,
        query: Query,
        limit: usize,
        now_ms: u64,
    ) -> Result<Page<'_>, QueryError> {
        if let Some(ring) = self.rings.get_mut(key) {
            let freed = ring.expire(now_ms.saturating_sub(self.cfg.max_age_ms));
            self.bytes -= freed;
        }
        let check = room_check(key);
        let refs = match query {
            Query::Latest(r) => [r, None],
            Query::Before(r) | Query::After(r) | Query::Around(r) => [Some(r), None],
            Query::Between(a, b) => [Some(a), Some(b)],
        };
        let ring = self.rings.get(key);
        for r in refs.into_iter().flatten() {
            if let Ref::Id(id) = r {
                let issued = match ring {
                    Some(ring) => {
                        id.room == ring.check
                            && id.seq < ring.next_seq
                            && ring
                                .entries
                                .iter()
                                .find(|e| e.id.seq == id.seq)
                                .is_none_or(|e| e.id.uniq == id.uniq)
                    }
                    None => id.room == check,
                };
                if !issued {
                    return Err(QueryError::UnknownId);
                }
            }
        }
        let Some(ring) = ring else {
            let complete = refs.iter().flatten().all(|r| !matches!(r, Ref::Id(id) if id.seq > 0));
            return Ok(Page { room: "", items: Vec::new(), complete });
        };
        let len = ring.entries.len();
        let (lo, hi, complete) = match query {
            Query::Latest(None) => (len.saturating_sub(limit), len, true),
            Query::Latest(Some(r)) => {
                let lo = ring.position(r, true);
                (lo.max(len.saturating_sub(limit)), len, !ring.dropped_after(r))
            }
            Query::Before(r) => {
                let hi = ring.position(r, false);
                (hi.saturating_sub(limit), hi, !ring.dropped_before(r))
            }
            Query::After(r) => {
                let lo = ring.position(r, true);
                (lo, (lo + limit).min(len), !ring.dropped_after(r))
            }
            Query::Around(r) => {
                let p = ring.position(r, false);
                let lo = p.saturating_sub(limit / 2);
                let hi = (lo + limit).min(len);
                (hi.saturating_sub(limit).min(lo), hi, true)
            }
            Query::Between(a, b) => {
                let (pa, pb) = (ring.position(a, false), ring.position(b, false));
                let forward = match (a, b) {
                    (Ref::Id(x), Ref::Id(y)) => x.seq <= y.seq,
                    (Ref::Time(x), Ref::Time(y)) => x <= y,
                    _ => pa <= pb,
                };
                if forward {
                    let lo = ring.position(a, true);
                    let hi = pb.max(lo);
                    (lo, hi.min(lo + limit), !ring.dropped_after(a))
                } else {
                    let lo = ring.position(b, true);
                    let hi = pa.max(lo);
                    (hi.saturating_sub(limit).max(lo), hi, !ring.dropped_before(a))
                }
            }
        };
        let items = ring.entries.range(lo..hi.max(lo)).collect();
        Ok(Page { room: &ring.name, items, complete })
    }
}

/// A line to record.
#[derive(Debug, Clone, Copy)]
pub struct NewLine<'a> {
    pub kind: Kind,
    pub whole: bool,
    pub from: &'a str,
    pub text: &'a str,
}

#[cfg(test)]
#[path = "history_tests.rs"]
mod tests;
