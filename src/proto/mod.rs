//! The chat protocol: sessions, the room, and the dispatch of every line to
//! the handler of its packet type.
//!
//! The [`Hub`] is the reactor's [`Service`]. It never touches a socket: it
//! renders events and queues them through the [`Outbox`]. Text lines are
//! first turned into packets ([`text`]), so both modes share the handlers in
//! [`handlers`], one file per packet type.

pub mod handlers;
pub mod handshake;
pub mod render;
pub mod text;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use log::info;
use serde_json::Value;

use crate::conn::{CloseReason, LineFault, Message, Transport};
use crate::reactor::{ConnId, IoStats, Outbox, Service};
use handshake::{fold_nick, Phase};
use render::{Event, Mode, Rendered, WELCOME};

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
    /// Position in [`Hub::members`] while joined.
    member_idx: usize,
    /// Position in [`Hub::json_conns`] once in JSON mode.
    json_idx: usize,
}

/// A joined client, kept flat so a broadcast reads one array.
#[derive(Debug, Clone, Copy)]
struct Member {
    id: ConnId,
    mode: Mode,
}

/// The room and everyone in it.
pub struct Hub {
    pub cfg: HubConfig,
    sessions: Vec<Option<Session>>,
    /// Joined clients, in no particular order.
    members: Vec<Member>,
    /// Folded nickname -> connection.
    nicks: HashMap<String, ConnId>,
    /// Every connection in JSON mode, joined or not (they all receive `echo`).
    json_conns: Vec<ConnId>,
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
            cfg,
            sessions: Vec::new(),
            members: Vec::new(),
            nicks: HashMap::new(),
            json_conns: Vec::new(),
            stats: HubStats::default(),
            started: Instant::now(),
            help_lines,
        }
    }

    pub fn online(&self) -> usize {
        self.members.len()
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

    /// Joined nicknames, sorted case-insensitively.
    pub fn sorted_nicks(&self) -> Vec<&str> {
        let mut nicks: Vec<&str> = self.members.iter().filter_map(|m| self.nick_of(m.id)).collect();
        nicks.sort_by_cached_key(|n| (fold_nick(n), n.to_string()));
        nicks
    }

    /// Sends `event` to `id` alone, in its format.
    pub fn reply(&mut self, id: ConnId, event: &Event, out: &mut Outbox) {
        let Some(session) = self.session(id) else {
            return;
        };
        let mode = session.mode;
        out.send(id, Rendered::new(event).get(mode));
    }

    /// Sends `event` to every joined client, rendered once per format.
    pub fn broadcast(&mut self, event: &Event, out: &mut Outbox) {
        let rendered = Rendered::new(event);
        for m in &self.members {
            out.send(m.id, rendered.get(m.mode));
        }
        self.stats.deliveries += self.members.len() as u64;
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

    /// Puts `id` in the room as `nick` (already checked and free).
    pub fn join(&mut self, id: ConnId, nick: &str, out: &mut Outbox) {
        let member_idx = self.members.len();
        let Some(session) = self.session_mut(id) else {
            return;
        };
        session.phase = Phase::Joined { nick: nick.to_string() };
        session.member_idx = member_idx;
        let mode = session.mode;
        self.members.push(Member { id, mode });
        self.nicks.insert(fold_nick(nick), id);
        if let Some(idle) = self.cfg.idle_timeout {
            out.set_timer(id, out.now() + idle);
        }
        let online = self.online();
        info!("{nick} joined ({online} online)");
        self.broadcast(&Event::Join { nick, online }, out);
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
        self.broadcast(&Event::Nick { old: &old, new }, out);
    }

    /// Takes `id` out of the room, if it was in.
    fn leave(&mut self, id: ConnId, out: &mut Outbox) {
        let Some(session) = self.session_mut(id) else {
            return;
        };
        let Phase::Joined { nick } =
            std::mem::replace(&mut session.phase, Phase::AwaitNick { since: out.now() })
        else {
            return;
        };
        let idx = session.member_idx;
        self.members.swap_remove(idx);
        if let Some(moved) = self.members.get(idx).map(|m| m.id) {
            if let Some(s) = self.session_mut(moved) {
                s.member_idx = idx;
            }
        }
        self.nicks.remove(&fold_nick(&nick));
        let online = self.online();
        info!("{nick} left ({online} online)");
        self.broadcast(&Event::Leave { nick: &nick, online }, out);
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
            member_idx: 0,
            json_idx: 0,
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
        metric(
            "users_joined",
            "gauge",
            "Clients in the room with a nickname.",
            &[("", self.online() as f64)],
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
