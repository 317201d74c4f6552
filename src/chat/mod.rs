//! The chat core: sessions, nicknames, rooms, what is said in them, and the
//! cluster's view of other nodes. It speaks in typed commands
//! ([`command::Command`]) and typed events ([`event::Event`]), reports
//! errors as one enum ([`fault::Fault`]), and knows no wire format: faces
//! parse their input into commands and register the renderers of their
//! formats (`render.rs`). It never touches a socket: output is queued
//! through the loop's [`Outbox`].
//!
//! - `moderation.rs`: room operators, kicks, bans, mutes, invites, modes;
//!   `masks.rs`: ban masks; `rules.rs`: ranks, bans, modes and K-lines as
//!   plain data; `opers.rs`: server operators, kills, K-lines.
//! - `accounts.rs`: registering, signing in and out, registered names;
//!   `tokens.rs`: sign-in tokens (JWT, HS256) from the site embedding linechat.
//! - `session.rs`: a session; `names.rs`: the nickname rules; `rooms.rs`: rooms.
//! - `command.rs`: the commands every face shares, and their outcomes.
//! - `membership.rs`: nicknames, joins, leaves, renames; `speech.rs`: what
//!   is said in rooms and privately, topics.
//! - `history.rs`: recording room lines in the store, and reading them back.
//! - `deliver.rs`: sending an event to one, a room, or everyone sharing a
//!   room with someone (each once).
//! - `cluster.rs` and `remote.rs`: the glue to other nodes (`crate::cluster`);
//!   `shared_history.rs` and `shared_pages.rs`: history kept in the cluster's
//!   Redis streams, written and read; `shared_accounts.rs`: accounts kept in Redis.
//! - `invariants.rs`: the consistency check the fuzz targets run.

pub mod accounts;
pub mod certificates;
pub mod cluster;
pub mod command;
mod deliver;
pub mod event;
pub mod fault;
pub mod format;
mod history;
mod invariants;
pub mod markers;
pub mod masks;
pub mod membership;
pub mod moderation;
mod modes;
pub mod names;
pub mod opers;
pub mod presence;
pub mod private_history;
pub mod registration;
mod remote;
pub mod render;
pub mod rooms;
pub mod rules;
pub mod session;
pub mod shared_accounts;
pub mod shared_history;
mod shared_moderation;
mod shared_pages;
pub mod shared_rules;
pub mod signals;
mod speech;
pub mod tokens;

use std::collections::HashMap;
use std::time::Instant;

use crate::net::{ConnId, Outbox, Rate};
use crate::store::history::HistoryConfig;
use crate::store::Store;
use event::{Event, RoomRef};
use fault::Fault;
use render::{Rendered, Renderers};
use rooms::{parse_room, RoomId, Rooms};
use session::{fold_nick, Profile, Session};

/// Settings of the chat core.
#[derive(Debug, Clone)]
pub struct ChatConfig {
    /// Where clients go once they have a nickname; it always exists.
    pub default_room: String,
    /// Rooms at once, the default one not counted.
    pub max_rooms: usize,
    /// Rooms one client may hold besides the default one.
    pub max_rooms_per_client: usize,
    /// Nickname attempts and room joins per second per connection, and
    /// how many at once, when limited.
    pub join_rate: Option<Rate>,
}

/// Counters for logs and metrics.
#[derive(Debug, Default, Clone)]
pub struct ChatStats {
    /// Non-empty lines received.
    pub lines_in: u64,
    /// Chat and private messages accepted.
    pub messages: u64,
    /// Messages queued to recipients.
    pub deliveries: u64,
    /// Errors sent, indexed like [`fault::CODES`].
    pub errors: [u64; fault::CODES.len()],
}

