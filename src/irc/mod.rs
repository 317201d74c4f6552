//! The IRC face: IRC clients (irssi, WeeChat, HexChat, bots) in the same
//! rooms as everyone else.
//!
//! Lines arrive from the IRC listener through the Hub; this module parses
//! them ([`parse`]), runs the command ([`commands`]) against the Hub's rooms
//! and relays, and answers with numerics. Events from other faces reach IRC
//! users rendered by [`render`], once per event like every other format.

pub mod commands;
pub mod parse;
pub mod queries;
pub mod register;
pub mod render;

pub use register::{complete_registration, nick_in_use};

use std::io::Write;
use std::time::{Duration, Instant};

use crate::conn::{CloseReason, LineFault, Message};
use crate::proto::handshake::Phase;
use crate::proto::render::STREAM_IRC;
use crate::proto::rooms::RoomId;
use crate::proto::{Hub, Session};
use crate::reactor::{ConnId, Outbox};

/// Longest input line the IRC listener frames: 4096 bytes of tags (IRCv3)
/// and a 512-byte message. Longer lines get 417 and are discarded.
pub const MAX_INPUT_LINE: usize = 4096 + 512;

/// How long an IRC client may stay silent before it is pinged, when
/// `--idle-timeout` is off; it is closed if it stays silent as long again.
pub const DEFAULT_PING_AFTER: Duration = Duration::from_secs(120);

/// What an IRC connection needs beyond a session.
#[derive(Debug, Default)]
pub struct IrcState {
    /// The nickname asked for before registration.
    pub pending_nick: Option<String>,
    /// `USER` was sent.
    pub user_given: bool,
    /// `CAP LS`/`REQ` suspended registration until `CAP END`.
    pub cap_negotiating: bool,
    /// The client asked to get its own messages back.
    pub echo_message: bool,
    /// The away message, when away.
    pub away: Option<String>,
    /// When the server pinged a silent client.
    pub pinged_at: Option<Instant>,
    /// What the others are told when this client leaves.
    pub quit_reason: Option<String>,
}

/// Handles one line from an IRC client.
pub fn on_line(hub: &mut Hub, id: ConnId, line: Result<&[u8], LineFault>, out: &mut Outbox) {
    let Ok(bytes) = line else {
        return numeric(hub, id, out, "417", &[], Some("Input line was too long"));
    };
    let Ok(text) = std::str::from_utf8(bytes) else {
        // UTF8ONLY: say so, naming the command if it can be read (a command
        // is a short word: anything else, even replacement characters that
        // would triple the line's length, is named `*`).
        let lossy = String::from_utf8_lossy(bytes);
        let command = parse::parse(&lossy)
            .ok()
            .map(|l| l.command)
            .filter(|c| c.len() <= 32 && c.bytes().all(|b| b.is_ascii_alphanumeric()))
            .unwrap_or_else(|| "*".to_string());
        let line = format!("FAIL {command} INVALID_UTF8 :Message rejected: it is not valid UTF-8\r\n");
        return send(out, id, line.into_bytes());
    };
    match parse::parse(text) {
        Ok(line) => {
            hub.stats.lines_in += 1;
            commands::run(hub, id, &line, out);
        }
        Err(parse::LineError::Empty) => {}
        Err(parse::LineError::TooLong) => numeric(hub, id, out, "417", &[], Some("Input line was too long")),
    }
}

/// The client's timer: registration deadline, then the ping cycle.
pub fn on_timer(hub: &mut Hub, id: ConnId, out: &mut Outbox) {
    let now = out.now();
    let nick_timeout = hub.cfg.nick_timeout;
    let idle = hub.cfg.idle_timeout.unwrap_or(DEFAULT_PING_AFTER);
    let server = hub.server_name().to_string();
    let Some(session) = hub.session_mut(id) else {
        return;
    };
    let last_active = session.last_active;
    let Some(irc) = session.irc.as_mut() else {
        return;
    };
    match session.phase {
        Phase::AwaitNick { since } => {
            if now < since + nick_timeout {
                return out.set_timer(id, since + nick_timeout);
            }
            irc.quit_reason = Some("Registration timed out".into());
            send(out, id, b"ERROR :Closing Link: registration timed out\r\n".to_vec());
            out.close_after_flush(id, CloseReason::Requested);
        }
        Phase::Joined { .. } => match irc.pinged_at {
            Some(at) if last_active < at && now >= at + idle => {
                let secs = (now - last_active).as_secs();
                irc.quit_reason = Some(format!("Ping timeout: {secs} seconds"));
                send(out, id, format!("ERROR :Closing Link: ping timeout ({secs} seconds)\r\n").into_bytes());
                out.close_after_flush(id, CloseReason::Requested);
            }
            Some(at) if last_active < at => out.set_timer(id, at + idle),
            _ if now >= last_active + idle => {
                irc.pinged_at = Some(now);
                send(out, id, format!("PING :{server}\r\n").into_bytes());
                out.set_timer(id, now + idle);
            }
            _ => {
                irc.pinged_at = None;
                out.set_timer(id, last_active + idle);
            }
        },
    }
}

