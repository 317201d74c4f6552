//! The chat protocol: sessions, rooms, and the dispatch of every line to
//! the handler of its packet type.
//!
//! The [`Hub`] is the reactor's `Service` (in `service.rs`). It never
//! touches a socket: it renders events and queues them through the
//! [`Outbox`]. Text lines are first turned into packets ([`text`]), so both
//! modes share the handlers in [`handlers`], one file per packet type; IRC
//! lines go to `crate::irc`, which uses the same rooms and relays
//! ([`membership`]).

pub mod cluster;
pub mod handlers;
pub mod handshake;
pub mod membership;
mod remote;
pub mod render;
pub mod rooms;
mod scripted;
mod service;
pub mod text;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::irc::IrcState;
use crate::reactor::{Bucket, ConnId, Outbox, Rate};
use handshake::{fold_nick, Phase};
use render::{Event, Mode, Rendered, RoomRef};
use rooms::{parse_room, RoomId, Rooms};

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

    /// `nick-taken`, here or on another node.
    pub fn nick_taken(nick: &str) -> Fault {
        Fault::new("nick-taken", format!("'{nick}' is already in use; choose another"))
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
    "too-many-connections",
    "handler-error",
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
    /// The server's name in IRC replies and user masks.
    pub server_name: String,
    /// Nickname attempts and room joins per second per connection, and
    /// how many at once, when limited.
    pub join_rate: Option<Rate>,
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
    /// IRC connections' own state (registration, capabilities, away).
    pub irc: Option<Box<IrcState>>,
    /// What it says arrives as whole lines of a face with short lines (IRC):
    /// relayed to that face, each is kept one message (cut, never split).
    pub whole_lines: bool,
    /// `--join-rate` tokens, and when they were counted.
    join_tokens: Bucket,
    /// A nickname claim is in flight in the cluster: lines wait in `held`.
    pub(crate) claiming: bool,
    pub(crate) held: cluster::HeldLines,
}

/// A room a session is in, and its position in that room's member list.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Held {
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
    /// The start, in Unix seconds (IRC's 003 shows it).
    pub started_unix: u64,
    /// The `/help` text, built once (and again when handlers reload).
    help_lines: Vec<String>,
    /// Script handlers (`--handlers`), looked up before the built-in ones.
    pub scripts: crate::script::Scripts,
    /// The other nodes and the Redis link, with `--redis`.
    pub cluster: Option<Box<cluster::ClusterHub>>,
}

impl Hub {
    pub fn new(cfg: HubConfig) -> Hub {
        let scripts = crate::script::Scripts::default();
        Hub {
            help_lines: scripted::help_lines(&scripts),
            scripts,
            rooms: Rooms::new(&cfg.default_room),
            cfg,
            sessions: Vec::new(),
            nicks: HashMap::new(),
            json_conns: Vec::new(),
            stamp: 0,
            stats: HubStats::default(),
            started: Instant::now(),
            started_unix: crate::outbox::unix_now(),
            cluster: None,
        }
    }

    /// Clients with a nickname.
    pub fn online(&self) -> usize {
        self.nicks.len()
    }

    pub fn session(&self, id: ConnId) -> Option<&Session> {
        self.sessions.get(id).and_then(Option::as_ref)
    }

    pub(crate) fn session_mut(&mut self, id: ConnId) -> Option<&mut Session> {
        self.sessions.get_mut(id).and_then(Option::as_mut)
    }

    /// The nickname of `id`, if joined.
    pub fn nick_of(&self, id: ConnId) -> Option<&str> {
        match &self.session(id)?.phase {
            Phase::Joined { nick } => Some(nick),
            Phase::AwaitNick { .. } => None,
        }
    }

    /// Every nickname in use, folded, with its connection.
    pub fn nick_table(&self) -> impl Iterator<Item = (&str, ConnId)> {
        self.nicks.iter().map(|(folded, &id)| (folded.as_str(), id))
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
        let r = self.rooms.get(room);
        let mut nicks: Vec<&str> = r.members.iter().filter_map(|m| self.nick_of(m.id)).collect();
        nicks.extend(r.remote.iter().map(String::as_str));
        nicks.sort_by_cached_key(|n| (fold_nick(n), n.to_string()));
        nicks
    }

    /// The server's name, for IRC.
    pub fn server_name(&self) -> &str {
        &self.cfg.server_name
    }