/// The rooms and everyone in them.
pub struct Hub {
    pub cfg: ChatConfig,
    sessions: Vec<Option<Session>>,
    pub rooms: Rooms,
    /// Folded nickname -> connection.
    nicks: HashMap<String, ConnId>,
    /// Every connection that hears `echo` (JSON clients, joined or not).
    echo_listeners: Vec<ConnId>,
    /// The current mark for [`Session::mark`].
    mark: u32,
    pub stats: ChatStats,
    pub started: Instant,
    /// The start, in Unix seconds.
    pub started_unix: u64,
    /// Every face's renderer.
    pub renderers: Renderers,
    /// The other nodes and the Redis link, with `--redis`.
    pub cluster: Option<Box<cluster::ClusterHub>>,
    /// Nickname claims the cluster settled since the faces last looked.
    settled: Vec<cluster::Settled>,
    /// What rooms remember: history and topics (memory, or a file with `--db`).
    pub store: Store,
    /// The last session serial given (see `Session::serial`).
    serial: u64,
    /// Sessions whose awaited cluster answers all came: their waiting lines go on.
    resumed: Vec<ConnId>,
    /// Pages of shared history that came from the cluster for a face.
    answers: Vec<shared_history::HistoryAnswer>,
    /// Account requests in flight and answered.
    pub signins: accounts::SignIns,
    /// Server operators' file and the K-lines.
    pub opers: opers::Opers,
    /// Nicknames coming and going, and those who left.
    pub presence: presence::Presence,
}

impl Hub {
    pub fn new(cfg: ChatConfig, renderers: Renderers) -> Hub {
        Hub {
            rooms: Rooms::new(&cfg.default_room),
            cfg,
            sessions: Vec::new(),
            nicks: HashMap::new(),
            echo_listeners: Vec::new(),
            mark: 0,
            stats: ChatStats::default(),
            started: Instant::now(),
            started_unix: crate::clock::unix_now(),
            renderers,
            cluster: None,
            settled: Vec::new(),
            store: Store::memory(HistoryConfig::default(), crate::clock::unix_ms()),
            serial: 0,
            resumed: Vec::new(),
            answers: Vec::new(),
            signins: accounts::SignIns::default(),
            opers: opers::Opers::default(),
            presence: presence::Presence::default(),
        }
    }

    /// A new session for `id`, waiting for its nickname.
    pub fn open(&mut self, id: ConnId, profile: Profile, now: Instant) {
        if self.sessions.len() <= id {
            self.sessions.resize_with(id + 1, || None);
        }
        let mut session = Session::new(profile, now);
        self.serial += 1;
        session.serial = self.serial;
        self.sessions[id] = Some(session);
    }

    /// `id` is gone: it leaves every room (those sharing one see `reason`),
    /// frees its nickname, and its session ends.
    pub fn close(&mut self, id: ConnId, reason: &str, out: &mut Outbox) {
        self.cluster_close(id);
        self.leave(id, reason, out);
        let Some(session) = self.sessions.get_mut(id).and_then(Option::take) else {
            return;
        };
        if let Some(idx) = session.echo_idx {
            self.echo_listeners.swap_remove(idx);
            if let Some(&moved) = self.echo_listeners.get(idx) {
                if let Some(s) = self.session_mut(moved) {
                    s.echo_idx = Some(idx);
                }
            }
        }
    }

    /// Clients with a nickname.
    pub fn online(&self) -> usize {
        self.nicks.len()
    }

    pub fn session(&self, id: ConnId) -> Option<&Session> {
        self.sessions.get(id).and_then(Option::as_ref)
    }

    pub fn session_mut(&mut self, id: ConnId) -> Option<&mut Session> {
        self.sessions.get_mut(id).and_then(Option::as_mut)
    }

    /// Every open session, with its connection.
    pub fn sessions(&self) -> impl Iterator<Item = (ConnId, &Session)> {
        self.sessions.iter().enumerate().filter_map(|(id, s)| Some((id, s.as_ref()?)))
    }

    /// The nickname of `id`, if joined.
    pub fn nick_of(&self, id: ConnId) -> Option<&str> {
        self.session(id)?.nick()
    }

    /// Every nickname in use, folded, with its connection.
    pub fn nick_table(&self) -> impl Iterator<Item = (&str, ConnId)> {
        self.nicks.iter().map(|(folded, &id)| (folded.as_str(), id))
    }

    /// The connection using `nick` (compared case-folded).
    pub fn find_nick(&self, nick: &str) -> Option<ConnId> {
        self.nicks.get(&fold_nick(nick)).copied()
    }

    /// What `id`'s face said its sessions are like.
    pub fn profile(&self, id: ConnId) -> Option<Profile> {
        self.session(id).map(|s| s.profile)
    }

