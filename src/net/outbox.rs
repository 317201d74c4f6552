//! The connection table as the service sees it ([`Outbox`]): queueing
//! output into this tick's shared buffers, closing, timers (and which are
//! due), pausing reads; and the counters the loop keeps ([`IoStats`]). The
//! loop itself is `reactor.rs`. The outbox's clock is `now`, set by the
//! loop once per turn (and by tests at will): nothing here reads the time.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use log::warn;
use slab::Slab;

use super::conn::{Closing, Conn};
use super::framing::{Framing, Start};
use super::kinds::{CloseReason, Face, MAX_FACES};
use super::outq::{Chunk, Flushed, Message, Transport, WsFrames, STREAMS, TRANSPORT_KINDS};
use super::ws;

/// A connection's key in the table; stable for the connection's life.
pub type ConnId = usize;

/// A timer that came due, and what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// The connection took too long to close (or to finish its handshake
    /// or request head): close it now.
    Close(ConnId),
    /// A read pause ended: read the connection again.
    Resume(ConnId),
    /// The service asked to be woken for this connection.
    Service(ConnId),
}

/// Counters the reactor keeps, for logs and metrics.
#[derive(Debug, Default, Clone)]
pub struct IoStats {
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub accepted: u64,
    pub rejected_full: u64,
    /// Connections refused for `--max-per-ip`.
    pub rejected_per_address: u64,
    pub slow_consumers: u64,
    pub accept_fd_exhausted: u64,
    /// Open line-framed connections (not HTTP, not WebSocket) by face.
    pub open_lines: [usize; MAX_FACES],
    pub open_ws: usize,
    /// Open TLS connections by face.
    pub open_tls: [usize; MAX_FACES],
    pub tls_handshake_failures: u64,
    /// TLS handshakes refused on plain ports.
    pub tls_on_plain_port: u64,
    /// Output queued for clients and not yet taken (filled in for metrics).
    pub queued_bytes: usize,
    /// Web connections not (yet) upgraded.
    pub open_http: usize,
    pub http_requests: u64,
    /// How long the loop's turns took (from poll's return to the next poll).
    pub turns: TurnStats,
}

/// The loop's turns: how many, the longest, and how many passed 1 ms and
/// 5 ms (the loop never waits on a disk: a long turn is work in hand).
#[derive(Debug, Default, Clone, Copy)]
pub struct TurnStats {
    pub count: u64,
    pub max: std::time::Duration,
    pub over_1ms: u64,
    pub over_5ms: u64,
}

impl TurnStats {
    pub fn record(&mut self, took: std::time::Duration) {
        self.count += 1;
        self.max = self.max.max(took);
        self.over_1ms += u64::from(took > std::time::Duration::from_millis(1));
        self.over_5ms += u64::from(took > std::time::Duration::from_millis(5));
    }
}

