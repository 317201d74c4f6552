//! Rooms: what a room name is, the table of rooms, and who is in each.
//!
//! A room's members are kept flat (connection and wire format), so a
//! broadcast reads one array, as the single room did. Every room but the
//! default one exists only while it has members. Nothing here does I/O.

use std::collections::HashMap;

use slab::Slab;

use super::format::Format;
use super::names::{check_name, fold_nick, NickError};
use crate::net::ConnId;

/// A room's key in the table; stable while the room exists.
pub type RoomId = usize;

/// Longest room name, in characters after the `#`.
pub const MAX_ROOM_CHARS: usize = 32;

/// Longest topic, in characters.
pub const MAX_TOPIC_CHARS: usize = 300;

/// Why a room name was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoomNameError {
    NoHash,
    Empty,
    TooLong,
    BadChar(char),
}

impl std::fmt::Display for RoomNameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RoomNameError::NoHash => f.write_str("a room name starts with '#', like #rust"),
            RoomNameError::Empty => f.write_str("a room name needs at least one character after '#'"),
            RoomNameError::TooLong => {
                write!(f, "a room name has at most {MAX_ROOM_CHARS} characters after '#'")
            }
            RoomNameError::BadChar(c) => {
                write!(f, "{c:?} is not allowed in a room name; use letters, digits, '_', '-' and '.'")
            }
        }
    }
}

/// Checks a proposed room name (`#` and 1 to 32 letters, digits, `_`, `-`,
/// `.` of any script) and returns it trimmed.
pub fn parse_room(raw: &str) -> Result<&str, RoomNameError> {
    let name = raw.trim();
    let Some(rest) = name.strip_prefix('#') else {
        return Err(RoomNameError::NoHash);
    };
    check_name(rest, MAX_ROOM_CHARS).map_err(|e| match e {
        NickError::Empty => RoomNameError::Empty,
        NickError::TooLong => RoomNameError::TooLong,
        NickError::BadChar(c) => RoomNameError::BadChar(c),
    })?;
    Ok(name)
}

/// A client in a room.
#[derive(Debug, Clone, Copy)]
pub struct Member {
    pub id: ConnId,
    pub format: Format,
    /// Operator and voice bits (`rules::OP`, `VOICE`).
    pub rank: u8,
    /// Its session's `Profile::view` (how it sees what others send).
    pub view: u8,
}

/// One room.
pub struct Room {
    /// As its creator spelled it.
    pub name: String,
    /// Folded (how rooms are told apart, and how the store names it).
    pub key: String,
    /// Empty when unset.
    pub topic: String,
    /// Who set the topic; empty when unset.
    pub topic_by: String,
    /// When the topic was set, in Unix seconds.
    pub topic_at: u64,
    /// When the room was created, in Unix seconds.
    pub created: u64,
    /// In no particular order; a member's position is kept by its session.
    pub members: Vec<Member>,
    /// Members on other nodes of the cluster, by nickname (empty when standalone).
    pub remote: Vec<String>,
    /// Modes, bans and invitations.
    pub rules: super::rules::RoomRules,
    /// Members whose `view` is not 0: when none, a line is rendered once.
    pub viewers: u32,
}

impl Room {
    /// Members here and on other nodes.
    pub fn online(&self) -> usize {
        self.members.len() + self.remote.len()
    }
}

/// Every room, by id and by folded name.
pub struct Rooms {
    slab: Slab<Room>,
    by_name: HashMap<String, RoomId>,
    default: RoomId,
}

impl Rooms {
    /// A table holding the default room, which always exists.
    pub fn new(default_name: &str) -> Rooms {
        let mut rooms = Rooms { slab: Slab::new(), by_name: HashMap::new(), default: 0 };
        rooms.default = rooms.create(default_name, crate::clock::unix_now());
        rooms
    }

    pub fn default_id(&self) -> RoomId {
        self.default
    }

    pub fn is_default(&self, room: RoomId) -> bool {
        room == self.default
    }

    /// Rooms that exist, the default one included.
    pub fn len(&self) -> usize {
        self.slab.len()
    }

    /// Never true: the default room always exists.
    pub fn is_empty(&self) -> bool {
        self.slab.is_empty()
    }

    /// Does `room` still exist?
    pub fn contains(&self, room: RoomId) -> bool {
        self.slab.contains(room)
    }

    pub fn find(&self, name: &str) -> Option<RoomId> {
        self.by_name.get(&fold_nick(name)).copied()
    }

