//! The chat protocol: sessions, rooms, and the dispatch of every line to
//! the handler of its packet type.
//!
//! The [`Hub`] is the reactor's [`Service`]. It never touches a socket: it
//! renders events and queues them through the [`Outbox`]. Text lines are
//! first turned into packets ([`text`]), so both modes share the handlers in
//! [`handlers`], one file per packet type.

pub mod handlers;
pub mod handshake;
pub mod render;
pub mod rooms;
pub mod text;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use log::info;
use serde_json::Value;

use crate::conn::{CloseReason, LineFault, Message, Transport};
use crate::reactor::{ConnId, IoStats, Outbox, Service};
use handshake::{fold_nick, Phase};
use render::{Event, Mode, Rendered, RoomRef, WELCOME};
use rooms::{parse_room, Member, RoomId, Rooms};

/// A protocol error to report to the client: `! code: message` or an error packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub code: &'static str,
    pub message: String,
}

impl Fault {
    pub fn new(code: &'static str, message: String) -> Fault {
        Fault { code, message }
    }
}

/// Every error code the server sends, in the order `/metrics` lists them.
pub const ERROR_CODES: &[&str] = &[
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
];

/// Settings of the protocol layer.
#[derive(Debug, Clone)]
pub struct HubConfig {
    pub max_line: usize,
    pub nick_timeout: Duration,
    pub idle_timeout: Option<Duration>,
    /// Where clients go once they have a nickname; it always exists.
    pub default_room: String,
    /// Rooms at once, the default one not counted.
    pub max_rooms: usize,
    /// Rooms one client may hold besides the default one.
    pub max_rooms_per_client: usize,
}

/// Counters for logs and metrics.
#[derive(Debug, Default, Clone)]
pub struct HubStats {
    /// Non-empty lines received.
    pub lines_in: u64,
    /// Chat and private messages accepted.
    pub messages: u64,
    /// Messages queued to recipients.
    pub deliveries: u64,
    /// Errors sent, indexed like [`ERROR_CODES`].
    pub errors: [u64; ERROR_CODES.len()],
}

/// One connected client, as the protocol sees it.
pub struct Session {
    pub mode: Mode,
    pub phase: Phase,
    /// Last line received; drives the idle timeout.
    pub last_active: Instant,
    /// Rooms held, in the order joined: the last is where a plain `chat` goes.
    rooms: Vec<Held>,
    /// Position in [`Hub::json_conns`] once in JSON mode.
    json_idx: usize,
    /// Marks a client already told of an event sent to several rooms.
    stamp: u32,
}

/// A room a session is in, and its position in that room's member list.
#[derive(Debug, Clone, Copy)]
struct Held {
    room: RoomId,
    idx: usize,
}

/// The rooms and everyone in them.
pub struct Hub {
    pub cfg: HubConfig,
    sessions: Vec<Option<Session>>,
    pub rooms: Rooms,
    /// Folded nickname -> connection.
    nicks: HashMap<String, ConnId>,
    /// Every connection in JSON mode, joined or not (they all receive `echo`).
    json_conns: Vec<ConnId>,
    /// The current mark for [`Session::stamp`].
    stamp: u32,
    pub stats: HubStats,
    pub started: Instant,
    /// The `/help` text, built once.
    help_lines: Vec<String>,
}

impl Hub {
    pub fn new(cfg: HubConfig) -> Hub {
        let help_lines = std::iter::once("commands:".to_string())
            .chain(
                text::COMMANDS
                    .iter()
                    .filter(|c| !c.2.is_empty())
                    .map(|(name, args, what, _)| format!("  /{name}{args} - {what}")),
            )
            .chain(std::iter::once("  //TEXT - send TEXT starting with '/'".to_string()))
            .collect();
        Hub {
            rooms: Rooms::new(&cfg.default_room),
            cfg,
            sessions: Vec::new(),
            nicks: HashMap::new(),
            json_conns: Vec::new(),
            stamp: 0,
            stats: HubStats::default(),
            started: Instant::now(),
            help_lines,
        }
    }

    /// Clients with a nickname.
    pub fn online(&self) -> usize {
        self.nicks.len()
    }

    pub fn session(&self, id: ConnId) -> Option<&Session> {
        self.sessions.get(id).and_then(Option::as_ref)
    }

