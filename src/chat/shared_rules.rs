//! Registered rooms and K-lines across a cluster: every node holds them
//! all in memory (the store's `rules`), Redis keeps them
//! (`cluster/rules.rs`), and a change made on one node is written to Redis
//! and told to the others in a note: a room claimed on node 1 keeps its
//! modes and bans on node 2, and a K-line set on one node refuses and cuts
//! that address on every node. A node reads both hashes when its link
//! comes up. Two nodes claiming one room at once: the first `HSETNX`
//! wins; the other reads the winner's record and tells everyone.

use std::collections::{HashSet, VecDeque};

use log::info;

use super::Hub;
use crate::cluster::note::Note;
use crate::cluster::redis::conn::Tag;
use crate::cluster::redis::resp::Frame;
use crate::cluster::rules as shared;
use crate::net::Outbox;
use crate::store::rules::{RuleChange, SavedKline, SavedRoom};

/// Replies' tags: the two reads, a write, a first claim, a claim's re-read.
const LOAD_ROOMS_TAG: Tag = (1 << 61) | 8;
const LOAD_KLINES_TAG: Tag = (1 << 61) | 9;
const WRITE_TAG: Tag = (1 << 61) | 10;
const CLAIM_TAG: Tag = (1 << 61) | 11;
const REREAD_TAG: Tag = (1 << 61) | 12;

/// Is `tag` one of these replies?
pub fn is_ours(tag: Tag) -> bool {
    (LOAD_ROOMS_TAG..=REREAD_TAG).contains(&tag)
}

/// Claims and re-reads awaiting Redis's answer, oldest first (Redis
/// answers in order).
#[derive(Debug, Default)]
pub struct PendingRules {
    claims: VecDeque<String>,
    rereads: VecDeque<String>,
    /// Changes made while Redis was away, sent (and told) when it returns;
    /// they win over what Redis held.
    unsent: Vec<RuleChange>,
    /// While the rooms' and K-lines' hashes are being read: the names
    /// other nodes told of meanwhile (their notes are as new).
    noted: [Option<HashSet<String>>; 2],
}

/// The name a change is about (a room's folded name, a K-line's mask).
fn name_of(change: &RuleChange) -> &str {
    match change {
        RuleChange::Room { key, .. } => key,
        RuleChange::Kline { mask, .. } => mask,
    }
}

/// Which of the two hashes a change belongs to (0: rooms, 1: K-lines).
fn hash_of(change: &RuleChange) -> usize {
    usize::from(matches!(change, RuleChange::Kline { .. }))
}

impl Hub {
    /// A room was registered, changed or dropped, or a K-line set or
    /// lifted here: kept by the store (with `--db`, in the file), and in a
    /// cluster written to Redis and told to the other nodes.
    pub(super) fn rules_changed(&mut self, change: RuleChange) {
        if self.cluster.is_some() {
            let first = match &change {
                RuleChange::Room { key, room: Some(_) } => !self.store.rules.rooms.contains_key(key),
                _ => false,
            };
            let words = shared::write(self.redis_db(), &change, first);
            let tag = if first { CLAIM_TAG } else { WRITE_TAG };
            if let Some(c) = self.cluster.as_mut() {
                if !c.redis.command(&words, tag) {
                    if c.rules.unsent.len() < super::shared_accounts::MAX_UNSENT {
                        c.rules.unsent.push(change.clone());
                    }
                } else if first {
                    if let RuleChange::Room { key, .. } = &change {
                        c.rules.claims.push_back(key.clone());
                    }
                }
            }
            let note = note_of(&change);
            self.publish(|_| note);
        }
        self.store.rule_changed(change);
    }

    /// The link came up: both hashes are read.
    pub(super) fn load_shared_rules(&mut self) {
        let db = self.redis_db();
        let Some(c) = self.cluster.as_mut() else { return };
        c.rules.noted = [Some(HashSet::new()), Some(HashSet::new())];
        for (words, tag) in shared::load(db).iter().zip([LOAD_ROOMS_TAG, LOAD_KLINES_TAG]) {
            c.redis.command(words, tag);
        }
    }

    /// Redis answered a read or write of the rules.
    pub(super) fn rules_answered(&mut self, tag: Tag, frame: Option<Frame>, out: &mut Outbox) {
        match tag {
            LOAD_ROOMS_TAG | LOAD_KLINES_TAG => self.rules_loaded(tag == LOAD_ROOMS_TAG, frame, out),
            CLAIM_TAG => {
                let Some(key) = self.cluster.as_mut().and_then(|c| c.rules.claims.pop_front()) else {
                    return;
                };
                if matches!(frame, Some(Frame::Integer(0))) {
                    // Another node's claim came first: its record wins here and everywhere.
                    let words = shared::read_room(self.redis_db(), &key);
                    let Some(c) = self.cluster.as_mut() else { return };
                    c.rules.rereads.push_back(key);
                    c.redis.command(&words, REREAD_TAG);
                }
            }
            REREAD_TAG => {
                let Some(key) = self.cluster.as_mut().and_then(|c| c.rules.rereads.pop_front()) else {
                    return;
                };
                let Some(room) = frame.as_ref().and_then(shared::parse_room) else { return };
                info!("cluster: {} was registered by {} first", room.name, room.founder);
                let change = RuleChange::Room { key, room: Some(room) };
                let note = note_of(&change);
                self.publish(|_| note);
                self.rule_noted(change, out);
            }
            _ => {}
        }
    }

