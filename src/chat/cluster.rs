//! The Hub's side of the cluster (`--redis`): what this node tells the
//! others, nickname claims in Redis, presence (heartbeats, claim refresh,
//! silent nodes), and the link's comings and goings. What other nodes tell
//! us is applied in `remote.rs`; the Redis connections are `crate::cluster`.
//!
//! A nickname is claimed in Redis (`SET NX PX`) before the join is
//! announced: the connection is not read meanwhile, and lines already read
//! wait in its session, so nothing is reordered or lost. With Redis away the
//! node serves alone, claims locally, and settles collisions when it returns
//! (the older claim keeps the nick; the later one is renamed).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use log::{info, warn};

use super::rooms::RoomId;
use super::session::{fold_nick, Phase, MAX_NICK_CHARS};
use super::Hub;
use crate::cluster::link::Tag;
use crate::cluster::note::{BurstUser, Note, Stamp, TopicState};
use crate::cluster::resp::Frame;
use crate::cluster::{Cluster, Incoming};
use crate::net::LineFault;
use crate::net::{ConnId, Outbox};

/// What a pending nickname claim completes when Redis grants it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A first nickname: registration (the face finishes it, see [`Settled`]).
    FirstNick,
    /// A change of nickname by a joined client.
    Rename,
    /// Renaming the later of two claims of one nick made during a split.
    Settle { attempt: u32 },
}

/// A client's nickname claim, settled: its face finishes the job (a first
/// nickname granted: the face's welcome; refused: its words for
/// `nick-taken`) and then hands it the lines it sent meanwhile
/// ([`Hub::take_waiting`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    pub id: ConnId,
    pub nick: String,
    /// Its first nickname (else a change of nickname).
    pub first: bool,
    pub granted: bool,
}

enum Pending {
    Claim { id: ConnId, nick: String, ms: u64, purpose: Purpose },
    Refresh { folded: String, ms: u64 },
}

/// A user on another node, as this node mirrors it.
#[derive(Debug, Clone)]
pub struct RemoteUser {
    pub nick: String,
    pub claimed_ms: u64,
    /// Rooms held, in the order joined.
    pub rooms: Vec<RoomId>,
}

/// Another node, known from its notes.
pub struct Peer {
    pub epoch: u64,
    pub seq: u64,
    pub last_seen: Instant,
    /// Its users, by folded nickname.
    pub users: HashMap<String, RemoteUser>,
}

/// Lines a client may send while its nickname claim is in flight before
/// it is disconnected (the connection is not read meanwhile, so only what
/// one read or one WebSocket message carried can pile up here).
pub const MAX_HELD_LINES: usize = 1024;

pub struct ClusterHub {
    pub link: Cluster,
    stamp: Stamp,
    pub peers: HashMap<String, Peer>,
    pending: HashMap<Tag, Pending>,
    next_tag: Tag,
    /// This node's nicknames (folded) and when each was claimed (Unix ms).
    owned: HashMap<String, u64>,
    next_beat: Instant,
    next_refresh: Instant,
    /// When our own heartbeat last came back through the subscriber.
    heard_self: Instant,
    /// A burst of our state is owed to the others (a node said hello, or asked).
    burst_due: bool,
    last_sync_request: Option<Instant>,
    /// Gaps seen in other nodes' sequences.
    pub gaps: u64,
    /// Nicknames renamed to settle a collision.
    pub collisions: u64,
}

impl ClusterHub {
    fn beat_every(&self) -> Duration {
        (self.link.cfg.presence_ttl / 5).max(Duration::from_millis(100))
    }

    fn owner(&self, ms: u64) -> String {
        format!("{ms}|{}", self.stamp.node)
    }

    fn tag(&mut self, pending: Pending) -> Tag {
        self.next_tag += 1;
        self.pending.insert(self.next_tag, pending);
        self.next_tag
    }

