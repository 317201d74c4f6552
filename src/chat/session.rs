//! A session: one client as the chat core sees it (its phase, rooms, and
//! the plain data its face sets: format, single room, echo, ...). The
//! nickname rules are `names.rs`.
//!
//! A connection starts in [`Phase::AwaitNick`]; a valid, free nickname moves
//! it to [`Phase::Joined`]. Nothing here does I/O.

use std::collections::VecDeque;
use std::time::Instant;

use super::format::Format;
pub use super::names::{fold_nick, parse_nick, NickError, MAX_NICK_CHARS};
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
    /// Shown kicks, mode changes, bans and invitations (JSON only once it
    /// asked for `moderation`).
    pub moderation_events: bool,
    /// Told of a kick by a leave as well (JSON: its room list follows leaves).
    pub leave_on_kick: bool,
    /// Told of invitations into its rooms sent to others (IRC's invite-notify).
    pub invite_notify: bool,
    /// Told who is typing (JSON `typing`, IRC `message-tags`).
    pub typing: bool,
    /// Told of reactions (text always, JSON `reactions`, IRC `message-tags`).
    pub reactions: bool,
    /// Told of deleted lines (text always, JSON `deletions`, IRC
    /// `draft/message-redaction`).
    pub deletions: bool,
    /// Told when another connection of its account moves a read marker
    /// (JSON `read-markers`, IRC `draft/read-marker`).
    pub read_markers: bool,
    /// How it sees what others send ([`VIEW_ACCOUNT_TAG`],
    /// [`VIEW_EXTENDED_JOIN`] bits; 0 for most): see `Event::AccountView`.
    pub view: u8,
}

/// `Profile::view`: told the sender's account (IRC `account-tag`).
pub const VIEW_ACCOUNT_TAG: u8 = 1;
/// `Profile::view`: JOINs carry the account and realname (IRC `extended-join`).
pub const VIEW_EXTENDED_JOIN: u8 = 2;

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
    /// Answers awaited from the cluster's shared history (a line being
    /// stored, a page being read): lines wait in `waiting` too.
    pub(crate) awaiting: u32,
    pub(crate) waiting: WaitingLines,
    /// Which session this is (ids of closed connections are reused).
    pub(crate) serial: u64,
    /// The account it is signed in to, as registered.
    pub account: Option<String>,
    /// A server operator.
    pub oper: bool,
    /// Its full name, if its face asks for one (IRC's realname).
    pub realname: Option<String>,
    /// Its username, as masks show it (IRC's `~user`), if its face asks for one.
    pub username: Option<String>,
    /// It says it is a bot (IRC's `+B`).
    pub bot: bool,
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
            awaiting: 0,
            waiting: WaitingLines::new(),
            serial: 0,
            account: None,
            oper: false,
            realname: None,
            username: None,
            bot: false,
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

/// Where a connection is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Connected, no nickname yet; closed at `since + nick timeout`.
    AwaitNick { since: Instant },
    /// In the room under this nickname.
    Joined { nick: String },
}
