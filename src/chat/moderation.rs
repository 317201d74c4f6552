//! Room moderation: operators and voices, kicks, bans and mutes (which may
//! expire), invites, and the checks the room modes (`+i +k +l +m +n +t +s
//! +R`, changed in `modes.rs`) make on joining, speaking, setting the topic
//! and reading history. Whoever creates a room is its operator; the default
//! room has none (server operators moderate everywhere). Every change is
//! told to the room as an event (`Kick`, `Mode`, `Ban`), to the sessions
//! whose face shows moderation (`Profile::moderation_events`).

use std::time::Duration;

use log::info;

use super::command::{Moderation, Outcome};
use super::event::Event;
use super::fault::Fault;
use super::masks::Mask;
use super::membership::Exit;
use super::rooms::RoomId;
pub use super::rules::{prefix, Ban, RoomRules, MAX_BANS, MAX_INVITES, OP, VOICE};
use super::session::fold_nick;
use super::Hub;
use crate::cluster::note::Note;
use crate::net::{CloseReason, ConnId, Outbox};

impl Hub {
    /// Carries out a moderation request of `id`'s in `room` (or its current one).
    pub(super) fn moderate(
        &mut self,
        id: ConnId,
        room: Option<&str>,
        action: Moderation,
        out: &mut Outbox,
    ) -> Result<Outcome, Fault> {
        let room = self.room_or_current(id, room)?;
        match action {
            Moderation::Bans => return self.tell_bans(id, room, out).map(|()| Outcome::Done),
            Moderation::Mode("") => {
                let r = self.rooms.get(room);
                let modes = r.rules.modes(true);
                let event = Event::Mode { room: self.room_ref(room), by: "", modes: &modes, set: false };
                self.reply(id, &event, out);
                return Ok(Outcome::Done);
            }
            Moderation::Invite { nick } => return self.invite(id, room, nick, out).map(|()| Outcome::Done),
            Moderation::Claim { on } => return self.claim(id, room, on, out).map(|()| Outcome::Done),
            _ => {}
        }
        if !self.is_moderator(id, room) {
            return Err(Fault::NotOperator(self.rooms.get(room).name.clone()));
        }
        let done = match action {
            Moderation::Rank { nick, rank, on } => {
                let shown = self.give_rank(room, nick, rank, on)?;
                let letter = if rank == OP { 'o' } else { 'v' };
                let modes = format!("{}{letter} {shown}", if on { '+' } else { '-' });
                self.announce_modes(id, room, &modes, out);
                Ok(())
            }
            Moderation::Kick { nick, reason } => {
                return self.kick(id, room, nick, reason.unwrap_or(""), out).map(|()| Outcome::Done)
            }
            Moderation::Ban { mask, duration, reason, mute } => {
                self.ban(id, room, mask, duration, reason.unwrap_or(""), mute, out)
            }
            Moderation::Unban { mask, mute } => self.unban(id, room, mask, mute, out),
            Moderation::Mode(changes) => self.change_modes(id, room, changes, out),
            Moderation::Bans | Moderation::Invite { .. } | Moderation::Claim { .. } => Ok(()),
        };
        // What was applied (a mode change may stop halfway) is kept for a
        // registered room, and held by every node of a cluster.
        if self.rooms.contains(room) {
            self.save_room(room);
            self.share_rules(room);
        }
        done.map(|()| Outcome::Done)
    }

    /// `Members`: a room's members with their ranks, sorted as `Who` sorts
    /// them (members on other nodes without a rank).
    pub(super) fn tell_members(
        &mut self,
        id: ConnId,
        raw: Option<&str>,
        out: &mut Outbox,
    ) -> Result<(), Fault> {
        let room = match raw {
            Some(raw) => {
                let name = super::rooms::parse_room(raw).map_err(Fault::RoomInvalid)?;
                self.rooms.find(name).ok_or_else(|| Fault::NotInRoom(name.to_string()))?
            }
            None => self.current_room(id).ok_or(Fault::InNoRoom)?,
        };
        let members: Vec<(&str, u8)> = self
            .sorted_nicks(room)
            .into_iter()
            .map(|nick| (nick, self.find_nick(nick).map_or(0, |m| self.rank_of(m, room))))
            .collect();
        self.reply(id, &Event::Members { room: self.room_ref(room), members: &members }, out);
        Ok(())
    }