/// What IRC users are told when the client on `session` goes away.
pub fn quit_reason(session: Option<&Session>, reason: &CloseReason) -> String {
    if let Some(given) = session.and_then(|s| s.irc.as_ref()).and_then(|irc| irc.quit_reason.clone()) {
        return given;
    }
    match reason {
        CloseReason::PeerClosed => "Connection closed".into(),
        CloseReason::Io(kind) => format!("Read error: {kind}"),
        CloseReason::OutputLimit => "Max SendQ exceeded".into(),
        CloseReason::Requested => "Quit".into(),
        CloseReason::Shutdown => "Server shutting down".into(),
    }
}

/// After an IRC user's JOIN: the topic (332/333, nothing when unset) and
/// the names (353/366), as IRC clients expect.
pub fn joined(hub: &Hub, id: ConnId, room: RoomId, out: &mut Outbox) {
    let r = hub.rooms.get(room);
    if !r.topic.is_empty() {
        numeric(hub, id, out, "332", &[&r.name], Some(&r.topic));
        numeric(hub, id, out, "333", &[&r.name, &r.topic_by, &r.topic_at.to_string()], None);
    }
    names(hub, id, room, out);
}

/// 353 lines (as many as the nicknames need) and 366 for `room`.
pub fn names(hub: &Hub, id: ConnId, room: RoomId, out: &mut Outbox) {
    let r = hub.rooms.get(room);
    let nicks = hub.sorted_nicks(room);
    let me = client_name(hub, id);
    let head = format!(":{} 353 {me} = {} :", hub.server_name(), r.name);
    let mut line = head.clone();
    for nick in nicks {
        if line.len() + nick.len() + 1 > render::MAX_LINE && line.len() > head.len() {
            send(out, id, format!("{}\r\n", line.trim_end()).into_bytes());
            line = head.clone();
        }
        line.push_str(nick);
        line.push(' ');
    }
    if line.len() > head.len() {
        send(out, id, format!("{}\r\n", line.trim_end()).into_bytes());
    }
    numeric(hub, id, out, "366", &[&r.name], Some("End of /NAMES list"));
}

/// The name numerics address: the nickname, or `*` before there is one.
pub fn client_name(hub: &Hub, id: ConnId) -> String {
    match hub.nick_of(id) {
        Some(nick) => nick.to_string(),
        None => "*".to_string(),
    }
}

/// Sends `:server CODE client params... [:trailing]` to `id`.
pub fn numeric(hub: &Hub, id: ConnId, out: &mut Outbox, code: &str, params: &[&str], trailing: Option<&str>) {
    let mut b = Vec::with_capacity(64);
    let _ = write!(b, ":{} {code} {}", hub.server_name(), client_name(hub, id));
    for p in params {
        let _ = write!(b, " {p}");
    }
    if let Some(t) = trailing {
        let _ = write!(b, " :{t}");
    }
    // A reply never passes the line limit; only free text can make it long.
    if b.len() > render::MAX_LINE {
        let cut = render::cut(std::str::from_utf8(&b).unwrap_or_default(), render::MAX_LINE).len();
        b.truncate(cut);
    }
    b.extend_from_slice(b"\r\n");
    send(out, id, b);
}

/// Queues one or more complete IRC lines for `id`.
pub fn send(out: &mut Outbox, id: ConnId, line: Vec<u8>) {
    out.send(id, &Message::new(line, STREAM_IRC));
}
