//! The IRC face: IRC clients (irssi, WeeChat, HexChat, bots) in the same
//! rooms as everyone else.
//!
//! It owns what is IRC's: the line parser ([`parse`]), registration and
//! CAP ([`register`]), the verbs ([`commands`], [`queries`]), numerics, the
//! ping cycle, quit wording, and each connection's IRC state. Room and
//! message verbs become the chat core's commands; events from every face
//! reach IRC users rendered by [`render`], once per event like every other
//! format.

pub mod accounts;
pub mod caps;
pub mod commands;
pub mod history;
pub mod language;
pub mod moderation;
pub mod notify;
pub mod parse;
pub mod queries;
pub mod register;
pub mod render;
pub mod server_info;

use std::fmt::Write as _;
use std::io::Write;
use std::time::{Duration, Instant};

use crate::chat::cluster::Settled;
use crate::chat::render::Format;
use crate::chat::rooms::RoomId;
use crate::chat::session::{Phase, Profile};
use crate::chat::Hub;
use crate::net::{CloseReason, ConnId, LineFault, Message, Outbox, Refusal};
use crate::words::{self, Lang};
pub use caps::{Caps, CAPS};

/// Longest input line the IRC listener frames: 4096 bytes of tags (IRCv3)
/// and a 512-byte message. Longer lines get 417 and are discarded.
pub const MAX_INPUT_LINE: usize = 4096 + 512;

/// The longest username kept from USER, before its `~` (ISUPPORT `USERLEN`
/// counts the `~` too).
pub const MAX_USERNAME_CHARS: usize = 9;

/// How long an IRC client may stay silent before it is pinged, when
/// `--idle-timeout` is off; it is closed if it stays silent as long again.
pub const DEFAULT_PING_AFTER: Duration = Duration::from_secs(120);

/// What an IRC connection needs beyond its chat session.
#[derive(Debug, Default)]
pub struct IrcState {
    /// The nickname asked for before registration.
    pub pending_nick: Option<String>,
    /// `USER` was sent.
    pub user_given: bool,
    /// `CAP LS`/`REQ` suspended registration until `CAP END`.
    pub cap_negotiating: bool,
    /// The capabilities it negotiated.
    pub caps: Caps,
    /// The away message, when away.
    pub away: Option<String>,
    /// When the server pinged a silent client.
    pub pinged_at: Option<Instant>,
    /// What the others are told when this client leaves.
    pub quit_reason: Option<String>,
    /// A SASL exchange in progress.
    pub sasl: Option<accounts::SaslState>,
    /// The language of its numerics and notices (`LANGUAGE`).
    pub lang: Lang,
    /// It sent `CAP LS 302` (or later): cap-notify is on without asking.
    pub cap_302: bool,
    /// The server password it gave with PASS, when one is asked for.
    pub password_given: bool,
    /// User mode `+i`: not counted among visible users in LUSERS.
    pub invisible: bool,
    /// The nicknames it monitors (folded), at most `--monitor-max`.
    pub monitoring: Vec<String>,
}

/// The face's settings.
#[derive(Debug, Clone, Default)]
pub struct IrcConfig {
    /// Time to register before being disconnected.
    pub nick_timeout: Duration,
    /// Silence before a PING (and as long again before closing); 120 s when off.
    pub idle_timeout: Option<Duration>,
    /// SASL PLAIN on a listener without TLS (`--allow-plain-auth`).
    pub allow_plain_auth: bool,
    /// `--lang`: the language of a client that sends no `LANGUAGE`.
    pub lang: Lang,
    /// `--motd`: the MOTD's lines, instead of the built-in ones.
    pub motd: Option<std::sync::Arc<[String]>>,
    /// The TLS IRC port's port number, when there is one (what `sts` points at).
    pub tls_port: Option<u16>,
    /// `--sts-duration`: how long clients keep to TLS once told (`sts`, off when unset).
    pub sts_duration: Option<Duration>,
    /// `--monitor-max`: the most nicknames one client may MONITOR.
    pub monitor_max: usize,
    /// `--irc-password`: the password PASS must give before NICK and USER.
    pub password: Option<std::sync::Arc<crate::store::passwords::Secret>>,
}

