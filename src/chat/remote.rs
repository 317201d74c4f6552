//! What other nodes tell us, applied to this node's mirror of them and
//! shown to local clients exactly as the same event from a local user
//! would be: remote users sit in rooms beside local members (by nickname,
//! `Room::remote`), so counts, `/who`, `/rooms`, NAMES and LIST are the
//! cluster's.

use serde_json::Value;

use std::collections::HashMap;

use super::cluster::RemoteUser;
use super::deliver::{send_to_members, Once};
use super::event::{Event, RoomRef, Said};
use super::rooms::{parse_room, RoomId};
use super::session::fold_nick;
use super::speech::kind_of;
use super::Hub;
use crate::cluster::note::{self, BurstUser, Note, TopicState};
use crate::net::Outbox;
use crate::store::history::{Kind, NewLine};

fn said(s: note::Said) -> Said {
    match s {
        note::Said::Plain => Said::Plain,
        note::Said::Notice => Said::Notice,
        note::Said::Action => Said::Action,
    }
}

/// The reason local IRC users see when a node's users vanish with it.
const NODE_LOST: &str = "node lost";

impl Hub {
    /// The users of `node`, as mirrored here.
    fn peer(&mut self, node: &str) -> Option<&mut HashMap<String, RemoteUser>> {
        self.cluster.as_mut()?.mirror.get_mut(node)
    }

    fn remote_user(&self, node: &str, nick: &str) -> Option<&RemoteUser> {
        self.cluster.as_ref()?.mirror.get(node)?.get(&fold_nick(nick))
    }

    /// The room named `name`, created if this node did not have it.
    fn room_for(&mut self, name: &str, now: u64) -> Option<RoomId> {
        let name = parse_room(name).ok()?;
        Some(self.rooms.find(name).unwrap_or_else(|| self.rooms.create(name, now)))
    }

    /// Applies one note from `node`.
    /// `stream_id`: the id the cluster's history stream gave a room line.
    pub(crate) fn apply_note(
        &mut self,
        node: &str,
        note: Note,
        stream_id: Option<crate::cluster::history::StreamId>,
        out: &mut Outbox,
    ) {
        match note {
            Note::Join { nick, room } => self.remote_join(node, &nick, &room, 0, out),
            Note::Leave { nick, room, reason, part } => {
                if let Some(room) = self.rooms.lookup(&room) {
                    let reason = reason.as_deref().filter(|r| part && !r.is_empty());
                    self.remote_exit(node, &fold_nick(&nick), room, reason, false, out);
                }
            }
            Note::Quit { nick, reason } => self.remote_quit(node, &fold_nick(&nick), &reason, out),
            Note::Say { nick, room, text, said: how, whole } => {
                let Some(room) = self.rooms.lookup(&room) else { return };
                // Kept in this node's history too: with the id the cluster's
                // stream gave it, or one of this node's.
                let line = NewLine { kind: kind_of(said(how)), whole, from: &nick, text: &text };
                let stamp = stream_id.and_then(|sid| self.record_streamed(room, &line, sid));
                self.deliver_line(room, &line, stamp, None, out);
            }
            Note::Msg { from, to, text, said: how, whole } => {
                let Some(target) = self.find_nick(&to) else { return };
                let Some(to) = self.nick_of(target) else { return };
                let event = Event::Msg { from: &from, to, text: &text, kind: said(how), whole };
                self.reply(target, &event, out);
                self.stats.deliveries += 1;
            }
            Note::Rename { old, new } => {
                let folded = fold_nick(&old);
                let Some(peer) = self.peer(node) else { return };
                let Some(mut user) = peer.remove(&folded) else { return };
                user.nick = new.clone();
                let rooms = user.rooms.clone();
                peer.insert(fold_nick(&new), user);
                for &room in &rooms {
                    let remote = &mut self.rooms.get_mut(room).remote;
                    if let Some(n) = remote.iter_mut().find(|n| fold_nick(n) == folded) {
                        *n = new.clone();
                    }
                }
                self.tell_rooms(&rooms, &Event::Nick { old: &old, new: &new }, out);
            }
            Note::Topic { nick, room, topic, at } => {
                let Some(room) = self.rooms.lookup(&room) else { return };
                let r = self.rooms.get_mut(room);
                r.topic_by = if topic.is_empty() { String::new() } else { nick.clone() };
                r.topic = topic;
                r.topic_at = at;
                let topic = r.topic.clone();
                let line = NewLine { kind: Kind::Topic, whole: false, from: &nick, text: &topic };
                let stamp = stream_id.and_then(|sid| self.record_streamed(room, &line, sid));
                self.deliver_line(room, &line, stamp, None, out);
            }
            Note::Echo { json } => {
                let payload: Option<Value> =
                    if json.is_empty() { None } else { serde_json::from_str(&json).ok() };
                self.broadcast_echo(&Event::Echo { payload: payload.as_ref() }, out);
            }
            Note::Account { key, account } => self.account_noted(key, account, out),
            note @ (Note::Kick { .. } | Note::Mode { .. } | Note::Ban { .. } | Note::LiveRules { .. }) => {
                self.moderation_noted(note, out)
            }
            note @ (Note::RoomRules { .. } | Note::Kline { .. }) => {
                if let Some(change) = super::shared_rules::change_of(note) {
                    self.rule_noted(change, out);
                }
            }
            Note::Burst { users, topics } => self.apply_burst(node, users, topics, out),
            Note::Hello | Note::Beat | Note::Sync => {}
        }
    }

