//! The event loop, as redis' ae.c: one `mio::Poll`, the listeners, the
//! connection table, timers and signals. It knows sockets, framing and
//! deadlines, and nothing of what a line means: bytes go through each
//! connection's framing (`framing.rs`) to the [`Service`], which answers
//! only by queueing output, closes and timers in the [`Outbox`]. Output is
//! never written while a line is handled; every connection that got output
//! is flushed once, with one vectored write, at the end of the tick.

use std::io;
use std::net::Shutdown;
use std::time::{Duration, Instant};

use log::{debug, info};
use mio::{Events, Interest, Poll, Token};
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook_mio::v1_0::Signals;

use super::conn::{Closing, Conn};
use super::feed;
use super::framing::Framing;
use super::kinds::{CloseReason, Face, LINK_TOKENS};
use super::listen::{Bound, DoorLimits, Listeners};
use super::memory::Trimmer;
use super::outbox::{ConnId, Due, Outbox};
use super::outq::{Flushed, Transport};
use super::rate::Rate;
use super::service::Service;
use super::systemd::Notifier;
use super::tls::CertFiles;

/// What a reload (SIGHUP) may change in the loop itself.
pub struct LoopSettings {
    pub limits: ReactorLimits,
    /// The TLS listeners' certificate files, if they moved.
    pub certs: Option<CertFiles>,
}

/// Called on SIGHUP before the service's own reload: reads the settings
/// again, applies the service's share, and returns the loop's (`None`:
/// nothing changes, e.g. the config file no longer parses).
pub type Reloader<S> = Box<dyn FnMut(&mut S) -> Option<LoopSettings>>;

/// Limits the loop enforces itself.
#[derive(Debug, Clone)]
pub struct ReactorLimits {
    /// Connections at once, counting every listener.
    pub max_clients: usize,
    /// Unsent output a client may hold before it is dropped as a slow consumer.
    pub max_outbuf: usize,
    /// How long a closing connection may take to flush and hang up, and how
    /// long shutdown waits for everyone's last lines.
    pub close_grace: Duration,
    /// Connections at once from one address (0: no limit).
    pub max_per_address: usize,
    /// Lines per second each connection may send, when limited.
    pub rate: Option<Rate>,
    /// How long a TLS handshake may take (`--nick-timeout`) on an HTTP
    /// listener (the service times out the others' sessions itself).
    pub tls_handshake_timeout: Duration,
}

/// Listeners take the tokens below this one (see `listen::token`).
const SIGNALS: Token = Token(usize::MAX - 1);

/// The first byte of a TLS ClientHello: no chat line starts with it.
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// Reads per readable event before other connections get a turn.
const READS_PER_TURN: usize = 4;
/// The one read buffer every connection shares.
const READ_BUF: usize = 64 * 1024;

pub struct Reactor<S: Service> {
    poll: Poll,
    listeners: Listeners,
    signals: Signals,
    out: Outbox,
    service: S,
    rate: Option<Rate>,
    close_grace: Duration,
    read_buf: Box<[u8]>,
    /// Connections with input left over after their turn (edge-triggered:
    /// nothing would tell us again).
    read_again: Vec<ConnId>,
    /// Connections that became readable while reads were paused
    /// ([`Outbox::reads_paused`]): read once they resume.
    held_reads: Vec<ConnId>,
    /// This turn began with reads paused: it reads nothing, so that what
    /// a resume released is written before new lines come.
    paused_turn: bool,
    /// Set once a stop signal arrived: when to give up flushing.
    stopping_until: Option<Instant>,
    trimmer: Trimmer,
    /// systemd's readiness and watchdog messages (none without systemd).
    notifier: Notifier,
    reloader: Option<Reloader<S>>,
}

