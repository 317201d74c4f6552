//! Every error the server reports, as one enum: its wire code is
//! [`Fault::code`], its words for people [`Fault::message`]. Faces match on
//! the variants (IRC turns them into numerics), never on the code's text.

use super::rooms::{RoomNameError, MAX_ROOM_CHARS};
use super::session::{NickError, MAX_NICK_CHARS};
use crate::words::{self, Lang};

/// A protocol error to report to a client.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// The nickname is in use, here or on another node.
    NickTaken(String),
    NickInvalid(NickError),
    /// A command that needs a nickname, before one.
    NotJoined,
    BadUtf8,
    /// Not JSON (the parser's words).
    BadJson(String),
    /// JSON, but not a packet (what is wrong).
    BadPacket(&'static str),
    /// A command's arguments are not of its shape (its usage).
    BadArgs(String),
    /// A command's arguments do not fit how things are (`bad-args`): the
    /// catalogue's message `key` with its values.
    Refused(&'static str, Vec<(&'static str, String)>),
    UnknownType(String),
    UnknownCommand(String),
    NoSuchNick(String),
    RoomInvalid(RoomNameError),
    /// Not in that room (its name).
    NotInRoom(String),
    /// In no room at all, asking for "my room".
    InNoRoom,
    /// `--max-rooms-per-client` reached.
    TooManyRoomsHeld(usize),
    /// `--max-rooms` reached.
    TooManyRooms(usize),
    /// A text client in the default room asked to leave it.
    InDefaultRoom(String),
    /// An input line over `--max-line` bytes.
    LineTooLong(usize),
    /// No nickname within `--nick-timeout` (seconds).
    NickTimeout(f64),
    /// Silent past `--idle-timeout` (seconds).
    IdleTimeout(f64),
    ServerFull,
    TooManyConnections,
    /// A script handler failed (its name and why).
    HandlerError(String, String),
    /// History was asked for with `--history 0`.
    HistoryOff,
    /// A wrong password, an unknown account, a bad token, or too many
    /// tries (why, as the catalogue's key of words that never tell which).
    AuthFailed(&'static str),
    /// The nickname belongs to an account the client is not signed in to.
    NickRegistered(String),
    /// Only a signed-in client may do that.
    NeedsAccount,
    /// Too many passwords are being hashed at once.
    Busy,
    /// Only the room's operators may (the room).
    NotOperator(String),
    /// Banned from the room.
    Banned(String),
    /// `+m` without a voice, or muted.
    CannotSpeak(String),
    InviteOnly(String),
    BadKey(String),
    RoomFull(String),
    /// A mode letter linechat does not have.
    UnknownMode(char),
    /// Only server operators may do that.
    NotServerOperator,
    /// Cut off by a server operator (`by: reason`).
    Killed(String),
}

/// Every error code the server sends, in the order `/metrics` lists them.
pub const CODES: &[&str] = &[
    "nick-taken",
    "nick-invalid",
    "not-joined",
    "bad-utf8",
    "bad-json",
    "bad-packet",
    "bad-args",
    "unknown-type",
    "unknown-command",
    "no-such-nick",
    "room-invalid",
    "not-in-room",
    "too-many-rooms",
    "line-too-long",
    "nick-timeout",
    "idle-timeout",
    "server-full",
    "too-many-connections",
    "handler-error",
    "history-off",
    "auth-failed",
    "nick-registered",
    "needs-account",
    "server-busy",
    "not-operator",
    "banned",
    "cannot-speak",
    "invite-only",
    "bad-key",
    "room-full",
    "killed",
];