/// The connection table as the service sees it: it can queue output, close,
/// and set a timer, and nothing else.
pub struct Outbox {
    pub(crate) conns: Slab<Conn>,
    /// Connections with output queued this tick, flushed before the next poll.
    pub(crate) dirty: Vec<ConnId>,
    /// Connections whose close the service has not yet been told of.
    pub(crate) closed: Vec<ConnId>,
    /// Connections to remove at the end of the tick.
    pub(crate) doomed: Vec<ConnId>,
    /// (deadline, id, serial); stale entries are skipped when they come up.
    pub(crate) timers: BinaryHeap<Reverse<(Instant, ConnId, u64)>>,
    /// This tick's output, one buffer per (stream, transport): a message is
    /// appended once and recipients queue ranges of it. Frozen into shared
    /// chunks before the flush (or when one grows past [`TICK_BUFFER_MAX`]).
    pub(crate) tick_bufs: [Vec<u8>; TICK_SLOTS],
    /// Bytes queued to clients since the allocator last gave memory back
    /// (see the reactor's `trim_after_burst`).
    pub(crate) burst_bytes: usize,
    /// Bumped at every freeze; tells a message whether its placement is current.
    pub(crate) tick_gen: u32,
    pub(crate) max_outbuf: usize,
    pub(crate) close_grace: Duration,
    pub(crate) now: Instant,
    pub(crate) stats: IoStats,
    /// Serials given so far (see [`Outbox::next_serial`]).
    serials: u64,
    /// Output may carry lines not yet durable: it is written only at the
    /// end of a tick, behind its epoch's fence (see [`Outbox::wait_for`]).
    pub(crate) durable: bool,
    /// What this tick's output waits for ([`Outbox::wait_for`]).
    wait_epoch: Option<u64>,
    /// Connections whose output waits for an epoch, with their serials.
    pub(crate) fenced: Vec<(ConnId, u64)>,
    /// Set by the service while it waits for lines to be made durable
    /// (briefly after handing a batch over, or when too far behind): the
    /// loop reads nothing until it is cleared (the lines wait in the
    /// sockets, TCP back-pressure).
    pub reads_paused: bool,
    /// While set, what is sent to this connection is kept here instead of
    /// queued ([`Outbox::capture`]), for the service to wrap and send.
    capture: Option<(ConnId, Vec<u8>)>,
}

/// A tick buffer per stream and kind of transport (raw bytes, and each
/// WebSocket framing).
const TICK_SLOTS: usize = STREAMS * TRANSPORT_KINDS;
/// A tick buffer larger than this is frozen early, so one tick's output
/// never piles up in one allocation.
const TICK_BUFFER_MAX: usize = 1 << 20;
/// The most a fresh tick buffer reserves up front.
const TICK_BUFFER_KEEP: usize = 64 * 1024;

impl Outbox {
    /// An empty outbox: no connections, no timers.
    pub fn new(max_outbuf: usize, close_grace: Duration) -> Outbox {
        Outbox {
            conns: Slab::new(),
            dirty: Vec::new(),
            closed: Vec::new(),
            doomed: Vec::new(),
            timers: BinaryHeap::new(),
            tick_bufs: std::array::from_fn(|_| Vec::new()),
            tick_gen: 0,
            burst_bytes: 0,
            max_outbuf,
            close_grace,
            now: Instant::now(),
            stats: IoStats::default(),
            serials: 0,
            durable: false,
            wait_epoch: None,
            fenced: Vec::new(),
            reads_paused: false,
            capture: None,
        }
    }

    /// From now until [`Outbox::captured`], output to `id` is collected
    /// rather than queued (so a reply can be wrapped as a whole: IRC's
    /// labeled-response).
    pub fn capture(&mut self, id: ConnId) {
        self.capture = Some((id, Vec::new()));
    }

    /// Ends a capture: what was sent to the connection meanwhile.
    pub fn captured(&mut self) -> Vec<u8> {
        self.capture.take().map(|(_, bytes)| bytes).unwrap_or_default()
    }

    /// For tests and fuzz targets driving a service without a loop: adds a
    /// connection of `face` with no socket behind it (its output stays
    /// queued for [`Outbox::take_output`]), already open in the service's
    /// eyes (the caller calls `on_open`).
    #[doc(hidden)]
    pub fn attach(&mut self, face: Face, transport: Transport) -> ConnId {
        let serial = self.next_serial();
        let id = self.conns.insert(Conn::new(None, transport, face, Framing::new(Start::Lines), serial));
        self.conns[id].in_service = true;
        id
    }

    /// A new connection's serial, never given before: it tells its timers
    /// from those of an earlier connection in the same slot.
    pub(crate) fn next_serial(&mut self) -> u64 {
        self.serials += 1;
        self.serials
    }