    fn session_mut(&mut self, id: ConnId) -> Option<&mut Session> {
        self.sessions.get_mut(id).and_then(Option::as_mut)
    }

    /// The nickname of `id`, if joined.
    pub fn nick_of(&self, id: ConnId) -> Option<&str> {
        match &self.session(id)?.phase {
            Phase::Joined { nick } => Some(nick),
            Phase::AwaitNick { .. } => None,
        }
    }

    /// The connection using `nick` (compared case-folded).
    pub fn find_nick(&self, nick: &str) -> Option<ConnId> {
        self.nicks.get(&fold_nick(nick)).copied()
    }

    /// The wire format of `id` (text until decided).
    pub fn mode_of(&self, id: ConnId) -> Mode {
        self.session(id).map_or(Mode::Text, |s| s.mode)
    }

    /// The room a plain `chat` of `id` goes to: the one joined most recently
    /// and still held.
    pub fn current_room(&self, id: ConnId) -> Option<RoomId> {
        self.session(id)?.rooms.last().map(|h| h.room)
    }

    /// Is `id` in `room`?
    pub fn holds(&self, id: ConnId, room: RoomId) -> bool {
        self.session(id).is_some_and(|s| s.rooms.iter().any(|h| h.room == room))
    }

    /// The room named `raw`, which `id` must hold: `room-invalid` or `not-in-room` otherwise.
    pub fn held_room(&self, id: ConnId, raw: &str) -> Result<RoomId, Fault> {
        let name = parse_room(raw).map_err(|e| Fault::new("room-invalid", e.to_string()))?;
        match self.rooms.find(name) {
            Some(room) if self.holds(id, room) => Ok(room),
            _ => Err(Fault::new("not-in-room", format!("you are not in {name}"))),
        }
    }

