//! The chat core's side of the cluster (`--redis`): the one place that sees
//! both the chat and `crate::cluster`. It publishes what happens here,
//! claims nicknames before they are given, acts on what presence says is
//! due, and answers the link's comings and goings. What other nodes tell us
//! is applied in `remote.rs`.
//!
//! A nickname is claimed in Redis (`SET NX PX`) before the join is
//! announced: the connection is not read meanwhile, and lines already read
//! wait in its session, so nothing is reordered or lost. With Redis away the
//! node serves alone, claims locally, and settles collisions when it returns
//! (the older claim keeps the nick; the later one is renamed).

use std::collections::HashMap;
use std::time::Instant;

use log::{info, warn};

use super::rooms::RoomId;
use super::session::{fold_nick, Phase, MAX_NICK_CHARS};
use super::Hub;
use crate::clock::unix_ms;
use crate::cluster::claims::{self, Answer, Claims};
use crate::cluster::note::{BurstUser, Note, TopicState};
use crate::cluster::presence::{Heard, Presence};
use crate::cluster::redis::conn::Tag;
use crate::cluster::redis::resp::Frame;
use crate::cluster::{ClusterConfig, Incoming, Redis, RedisConfig};
use crate::metrics::Page;
use crate::net::{ConnId, LineFault, Outbox};

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

/// A user on another node, as this node mirrors it.
#[derive(Debug, Clone)]
pub struct RemoteUser {
    pub nick: String,
    pub claimed_ms: u64,
    /// Rooms held, in the order joined.
    pub rooms: Vec<RoomId>,
}

/// Lines a client may send while its nickname claim is in flight before
/// it is disconnected (the connection is not read meanwhile, so only what
/// one read or one WebSocket message carried can pile up here).
pub const MAX_HELD_LINES: usize = 1024;

/// Every script the link loads on connect: the claims', shared history's.
static SCRIPTS: &[&str] = &[
    claims::REFRESH_SCRIPT,
    claims::RELEASE_SCRIPT,
    crate::cluster::history::SAY_SCRIPT,
    crate::cluster::history::READ_SCRIPT,
];

/// The cluster as the chat core holds it.
pub struct ClusterHub {
    pub redis: Redis,
    pub presence: Presence,
    claims: Claims<Purpose>,
    /// The users of every other node known alive, by node, then folded nick.
    pub mirror: HashMap<String, HashMap<String, RemoteUser>>,
    /// Nicknames renamed to settle a collision.
    pub collisions: u64,
    /// Shared history's requests in flight.
    pub(crate) shared: super::shared_history::SharedHistory,
    /// Room claims and re-reads awaiting Redis, and rule changes made while it was away.
    pub(crate) rules: super::shared_rules::PendingRules,
    /// Account changes made here while Redis was away (sent when it returns).
    pub(crate) unsent_accounts: Vec<crate::store::accounts::AccountChange>,
    /// While the accounts are being read from Redis: those other nodes told of meanwhile.
    pub(crate) accounts_noted: Option<std::collections::HashSet<String>>,
    /// Redis's dataset marker as this node last saw it, and whether the
    /// current link found the same (else Redis lost its data, or this
    /// node never saw it: what the node holds is written back, not dropped).
    pub(crate) dataset: Option<String>,
    pub(crate) same_dataset: bool,
    /// The marker this node offered at its last link.
    pub(crate) dataset_fresh: String,
}

impl ClusterHub {
    /// Users on other nodes.
    pub fn remote_users(&self) -> usize {
        self.mirror.values().map(HashMap::len).sum()
    }

    /// When this node claimed `folded`, if it holds it.
    pub fn claims_owned_ms(&self, folded: &str) -> Option<u64> {
        self.claims.owned_ms(folded)
    }

    /// Sends a command built by the claims (nothing while the link is down).
    fn send(&mut self, (words, tag): claims::Request) -> bool {
        self.redis.command(&words, tag)
    }
}