    /// The timers due at `now`, one at a time, with what each means; stale
    /// ones (a slot reused, a deadline moved later) are skipped.
    pub fn next_due(&mut self) -> Option<Due> {
        while let Some(&Reverse((at, id, serial))) = self.timers.peek() {
            if at > self.now {
                return None;
            }
            self.timers.pop();
            let Some(conn) = self.conns.get_mut(id) else { continue };
            if conn.serial != serial {
                continue;
            }
            if conn.close_deadline.is_some_and(|d| d <= self.now) && conn.closing != Closing::Now {
                return Some(Due::Close(id));
            }
            if conn.read_resume.is_some_and(|d| d <= self.now) {
                conn.read_resume = None;
                return Some(Due::Resume(id));
            }
            if conn.service_deadline.is_some_and(|d| d <= self.now) && conn.closing == Closing::No {
                conn.service_deadline = None;
                return Some(Due::Service(id));
            }
        }
        None
    }

    /// When the next timer is due, if any.
    pub fn next_timer(&self) -> Option<Instant> {
        self.timers.peek().map(|Reverse((at, _, _))| *at)
    }

    /// Sets the outbox's clock (the loop does it once per turn).
    pub fn set_now(&mut self, now: Instant) {
        self.now = now;
    }

    /// Output queued to clients and not yet taken, in bytes.
    pub fn queued_bytes(&self) -> usize {
        self.conns.iter().map(|(_, c)| c.out.queued()).sum()
    }

    /// An HTTP connection became a WebSocket: it carries the service's
    /// lines now, in `frames`.
    pub(crate) fn upgraded(&mut self, id: ConnId, frames: WsFrames) {
        let Some(conn) = self.conns.get_mut(id) else { return };
        conn.transport = Transport::WebSocket(frames);
        conn.close_deadline = None;
        conn.in_service = true;
        self.stats.open_http -= 1;
        self.stats.open_ws += 1;
    }

    /// For fuzz targets and tests: everything queued for `id` so far, taken
    /// out of its queue.
    #[doc(hidden)]
    pub fn take_output(&mut self, id: ConnId) -> Vec<u8> {
        self.freeze_tick();
        let mut bytes = Vec::new();
        if let Some(conn) = self.conns.get_mut(id) {
            let _ = conn.out.flush(&mut bytes);
        }
        bytes
    }

    /// Queues a message for `id`; ignored when `id` is closing or gone.
    /// A client whose unsent output passes the limit even after a write
    /// attempt is dropped as a slow consumer; nobody else waits for it.
    #[inline]
    pub fn send(&mut self, id: ConnId, msg: &Message) {
        let Some(conn) = self.conns.get_mut(id) else { return };
        if conn.closing != Closing::No {
            return;
        }
        if let Some((to, bytes)) = &mut self.capture {
            if *to == id {
                return bytes.extend_from_slice(msg.bytes());
            }
        }
        let slot = msg.slot(conn.transport);
        let (start, end) = match msg.placed(conn.transport, self.tick_gen) {
            Some(span) => span,
            None => msg.place(conn.transport, self.tick_gen, &mut self.tick_bufs[slot]),
        };
        conn.out.push_pending(slot, start, end);
        self.burst_bytes += (end - start) as usize;
        conn.mark_dirty(id, &mut self.dirty);
        if conn.out.queued() > self.max_outbuf {
            self.relieve(id);
        } else if end as usize > TICK_BUFFER_MAX {
            self.freeze_tick();
        }
    }

    /// Turns this tick's buffers into shared chunks and points every queued
    /// range at them. Every connection holding a pending range is in `dirty`.
    pub(crate) fn freeze_tick(&mut self) {
        if self.tick_bufs.iter().all(Vec::is_empty) {
            return;
        }
        let frozen: [Option<Chunk>; TICK_SLOTS] = std::array::from_fn(|slot| {
            let buf = &mut self.tick_bufs[slot];
            // The next tick likely needs as much (bounded, so a burst does not
            // leave large buffers behind in a quiet room).
            let next = Vec::with_capacity(buf.len().min(TICK_BUFFER_KEEP));
            (!buf.is_empty()).then(|| Rc::new(std::mem::replace(buf, next)))
        });
        self.tick_gen = self.tick_gen.wrapping_add(1);
        for &id in &self.dirty {
            if let Some(conn) = self.conns.get_mut(id) {
                conn.out.resolve(&frozen);
            }
        }
    }

