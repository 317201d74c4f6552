//! Every error the server reports, as one enum: its wire code is
//! [`Fault::code`], its words for people [`Fault::message`]. Faces match on
//! the variants (IRC turns them into numerics), never on the code's text.

use super::rooms::RoomNameError;
use super::session::NickError;

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
    /// tries (why, in words that never tell which).
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
            Fault::BadArgs(_) | Fault::InDefaultRoom(_) => 6,
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

    /// What a person is told after the code.
    pub fn message(&self) -> String {
        match self {
            Fault::NickTaken(nick) => format!("'{nick}' is already in use; choose another"),
            Fault::NickInvalid(e) => e.to_string(),
            Fault::NotJoined => "choose a nickname first".into(),
            Fault::BadUtf8 => "the line is not valid UTF-8 and was not relayed".into(),
            Fault::BadJson(e) => format!("not valid JSON: {e}"),
            Fault::BadPacket(what) => (*what).into(),
            Fault::BadArgs(usage) => usage.clone(),
            Fault::UnknownType(kind) => format!("type '{kind}' is not defined"),
            Fault::UnknownCommand(name) => format!("unknown command '/{name}'; /help lists the commands"),
            Fault::NoSuchNick(nick) => format!("nobody called '{nick}' is online"),
            Fault::RoomInvalid(e) => e.to_string(),
            Fault::NotInRoom(room) => format!("you are not in {room}"),
            Fault::InNoRoom => "you are in no room; join one first".into(),
            Fault::TooManyRoomsHeld(max) => {
                format!("you may be in at most {max} rooms besides the default one")
            }
            Fault::TooManyRooms(max) => format!("the server holds at most {max} rooms; join an existing one"),
            Fault::InDefaultRoom(name) => format!("you are in the default room {name}; /join #ROOM to move"),
            Fault::LineTooLong(max) => {
                format!("lines are limited to {max} bytes; the rest of this line was discarded")
            }
            Fault::NickTimeout(secs) => format!("no nickname chosen within {secs} s"),
            Fault::IdleTimeout(secs) => format!("nothing received for {secs} s"),
            Fault::ServerFull => "too many clients are connected; try again later".into(),
            Fault::TooManyConnections => "too many connections from your address; try again later".into(),
            Fault::HandlerError(name, why) => format!("{name}: {why}"),
            Fault::HistoryOff => "this server keeps no history (--history 0)".into(),
            Fault::AuthFailed(why) => (*why).into(),
            Fault::NickRegistered(nick) => {
                format!("'{nick}' is a registered name: /login {nick} PASSWORD, or choose another")
            }
            Fault::NeedsAccount => "sign in first (/login NAME PASSWORD)".into(),
            Fault::Busy => "the server is busy signing others in; try again in a moment".into(),
            Fault::NotOperator(room) => format!("only operators of {room} may do that"),
            Fault::Banned(room) => format!("you are banned from {room}"),
            Fault::CannotSpeak(room) => {
                format!("you cannot speak in {room} (it is moderated, or you are muted)")
            }
            Fault::InviteOnly(room) => format!("{room} is invite only"),
            Fault::BadKey(room) => format!("{room} needs the right key: /join {room} KEY"),
            Fault::RoomFull(room) => format!("{room} is full"),
            Fault::UnknownMode(c) => format!("unknown mode '{c}'; modes are i k l m n t s R o v b"),
            Fault::NotServerOperator => "only server operators may do that (/oper NAME PASSWORD)".into(),
            Fault::Killed(why) => format!("disconnected by {why}"),
        }
    }

    /// `bad-args` with a usage or shape.
    pub fn usage(text: impl Into<String>) -> Fault {
        Fault::BadArgs(text.into())
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