impl IrcConfig {
    /// The `sts` capability's value for a connection (`tls`: over TLS), or
    /// none when the server does not ask for TLS.
    pub fn sts(&self, tls: bool) -> Option<String> {
        let (port, duration) = (self.tls_port?, self.sts_duration?);
        Some(match tls {
            true => format!("duration={}", duration.as_secs()),
            false => format!("port={port},duration={}", duration.as_secs()),
        })
    }
}

/// The IRC face: its settings, its format and every connection's IRC state.
pub struct IrcFace {
    pub cfg: IrcConfig,
    /// Plain, with `@time=`, with `@msgid=`, with both.
    /// Per language (by [`Lang`] index): plain, server-time, message-tags, both.
    formats: Vec<[Format; 4]>,
    states: Vec<Option<IrcState>>,
    /// Batches opened so far (each gets the next number as its reference).
    batches: u64,
    /// History pages asked of the cluster, by key: the label to answer with.
    pub(crate) pages: std::collections::HashMap<u64, (ConnId, Option<String>)>,
    pub(crate) pages_asked: u64,
    /// The page the line being handled asked for and must wait for.
    pub(crate) deferred: Option<u64>,
    /// Who monitors which nicknames (MONITOR).
    pub(crate) watchers: notify::Watchers,
    /// Whether `sts` was last offered (a reload may change it: CAP NEW/DEL).
    pub(crate) sts_announced: bool,
}

impl IrcFace {
    /// `formats`: per language, plain IRC, then with server-time,
    /// message-tags, both.
    pub fn new(cfg: IrcConfig, formats: Vec<[Format; 4]>) -> IrcFace {
        IrcFace {
            cfg,
            formats,
            states: Vec::new(),
            batches: 0,
            pages: Default::default(),
            pages_asked: 0,
            deferred: None,
            watchers: notify::Watchers::default(),
            sts_announced: false,
        }
    }

    /// Every IRC client's state, by connection.
    pub fn registered(&self) -> impl Iterator<Item = (ConnId, &IrcState)> {
        self.states.iter().enumerate().filter_map(|(id, s)| s.as_ref().map(|s| (id, s)))
    }

    /// The end of a turn: watchers told of nicknames that came and went,
    /// and `cap-notify` clients of `sts` coming or going with a reload.
    pub fn turn(&mut self, hub: &mut Hub, out: &mut Outbox) {
        if hub.presence.changed() {
            let changes = hub.presence.take_changes();
            notify::presence_changed(self, hub, &changes, out);
        }
        notify::announce_caps(self, hub, out);
    }

    /// The sessions of this face: one room list per client, never moved,
    /// told of a quit once, lines kept whole; the tags they negotiated.
    pub fn profile(&self, caps: Caps, lang: Lang) -> Profile {
        let formats = &self.formats[lang.0 as usize];
        Profile {
            format: formats[usize::from(caps.server_time) + 2 * usize::from(caps.message_tags)],
            single_room: false,
            enters_default_room: false,
            echo_own: caps.echo_message,
            quit_once: true,
            whole_lines: true,
            moderation_events: true,
            leave_on_kick: false,
            invite_notify: caps.invite_notify,
            typing: caps.message_tags,
            reactions: caps.message_tags,
            deletions: caps.message_redaction,
            read_markers: caps.read_marker,
            view: u8::from(caps.account_tag) * crate::chat::session::VIEW_ACCOUNT_TAG
                + u8::from(caps.extended_join) * crate::chat::session::VIEW_EXTENDED_JOIN,
        }
    }

    /// A fresh batch reference.
    pub(crate) fn next_batch(&mut self) -> String {
        self.batches += 1;
        format!("b{:x}", self.batches)
    }

    /// `id`'s IRC state.
    pub fn state(&mut self, id: ConnId) -> Option<&mut IrcState> {
        self.states.get_mut(id).and_then(Option::as_mut)
    }

    /// Another client's IRC state, if it is an IRC client.
    pub fn get(&self, id: ConnId) -> Option<&IrcState> {
        self.states.get(id).and_then(Option::as_ref)
    }

    /// Silence before a PING.
    pub(crate) fn ping_after(&self) -> Duration {
        self.cfg.idle_timeout.unwrap_or(DEFAULT_PING_AFTER)
    }