    /// The room a client named, as typed (untrimmed, maybe not a valid name).
    pub fn lookup(&self, raw: &str) -> Option<RoomId> {
        parse_room(raw).ok().and_then(|name| self.find(name))
    }

    pub fn get(&self, room: RoomId) -> &Room {
        &self.slab[room]
    }

    pub fn get_mut(&mut self, room: RoomId) -> &mut Room {
        &mut self.slab[room]
    }

    /// Creates a room named `name` (valid, and not taken ignoring case) at
    /// `now` (Unix seconds).
    pub fn create(&mut self, name: &str, now: u64) -> RoomId {
        let id = self.slab.insert(Room {
            name: name.to_string(),
            key: fold_nick(name),
            topic: String::new(),
            topic_by: String::new(),
            topic_at: 0,
            created: now,
            members: Vec::new(),
            remote: Vec::new(),
            rules: super::rules::RoomRules::new(),
            viewers: 0,
        });
        let key = self.slab[id].key.clone();
        self.by_name.insert(key, id);
        id
    }

    /// Adds `member` to `room`; returns its position there.
    pub fn add(&mut self, room: RoomId, member: Member) -> usize {
        let r = &mut self.slab[room];
        r.viewers += u32::from(member.view != 0);
        r.members.push(member);
        r.members.len() - 1
    }

    /// Removes the member at `idx` of `room`. Returns the connection moved
    /// into `idx` (whose session must learn its new position), and removes
    /// the room when it empties, unless it is the default one.
    pub fn remove(&mut self, room: RoomId, idx: usize) -> Option<ConnId> {
        let r = &mut self.slab[room];
        let gone = r.members.swap_remove(idx);
        r.viewers -= u32::from(gone.view != 0);
        let moved = r.members.get(idx).map(|m| m.id);
        self.drop_if_empty(room);
        moved
    }

    /// Removes `room` if nobody is in it here or elsewhere, unless it is the default one.
    pub fn drop_if_empty(&mut self, room: RoomId) {
        let r = &self.slab[room];
        if r.members.is_empty() && r.remote.is_empty() && room != self.default {
            let r = self.slab.remove(room);
            self.by_name.remove(&fold_nick(&r.name));
        }
    }

    /// Every room, sorted by name ignoring case (names are unique that way),
    /// as `/rooms` and IRC's LIST show them.
    pub fn sorted(&self) -> Vec<RoomId> {
        let mut rooms: Vec<(String, RoomId)> =
            self.slab.iter().map(|(id, r)| (fold_nick(&r.name), id)).collect();
        rooms.sort();
        rooms.into_iter().map(|(_, id)| id).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_names() {
        assert_eq!(parse_room(" #rust "), Ok("#rust"));
        assert_eq!(parse_room("#한국어"), Ok("#한국어"));
        assert_eq!(parse_room("#a.b-c_d"), Ok("#a.b-c_d"));
        assert_eq!(parse_room(&format!("#{}", "é".repeat(32))).map(|s| s.len()), Ok(65));
        assert_eq!(parse_room("rust"), Err(RoomNameError::NoHash));
        assert_eq!(parse_room("#"), Err(RoomNameError::Empty));
        assert_eq!(parse_room(&format!("#{}", "a".repeat(33))), Err(RoomNameError::TooLong));
        assert_eq!(parse_room("#a b"), Err(RoomNameError::BadChar(' ')));
        assert_eq!(parse_room("##x"), Err(RoomNameError::BadChar('#')));
    }

    #[test]
    fn rooms_vanish_when_empty_but_the_default_stays() {
        let mut rooms = Rooms::new("#lobby");
        let d = rooms.default_id();
        let r = rooms.create("#Rust", 0);
        assert_eq!(rooms.find("#RUST"), Some(r));
        let m = |id| Member { id, format: Format(0), rank: 0, view: 0 };
        assert_eq!(rooms.add(r, m(1)), 0);
        assert_eq!(rooms.add(r, m(2)), 1);
        assert_eq!(rooms.remove(r, 0), Some(2), "the last member moves into the gap");
        assert_eq!(rooms.remove(r, 0), None);
        assert_eq!(rooms.find("#rust"), None);
        rooms.add(d, m(3));
        rooms.remove(d, 0);
        assert_eq!(rooms.find("#lobby"), Some(d));
        assert_eq!(rooms.len(), 1);
    }
}
