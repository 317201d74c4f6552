//! What the chat core tells clients, as typed events: no wire format here.
//! Each face renders them (`faces/*/render.rs`) through the table in
//! `render.rs`, once per format in use, however many clients receive them.

use serde_json::Value;

use crate::store::history::{Entry, MsgId};

/// What happened to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountAction {
    Registered,
    SignedIn,
    SignedOut,
    PasswordChanged,
    Unregistered,
    /// Became a server operator (the account: the operator's name).
    Operator,
}

impl AccountAction {
    /// As the JSON `account` event names it.
    pub fn name(self) -> &'static str {
        match self {
            AccountAction::Registered => "registered",
            AccountAction::SignedIn => "signed-in",
            AccountAction::SignedOut => "signed-out",
            AccountAction::PasswordChanged => "password-changed",
            AccountAction::Unregistered => "unregistered",
            AccountAction::Operator => "operator",
        }
    }
}

/// A stored line's id and time (Unix ms), as the events of that line carry them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub id: MsgId,
    pub time_ms: u64,
}

/// A room as events name it: text lines leave the default room unnamed,
/// as they were before there were rooms.
#[derive(Debug, Clone, Copy)]
pub struct RoomRef<'a> {
    pub name: &'a str,
    pub is_default: bool,
}

/// How a private message was said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Said {
    Plain,
    /// An IRC NOTICE: other faces show it as a plain message.
    Notice,
    /// An action (`/me`).
    Action,
}

/// Whether someone is typing (IRCv3 `+typing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Typing {
    Active,
    Paused,
    Done,
}

impl Typing {
    pub fn name(self) -> &'static str {
        match self {
            Typing::Active => "active",
            Typing::Paused => "paused",
            Typing::Done => "done",
        }
    }

    pub fn from_name(name: &str) -> Option<Typing> {
        Some(match name {
            "active" => Typing::Active,
            "paused" => Typing::Paused,
            "done" => Typing::Done,
            _ => return None,
        })
    }
}

/// A signal about a conversation that is not a line of it: typing, or a
/// reaction to a stored line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal<'a> {
    Typing(Typing),
    /// `emoji` on the line `id` (as every face shows ids).
    React {
        id: &'a str,
        emoji: &'a str,
    },
}

/// One line of a room listing.
pub struct RoomInfo<'a> {
    pub name: &'a str,
    pub online: usize,
    pub topic: &'a str,
}

