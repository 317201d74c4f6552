//! Notes: what one node tells the others on the cluster channel, and their
//! wire form. Every note is stamped with its node, the node's epoch (its
//! start, so a restarted node is a new one) and a sequence number, so a
//! receiver sees gaps (dropped or lost publications) and asks for a resync.
//!
//! The form is one line of fields split by the ASCII unit separator (0x1F);
//! lists use the record (0x1E) and group (0x1D) separators. Relayed text
//! never holds those (control characters are stripped before relaying);
//! should one slip in, it is sent as a space.

/// The format version, first field of every note.
const VERSION: &str = "lc1";
const UNIT: char = '\u{1f}';
const RECORD: char = '\u{1e}';
const GROUP: char = '\u{1d}';

/// Who sent a note, and where it stands in that node's sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    pub node: String,
    pub epoch: u64,
    pub seq: u64,
}

/// How something was said in a room or privately.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Said {
    Plain,
    Notice,
    Action,
}

/// One user of a node, as a burst lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BurstUser {
    pub nick: String,
    /// When the nick was claimed (Unix ms): the older claim wins a collision.
    pub claimed_ms: u64,
    /// Room names, in the order joined.
    pub rooms: Vec<String>,
}

/// A room's topic, as a burst carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicState {
    pub room: String,
    pub topic: String,
    pub by: String,
    pub at: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// A node (re)connected: the others burst their state to it.
    Hello,
    /// A node is alive (sent every fifth of the presence TTL).
    Beat,
    /// Everything a node holds: its users and the topics of its rooms.
    Burst {
        users: Vec<BurstUser>,
        topics: Vec<TopicState>,
    },
    /// Asks every node to burst (a receiver saw a gap in someone's sequence).
    Sync,
    Join {
        nick: String,
        room: String,
    },
    /// `part`: the user parted (it sees its own leave); else it moved rooms.
    Leave {
        nick: String,
        room: String,
        reason: Option<String>,
        part: bool,
    },
    Quit {
        nick: String,
        reason: String,
    },
    /// `whole`: the text was one IRC line (see `said_code`).
    Say {
        nick: String,
        room: String,
        text: String,
        said: Said,
        whole: bool,
    },
    Msg {
        from: String,
        to: String,
        text: String,
        said: Said,
        whole: bool,
    },
    Rename {
        old: String,
        new: String,
    },
    Topic {
        nick: String,
        room: String,
        topic: String,
        at: u64,
    },
    /// An `echo` packet, its payload as JSON text (empty: none).
    Echo {
        json: String,
    },
    /// An account registered or changed (`account`), or removed (`None`),
    /// by its folded name.
    Account {
        key: String,
        account: Option<crate::store::accounts::Account>,
    },
    /// A registered room's record (JSON, `store::rules::SavedRoom`), or
    /// its registration dropped (`None`), by its folded name.
    RoomRules {
        key: String,
        json: Option<String>,
    },
    /// A K-line set (JSON, `store::rules::SavedKline`) or lifted, by its mask.
    Kline {
        mask: String,
        json: Option<String>,
    },
    /// `by` kicked `nick` from `room`: shown everywhere, carried out by
    /// the node `nick` is on.
    Kick {
        room: String,
        by: String,
        nick: String,
        reason: String,
    },
    /// `by` changed `room`'s modes (as shown: `+m-t+o bob`): shown
    /// everywhere; ranks given to a node's own users are applied there.
    Mode {
        room: String,
        by: String,
        modes: String,
    },
    /// `by` set (`set`) or lifted a ban (`mute`: a mute) on `mask` in `room`: shown everywhere.
    Ban {
        room: String,
        by: String,
        mask: String,
        set: bool,
        mute: bool,
        until_ms: Option<u64>,
        reason: String,
    },
    /// `room`'s modes, bans and topic as they now are (JSON, as a
    /// `store::rules::SavedRoom` without a founder), for every node to hold.
    LiveRules {
        room: String,
        json: String,
    },
}

fn push(out: &mut String, field: &str) {
    out.push(UNIT);
    clean(out, field);
}

fn clean(out: &mut String, field: &str) {
    if field.contains([UNIT, RECORD, GROUP]) {
        out.extend(field.chars().map(|c| if matches!(c, UNIT | RECORD | GROUP) { ' ' } else { c }));
    } else {
        out.push_str(field);
    }
}

