//! The event loop: one `mio::Poll`, the listeners, the connection table,
//! timers and signals. The table as the service sees it is the
//! [`Outbox`] (`outbox.rs`); accepting is in `listen.rs`.
//!
//! It knows sockets, lines and deadlines, and nothing of what a line means:
//! lines go to a [`Service`], which answers only by queueing output and
//! closes through the [`Outbox`]. Output is never written while a line is
//! handled; every connection that got output is flushed once, with one
//! vectored write, at the end of the tick.

use std::cmp::Reverse;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::rc::Rc;
use std::time::{Duration, Instant};

use log::{debug, info};
use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Token};
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook_mio::v1_0::Signals;

use crate::conn::{CloseReason, Closing, Conn, Flushed, Framing, LineFault, Transport};
use crate::listen::{self, Bound, Face, Listener, Refusal};
pub use crate::outbox::{IoStats, Outbox};
use crate::web::{self, ws, HeadProgress, Request, Route};

/// A connection's key in the table; stable for the connection's life.
pub type ConnId = usize;

/// What the reactor calls into. Every method may queue output or closes
/// through the outbox; none may block.
pub trait Service {
    /// A client connected (for web clients: completed the WebSocket upgrade)
    /// through a listener of `face`.
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
    /// What a client of `face` refused at the door is told.
    fn refusal(&self, face: Face, why: Refusal) -> &[u8];
    /// The Prometheus text for `/metrics`, given the reactor's counters.
    fn metrics(&self, io: &IoStats) -> String;
    /// SIGHUP: reread whatever the service loads from files.
    fn on_reload(&mut self) {}
    /// Once, before the loop starts: outbound connections the service dials
    /// itself (the cluster's Redis link) register here, with tokens from
    /// [`LINK_TOKENS`] up.
    fn on_start(&mut self, _registry: &mio::Registry) {}
    /// One of the service's own outbound connections is ready.
    fn on_link(&mut self, _token: Token, _out: &mut Outbox) {}
    /// The end of every loop turn, before output is flushed: the service's
    /// timers, and its outbound writes batched once per turn.
    fn on_turn(&mut self, _out: &mut Outbox) {}
    /// When the service next needs [`Service::on_turn`] even if nothing happens.
    fn next_wake(&self) -> Option<Instant> {
        None
    }
    /// Why the service is degraded (for `/healthz`), if it is.
    fn degraded(&self) -> Option<String> {
        None
    }
}

/// The service's outbound connections take tokens from this one up
/// (connections take slab keys, far below; listeners and signals the top).
pub const LINK_TOKENS: usize = usize::MAX / 2;

/// Limits the reactor enforces itself.
#[derive(Debug, Clone)]
pub struct ReactorLimits {
    /// Connections at once, counting every transport.
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
    /// The only Origin a WebSocket may come from, if restricted.
    pub ws_origin: Option<String>,
    /// How long a TLS handshake may take (`--nick-timeout`), on every TLS
    /// listener: the chat and IRC ports' sessions time out with the
    /// nickname; the web port's connections are closed here.
    pub tls_handshake_timeout: Duration,
}

/// How long a web request head may take to arrive (after the TLS
/// handshake, on the https port), or the close grace if longer.
pub(crate) const HTTP_HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// Listeners take the tokens below this one (see `listen::token`).
const SIGNALS: Token = Token(usize::MAX - 1);

/// Output since the last trim after which an idle moment returns free heap
/// to the system, and the least time between two trims (a trim walks the
/// heap: under steady load this bounds its cost to a fraction of a percent).
const TRIM_AFTER_BYTES: usize = 1 << 20;
const TRIM_INTERVAL: Duration = Duration::from_secs(1);

/// A token bucket: `--rate`/`--burst` for lines (here), `--join-rate`/
/// `--join-burst` for nicknames and joins (in the Hub).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: f64,
}

/// A connection's bucket: tokens left, as of when.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bucket {
    tokens: f64,
    at: Option<Instant>,
}