/// Something the server tells clients.
pub enum Event<'a> {
    Join {
        nick: &'a str,
        online: usize,
        room: RoomRef<'a>,
    },
    /// IRC users see a PART with the reason, or (`quit`) one QUIT line
    /// however many rooms they share with the leaver.
    Leave {
        nick: &'a str,
        online: usize,
        room: RoomRef<'a>,
        reason: Option<&'a str>,
        quit: bool,
    },
    /// `notice`: an IRC NOTICE, shown to other faces as chat. `whole`: the
    /// text was one line of a face with short lines (IRC): a recipient of
    /// that face gets it in one line, cut if the relayed line would pass
    /// the limit, never as two messages; other text is split into as many
    /// lines as it needs, nothing lost.
    Chat {
        from: &'a str,
        text: &'a str,
        room: &'a str,
        notice: bool,
        whole: bool,
    },
    /// An action (`/me waves`) in a room; `whole` as for `Chat`.
    Me {
        from: &'a str,
        text: &'a str,
        room: &'a str,
        whole: bool,
    },
    /// A private message; `whole` as for `Chat`.
    Msg {
        from: &'a str,
        to: &'a str,
        text: &'a str,
        kind: Said,
        whole: bool,
    },
    Nick {
        old: &'a str,
        new: &'a str,
    },
    Who {
        nicks: &'a [&'a str],
        room: RoomRef<'a>,
    },
    /// A topic, as asked for (`set: false`) or as just set by `by`.
    Topic {
        room: &'a str,
        topic: &'a str,
        by: &'a str,
        set: bool,
    },
    Rooms {
        rooms: &'a [RoomInfo<'a>],
    },
    Pong {
        payload: Option<&'a Value>,
    },
    Echo {
        payload: Option<&'a Value>,
    },
    Help {
        lines: &'a [String],
        types: &'a [&'a str],
    },
    /// A fault, told to the client that caused it (in its language).
    Fault {
        fault: &'a super::fault::Fault,
    },
    /// The client's language is now `lang`.
    Lang {
        lang: crate::words::Lang,
    },
    /// The languages spoken here, and the client's.
    Langs {
        yours: crate::words::Lang,
    },
    /// The server's message of the day (`--motd`), once a nickname is taken.
    Motd {
        lines: &'a [String],
    },
    /// An event a script handler sent: `text` for text clients (one
    /// `* ` line per line), else `TYPE: <payload as JSON>`.
    #[cfg_attr(not(feature = "lua"), allow(dead_code))]
    Script {
        kind: &'a str,
        payload: Option<&'a Value>,
        text: Option<&'a str>,
    },
    /// A room line (`Chat`, `Me` or a set `Topic`) with its id and time:
    /// formats that show them do; the others render `event` as it is.
    Stamped {
        stamp: Stamp,
        event: &'a Event<'a>,
    },
    /// A page of a room's history, oldest first; `complete: false` when
    /// lines between the reference and the page were dropped.
    History {
        room: &'a str,
        items: &'a [&'a Entry],
        complete: bool,
    },
    /// `from` is typing, or reacted, in the room `to` (`room`) or to the
    /// user `to`; a reaction carries the author and text of the line it is
    /// about when the room's history still has it.
    Signal {
        from: &'a str,
        to: &'a str,
        room: bool,
        signal: Signal<'a>,
        quoted: Option<(&'a str, &'a str)>,
    },
    /// Where the account has read `room` up to (none yet: `time_ms` none).
    MarkRead {
        room: &'a str,
        time_ms: Option<u64>,
        id: Option<&'a str>,
    },
    /// `by` deleted the line `id` of `author` in `room` (a tombstone now).
    Delete {
        room: &'a str,
        id: &'a str,
        by: &'a str,
        author: &'a str,
    },
    /// `by` kicked `nick` out of `room`.
    Kick {
        room: RoomRef<'a>,
        by: &'a str,
        nick: &'a str,
        reason: &'a str,
    },
    /// Modes set by `by` (`set`), or a room's modes as asked for (`by` empty).
    Mode {
        room: RoomRef<'a>,
        by: &'a str,
        modes: &'a str,
        set: bool,
    },
    /// A ban (or mute) set or lifted.
    Ban {
        room: RoomRef<'a>,
        by: &'a str,
        mask: &'a str,
        set: bool,
        mute: bool,
        until_ms: Option<u64>,
        reason: &'a str,
    },
    /// `by` invited `nick` into `room` (to both).
    Invite {
        room: &'a str,
        by: &'a str,
        nick: &'a str,
    },
    /// Who someone is, as asked for.
    Whois {
        nick: &'a str,
        account: Option<&'a str>,
        oper: bool,
        rooms: &'a [&'a str],
    },
    /// A room's members with their ranks (`moderation::OP`, `VOICE`), sorted.
    Members {
        room: RoomRef<'a>,
        members: &'a [(&'a str, u8)],
    },
    /// A room's bans and mutes, as asked for.
    Bans {
        room: &'a str,
        bans: &'a [&'a super::rules::Ban],
    },
    /// A K-line set or lifted (to the operator).
    Kline {
        mask: &'a str,
        set: bool,
        until_ms: Option<u64>,
        reason: &'a str,
    },
    /// `event` as IRC clients that asked for more see it (`Profile::view`):
    /// with `tag`, the sender's `account` as an `@account=` tag; with
    /// `extended`, a JOIN that carries the account (`*`: none) and
    /// realname. Other faces render `event` itself.
    AccountView {
        account: Option<&'a str>,
        realname: &'a str,
        tag: bool,
        extended: bool,
        event: &'a Event<'a>,
    },
    /// An account's certificate fingerprints, and the connection's own
    /// certificate's (to the asker).
    CertFps {
        account: &'a str,
        fingerprints: &'a [String],
        yours: Option<&'a str>,
    },
    /// A room registered to an account (`Some`), or no longer (to the asker).
    Claim {
        room: &'a str,
        account: Option<&'a str>,
    },
    /// The K-lines, as asked for.
    KlineList {
        klines: &'a [&'a super::rules::Kline],
    },
    /// What happened to the client's account (to that client).
    /// `persistent`: accounts survive a restart here (`--db`, a cluster).
    Account {
        action: AccountAction,
        account: &'a str,
        persistent: bool,
    },
    /// What a client's `caps` request was granted.
    Caps {
        caps: &'a [&'a str],
    },
    Bye,
    Shutdown,
    Error {
        code: &'a str,
        message: &'a str,
    },
}

impl<'a> Event<'a> {
    /// This event with `stamp` (as [`Event::Stamped`], made in `slot`), or
    /// as it is when there is none.
    pub fn stamped(&'a self, stamp: Option<Stamp>, slot: &'a mut Option<Event<'a>>) -> &'a Event<'a> {
        match stamp {
            Some(stamp) => slot.insert(Event::Stamped { stamp, event: self }),
            None => self,
        }
    }
}