/// How it was said, in one letter: upper case when the text was one whole
/// IRC line (cut, never split, for IRC recipients).
fn said_code(s: Said, whole: bool) -> &'static str {
    match (s, whole) {
        (Said::Plain, false) => "p",
        (Said::Notice, false) => "n",
        (Said::Action, false) => "a",
        (Said::Plain, true) => "P",
        (Said::Notice, true) => "N",
        (Said::Action, true) => "A",
    }
}

fn said_of(s: &str) -> Option<(Said, bool)> {
    let said = match s.to_ascii_lowercase().as_str() {
        "p" => Said::Plain,
        "n" => Said::Notice,
        "a" => Said::Action,
        _ => return None,
    };
    Some((said, s.bytes().all(|b| b.is_ascii_uppercase())))
}

impl Note {
    /// The note's wire form, stamped.
    pub fn encode(&self, stamp: &Stamp) -> Vec<u8> {
        let mut out = String::with_capacity(64);
        out.push_str(VERSION);
        push(&mut out, &stamp.node);
        push(&mut out, &stamp.epoch.to_string());
        push(&mut out, &stamp.seq.to_string());
        match self {
            Note::Hello => push(&mut out, "hello"),
            Note::Beat => push(&mut out, "beat"),
            Note::Sync => push(&mut out, "sync"),
            Note::Burst { users, topics } => {
                push(&mut out, "burst");
                out.push(UNIT);
                for (i, u) in users.iter().enumerate() {
                    if i > 0 {
                        out.push(GROUP);
                    }
                    clean(&mut out, &u.nick);
                    out.push(RECORD);
                    out.push_str(&u.claimed_ms.to_string());
                    for room in &u.rooms {
                        out.push(RECORD);
                        clean(&mut out, room);
                    }
                }
                out.push(UNIT);
                for (i, t) in topics.iter().enumerate() {
                    if i > 0 {
                        out.push(GROUP);
                    }
                    for (j, f) in [&t.room, &t.topic, &t.by, &t.at.to_string()].into_iter().enumerate() {
                        if j > 0 {
                            out.push(RECORD);
                        }
                        clean(&mut out, f);
                    }
                }
            }
            Note::Join { nick, room } => {
                for f in ["join", nick, room] {
                    push(&mut out, f);
                }
            }
            Note::Leave { nick, room, reason, part } => {
                let flag = match (part, reason) {
                    (false, _) => "m",
                    (true, None) => "p",
                    (true, Some(_)) => "r",
                };
                for f in ["leave", nick, room, flag, reason.as_deref().unwrap_or("")] {
                    push(&mut out, f);
                }
            }
            Note::Quit { nick, reason } => {
                for f in ["quit", nick, reason] {
                    push(&mut out, f);
                }
            }
            Note::Say { nick, room, text, said, whole } => {
                for f in ["say", nick, room, said_code(*said, *whole), text] {
                    push(&mut out, f);
                }
            }
            Note::Msg { from, to, text, said, whole } => {
                for f in ["msg", from, to, said_code(*said, *whole), text] {
                    push(&mut out, f);
                }
            }
            Note::Rename { old, new } => {
                for f in ["rename", old, new] {
                    push(&mut out, f);
                }
            }
            Note::Topic { nick, room, topic, at } => {
                for f in ["topic", nick, room, &at.to_string(), topic] {
                    push(&mut out, f);
                }
            }
            Note::Echo { json } => {
                push(&mut out, "echo");
                push(&mut out, json);
            }
            Note::Account { key, account } => {
                push(&mut out, "account");
                push(&mut out, key);
                if let Some(a) = account {
                    for f in [&a.name, &a.hash, &a.certfps.join(" "), &a.created_ms.to_string()] {
                        push(&mut out, f);
                    }
                }
            }
            Note::Kick { room, by, nick, reason } => {
                for f in ["kick", room, by, nick, reason] {
                    push(&mut out, f);
                }
            }
            Note::Mode { room, by, modes } => {
                for f in ["mode", room, by, modes] {
                    push(&mut out, f);
                }
            }
            Note::Ban { room, by, mask, set, mute, until_ms, reason } => {
                let until = until_ms.map(|u| u.to_string()).unwrap_or_default();
                let flags = format!("{}{}", u8::from(*set), u8::from(*mute));
                for f in ["ban", room, by, mask, &flags, &until, reason] {
                    push(&mut out, f);
                }
            }
            Note::LiveRules { room, json } => {
                for f in ["live-rules", room, json] {
                    push(&mut out, f);
                }
            }
            Note::RoomRules { key: name, json } | Note::Kline { mask: name, json } => {
                push(&mut out, if matches!(self, Note::Kline { .. }) { "kline" } else { "room-rules" });
                push(&mut out, name);
                if let Some(json) = json {
                    push(&mut out, json);
                }
            }
        }
        out.into_bytes()
    }