    /// How events name `room`.
    pub fn room_ref(&self, room: RoomId) -> RoomRef<'_> {
        RoomRef { name: &self.rooms.get(room).name, is_default: self.rooms.is_default(room) }
    }

    /// The nicknames in `room`, sorted case-insensitively.
    pub fn sorted_nicks(&self, room: RoomId) -> Vec<&str> {
        let members = &self.rooms.get(room).members;
        let mut nicks: Vec<&str> = members.iter().filter_map(|m| self.nick_of(m.id)).collect();
        nicks.sort_by_cached_key(|n| (fold_nick(n), n.to_string()));
        nicks
    }

    /// Sends `event` to `id` alone, in its format.
    pub fn reply(&self, id: ConnId, event: &Event, out: &mut Outbox) {
        let Some(session) = self.session(id) else {
            return;
        };
        let mode = session.mode;
        out.send(id, Rendered::new(event).get(mode));
    }

    /// Sends `event` to everyone in `room`, rendered once per format.
    pub fn broadcast(&mut self, room: RoomId, event: &Event, out: &mut Outbox) {
        let rendered = Rendered::new(event);
        let members = &self.rooms.get(room).members;
        for m in members {
            out.send(m.id, rendered.get(m.mode));
        }
        self.stats.deliveries += members.len() as u64;
    }

    /// Relays `text` from joined `id` to everyone in `room`.
    pub fn say(&mut self, id: ConnId, room: RoomId, text: &str, out: &mut Outbox) {
        let Some(Some(Session { phase: Phase::Joined { nick }, .. })) = self.sessions.get(id) else {
            return;
        };
        let r = self.rooms.get(room);
        let event = Event::Chat { from: nick, text, room: &r.name };
        let rendered = Rendered::new(&event);
        for m in &r.members {
            out.send(m.id, rendered.get(m.mode));
        }
        self.stats.deliveries += r.members.len() as u64;
    }

    /// Sends `event` once to `id` and once to everyone sharing a room with it.
    pub fn broadcast_to_sharers(&mut self, id: ConnId, event: &Event, out: &mut Outbox) {
        // 0 is what a fresh session holds, so it is never a current mark.
        self.stamp = self.stamp.checked_add(1).unwrap_or(1);
        let stamp = self.stamp;
        let rendered = Rendered::new(event);
        let Some(me) = self.sessions.get_mut(id).and_then(Option::as_mut) else {
            return;
        };
        me.stamp = stamp;
        out.send(id, rendered.get(me.mode));
        let mut delivered = 1;
        for held in &me.rooms.clone() {
            for m in &self.rooms.get(held.room).members {
                if let Some(s) = self.sessions[m.id].as_mut().filter(|s| s.stamp != stamp) {
                    s.stamp = stamp;
                    out.send(m.id, rendered.get(m.mode));
                    delivered += 1;
                }
            }
        }
        self.stats.deliveries += delivered;
    }

    /// Sends `event` to every JSON-mode connection, joined or not.
    pub fn broadcast_json(&mut self, event: &Event, out: &mut Outbox) {
        let rendered = Rendered::new(event);
        let msg = rendered.get(Mode::Json);
        for &id in &self.json_conns {
            out.send(id, msg);
        }
        self.stats.deliveries += self.json_conns.len() as u64;
    }

    /// Reports `fault` to `id`.
    pub fn fail(&mut self, id: ConnId, fault: &Fault, out: &mut Outbox) {
        if let Some(i) = ERROR_CODES.iter().position(|c| *c == fault.code) {
            self.stats.errors[i] += 1;
        }
        self.reply(id, &Event::Error { code: fault.code, message: &fault.message }, out);
    }

    /// Gives `id` the nickname `nick` (already checked and free) and puts it
    /// in the default room.
    pub fn register(&mut self, id: ConnId, nick: &str, out: &mut Outbox) {
        let Some(session) = self.session_mut(id) else {
            return;
        };
        session.phase = Phase::Joined { nick: nick.to_string() };
        self.nicks.insert(fold_nick(nick), id);
        if let Some(idle) = self.cfg.idle_timeout {
            out.set_timer(id, out.now() + idle);
        }
        self.enter(id, self.rooms.default_id(), out);
    }

    /// Puts joined `id` in `room` (not yet held) and announces it there; the
    /// joiner also gets the topic, if one is set.
    fn enter(&mut self, id: ConnId, room: RoomId, out: &mut Outbox) {
        let Some(session) = self.sessions.get_mut(id).and_then(Option::as_mut) else {
            return;
        };
        let idx = self.rooms.add(room, Member { id, mode: session.mode });
        session.rooms.push(Held { room, idx });
        let Phase::Joined { nick } = &session.phase else {
            return;
        };
        let r = self.rooms.get(room);
        let online = r.members.len();
        info!("{nick} joined {} ({online} online)", r.name);
        let room = RoomRef { name: &r.name, is_default: room == self.rooms.default_id() };
        let event = Event::Join { nick, online, room };
        let rendered = Rendered::new(&event);
        for m in &r.members {
            out.send(m.id, rendered.get(m.mode));
        }
        self.stats.deliveries += online as u64;
        if !r.topic.is_empty() {
            let event = Event::Topic { room: &r.name, topic: &r.topic, by: &r.topic_by, set: false };
            out.send(id, Rendered::new(&event).get(session.mode));
        }
    }

    /// Takes `id` out of `room` and tells those who stay (and `id` itself
    /// when `tell_self`). An emptied room other than the default one ends.
    fn exit(&mut self, id: ConnId, room: RoomId, tell_self: bool, out: &mut Outbox) {
        let Some(session) = self.sessions.get_mut(id).and_then(Option::as_mut) else {
            return;
        };
        let Some(pos) = session.rooms.iter().position(|h| h.room == room) else {
            return;
        };
        let held = session.rooms.remove(pos);
        let mode = session.mode;
        let nick = match &session.phase {
            Phase::Joined { nick } => nick.clone(),
            Phase::AwaitNick { .. } => String::new(),
        };
        let name = self.rooms.get(room).name.clone();
        let is_default = self.rooms.is_default(room);
        let online = self.rooms.get(room).members.len() - 1;
        if let Some(moved) = self.rooms.remove(room, held.idx) {
            let moved =
                self.sessions[moved].as_mut().and_then(|s| s.rooms.iter_mut().find(|h| h.room == room));
            if let Some(h) = moved {
                h.idx = held.idx;
            }
        }
        info!("{nick} left {name} ({online} online)");
        let event = Event::Leave { nick: &nick, online, room: RoomRef { name: &name, is_default } };
        if online > 0 {
            self.broadcast(room, &event, out);
        }
        if tell_self {
            out.send(id, Rendered::new(&event).get(mode));
            self.stats.deliveries += 1;
        }
    }

    /// `/join #room`: enters the room, creating it if needed. A text client
    /// leaves its current room first; others add the room to those they hold.
    pub fn join_room(&mut self, id: ConnId, raw: &str, out: &mut Outbox) -> Result<(), Fault> {
        let name = parse_room(raw).map_err(|e| Fault::new("room-invalid", e.to_string()))?;
        let Some(session) = self.session(id) else {
            return Ok(());
        };
        let target = self.rooms.find(name);
        if target.is_some_and(|room| self.holds(id, room)) {
            return Ok(());
        }
        let single = session.mode.single_room();
        let current = self.current_room(id);
        let into_default = target == Some(self.rooms.default_id());
        if !single && !into_default {
            let held = session.rooms.iter().filter(|h| !self.rooms.is_default(h.room)).count();
            if held >= self.cfg.max_rooms_per_client {
                let max = self.cfg.max_rooms_per_client;
                return Err(Fault::new(
                    "too-many-rooms",
                    format!("you may be in at most {max} rooms besides the default one"),
                ));
            }
        }
        if target.is_none() {
            // A text client alone in its room frees that room by leaving it.
            let freed = single
                && current.is_some_and(|r| !self.rooms.is_default(r) && self.rooms.get(r).members.len() == 1);
            let existing = self.rooms.len() - 1 - usize::from(freed);
            if existing >= self.cfg.max_rooms {
                let max = self.cfg.max_rooms;
                return Err(Fault::new(
                    "too-many-rooms",
                    format!("the server holds at most {max} rooms; join an existing one"),
                ));
            }
        }
        if single {
            if let Some(current) = current {
                self.exit(id, current, false, out);
            }
        }
        let room = self.rooms.find(name).unwrap_or_else(|| self.rooms.create(name));
        self.enter(id, room, out);
        Ok(())
    }

    /// `/part`: a text client goes back to the default room; others leave
    /// the room and get their own `leave`.
    pub fn part_room(&mut self, id: ConnId, room: RoomId, out: &mut Outbox) -> Result<(), Fault> {
        if !self.mode_of(id).single_room() {
            self.exit(id, room, true, out);
            return Ok(());
        }
        if self.rooms.is_default(room) {
            let name = &self.rooms.get(room).name;
            return Err(Fault::new(
                "bad-args",
                format!("you are in the default room {name}; /join #ROOM to move"),
            ));
        }
        self.exit(id, room, false, out);
        self.enter(id, self.rooms.default_id(), out);
        Ok(())
    }

    /// Renames joined `id` to `new` (already checked and free).
    pub fn rename(&mut self, id: ConnId, new: &str, out: &mut Outbox) {
        let Some(old) = self.nick_of(id).map(str::to_string) else {
            return;
        };
        self.nicks.remove(&fold_nick(&old));
        self.nicks.insert(fold_nick(new), id);
        if let Some(session) = self.session_mut(id) {
            session.phase = Phase::Joined { nick: new.to_string() };
        }
        info!("{old} is now known as {new}");
        self.broadcast_to_sharers(id, &Event::Nick { old: &old, new }, out);
    }

    /// Takes `id` out of every room it holds and frees its nickname.
    fn leave(&mut self, id: ConnId, out: &mut Outbox) {
        while let Some(room) = self.current_room(id) {
            self.exit(id, room, false, out);
        }
        let Some(session) = self.session_mut(id) else {
            return;
        };
        if let Phase::Joined { nick } =
            std::mem::replace(&mut session.phase, Phase::AwaitNick { since: out.now() })
        {
            self.nicks.remove(&fold_nick(&nick));
        }
    }

    /// Handles one decoded packet: finds its handler, checks the join gate, runs it.
    fn dispatch(&mut self, id: ConnId, kind: &str, payload: &Value, out: &mut Outbox) {
        let Some(handler) = handlers::find(kind) else {
            let fault = Fault::new("unknown-type", format!("type '{kind}' is not defined"));
            return self.fail(id, &fault, out);
        };
        if handler.needs_join && self.nick_of(id).is_none() {
            let fault = Fault::new("not-joined", "choose a nickname first".into());
            return self.fail(id, &fault, out);
        }
        if let Err(fault) = (handler.handle)(self, id, payload, out) {
            self.fail(id, &fault, out);
        }
    }

    fn on_json_line(&mut self, id: ConnId, line: &str, out: &mut Outbox) {
        let packet: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => return self.fail(id, &Fault::new("bad-json", format!("not valid JSON: {e}")), out),
        };
        let Value::Object(mut map) = packet else {
            let fault = Fault::new("bad-packet", "a packet is a JSON object".into());
            return self.fail(id, &fault, out);
        };
        let Some(Value::String(kind)) = map.remove("type") else {
            let fault = Fault::new("bad-packet", "a packet needs a string \"type\"".into());
            return self.fail(id, &fault, out);
        };
        let payload = map.remove("payload").unwrap_or(Value::Null);
        self.dispatch(id, &kind, &payload, out);
    }

    fn on_text_line(&mut self, id: ConnId, line: &str, out: &mut Outbox) {
        let joined = self.nick_of(id).is_some();
        match text::parse_line(line, joined) {
            Ok((kind, payload)) => self.dispatch(id, kind, &payload, out),
            Err(fault) => self.fail(id, &fault, out),
        }
    }

    fn set_mode(&mut self, id: ConnId, mode: Mode) {
        let json_idx = self.json_conns.len();
        let Some(session) = self.session_mut(id) else {
            return;
        };
        session.mode = mode;
        if mode == Mode::Json {
            session.json_idx = json_idx;
            self.json_conns.push(id);
        }
    }
}

