//! Who is where: taking a nickname, entering and leaving rooms, renames and
//! disconnects. Every face goes through these, so a join or a leave looks
//! the same to all; what a face adds (a topic line, IRC's names) it adds
//! itself after the outcome.

use log::info;

use super::command::Outcome;
use super::deliver::{send_to_members, Once};
use super::event::{Event, RoomRef};
use super::fault::Fault;
use super::presence::Departed;
use super::render::Ident;
use super::rooms::{parse_room, Member, RoomId};
use super::session::{fold_nick, Phase, Seat, Session};
use super::Hub;
use crate::cluster::note::Note;
use crate::net::{ConnId, Outbox};

/// How a client leaves a room.
#[derive(Debug, Clone, Copy)]
pub enum Exit<'a> {
    /// A text client moving to another room: it is not told of its own leave.
    Switch,
    /// `part`: the client gets its own leave too; IRC users see the reason.
    Part(Option<&'a str>),
    /// The client disconnected: sessions told once of a quit (IRC) get one
    /// leave with this reason, however many rooms they shared.
    Quit(&'a str),
    /// Kicked: the room was told with a `Kick`; only sessions that get a
    /// leave after a kick (`Profile::leave_on_kick`) get one, the kicked too.
    Kicked,
}

impl Hub {
    /// Gives `id` the nickname `nick` (already checked and free), without
    /// putting it in any room.
    pub fn claim_nick(&mut self, id: ConnId, nick: &str) {
        let Some(session) = self.session_mut(id) else {
            return;
        };
        session.phase = Phase::Joined { nick: nick.to_string() };
        self.nicks.insert(fold_nick(nick), id);
        self.note_owned(nick, None);
        self.presence.came(nick);
        self.note_ident(id);
    }

    /// Keeps what renderers show of `id` beyond its nickname (its username,
    /// whether it is a bot) under its nickname, when there is any.
    pub(crate) fn note_ident(&mut self, id: ConnId) {
        let Some(s) = self.session(id) else { return };
        let Some(nick) = s.nick() else { return };
        let ident = Ident { user: s.username.as_deref().map(Into::into), bot: s.bot };
        let nick = nick.to_string();
        match ident == Ident::default() {
            true => self.renderers.env.idents.remove(&nick),
            false => self.renderers.env.idents.insert(nick, ident),
        };
    }

    /// `id` says it is (or is no longer) a bot.
    pub fn set_bot(&mut self, id: ConnId, bot: bool) {
        if let Some(s) = self.session_mut(id) {
            s.bot = bot;
        }
        self.note_ident(id);
    }

    /// `nick`, used by `id` until now, is given up: remembered with who held it.
    fn departed(&mut self, id: ConnId, nick: &str) {
        let session = self.session(id);
        let departed = Departed {
            nick: nick.to_string(),
            realname: session.and_then(|s| s.realname.clone()),
            account: session.and_then(|s| s.account.clone()),
            at: crate::clock::unix_now(),
        };
        self.presence.went(departed);
    }

    /// Gives `id` its first nickname `nick` (already checked, free and
    /// claimed) and, if its face's sessions do so, puts it in the default room.
    pub fn register(&mut self, id: ConnId, nick: &str, out: &mut Outbox) {
        self.claim_nick(id, nick);
        if self.profile(id).is_some_and(|p| p.enters_default_room) {
            self.enter(id, self.rooms.default_id(), out);
        }
    }

    /// Puts joined `id` in `room` (not yet held) and announces it there.
    pub(super) fn enter(&mut self, id: ConnId, room: RoomId, out: &mut Outbox) {
        let Some(session) = self.sessions.get_mut(id).and_then(Option::as_mut) else {
            return;
        };
        let (format, view) = (session.profile.format, session.profile.view);
        let idx = self.rooms.add(room, Member { id, format, rank: 0, view });
        session.seats.push(Seat { room, idx });
        let Phase::Joined { nick } = &session.phase else {
            return;
        };
        let r = self.rooms.get(room);
        let online = r.online();
        info!("{nick} joined {} ({online} online)", r.name);
        let room_ref = RoomRef { name: &r.name, is_default: room == self.rooms.default_id() };
        let event = Event::Join { nick, online, room: room_ref };
        let rendered = self.renderers.event(&event);
        if r.viewers == 0 {
            for m in &r.members {
                out.send(m.id, rendered.get(m.format));
            }
        } else {
            // Some members are told the account and realname (extended-join, account-tag).
            let (account, realname) =
                (session.account.as_deref(), session.realname.as_deref().unwrap_or(nick));
            let views = super::deliver::views(&r.members, account, realname, true, &event);
            let alts = std::array::from_fn(|v| views[v].as_ref().map(|e| self.renderers.event(e)));
            super::deliver::send_viewed(&r.members, None, &rendered, &alts, out);
        }
        self.stats.deliveries += online as u64;
        if self.cluster.is_some() {
            let nick = nick.clone();
            self.publish(|hub| Note::Join { nick, room: hub.rooms.get(room).name.clone() });
        }
    }

    /// Takes `id` out of `room` and tells those who stay (and `id` itself on
    /// a part). An emptied room other than the default one ends.
    pub fn exit(&mut self, id: ConnId, room: RoomId, how: Exit, out: &mut Outbox) {
        let Some(session) = self.sessions.get_mut(id).and_then(Option::as_mut) else {
            return;
        };
        let Some(pos) = session.seats.iter().position(|h| h.room == room) else {
            return;
        };
        let seat = session.seats.remove(pos);
        let format = session.profile.format;
        let nick = session.nick().unwrap_or_default().to_string();
        let name = self.rooms.get(room).name.clone();
        let is_default = self.rooms.is_default(room);
        let online = self.rooms.get(room).online() - 1;
        if let Some(moved) = self.rooms.remove(room, seat.idx) {
            let moved =
                self.sessions[moved].as_mut().and_then(|s| s.seats.iter_mut().find(|h| h.room == room));
            if let Some(h) = moved {
                h.idx = seat.idx;
            }
        }
        info!("{nick} left {name} ({online} online)");
        let (reason, quit) = match how {
            Exit::Switch | Exit::Kicked => (None, false),
            Exit::Part(reason) => (reason, false),
            Exit::Quit(reason) => (Some(reason), true),
        };
        let event =
            Event::Leave { nick: &nick, online, room: RoomRef { name: &name, is_default }, reason, quit };
        let rendered = self.renderers.event(&event);
        if matches!(how, Exit::Kicked) {
            // JSON clients always get their leave; the others saw the kick.
            let tell = |s: &Option<Session>| s.as_ref().is_some_and(|s| s.profile.leave_on_kick);
            // (An operator who kicked itself out of its room may have ended it.)
            if online > 0 {
                for m in &self.rooms.get(room).members {
                    if tell(&self.sessions[m.id]) {
                        out.send(m.id, rendered.get(m.format));
                    }
                }
            }
            if tell(&self.sessions[id]) {
                out.send(id, rendered.get(format));
            }
            // The other nodes heard of the kick itself (`Note::Kick`).
            return;
        }
        if online > 0 {
            let members = &self.rooms.get(room).members;
            let once = if quit { Once::Marked { mark: self.mark, everyone: false } } else { Once::PerRoom };
            self.stats.deliveries += send_to_members(&mut self.sessions, members, &rendered, once, out);
        }
        if matches!(how, Exit::Part(_)) {
            out.send(id, rendered.get(format));
            self.stats.deliveries += 1;
        }
        if !quit {
            let part = matches!(how, Exit::Part(_));
            let reason = reason.map(str::to_string);
            self.publish(|_| Note::Leave { nick, room: name, reason, part });
        }
    }

    /// `Join`: enters the room, creating it if needed. A single-room client
    /// leaves its current room first; others add the room to those they hold.
    pub fn join_room(
        &mut self,
        id: ConnId,
        raw: &str,
        key: Option<&str>,
        out: &mut Outbox,
    ) -> Result<Outcome, Fault> {
        let (name, key) = match parse_room(raw) {
            Ok(name) => (name, key),
            // `#room KEY` in one text line: only a room with a key takes one
            // (anything else is a bad name, as it always was).
            Err(e) => match raw.trim().split_once(char::is_whitespace) {
                Some((name, given)) if key.is_none() && self.has_key(name) => (name, Some(given.trim())),
                _ => return Err(Fault::RoomInvalid(e)),
            },
        };
        let Some(session) = self.session(id) else {
            return Ok(Outcome::Done);
        };
        let mut target = self.rooms.find(name);
        if target.is_some_and(|room| self.holds(id, room)) {
            return Ok(Outcome::Done);
        }
        let single = session.profile.single_room;
        let current = self.current_room(id);
        let into_default = target == Some(self.rooms.default_id());
        if !single && !into_default {
            let held = session.seats.iter().filter(|h| !self.rooms.is_default(h.room)).count();
            if held >= self.cfg.max_rooms_per_client {
                return Err(Fault::TooManyRoomsHeld(self.cfg.max_rooms_per_client));
            }
        }
        if target.is_none() {
            // A text client alone in its room frees that room by leaving it.
            let freed = single
                && current.is_some_and(|r| !self.rooms.is_default(r) && self.rooms.get(r).online() == 1);
            let existing = self.rooms.len() - 1 - usize::from(freed);
            if existing >= self.cfg.max_rooms {
                return Err(Fault::TooManyRooms(self.cfg.max_rooms));
            }
        }
        if target.is_none() && self.is_registered(name) {
            // A registered room nobody is in: made again with its rules, which apply.
            target = Some(self.create_room(name));
        }
        if let Some(room) = target {
            if let Err(refused) = self.check_join(id, room, key) {
                self.rooms.drop_if_empty(room);
                return Err(refused);
            }
        }
        if single {
            if let Some(current) = current {
                self.exit(id, current, Exit::Switch, out);
            }
        }
        let (room, created) = match self.rooms.find(name) {
            Some(room) => (room, false),
            None => (self.create_room(name), true),
        };
        self.enter(id, room, out);
        self.entered(id, room);
        match self.saved_rank(id, room) {
            // Whoever creates a room is its operator, unless it is registered.
            None if created && !self.rooms.is_default(room) => {
                self.set_rank(id, room, super::rules::OP, true)
            }
            // A registered room gives back what its record remembers.
            Some(rank) if rank != 0 => self.give_saved_rank(id, room, rank, out),
            _ => {}
        }
        Ok(Outcome::Joined(room))
    }

    /// Creates the room `name`, with the topic it had when it was last
    /// used, if the store kept it.
    pub(crate) fn create_room(&mut self, name: &str) -> RoomId {
        let room = self.rooms.create(name, crate::clock::unix_now());
        let r = self.rooms.get_mut(room);
        if let Some(saved) = self.store.history.topic(&r.key) {
            r.topic = saved.text.clone();
            r.topic_by = saved.by.clone();
            r.topic_at = saved.at;
        }
        self.restore_room(room);
        room
    }

    /// `Part`: a single-room client goes back to the default room; others
    /// leave the room and get their own `leave`.
    pub fn part_room(
        &mut self,
        id: ConnId,
        room: RoomId,
        reason: Option<&str>,
        out: &mut Outbox,
    ) -> Result<Outcome, Fault> {
        if !self.profile(id).is_some_and(|p| p.single_room) {
            self.exit(id, room, Exit::Part(reason), out);
            return Ok(Outcome::Done);
        }
        if self.rooms.is_default(room) {
            return Err(Fault::InDefaultRoom(self.rooms.get(room).name.clone()));
        }
        self.exit(id, room, Exit::Switch, out);
        let default = self.rooms.default_id();
        self.enter(id, default, out);
        Ok(Outcome::Joined(default))
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
        self.departed(id, &old);
        self.presence.came(new);
        self.broadcast_to_sharers(id, &Event::Nick { old: &old, new }, out);
        // Told under the old mask; from now on the new nickname carries it.
        self.renderers.env.idents.remove(&old);
        self.note_ident(id);
        if fold_nick(&old) != fold_nick(new) {
            self.forget_owned(&old);
            self.note_owned(new, None);
        }
        self.publish(|_| Note::Rename { old, new: new.to_string() });
    }

    /// Takes `id` out of every room it holds and frees its nickname; those
    /// told once of a quit (IRC) get one leave with `reason`.
    pub(crate) fn leave(&mut self, id: ConnId, reason: &str, out: &mut Outbox) {
        if let Some(nick) = self.nick_of(id).map(str::to_string) {
            // One note: the other nodes take the user out of every room it held.
            self.forget_owned(&nick);
            self.publish(|_| Note::Quit { nick, reason: reason.to_string() });
        }
        self.next_mark();
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
            self.departed(id, &nick);
            self.renderers.env.idents.remove(&nick);
        }
    }
}