    /// Reads a note; `None` for anything malformed (or from a newer format).
    pub fn decode(bytes: &[u8]) -> Option<(Stamp, Note)> {
        let text = std::str::from_utf8(bytes).ok()?;
        let mut f = text.split(UNIT);
        if f.next()? != VERSION {
            return None;
        }
        // Outside a burst's lists, a field holds no separator (what encoding
        // would make a space): anything else is malformed.
        let plain = |x: &str| (!x.contains([RECORD, GROUP])).then(|| x.to_string());
        let stamp =
            Stamp { node: plain(f.next()?)?, epoch: f.next()?.parse().ok()?, seq: f.next()?.parse().ok()? };
        let kind = f.next()?;
        let burst = kind == "burst";
        let mut s = || f.next().and_then(|x| if burst { Some(x.to_string()) } else { plain(x) });
        let note = match kind {
            "hello" => Note::Hello,
            "beat" => Note::Beat,
            "sync" => Note::Sync,
            "burst" => {
                let users_field = s()?;
                let topics_field = s()?;
                let mut users = Vec::new();
                for u in users_field.split(GROUP).filter(|u| !u.is_empty()) {
                    let mut r = u.split(RECORD);
                    let nick = r.next()?.to_string();
                    let claimed_ms = r.next()?.parse().ok()?;
                    users.push(BurstUser { nick, claimed_ms, rooms: r.map(str::to_string).collect() });
                }
                let mut topics = Vec::new();
                for t in topics_field.split(GROUP).filter(|t| !t.is_empty()) {
                    let mut r = t.split(RECORD);
                    let (room, topic, by) = (r.next()?.into(), r.next()?.into(), r.next()?.into());
                    topics.push(TopicState { room, topic, by, at: r.next()?.parse().ok()? });
                }
                Note::Burst { users, topics }
            }
            "join" => Note::Join { nick: s()?, room: s()? },
            "leave" => {
                let (nick, room, flag, reason) = (s()?, s()?, s()?, s()?);
                let (part, reason) = match flag.as_str() {
                    "m" => (false, None),
                    "p" => (true, None),
                    "r" => (true, Some(reason)),
                    _ => return None,
                };
                Note::Leave { nick, room, reason, part }
            }
            "quit" => Note::Quit { nick: s()?, reason: s()? },
            "say" => {
                let (nick, room, (said, whole), text) = (s()?, s()?, said_of(&s()?)?, s()?);
                Note::Say { nick, room, text, said, whole }
            }
            "msg" => {
                let (from, to, (said, whole), text) = (s()?, s()?, said_of(&s()?)?, s()?);
                Note::Msg { from, to, text, said, whole }
            }
            "rename" => Note::Rename { old: s()?, new: s()? },
            "topic" => {
                let (nick, room, at, topic) = (s()?, s()?, s()?.parse().ok()?, s()?);
                Note::Topic { nick, room, topic, at }
            }
            "echo" => Note::Echo { json: s()? },
            "account" => {
                let key = s()?;
                let account = match s() {
                    None => None,
                    Some(name) => Some(crate::store::accounts::Account {
                        name,
                        hash: s()?.to_string(),
                        certfps: s()?.split_whitespace().map(str::to_string).collect(),
                        created_ms: s()?.parse().ok()?,
                    }),
                };
                Note::Account { key, account }
            }
            "room-rules" => Note::RoomRules { key: s()?, json: s() },
            "kline" => Note::Kline { mask: s()?, json: s() },
            "kick" => Note::Kick { room: s()?, by: s()?, nick: s()?, reason: s()? },
            "mode" => Note::Mode { room: s()?, by: s()?, modes: s()? },
            "ban" => {
                let (room, by, mask, flags, until) = (s()?, s()?, s()?, s()?, s()?);
                let (set, mute) = match flags.as_str() {
                    "00" => (false, false),
                    "01" => (false, true),
                    "10" => (true, false),
                    "11" => (true, true),
                    _ => return None,
                };
                let until_ms = if until.is_empty() { None } else { Some(until.parse().ok()?) };
                Note::Ban { room, by, mask, set, mute, until_ms, reason: s()? }
            }
            "live-rules" => Note::LiveRules { room: s()?, json: s()? },
            _ => return None,
        };
        Some((stamp, note))
    }
}

#[cfg(test)]
#[path = "note_tests.rs"]
mod tests;
