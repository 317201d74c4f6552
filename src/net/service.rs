//! What the loop and the service say to each other: the [`Service`] trait
//! the loop calls, and its vocabulary. The loop knows sockets, framing,
//! deadlines and signals; what a line means is the service's.

use std::io;
use std::time::Instant;

use super::http::Request;
use super::outbox::{ConnId, IoStats, Outbox};

/// Which face of the service a listener's connections speak: an index
/// the service gave the listener in its table, handed back on every open.
/// The loop never looks inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Face(pub u8);

/// How many faces the loop keeps counters for.
pub const MAX_FACES: usize = 4;

/// Why a connection is refused at the door.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `--max-clients` reached, or no file descriptors left.
    Full,
    /// `--max-per-ip` reached for the client's address.
    PerAddress,
}

/// What a request head on an HTTP listener gets.
pub enum HttpAnswer {
    /// Send this response and close.
    Respond(Vec<u8>),
    /// Send this 101 response; the connection speaks WebSocket from now on,
    /// one line per text message, as a connection of the listener's face.
    Upgrade(Vec<u8>),
}

/// What the loop calls into. Every method may queue output or closes
/// through the outbox; none may block.
pub trait Service {
    /// A client connected through a listener of `face` (on an HTTP
    /// listener: once its WebSocket upgrade is done).
    fn on_open(&mut self, id: ConnId, face: Face, out: &mut Outbox);
    /// A complete input line (without its line ending), or a framing fault.
    fn on_line(&mut self, id: ConnId, line: Result<&[u8], LineFault>, out: &mut Outbox);
    /// The deadline set with [`Outbox::set_timer`] passed.
    fn on_timer(&mut self, id: ConnId, out: &mut Outbox);
    /// The connection left the service (peer gone, closed by us, limit hit).
    /// Called exactly once for every `on_open`. Output to `id` is ignored now.
    fn on_close(&mut self, id: ConnId, reason: &CloseReason, out: &mut Outbox);
    /// The server is stopping: say goodbye. Every connection is then flushed and closed.
    fn on_shutdown(&mut self, out: &mut Outbox);
    /// A request head arrived on an HTTP listener of `face` (parsed; `io`
    /// are the loop's counters, for metrics).
    fn on_request(&mut self, id: ConnId, face: Face, req: &Request, io: &IoStats) -> HttpAnswer;
    /// What a client of `face` refused at the door is told, if anything
    /// (written best effort to the fresh socket, on plain listeners only).
    fn refusal(&self, face: Face, why: Refusal) -> Vec<u8>;
    /// SIGHUP: reread whatever the service loads from files.
    fn on_reload(&mut self) {}
    /// Once, before the loop starts: outbound connections the service dials
    /// itself (the cluster's link) register here, with tokens from
    /// [`LINK_TOKENS`] up.
    fn on_start(&mut self, _registry: &mio::Registry) {}
    /// One of the service's own outbound connections is ready.
    fn on_link(&mut self, _token: mio::Token, _out: &mut Outbox) {}
    /// The end of every loop turn, before output is flushed: the service's
    /// timers, and its outbound writes batched once per turn.
    fn on_turn(&mut self, _out: &mut Outbox) {}
    /// When the service next needs [`Service::on_turn`] even if nothing happens.
    fn next_wake(&self) -> Option<Instant> {
        None
    }
}

/// The service's outbound connections take tokens from this one up
/// (connections take slab keys, far below; listeners and signals the top).
pub const LINK_TOKENS: usize = usize::MAX / 2;

/// A fault in the input that the service should hear about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineFault {
    /// A line grew past `max_line` before its newline; the rest of it is discarded.
    TooLong,
}

/// Why a connection ended; shown in logs and given to the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseReason {
    /// The peer closed its side.
    PeerClosed,
    /// A socket error.
    Io(io::ErrorKind),
    /// The client did not take its output fast enough (`--max-outbuf`).
    OutputLimit,
    /// The service asked for it (a bye, a timeout, a protocol error).
    Requested,
    /// The server is shutting down.
    Shutdown,
}

impl std::fmt::Display for CloseReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CloseReason::PeerClosed => f.write_str("peer closed"),
            CloseReason::Io(kind) => write!(f, "i/o error: {kind}"),
            CloseReason::OutputLimit => f.write_str("output limit exceeded (slow consumer)"),
            CloseReason::Requested => f.write_str("closed by server"),
            CloseReason::Shutdown => f.write_str("server shutdown"),
        }
    }
}