/// Removes control characters (but tab) from text to be relayed, so nobody
/// can move another user's cursor or recolour their terminal.
pub fn sanitize(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(|c| c.is_control() && c != '\t') {
        text.chars().filter(|&c| !c.is_control() || c == '\t').collect::<String>().into()
    } else {
        text.into()
    }
}

impl Service for Hub {
    fn on_open(&mut self, id: ConnId, _transport: Transport, out: &mut Outbox) {
        if self.sessions.len() <= id {
            self.sessions.resize_with(id + 1, || None);
        }
        let now = out.now();
        self.sessions[id] = Some(Session {
            mode: Mode::Undecided,
            phase: Phase::AwaitNick { since: now },
            last_active: now,
            rooms: Vec::new(),
            json_idx: 0,
            stamp: 0,
        });
        out.send(id, &Message::new(WELCOME.to_vec(), render::STREAM_TEXT));
        out.set_timer(id, now + self.cfg.nick_timeout);
    }

    fn on_line(&mut self, id: ConnId, line: Result<&[u8], LineFault>, out: &mut Outbox) {
        let now = out.now();
        let Some(session) = self.session_mut(id) else {
            return;
        };
        session.last_active = now;
        let line = match line {
            Ok(line) => line,
            Err(LineFault::TooLong) => {
                let message = format!(
                    "lines are limited to {} bytes; the rest of this line was discarded",
                    self.cfg.max_line
                );
                return self.fail(id, &Fault::new("line-too-long", message), out);
            }
        };
        let Ok(line) = std::str::from_utf8(line) else {
            let fault = Fault::new("bad-utf8", "the line is not valid UTF-8 and was not relayed".into());
            return self.fail(id, &fault, out);
        };
        if line.trim().is_empty() {
            return;
        }
        let mode = session.mode;
        self.stats.lines_in += 1;
        let mode = match mode {
            Mode::Undecided => {
                let mode = if line.trim_start().starts_with('{') { Mode::Json } else { Mode::Text };
                self.set_mode(id, mode);
                mode
            }
            mode => mode,
        };
        match mode {
            Mode::Json => self.on_json_line(id, line, out),
            _ => self.on_text_line(id, line, out),
        }
    }