    /// May `id` moderate `room`? Server operators everywhere; room
    /// operators in their room (the default room has none).
    pub fn is_moderator(&self, id: ConnId, room: RoomId) -> bool {
        self.session(id).is_some_and(|s| s.oper)
            || (!self.rooms.is_default(room) && self.rank_of(id, room) & OP != 0)
    }

    /// `id`'s position among `room`'s members, if it is there.
    fn seat_idx(&self, id: ConnId, room: RoomId) -> Option<usize> {
        self.session(id)?.seats.iter().find(|seat| seat.room == room).map(|seat| seat.idx)
    }

    /// `id`'s rank in `room` (0 when not there).
    pub fn rank_of(&self, id: ConnId, room: RoomId) -> u8 {
        let Some(idx) = self.seat_idx(id, room) else { return 0 };
        self.rooms.get(room).members.get(idx).map_or(0, |m| m.rank)
    }

    pub(super) fn set_rank(&mut self, id: ConnId, room: RoomId, rank: u8, on: bool) {
        let Some(idx) = self.seat_idx(id, room) else { return };
        if let Some(m) = self.rooms.get_mut(room).members.get_mut(idx) {
            m.rank = if on { m.rank | rank } else { m.rank & !rank };
        }
    }

    /// Gives (`on`) or takes `rank` of the member `nick` of `room`: here,
    /// or (a member on another node) by its node when the mode change is
    /// told there. Returns the nickname as spelled.
    pub(super) fn give_rank(
        &mut self,
        room: RoomId,
        nick: &str,
        rank: u8,
        on: bool,
    ) -> Result<String, Fault> {
        match self.member_named(room, nick) {
            Ok(target) => {
                self.set_rank(target, room, rank, on);
                self.remember_rank(target, room);
                Ok(self.nick_of(target).unwrap_or_default().to_string())
            }
            Err(refused) => self.remote_member(room, nick).ok_or(refused),
        }
    }

    /// The client online here as `nick`, or `no-such-nick`.
    pub(super) fn user(&self, nick: &str) -> Result<ConnId, Fault> {
        self.find_nick(nick.trim()).ok_or_else(|| Fault::NoSuchNick(nick.trim().to_string()))
    }

    /// The member of `room` called `nick`.
    fn member_named(&self, room: RoomId, nick: &str) -> Result<ConnId, Fault> {
        let target = self.user(nick)?;
        if !self.holds(target, room) {
            let who = self.nick_of(target).unwrap_or_default();
            return Err(Fault::refused(
                "not-in-that-room",
                &[("nick", &who), ("room", &self.rooms.get(room).name)],
            ));
        }
        Ok(target)
    }

    /// May `id` enter `room` (which exists) with `key`? Server operators may.
    pub(super) fn check_join(&self, id: ConnId, room: RoomId, key: Option<&str>) -> Result<(), Fault> {
        let Some(s) = self.session(id) else { return Ok(()) };
        if s.oper {
            return Ok(());
        }
        let r = self.rooms.get(room);
        let rules = &r.rules;
        let nick = s.nick().unwrap_or_default();
        let name = || r.name.clone();
        if self.banned(id, room, false) {
            return Err(Fault::Banned(name()));
        }
        let invited = rules.invited.contains(&fold_nick(nick));
        if rules.invite_only && !invited {
            return Err(Fault::InviteOnly(name()));
        }
        if rules.key.as_deref().is_some_and(|k| Some(k) != key) && !invited {
            return Err(Fault::BadKey(name()));
        }
        if rules.limit.is_some_and(|limit| r.online() >= limit) && !invited {
            return Err(Fault::RoomFull(name()));
        }
        if rules.registered_only && s.account.is_none() {
            return Err(Fault::NeedsAccount);
        }
        Ok(())
    }