impl Bucket {
    /// Lines it may take now.
    pub fn lines_allowed(&self) -> u32 {
        self.tokens.max(0.0) as u32
    }
}

impl Rate {
    /// Adds the tokens earned since the bucket was last counted (a new
    /// bucket starts full).
    pub fn refill(&self, bucket: &mut Bucket, now: Instant) {
        let since = bucket.at.map_or(f64::INFINITY, |at| now.saturating_duration_since(at).as_secs_f64());
        bucket.tokens = (bucket.tokens + since * self.per_second).min(self.burst);
        bucket.at = Some(now);
    }

    /// When the bucket will hold a whole token again, if it does not now.
    pub fn resume_at(&self, bucket: &Bucket, now: Instant) -> Option<Instant> {
        (bucket.tokens < 1.0).then(|| now + Duration::from_secs_f64((1.0 - bucket.tokens) / self.per_second))
    }

    /// Takes a token per line or join (one read may take it below zero:
    /// those lines were already in hand and are handled; reading waits longer).
    pub fn spend(&self, bucket: &mut Bucket, count: u32) {
        bucket.tokens -= f64::from(count);
    }
}

/// The first byte of a TLS ClientHello: no chat line starts with it.
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// Reads per readable event before other connections get a turn.
const READS_PER_TURN: usize = 4;
/// The one read buffer every connection shares.
const READ_BUF: usize = 64 * 1024;

pub struct Reactor<S: Service> {
    pub(crate) poll: Poll,
    /// Every listening socket and what its connections speak.
    pub(crate) listeners: Vec<Listener>,
    signals: Signals,
    pub(crate) out: Outbox,
    pub(crate) service: S,
    pub(crate) limits: ReactorLimits,
    read_buf: Box<[u8]>,
    /// Connections with input left over after their turn (edge-triggered:
    /// nothing would tell us again).
    read_again: Vec<ConnId>,
    /// A spare descriptor, given up to accept and refuse a client when the
    /// process has none left, so the backlog never wedges the listener.
    pub(crate) reserve_fd: Option<std::fs::File>,
    /// Accepting is paused until then (descriptors ran out).
    pub(crate) accept_paused_until: Option<Instant>,
    pub(crate) next_serial: u64,
    /// Set once a stop signal arrived: when to give up flushing.
    pub(crate) stopping_until: Option<Instant>,
    /// The last trim left a burst's output queued: trim again (see `trim_after_burst`).
    trim_when_drained: bool,
    /// When free heap was last given back (see `trim_after_burst`).
    last_trim: Instant,
    /// Open connections per client address, when `--max-per-ip` is set.
    pub(crate) per_address: std::collections::HashMap<std::net::IpAddr, u32>,
}

impl<S: Service> Reactor<S> {
    /// Takes the bound listening sockets, each with its face and the
    /// longest input line its connections may send.
    pub fn new(bound: Vec<Bound>, service: S, limits: ReactorLimits) -> io::Result<Self> {
        let poll = Poll::new()?;
        let mut listeners = Vec::with_capacity(bound.len());
        for (i, b) in bound.into_iter().enumerate() {
            b.sock.set_nonblocking(true)?;
            let mut sock = TcpListener::from_std(b.sock);
            poll.registry().register(&mut sock, listen::token(i), Interest::READABLE)?;
            listeners.push(Listener { sock, face: b.face, max_line: b.max_line, tls: b.tls });
        }
        let mut signals = Signals::new([SIGINT, SIGTERM, SIGHUP])?;
        poll.registry().register(&mut signals, SIGNALS, Interest::READABLE)?;
        let mut service = service;
        service.on_start(poll.registry());
        Ok(Reactor {
            poll,
            listeners,
            signals,
            out: Outbox::new(limits.max_outbuf, limits.close_grace),
            service,
            limits,
            read_buf: vec![0u8; READ_BUF].into_boxed_slice(),
            read_again: Vec::new(),
            reserve_fd: std::fs::File::open("/dev/null").ok(),
            accept_paused_until: None,
            next_serial: 0,
            stopping_until: None,
            last_trim: Instant::now(),
            trim_when_drained: false,
            per_address: std::collections::HashMap::new(),
        })
    }

