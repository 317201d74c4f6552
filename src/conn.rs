//! One connection: its socket, the partial input line, the framing of its
//! transport, and the queue of output it has not yet taken.
//!
//! This file knows bytes, lines and WebSocket frames, never nicknames or
//! packets: complete lines go up to the service through a callback, and output
//! comes down as ranges of shared buffers.

use std::cell::Cell;
use std::collections::VecDeque;
use std::io::{self, IoSlice, Read, Write};
use std::rc::Rc;

use mio::net::TcpStream;

use crate::tls::Tls;

/// Bytes ready for the wire, shared by every recipient that references them.
/// One thread, so a plain `Rc` does: cloning it is one counter increment.
pub type Chunk = Rc<Vec<u8>>;

/// Separate streams of messages (the protocol's wire formats) are packed
/// into separate tick buffers, so that a client receiving every message of
/// its stream gets one contiguous range per tick.
pub const STREAMS: usize = 3;

/// One outgoing line, for any number of recipients. The first time a tick
/// sends it to a client on a given transport, its bytes (the line, or its
/// WebSocket frame) are appended to that tick's shared buffer; every
/// recipient then holds a range of that buffer, not a copy.
pub struct Message {
    /// The line, ending in `\n`.
    line: Vec<u8>,
    /// Which stream it belongs to (below [`STREAMS`]).
    stream: u8,
    /// Where it was placed, per transport (chat port, WebSocket):
    /// (buffer generation, start, end).
    placed: [Cell<Option<(u32, u32, u32)>>; 2],
}

impl Message {
    /// `line` must end in `\n`; `stream` is below [`STREAMS`].
    pub fn new(line: Vec<u8>, stream: u8) -> Message {
        debug_assert_eq!(line.last(), Some(&b'\n'));
        debug_assert!((stream as usize) < STREAMS);
        Message { line, stream, placed: [Cell::new(None), Cell::new(None)] }
    }

    /// Which tick buffer it goes to for a client on `transport`.
    #[inline]
    pub fn slot(&self, transport: Transport) -> usize {
        self.stream as usize * 2 + usize::from(transport == Transport::WebSocket)
    }

    /// Its range in the tick buffer for `transport`, if placed in generation `gen`.
    #[inline]
    pub fn placed(&self, transport: Transport, gen: u32) -> Option<(u32, u32)> {
        match self.placed[usize::from(transport == Transport::WebSocket)].get() {
            Some((g, start, end)) if g == gen => Some((start, end)),
            _ => None,
        }
    }

    /// Appends its wire bytes for `transport` to `buf` and remembers where.
    pub fn place(&self, transport: Transport, gen: u32, buf: &mut Vec<u8>) -> (u32, u32) {
        let start = buf.len() as u32;
        match transport {
            Transport::WebSocket => {
                crate::web::ws::write_frame(buf, crate::web::ws::OP_TEXT, &self.line[..self.line.len() - 1])
            }
            Transport::Tcp | Transport::Http => buf.extend_from_slice(&self.line),
        }
        let end = buf.len() as u32;
        self.placed[usize::from(transport == Transport::WebSocket)].set(Some((gen, start, end)));
        (start, end)
    }
}

/// How many slices one `writev` carries. With tick buffers a client
/// usually needs one or two; Linux allows 1024.
const MAX_IOV: usize = 64;

/// A queued range of bytes.
struct Entry {
    /// The bytes, or `None` while the range is in a tick buffer still being built.
    data: Option<Chunk>,
    /// For a pending range: which tick buffer.
    slot: u8,
    start: u32,
    end: u32,
}

/// An output queue that keeps no memory while it is empty, so that ten
/// thousand idle clients cost nothing here.
#[derive(Default)]
pub struct OutQueue {
    /// Ranges not yet fully written, oldest first (the front's `start`
    /// advances as it is written).
    entries: VecDeque<Entry>,
    /// The newest pending range, kept inline: extending it, the common case
    /// in a busy room, touches no other memory.
    tail: Option<(u8, u32, u32)>,
    /// Unsent bytes in total: what the output limit is checked against.
    queued: usize,
    /// Pending ranges in `entries` still waiting for their tick buffer.
    pending: usize,
}