    /// Refreshes (or, after a split, re-takes or gives up) every claim this
    /// node holds; the next refresh is due a third of the TTL later.
    fn refresh_claims(&mut self, now: Instant) {
        let owned: Vec<(String, u64)> = self.owned.iter().map(|(f, &ms)| (f.clone(), ms)).collect();
        for (folded, ms) in owned {
            let (key, owner) = (self.link.nick_key(&folded), self.owner(ms));
            let tag = self.tag(Pending::Refresh { folded, ms });
            self.link.refresh(&key, &owner, tag);
        }
        self.next_refresh = now + self.link.cfg.presence_ttl / 3;
    }

    /// When this node claimed `folded`, if it holds it.
    pub fn owned_ms(&self, folded: &str) -> Option<u64> {
        self.owned.get(folded).copied()
    }

    pub fn node_id(&self) -> &str {
        &self.stamp.node
    }

    /// Users on other nodes.
    pub fn remote_users(&self) -> usize {
        self.peers.values().map(|p| p.users.len()).sum()
    }
}

use crate::clock::unix_ms;

impl Hub {
    /// Joins the cluster through `link` (dialled once the loop starts).
    pub fn set_cluster(&mut self, link: Cluster) {
        let now = Instant::now();
        let node = link.cfg.node_id.clone();
        self.cluster = Some(Box::new(ClusterHub {
            link,
            stamp: Stamp { node, epoch: unix_ms(), seq: 0 },
            peers: HashMap::new(),
            pending: HashMap::new(),
            next_tag: 0,
            owned: HashMap::new(),
            next_beat: now,
            next_refresh: now,
            heard_self: now,
            burst_due: false,
            last_sync_request: None,
            gaps: 0,
            collisions: 0,
        }));
    }

    /// Dials Redis once the loop starts.
    pub fn cluster_start(&mut self, registry: &mio::Registry) {
        if let Some(c) = self.cluster.as_mut() {
            c.link.start(registry);
        }
    }

    /// One of the link's sockets is ready.
    pub fn cluster_ready(&mut self, token: mio::Token, out: &mut Outbox) {
        if let Some(c) = self.cluster.as_mut() {
            c.link.ready(token, out.now());
            self.cluster_incoming(out);
        }
    }

    /// Tells the other nodes; `note` is only built when there are others.
    pub(crate) fn publish(&mut self, note: impl FnOnce(&Hub) -> Note) {
        if self.cluster.is_none() {
            return;
        }
        let note = note(self);
        let Some(c) = self.cluster.as_mut() else { return };
        c.stamp.seq += 1;
        let bytes = note.encode(&c.stamp);
        c.link.publish(&bytes);
    }

    /// Is `nick` used by someone other than `id`, here or on another node?
    pub fn nick_taken(&self, nick: &str, id: ConnId) -> bool {
        if self.find_nick(nick).is_some_and(|owner| owner != id) {
            return true;
        }
        self.remote_nick(nick).is_some()
    }

    /// `nick` as spelled by its owner on another node, if one has it.
    pub fn remote_nick(&self, nick: &str) -> Option<&str> {
        let folded = fold_nick(nick);
        let c = self.cluster.as_ref()?;
        c.peers.values().find_map(|p| p.users.get(&folded)).map(|u| u.nick.as_str())
    }

    /// Claims `nick` in Redis before `id` gets it. Returns true when the
    /// claim is in flight (the caller stops: [`Hub::claim_granted`] finishes
    /// the job); false when there is no cluster link up to ask, and the
    /// caller goes on at once.
    pub fn claim_first(&mut self, id: ConnId, nick: &str, purpose: Purpose, out: &mut Outbox) -> bool {
        let Some(c) = self.cluster.as_mut() else { return false };
        if !c.link.is_up() {
            return false;
        }
        let ms = unix_ms();
        let (key, owner) = (c.link.nick_key(&fold_nick(nick)), c.owner(ms));
        let tag = c.tag(Pending::Claim { id, nick: nick.to_string(), ms, purpose });
        if !c.link.claim(&key, &owner, tag) {
            c.pending.remove(&tag);
            return false;
        }
        if let Some(s) = self.session_mut(id) {
            s.claiming = true;
        }
        // Not read until Redis answers (or the link fails, which answers too).
        out.pause_reading(id, out.now() + Duration::from_secs(30));
        true
    }