    /// A client connected: it speaks first; it has `--nick-timeout` to register.
    pub fn open(&mut self, hub: &mut Hub, id: ConnId, out: &mut Outbox) {
        if self.states.len() <= id {
            self.states.resize_with(id + 1, || None);
        }
        self.states[id] = Some(IrcState { lang: self.cfg.lang, ..IrcState::default() });
        hub.open(id, self.profile(Caps::default(), self.cfg.lang), out.now());
        out.set_timer(id, out.now() + self.cfg.nick_timeout);
    }

    /// One line from an IRC client.
    pub fn line(&mut self, hub: &mut Hub, id: ConnId, line: Result<&[u8], LineFault>, out: &mut Outbox) {
        hub.heard(id, out.now());
        let Ok(bytes) = line else {
            return say(hub, id, out, "417", &[], "irc-input-line-was-too-long", &[]);
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
            let text = "Message rejected: it is not valid UTF-8";
            return fail(out, id, &command, "INVALID_UTF8", &[], text);
        };
        match parse::parse(text) {
            Ok(line) => {
                hub.stats.lines_in += 1;
                commands::run(self, hub, id, &line, out);
            }
            Err(parse::LineError::Empty) => {}
            Err(parse::LineError::TooLong) => {
                say(hub, id, out, "417", &[], "irc-input-line-was-too-long", &[])
            }
        }
    }