/// What a flush achieved.
#[derive(Debug, PartialEq, Eq)]
pub enum Flushed {
    /// Everything went out.
    Drained,
    /// The socket is full; wait for writability.
    Blocked,
}

impl OutQueue {
    /// Queues a whole chunk.
    pub fn push(&mut self, chunk: Chunk) {
        self.retire_tail();
        let end = chunk.len() as u32;
        self.queued += chunk.len();
        self.entries.push_back(Entry { data: Some(chunk), slot: 0, start: 0, end });
    }

    /// Queues a range of the tick buffer `slot`, merging it with the
    /// previous range when they touch (the usual case in a busy room).
    #[inline]
    pub fn push_pending(&mut self, slot: usize, start: u32, end: u32) {
        self.queued += (end - start) as usize;
        match &mut self.tail {
            Some((s, _, e)) if *s as usize == slot && *e == start => *e = end,
            _ => {
                self.retire_tail();
                self.tail = Some((slot as u8, start, end));
            }
        }
    }

    /// Moves the inline pending range into the queue proper.
    fn retire_tail(&mut self) {
        if let Some((slot, start, end)) = self.tail.take() {
            self.pending += 1;
            self.entries.push_back(Entry { data: None, slot, start, end });
        }
    }

    /// The tick buffers were frozen into `frozen`: pending ranges (the
    /// newest entries) now point at them, or at a copy when they are a small
    /// part of a buffer. Memory kept alive is then at most four times the
    /// bytes queued.
    pub fn resolve(&mut self, frozen: &[Option<Chunk>]) {
        self.retire_tail();
        for entry in self.entries.iter_mut().rev() {
            if self.pending == 0 {
                break;
            }
            if entry.data.is_none() {
                let Some(buf) = &frozen[entry.slot as usize] else {
                    debug_assert!(false, "a pending range without its buffer");
                    continue;
                };
                let len = (entry.end - entry.start) as usize;
                if len * 4 < buf.len() {
                    // A small part of a big buffer: keep a copy, not the
                    // buffer, so a client that never reads cannot pin far
                    // more memory than its output limit counts.
                    entry.data = Some(Rc::new(buf[entry.start as usize..entry.end as usize].to_vec()));
                    entry.start = 0;
                    entry.end = len as u32;
                } else {
                    entry.data = Some(buf.clone());
                }
                self.pending -= 1;
            }
        }
    }

    pub fn queued(&self) -> usize {
        self.queued
    }

    pub fn is_empty(&self) -> bool {
        self.queued == 0
    }

    /// Drops everything unsent (the connection is going away).
    pub fn clear(&mut self) {
        *self = OutQueue::default();
    }