    /// Changes joined `id`'s nickname to `new` (checked and free): a change
    /// of case keeps the claim; another nick is claimed in the cluster first.
    /// Returns true while the claim is in flight.
    pub fn change_nick(&mut self, id: ConnId, new: &str, out: &mut Outbox) -> bool {
        let same_key = self.nick_of(id).is_some_and(|current| fold_nick(current) == fold_nick(new));
        if same_key || !self.claim_first(id, new, Purpose::Rename, out) {
            self.rename(id, new, out);
            return false;
        }
        true
    }

    /// Records that this node now holds `nick` (claimed at `ms`, or now).
    pub(crate) fn note_owned(&mut self, nick: &str, ms: Option<u64>) {
        let Some(c) = self.cluster.as_mut() else { return };
        match ms {
            Some(ms) => {
                c.owned.insert(fold_nick(nick), ms);
            }
            None => {
                c.owned.entry(fold_nick(nick)).or_insert_with(unix_ms);
            }
        }
    }

    /// This node no longer holds `nick`: free its claim in Redis.
    pub(crate) fn forget_owned(&mut self, nick: &str) {
        let Some(c) = self.cluster.as_mut() else { return };
        let folded = fold_nick(nick);
        if let Some(ms) = c.owned.remove(&folded) {
            let (key, owner) = (c.link.nick_key(&folded), c.owner(ms));
            c.link.release(&key, &owner);
        }
    }

    /// A line that arrived while `id`'s claim was in flight: kept for when it
    /// is settled. Returns false if the session already holds too many.
    pub fn hold_line(&mut self, id: ConnId, line: Result<&[u8], LineFault>) -> bool {
        let Some(s) = self.session_mut(id) else { return true };
        if s.waiting.len() >= MAX_HELD_LINES {
            return false;
        }
        s.waiting.push_back(line.map(<[u8]>::to_vec));
        true
    }

    /// Is a claim of `id`'s in flight (its lines wait)?
    pub fn is_claiming(&self, id: ConnId) -> bool {
        self.session(id).is_some_and(|s| s.claiming)
    }

    /// The next line `id` sent while its claim was in flight, once the claim
    /// is settled (none while another claim is in flight).
    pub fn take_waiting(&mut self, id: ConnId) -> Option<Result<Vec<u8>, LineFault>> {
        self.session_mut(id).filter(|s| !s.claiming)?.waiting.pop_front()
    }

    /// The claim is settled: read `id` again; its face hears of it.
    fn settled(&mut self, id: ConnId, nick: &str, purpose: Purpose, granted: bool, out: &mut Outbox) {
        let Some(s) = self.session_mut(id) else { return };
        s.claiming = false;
        out.resume_reading(id);
        let first = purpose == Purpose::FirstNick;
        self.settled.push(Settled { id, nick: nick.to_string(), first, granted });
    }

    fn claim_answered(&mut self, tag: Tag, frame: Option<Frame>, out: &mut Outbox) {
        let Some(c) = self.cluster.as_mut() else { return };
        let Some(pending) = c.pending.remove(&tag) else { return };
        match pending {
            Pending::Refresh { folded, ms } => {
                // 0: another node's older claim holds it (settled after a split).
                if frame == Some(Frame::Integer(0)) && c.owned.get(&folded) == Some(&ms) {
                    c.owned.remove(&folded);
                    if let Some(id) = self.find_nick(&folded) {
                        self.settle(id, 0, out);
                    }
                }
            }
            Pending::Claim { id, nick, ms, purpose } => {
                // No answer (the link failed): the node is alone now, and goes on.
                let granted = !matches!(frame, Some(Frame::Bulk(None)) | Some(Frame::Error(_)));
                let alive = self.session(id).is_some_and(|s| s.claiming);
                if !alive {
                    if granted && frame.is_some() {
                        let c = self.cluster.as_mut().expect("checked above");
                        let (key, owner) = (c.link.nick_key(&fold_nick(&nick)), c.owner(ms));
                        c.link.release(&key, &owner);
                    }
                    return;
                }
                if granted {
                    self.claim_granted(id, &nick, ms, purpose, out);
                } else if let Purpose::Settle { attempt } = purpose {
                    self.retry_settle(id, attempt, out);
                } else {
                    self.settled(id, &nick, purpose, false, out);
                }
            }
        }
    }