    /// `id` entered `room`: an invitation is used up.
    pub(super) fn entered(&mut self, id: ConnId, room: RoomId) {
        let nick = fold_nick(self.nick_of(id).unwrap_or_default());
        self.rooms.get_mut(room).rules.invited.retain(|n| *n != nick);
    }

    /// Is `id` banned (`mute`: banned or muted) in `room` now?
    pub fn banned(&self, id: ConnId, room: RoomId, mute: bool) -> bool {
        let rules = &self.rooms.get(room).rules;
        if rules.bans.is_empty() {
            return false;
        }
        let Some(s) = self.session(id) else { return false };
        let (nick, user, account, server) =
            (s.nick().unwrap_or_default(), s.username.as_deref(), s.account.as_deref(), self.server_name());
        let now = crate::clock::unix_ms();
        rules
            .bans
            .iter()
            .any(|b| (mute || !b.mute) && b.active(now) && b.mask.matches(nick, user, server, account))
    }

    /// May `id` speak in `room`? (`+m` needs a voice; bans and mutes silence.)
    /// One test when the room has neither.
    #[inline]
    pub(super) fn check_speak(&self, id: ConnId, room: RoomId) -> Result<(), Fault> {
        let rules = &self.rooms.get(room).rules;
        if !rules.moderated && rules.bans.is_empty() {
            return Ok(());
        }
        if self.is_moderator(id, room) {
            return Ok(());
        }
        if (rules.moderated && self.rank_of(id, room) & VOICE == 0) || self.banned(id, room, true) {
            return Err(Fault::CannotSpeak(self.rooms.get(room).name.clone()));
        }
        Ok(())
    }

    /// May `id` set `room`'s topic? (`+t`: operators only.)
    pub(super) fn check_topic(&self, id: ConnId, room: RoomId) -> Result<(), Fault> {
        if self.rooms.get(room).rules.topic_ops && !self.is_moderator(id, room) {
            return Err(Fault::NotOperator(self.rooms.get(room).name.clone()));
        }
        Ok(())
    }

    /// May `id` read the history of the room `name`? What joining needs
    /// (no ban, an invitation for `+i`, no `+k` but for members, an
    /// account for `+R`), and `+s` rooms only by members.
    pub(super) fn may_read_history(&self, id: ConnId, name: &str) -> Result<(), Fault> {
        let Some(room) = self.rooms.find(name) else { return Ok(()) };
        if self.holds(id, room) {
            return Ok(());
        }
        if self.rooms.get(room).rules.secret && !self.session(id).is_some_and(|s| s.oper) {
            return Err(Fault::NotInRoom(self.rooms.get(room).name.clone()));
        }
        self.check_join(id, room, None)
    }

    /// Is `room` hidden from `id`'s room lists (`+s`, not a member)?
    pub fn hidden_from(&self, id: ConnId, room: RoomId) -> bool {
        self.rooms.get(room).rules.secret
            && !self.holds(id, room)
            && !self.session(id).is_some_and(|s| s.oper)
    }

    /// Sends `event` to the members of `room` whose face shows moderation.
    pub(super) fn tell_moderation(&self, room: RoomId, event: &Event, out: &mut Outbox) {
        let rendered = self.renderers.event(event);
        for m in &self.rooms.get(room).members {
            if self.session(m.id).is_some_and(|s| s.profile.moderation_events) {
                out.send(m.id, rendered.get(m.format));
            }
        }
    }