impl Fault {
    /// The wire code, as `! CODE: ...` and the JSON `error` event carry it.
    pub fn code(&self) -> &'static str {
        CODES[self.index()]
    }

    /// Its place in [`CODES`] (for counting).
    pub fn index(&self) -> usize {
        match self {
            Fault::NickTaken(_) => 0,
            Fault::NickInvalid(_) => 1,
            Fault::NotJoined => 2,
            Fault::BadUtf8 => 3,
            Fault::BadJson(_) => 4,
            Fault::BadPacket(_) => 5,
            Fault::BadArgs(_) | Fault::Refused(..) | Fault::InDefaultRoom(_) => 6,
            Fault::UnknownType(_) => 7,
            Fault::UnknownCommand(_) => 8,
            Fault::NoSuchNick(_) => 9,
            Fault::RoomInvalid(_) => 10,
            Fault::NotInRoom(_) | Fault::InNoRoom => 11,
            Fault::TooManyRoomsHeld(_) | Fault::TooManyRooms(_) => 12,
            Fault::LineTooLong(_) => 13,
            Fault::NickTimeout(_) => 14,
            Fault::IdleTimeout(_) => 15,
            Fault::ServerFull => 16,
            Fault::TooManyConnections => 17,
            Fault::HandlerError(..) => 18,
            Fault::HistoryOff => 19,
            Fault::AuthFailed(_) => 20,
            Fault::NickRegistered(_) => 21,
            Fault::NeedsAccount => 22,
            Fault::Busy => 23,
            Fault::NotOperator(_) => 24,
            Fault::Banned(_) => 25,
            Fault::CannotSpeak(_) => 26,
            Fault::InviteOnly(_) => 27,
            Fault::BadKey(_) => 28,
            Fault::RoomFull(_) => 29,
            Fault::UnknownMode(_) => 6,
            Fault::NotServerOperator => 24,
            Fault::Killed(_) => 30,
        }
    }

    /// What a person is told after the code, in English.
    pub fn message(&self) -> String {
        self.message_in(Lang::EN)
    }

    /// What a person is told after the code, in `lang` (the catalogue's
    /// words; a usage, a JSON parser's or a sign-in refusal's words are
    /// passed through as written).
    pub fn message_in(&self, lang: Lang) -> String {
        let say = |key: &str, args: &[(&str, &dyn std::fmt::Display)]| words::say(lang, key, args);
        match self {
            Fault::NickTaken(nick) => say("nick-taken", &[("nick", nick)]),
            Fault::NickInvalid(NickError::Empty) => say("nick-empty", &[]),
            Fault::NickInvalid(NickError::TooLong) => say("nick-too-long", &[("max", &MAX_NICK_CHARS)]),
            Fault::NickInvalid(NickError::BadChar(c)) => say("nick-bad-char", &[("char", &format!("{c:?}"))]),
            Fault::NotJoined => say("not-joined", &[]),
            Fault::BadUtf8 => say("bad-utf8", &[]),
            Fault::BadJson(e) => say("bad-json", &[("detail", e)]),
            Fault::BadPacket(key) => say(key, &[]),
            // A command's syntax is the same in every language; the word
            // before it is not.
            Fault::BadArgs(usage) => {
                if let Some(syntax) = usage.strip_prefix("usage: ") {
                    say("usage", &[("syntax", &syntax)])
                } else if let Some(shape) = usage.strip_prefix("expected payload ") {
                    say("expected-payload", &[("shape", &shape)])
                } else {
                    usage.clone()
                }
            }
            Fault::UnknownType(kind) => say("unknown-type", &[("type", kind)]),
            Fault::UnknownCommand(name) => say("unknown-command", &[("name", name)]),
            Fault::NoSuchNick(nick) => say("no-such-nick", &[("nick", nick)]),
            Fault::RoomInvalid(RoomNameError::NoHash) => say("room-no-hash", &[]),
            Fault::RoomInvalid(RoomNameError::Empty) => say("room-empty", &[]),
            Fault::RoomInvalid(RoomNameError::TooLong) => say("room-too-long", &[("max", &MAX_ROOM_CHARS)]),
            Fault::RoomInvalid(RoomNameError::BadChar(c)) => {
                say("room-bad-char", &[("char", &format!("{c:?}"))])
            }
            Fault::NotInRoom(room) => say("not-in-room", &[("room", room)]),
            Fault::InNoRoom => say("in-no-room", &[]),
            Fault::TooManyRoomsHeld(max) => say("too-many-rooms-held", &[("max", max)]),
            Fault::TooManyRooms(max) => say("too-many-rooms", &[("max", max)]),
            Fault::InDefaultRoom(room) => say("in-default-room", &[("room", room)]),
            Fault::LineTooLong(max) => say("line-too-long", &[("max", max)]),
            Fault::NickTimeout(secs) => say("nick-timeout", &[("secs", secs)]),
            Fault::IdleTimeout(secs) => say("idle-timeout", &[("secs", secs)]),
            Fault::ServerFull => say("server-full", &[]),
            Fault::TooManyConnections => say("too-many-connections", &[]),
            Fault::HandlerError(name, why) => format!("{name}: {why}"),
            Fault::HistoryOff => say("history-off", &[]),
            Fault::AuthFailed(key) => say(key, &[]),
            Fault::Refused(key, values) => {
                let args: Vec<(&str, &dyn std::fmt::Display)> =
                    values.iter().map(|(n, v)| (*n, v as &dyn std::fmt::Display)).collect();
                say(key, &args)
            }
            Fault::NickRegistered(nick) => say("nick-registered", &[("nick", nick)]),
            Fault::NeedsAccount => say("needs-account", &[]),
            Fault::Busy => say("server-busy", &[]),
            Fault::NotOperator(room) => say("not-operator", &[("room", room)]),
            Fault::Banned(room) => say("banned", &[("room", room)]),
            Fault::CannotSpeak(room) => say("cannot-speak", &[("room", room)]),
            Fault::InviteOnly(room) => say("invite-only", &[("room", room)]),
            Fault::BadKey(room) => say("bad-key", &[("room", room)]),
            Fault::RoomFull(room) => say("room-full", &[("room", room)]),
            Fault::UnknownMode(c) => say("unknown-mode", &[("mode", c)]),
            Fault::NotServerOperator => say("not-server-operator", &[]),
            Fault::Killed(why) => say("killed", &[("why", why)]),
        }
    }

    /// `bad-args` with a usage or shape.
    pub fn usage(text: impl Into<String>) -> Fault {
        Fault::BadArgs(text.into())
    }

    /// `bad-args` in the catalogue's words `key`, with their values.
    pub fn refused(key: &'static str, values: &[(&'static str, &dyn std::fmt::Display)]) -> Fault {
        Fault::Refused(key, values.iter().map(|(n, v)| (*n, v.to_string())).collect())
    }

    /// The value `name` of a [`Fault::Refused`], if it is one.
    pub fn value(&self, name: &str) -> Option<&str> {
        match self {
            Fault::Refused(_, values) => values.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_listed_once_and_indexes_agree() {
        let faults = [
            Fault::NickTaken("a".into()),
            Fault::NotJoined,
            Fault::BadUtf8,
            Fault::BadJson("x".into()),
            Fault::BadPacket("x"),
            Fault::BadArgs("x".into()),
            Fault::UnknownType("x".into()),
            Fault::UnknownCommand("x".into()),
            Fault::NoSuchNick("x".into()),
            Fault::NotInRoom("#x".into()),
            Fault::TooManyRooms(1),
            Fault::LineTooLong(1),
            Fault::NickTimeout(1.0),
            Fault::IdleTimeout(1.0),
            Fault::ServerFull,
            Fault::TooManyConnections,
            Fault::HandlerError("h".into(), "why".into()),
            Fault::HistoryOff,
            Fault::AuthFailed("x"),
            Fault::NickRegistered("a".into()),
            Fault::NeedsAccount,
            Fault::Busy,
            Fault::NotOperator("#r".into()),
            Fault::Banned("#r".into()),
            Fault::CannotSpeak("#r".into()),
            Fault::InviteOnly("#r".into()),
            Fault::BadKey("#r".into()),
            Fault::RoomFull("#r".into()),
            Fault::Killed("x".into()),
        ];
        for f in &faults {
            assert_eq!(CODES.iter().filter(|c| **c == f.code()).count(), 1, "{f:?}");
        }
        assert_eq!(Fault::NickTimeout(0.3).message(), "no nickname chosen within 0.3 s");
        assert_eq!(Fault::InDefaultRoom("#lobby".into()).code(), "bad-args");
    }
}