impl<S: Service> Reactor<S> {
    /// Takes the bound listening sockets (the listener table) and the service.
    pub fn new(bound: Vec<Bound>, service: S, limits: ReactorLimits) -> io::Result<Self> {
        let poll = Poll::new()?;
        let door = DoorLimits {
            max_clients: limits.max_clients,
            max_per_address: limits.max_per_address,
            tls_handshake_timeout: limits.tls_handshake_timeout,
            close_grace: limits.close_grace,
        };
        let listeners = Listeners::new(bound, door, poll.registry())?;
        let mut signals = Signals::new([SIGINT, SIGTERM, SIGHUP])?;
        poll.registry().register(&mut signals, SIGNALS, Interest::READABLE)?;
        let mut service = service;
        service.on_start(poll.registry());
        let mut out = Outbox::new(limits.max_outbuf, limits.close_grace);
        out.durable = service.holds_output();
        Ok(Reactor {
            poll,
            listeners,
            signals,
            out,
            service,
            rate: limits.rate,
            close_grace: limits.close_grace,
            read_buf: vec![0u8; READ_BUF].into_boxed_slice(),
            read_again: Vec::new(),
            held_reads: Vec::new(),
            paused_turn: false,
            stopping_until: None,
            trimmer: Trimmer::new(Instant::now()),
            notifier: Notifier::none(),
            reloader: None,
        })
    }

    /// Tells systemd (or whoever set `NOTIFY_SOCKET`) when the loop is
    /// ready, reloading and stopping, and feeds its watchdog.
    pub fn set_notifier(&mut self, notifier: Notifier) {
        self.notifier = notifier;
    }

    /// What SIGHUP runs first (see [`Reloader`]).
    pub fn set_reloader(&mut self, reloader: Reloader<S>) {
        self.reloader = Some(reloader);
    }

    /// The loop's own limits, changed in place: open connections keep
    /// going under the new ones.
    pub fn set_limits(&mut self, limits: ReactorLimits) {
        self.rate = limits.rate;
        self.out.max_outbuf = limits.max_outbuf;
        self.listeners.set_limits(DoorLimits {
            max_clients: limits.max_clients,
            max_per_address: limits.max_per_address,
            tls_handshake_timeout: limits.tls_handshake_timeout,
            close_grace: limits.close_grace,
        });
    }

    /// Each listener's name, face, address and security (true: TLS), in order.
    pub fn addrs(&self) -> Vec<(&'static str, Face, io::Result<std::net::SocketAddr>, bool)> {
        self.listeners.addrs()
    }