    /// `nick` of `node` enters `room` (announced to local members).
    fn remote_join(&mut self, node: &str, nick: &str, room: &str, claimed_ms: u64, out: &mut Outbox) {
        let Some(room) = self.room_for(room, crate::clock::unix_now()) else { return };
        let folded = fold_nick(nick);
        let Some(peer) = self.peer(node) else { return };
        let user = peer.entry(folded).or_insert_with(|| RemoteUser {
            nick: nick.to_string(),
            claimed_ms,
            rooms: Vec::new(),
        });
        if user.rooms.contains(&room) {
            return;
        }
        user.rooms.push(room);
        let r = self.rooms.get_mut(room);
        r.remote.push(nick.to_string());
        let online = r.online();
        let r = self.rooms.get(room);
        let room_ref = RoomRef { name: &r.name, is_default: self.rooms.is_default(room) };
        let event = Event::Join { nick, online, room: room_ref };
        let rendered = self.renderers.event(&event);
        for m in &r.members {
            out.send(m.id, rendered.get(m.format));
        }
        self.stats.deliveries += r.members.len() as u64;
    }

    /// The user `folded` of `node` leaves `room`: a part (with its reason),
    /// a move, or (`quit`) part of leaving altogether.
    fn remote_exit(
        &mut self,
        node: &str,
        folded: &str,
        room: RoomId,
        reason: Option<&str>,
        quit: bool,
        out: &mut Outbox,
    ) {
        let Some(peer) = self.peer(node) else { return };
        let Some(user) = peer.get_mut(folded) else { return };
        let Some(pos) = user.rooms.iter().position(|&r| r == room) else { return };
        user.rooms.remove(pos);
        let nick = user.nick.clone();
        let r = self.rooms.get_mut(room);
        if let Some(i) = r.remote.iter().position(|n| fold_nick(n) == folded) {
            r.remote.swap_remove(i);
        }
        let online = r.online();
        let r = self.rooms.get(room);
        let room_ref = RoomRef { name: &r.name, is_default: self.rooms.is_default(room) };
        let event = Event::Leave { nick: &nick, online, room: room_ref, reason, quit };
        let rendered = self.renderers.event(&event);
        let members = &r.members;
        let once = if quit { Once::Marked { mark: self.mark, everyone: false } } else { Once::PerRoom };
        self.stats.deliveries += send_to_members(&mut self.sessions, members, &rendered, once, out);
        self.rooms.drop_if_empty(room);
    }