    fn claim_granted(&mut self, id: ConnId, nick: &str, ms: u64, purpose: Purpose, out: &mut Outbox) {
        // A local client may have taken it while the link was away.
        if self.find_nick(nick).is_some_and(|owner| owner != id) {
            if let Purpose::Settle { attempt } = purpose {
                return self.retry_settle(id, attempt, out);
            }
            return self.settled(id, nick, purpose, false, out);
        }
        self.note_owned(nick, Some(ms));
        match purpose {
            Purpose::FirstNick => self.register(id, nick, out),
            Purpose::Rename => self.rename(id, nick, out),
            Purpose::Settle { .. } => {
                if let Some(c) = self.cluster.as_mut() {
                    c.collisions += 1;
                }
                let Some(s) = self.session_mut(id) else { return };
                s.claiming = false;
                out.resume_reading(id);
                return self.rename(id, nick, out);
            }
        }
        self.settled(id, nick, purpose, true, out);
    }

    /// A settling rename's claim was refused: read `id` again and try the
    /// next variant.
    fn retry_settle(&mut self, id: ConnId, attempt: u32, out: &mut Outbox) {
        let Some(s) = self.session_mut(id) else { return };
        s.claiming = false;
        out.resume_reading(id);
        self.settle(id, attempt + 1, out);
    }

    /// Renames local `id`, whose nick another node's older claim holds, to a
    /// free variant (`nick-1`, `nick-2`, ...), claimed like any other.
    pub(crate) fn settle(&mut self, id: ConnId, attempt: u32, out: &mut Outbox) {
        let Some(nick) = self.nick_of(id).map(str::to_string) else { return };
        if self.session(id).is_some_and(|s| s.claiming) {
            return; // already being settled (or renamed)
        }
        if let Some(c) = self.cluster.as_mut() {
            c.owned.remove(&fold_nick(&nick));
        }
        let mut n = attempt + 1;
        let candidate = loop {
            let suffix = format!("-{n}");
            let keep = MAX_NICK_CHARS - suffix.len();
            let candidate: String = nick.chars().take(keep).chain(suffix.chars()).collect();
            if !self.nick_taken(&candidate, id) {
                break candidate;
            }
            n += 1;
        };
        info!("{nick} is held by an older claim on another node; renaming to {candidate}");
        if !self.claim_first(id, &candidate, Purpose::Settle { attempt: n }, out) {
            self.note_owned(&candidate, None);
            if let Some(c) = self.cluster.as_mut() {
                c.collisions += 1;
            }
            self.rename(id, &candidate, out);
        }
    }

    /// Forgets a closing connection's claim in flight (its answer then frees the nick).
    pub(crate) fn cluster_close(&mut self, id: ConnId) {
        if let Some(s) = self.session_mut(id) {
            s.claiming = false;
            s.waiting.clear();
        }
    }

    /// Everything this node holds, for the others to mirror.
    fn burst(&self) -> Note {
        let Some(c) = self.cluster.as_ref() else { return Note::Burst { users: vec![], topics: vec![] } };
        let mut users = Vec::new();
        for (folded, &id) in &self.nicks {
            let Some(Phase::Joined { nick }) = self.session(id).map(|s| &s.phase) else { continue };
            let rooms = self.rooms_of(id).map(|r| self.rooms.get(r).name.clone()).collect();
            // A nick no longer owned is being given up (settled): it loses
            // every comparison, so the other holder never yields it too.
            let claimed_ms = c.owned.get(folded).copied().unwrap_or(u64::MAX);
            users.push(BurstUser { nick: nick.clone(), claimed_ms, rooms });
        }
        let topics = self
            .rooms
            .sorted()
            .into_iter()
            .map(|r| self.rooms.get(r))
            .filter(|r| !r.members.is_empty() && r.topic_at > 0)
            .map(|r| TopicState {
                room: r.name.clone(),
                topic: r.topic.clone(),
                by: r.topic_by.clone(),
                at: r.topic_at,
            })
            .collect();
        Note::Burst { users, topics }
    }