    /// Writes as much as the socket takes, with vectored writes.
    /// Returns the bytes written alongside the outcome.
    pub fn flush(&mut self, w: &mut impl Write) -> io::Result<(Flushed, usize)> {
        let mut written_total = 0;
        while self.queued > 0 {
            let mut slices: [IoSlice<'_>; MAX_IOV] = [IoSlice::new(&[]); MAX_IOV];
            let mut n = 0;
            for entry in self.entries.iter().take(MAX_IOV) {
                let Some(data) = &entry.data else { break };
                slices[n] = IoSlice::new(&data[entry.start as usize..entry.end as usize]);
                n += 1;
            }
            if n == 0 {
                break; // only ranges of a buffer still being built
            }
            match w.write_vectored(&slices[..n]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(written) => {
                    written_total += written;
                    self.consume(written);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    return Ok((Flushed::Blocked, written_total))
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        // Give the ring's memory back: an idle client should cost nothing here.
        if self.entries.is_empty() && self.entries.capacity() > 4 {
            self.entries = VecDeque::new();
        }
        Ok((Flushed::Drained, written_total))
    }

    fn consume(&mut self, mut written: usize) {
        self.queued -= written;
        while written > 0 {
            let front = &mut self.entries[0];
            let left = (front.end - front.start) as usize;
            if written >= left {
                written -= left;
                self.entries.pop_front();
            } else {
                front.start += written as u32;
                written = 0;
            }
        }
    }
}

/// A fault in the input that the service should hear about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineFault {
    /// A line grew past `max_line` before its newline; the rest of it is discarded.
    TooLong,
}

/// Receives each line (or fault); returns false to stop (the connection is closing).
pub type LineSink<'a> = dyn FnMut(Result<&[u8], LineFault>) -> bool + 'a;

/// Splits a byte stream into lines ending in `\n`, dropping one trailing `\r`.
/// Complete lines inside a read are handed out without copying; only a
/// partial line at the end of a read is kept, and its buffer is freed as soon
/// as the line completes.
#[derive(Default)]
pub struct LineSplitter {
    /// The start of a line whose newline has not arrived yet.
    partial: Vec<u8>,
    /// Inside an over-long line: drop bytes up to the next newline.
    discarding: bool,
}

impl LineSplitter {
    /// Feeds `data`, calling `on_line` for every complete line or fault, in order.
    /// `on_line` returns false to stop early (the connection is closing).
    /// Returns how many bytes of `data` were left unread because the sink
    /// asked to stop (0 when all was taken).
    pub fn feed(&mut self, mut data: &[u8], max_line: usize, on_line: &mut LineSink<'_>) -> usize {
        // Finish the line carried over from an earlier read first.
        if self.discarding || !self.partial.is_empty() {
            match memchr::memchr(b'\n', data) {
                None => {
                    if !self.discarding {
                        // One byte of slack: it may be the `\r` of a `\r\n`.
                        if self.partial.len() + data.len() > max_line + 1 {
                            self.partial = Vec::new();
                            self.discarding = true;
                            if !on_line(Err(LineFault::TooLong)) {
                                return 0;
                            }
                        } else {
                            self.partial.extend_from_slice(data);
                        }
                    }
                    return 0;
                }
                Some(nl) => {
                    let go_on = if self.discarding {
                        self.discarding = false;
                        true
                    } else if self.joined_len(&data[..nl]) > max_line {
                        self.partial = Vec::new();
                        on_line(Err(LineFault::TooLong))
                    } else {
                        self.partial.extend_from_slice(&data[..nl]);
                        let line = std::mem::take(&mut self.partial);
                        on_line(Ok(trim_cr(&line)))
                    };
                    data = &data[nl + 1..];
                    if !go_on {
                        return data.len();
                    }
                }
            }
        }
        while !data.is_empty() {
            match memchr::memchr(b'\n', data) {
                Some(nl) => {
                    let go_on = if content_len(&data[..nl]) > max_line {
                        on_line(Err(LineFault::TooLong))
                    } else {
                        on_line(Ok(trim_cr(&data[..nl])))
                    };
                    data = &data[nl + 1..];
                    if !go_on {
                        return data.len();
                    }
                }
                None => {
                    if data.len() > max_line + 1 {
                        self.discarding = true;
                        on_line(Err(LineFault::TooLong));
                    } else {
                        self.partial.extend_from_slice(data);
                    }
                    return 0;
                }
            }
        }
        0
    }

    /// Length of the kept partial line completed by `tail`, without a final `\r`.
    fn joined_len(&self, tail: &[u8]) -> usize {
        let ends_in_cr = match tail.last() {
            Some(&last) => last == b'\r',
            None => self.partial.last() == Some(&b'\r'),
        };
        self.partial.len() + tail.len() - usize::from(ends_in_cr)
    }

    /// Bytes held for an incomplete line.
    #[cfg(test)]
    pub fn pending(&self) -> usize {
        self.partial.len()
    }
}

/// A line's length without the `\r` of a `\r\n` ending.
fn content_len(line: &[u8]) -> usize {
    trim_cr(line).len()
}

fn trim_cr(line: &[u8]) -> &[u8] {
    match line.last() {
        Some(b'\r') => &line[..line.len() - 1],
        _ => line,
    }
}

/// How a connection frames its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// The chat and IRC ports: newline-terminated lines both ways.
    Tcp,
    /// The web port after a WebSocket upgrade: one line per text frame.
    WebSocket,
    /// The web port before (or without) an upgrade: raw HTTP.
    Http,
}

/// The input side of a connection, by phase of its transport.
pub enum Framing {
    /// Chat port: lines.
    Lines(LineSplitter),
    /// Web port, before the request head is complete.
    Http(crate::web::HttpHead),
    /// Web port after the upgrade: frames carrying lines.
    Ws(Box<crate::web::ws::WsDecoder>),
    /// Nothing more is read into the service (closing, or an HTTP reply in flight).
    Closed,
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

/// How far along the end of a connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    /// Open.
    No,
    /// Send what is queued, then shut down writing and wait for the peer's end.
    AfterFlush,
    /// Output is done; reading and discarding until the peer closes, so that
    /// unread input does not turn our close into a reset that destroys the
    /// last lines we sent.
    Lingering,
    /// Remove at the end of this tick.
    Now,
}

/// One client connection.
pub struct Conn {
    /// The socket, registered once for read and write readiness (edge-triggered).
    pub sock: TcpStream,
    /// How its bytes are framed now.
    pub transport: Transport,
    /// Which listener it came through (an index in the reactor's table).
    pub listener: u8,
    /// The TLS layer between the socket and the framing, on TLS listeners.
    pub tls: Option<Box<Tls>>,
    /// No byte has been read yet (a TLS hello on a plain port is refused).
    pub fresh: bool,
    /// A web connection over TLS whose handshake has not finished: its close
    /// deadline is the handshake's, not yet the request head's.
    pub awaiting_handshake: bool,
    /// The peer's address, when connections are counted per address.
    pub ip: Option<std::net::IpAddr>,
    /// Its `--rate` tokens.
    pub rate: crate::reactor::Bucket,
    /// Out of tokens: reading resumes then.
    pub read_resume: Option<std::time::Instant>,
    /// Bytes read but not yet framed because the rate ran out (at most one read).
    pub held: Vec<u8>,
    /// Input framing state for the transport's current phase.
    pub framing: Framing,
    /// Output not yet taken by the socket.
    pub out: OutQueue,
    /// In the reactor's list of connections to flush this tick.
    pub dirty: bool,
    /// The last write hit `WouldBlock`: wait for a writable event.
    pub blocked: bool,
    /// How far along closing is.
    pub closing: Closing,
    /// Why it is closing (kept for the log and the service).
    pub close_reason: Option<CloseReason>,
    /// A WebSocket close frame has been queued; send no other.
    pub ws_close_sent: bool,
    /// The peer sent its FIN: nothing more will be read.
    pub peer_closed: bool,
    /// Has the service been told of this connection (web connections join it only after the upgrade)?
    pub in_service: bool,
    /// Distinguishes this connection from a later one reusing its slot, for stale timers.
    pub serial: u64,
    /// When the service asked to be woken for this connection.
    pub service_deadline: Option<std::time::Instant>,
    /// When to give up on flushing or lingering and just close.
    pub close_deadline: Option<std::time::Instant>,
}

impl Conn {
    pub fn new(sock: TcpStream, transport: Transport, listener: u8, framing: Framing, serial: u64) -> Conn {
        Conn {
            sock,
            transport,
            listener,
            tls: None,
            fresh: true,
            awaiting_handshake: false,
            ip: None,
            rate: Default::default(),
            read_resume: None,
            held: Vec::new(),
            framing,
            out: OutQueue::default(),
            dirty: false,
            blocked: false,
            closing: Closing::No,
            close_reason: None,
            peer_closed: false,
            ws_close_sent: false,
            in_service: false,
            serial,
            service_deadline: None,
            close_deadline: None,
        }
    }

    /// Puts the connection on the reactor's `dirty` list, once per tick, so
    /// that it is flushed before the next poll.
    #[inline]
    pub fn mark_dirty(&mut self, id: usize, dirty: &mut Vec<usize>) {
        if !self.dirty {
            self.dirty = true;
            dirty.push(id);
        }
    }

    /// Writes queued output: straight to the socket, or through the TLS
    /// layer, which sends a close_notify once a closing connection's output
    /// is all out. Returns the bytes that reached the socket.
    pub fn flush_out(&mut self) -> io::Result<(Flushed, usize)> {
        let Some(tls) = self.tls.as_mut() else {
            return self.out.flush(&mut self.sock);
        };
        let mut writer = tls.writer(&mut self.sock);
        let (flushed, _) = self.out.flush(&mut writer)?;
        let mut wire = writer.wire;
        if flushed == Flushed::Drained && self.closing == Closing::AfterFlush {
            tls.close_notify();
        }
        let (done, n) = tls.write_records(&mut self.sock)?;
        wire += n;
        Ok((if flushed == Flushed::Drained && done { Flushed::Drained } else { Flushed::Blocked }, wire))
    }

    /// Input may be waiting that the last read did not reach (TLS hands
    /// out plaintext before the socket is drained).
    pub fn more_input(&self) -> bool {
        self.tls.as_ref().is_some_and(|t| t.more_input())
    }

    /// The TLS layer has records to send (handshake replies, alerts).
    pub fn tls_wants_write(&self) -> bool {
        self.tls.as_ref().is_some_and(|t| t.wants_write())
    }

    /// A TLS connection still in its handshake.
    pub fn tls_handshaking(&self) -> bool {
        self.tls.as_ref().is_some_and(|t| t.is_handshaking())
    }

    /// Reads into `buf` once (plaintext, through the TLS layer if any).
    /// `Ok(None)` means the socket is drained.
    pub fn read_some(&mut self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        if let Some(tls) = self.tls.as_mut() {
            return tls.read(&mut self.sock, buf);
        }
        loop {
            match self.sock.read(buf) {
                Ok(n) => return Ok(Some(n)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_all(chunks: &[&[u8]], max: usize) -> Vec<Result<Vec<u8>, LineFault>> {
        let mut s = LineSplitter::default();
        let mut got = Vec::new();
        for c in chunks {
            s.feed(c, max, &mut |r| {
                got.push(r.map(|l| l.to_vec()));
                true
            });
        }
        got
    }

    #[test]
    fn lines_split_identically_at_every_byte_offset() {
        let input: &[u8] = b"alice\r\nhello world\n\n/who\r\nlast";
        let whole = split_all(&[input], 64);
        assert_eq!(
            whole,
            vec![Ok(b"alice".to_vec()), Ok(b"hello world".to_vec()), Ok(b"".to_vec()), Ok(b"/who".to_vec())]
        );
        for cut in 0..=input.len() {
            assert_eq!(split_all(&[&input[..cut], &input[cut..]], 64), whole, "cut {cut}");
        }
    }

    #[test]
    fn overlong_line_is_reported_once_and_discarded_at_every_offset() {
        let input: &[u8] = b"ok\n0123456789abcdef\nnext\n";
        for cut in 0..=input.len() {
            let got = split_all(&[&input[..cut], &input[cut..]], 8);
            assert_eq!(
                got,
                vec![Ok(b"ok".to_vec()), Err(LineFault::TooLong), Ok(b"next".to_vec())],
                "cut {cut}"
            );
        }
    }

    #[test]
    fn line_of_exactly_max_is_accepted() {
        assert_eq!(split_all(&[b"12345678\n"], 8), vec![Ok(b"12345678".to_vec())]);
        assert_eq!(split_all(&[b"1234", b"5678\r\n"], 8), vec![Ok(b"12345678".to_vec())]);
    }

    #[test]
    fn partial_line_keeps_no_memory_after_completion() {
        let mut s = LineSplitter::default();
        s.feed(b"abc", 64, &mut |_| true);
        assert_eq!(s.pending(), 3);
        s.feed(b"d\n", 64, &mut |_| true);
        assert_eq!(s.pending(), 0);
        assert_eq!(s.partial.capacity(), 0);
    }

    /// Accepts `room` bytes per call until `budget` is spent, then `WouldBlock`.
    struct Trickle {
        got: Vec<u8>,
        budget: usize,
        room: usize,
    }
    impl Write for Trickle {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            if self.budget == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let n = b.len().min(self.room).min(self.budget);
            self.got.extend_from_slice(&b[..n]);
            self.budget -= n;
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn out_queue_resumes_partial_writes_in_order() {
        let mut q = OutQueue::default();
        let a: Chunk = Rc::new(b"hello\n".to_vec());
        let b: Chunk = Rc::new(b"world\n".to_vec());
        q.push(a.clone());
        q.push(b);
        q.push(a);
        let mut w = Trickle { got: Vec::new(), budget: 7, room: 4 };
        assert_eq!(q.flush(&mut w).unwrap(), (Flushed::Blocked, 7));
        assert_eq!(q.queued(), 11);
        w.budget = 100;
        assert_eq!(q.flush(&mut w).unwrap(), (Flushed::Drained, 11));
        assert_eq!(w.got, b"hello\nworld\nhello\n");
        assert!(q.is_empty());
    }

    #[test]
    fn touching_ranges_of_a_tick_buffer_merge_and_resolve_when_frozen() {
        let mut q = OutQueue::default();
        q.push(Rc::new(b"first\n".to_vec()));
        q.push_pending(1, 0, 3);
        q.push_pending(1, 3, 7);
        q.push_pending(0, 0, 2);
        q.push(Rc::new(b"!".to_vec()));
        q.push_pending(1, 9, 10);
        assert_eq!(q.entries.len() + usize::from(q.tail.is_some()), 5, "two touching ranges became one");
        let mut w = Trickle { got: Vec::new(), budget: 100, room: 100 };
        // Nothing pending is written before its buffer is frozen.
        assert_eq!(q.flush(&mut w).unwrap(), (Flushed::Drained, 6));
        assert_eq!(q.queued(), 11);
        q.resolve(&[Some(Rc::new(b"ab".to_vec())), Some(Rc::new(b"0123456789".to_vec()))]);
        assert_eq!(q.flush(&mut w).unwrap(), (Flushed::Drained, 11));
        assert_eq!(w.got, b"first\n0123456ab!9");
    }

    #[test]
    fn a_small_range_of_a_big_buffer_is_copied_not_pinned() {
        let big: Chunk = Rc::new((0..200u8).collect());
        let mut q = OutQueue::default();
        q.push_pending(0, 10, 20);
        q.resolve(&[Some(big.clone())]);
        assert_eq!(Rc::strong_count(&big), 1, "the big buffer is not kept alive");
        let mut whole = OutQueue::default();
        whole.push_pending(0, 0, 150);
        whole.resolve(&[Some(big.clone())]);
        assert_eq!(Rc::strong_count(&big), 2, "most of a buffer is shared, not copied");
        let mut w = Trickle { got: Vec::new(), budget: 1000, room: 1000 };
        q.flush(&mut w).unwrap();
        assert_eq!(w.got, (10..20u8).collect::<Vec<u8>>());
    }
}