    /// Every joined client's rooms, as room ids, in the order joined.
    pub fn rooms_of(&self, id: ConnId) -> impl Iterator<Item = RoomId> + '_ {
        self.session(id).into_iter().flat_map(|s| s.rooms.iter().map(|h| h.room))
    }

    /// Sends `event` to `id` alone, in its format.
    pub fn reply(&self, id: ConnId, event: &Event, out: &mut Outbox) {
        let Some(session) = self.session(id) else {
            return;
        };
        let mode = session.mode;
        out.send(id, Rendered::new(event, &self.cfg.server_name).get(mode));
    }

    /// A fresh mark for [`Session::stamp`]; 0, what a new session holds, is never one.
    pub(crate) fn next_stamp(&mut self) -> u32 {
        self.stamp = self.stamp.checked_add(1).unwrap_or(1);
        self.stamp
    }

    /// Sends `event` to everyone in `room`, rendered once per format.
    pub fn broadcast(&mut self, room: RoomId, event: &Event, out: &mut Outbox) {
        let rendered = Rendered::new(event, &self.cfg.server_name);
        let members = &self.rooms.get(room).members;
        for m in members {
            out.send(m.id, rendered.get(m.mode));
        }
        self.stats.deliveries += members.len() as u64;
    }

    /// Sends `event` once to `id` and once to everyone sharing a room with it.
    pub fn broadcast_to_sharers(&mut self, id: ConnId, event: &Event, out: &mut Outbox) {
        let stamp = self.next_stamp();
        let rendered = Rendered::new(event, &self.cfg.server_name);
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
        let rendered = Rendered::new(event, &self.cfg.server_name);
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

    /// Counts a nickname attempt or a room join against `--join-rate`:
    /// past it, the connection is not read until its rate allows (the
    /// line in hand is still handled).
    pub fn charge_join(&mut self, id: ConnId, out: &mut Outbox) {
        let Some(rate) = self.cfg.join_rate else { return };
        let now = out.now();
        let Some(session) = self.session_mut(id) else { return };
        rate.refill(&mut session.join_tokens, now);
        rate.spend(&mut session.join_tokens, 1);
        if let Some(resume) = rate.resume_at(&session.join_tokens, now) {
            out.pause_reading(id, resume);
        }
    }

    /// Handles one decoded packet: finds its handler, checks the join gate, runs it.
    fn dispatch(&mut self, id: ConnId, kind: &str, payload: &Value, out: &mut Outbox) {
        if let Some(i) = self.scripts.find(kind) {
            return self.run_script(i, id, payload, out);
        }
        let Some(handler) = handlers::find(kind) else {
            let fault = Fault::new("unknown-type", format!("type '{kind}' is not defined"));
            return self.fail(id, &fault, out);
        };
        if handler.needs_join && self.nick_of(id).is_none() {
            let fault = Fault::new("not-joined", "choose a nickname first".into());
            return self.fail(id, &fault, out);
        }
        if matches!(kind, "nick" | "join") {
            self.charge_join(id, out);
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
        if let Some((i, payload)) = self.text_script(line) {
            return self.run_script(i, id, &payload, out);
        }
        let joined = self.nick_of(id).is_some();
        match text::parse_line(line, joined) {
            Ok((kind, payload)) => self.dispatch(id, kind, &payload, out),
            Err(fault) => self.fail(id, &fault, out),
        }
    }

    /// Checks that the nickname table, the sessions, the rooms' member lists
    /// and the JSON connection list agree. For fuzz targets and tests: the
    /// membership code keeps positions in several lists, and a slip there
    /// shows as a message to the wrong client, not as a crash.
    #[doc(hidden)]
    pub fn check_consistency(&self) -> Result<(), String> {
        let mut joined = 0;
        for (id, s) in self.sessions.iter().enumerate() {
            let Some(s) = s else { continue };
            if let Phase::Joined { nick } = &s.phase {
                joined += 1;
                if self.nicks.get(&fold_nick(nick)) != Some(&id) {
                    return Err(format!("conn {id} is {nick} but the nick table disagrees"));
                }
            }
            for held in &s.rooms {
                let members = &self.rooms.get(held.room).members;
                if members.get(held.idx).map(|m| m.id) != Some(id) {
                    return Err(format!(
                        "conn {id} holds room {} at {} but is not there",
                        held.room, held.idx
                    ));
                }
            }
            if s.mode == Mode::Json && self.json_conns.get(s.json_idx) != Some(&id) {
                return Err(format!("conn {id} is JSON but not at its place in json_conns"));
            }
        }
        if joined != self.nicks.len() {
            return Err(format!("{joined} joined sessions, {} nicknames", self.nicks.len()));
        }
        for room in self.rooms.sorted() {
            let members = &self.rooms.get(room).members;
            if members.is_empty() && self.rooms.get(room).remote.is_empty() && !self.rooms.is_default(room) {
                return Err(format!("room {} is empty but still exists", self.rooms.get(room).name));
            }
            for (idx, m) in members.iter().enumerate() {
                let held = self.session(m.id).and_then(|s| s.rooms.iter().find(|h| h.room == room));
                if held.map(|h| h.idx) != Some(idx) {
                    return Err(format!("room {room} lists conn {} at {idx}, which does not hold it", m.id));
                }
                if self.mode_of(m.id) != m.mode {
                    return Err(format!("room {room} has conn {} in the wrong mode", m.id));
                }
            }
        }
        for (i, &id) in self.json_conns.iter().enumerate() {
            if self.session(id).map(|s| (s.mode, s.json_idx)) != Some((Mode::Json, i)) {
                return Err(format!("json_conns[{i}] = conn {id}, which disagrees"));
            }
        }
        Ok(())
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
