//! The lines face: text lines for nc and scripts, and JSON packets for
//! programs and the chat page, on the chat port, its TLS twin, and over
//! WebSocket on the web port. The first non-empty line decides a
//! connection's mode for its life (`{`: JSON, else text).
//!
//! It owns the greeting, the nickname and idle timeouts, its two parsers
//! (`text.rs`, `json.rs`) and renderers (`render.rs`), `help`, and script
//! handlers (`scripts.rs`, looked up before the built-in types).

pub mod json;
pub mod render;
pub mod render_json;
pub mod scripts;
pub mod text;

use std::time::Duration;

use serde_json::Value;

use crate::chat::accounts::{AccountCommand, Signed, Via};
use crate::chat::cluster::Settled;
use crate::chat::command::{Command, Outcome};
use crate::chat::event::Event;
use crate::chat::fault::Fault;
use crate::chat::render::Format;
use crate::chat::rooms::RoomId;
use crate::chat::session::{Phase, Profile};
use crate::chat::Hub;
use crate::net::{CloseReason, ConnId, LineFault, Message, Outbox, Refusal};
use crate::script::Scripts;
use crate::words::Lang;

/// What a line asks for once parsed.
#[derive(Debug)]
pub enum Request<'a> {
    /// A command of the chat core.
    Chat(Command<'a>),
    /// A text `/ping [TEXT]` (JSON pings carry their payload in the command).
    Ping(Option<&'a str>),
    /// What can be sent (text: the commands; JSON: the packet types).
    Help,
    /// JSON `caps`: the capabilities a client asks for.
    Caps(Vec<&'a str>),
    /// `/lang [CODE]`, a `lang` packet: the languages, or a choice of one.
    Lang(Option<&'a str>),
}

/// The capabilities a JSON client may ask for with `caps`.
pub const CAPS: &[&str] = &["ids", "moderation", "typing", "reactions", "deletions", "read-markers"];

/// The event capabilities a JSON client asked for (`ids` is its mode).
#[derive(Debug, Default, Clone, Copy)]
struct JsonCaps {
    moderation: bool,
    typing: bool,
    reactions: bool,
    deletions: bool,
    read_markers: bool,
}

impl JsonCaps {
    /// What `id`'s session was given so far.
    fn of(hub: &Hub, id: ConnId) -> JsonCaps {
        hub.profile(id).map_or_else(JsonCaps::default, |p| JsonCaps {
            moderation: p.moderation_events,
            typing: p.typing,
            reactions: p.reactions,
            deletions: p.deletions,
            read_markers: p.read_markers,
        })
    }
}

/// What a connection speaks, decided by its first non-empty line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Undecided,
    Text,
    Json,
    /// JSON with the `ids` capability: room lines carry their id and time.
    JsonIds,
}

/// The face's settings.
#[derive(Debug, Clone)]
pub struct LinesConfig {
    /// Longest input line (`--max-line`).
    pub max_line: usize,
    pub nick_timeout: Duration,
    pub idle_timeout: Option<Duration>,
    /// `--motd`: shown once a nickname is taken.
    pub motd: Option<std::sync::Arc<[String]>>,
    /// `--lang`: the language a client reads until it chooses one.
    pub lang: Lang,
}

/// The lines face: settings, formats, every connection's mode, scripts.
pub struct LinesFace {
    pub cfg: LinesConfig,
    /// Per language: the text, JSON and JSON-with-ids formats.
    formats: Vec<[Format; 3]>,
    /// The JSON format in every language (scripts ask whether a client
    /// speaks JSON).
    #[cfg_attr(not(feature = "lua"), allow(dead_code))]
    json: Vec<Format>,
    modes: Vec<Mode>,
    /// Each connection's language.
    langs: Vec<Lang>,
    /// Script handlers (`--handlers`), looked up before the built-in types.
    pub scripts: Scripts,
    /// The `/help` text, built once (and again when handlers reload).
    help_lines: Vec<Vec<String>>,
}

impl LinesFace {
    /// `formats`: per language (by [`Lang`] index), text, JSON, and JSON with ids.
    pub fn new(cfg: LinesConfig, formats: Vec<[Format; 3]>) -> LinesFace {
        let scripts = Scripts::default();
        let help_lines = scripts::help_lines(&scripts);
        let json = formats.iter().map(|f| f[1]).collect();
        LinesFace { cfg, formats, json, modes: Vec::new(), langs: Vec::new(), help_lines, scripts }
    }

    fn lang(&self, id: ConnId) -> Lang {
        self.langs.get(id).copied().unwrap_or(self.cfg.lang)
    }

    /// Text sessions: one room at a time, the default room on a nickname,
    /// their own lines back. JSON sessions hold several rooms.
    fn profile(&self, id: ConnId, mode: Mode, caps: JsonCaps) -> Profile {
        let json = mode != Mode::Text && mode != Mode::Undecided;
        let [text, json_format, json_ids] = self.formats[self.lang(id).0 as usize];
        Profile {
            format: match mode {
                Mode::Json => json_format,
                Mode::JsonIds => json_ids,
                Mode::Text | Mode::Undecided => text,
            },
            single_room: !json,
            enters_default_room: true,
            echo_own: true,
            quit_once: false,
            whole_lines: false,
            moderation_events: !json || caps.moderation,
            leave_on_kick: json,
            invite_notify: false,
            // Text users see reactions as lines, never who is typing.
            typing: json && caps.typing,
            reactions: !json || caps.reactions,
            deletions: !json || caps.deletions,
            // Text users hear only their own /markread.
            read_markers: json && caps.read_markers,
            view: 0,
        }
    }

    fn mode(&self, id: ConnId) -> Mode {
        self.modes.get(id).copied().unwrap_or(Mode::Undecided)
    }

    /// A client connected: greeted (in `lang`, else the server's
    /// language), it has `--nick-timeout` to choose a nickname.
    pub fn open(&mut self, hub: &mut Hub, id: ConnId, lang: Option<Lang>, out: &mut Outbox) {
        if self.modes.len() <= id {
            self.modes.resize(id + 1, Mode::Undecided);
            self.langs.resize(id + 1, Lang::EN);
        }
        self.modes[id] = Mode::Undecided;
        let lang = lang.unwrap_or(self.cfg.lang);
        self.langs[id] = lang;
        let profile = self.profile(id, Mode::Undecided, JsonCaps::default());
        out.send(id, &Message::new(render::welcome(lang), profile.format.0));
        hub.open(id, profile, out.now());
        out.set_timer(id, out.now() + self.cfg.nick_timeout);
    }

    /// A WebSocket opened with `?token=`: a JSON client (it is one of the
    /// site's pages or programs), signed in with the token at once.
    pub fn sign_in_with_token(&mut self, hub: &mut Hub, id: ConnId, token: &str, out: &mut Outbox) {
        self.modes[id] = Mode::Json;
        hub.set_profile(id, self.profile(id, Mode::Json, JsonCaps::default()));
        hub.listen_to_echo(id);
        let cmd = AccountCommand::Token(token);
        if let Err(fault) = hub.run(id, Command::Account { cmd, via: Via::default() }, out) {
            hub.fail(id, &fault, out);
        }
    }

    /// One line from a client of this face.
    pub fn line(&mut self, hub: &mut Hub, id: ConnId, line: Result<&[u8], LineFault>, out: &mut Outbox) {
        hub.heard(id, out.now());
        let line = match line {
            Ok(line) => line,
            Err(LineFault::TooLong) => return hub.fail(id, &Fault::LineTooLong(self.cfg.max_line), out),
        };
        let Ok(line) = std::str::from_utf8(line) else {
            return hub.fail(id, &Fault::BadUtf8, out);
        };
        if line.trim().is_empty() {
            return;
        }
        hub.stats.lines_in += 1;
        let mode = match self.mode(id) {
            Mode::Undecided => {
                let mode = if line.trim_start().starts_with('{') { Mode::Json } else { Mode::Text };
                self.modes[id] = mode;
                hub.set_profile(id, self.profile(id, mode, JsonCaps::default()));
                if mode == Mode::Json {
                    hub.listen_to_echo(id);
                }
                mode
            }
            mode => mode,
        };
        let result = match mode {
            Mode::Text | Mode::Undecided => self.text_line(hub, id, line, out),
            Mode::Json | Mode::JsonIds => self.json_line(hub, id, line, out),
        };
        if let Err(fault) = result {
            hub.fail(id, &fault, out);
        }
    }

    fn json_line(&mut self, hub: &mut Hub, id: ConnId, line: &str, out: &mut Outbox) -> Result<(), Fault> {
        let (kind, payload) = json::packet(line)?;
        if let Some(i) = self.scripts.find(&kind) {
            self.run_script(hub, i, id, &payload, out);
            return Ok(());
        }
        let needs_nick = json::needs_nick(&kind).ok_or_else(|| Fault::UnknownType(kind.clone()))?;
        if needs_nick && hub.nick_of(id).is_none() {
            return Err(Fault::NotJoined);
        }
        let request = json::decode(&kind, &payload)?;
        self.request(hub, id, request, out)
    }

    fn text_line(&mut self, hub: &mut Hub, id: ConnId, line: &str, out: &mut Outbox) -> Result<(), Fault> {
        if let Some((i, payload)) = self.text_script(line) {
            self.run_script(hub, i, id, &payload, out);
            return Ok(());
        }
        let request = text::parse(line, hub.nick_of(id).is_some())?;
        self.request(hub, id, request, out)
    }

    /// Carries out a parsed request, and adds this face's words to its outcome.
    fn request(
        &mut self,
        hub: &mut Hub,
        id: ConnId,
        request: Request,
        out: &mut Outbox,
    ) -> Result<(), Fault> {
        let command = match request {
            Request::Chat(command) => command,
            Request::Ping(text) => {
                let payload = text.map(|t| Value::String(t.to_string()));
                hub.run(id, Command::Ping(payload.as_ref()), out)?;
                return Ok(());
            }
            Request::Help => {
                let types = self.packet_types();
                let lines = &self.help_lines[self.lang(id).0 as usize];
                hub.reply(id, &Event::Help { lines, types: &types }, out);
                return Ok(());
            }
            Request::Caps(asked) => {
                let granted: Vec<&str> = CAPS.iter().copied().filter(|c| asked.contains(c)).collect();
                if granted.contains(&"ids") && self.modes[id] == Mode::Json {
                    self.modes[id] = Mode::JsonIds;
                }
                let had = JsonCaps::of(hub, id);
                let caps = JsonCaps {
                    moderation: had.moderation || granted.contains(&"moderation"),
                    typing: had.typing || granted.contains(&"typing"),
                    reactions: had.reactions || granted.contains(&"reactions"),
                    deletions: had.deletions || granted.contains(&"deletions"),
                    read_markers: had.read_markers || granted.contains(&"read-markers"),
                };
                hub.set_profile(id, self.profile(id, self.modes[id], caps));
                hub.reply(id, &Event::Caps { caps: &granted }, out);
                return Ok(());
            }
            Request::Lang(None) => {
                hub.reply(id, &Event::Langs { yours: self.lang(id) }, out);
                return Ok(());
            }
            Request::Lang(Some(code)) => {
                let Some(lang) = Lang::from_code(code) else {
                    let message = crate::words::say(
                        self.lang(id),
                        "unknown-lang",
                        &[("lang", &code), ("langs", &crate::words::spoken())],
                    );
                    return Err(Fault::BadArgs(message));
                };
                self.langs[id] = lang;
                hub.set_profile(id, self.profile(id, self.modes[id], JsonCaps::of(hub, id)));
                hub.reply(id, &Event::Lang { lang }, out);
                return Ok(());
            }
        };
        if command.needs_nick() && hub.nick_of(id).is_none() {
            return Err(Fault::NotJoined);
        }
        if matches!(command, Command::Nick(_) | Command::Join { .. }) {
            hub.charge_join(id, out);
        }
        match hub.run(id, command, out)? {
            Outcome::Registered => self.registered(hub, id, out),
            Outcome::Joined(room) => {
                self.tell_topic(hub, id, room, out);
                replay(hub, id, room, out);
            }
            Outcome::Done | Outcome::Claiming => {}
        }
        Ok(())
    }

    /// A first nickname taken (and the default room entered): its topic,
    /// if set, and the idle timer.
    fn registered(&self, hub: &mut Hub, id: ConnId, out: &mut Outbox) {
        if let Some(idle) = self.cfg.idle_timeout {
            out.set_timer(id, out.now() + idle);
        }
        if let Some(motd) = &self.cfg.motd {
            hub.reply(id, &Event::Motd { lines: motd }, out);
        }
        if let Some(room) = hub.current_room(id) {
            self.tell_topic(hub, id, room, out);
            replay(hub, id, room, out);
        }
    }

    /// After a join: the room's topic, if one is set.
    fn tell_topic(&self, hub: &mut Hub, id: ConnId, room: RoomId, out: &mut Outbox) {
        let r = hub.rooms.get(room);
        if !r.topic.is_empty() {
            let event = Event::Topic { room: &r.name, topic: &r.topic, by: &r.topic_by, set: false };
            hub.reply(id, &event, out);
        }
    }

    /// The client's timer: the nickname deadline, then the idle timeout.
    pub fn timer(&mut self, hub: &mut Hub, id: ConnId, out: &mut Outbox) {
        let now = out.now();
        let Some(session) = hub.session(id) else {
            return;
        };
        let fault = match (&session.phase, self.cfg.idle_timeout) {
            (Phase::AwaitNick { since }, _) => {
                if now < *since + self.cfg.nick_timeout {
                    return out.set_timer(id, *since + self.cfg.nick_timeout);
                }
                Fault::NickTimeout(self.cfg.nick_timeout.as_secs_f64())
            }
            (Phase::Joined { .. }, Some(idle)) => {
                if now < session.last_active + idle {
                    return out.set_timer(id, session.last_active + idle);
                }
                Fault::IdleTimeout(idle.as_secs_f64())
            }
            (Phase::Joined { .. }, None) => return,
        };
        hub.fail(id, &fault, out);
        out.close_after_flush(id, CloseReason::Requested);
    }

    /// A nickname claim of this face's client was settled in the cluster.
    pub fn settled(&mut self, hub: &mut Hub, settled: &Settled, out: &mut Outbox) {
        match (settled.first, settled.granted) {
            (true, true) => self.registered(hub, settled.id, out),
            (_, false) => hub.fail(settled.id, &Fault::NickTaken(settled.nick.clone()), out),
            (false, true) => {}
        }
    }

    /// An account request of this face's client ended: its answer, and
    /// the greeting of a first nickname when signing in gave it one.
    pub fn signed(&mut self, hub: &mut Hub, signed: &Signed, out: &mut Outbox) {
        match &signed.result {
            Ok((action, account)) => {
                let persistent = hub.accounts_persistent();
                hub.reply(signed.id, &Event::Account { action: *action, account, persistent }, out);
                if signed.registered {
                    self.registered(hub, signed.id, out);
                }
            }
            Err(fault) => hub.fail(signed.id, fault, out),
        }
    }

    /// The connection is gone.
    pub fn close(&mut self, id: ConnId) {
        if let Some(mode) = self.modes.get_mut(id) {
            *mode = Mode::Undecided;
        }
    }

    /// A client from a K-lined address: `! banned` (then closed).
    pub fn refuse_banned(id: ConnId, reason: &str, out: &mut Outbox) {
        let line = format!("! banned: you are banned from this server ({reason})\n");
        out.send(id, &Message::new(line.into_bytes(), crate::faces::TEXT_FORMAT.0));
    }

    /// What a client refused at the door is told.
    pub fn refusal(&self, why: Refusal) -> Vec<u8> {
        let fault = match why {
            Refusal::Full => Fault::ServerFull,
            Refusal::PerAddress => Fault::TooManyConnections,
        };
        format!("! {}: {}\n", fault.code(), fault.message_in(self.cfg.lang)).into_bytes()
    }

    /// Every packet type, built-in and scripted, for the `help` packet.
    pub fn packet_types(&self) -> Vec<&str> {
        let mut types: Vec<&str> = json::BUILTIN_TYPES.to_vec();
        for (name, _) in self.scripts.names() {
            if !types.contains(&name) {
                types.push(name);
            }
        }
        types
    }
}

/// `--join-replay N`: a client entering `room` gets its last N lines, as
/// its format shows history.
fn replay(hub: &mut Hub, id: ConnId, room: RoomId, out: &mut Outbox) {
    let n = hub.store.history.cfg.join_replay;
    if n == 0 || !hub.store.history.enabled() {
        return;
    }
    let r = hub.rooms.get(room);
    if hub.store.history.is_empty(&r.key) {
        return; // Nothing was said there: no empty block on every join.
    }
    let name = r.name.clone();
    let query = crate::store::history::Query::Latest(None);
    if let Err(fault) = hub.run(id, Command::History { room: Some(&name), query, limit: n }, out) {
        hub.fail(id, &fault, out);
    }
}