    /// Handles what the link brought: link state, replies, notes.
    pub(crate) fn cluster_incoming(&mut self, out: &mut Outbox) {
        loop {
            let Some(c) = self.cluster.as_mut() else { return };
            let batch = c.link.take_incoming();
            if batch.is_empty() {
                return;
            }
            for incoming in batch {
                match incoming {
                    Incoming::Up => self.cluster_up(out),
                    Incoming::Down => self.cluster_down(out),
                    Incoming::Reply(tag, frame) => self.claim_answered(tag, Some(frame), out),
                    Incoming::Message(bytes) => self.on_note(&bytes, out),
                }
            }
        }
    }

    fn cluster_up(&mut self, out: &mut Outbox) {
        let now = out.now();
        let Some(c) = self.cluster.as_mut() else { return };
        c.heard_self = now;
        c.next_beat = now;
        c.burst_due = false;
        // Re-take every local claim (settling any made by two nodes during
        // a split), then say hello: every node answers with its state.
        c.refresh_claims(now);
        self.publish(|_| Note::Hello);
        let burst = self.burst();
        self.publish(|_| burst);
    }

    fn cluster_down(&mut self, out: &mut Outbox) {
        // Claims in flight get no answer now: the node is alone, so it grants them.
        let Some(c) = self.cluster.as_mut() else { return };
        let tags: Vec<Tag> = c.pending.keys().copied().collect();
        for tag in tags {
            self.claim_answered(tag, None, out);
        }
    }

    /// Heartbeats, claim refresh, silent nodes, a deaf subscriber, owed
    /// bursts; then the link's own timers and writes.
    pub(crate) fn cluster_turn(&mut self, out: &mut Outbox) {
        let now = out.now();
        let Some(c) = self.cluster.as_mut() else { return };
        let ttl = c.link.cfg.presence_ttl;
        if c.link.is_up() {
            if now >= c.next_beat {
                c.next_beat = now + c.beat_every();
                self.publish(|_| Note::Beat);
            }
            let c = self.cluster.as_mut().expect("checked above");
            if now >= c.next_refresh {
                c.refresh_claims(now);
            }
            // Our own heartbeats stopped coming back: the subscriber is deaf.
            let deaf_after = (c.beat_every() * 3).max(Duration::from_secs(3));
            if now.saturating_duration_since(c.heard_self) > deaf_after {
                warn!("cluster: our own heartbeats stopped coming back; reconnecting");
                c.link.reconnect("subscriber deaf", now);
            } else if std::mem::take(&mut c.burst_due) {
                let burst = self.burst();
                self.publish(|_| burst);
            }
        }
        // Nodes silent for the presence TTL are gone: their users leave.
        let c = self.cluster.as_mut().expect("checked above");
        let gone: Vec<String> = c
            .peers
            .iter()
            .filter(|(_, p)| now.saturating_duration_since(p.last_seen) > ttl)
            .map(|(n, _)| n.clone())
            .collect();
        for node in gone {
            info!("cluster: node {node} silent for {} s; its users leave", ttl.as_secs_f64());
            self.node_gone(&node, out);
        }
        let c = self.cluster.as_mut().expect("checked above");
        c.link.turn(now);
        self.cluster_incoming(out);
    }

    /// When the cluster next needs a turn.
    pub(crate) fn cluster_wake(&self) -> Option<Instant> {
        let c = self.cluster.as_ref()?;
        let mut at = c.link.next_wake();
        let mut consider = |t: Instant| at = Some(at.map_or(t, |a| a.min(t)));
        if c.link.is_up() {
            consider(c.next_beat);
            consider(c.next_refresh);
        }
        let ttl = c.link.cfg.presence_ttl;
        for p in c.peers.values() {
            consider(p.last_seen + ttl + Duration::from_millis(1));
        }
        at
    }