    /// The client's timer: registration deadline, then the ping cycle.
    pub fn timer(&mut self, hub: &mut Hub, id: ConnId, out: &mut Outbox) {
        let now = out.now();
        let (nick_timeout, idle) = (self.cfg.nick_timeout, self.ping_after());
        let server = hub.server_name().to_string();
        let Some(session) = hub.session(id) else {
            return;
        };
        let last_active = session.last_active;
        let Some(irc) = self.states.get_mut(id).and_then(Option::as_mut) else {
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
                    send(
                        out,
                        id,
                        format!("ERROR :Closing Link: ping timeout ({secs} seconds)\r\n").into_bytes(),
                    );
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

    /// The client is gone: its state goes; what the others see as its
    /// reason, if it gave one (QUIT, a ping timeout).
    pub fn close(&mut self, id: ConnId) -> Option<String> {
        self.pages.retain(|_, (who, _)| *who != id);
        notify::clear(self, id);
        self.states.get_mut(id).and_then(Option::take).and_then(|s| s.quit_reason)
    }

    /// A nickname claim of this face's client was settled in the cluster.
    pub fn settled(&mut self, hub: &mut Hub, settled: &Settled, out: &mut Outbox) {
        match (settled.first, settled.granted) {
            (true, true) => register::complete_registration(self, hub, settled.id, &settled.nick, out),
            (_, false) => register::nick_in_use(self, hub, settled.id, &settled.nick, out),
            (false, true) => {}
        }
    }

    /// An account request of this face's client ended.
    pub fn signed(&mut self, hub: &mut Hub, signed: &crate::chat::accounts::Signed, out: &mut Outbox) {
        accounts::signed(hub, signed, out);
    }

    /// `id` signed in to `account` or (`None`) out: IRC clients with
    /// `account-notify` sharing a room with it (and itself) get `ACCOUNT`.
    pub fn account_changed(&self, hub: &Hub, id: ConnId, account: Option<&str>, out: &mut Outbox) {
        notify::account_changed(self, hub, id, account, out);
    }

    /// A client from a K-lined address: 465 and `ERROR` (then closed).
    pub fn refuse_banned(hub: &Hub, id: ConnId, reason: &str, out: &mut Outbox) {
        say(hub, id, out, "465", &[], "irc-banned-from-server", &[("reason", &reason)]);
        send(out, id, format!("ERROR :Closing Link: K-lined ({reason})\r\n").into_bytes());
    }

    /// What a client refused at the door is told.
    pub fn refusal(&self, why: Refusal) -> Vec<u8> {
        let key = match why {
            Refusal::Full => "irc-server-full",
            Refusal::PerAddress => "too-many-connections",
        };
        format!("ERROR :Closing link: {}\r\n", words::say(self.cfg.lang, key, &[])).into_bytes()
    }
}

/// What IRC users are told when a client goes away without saying why.
pub fn quit_words(reason: &CloseReason) -> String {
    match reason {
        CloseReason::PeerClosed => "Connection closed".into(),
        CloseReason::Io(kind) => format!("Read error: {kind}"),
        CloseReason::OutputLimit => "Max SendQ exceeded".into(),
        CloseReason::Requested => "Quit".into(),
        CloseReason::Shutdown => "Server shutting down".into(),
    }
}

/// The existing room named `name`, or 403.
pub(super) fn existing_room(hub: &Hub, id: ConnId, name: &str, out: &mut Outbox) -> Option<RoomId> {
    let room = hub.rooms.lookup(name);
    if room.is_none() {
        say(hub, id, out, "403", &[name], "irc-no-such-channel", &[]);
    }
    room
}

/// After an IRC user's JOIN: the topic (332/333, nothing when unset) and
/// the names (353/366), as IRC clients expect.
pub fn joined(face: &IrcFace, hub: &Hub, id: ConnId, room: RoomId, out: &mut Outbox) {
    let r = hub.rooms.get(room);
    if !r.topic.is_empty() {
        numeric(hub, id, out, "332", &[&r.name], Some(&r.topic));
        numeric(hub, id, out, "333", &[&r.name, &r.topic_by, &r.topic_at.to_string()], None);
    }
    names(face, hub, id, room, out);
}

/// 353 lines (as many as the nicknames need) and 366 for `room`.
pub fn names(face: &IrcFace, hub: &Hub, id: ConnId, room: RoomId, out: &mut Outbox) {
    names_lines(face, hub, id, room, out);
    let r = hub.rooms.get(room);
    say(hub, id, out, "366", &[&r.name], "irc-end-of-names-list", &[]);
}

/// The 353 lines for `room`: prefixes (all with `multi-prefix`), and
/// `nick!user@host` with `userhost-in-names`.
pub fn names_lines(face: &IrcFace, hub: &Hub, id: ConnId, room: RoomId, out: &mut Outbox) {
    let r = hub.rooms.get(room);
    let caps = face.get(id).map(|s| s.caps).unwrap_or_default();
    let server = hub.server_name();
    let ranked: Vec<String> = hub
        .sorted_nicks(room)
        .into_iter()
        .map(|nick| {
            let member = hub.find_nick(nick);
            let rank = member.map_or(0, |m| hub.rank_of(m, room));
            let prefix = moderation::prefix(rank, caps.multi_prefix);
            match (caps.userhost_in_names, member) {
                (true, Some(member)) => format!("{prefix}{}", user_mask(hub, member)),
                (true, None) => format!("{prefix}{nick}!{nick}@{server}"),
                (false, _) => format!("{prefix}{nick}"),
            }
        })
        .collect();
    let nicks = ranked.iter().map(String::as_str);
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
}

/// The username masks show for `user`: the one its IRC client gave
/// (`~bob`), else its nickname (users of other faces give none).
pub fn username(hub: &Hub, user: ConnId) -> String {
    let session = hub.session(user);
    match session.and_then(|s| s.username.clone()) {
        Some(name) => name,
        None => session.and_then(|s| s.nick()).unwrap_or("*").to_string(),
    }
}

/// `nick!user@server` for `user`.
pub fn user_mask(hub: &Hub, user: ConnId) -> String {
    format!("{}!{}@{}", hub.nick_of(user).unwrap_or("*"), username(hub, user), hub.server_name())
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

/// A numeric whose trailing text is message `key` of the catalogue, in
/// the client's language.
pub fn say(
    hub: &Hub,
    id: ConnId,
    out: &mut Outbox,
    code: &str,
    params: &[&str],
    key: &str,
    args: &[(&str, &dyn std::fmt::Display)],
) {
    numeric(hub, id, out, code, params, Some(&words::say(hub.lang_of(id), key, args)));
}

/// A standard reply `FAIL COMMAND CODE [CONTEXT...] :text` to `id`.
pub fn fail(out: &mut Outbox, id: ConnId, command: &str, code: &str, context: &[&str], text: &str) {
    let mut line = format!("FAIL {command} {code}");
    for c in context {
        line.push(' ');
        line.push_str(c);
    }
    let _ = write!(line, " :{text}\r\n");
    send(out, id, line.into_bytes());
}

/// Queues one or more complete IRC lines for `id`.
pub fn send(out: &mut Outbox, id: ConnId, line: Vec<u8>) {
    out.send(id, &Message::new(line, super::IRC.0));
}
