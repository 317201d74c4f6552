//! The loop without sockets, for tests and fuzz targets: connections are
//! attached with no socket behind them, lines go straight to the service,
//! the clock is the caller's, and timers and closes are handled exactly as
//! the reactor handles them. Timers are thus tested to the millisecond,
//! deterministically, whatever else the machine is doing.

use std::time::{Duration, Instant};

use super::kinds::{CloseReason, Face};
use super::lines::LineFault;
use super::outbox::{ConnId, Due, Outbox};
use super::outq::Transport;
use super::reactor::settle_closes;
use super::service::Service;

/// A service driven by hand.
pub struct Sim<S: Service> {
    pub service: S,
    pub out: Outbox,
}

impl<S: Service> Sim<S> {
    /// `service` with an empty table; the clock starts now and moves only
    /// with [`Sim::advance`].
    pub fn new(service: S, max_outbuf: usize) -> Sim<S> {
        Sim { service, out: Outbox::new(max_outbuf, Duration::from_secs(2)) }
    }

    /// A client connects through a listener of `face`.
    pub fn connect(&mut self, face: Face) -> ConnId {
        let id = self.out.attach(face, Transport::Tcp);
        self.service.on_open(id, face, &mut self.out);
        self.settle();
        id
    }

    /// A line from `id` (without its line ending).
    pub fn line(&mut self, id: ConnId, line: &str) {
        self.bytes(id, Ok(line.as_bytes()));
    }

    /// A line (or a framing fault) from `id`, as bytes.
    pub fn bytes(&mut self, id: ConnId, line: Result<&[u8], LineFault>) {
        if self.out.is_open(id) {
            self.service.on_line(id, line, &mut self.out);
            self.settle();
        }
    }

    /// The connection ends (the peer hung up, say).
    pub fn close(&mut self, id: ConnId, reason: CloseReason) {
        self.out.close(id, reason);
        self.settle();
    }

    /// Moves the clock on by `by`, handling every timer that comes due on
    /// the way, in order, at its own instant.
    pub fn advance(&mut self, by: Duration) {
        let until = self.out.now() + by;
        loop {
            match self.out.next_timer() {
                Some(at) if at <= until => self.out.set_now(at.max(self.out.now())),
                _ => break,
            }
            while let Some(due) = self.out.next_due() {
                match due {
                    Due::Close(id) => self.out.close(id, CloseReason::Requested),
                    Due::Resume(_) => {}
                    Due::Service(id) => self.service.on_timer(id, &mut self.out),
                }
                self.settle();
            }
        }
        self.out.set_now(until);
    }

    /// The clock.
    pub fn now(&self) -> Instant {
        self.out.now()
    }

    /// Everything queued for `id` since the last call, as text.
    pub fn output(&mut self, id: ConnId) -> String {
        String::from_utf8_lossy(&self.out.take_output(id)).into_owned()
    }

    /// The lines queued for `id` since the last call.
    pub fn lines(&mut self, id: ConnId) -> Vec<String> {
        self.output(id).lines().map(|l| l.trim_end_matches('\r').to_string()).collect()
    }

    /// Is `id` open (not closing)?
    pub fn is_open(&self, id: ConnId) -> bool {
        self.out.is_open(id)
    }

    /// Is reading `id` paused, and until when?
    pub fn paused_until(&self, id: ConnId) -> Option<Instant> {
        self.out.conns.get(id).and_then(|c| c.read_resume).filter(|&t| t > self.out.now())
    }

    fn settle(&mut self) {
        settle_closes(&mut self.out, &mut self.service);
    }
}
