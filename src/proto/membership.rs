//! Who is where: taking a nickname, entering and leaving rooms, renames,
//! disconnects, and relaying what is said in a room or privately. Every
//! face goes through these, so a join or a line looks the same to all.

use log::info;

use super::handshake::{fold_nick, Phase};
use super::render::{Event, Mode, Rendered, RoomRef, Said};
use super::rooms::{parse_room, Member, RoomId, MAX_TOPIC_CHARS};
use super::{Fault, Held, Hub, Session};
use crate::cluster::note::{self, Note};
use crate::reactor::{ConnId, Outbox};

/// Sends a rendered leave to `members`; a QUIT goes once to each IRC user
/// (marked with `stamp`), however many rooms it shares with the leaver.
/// Returns how many got it.
pub(crate) fn tell_leave(
    sessions: &mut [Option<Session>],
    members: &[super::rooms::Member],
    stamp: u32,
    rendered: &Rendered,
    quit: bool,
    out: &mut Outbox,
) -> u64 {
    let mut delivered = 0;
    for m in members {
        if quit && m.mode == Mode::Irc {
            match sessions[m.id].as_mut() {
                Some(s) if s.stamp != stamp => s.stamp = stamp,
                _ => continue,
            }
        }
        out.send(m.id, rendered.get(m.mode));
        delivered += 1;
    }
    delivered
}

fn note_said(s: Said) -> note::Said {
    match s {
        Said::Plain => note::Said::Plain,
        Said::Notice => note::Said::Notice,
        Said::Action => note::Said::Action,
    }
}

