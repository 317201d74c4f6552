//! Registered rooms. A signed-in operator of a room `/claim`s it for its
//! account (the founder); from then on the room's modes, bans and mutes,
//! the ranks given to signed-in members and its topic are saved in the
//! store at each change (`store/rules.rs`: memory, `--db`, Redis in a
//! cluster) and come back whenever the room is made again: after it
//! emptied, after a restart, on another node. Making a registered room
//! makes nobody its operator; the founder and the accounts it remembers
//! get their rank back on entering, given by `ChanServ`.

use super::event::Event;
use super::fault::Fault;
use super::masks::Mask;
use super::rooms::{Room, RoomId};
use super::rules::{Ban, OP, VOICE};
use super::session::fold_nick;
use super::Hub;
use crate::net::{ConnId, Outbox};
use crate::store::rules::{RuleChange, SavedBan, SavedRoom, MAX_ACCESS, MAX_REGISTERED_ROOMS};

/// Who gives ranks back in registered rooms, as their mode changes show.
pub const CHANSERV: &str = "ChanServ";

/// `saved` put back on a live room: modes, key, limit, bans still in
/// force, and its topic unless the room's is newer.
pub(super) fn apply_saved(r: &mut Room, saved: &SavedRoom, now_ms: u64) {
    let rules = &mut r.rules;
    for c in "imnRst".chars() {
        if let Some(flag) = rules.flag(c) {
            *flag = saved.modes.contains(c);
        }
    }
    rules.key = saved.key.clone();
    rules.limit = saved.limit.map(|l| l as usize);
    rules.bans = saved
        .bans
        .iter()
        .filter(|b| b.until_ms.is_none_or(|until| until > now_ms))
        .filter_map(|b| {
            let (mask, shown) = Mask::parse(&b.mask).ok()?;
            let (by, set_ms, until_ms, reason, mute) =
                (b.by.clone(), b.set_ms, b.until_ms, b.reason.clone(), b.mute);
            Some(Ban { mask, shown, by, set_ms, until_ms, reason, mute })
        })
        .collect();
    if saved.topic_at >= r.topic_at {
        (r.topic, r.topic_by, r.topic_at) = (saved.topic.clone(), saved.topic_by.clone(), saved.topic_at);
    }
}

impl Hub {
    /// `/claim` (`on`) or `/unclaim` `room`: a signed-in operator of the
    /// room registers it to its account; its founder (or a server
    /// operator) gives it up.
    pub(super) fn claim(
        &mut self,
        id: ConnId,
        room: RoomId,
        on: bool,
        out: &mut Outbox,
    ) -> Result<(), Fault> {
        let (name, key) = (self.rooms.get(room).name.clone(), self.rooms.get(room).key.clone());
        if self.rooms.is_default(room) {
            return Err(Fault::refused("claim-default-room", &[("room", &name)]));
        }
        let account = self.session(id).and_then(|s| s.account.clone());
        let saved = self.store.rules.rooms.get(&key);
        let founder = saved.map(|s| self.account_shown(&s.founder));
        if on {
            let Some(account) = account else { return Err(Fault::NeedsAccount) };
            if let Some(founder) = founder {
                return Err(Fault::refused("room-registered", &[("room", &name), ("account", &founder)]));
            }
            if !self.is_moderator(id, room) {
                return Err(Fault::NotOperator(name));
            }
            if self.store.rules.rooms.len() >= MAX_REGISTERED_ROOMS {
                return Err(Fault::refused("too-many-registered-rooms", &[("max", &MAX_REGISTERED_ROOMS)]));
            }
            let founder = fold_nick(&account);
            let record = SavedRoom {
                name: name.clone(),
                founder: founder.clone(),
                created_ms: crate::clock::unix_ms(),
                access: vec![(founder, OP)],
                ..SavedRoom::default()
            };
            let record = self.saved_from_live(room, &record);
            log::info!("{account} registered {name}");
            self.rules_changed(RuleChange::Room { key, room: Some(record) });
            self.reply(id, &Event::Claim { room: &name, account: Some(&account) }, out);
        } else {
            let Some(founder) = founder else {
                return Err(Fault::refused("room-not-registered", &[("room", &name)]));
            };
            let is_founder = account.as_deref().map(fold_nick) == saved.map(|s| s.founder.clone());
            if !is_founder && !self.session(id).is_some_and(|s| s.oper) {
                return Err(Fault::refused("not-founder", &[("room", &name), ("account", &founder)]));
            }
            log::info!("{} dropped the registration of {name}", self.nick_of(id).unwrap_or_default());
            self.rules_changed(RuleChange::Room { key, room: None });
            self.reply(id, &Event::Claim { room: &name, account: None }, out);
        }
        Ok(())
    }