    /// Each listener's face, address and security (true: TLS), in the order given.
    pub fn addrs(&self) -> Vec<(Face, io::Result<SocketAddr>, bool)> {
        self.listeners.iter().map(|l| (l.face, l.sock.local_addr(), l.tls.is_some())).collect()
    }

    /// Runs until a stop signal has been handled. Only a failing `poll` is fatal.
    pub fn run(&mut self) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        let mut again = Vec::new();
        loop {
            let timeout = self.poll_timeout();
            if timeout != Some(Duration::ZERO) {
                self.trim_after_burst();
            }
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
            self.out.now = Instant::now();
            for event in events.iter() {
                if let Some(i) = listen::index(event.token(), self.listeners.len()) {
                    self.accept_ready(i);
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
            if self.accept_paused_until.is_some_and(|t| t <= self.out.now) {
                self.accept_paused_until = None;
                for i in 0..self.listeners.len() {
                    self.accept_ready(i);
                }
            }
            self.expire_timers();
            self.service.on_turn(&mut self.out);
            self.settle_closes();
            self.flush_pending();
            self.remove_doomed();
            if let Some(until) = self.stopping_until {
                if self.out.conns.is_empty() || Instant::now() >= until {
                    info!("stopped ({} connections cut at the deadline)", self.out.conns.len());
                    return Ok(());
                }
            }
        }
    }

    /// About to sleep after a burst of output (thousands joining a big room
    /// at once, each getting its NAMES): give the freed heap back to the
    /// system, so an idle server's memory is what its clients need, not the
    /// high-water mark of the burst. Never runs while the loop is busy.
    fn trim_after_burst(&mut self) {
        let due = self.out.burst_bytes >= TRIM_AFTER_BYTES || self.trim_when_drained;
        if !due || self.last_trim.elapsed() < TRIM_INTERVAL {
            return;
        }
        debug!("returning free heap after {} bytes of output", self.out.burst_bytes);
        self.out.burst_bytes = 0;
        self.last_trim = Instant::now();
        // Output still queued holds part of the burst (clients take a join
        // storm's lines for seconds after it ends): trim again once it has gone.
        let queued: usize = self.out.conns.iter().map(|(_, c)| c.out.queued()).sum();
        self.trim_when_drained = queued >= TRIM_AFTER_BYTES / 16;
        #[cfg(target_env = "gnu")]
        // SAFETY: malloc_trim only returns free heap pages to the system.
        unsafe {
            libc::malloc_trim(0);
        }
    }

    fn poll_timeout(&mut self) -> Option<Duration> {
        // Input left over, or output queued after this tick's flush (a leave
        // notice for a connection that failed during the flush): do not sleep.
        if !self.read_again.is_empty() || !self.out.dirty.is_empty() {
            return Some(Duration::ZERO);
        }
        let now = Instant::now();
        let mut next = self.accept_paused_until;
        if let Some(Reverse((at, _, _))) = self.out.timers.peek() {
            next = Some(next.map_or(*at, |n| n.min(*at)));
        }
        if let Some(until) = self.stopping_until {
            next = Some(next.map_or(until, |n| n.min(until)));
        }
        if let Some(at) = self.service.next_wake() {
            next = Some(next.map_or(at, |n| n.min(at)));
        }
        if self.out.burst_bytes >= TRIM_AFTER_BYTES || self.trim_when_drained {
            // Wake for the trim once its interval has passed.
            let at = self.last_trim + TRIM_INTERVAL;
            next = Some(next.map_or(at, |n| n.min(at)));
        }
        // Round up to the next millisecond so a timer is never polled for early in a loop.
        next.map(|at| at.saturating_duration_since(now) + Duration::from_micros(999))
    }

    /// Called when a connection is readable (or hung up): read a few buffers'
    /// worth and hand the lines to the service. A short read means the socket
    /// is drained (a new edge comes with new data) unless `to_end` is set.
    fn read_ready(&mut self, id: ConnId, to_end: bool) {
        for _ in 0..READS_PER_TURN {
            let Some(conn) = self.out.conns.get_mut(id) else {
                return;
            };
            if conn.closing == Closing::Now {
                return;
            }
            if conn.read_resume.is_some_and(|t| t > self.out.now) {
                return; // paused: the timer resumes it
            }
            let mut budget = u32::MAX;
            if let Some(rate) = self.limits.rate {
                // Over its rate: not read until tokens return. The lines wait
                // in the socket (TCP back-pressure); none is lost.
                rate.refill(&mut conn.rate, self.out.now);
                if let Some(resume) = rate.resume_at(&conn.rate, self.out.now) {
                    self.out.pause_reading(id, resume);
                    return;
                }
                budget = conn.rate.lines_allowed();
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
            if conn.transport == Transport::Http && conn.awaiting_handshake && !conn.tls_handshaking() {
                // The https port's handshake is done: now the request head's turn.
                conn.awaiting_handshake = false;
                let deadline = self.out.now + self.limits.close_grace.max(HTTP_HEAD_TIMEOUT);
                conn.close_deadline = Some(deadline);
                self.out.timers.push(Reverse((deadline, id, conn.serial)));
            }
            let n = match read {
                Ok(Some(0)) => {
                    self.peer_closed(id);
                    return;
                }
                Ok(Some(n)) => n,
                Ok(None) => return,
                Err(e) => {
                    if conn.tls.is_some() && e.kind() == io::ErrorKind::InvalidData {
                        let face = self.listeners[conn.listener as usize].face;
                        debug!("conn={id} TLS error on the {} port: {e}", face.name());
                        if conn.tls_handshaking() {
                            self.out.stats.tls_handshake_failures += 1;
                        }
                    }
                    self.out.close(id, CloseReason::Io(e.kind()));
                    return;
                }
            };
            if !from_held {
                self.out.stats.bytes_in += n as u64;
            }
            if std::mem::take(&mut conn.fresh)
                && conn.tls.is_none()
                && self.read_buf[0] == TLS_HANDSHAKE_RECORD
            {
                let face = self.listeners[conn.listener as usize].face;
                debug!("conn={id} TLS handshake on the plain {} port: closed", face.name());
                self.out.stats.tls_on_plain_port += 1;
                self.out.close(id, CloseReason::Requested);
                return;
            }
            if conn.closing != Closing::No {
                continue; // Closing: discard what the peer still says.
            }
            let mut framing = std::mem::replace(&mut conn.framing, Framing::Closed);
            let (lines, left) = self.feed(id, &mut framing, n, budget);
            if let (Some(rate), Some(conn)) = (self.limits.rate, self.out.conns.get_mut(id)) {
                rate.spend(&mut conn.rate, lines);
            }
            if let Some(conn) = self.out.conns.get_mut(id) {
                if conn.closing == Closing::No {
                    conn.framing = framing;
                    if left > 0 {
                        // Out of tokens mid-read: keep the rest for later.
                        conn.held = self.read_buf[n - left..n].to_vec();
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

    /// Hands what was read to the framing, at most `budget` lines (chat
    /// and IRC ports); returns how many lines it made and how many bytes it
    /// left for later.
    fn feed(&mut self, id: ConnId, framing: &mut Framing, n: usize, budget: u32) -> (u32, usize) {
        let data = &self.read_buf[..n];
        let max_line = self.listeners[self.out.conns[id].listener as usize].max_line;
        let service = &mut self.service;
        let out = &mut self.out;
        let mut lines = 0;
        let mut left = 0;
        match framing {
            Framing::Lines(splitter) => {
                left = splitter.feed(data, max_line, &mut |line| {
                    lines += 1;
                    service.on_line(id, line, out);
                    out.is_open(id) && lines < budget && !out.is_paused(id)
                })
            }
            Framing::Ws(decoder) => lines = feed_ws(decoder, data, id, max_line, service, out),
            Framing::Http(head) => match head.feed(data) {
                HeadProgress::Incomplete => {}
                HeadProgress::TooLarge => {
                    out.push_raw(id, Rc::new(web::head_too_large()));
                    out.close_after_flush(id, CloseReason::Requested);
                }
                HeadProgress::Done { head, rest } => {
                    *framing = Framing::Closed;
                    self.request_ready(id, framing, &head, &rest);
                }
            },
            Framing::Closed => {}
        }
        (lines, left)
    }

    /// A web connection's request head is complete: answer it, or upgrade
    /// to WebSocket and join the service (`rest` is what followed the head).
    fn request_ready(&mut self, id: ConnId, framing: &mut Framing, head: &[u8], rest: &[u8]) {
        self.out.stats.http_requests += 1;
        let Some(req) = Request::parse(head) else {
            self.out.push_raw(id, Rc::new(web::bad_request()));
            self.out.close_after_flush(id, CloseReason::Requested);
            return;
        };
        debug!("conn={id} {} {}", req.method, req.path);
        let (service, out) = (&self.service, &self.out);
        let degraded = service.degraded();
        let route = web::route(&req, self.limits.ws_origin.as_deref(), degraded.as_deref(), &mut || {
            let mut stats = out.stats.clone();
            stats.queued_bytes = out.conns.iter().map(|(_, c)| c.out.queued()).sum();
            service.metrics(&stats)
        });
        match route {
            Route::Respond(bytes) => {
                self.out.push_raw(id, Rc::new(bytes));
                self.out.close_after_flush(id, CloseReason::Requested);
            }
            Route::Upgrade(bytes) => {
                self.out.push_raw(id, Rc::new(bytes));
                let conn = &mut self.out.conns[id];
                conn.transport = Transport::WebSocket;
                conn.close_deadline = None;
                conn.in_service = true;
                self.out.stats.open_http -= 1;
                self.out.stats.open_ws += 1;
                *framing = Framing::Ws(Box::default());
                self.service.on_open(id, Face::Web, &mut self.out);
                if let Framing::Ws(decoder) = framing {
                    let max_line = self.listeners[self.out.conns[id].listener as usize].max_line;
                    feed_ws(decoder, rest, id, max_line, &mut self.service, &mut self.out);
                }
            }
        }
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
        while let Some(id) = self.out.closed.pop() {
            let Some(conn) = self.out.conns.get_mut(id) else {
                continue;
            };
            if !conn.in_service {
                continue;
            }
            conn.in_service = false;
            let reason = conn.close_reason.clone().unwrap_or(CloseReason::Requested);
            debug!("conn={id} closing: {reason}");
            self.service.on_close(id, &reason, &mut self.out);
        }
    }

    /// Called once per tick: writes every connection that got output, once.
    fn flush_pending(&mut self) {
        self.out.freeze_tick();
        let mut i = 0;
        while i < self.out.dirty.len() {
            let id = self.out.dirty[i];
            i += 1;
            let Some(conn) = self.out.conns.get_mut(id) else {
                continue;
            };
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
                            let _ = conn.sock.shutdown(Shutdown::Write);
                            conn.closing = Closing::Lingering;
                        }
                    }
                }
                Ok((Flushed::Blocked, n)) => {
                    self.out.stats.bytes_out += n as u64;
                    conn.blocked = true;
                }
                Err(e) => self.out.close(id, CloseReason::Io(e.kind())),
            }
        }
        self.out.dirty.clear();
        self.settle_closes();
    }

    /// Runs the service's timers and gives up on connections slow to close.
    fn expire_timers(&mut self) {
        let now = self.out.now;
        while let Some(&Reverse((at, id, serial))) = self.out.timers.peek() {
            if at > now {
                break;
            }
            self.out.timers.pop();
            let Some(conn) = self.out.conns.get_mut(id) else {
                continue;
            };
            if conn.serial != serial {
                continue;
            }
            if conn.close_deadline.is_some_and(|d| d <= now) && conn.closing != Closing::Now {
                debug!("conn={id} did not finish closing in time");
                self.out.close(id, CloseReason::Requested);
                continue;
            }
            if conn.read_resume.is_some_and(|d| d <= now) {
                conn.read_resume = None;
                self.read_again.push(id);
            }
            if conn.service_deadline.is_some_and(|d| d <= now) && conn.closing == Closing::No {
                conn.service_deadline = None;
                self.service.on_timer(id, &mut self.out);
                self.settle_closes();
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
                if let Some(ip) = conn.ip {
                    if let Some(open) = self.per_address.get_mut(&ip) {
                        *open -= 1;
                        if *open == 0 {
                            self.per_address.remove(&ip);
                        }
                    }
                }
                if conn.tls.is_some() {
                    self.out.stats.open_tls[self.listeners[conn.listener as usize].face as usize] -= 1;
                }
                match conn.transport {
                    Transport::Tcp if self.listeners[conn.listener as usize].face == Face::Irc => {
                        self.out.stats.open_irc -= 1
                    }
                    Transport::Tcp => self.out.stats.open_tcp -= 1,
                    Transport::WebSocket => self.out.stats.open_ws -= 1,
                    Transport::Http => self.out.stats.open_http -= 1,
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
            self.reload_tls();
            self.service.on_reload();
        }
        if !stop {
            return false;
        }
        if self.stopping_until.is_some() {
            info!("second stop signal: exiting now");
            return true;
        }
        info!("stop signal: closing {} connections", self.out.conns.len());
        for l in &mut self.listeners {
            let _ = self.poll.registry().deregister(&mut l.sock);
        }
        self.stopping_until = Some(self.out.now + self.limits.close_grace);
        self.service.on_shutdown(&mut self.out);
        let ids: Vec<ConnId> = self.out.conns.iter().map(|(id, _)| id).collect();
        for id in ids {
            // WebSocket clients get a 1001 "going away" close frame.
            self.out.close_after_flush(id, CloseReason::Shutdown);
        }
        false
    }
}

/// Hands the lines of a client's WebSocket messages to the service: each
/// text message may carry several `\n`-separated lines, and a trailing
/// newline is ignored (line tools such as websocat send one). Returns how
/// many lines it handed over.
fn feed_ws<S: Service>(
    decoder: &mut ws::WsDecoder,
    data: &[u8],
    id: ConnId,
    max_line: usize,
    service: &mut S,
    out: &mut Outbox,
) -> u32 {
    // Room for a trailing "\r\n" beyond the longest line.
    let max_message = max_line + 2;
    let mut lines = 0;
    decoder.feed(data, max_message, &mut |event| {
        match event {
            ws::WsEvent::Text(text) => {
                let text = text.strip_suffix(b"\n").unwrap_or(text);
                for line in text.split(|&b| b == b'\n') {
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    let line = if line.len() > max_line { Err(LineFault::TooLong) } else { Ok(line) };
                    lines += 1;
                    service.on_line(id, line, out);
                    if !out.is_open(id) {
                        break;
                    }
                }
            }
            ws::WsEvent::Ping(payload) => out.push_raw(id, Rc::new(ws::frame(ws::OP_PONG, payload))),
            ws::WsEvent::Close(code) => out.close_ws(id, code, "", CloseReason::PeerClosed),
            ws::WsEvent::Fail(code, why) => {
                debug!("conn={id} websocket protocol error {code}: {why}");
                out.close_ws(id, code, why, CloseReason::Requested);
            }
        }
        out.is_open(id)
    });
    lines
}
