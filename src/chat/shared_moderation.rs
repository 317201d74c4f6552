//! Moderation across a cluster. A kick, a mode change or a ban made on one
//! node is shown to the room's members on every node (notes `Kick`,
//! `Mode`, `Ban`), and the room's rules as they then are (modes, key,
//! limit, bans, topic: `LiveRules`) are held by every node, so a banned
//! user cannot join or speak on any node and `+m` silences everywhere.
//! A kick or rank aimed at a user of another node is carried out by that
//! node. Registered rooms are also kept in Redis (`shared_rules.rs`).

use super::event::Event;
use super::registration::apply_saved;
use super::rooms::RoomId;
use super::rules::{OP, VOICE};
use super::session::fold_nick;
use super::Hub;
use crate::cluster::note::Note;
use crate::net::Outbox;
use crate::store::rules::SavedRoom;

impl Hub {
    /// `room`'s rules changed here: every other node holds them too.
    pub(super) fn share_rules(&mut self, room: RoomId) {
        if self.cluster.is_none() {
            return;
        }
        let name = self.rooms.get(room).name.clone();
        let base = SavedRoom { name: name.clone(), ..SavedRoom::default() };
        let json = self.saved_from_live(room, &base).to_json();
        self.publish(|_| Note::LiveRules { room: name, json });
    }

    /// With a burst: the rules of every room here that has any beyond a
    /// new room's (`+n`), so a node that comes later holds them too.
    pub(super) fn share_all_rules(&mut self) {
        let fresh = super::rules::RoomRules::new();
        let ruled: Vec<RoomId> = self
            .rooms
            .sorted()
            .into_iter()
            .filter(|&r| {
                let rules = &self.rooms.get(r).rules;
                !rules.bans.is_empty() || rules.modes(true) != fresh.modes(true)
            })
            .collect();
        for room in ruled {
            self.share_rules(room);
        }
    }

    /// The member of `room` on another node called `nick`, as spelled.
    pub(super) fn remote_member(&self, room: RoomId, nick: &str) -> Option<String> {
        let folded = fold_nick(nick.trim());
        self.rooms.get(room).remote.iter().find(|n| fold_nick(n) == folded).cloned()
    }

    /// Another node's user `nick` was kicked from `room`: no longer
    /// mirrored there (its leave is the kick, already shown).
    pub(super) fn forget_remote_member(&mut self, room: RoomId, nick: &str) {
        let folded = fold_nick(nick);
        if let Some(c) = self.cluster.as_mut() {
            for users in c.mirror.values_mut() {
                if let Some(user) = users.get_mut(&folded) {
                    user.rooms.retain(|&r| r != room);
                }
            }
        }
        self.rooms.get_mut(room).remote.retain(|n| fold_nick(n) != folded);
        self.rooms.drop_if_empty(room);
    }

    /// What another node's moderators did.
    pub(super) fn moderation_noted(&mut self, note: Note, out: &mut Outbox) {
        match note {
            Note::Kick { room, by, nick, reason } => {
                let Some(room) = self.rooms.lookup(&room) else { return };
                let event = Event::Kick { room: self.room_ref(room), by: &by, nick: &nick, reason: &reason };
                self.tell_moderation(room, &event, out);
                match self.find_nick(&nick).filter(|&t| self.holds(t, room)) {
                    Some(target) => self.kicked(target, room, &by, &reason, out),
                    None => self.forget_remote_member(room, &nick),
                }
            }
            Note::Mode { room, by, modes } => {
                let Some(room) = self.rooms.lookup(&room) else { return };
                let event = Event::Mode { room: self.room_ref(room), by: &by, modes: &modes, set: true };
                self.tell_moderation(room, &event, out);
                self.apply_noted_ranks(room, &modes);
            }
            Note::Ban { room, by, mask, set, mute, until_ms, reason } => {
                let Some(room) = self.rooms.lookup(&room) else { return };
                let room_ref = self.room_ref(room);
                let event =
                    Event::Ban { room: room_ref, by: &by, mask: &mask, set, mute, until_ms, reason: &reason };
                self.tell_moderation(room, &event, out);
            }
            Note::LiveRules { room, json } => {
                let (Some(room), Some(saved)) = (self.rooms.lookup(&room), SavedRoom::live_from_json(&json))
                else {
                    return;
                };
                apply_saved(self.rooms.get_mut(room), &saved, crate::clock::unix_ms());
            }
            _ => {}
        }
    }

    /// Ranks a mode change of another node gives or takes (`+o bob`):
    /// applied to this node's users named.
    fn apply_noted_ranks(&mut self, room: RoomId, modes: &str) {
        let mut words = modes.split_whitespace();
        let flags = words.next().unwrap_or("");
        let mut on = true;
        for c in flags.chars() {
            match c {
                '+' => on = true,
                '-' => on = false,
                'o' | 'v' => {
                    let Some(nick) = words.next() else { return };
                    if let Some(target) = self.find_nick(nick).filter(|&t| self.holds(t, room)) {
                        self.set_rank(target, room, if c == 'o' { OP } else { VOICE }, on);
                        self.remember_rank(target, room);
                    }
                }
                // Their arguments, as announced: `+k KEY`, `-k *`, `+l N`.
                'k' => {
                    words.next();
                }
                'l' if on => {
                    words.next();
                }
                _ => {}
            }
        }
    }
}
