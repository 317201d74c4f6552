//! A session: one client as the chat core sees it (its phase, rooms, and
//! the plain data its face sets: format, single room, echo, ...), and the
//! nickname rules: what a valid nickname is, and when two are the same.
//!
//! A connection starts in [`Phase::AwaitNick`]; a valid, free nickname moves
//! it to [`Phase::Joined`]. Nothing here does I/O.

use std::collections::VecDeque;
use std::time::Instant;

use super::render::Format;
use super::rooms::RoomId;
use crate::net::{Bucket, LineFault};

/// What a face's sessions are like: plain data the core reads, so that it
/// never asks which face a session belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    /// Its wire format (the renderer its events go through).
    pub format: Format,
    /// In one room at a time: a join moves it, a part takes it back to the
    /// default room (text clients).
    pub single_room: bool,
    /// Choosing its first nickname puts it in the default room.
    pub enters_default_room: bool,
    /// Gets its own room and private lines back (IRC only with echo-message).
    pub echo_own: bool,
    /// Told once, not once per shared room, when someone quits (IRC's QUIT).
    pub quit_once: bool,
    /// Its lines are whole lines of a face with short lines (IRC): see
    /// `Event::Chat`'s `whole`.
    pub whole_lines: bool,
}

/// Lines a session sent while its nickname claim was in flight, in order.
pub type WaitingLines = VecDeque<Result<Vec<u8>, LineFault>>;

/// A room a session is in, and its position in that room's member list.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Seat {
    pub room: RoomId,
    pub idx: usize,
}

/// One connected client, as the chat core sees it.
pub struct Session {
    pub profile: Profile,
    pub phase: Phase,
    /// Last line received; drives the idle timeout.
    pub last_active: Instant,
    /// Rooms held, in the order joined: the last is where a plain `chat` goes.
    pub(crate) seats: Vec<Seat>,
    /// Its position among the `echo` listeners, when it listens.
    pub(crate) echo_idx: Option<usize>,
    /// Marks a client already told of an event sent to several rooms.
    pub(crate) mark: u32,
    /// `--join-rate` tokens, and when they were counted.
    pub(crate) join_tokens: Bucket,
    /// A nickname claim is in flight in the cluster: lines wait in `waiting`.
    pub(crate) claiming: bool,
    pub(crate) waiting: WaitingLines,
}

impl Session {
    /// A new session, waiting for its nickname since `now`.
    pub fn new(profile: Profile, now: Instant) -> Session {
        Session {
            profile,
            phase: Phase::AwaitNick { since: now },
            last_active: now,
            seats: Vec::new(),
            echo_idx: None,
            mark: 0,
            join_tokens: Bucket::default(),
            claiming: false,
            waiting: WaitingLines::new(),
        }
    }

    /// Its nickname, once it has one.
    pub fn nick(&self) -> Option<&str> {
        match &self.phase {
            Phase::Joined { nick } => Some(nick),
            Phase::AwaitNick { .. } => None,
        }
    }
}

/// Longest nickname, in characters.
pub const MAX_NICK_CHARS: usize = 24;

/// Where a connection is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Connected, no nickname yet; closed at `since + nick timeout`.
    AwaitNick { since: Instant },
    /// In the room under this nickname.
    Joined { nick: String },
}

/// Why a nickname was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NickError {
    Empty,
    TooLong,
    BadChar(char),
}

impl std::fmt::Display for NickError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NickError::Empty => f.write_str("a nickname needs at least one character"),
            NickError::TooLong => write!(f, "a nickname has at most {MAX_NICK_CHARS} characters"),
            NickError::BadChar(c) => {
                write!(f, "{c:?} is not allowed in a nickname; use letters, digits, '_', '-' and '.'")
            }
        }
    }
}

/// Checks a proposed nickname and returns it trimmed.
/// Letters and digits of any script are allowed, plus `_`, `-` and `.`.
pub fn parse_nick(raw: &str) -> Result<&str, NickError> {
    let nick = raw.trim();
    check_name(nick, MAX_NICK_CHARS)?;
    Ok(nick)
}

/// The rule nicknames and room names (after their `#`) share: 1 to `max`
/// letters and digits of any script, `_`, `-` and `.`.
pub fn check_name(name: &str, max: usize) -> Result<(), NickError> {
    if name.is_empty() {
        return Err(NickError::Empty);
    }
    if let Some(bad) = name.chars().find(|&c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))) {
        return Err(NickError::BadChar(bad));
    }
    if name.chars().count() > max {
        return Err(NickError::TooLong);
    }
    Ok(())
}

/// The key under which nicknames are unique: case folded, in any script.
pub fn fold_nick(nick: &str) -> String {
    nick.chars().flat_map(char::to_lowercase).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_letters_digits_and_marks_of_any_script() {
        assert_eq!(parse_nick("  alice \t"), Ok("alice"));
        assert_eq!(parse_nick("bob_2-x.y"), Ok("bob_2-x.y"));
        assert_eq!(parse_nick("민수"), Ok("민수"));
        assert_eq!(parse_nick("Ünïcødé"), Ok("Ünïcødé"));
        assert_eq!(parse_nick(&"é".repeat(24)), Ok("é".repeat(24).as_str()));
    }

    #[test]
    fn refuses_empty_long_and_odd_characters() {
        assert_eq!(parse_nick("   "), Err(NickError::Empty));
        assert_eq!(parse_nick(&"a".repeat(25)), Err(NickError::TooLong));
        assert_eq!(parse_nick("al ice"), Err(NickError::BadChar(' ')));
        assert_eq!(parse_nick("/who"), Err(NickError::BadChar('/')));
        assert_eq!(parse_nick("a\u{1b}[31m"), Err(NickError::BadChar('\u{1b}')));
    }

    #[test]
    fn folding_ignores_case_in_any_script() {
        assert_eq!(fold_nick("Alice"), fold_nick("aLICE"));
        assert_eq!(fold_nick("ÄRGER"), fold_nick("ärger"));
        assert_ne!(fold_nick("alice"), fold_nick("alice2"));
    }
}