    /// What is queued during this tick (to anyone) must not be written
    /// before `epoch` is released ([`Outbox::release`]): it may carry
    /// lines of that epoch's batch, not yet durable. Epochs increase.
    pub fn wait_for(&mut self, epoch: u64) {
        self.wait_epoch = Some(self.wait_epoch.map_or(epoch, |e| e.max(epoch)));
    }

    /// Epochs up to `epoch` are durable: what waited for them is written
    /// with this tick's flush.
    pub fn release(&mut self, epoch: u64) {
        let conns = &mut self.conns;
        let dirty = &mut self.dirty;
        self.fenced.retain(|&(id, serial)| {
            let Some(conn) = conns.get_mut(id).filter(|c| c.serial == serial) else { return false };
            if conn.out.release(epoch) {
                conn.mark_dirty(id, dirty);
            }
            conn.out.is_fenced()
        });
    }

    /// The end of a tick, before its flush: the epoch what each
    /// connection got during it waits for, if it has one
    /// (`OutQueue::end_tick`, by the flush).
    pub(crate) fn end_tick(&mut self) -> Option<u64> {
        self.wait_epoch.take()
    }

    /// The queue of `id` passed the limit: write now if the socket takes it,
    /// otherwise drop the client. Output that waits for durability is
    /// written only at the end of the tick: such a client is dropped only
    /// if its socket is full.
    #[cold]
    pub(crate) fn relieve(&mut self, id: ConnId) {
        self.freeze_tick();
        let conn = &mut self.conns[id];
        if self.durable && !conn.blocked {
            return;
        }
        if !conn.blocked {
            match conn.flush_out() {
                Ok((flushed, n)) => {
                    self.stats.bytes_out += n as u64;
                    if flushed == Flushed::Blocked {
                        conn.blocked = true;
                    }
                }
                Err(e) => {
                    self.close(id, CloseReason::Io(e.kind()));
                    return;
                }
            }
        }
        let conn = &mut self.conns[id];
        if conn.out.queued() > self.max_outbuf {
            let peer = conn.sock.as_ref().and_then(|s| s.peer_addr().ok()).map(|a| a.to_string());
            let peer = peer.unwrap_or_default();
            warn!(
                "conn={id} peer={peer} dropped: slow consumer, {} bytes unsent (limit {})",
                conn.out.queued(),
                self.max_outbuf
            );
            self.stats.slow_consumers += 1;
            self.close(id, CloseReason::OutputLimit);
        }
    }

    /// Queues bytes that belong to the transport itself (HTTP responses,
    /// WebSocket control frames) for `id`, closing or not.
    pub(crate) fn push_raw(&mut self, id: ConnId, bytes: Chunk) {
        let Some(conn) = self.conns.get_mut(id) else { return };
        if conn.closing == Closing::Now {
            return;
        }
        conn.out.push(bytes);
        conn.mark_dirty(id, &mut self.dirty);
    }

    /// Sends a WebSocket close frame and closes once it is out.
    pub(crate) fn close_ws(&mut self, id: ConnId, code: u16, why: &str, reason: CloseReason) {
        let Some(conn) = self.conns.get_mut(id) else { return };
        if conn.ws_close_sent || conn.closing != Closing::No {
            return;
        }
        conn.ws_close_sent = true;
        self.push_raw(id, Rc::new(ws::close_frame(code, why)));
        self.close_after_flush(id, reason);
    }

    /// Closes `id` now, dropping unsent output.
    pub fn close(&mut self, id: ConnId, reason: CloseReason) {
        let Some(conn) = self.conns.get_mut(id) else {
            return;
        };
        if conn.closing == Closing::Now {
            return;
        }
        let first = conn.closing == Closing::No;
        conn.closing = Closing::Now;
        conn.out.clear();
        conn.framing = Framing::Closed;
        conn.close_reason.get_or_insert(reason);
        self.doomed.push(id);
        if first {
            self.closed.push(id);
        }
    }