    /// Runs until a stop signal has been handled. Only a failing `poll` is fatal.
    pub fn run(&mut self) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        let mut again = Vec::new();
        self.notifier.ready(Instant::now());
        loop {
            let timeout = self.poll_timeout();
            if timeout != Some(Duration::ZERO) {
                let out = &self.out;
                if self.trimmer.maybe_trim(out.burst_bytes, || out.queued_bytes(), Instant::now()) {
                    self.out.burst_bytes = 0;
                }
            }
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
            let turn_began = Instant::now();
            self.out.set_now(turn_began);
            self.notifier.turn(turn_began);
            self.paused_turn = self.out.reads_paused;
            for event in events.iter() {
                if let Some(i) = self.listeners.index(event.token()) {
                    self.listeners.accept_ready(i, self.poll.registry(), &mut self.out, &mut self.service);
                    self.settle_closes();
                    continue;
                }
                match event.token() {
                    SIGNALS => {
                        if self.signal_ready() {
                            return Ok(());
                        }
                    }
                    token if token.0 >= LINK_TOKENS => self.service.on_link(token, &mut self.out),
                    Token(id) => {
                        if event.is_writable() {
                            self.write_ready(id);
                        }
                        if event.is_readable() || event.is_read_closed() || event.is_error() {
                            // After a hang-up no further edge will come: read to the end.
                            self.read_ready(id, event.is_read_closed() || event.is_error());
                        }
                    }
                }
                self.settle_closes();
            }
            // Connections that had more to read than one turn allowed.
            std::mem::swap(&mut again, &mut self.read_again);
            for id in again.drain(..) {
                self.read_ready(id, true);
                self.settle_closes();
            }
            if self.listeners.paused_until.is_some_and(|t| t <= self.out.now()) {
                self.listeners.paused_until = None;
                for i in 0..self.listeners.len() {
                    self.listeners.accept_ready(i, self.poll.registry(), &mut self.out, &mut self.service);
                }
            }
            self.expire_timers();
            self.service.on_turn(&mut self.out);
            self.settle_closes();
            self.flush_pending();
            self.remove_doomed();
            if !self.out.reads_paused && !self.held_reads.is_empty() {
                self.read_again.append(&mut self.held_reads);
            }
            self.out.stats.turns.record(turn_began.elapsed());
            if let Some(until) = self.stopping_until {
                if self.out.conns.is_empty() || Instant::now() >= until {
                    info!("stopped ({} connections cut at the deadline)", self.out.conns.len());
                    return Ok(());
                }
            }
        }
    }

    fn poll_timeout(&mut self) -> Option<Duration> {
        // Input left over, or output queued after this tick's flush (a leave
        // notice for a connection that failed during the flush): do not sleep.
        // While reads are paused, only the service's wake-up (or a timer) matters.
        if !self.out.reads_paused && (!self.read_again.is_empty() || !self.out.dirty.is_empty()) {
            return Some(Duration::ZERO);
        }
        let wakes = [
            self.listeners.paused_until,
            self.out.next_timer(),
            self.stopping_until,
            self.service.next_wake(),
            self.trimmer.wake_at(self.out.burst_bytes),
            self.notifier.next_wake(),
        ];
        let next = wakes.into_iter().flatten().min();
        // Round up to the next millisecond so a timer is never polled for early in a loop.
        let now = Instant::now();
        next.map(|at| at.saturating_duration_since(now) + Duration::from_micros(999))
    }

    /// Called when a connection is readable (or hung up): read a few buffers'
    /// worth and hand them to its framing. A short read means the socket is
    /// drained (a new edge comes with new data) unless `to_end` is set.
    fn read_ready(&mut self, id: ConnId, to_end: bool) {
        if self.paused_turn || self.out.reads_paused {
            // Read once reads resume (edge-triggered: remember it).
            return self.held_reads.push(id);
        }
        for _ in 0..READS_PER_TURN {
            let now = self.out.now();
            let Some(conn) = self.out.conns.get_mut(id) else {
                return;
            };
            if conn.closing == Closing::Now {
                return;
            }
            if conn.read_resume.is_some_and(|t| t > now) {
                return; // paused: the timer resumes it
            }
            let mut budget = u32::MAX;
            if let Some(rate) = self.rate {
                // Over its rate: not read until tokens return. The lines wait
                // in the socket (TCP back-pressure); none is lost.
                match rate.allowance(&mut conn.rate, now) {
                    Ok(allowed) => budget = allowed,
                    Err(resume) => return self.out.pause_reading(id, resume),
                }
            }
            // Lines held back by the rate come before anything new.
            let held = std::mem::take(&mut conn.held);
            let from_held = !held.is_empty();
            let read = if from_held {
                self.read_buf[..held.len()].copy_from_slice(&held);
                Ok(Some(held.len()))
            } else {
                conn.read_some(&mut self.read_buf)
            };
            if conn.tls_wants_write() {
                // Handshake replies and alerts go out with this tick's flush.
                conn.mark_dirty(id, &mut self.out.dirty);
            }
            if conn.awaiting_handshake && !conn.tls_handshaking() {
                // An https connection's handshake is done: now the request head's turn.
                conn.awaiting_handshake = false;
                let deadline = self.listeners.head_deadline(now);
                self.out.set_close_deadline(id, deadline);
            }
            let Some(conn) = self.out.conns.get_mut(id) else { return };
            let n = match read {
                Ok(Some(0)) => return self.peer_closed(id),
                Ok(Some(n)) => n,
                Ok(None) => return,
                Err(e) => {
                    if conn.tls.is_some() && e.kind() == io::ErrorKind::InvalidData {
                        debug!("conn={id} TLS error on the {} port: {e}", self.listeners.name(conn.listener));
                        if conn.tls_handshaking() {
                            self.out.stats.tls_handshake_failures += 1;
                        }
                    }
                    return self.out.close(id, CloseReason::Io(e.kind()));
                }
            };
            if !from_held {
                self.out.stats.bytes_in += n as u64;
            }
            if std::mem::take(&mut conn.fresh)
                && conn.tls.is_none()
                && self.read_buf[0] == TLS_HANDSHAKE_RECORD
            {
                debug!(
                    "conn={id} TLS handshake on the plain {} port: closed",
                    self.listeners.name(conn.listener)
                );
                self.out.stats.tls_on_plain_port += 1;
                return self.out.close(id, CloseReason::Requested);
            }
            if conn.closing != Closing::No {
                continue; // Closing: discard what the peer still says.
            }
            let (face, max_line) = (conn.face, self.listeners.max_line(conn.listener));
            let mut framing = std::mem::replace(&mut conn.framing, Framing::Closed);
            let data = &self.read_buf[..n];
            let from = feed::Source { id, face, max_line };
            let fed = feed::feed(&mut framing, data, from, budget, &mut self.service, &mut self.out);
            if let (Some(rate), Some(conn)) = (self.rate, self.out.conns.get_mut(id)) {
                rate.spend(&mut conn.rate, fed.lines);
            }
            if let Some(conn) = self.out.conns.get_mut(id) {
                if conn.closing == Closing::No {
                    conn.framing = framing;
                    if fed.left > 0 {
                        // Out of tokens mid-read: keep the rest for later.
                        conn.held = self.read_buf[n - fed.left..n].to_vec();
                        continue;
                    }
                }
            }
            let more = self.out.conns.get(id).is_some_and(Conn::more_input);
            if n < self.read_buf.len() && !to_end && !more && !from_held {
                return;
            }
        }
        // Turn used up with input possibly left: come back after the others.
        self.read_again.push(id);
    }

    /// The peer will send no more: its last lines are handled; send what is
    /// queued for it and close.
    fn peer_closed(&mut self, id: ConnId) {
        let conn = &mut self.out.conns[id];
        conn.peer_closed = true;
        match conn.closing {
            Closing::No if !conn.out.is_empty() => self.out.close_after_flush(id, CloseReason::PeerClosed),
            Closing::AfterFlush => {}
            _ => self.out.close(id, CloseReason::PeerClosed),
        }
    }

    /// Called when a connection is writable: resume a blocked flush.
    fn write_ready(&mut self, id: ConnId) {
        let Some(conn) = self.out.conns.get_mut(id) else {
            return;
        };
        if conn.blocked {
            conn.blocked = false;
            conn.mark_dirty(id, &mut self.out.dirty);
        }
    }

    /// Tells the service of every connection that closed since the last call.
    /// Its answers (a leave notice) may close others, so repeat until quiet.
    fn settle_closes(&mut self) {
        settle_closes(&mut self.out, &mut self.service);
    }

    /// Called once per tick: writes every connection that got output, once.
    fn flush_pending(&mut self) {
        self.out.freeze_tick();
        let epoch = self.out.end_tick();
        let mut i = 0;
        while i < self.out.dirty.len() {
            let id = self.out.dirty[i];
            i += 1;
            let Some(conn) = self.out.conns.get_mut(id) else {
                continue;
            };
            // What the tick queued waits for its epoch, if it has one.
            if conn.out.end_tick(epoch) {
                self.out.fenced.push((id, conn.serial));
            }
            conn.dirty = false;
            if conn.blocked || conn.closing == Closing::Now {
                continue;
            }
            match conn.flush_out() {
                Ok((Flushed::Drained, n)) => {
                    self.out.stats.bytes_out += n as u64;
                    if conn.closing == Closing::AfterFlush {
                        if conn.peer_closed {
                            self.out.close(id, CloseReason::PeerClosed);
                        } else {
                            // All sent: hang up our side and wait for the peer's.
                            if let Some(sock) = &conn.sock {
                                let _ = sock.shutdown(Shutdown::Write);
                            }
                            conn.closing = Closing::Lingering;
                        }
                    }
                }
                Ok((Flushed::Blocked, n)) => {
                    self.out.stats.bytes_out += n as u64;
                    conn.blocked = true;
                }
                // The rest waits for its epoch: released, it is flushed again.
                Ok((Flushed::Held, n)) => self.out.stats.bytes_out += n as u64,
                Err(e) => self.out.close(id, CloseReason::Io(e.kind())),
            }
        }
        self.out.dirty.clear();
        self.settle_closes();
    }

    /// Runs what came due: the service's timers, read pauses that ended,
    /// connections slow to close.
    fn expire_timers(&mut self) {
        while let Some(due) = self.out.next_due() {
            match due {
                Due::Close(id) => {
                    debug!("conn={id} did not finish closing (or its handshake) in time");
                    self.out.close(id, CloseReason::Requested);
                }
                Due::Resume(id) => self.read_again.push(id),
                Due::Service(id) => {
                    self.service.on_timer(id, &mut self.out);
                    self.settle_closes();
                }
            }
        }
    }

    /// Drops connections closed this tick. Runs after the flush, so nothing
    /// refers to them any more, and before the next poll, so no stale event
    /// can reach a reused slot.
    fn remove_doomed(&mut self) {
        self.settle_closes();
        for id in std::mem::take(&mut self.out.doomed) {
            if self.out.conns.get(id).is_some_and(|c| c.closing == Closing::Now) {
                // Closing the socket (on drop) also takes it out of epoll.
                let conn = self.out.conns.remove(id);
                self.listeners.forget(conn.ip);
                let stats = &mut self.out.stats;
                if conn.tls.is_some() {
                    stats.open_tls[conn.face.0 as usize] -= 1;
                }
                match conn.transport {
                    Transport::Tcp => stats.open_lines[conn.face.0 as usize] -= 1,
                    Transport::WebSocket(_) => stats.open_ws -= 1,
                    Transport::Http => stats.open_http -= 1,
                }
                debug!("conn={id} closed");
            }
        }
    }

    /// Called when a signal arrived. Returns true to exit at once.
    fn signal_ready(&mut self) -> bool {
        let mut stop = false;
        let mut reload = false;
        for sig in self.signals.pending() {
            match sig {
                SIGINT | SIGTERM => stop = true,
                SIGHUP => reload = true,
                _ => {}
            }
        }
        if reload {
            self.notifier.reloading();
            if let Some(reloader) = self.reloader.as_mut() {
                if let Some(settings) = reloader(&mut self.service) {
                    if let Some(certs) = &settings.certs {
                        self.listeners.set_cert_files(certs);
                    }
                    self.set_limits(settings.limits);
                }
            }
            self.listeners.reload_tls();
            self.service.on_reload();
            self.notifier.reloaded();
        }
        if !stop {
            return false;
        }
        if self.stopping_until.is_some() {
            info!("second stop signal: exiting now");
            return true;
        }
        info!("stop signal: closing {} connections", self.out.conns.len());
        self.notifier.stopping();
        self.listeners.close(self.poll.registry());
        self.stopping_until = Some(self.out.now() + self.close_grace);
        self.service.on_shutdown(&mut self.out);
        let ids: Vec<ConnId> = self.out.conns.iter().map(|(id, _)| id).collect();
        for id in ids {
            // WebSocket clients get a 1001 "going away" close frame.
            self.out.close_after_flush(id, CloseReason::Shutdown);
        }
        false
    }
}

/// Tells `service` of every connection closed since the last call, once
/// each; its answers (a leave notice) may close others, so until quiet.
/// Tests without a loop settle closes through this too.
pub fn settle_closes<S: Service>(out: &mut Outbox, service: &mut S) {
    while let Some(id) = out.closed.pop() {
        let Some(conn) = out.conns.get_mut(id) else {
            continue;
        };
        if !conn.in_service {
            continue;
        }
        conn.in_service = false;
        let reason = conn.close_reason.clone().unwrap_or(CloseReason::Requested);
        debug!("conn={id} closing: {reason}");
        service.on_close(id, &reason, out);
    }
}