    /// Changes what `id` is like (its format before it joins a room, its
    /// echo); the rooms it holds keep its format in their member lists.
    pub fn set_profile(&mut self, id: ConnId, profile: Profile) {
        let Some(session) = self.session_mut(id) else { return };
        session.profile = profile;
        let seats = session.seats.clone();
        for seat in seats {
            let r = self.rooms.get_mut(seat.room);
            let m = &mut r.members[seat.idx];
            m.format = profile.format;
            r.viewers = r.viewers + u32::from(profile.view != 0) - u32::from(m.view != 0);
            m.view = profile.view;
        }
    }

    /// `id` hears `echo` from now on.
    pub fn listen_to_echo(&mut self, id: ConnId) {
        let idx = self.echo_listeners.len();
        let Some(session) = self.session_mut(id) else { return };
        if session.echo_idx.is_none() {
            session.echo_idx = Some(idx);
            self.echo_listeners.push(id);
        }
    }

    /// Notes a line from `id` (for the idle timeout and the counters).
    pub fn heard(&mut self, id: ConnId, now: Instant) {
        if let Some(s) = self.session_mut(id) {
            s.last_active = now;
        }
    }

    /// The room a plain `chat` of `id` goes to: the one joined most recently
    /// and still held.
    pub fn current_room(&self, id: ConnId) -> Option<RoomId> {
        self.session(id)?.seats.last().map(|h| h.room)
    }

    /// Is `id` in `room`?
    pub fn holds(&self, id: ConnId, room: RoomId) -> bool {
        self.session(id).is_some_and(|s| s.seats.iter().any(|h| h.room == room))
    }

    /// The room named `raw`, which `id` must hold: `room-invalid` or `not-in-room` otherwise.
    pub fn held_room(&self, id: ConnId, raw: &str) -> Result<RoomId, Fault> {
        let name = parse_room(raw).map_err(Fault::RoomInvalid)?;
        match self.rooms.find(name) {
            Some(room) if self.holds(id, room) => Ok(room),
            _ => Err(Fault::NotInRoom(name.to_string())),
        }
    }

    /// `raw`, or `id`'s current room when there is none: which `id` must hold.
    pub fn room_or_current(&self, id: ConnId, raw: Option<&str>) -> Result<RoomId, Fault> {
        match raw {
            Some(raw) => self.held_room(id, raw),
            None => self.current_room(id).ok_or(Fault::InNoRoom),
        }
    }

    /// How events name `room`.
    pub fn room_ref(&self, room: RoomId) -> RoomRef<'_> {
        RoomRef { name: &self.rooms.get(room).name, is_default: self.rooms.is_default(room) }
    }

    /// The nicknames in `room`, here and on other nodes, sorted case-insensitively.
    pub fn sorted_nicks(&self, room: RoomId) -> Vec<&str> {
        let r = self.rooms.get(room);
        let mut nicks: Vec<&str> = r.members.iter().filter_map(|m| self.nick_of(m.id)).collect();
        nicks.extend(r.remote.iter().map(String::as_str));
        nicks.sort_by_cached_key(|n| (fold_nick(n), n.to_string()));
        nicks
    }

    /// The server's name (IRC replies and user masks).
    /// The language `id` reads (that of its format).
    pub fn lang_of(&self, id: ConnId) -> crate::words::Lang {
        self.profile(id).map_or(crate::words::Lang::EN, |p| self.renderers.lang(p.format))
    }

    pub fn server_name(&self) -> &str {
        &self.renderers.env.server_name
    }

    /// Every joined client's rooms, as room ids, in the order joined.
    pub fn rooms_of(&self, id: ConnId) -> impl Iterator<Item = RoomId> + '_ {
        self.session(id).into_iter().flat_map(|s| s.seats.iter().map(|h| h.room))
    }

    /// An event, to be rendered once per format on first use.
    pub fn render<'a>(&'a self, event: &'a Event<'a>) -> Rendered<'a> {
        self.renderers.event(event)
    }

    /// Reports `fault` to `id`, in its format.
    pub fn fail(&mut self, id: ConnId, fault: &Fault, out: &mut Outbox) {
        self.stats.errors[fault.index()] += 1;
        self.reply(id, &Event::Fault { fault }, out);
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

    /// What the cluster settled since the last call: each face finishes
    /// its clients' nickname claims.
    pub fn take_settled(&mut self) -> Vec<cluster::Settled> {
        std::mem::take(&mut self.settled)
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