    pub(super) fn announce_modes(&mut self, by: ConnId, room: RoomId, modes: &str, out: &mut Outbox) {
        let by = self.nick_of(by).unwrap_or_default().to_string();
        info!("{by} set mode {modes} on {}", self.rooms.get(room).name);
        self.tell_modes(room, &by, modes, out);
    }

    /// Shows `by`'s mode change on `room` to its members, here and on every node.
    pub(super) fn tell_modes(&mut self, room: RoomId, by: &str, modes: &str, out: &mut Outbox) {
        self.tell_moderation(room, &Event::Mode { room: self.room_ref(room), by, modes, set: true }, out);
        let (room, by, modes) = (self.rooms.get(room).name.clone(), by.to_string(), modes.to_string());
        self.publish(|_| Note::Mode { room, by, modes });
    }

    fn kick(
        &mut self,
        by: ConnId,
        room: RoomId,
        nick: &str,
        reason: &str,
        out: &mut Outbox,
    ) -> Result<(), Fault> {
        let by_nick = self.nick_of(by).unwrap_or_default().to_string();
        let name = self.rooms.get(room).name.clone();
        let (target, nick) = match self.member_named(room, nick) {
            Ok(target) => (Some(target), self.nick_of(target).unwrap_or_default().to_string()),
            // A member on another node: its node carries the kick out.
            Err(refused) => (None, self.remote_member(room, nick).ok_or(refused)?),
        };
        info!("{by_nick} kicked {nick} from {name} ({reason})");
        let event = Event::Kick { room: self.room_ref(room), by: &by_nick, nick: &nick, reason };
        self.tell_moderation(room, &event, out);
        match target {
            Some(target) => self.kicked(target, room, &by_nick, reason, out),
            None => self.forget_remote_member(room, &nick),
        }
        let (by, reason) = (by_nick, reason.to_string());
        self.publish(|_| Note::Kick { room: name, by, nick, reason });
        Ok(())
    }