impl Hub {
    /// Joins the cluster (Redis is dialled once the loop starts).
    pub fn set_cluster(&mut self, cfg: ClusterConfig) {
        let now = Instant::now();
        let redis = Redis::new(RedisConfig {
            url: cfg.url,
            node_id: cfg.node_id.clone(),
            max_outbuf: cfg.max_outbuf,
            scripts: SCRIPTS,
        });
        self.cluster = Some(Box::new(ClusterHub {
            redis,
            presence: Presence::new(&cfg.node_id, unix_ms(), cfg.presence_ttl, now),
            claims: Claims::new(&cfg.node_id, cfg.presence_ttl, now),
            mirror: HashMap::new(),
            collisions: 0,
            shared: Default::default(),
            rules: Default::default(),
            unsent_accounts: Vec::new(),
            accounts_noted: None,
            dataset: None,
            same_dataset: false,
            dataset_fresh: String::new(),
        }));
        self.store.history.time_ordered = true;
    }

    /// Dials Redis once the loop starts.
    pub fn cluster_start(&mut self, registry: &mio::Registry) {
        if let Some(c) = self.cluster.as_mut() {
            c.redis.start(registry);
        }
    }

    /// One of the link's sockets is ready.
    pub fn cluster_ready(&mut self, token: mio::Token, out: &mut Outbox) {
        if let Some(c) = self.cluster.as_mut() {
            c.redis.ready(token, out.now());
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
        let bytes = note.encode(c.presence.next_stamp());
        c.redis.publish(&bytes);
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
        c.mirror.values().find_map(|users| users.get(&folded)).map(|u| u.nick.as_str())
    }

    /// Claims `nick` in Redis before `id` gets it. Returns true when the
    /// claim is in flight (the caller stops; the answer finishes the job);
    /// false when there is no cluster link up to ask, and the caller goes
    /// on at once.
    pub fn claim_first(&mut self, id: ConnId, nick: &str, purpose: Purpose, out: &mut Outbox) -> bool {
        let Some(c) = self.cluster.as_mut() else { return false };
        if !c.redis.is_up() {
            return false;
        }
        let request = c.claims.claim(id, nick, &fold_nick(nick), unix_ms(), purpose);
        let tag = request.1;
        if !c.send(request) {
            c.claims.withdraw(tag);
            return false;
        }
        if let Some(s) = self.session_mut(id) {
            s.claiming = true;
        }
        // Not read until Redis answers (or the link fails, which answers too).
        out.pause_reading(id, out.now() + std::time::Duration::from_secs(30));
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
        if let Some(c) = self.cluster.as_mut() {
            c.claims.own(&fold_nick(nick), ms, unix_ms());
        }
    }

    /// This node no longer holds `nick`: free its claim in Redis.
    pub(crate) fn forget_owned(&mut self, nick: &str) {
        let Some(c) = self.cluster.as_mut() else { return };
        if let Some(release) = c.claims.release(&fold_nick(nick)) {
            c.send(release);
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

    /// Is a claim of `id`'s, or a shared-history answer, in flight (its lines wait)?
    pub fn is_waiting(&self, id: ConnId) -> bool {
        self.session(id).is_some_and(|s| s.claiming || s.awaiting > 0)
    }

    /// The next line `id` sent while the cluster was asked, once every
    /// answer came (none while another is in flight).
    pub fn take_waiting(&mut self, id: ConnId) -> Option<Result<Vec<u8>, LineFault>> {
        self.session_mut(id).filter(|s| !s.claiming && s.awaiting == 0)?.waiting.pop_front()
    }

    /// `id`'s claim is over: read it again (unless a shared-history answer
    /// is still awaited).
    fn end_claim(&mut self, id: ConnId, out: &mut Outbox) -> bool {
        let Some(s) = self.session_mut(id) else { return false };
        s.claiming = false;
        if s.awaiting == 0 {
            out.resume_reading(id);
        }
        true
    }

    /// The claim is settled: read `id` again; its face hears of it.
    fn settled(&mut self, id: ConnId, nick: &str, purpose: Purpose, granted: bool, out: &mut Outbox) {
        if self.end_claim(id, out) {
            let first = purpose == Purpose::FirstNick;
            self.settled.push(Settled { id, nick: nick.to_string(), first, granted });
        }
    }

    /// Redis answered `tag` (`None`: the link failed first).
    fn claim_answered(&mut self, tag: Tag, frame: Option<Frame>, out: &mut Outbox) {
        let sessions = &self.sessions;
        let alive = |id: ConnId| sessions.get(id).and_then(Option::as_ref).is_some_and(|s| s.claiming);
        let Some(c) = self.cluster.as_mut() else { return };
        let (answer, release) = c.claims.answered(tag, frame.as_ref(), alive);
        if let Some(release) = release {
            c.send(release);
        }
        match answer {
            Answer::Nothing => {}
            Answer::Lost { folded } => {
                if let Some(id) = self.find_nick(&folded) {
                    self.settle(id, 0, out);
                }
            }
            Answer::Claim { who, nick, ms, purpose, granted: true } => {
                self.claim_granted(who, &nick, ms, purpose, out)
            }
            Answer::Claim { who, purpose: Purpose::Settle { attempt }, .. } => {
                self.retry_settle(who, attempt, out)
            }
            Answer::Claim { who, nick, purpose, .. } => self.settled(who, &nick, purpose, false, out),
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
                self.end_claim(id, out);
                return self.rename(id, nick, out);
            }
        }
        self.settled(id, nick, purpose, true, out);
    }

    /// A settling rename's claim was refused: read `id` again and try the
    /// next variant.
    fn retry_settle(&mut self, id: ConnId, attempt: u32, out: &mut Outbox) {
        if self.end_claim(id, out) {
            self.settle(id, attempt + 1, out);
        }
    }

    /// Renames local `id`, whose nick another node's older claim holds, to a
    /// free variant (`nick-1`, `nick-2`, ...), claimed like any other.
    pub(crate) fn settle(&mut self, id: ConnId, attempt: u32, out: &mut Outbox) {
        let Some(nick) = self.nick_of(id).map(str::to_string) else { return };
        if self.session(id).is_some_and(|s| s.claiming) {
            return; // already being settled (or renamed)
        }
        if let Some(c) = self.cluster.as_mut() {
            c.claims.drop_owned(&fold_nick(&nick));
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
            let claimed_ms = c.claims.owned_ms(folded).unwrap_or(u64::MAX);
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
            let batch = c.redis.take_incoming();
            if batch.is_empty() {
                return;
            }
            for incoming in batch {
                match incoming {
                    Incoming::Up => self.cluster_up(out),
                    Incoming::Down => self.cluster_down(out),
                    Incoming::Reply(tag, frame) if super::shared_history::is_ours(tag) => {
                        self.shared_answered(tag, Some(frame), out)
                    }
                    Incoming::Reply(tag, frame) if super::shared_accounts::is_ours(tag) => {
                        self.accounts_answered(tag, Some(frame), out)
                    }
                    Incoming::Reply(tag, frame) if super::shared_rules::is_ours(tag) => {
                        self.rules_answered(tag, Some(frame), out)
                    }
                    Incoming::Reply(tag, frame) => self.claim_answered(tag, Some(frame), out),
                    Incoming::Message(bytes) => self.on_note(&bytes, out),
                }
            }
        }
    }

    fn cluster_up(&mut self, out: &mut Outbox) {
        let now = out.now();
        let Some(c) = self.cluster.as_mut() else { return };
        c.presence.link_up(now);
        // Re-take every local claim (settling any made by two nodes during
        // a split), then say hello: every node answers with its state.
        for request in c.claims.refresh_all(now) {
            c.send(request);
        }
        self.publish(|_| Note::Hello);
        let burst = self.burst();
        self.publish(|_| burst);
        self.share_all_rules();
        self.check_dataset();
        self.load_shared_accounts();
        self.load_shared_rules();
    }

    fn cluster_down(&mut self, out: &mut Outbox) {
        // Claims in flight get no answer now: the node is alone, so it grants them.
        let Some(c) = self.cluster.as_mut() else { return };
        for tag in c.claims.awaited_tags() {
            self.claim_answered(tag, None, out);
        }
        self.shared_down(out);
        self.rules_down();
    }

    /// Heartbeats, claim refresh, silent nodes, a deaf subscriber, owed
    /// bursts; then the link's own timers and writes.
    pub(crate) fn cluster_turn(&mut self, out: &mut Outbox) {
        let now = out.now();
        let Some(c) = self.cluster.as_mut() else { return };
        let up = c.redis.is_up();
        let duties = c.presence.duties(now, up);
        if duties.beat {
            self.publish(|_| Note::Beat);
        }
        let Some(c) = self.cluster.as_mut() else { return };
        if up && c.claims.refresh_due(now) {
            for request in c.claims.refresh_all(now) {
                c.send(request);
            }
        }
        if duties.deaf {
            warn!("cluster: our own heartbeats stopped coming back; reconnecting");
            c.redis.reconnect("subscriber deaf", now);
        } else if duties.burst {
            let burst = self.burst();
            self.publish(|_| burst);
            self.share_all_rules();
        }
        // Nodes silent for the presence TTL are gone: their users leave.
        for node in duties.gone {
            info!("cluster: node {node} silent past the presence TTL; its users leave");
            self.node_gone(&node, out);
        }
        self.shared_turn(now, out);
        let Some(c) = self.cluster.as_mut() else { return };
        c.redis.turn(now);
        self.cluster_incoming(out);
    }

    /// When the cluster next needs a turn.
    pub(crate) fn cluster_wake(&self) -> Option<Instant> {
        let c = self.cluster.as_ref()?;
        let up = c.redis.is_up();
        let refresh = up.then(|| c.claims.next_refresh());
        let shared = c.shared.next_deadline();
        [c.redis.next_wake(), c.presence.next_wake(up), refresh, shared].into_iter().flatten().min()
    }

    /// One note from the cluster channel.
    fn on_note(&mut self, bytes: &[u8], out: &mut Outbox) {
        let (bytes, stream_id) = crate::cluster::history::split_note(bytes);
        let Some((stamp, note)) = Note::decode(bytes) else { return };
        let now = out.now();
        let Some(c) = self.cluster.as_mut() else { return };
        match c.presence.heard(&stamp, matches!(note, Note::Burst { .. }), now) {
            Heard::Own => return,
            Heard::InOrder => {}
            Heard::Restarted => {
                // Its old users are gone; its burst brings the new ones.
                let old: Vec<String> =
                    c.mirror.get(&stamp.node).map(|u| u.keys().cloned().collect()).unwrap_or_default();
                for folded in old {
                    self.remote_quit(&stamp.node, &folded, "node restarted", out);
                }
            }
            Heard::Gap { ask_sync } => {
                // Publications were lost: ask everyone for their state.
                if ask_sync {
                    self.publish(|_| Note::Sync);
                }
            }
        }
        let Some(c) = self.cluster.as_mut() else { return };
        c.mirror.entry(stamp.node.clone()).or_default();
        match note {
            Note::Hello | Note::Sync => c.presence.owe_burst(),
            Note::Beat => {}
            note => self.apply_note(&stamp.node, note, stream_id, out),
        }
    }

    /// `/metrics` lines of the cluster.
    pub fn cluster_metrics(&self, m: &mut Page) {
        let Some(c) = self.cluster.as_ref() else { return };
        let s = &c.redis.stats;
        m.gauge(
            "cluster_up",
            "1 while the Redis link is up, 0 while degraded.",
            f64::from(u8::from(c.redis.is_up())),
        );
        m.gauge("cluster_nodes", "Nodes known alive, this one included.", c.presence.nodes() as f64);
        m.gauge("cluster_remote_users", "Users on other nodes.", c.remote_users() as f64);
        m.counter("cluster_published_total", "Notes published to the cluster.", s.published as f64);
        m.counter("cluster_received_total", "Notes received from the cluster.", s.received as f64);
        m.labelled(
            "cluster_publications_dropped_total",
            "counter",
            "Notes not published: backlog (past --redis-max-outbuf, oldest first) or down (link away).",
            &[
                ("{reason=\"backlog\"}", s.dropped_backlog as f64),
                ("{reason=\"down\"}", s.dropped_down as f64),
            ],
        );
        m.gauge("cluster_queued_bytes", "Bytes queued for Redis, not yet written.", s.queued_bytes as f64);
        m.counter("cluster_outages_total", "Times the Redis link was lost.", s.outages as f64);
        m.counter("cluster_gaps_total", "Gaps seen in other nodes' note sequences.", c.presence.gaps as f64);
        m.counter(
            "cluster_nick_collisions_total",
            "Local users renamed because an older claim held their nick after a split.",
            c.collisions as f64,
        );
    }

    /// Why `/healthz` says degraded, if it does.
    pub fn cluster_degraded(&self) -> Option<String> {
        let c = self.cluster.as_ref()?;
        (!c.redis.is_up())
            .then(|| format!("redis unreachable at {}; serving local clients only", c.redis.cfg.url))
    }
}