    fn on_timer(&mut self, id: ConnId, out: &mut Outbox) {
        let now = out.now();
        let Some(session) = self.session(id) else {
            return;
        };
        let fault = match (&session.phase, self.cfg.idle_timeout) {
            (Phase::AwaitNick { since }, _) => {
                if now < *since + self.cfg.nick_timeout {
                    return out.set_timer(id, *since + self.cfg.nick_timeout);
                }
                let secs = self.cfg.nick_timeout.as_secs_f64();
                Fault::new("nick-timeout", format!("no nickname chosen within {secs} s"))
            }
            (Phase::Joined { .. }, Some(idle)) => {
                if now < session.last_active + idle {
                    return out.set_timer(id, session.last_active + idle);
                }
                Fault::new("idle-timeout", format!("nothing received for {} s", idle.as_secs_f64()))
            }
            (Phase::Joined { .. }, None) => return,
        };
        self.fail(id, &fault, out);
        out.close_after_flush(id, CloseReason::Requested);
    }

    fn on_close(&mut self, id: ConnId, _reason: &CloseReason, out: &mut Outbox) {
        self.leave(id, out);
        let Some(session) = self.sessions.get_mut(id).and_then(Option::take) else {
            return;
        };
        if session.mode == Mode::Json {
            let idx = session.json_idx;
            self.json_conns.swap_remove(idx);
            if let Some(&moved) = self.json_conns.get(idx) {
                if let Some(s) = self.session_mut(moved) {
                    s.json_idx = idx;
                }
            }
        }
    }

