//! Presence, with no socket: this node's stamp (node, epoch, sequence) and
//! heartbeat, the other nodes as their notes show them (epoch, sequence,
//! when last heard), gaps in their sequences, a subscriber gone deaf (our
//! own heartbeats no longer coming back), bursts owed, and nodes silent
//! past the presence TTL. Driven by the notes heard and the time given, so
//! every lease is tested to the millisecond.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::note::Stamp;

/// Another node, as its notes show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub epoch: u64,
    pub seq: u64,
    pub last_seen: Instant,
}

/// What a note's stamp means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    /// Our own note came back (the subscriber hears us).
    Own,
    /// A node seen for the first time, or the next note of one we know.
    InOrder,
    /// A node restarted (a new epoch): the users we knew of it are gone.
    Restarted,
    /// Notes of that node were lost; `ask_sync`: ask everyone for their
    /// state now (at most once a second).
    Gap { ask_sync: bool },
}

/// What is due at a moment.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Duties {
    /// Send a heartbeat.
    pub beat: bool,
    /// Our heartbeats stopped coming back: reconnect the subscriber.
    pub deaf: bool,
    /// Send a burst of our state (someone said hello or asked).
    pub burst: bool,
    /// Nodes silent past the TTL: gone, with their users.
    pub gone: Vec<String>,
}

/// The least time between two requests for everyone's state.
const SYNC_EVERY: Duration = Duration::from_secs(1);

/// This node and the others.
pub struct Presence {
    stamp: Stamp,
    ttl: Duration,
    peers: HashMap<String, Peer>,
    next_beat: Instant,
    /// When our own heartbeat last came back through the subscriber.
    heard_self: Instant,
    /// A burst of our state is owed to the others.
    burst_due: bool,
    last_sync_request: Option<Instant>,
    /// Gaps seen in other nodes' sequences.
    pub gaps: u64,
}

impl Presence {
    /// Node `node`, started at `epoch` (Unix ms), whose peers are gone when
    /// silent for `ttl`.
    pub fn new(node: &str, epoch: u64, ttl: Duration, now: Instant) -> Presence {
        Presence {
            stamp: Stamp { node: node.to_string(), epoch, seq: 0 },
            ttl,
            peers: HashMap::new(),
            next_beat: now,
            heard_self: now,
            burst_due: false,
            last_sync_request: None,
            gaps: 0,
        }
    }

    pub fn node(&self) -> &str {
        &self.stamp.node
    }

    /// The stamp of this node's next note.
    pub fn next_stamp(&mut self) -> &Stamp {
        self.stamp.seq += 1;
        &self.stamp
    }

    /// How often this node beats: a fifth of the TTL (at least 100 ms).
    pub fn beat_every(&self) -> Duration {
        (self.ttl / 5).max(Duration::from_millis(100))
    }

    /// The link is (back) up: beat now; our heartbeats count from now.
    pub fn link_up(&mut self, now: Instant) {
        self.heard_self = now;
        self.next_beat = now;
        self.burst_due = false;
    }

    /// A node said hello or asked for everyone's state: a burst is owed.
    pub fn owe_burst(&mut self) {
        self.burst_due = true;
    }

    /// A note stamped `stamp` arrived at `now` (`is_burst`: a burst, which
    /// resynchronises by itself, so a gap before it asks for nothing).
    pub fn heard(&mut self, stamp: &Stamp, is_burst: bool, now: Instant) -> Heard {
        if stamp.node == self.stamp.node {
            if stamp.epoch == self.stamp.epoch {
                self.heard_self = now;
            }
            return Heard::Own;
        }
        let peer = self.peers.entry(stamp.node.clone()).or_insert_with(|| Peer {
            epoch: stamp.epoch,
            seq: stamp.seq.saturating_sub(1),
            last_seen: now,
        });
        peer.last_seen = now;
        if peer.epoch != stamp.epoch {
            peer.epoch = stamp.epoch;
            peer.seq = stamp.seq;
            return Heard::Restarted;
        }
        let expected = peer.seq + 1;
        peer.seq = stamp.seq;
        if stamp.seq == expected || is_burst {
            return Heard::InOrder;
        }
        self.gaps += 1;
        let ask_sync = self.last_sync_request.is_none_or(|t| now.saturating_duration_since(t) > SYNC_EVERY);
        if ask_sync {
            self.last_sync_request = Some(now);
        }
        Heard::Gap { ask_sync }
    }

    /// What is due at `now` (beats, the deaf check and bursts only while
    /// the link is `up`). Nodes found gone are forgotten.
    pub fn duties(&mut self, now: Instant, up: bool) -> Duties {
        let mut duties = Duties::default();
        if up {
            if now >= self.next_beat {
                self.next_beat = now + self.beat_every();
                duties.beat = true;
            }
            let deaf_after = (self.beat_every() * 3).max(Duration::from_secs(3));
            if now.saturating_duration_since(self.heard_self) > deaf_after {
                duties.deaf = true;
            } else {
                duties.burst = std::mem::take(&mut self.burst_due);
            }
        }
        let ttl = self.ttl;
        duties.gone = self
            .peers
            .iter()
            .filter(|(_, p)| now.saturating_duration_since(p.last_seen) > ttl)
            .map(|(n, _)| n.clone())
            .collect();
        duties.gone.sort();
        for node in &duties.gone {
            self.peers.remove(node);
        }
        duties
    }