    /// Closes `id` once what is queued for it has been sent (at most the
    /// close grace). Later output to it is ignored, and later input discarded.
    pub fn close_after_flush(&mut self, id: ConnId, reason: CloseReason) {
        let Some(conn) = self.conns.get_mut(id) else {
            return;
        };
        if conn.closing != Closing::No {
            return;
        }
        if conn.transport.is_websocket() && !conn.ws_close_sent {
            // End the WebSocket properly: a close frame after the last message.
            conn.ws_close_sent = true;
            let code = if reason == CloseReason::Shutdown { ws::CLOSE_GOING_AWAY } else { ws::CLOSE_NORMAL };
            conn.out.push(Rc::new(ws::close_frame(code, "")));
        }
        conn.closing = Closing::AfterFlush;
        conn.framing = Framing::Closed;
        conn.close_reason = Some(reason);
        conn.mark_dirty(id, &mut self.dirty);
        self.set_close_deadline(id, self.now + self.close_grace);
        self.closed.push(id);
    }

    /// Closes `id` at `at` if it is still there, whatever it is doing then.
    pub(crate) fn set_close_deadline(&mut self, id: ConnId, at: Instant) {
        let Some(conn) = self.conns.get_mut(id) else { return };
        conn.close_deadline = Some(at);
        self.timers.push(Reverse((at, id, conn.serial)));
    }

    /// Asks for [`Service::on_timer`] for `id` at `at` (replacing an earlier request).
    pub fn set_timer(&mut self, id: ConnId, at: Instant) {
        let Some(conn) = self.conns.get_mut(id) else {
            return;
        };
        conn.service_deadline = Some(at);
        self.timers.push(Reverse((at, id, conn.serial)));
    }

    /// The peer's address (`None` for connections without a socket).
    pub fn peer_ip(&self, id: ConnId) -> Option<std::net::IpAddr> {
        self.conns.get(id)?.ip
    }

    /// Does the connection speak TLS?
    pub fn is_tls(&self, id: ConnId) -> bool {
        self.conns.get(id).is_some_and(|c| c.tls.is_some())
    }

    /// The SHA-256 fingerprint (lowercase hex) of the TLS client
    /// certificate `id` presented, if any.
    pub fn certfp(&self, id: ConnId) -> Option<String> {
        self.conns.get(id)?.tls.as_ref()?.client_certfp()
    }

    /// Does `id` speak through a WebSocket?
    pub fn is_websocket(&self, id: ConnId) -> bool {
        self.conns.get(id).is_some_and(|c| c.transport.is_websocket())
    }

    /// The time this tick started; cheaper than asking the clock per line.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Is `id` open and not closing?
    pub fn is_open(&self, id: ConnId) -> bool {
        self.conns.get(id).is_some_and(|c| c.closing == Closing::No)
    }

    /// Stops reading `id` until `until`: what it sends meanwhile waits in
    /// its socket (TCP back-pressure). Lines already read are kept for then.
    pub fn pause_reading(&mut self, id: ConnId, until: Instant) {
        let Some(conn) = self.conns.get_mut(id) else { return };
        if conn.read_resume.is_none_or(|t| t < until) {
            conn.read_resume = Some(until);
            self.timers.push(Reverse((until, id, conn.serial)));
        }
    }

    /// Reads `id` again now if the service paused it (rate pauses resume on their own).
    pub fn resume_reading(&mut self, id: ConnId) {
        let now = self.now;
        let Some(conn) = self.conns.get_mut(id) else { return };
        if conn.read_resume.is_some_and(|t| t > now) {
            conn.read_resume = Some(now);
            self.timers.push(Reverse((now, id, conn.serial)));
        }
    }

    /// Is reading `id` paused (by its rate, or by the service)?
    pub fn is_paused(&self, id: ConnId) -> bool {
        self.conns.get(id).is_some_and(|c| c.read_resume.is_some_and(|t| t > self.now))
    }
}