    /// Local `target` was kicked from `room` by `by_nick` (already told):
    /// it leaves; a text client goes back to the default room, or, kicked
    /// from the default room, is disconnected.
    pub(super) fn kicked(
        &mut self,
        target: ConnId,
        room: RoomId,
        by_nick: &str,
        reason: &str,
        out: &mut Outbox,
    ) {
        let nick = self.nick_of(target).unwrap_or_default().to_string();
        let is_default = self.rooms.is_default(room);
        let single = self.profile(target).is_some_and(|p| p.single_room);
        if single && is_default {
            // Nowhere to send a text client kicked from the default room.
            let why = if reason.is_empty() {
                format!("kicked by {by_nick}")
            } else {
                format!("kicked by {by_nick}: {reason}")
            };
            self.exit(target, room, Exit::Kicked, out);
            out.close_after_flush(target, CloseReason::Requested);
            log::info!("{nick} disconnected: {why}");
            return;
        }
        self.exit(target, room, Exit::Kicked, out);
        if single {
            let default = self.rooms.default_id();
            self.enter(target, default, out);
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn ban(
        &mut self,
        by: ConnId,
        room: RoomId,
        raw: &str,
        duration: Option<Duration>,
        reason: &str,
        mute: bool,
        out: &mut Outbox,
    ) -> Result<(), Fault> {
        let (mask, shown) = Mask::parse(raw).map_err(Fault::usage)?;
        let now = crate::clock::unix_ms();
        let by_nick = self.nick_of(by).unwrap_or_default().to_string();
        let rules = &mut self.rooms.get_mut(room).rules;
        rules.bans.retain(|b| b.active(now) && !b.is(&shown, mute));
        if rules.bans.len() >= MAX_BANS {
            return Err(Fault::refused("too-many-bans", &[("max", &MAX_BANS)]));
        }
        let (until_ms, reason) = (super::rules::until(now, duration), super::rules::reason(reason));
        rules.bans.push(Ban {
            mask,
            shown: shown.clone(),
            by: by_nick.clone(),
            set_ms: now,
            until_ms,
            reason: reason.clone(),
            mute,
        });
        info!("{by_nick} {} {shown} in {}", if mute { "muted" } else { "banned" }, self.rooms.get(room).name);
        let event = Event::Ban {
            room: self.room_ref(room),
            by: &by_nick,
            mask: &shown,
            set: true,
            mute,
            until_ms,
            reason: &reason,
        };
        self.tell_moderation(room, &event, out);
        let (room, by, mask) = (self.rooms.get(room).name.clone(), by_nick, shown);
        self.publish(|_| Note::Ban { room, by, mask, set: true, mute, until_ms, reason });
        Ok(())
    }

    pub(super) fn unban(
        &mut self,
        by: ConnId,
        room: RoomId,
        raw: &str,
        mute: bool,
        out: &mut Outbox,
    ) -> Result<(), Fault> {
        let shown = Mask::parse(raw).map(|(_, shown)| shown).unwrap_or_else(|_| raw.trim().to_string());
        let rules = &mut self.rooms.get_mut(room).rules;
        let before = rules.bans.len();
        rules.bans.retain(|b| !b.is(&shown, mute));
        if rules.bans.len() == before {
            let what = if mute { "mute" } else { "ban" };
            return Err(Fault::refused(
                if what == "mute" { "no-mute" } else { "no-ban" },
                &[("mask", &shown), ("room", &self.rooms.get(room).name)],
            ));
        }
        let by_nick = self.nick_of(by).unwrap_or_default().to_string();
        let event = Event::Ban {
            room: self.room_ref(room),
            by: &by_nick,
            mask: &shown,
            set: false,
            mute,
            until_ms: None,
            reason: "",
        };
        self.tell_moderation(room, &event, out);
        let (room, by, mask) = (self.rooms.get(room).name.clone(), by_nick, shown);
        self.publish(|_| Note::Ban {
            room,
            by,
            mask,
            set: false,
            mute,
            until_ms: None,
            reason: String::new(),
        });
        Ok(())
    }

    pub(super) fn tell_bans(&mut self, id: ConnId, room: RoomId, out: &mut Outbox) -> Result<(), Fault> {
        let now = crate::clock::unix_ms();
        self.rooms.get_mut(room).rules.bans.retain(|b| b.active(now));
        let r = self.rooms.get(room);
        let bans: Vec<&Ban> = r.rules.bans.iter().collect();
        self.reply(id, &Event::Bans { room: &r.name, bans: &bans }, out);
        Ok(())
    }

    fn invite(&mut self, id: ConnId, room: RoomId, nick: &str, out: &mut Outbox) -> Result<(), Fault> {
        if self.rooms.get(room).rules.invite_only && !self.is_moderator(id, room) {
            return Err(Fault::NotOperator(self.rooms.get(room).name.clone()));
        }
        let target = self.user(nick)?;
        let target_nick = self.nick_of(target).unwrap_or_default().to_string();
        if self.holds(target, room) {
            return Err(Fault::refused(
                "already-in-room",
                &[("nick", &target_nick), ("room", &self.rooms.get(room).name)],
            ));
        }
        let rules = &mut self.rooms.get_mut(room).rules;
        let folded = fold_nick(&target_nick);
        if !rules.invited.contains(&folded) {
            if rules.invited.len() >= MAX_INVITES {
                rules.invited.remove(0);
            }
            rules.invited.push(folded);
        }
        let by = self.nick_of(id).unwrap_or_default().to_string();
        let name = self.rooms.get(room).name.clone();
        let event = Event::Invite { room: &name, by: &by, nick: &target_nick };
        self.reply(target, &event, out);
        if target != id {
            self.reply(id, &event, out);
        }
        // Members who asked to see invitations sent to others (invite-notify).
        self.broadcast_where(room, &event, out, |m, p| m != id && m != target && p.invite_notify);
        Ok(())
    }
}