    /// One hash read from Redis (`rooms`, else the K-lines'): it becomes
    /// this node's, but for what changed here while Redis was away (this
    /// node's change wins, and is sent now) and what other nodes told
    /// meanwhile. What this node holds that Redis lacks was removed
    /// elsewhere if Redis holds the data this node saw at its last link;
    /// otherwise (Redis lost its data, or this is the node's first link)
    /// it is written back.
    fn rules_loaded(&mut self, rooms: bool, frame: Option<Frame>, out: &mut Outbox) {
        let hash = usize::from(!rooms);
        let Some(c) = self.cluster.as_mut() else { return };
        let noted = c.rules.noted[hash].take().unwrap_or_default();
        let Some(loaded) = frame.as_ref().and_then(|f| shared::parse_all(f, rooms)) else { return };
        let Some(c) = self.cluster.as_mut() else { return };
        let (unsent, keep): (Vec<RuleChange>, Vec<RuleChange>) =
            std::mem::take(&mut c.rules.unsent).into_iter().partition(|ch| hash_of(ch) == hash);
        c.rules.unsent = keep;
        let settled = |name: &str| noted.contains(name) || unsent.iter().any(|ch| name_of(ch) == name);
        let n = loaded.len();
        let names: HashSet<String> = loaded.iter().map(|ch| name_of(ch).to_string()).collect();
        let held: Vec<String> = match rooms {
            true => self.store.rules.rooms.keys().cloned().collect(),
            false => self.store.rules.klines.iter().map(|k| k.mask.clone()).collect(),
        };
        for change in loaded.into_iter().filter(|ch| !settled(name_of(ch))) {
            self.rule_noted(change, out);
        }
        let mut gone = 0;
        let mut written = 0;
        let same = self.cluster.as_ref().is_some_and(|c| c.same_dataset);
        for name in held.into_iter().filter(|name| !names.contains(name) && !settled(name)) {
            if !same {
                // Redis lost its data, or this node never saw it: written back.
                let change = match rooms {
                    true => self
                        .store
                        .rules
                        .rooms
                        .get(&name)
                        .cloned()
                        .map(|r| RuleChange::Room { key: name, room: Some(r) }),
                    false => self
                        .store
                        .rules
                        .klines
                        .iter()
                        .find(|k| k.mask == name)
                        .cloned()
                        .map(|k| RuleChange::Kline { mask: name, kline: Some(k) }),
                };
                if let Some(change) = change {
                    self.write_rule(&change);
                    written += 1;
                }
                continue;
            }
            gone += 1;
            let change = if rooms {
                RuleChange::Room { key: name, room: None }
            } else {
                RuleChange::Kline { mask: name, kline: None }
            };
            self.rule_noted(change, out);
        }
        let replayed = unsent.len();
        for change in unsent {
            self.rule_noted(change.clone(), out);
            self.rules_changed(change);
        }
        let what = if rooms { "registered rooms" } else { "K-lines" };
        info!(
            "cluster: {n} {what} read from Redis, {written} written back, {replayed} changed here meanwhile, {gone} removed elsewhere"
        );
    }

    /// Writes `change` to Redis as it stands (`HSET`/`HDEL`).
    fn write_rule(&mut self, change: &RuleChange) {
        let words = shared::write(self.redis_db(), change, false);
        let Some(c) = self.cluster.as_mut() else { return };
        c.redis.command(&words, WRITE_TAG);
    }

    /// The link went down: claims in flight get no answer (this node's stands).
    pub(super) fn rules_down(&mut self) {
        if let Some(c) = self.cluster.as_mut() {
            c.rules.claims.clear();
            c.rules.rereads.clear();
        }
    }

    /// Another node (or Redis) says how a room's record or a K-line stands.
    pub(super) fn rule_noted(&mut self, change: RuleChange, out: &mut Outbox) {
        if let Some(noted) = self.cluster.as_mut().and_then(|c| c.rules.noted[hash_of(&change)].as_mut()) {
            noted.insert(name_of(&change).to_string());
        }
        let live_room = match &change {
            RuleChange::Room { key, .. } => self.rooms.find(key),
            RuleChange::Kline { .. } => None,
        };
        if let RuleChange::Kline { mask, kline } = &change {
            self.kline_noted(mask, kline.as_ref(), out);
        }
        self.store.rule_changed(change);
        if let Some(room) = live_room {
            self.restore_room(room);
        }
    }
}

/// The note telling the other nodes of `change`.
fn note_of(change: &RuleChange) -> Note {
    match change {
        RuleChange::Room { key, room } => {
            Note::RoomRules { key: key.clone(), json: room.as_ref().map(SavedRoom::to_json) }
        }
        RuleChange::Kline { mask, kline } => {
            Note::Kline { mask: mask.clone(), json: kline.as_ref().map(SavedKline::to_json) }
        }
    }
}

/// A note's change (`None`: a malformed record).
pub fn change_of(note: Note) -> Option<RuleChange> {
    match note {
        Note::RoomRules { key, json: None } => Some(RuleChange::Room { key, room: None }),
        Note::RoomRules { key, json: Some(j) } => {
            Some(RuleChange::Room { key, room: Some(SavedRoom::from_json(&j)?) })
        }
        Note::Kline { mask, json: None } => Some(RuleChange::Kline { mask, kline: None }),
        Note::Kline { mask, json: Some(j) } => {
            Some(RuleChange::Kline { mask, kline: Some(SavedKline::from_json(&j)?) })
        }
        _ => None,
    }
}