    /// Is the room `name` (valid) registered?
    pub(super) fn is_registered(&self, name: &str) -> bool {
        self.store.rules.rooms.contains_key(&fold_nick(name))
    }

    /// Does the room named `raw` (live, or registered and empty) take a key?
    pub(super) fn has_key(&self, raw: &str) -> bool {
        match self.rooms.lookup(raw) {
            Some(room) => self.rooms.get(room).rules.key.is_some(),
            None => super::rooms::parse_room(raw).is_ok_and(|name| {
                self.store.rules.rooms.get(&fold_nick(name)).is_some_and(|r| r.key.is_some())
            }),
        }
    }

    /// An account's name as registered (its folded key if unknown here).
    fn account_shown(&self, key: &str) -> String {
        self.store.accounts.get(key).map_or_else(|| key.to_string(), |a| a.name.clone())
    }

    /// `base` with `room`'s live modes, bans and topic.
    pub(super) fn saved_from_live(&self, room: RoomId, base: &SavedRoom) -> SavedRoom {
        let r = self.rooms.get(room);
        let now = crate::clock::unix_ms();
        let bans = r.rules.bans.iter().filter(|b| b.active(now)).map(|b| SavedBan {
            mask: b.shown.clone(),
            by: b.by.clone(),
            set_ms: b.set_ms,
            until_ms: b.until_ms,
            reason: b.reason.clone(),
            mute: b.mute,
        });
        SavedRoom {
            modes: r.rules.flags_set(),
            key: r.rules.key.clone(),
            limit: r.rules.limit.map(|l| l as u64),
            topic: r.topic.clone(),
            topic_by: r.topic_by.clone(),
            topic_at: r.topic_at,
            bans: bans.collect(),
            ..base.clone()
        }
    }

    /// After a change to `room`'s modes, bans or topic: saved if the room
    /// is registered and the record changed.
    pub(super) fn save_room(&mut self, room: RoomId) {
        let key = &self.rooms.get(room).key;
        let Some(base) = self.store.rules.rooms.get(key) else { return };
        let fresh = self.saved_from_live(room, base);
        if fresh != *base {
            self.rules_changed(RuleChange::Room { key: key.clone(), room: Some(fresh) });
        }
    }

    /// `target`'s rank in registered `room` changed: remembered for its
    /// account (the founder stays an operator).
    pub(super) fn remember_rank(&mut self, target: ConnId, room: RoomId) {
        let key = &self.rooms.get(room).key;
        let Some(account) = self.session(target).and_then(|s| s.account.as_deref()).map(fold_nick) else {
            return;
        };
        let Some(saved) = self.store.rules.rooms.get(key) else { return };
        let mut fresh = saved.clone();
        let mut rank = self.rank_of(target, room) & (OP | VOICE);
        if account == fresh.founder {
            rank |= OP;
        }
        fresh.access.retain(|(a, _)| *a != account);
        if rank != 0 && fresh.access.len() < MAX_ACCESS {
            fresh.access.push((account, rank));
        }
        if fresh != *saved {
            self.rules_changed(RuleChange::Room { key: key.clone(), room: Some(fresh) });
        }
    }

    /// `room` was just made: a registered room gets its saved rules back.
    pub(super) fn restore_room(&mut self, room: RoomId) {
        let r = self.rooms.get_mut(room);
        if let Some(saved) = self.store.rules.rooms.get(&r.key) {
            apply_saved(r, saved, crate::clock::unix_ms());
        }
    }

    /// The rank `id` gets on entering `room`: `None` when the room is not
    /// registered, else what its record gives `id`'s account.
    pub(super) fn saved_rank(&self, id: ConnId, room: RoomId) -> Option<u8> {
        let saved = self.store.rules.rooms.get(&self.rooms.get(room).key)?;
        let Some(account) = self.session(id).and_then(|s| s.account.as_deref()).map(fold_nick) else {
            return Some(0);
        };
        let rank = saved.access.iter().find(|(a, _)| *a == account).map_or(0, |(_, r)| *r);
        Some(if account == saved.founder { rank | OP } else { rank })
    }

    /// `id` entered registered `room` with a remembered `rank`: given, and
    /// told to the room as `ChanServ`'s mode change.
    pub(super) fn give_saved_rank(&mut self, id: ConnId, room: RoomId, rank: u8, out: &mut Outbox) {
        let nick = self.nick_of(id).unwrap_or_default().to_string();
        let mut modes = String::from("+");
        let mut args = Vec::new();
        for (bit, letter) in [(OP, 'o'), (VOICE, 'v')] {
            if rank & bit != 0 {
                self.set_rank(id, room, bit, true);
                modes.push(letter);
                args.push(nick.as_str());
            }
        }
        let modes = std::iter::once(modes.as_str()).chain(args).collect::<Vec<_>>().join(" ");
        self.tell_modes(room, CHANSERV, &modes, out);
    }
}