    /// When something next comes due.
    pub fn next_wake(&self, up: bool) -> Option<Instant> {
        let silent = self.peers.values().map(|p| p.last_seen + self.ttl + Duration::from_millis(1));
        let beat = up.then_some(self.next_beat);
        silent.chain(beat).min()
    }

    /// Nodes known alive, this one included.
    pub fn nodes(&self) -> usize {
        self.peers.len() + 1
    }

    /// Is `node` known (alive)?
    pub fn knows(&self, node: &str) -> bool {
        self.peers.contains_key(node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn stamp(node: &str, epoch: u64, seq: u64) -> Stamp {
        Stamp { node: node.into(), epoch, seq }
    }

    #[test]
    fn a_node_silent_for_the_ttl_is_gone_to_the_millisecond() {
        let t0 = Instant::now();
        let mut p = Presence::new("n1", 1, 3000 * MS, t0);
        assert_eq!(p.heard(&stamp("n2", 7, 1), false, t0), Heard::InOrder);
        assert_eq!(p.next_wake(false), Some(t0 + 3001 * MS));
        assert_eq!(
            p.duties(t0 + 3000 * MS, false).gone,
            Vec::<String>::new(),
            "silent for exactly the TTL: still here"
        );
        assert_eq!(p.duties(t0 + 3001 * MS, false).gone, ["n2"]);
        assert!(!p.knows("n2"));
        assert_eq!(p.nodes(), 1);
    }

    #[test]
    fn every_note_renews_the_lease() {
        let t0 = Instant::now();
        let mut p = Presence::new("n1", 1, 3000 * MS, t0);
        p.heard(&stamp("n2", 7, 1), false, t0);
        p.heard(&stamp("n2", 7, 2), false, t0 + 2500 * MS);
        assert!(p.duties(t0 + 5500 * MS, false).gone.is_empty());
        assert_eq!(p.duties(t0 + 5501 * MS, false).gone, ["n2"]);
    }

    #[test]
    fn beats_come_every_fifth_of_the_ttl_while_up() {
        let t0 = Instant::now();
        let mut p = Presence::new("n1", 1, 3000 * MS, t0);
        p.link_up(t0);
        assert!(p.duties(t0, true).beat);
        assert!(!p.duties(t0 + 599 * MS, true).beat);
        assert!(p.duties(t0 + 600 * MS, true).beat);
        assert!(!p.duties(t0 + 10_000 * MS, false).beat, "no beats while the link is down");
        let seq = p.next_stamp().seq;
        assert_eq!(p.next_stamp().seq, seq + 1);
    }

    #[test]
    fn a_subscriber_that_stops_hearing_us_is_deaf_after_three_beats_or_3_s() {
        let t0 = Instant::now();
        let mut p = Presence::new("n1", 9, 15_000 * MS, t0);
        p.link_up(t0);
        // Beats every 3 s: deaf after 9 s without our own notes.
        assert_eq!(p.heard(&stamp("n1", 9, 1), false, t0 + 8000 * MS), Heard::Own);
        assert!(!p.duties(t0 + 17_000 * MS, true).deaf);
        assert!(p.duties(t0 + 17_001 * MS, true).deaf);
        // An old incarnation of us (another epoch) does not count as hearing us.
        p.link_up(t0 + 20_000 * MS);
        assert_eq!(p.heard(&stamp("n1", 8, 1), false, t0 + 28_000 * MS), Heard::Own);
        assert!(p.duties(t0 + 29_001 * MS, true).deaf);
    }

    #[test]
    fn gaps_ask_for_a_resync_at_most_once_a_second_and_restarts_are_seen() {
        let t0 = Instant::now();
        let mut p = Presence::new("n1", 1, 3000 * MS, t0);
        p.heard(&stamp("n2", 7, 1), false, t0);
        assert_eq!(p.heard(&stamp("n2", 7, 3), false, t0), Heard::Gap { ask_sync: true });
        assert_eq!(p.heard(&stamp("n2", 7, 5), false, t0 + 1000 * MS), Heard::Gap { ask_sync: false });
        assert_eq!(p.heard(&stamp("n2", 7, 7), false, t0 + 1001 * MS), Heard::Gap { ask_sync: true });
        assert_eq!(
            p.heard(&stamp("n2", 7, 9), true, t0 + 1001 * MS),
            Heard::InOrder,
            "a burst resyncs by itself"
        );
        assert_eq!(p.gaps, 3);
        assert_eq!(p.heard(&stamp("n2", 8, 1), false, t0 + 1002 * MS), Heard::Restarted);
        assert_eq!(p.heard(&stamp("n2", 8, 2), false, t0 + 1003 * MS), Heard::InOrder);
    }

    #[test]
    fn a_burst_is_owed_after_a_hello_and_sent_once() {
        let t0 = Instant::now();
        let mut p = Presence::new("n1", 1, 3000 * MS, t0);
        p.link_up(t0);
        p.owe_burst();
        assert!(p.duties(t0, true).burst);
        assert!(!p.duties(t0, true).burst);
    }
}