/// How a client leaves a room.
#[derive(Debug, Clone, Copy)]
pub enum Exit<'a> {
    /// A text client moving to another room: it is not told of its own leave.
    Switch,
    /// `part`: the client gets its own leave too; IRC users see the reason.
    Part(Option<&'a str>),
    /// The client disconnected: IRC users see one QUIT with this reason.
    Quit(&'a str),
}

impl Hub {
    /// Gives `id` the nickname `nick` (already checked and free), without
    /// putting it in any room.
    pub fn claim_nick(&mut self, id: ConnId, nick: &str, out: &mut Outbox) {
        let Some(session) = self.session_mut(id) else {
            return;
        };
        session.phase = Phase::Joined { nick: nick.to_string() };
        self.nicks.insert(fold_nick(nick), id);
        self.note_owned(nick, None);
        if let Some(idle) = self.cfg.idle_timeout {
            out.set_timer(id, out.now() + idle);
        }
    }

    /// Gives `id` the nickname `nick` (already checked and free) and puts it
    /// in the default room.
    pub fn register(&mut self, id: ConnId, nick: &str, out: &mut Outbox) {
        self.claim_nick(id, nick, out);
        self.enter(id, self.rooms.default_id(), out);
    }

    /// Puts joined `id` in `room` (not yet held) and announces it there; the
    /// joiner also gets the topic, if one is set (IRC users: the topic and
    /// the names, as IRC clients expect).
    fn enter(&mut self, id: ConnId, room: RoomId, out: &mut Outbox) {
        let Some(session) = self.sessions.get_mut(id).and_then(Option::as_mut) else {
            return;
        };
        let idx = self.rooms.add(room, Member { id, mode: session.mode });
        session.rooms.push(Held { room, idx });
        let Phase::Joined { nick } = &session.phase else {
            return;
        };
        let r = self.rooms.get(room);
        let online = r.online();
        info!("{nick} joined {} ({online} online)", r.name);
        let room_ref = RoomRef { name: &r.name, is_default: room == self.rooms.default_id() };
        let event = Event::Join { nick, online, room: room_ref };
        let rendered = Rendered::new(&event, &self.cfg.server_name);
        for m in &r.members {
            out.send(m.id, rendered.get(m.mode));
        }
        self.stats.deliveries += online as u64;
        match session.mode {
            Mode::Irc => crate::irc::joined(self, id, room, out),
            mode if !r.topic.is_empty() => {
                let event = Event::Topic { room: &r.name, topic: &r.topic, by: &r.topic_by, set: false };
                out.send(id, Rendered::new(&event, &self.cfg.server_name).get(mode));
            }
            _ => {}
        }
        if self.cluster.is_some() {
            let nick = self.nick_of(id).unwrap_or_default().to_string();
            self.publish(|hub| Note::Join { nick, room: hub.rooms.get(room).name.clone() });
        }
    }

    /// Takes `id` out of `room` and tells those who stay (and `id` itself on
    /// a part). An emptied room other than the default one ends.
    pub(crate) fn exit(&mut self, id: ConnId, room: RoomId, how: Exit, out: &mut Outbox) {
        let Some(session) = self.sessions.get_mut(id).and_then(Option::as_mut) else {
            return;
        };
        let Some(pos) = session.rooms.iter().position(|h| h.room == room) else {
            return;
        };
        let held = session.rooms.remove(pos);
        let mode = session.mode;
        let nick = match &session.phase {
            Phase::Joined { nick } => nick.clone(),
            Phase::AwaitNick { .. } => String::new(),
        };
        let name = self.rooms.get(room).name.clone();
        let is_default = self.rooms.is_default(room);
        let online = self.rooms.get(room).online() - 1;
        if let Some(moved) = self.rooms.remove(room, held.idx) {
            let moved =
                self.sessions[moved].as_mut().and_then(|s| s.rooms.iter_mut().find(|h| h.room == room));
            if let Some(h) = moved {
                h.idx = held.idx;
            }
        }
        info!("{nick} left {name} ({online} online)");
        let (reason, quit) = match how {
            Exit::Switch => (None, false),
            Exit::Part(reason) => (reason, false),
            Exit::Quit(reason) => (Some(reason), true),
        };
        let room_ref = RoomRef { name: &name, is_default };
        let event = Event::Leave { nick: &nick, online, room: room_ref, reason, quit };
        let rendered = Rendered::new(&event, &self.cfg.server_name);
        if online > 0 {
            let members = &self.rooms.get(room).members;
            self.stats.deliveries +=
                tell_leave(&mut self.sessions, members, self.stamp, &rendered, quit, out);
        }
        if matches!(how, Exit::Part(_)) {
            out.send(id, rendered.get(mode));
            self.stats.deliveries += 1;
        }
        if !quit {
            let part = matches!(how, Exit::Part(_));
            let reason = reason.map(str::to_string);
            self.publish(|_| Note::Leave { nick, room: name, reason, part });
        }
    }

    /// `/join #room`: enters the room, creating it if needed. A text client
    /// leaves its current room first; others add the room to those they hold.
    pub fn join_room(&mut self, id: ConnId, raw: &str, out: &mut Outbox) -> Result<(), Fault> {
        let name = parse_room(raw).map_err(|e| Fault::new("room-invalid", e.to_string()))?;
        let Some(session) = self.session(id) else {
            return Ok(());
        };
        let target = self.rooms.find(name);
        if target.is_some_and(|room| self.holds(id, room)) {
            return Ok(());
        }
        let single = session.mode.single_room();
        let current = self.current_room(id);
        let into_default = target == Some(self.rooms.default_id());
        if !single && !into_default {
            let held = session.rooms.iter().filter(|h| !self.rooms.is_default(h.room)).count();
            if held >= self.cfg.max_rooms_per_client {
                let max = self.cfg.max_rooms_per_client;
                let why = format!("you may be in at most {max} rooms besides the default one");
                return Err(Fault::new("too-many-rooms", why));
            }
        }
        if target.is_none() {
            // A text client alone in its room frees that room by leaving it.
            let freed = single
                && current.is_some_and(|r| !self.rooms.is_default(r) && self.rooms.get(r).online() == 1);
            let existing = self.rooms.len() - 1 - usize::from(freed);
            if existing >= self.cfg.max_rooms {
                let max = self.cfg.max_rooms;
                let why = format!("the server holds at most {max} rooms; join an existing one");
                return Err(Fault::new("too-many-rooms", why));
            }
        }
        if single {
            if let Some(current) = current {
                self.exit(id, current, Exit::Switch, out);
            }
        }
        let room = self.rooms.find(name).unwrap_or_else(|| self.rooms.create(name, out.unix_time()));
        self.enter(id, room, out);
        Ok(())
    }

    /// `/part`: a text client goes back to the default room; others leave
    /// the room and get their own `leave`.
    pub fn part_room(
        &mut self,
        id: ConnId,
        room: RoomId,
        reason: Option<&str>,
        out: &mut Outbox,
    ) -> Result<(), Fault> {
        if !self.mode_of(id).single_room() {
            self.exit(id, room, Exit::Part(reason), out);
            return Ok(());
        }
        if self.rooms.is_default(room) {
            let name = &self.rooms.get(room).name;
            let why = format!("you are in the default room {name}; /join #ROOM to move");
            return Err(Fault::new("bad-args", why));
        }
        self.exit(id, room, Exit::Switch, out);
        self.enter(id, self.rooms.default_id(), out);
        Ok(())
    }

    /// Renames joined `id` to `new` (already checked and free).
    pub fn rename(&mut self, id: ConnId, new: &str, out: &mut Outbox) {
        let Some(old) = self.nick_of(id).map(str::to_string) else {
            return;
        };
        self.nicks.remove(&fold_nick(&old));
        self.nicks.insert(fold_nick(new), id);
        if let Some(session) = self.session_mut(id) {
            session.phase = Phase::Joined { nick: new.to_string() };
        }
        info!("{old} is now known as {new}");
        self.broadcast_to_sharers(id, &Event::Nick { old: &old, new }, out);
        if fold_nick(&old) != fold_nick(new) {
            self.forget_owned(&old);
            self.note_owned(new, None);
        }
        self.publish(|_| Note::Rename { old, new: new.to_string() });
    }

    /// Takes `id` out of every room it holds and frees its nickname; IRC
    /// users sharing a room see one QUIT with `reason`.
    pub(crate) fn leave(&mut self, id: ConnId, reason: &str, out: &mut Outbox) {
        if let Some(nick) = self.nick_of(id).map(str::to_string) {
            // One note: the other nodes take the user out of every room it held.
            self.forget_owned(&nick);
            self.publish(|_| Note::Quit { nick, reason: reason.to_string() });
        }
        self.next_stamp();
        while let Some(room) = self.current_room(id) {
            self.exit(id, room, Exit::Quit(reason), out);
        }
        let Some(session) = self.session_mut(id) else {
            return;
        };
        if let Phase::Joined { nick } =
            std::mem::replace(&mut session.phase, Phase::AwaitNick { since: out.now() })
        {
            self.nicks.remove(&fold_nick(&nick));
        }
    }

    /// Relays `text` from joined `id` to everyone in `room`. An IRC sender
    /// gets its own line back only if it asked for `echo-message`.
    pub fn say(&mut self, id: ConnId, room: RoomId, text: &str, said: Said, out: &mut Outbox) {
        let skip = if self.wants_own_lines(id) { usize::MAX } else { id };
        let Some(Some(Session { phase: Phase::Joined { nick }, whole_lines, .. })) = self.sessions.get(id)
        else {
            return;
        };
        let whole = *whole_lines;
        let r = self.rooms.get(room);
        let event = match said {
            Said::Action => Event::Me { from: nick, text, room: &r.name, whole },
            _ => Event::Chat { from: nick, text, room: &r.name, notice: said == Said::Notice, whole },
        };
        let rendered = Rendered::new(&event, &self.cfg.server_name);
        for m in &r.members {
            if m.id != skip {
                out.send(m.id, rendered.get(m.mode));
            }
        }
        self.stats.deliveries += r.members.len() as u64 - u64::from(skip != usize::MAX);
        self.stats.messages += 1;
        if self.cluster.is_some() {
            let (nick, room) = (nick.clone(), r.name.clone());
            let said = note_said(said);
            self.publish(|_| Note::Say { nick, room, text: text.to_string(), said, whole });
        }
    }

    /// Sends `text` from joined `id` to `to`, a user on another node, with a
    /// copy for the sender as [`Hub::private`] does.
    pub fn private_remote(&mut self, id: ConnId, to: &str, text: &str, said: Said, out: &mut Outbox) {
        let Some(from) = self.nick_of(id).map(str::to_string) else { return };
        let whole = self.session(id).is_some_and(|s| s.whole_lines);
        if self.wants_own_lines(id) {
            self.reply(id, &Event::Msg { from: &from, to, text, kind: said, whole }, out);
            self.stats.deliveries += 1;
        }
        self.stats.messages += 1;
        let to = to.to_string();
        let said = note_said(said);
        self.publish(|_| Note::Msg { from, to, text: text.to_string(), said, whole });
    }

    /// Does `id` get its own messages back? Everyone does but IRC users
    /// without the `echo-message` capability, as IRC clients expect.
    fn wants_own_lines(&self, id: ConnId) -> bool {
        self.session(id)
            .is_some_and(|s| s.mode != Mode::Irc || s.irc.as_ref().is_some_and(|i| i.echo_message))
    }

    /// Sends `text` from joined `id` to `target` alone, with a copy for the
    /// sender (an IRC sender: only with `echo-message`).
    pub fn private(&mut self, id: ConnId, target: ConnId, text: &str, said: Said, out: &mut Outbox) {
        let (Some(from), Some(to)) = (self.nick_of(id), self.nick_of(target)) else {
            return;
        };
        let whole = self.session(id).is_some_and(|s| s.whole_lines);
        let event = Event::Msg { from, to, text, kind: said, whole };
        let rendered = Rendered::new(&event, &self.cfg.server_name);
        let copy_back = target != id && self.wants_own_lines(id);
        let mut delivered = 0;
        for recipient in [target, id].into_iter().take(1 + usize::from(copy_back)) {
            if let Some(s) = self.session(recipient) {
                out.send(recipient, rendered.get(s.mode));
                delivered += 1;
            }
        }
        self.stats.deliveries += delivered;
        self.stats.messages += 1;
    }

    /// Sets (or, with an empty text, clears) the topic of `room`, held by
    /// `id`, and tells everyone in it.
    pub fn set_topic(&mut self, id: ConnId, room: RoomId, text: &str, out: &mut Outbox) {
        let text = super::sanitize(text);
        let topic: String = text.trim().chars().take(MAX_TOPIC_CHARS).collect();
        let who = self.nick_of(id).unwrap_or_default().to_owned();
        let now = out.unix_time();
        let r = self.rooms.get_mut(room);
        r.topic_by = if topic.is_empty() { String::new() } else { who.clone() };
        r.topic = topic;
        r.topic_at = now;
        let (name, topic) = (r.name.clone(), r.topic.clone());
        info!("{who} set the topic for {name}: {topic}");
        self.broadcast(room, &Event::Topic { room: &name, topic: &topic, by: &who, set: true }, out);
        self.publish(|_| Note::Topic { nick: who, room: name, topic, at: now });
    }
}