    fn on_shutdown(&mut self, out: &mut Outbox) {
        let rendered = Rendered::new(&Event::Shutdown);
        for (id, session) in self.sessions.iter().enumerate() {
            if let Some(session) = session {
                out.send(id, rendered.get(session.mode));
            }
        }
    }

    fn full_notice(&self) -> &[u8] {
        b"! server-full: too many clients are connected; try again later\n"
    }

    fn metrics(&self, io: &IoStats) -> String {
        use std::fmt::Write;
        let mut m = String::with_capacity(2048);
        let mut metric = |name: &str, kind: &str, help: &str, samples: &[(&str, f64)]| {
            let _ = writeln!(m, "# HELP linechat_{name} {help}\n# TYPE linechat_{name} {kind}");
            for (labels, value) in samples {
                let _ = writeln!(m, "linechat_{name}{labels} {value}");
            }
        };
        metric(
            "connections",
            "gauge",
            "Open connections by kind (http: web requests not upgraded).",
            &[
                ("{kind=\"tcp\"}", io.open_tcp as f64),
                ("{kind=\"websocket\"}", io.open_ws as f64),
                ("{kind=\"http\"}", io.open_http as f64),
            ],
        );
        metric("users_joined", "gauge", "Clients with a nickname.", &[("", self.online() as f64)]);
        metric(
            "rooms",
            "gauge",
            "Rooms that exist, the default one included.",
            &[("", self.rooms.len() as f64)],
        );
        metric("connections_accepted_total", "counter", "Connections accepted.", &[("", io.accepted as f64)]);
        metric(
            "lines_received_total",
            "counter",
            "Non-empty lines received.",
            &[("", self.stats.lines_in as f64)],
        );
        metric(
            "messages_received_total",
            "counter",
            "Chat, private and echo messages accepted.",
            &[("", self.stats.messages as f64)],
        );
        metric(
            "deliveries_total",
            "counter",
            "Messages queued to recipients.",
            &[("", self.stats.deliveries as f64)],
        );
        metric("received_bytes_total", "counter", "Bytes read from clients.", &[("", io.bytes_in as f64)]);
        metric("sent_bytes_total", "counter", "Bytes written to clients.", &[("", io.bytes_out as f64)]);
        metric(
            "slow_consumers_dropped_total",
            "counter",
            "Clients dropped for passing --max-outbuf.",
            &[("", io.slow_consumers as f64)],
        );
        metric(
            "accept_fd_exhausted_total",
            "counter",
            "Clients refused because file descriptors ran out.",
            &[("", io.accept_fd_exhausted as f64)],
        );
        metric(
            "http_requests_total",
            "counter",
            "Requests on the web port.",
            &[("", io.http_requests as f64)],
        );
        let labels: Vec<String> = ERROR_CODES.iter().map(|c| format!("{{code=\"{c}\"}}")).collect();
        let errors: Vec<(&str, f64)> = ERROR_CODES
            .iter()
            .zip(&labels)
            .enumerate()
            .map(|(i, (code, label))| {
                let n = if *code == "server-full" { io.rejected_full } else { self.stats.errors[i] };
                (label.as_str(), n as f64)
            })
            .collect();
        metric("protocol_errors_total", "counter", "Errors sent to clients, by code.", &errors);
        metric(
            "uptime_seconds",
            "gauge",
            "Seconds since start.",
            &[("", (self.started.elapsed().as_millis() as f64) / 1000.0)],
        );
        m
    }
}