    /// The user `folded` of `node` is gone: it leaves every room it held.
    pub(crate) fn remote_quit(&mut self, node: &str, folded: &str, reason: &str, out: &mut Outbox) {
        self.next_mark();
        while let Some(&room) = self.remote_user_rooms(node, folded).and_then(|r| r.last()) {
            self.remote_exit(node, folded, room, Some(reason), true, out);
        }
        if let Some(peer) = self.peer(node) {
            peer.remove(folded);
        }
    }

    fn remote_user_rooms(&self, node: &str, folded: &str) -> Option<&Vec<RoomId>> {
        Some(&self.cluster.as_ref()?.mirror.get(node)?.get(folded)?.rooms)
    }

    /// `node` went silent past the presence TTL: its users leave.
    pub(crate) fn node_gone(&mut self, node: &str, out: &mut Outbox) {
        let users: Vec<String> = match self.peer(node) {
            Some(p) => p.keys().cloned().collect(),
            None => return,
        };
        for folded in users {
            self.remote_quit(node, &folded, NODE_LOST, out);
        }
        if let Some(c) = self.cluster.as_mut() {
            c.mirror.remove(node);
        }
    }

    /// Everything `node` holds: users and rooms it no longer has leave,
    /// new ones join, each announced as it would have been; a nick held
    /// here too is settled (the later claim is renamed).
    fn apply_burst(&mut self, node: &str, users: Vec<BurstUser>, topics: Vec<TopicState>, out: &mut Outbox) {
        let wanted: std::collections::HashMap<String, &BurstUser> =
            users.iter().map(|u| (fold_nick(&u.nick), u)).collect();
        let known: Vec<String> = match self.peer(node) {
            Some(p) => p.keys().cloned().collect(),
            None => return,
        };
        for folded in &known {
            let Some(u) = wanted.get(folded) else {
                self.remote_quit(node, folded, NODE_LOST, out);
                continue;
            };
            let held = self.remote_user_rooms(node, folded).cloned().unwrap_or_default();
            for room in held {
                let name = self.rooms.get(room).name.clone();
                if !u.rooms.iter().any(|r| fold_nick(r) == fold_nick(&name)) {
                    self.remote_exit(node, folded, room, None, false, out);
                }
            }
        }
        for u in &users {
            if self.remote_user(node, &u.nick).is_some_and(|r| r.nick != u.nick) {
                continue; // case differs from a rename we have not seen: keep ours
            }
            for room in &u.rooms {
                self.remote_join(node, &u.nick, room, u.claimed_ms, out);
            }
            if let Some(peer) = self.peer(node) {
                if let Some(r) = peer.get_mut(&fold_nick(&u.nick)) {
                    r.claimed_ms = u.claimed_ms;
                }
            }
            if let Some(local) = self.later_local_claim(node, u) {
                self.settle(local, 0, out);
            }
        }
        for t in topics {
            let Some(room) = self.rooms.lookup(&t.room) else { continue };
            let r = self.rooms.get_mut(room);
            if t.at > r.topic_at {
                (r.topic, r.topic_by, r.topic_at) = (t.topic, t.by, t.at);
            }
        }
    }

    /// A local user holding the nick of `u` (another node's) with a later
    /// claim loses it: `(claimed ms, node)` compared, the smaller wins.
    fn later_local_claim(&self, node: &str, u: &BurstUser) -> Option<crate::net::ConnId> {
        let local = self.find_nick(&u.nick)?;
        let c = self.cluster.as_ref()?;
        let mine = c.claims_owned_ms(&fold_nick(&u.nick)).unwrap_or(u64::MAX);
        ((u.claimed_ms, node) < (mine, c.presence.node())).then_some(local)
    }
}