    /// One note from the cluster channel.
    fn on_note(&mut self, bytes: &[u8], out: &mut Outbox) {
        let Some((stamp, note)) = Note::decode(bytes) else { return };
        let now = out.now();
        let Some(c) = self.cluster.as_mut() else { return };
        if stamp.node == c.stamp.node {
            if stamp.epoch == c.stamp.epoch {
                c.heard_self = now;
            }
            return;
        }
        let peer = c.peers.entry(stamp.node.clone()).or_insert_with(|| Peer {
            epoch: stamp.epoch,
            seq: stamp.seq.saturating_sub(1),
            last_seen: now,
            users: HashMap::new(),
        });
        peer.last_seen = now;
        if peer.epoch != stamp.epoch {
            // Restarted: its old users are gone; its burst brings the new ones.
            let old: Vec<String> = peer.users.keys().cloned().collect();
            peer.epoch = stamp.epoch;
            peer.seq = stamp.seq;
            for folded in old {
                self.remote_quit(&stamp.node, &folded, "node restarted", out);
            }
        } else {
            let expected = peer.seq + 1;
            peer.seq = stamp.seq;
            if stamp.seq != expected && !matches!(note, Note::Burst { .. }) {
                // Publications were lost: ask everyone for their state.
                c.gaps += 1;
                if c.last_sync_request
                    .is_none_or(|t| now.saturating_duration_since(t) > Duration::from_secs(1))
                {
                    c.last_sync_request = Some(now);
                    self.publish(|_| Note::Sync);
                }
            }
        }
        let c = self.cluster.as_mut().expect("checked above");
        match note {
            Note::Hello | Note::Sync => c.burst_due = true,
            Note::Beat => {}
            note => self.apply_note(&stamp.node, note, out),
        }
    }

    /// `/metrics` lines of the cluster.
    pub(crate) fn cluster_metrics(&self, m: &mut String) {
        let Some(c) = self.cluster.as_ref() else { return };
        let s = &c.link.stats;
        let mut metric = |name: &str, kind: &str, help: &str, samples: &[(&str, f64)]| {
            crate::faces::metrics::write(m, name, kind, help, samples)
        };
        metric(
            "cluster_up",
            "gauge",
            "1 while the Redis link is up, 0 while degraded.",
            &[("", f64::from(u8::from(c.link.is_up())))],
        );
        metric(
            "cluster_nodes",
            "gauge",
            "Nodes known alive, this one included.",
            &[("", (c.peers.len() + 1) as f64)],
        );
        metric("cluster_remote_users", "gauge", "Users on other nodes.", &[("", c.remote_users() as f64)]);
        metric(
            "cluster_published_total",
            "counter",
            "Notes published to the cluster.",
            &[("", s.published as f64)],
        );
        metric(
            "cluster_received_total",
            "counter",
            "Notes received from the cluster.",
            &[("", s.received as f64)],
        );
        metric(
            "cluster_publications_dropped_total",
            "counter",
            "Notes not published: backlog (past --redis-max-outbuf, oldest first) or down (link away).",
            &[
                ("{reason=\"backlog\"}", s.dropped_backlog as f64),
                ("{reason=\"down\"}", s.dropped_down as f64),
            ],
        );
        metric(
            "cluster_queued_bytes",
            "gauge",
            "Bytes queued for Redis, not yet written.",
            &[("", s.queued_bytes as f64)],
        );
        metric(
            "cluster_outages_total",
            "counter",
            "Times the Redis link was lost.",
            &[("", s.outages as f64)],
        );
        metric(
            "cluster_gaps_total",
            "counter",
            "Gaps seen in other nodes' note sequences.",
            &[("", c.gaps as f64)],
        );
        metric(
            "cluster_nick_collisions_total",
            "counter",
            "Local users renamed because an older claim held their nick after a split.",
            &[("", c.collisions as f64)],
        );
    }

    /// Why `/healthz` says degraded, if it does.
    pub(crate) fn cluster_degraded(&self) -> Option<String> {
        let c = self.cluster.as_ref()?;
        (!c.link.is_up())
            .then(|| format!("redis unreachable at {}; serving local clients only", c.link.cfg.url))
    }
}
