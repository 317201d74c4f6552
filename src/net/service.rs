//! The [`Service`] trait: what the loop calls, and what a request head on
//! an HTTP listener gets. The loop knows sockets, framing, deadlines and
//! signals; what a line means is the service's.

use std::time::Instant;

use super::http::Request;
use super::kinds::{CloseReason, Face, Refusal};
use super::lines::LineFault;
use super::outbox::{ConnId, IoStats, Outbox};
use super::outq::WsFrames;

/// What a request head on an HTTP listener gets.
pub enum HttpAnswer {
    /// Send this response and close.
    Respond(Vec<u8>),
    /// Send this 101 response; the connection speaks WebSocket from now on,
    /// as a connection of the listener's face, its lines carried in `frames`
    /// (lines up to `max_line` bytes, when set, instead of the listener's).
    Upgrade { response: Vec<u8>, frames: WsFrames, max_line: Option<usize> },
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
    /// A request head arrived on an HTTP listener of `face` from `peer`
    /// (parsed; `io` are the loop's counters, for metrics).
    fn on_request(
        &mut self,
        id: ConnId,
        face: Face,
        req: &Request,
        io: &IoStats,
        peer: Option<std::net::IpAddr>,
    ) -> HttpAnswer;
    /// What a client of `face` refused at the door is told, if anything
    /// (written best effort to the fresh socket, on plain listeners only).
    fn refusal(&self, face: Face, why: Refusal) -> Vec<u8>;
    /// SIGHUP: reread whatever the service loads from files.
    fn on_reload(&mut self) {}
    /// Once, before the loop starts: outbound connections the service dials
    /// itself (the cluster's link) register here, with tokens from
    /// [`super::kinds::LINK_TOKENS`] up.
    fn on_start(&mut self, _registry: &mio::Registry) {}
    /// One of the service's own outbound connections is ready.
    fn on_link(&mut self, _token: mio::Token, _out: &mut Outbox) {}
    /// The end of every loop turn, before output is flushed: the service's
    /// timers, and its outbound writes batched once per turn.
    fn on_turn(&mut self, _out: &mut Outbox) {}
    /// Does the service hold output back until lines are durable
    /// ([`Outbox::wait_for`])? Then output is written only at the end of
    /// a tick, never in the middle of one. Asked once, at start.
    fn holds_output(&self) -> bool {
        false
    }
    /// When the service next needs [`Service::on_turn`] even if nothing happens.
    fn next_wake(&self) -> Option<Instant> {
        None
    }
}
