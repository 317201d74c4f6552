//! Output: a [`Message`] (one line for any number of recipients, placed
//! once per tick in a shared buffer per stream and transport) and the
//! [`OutQueue`] of one connection (ranges of those buffers, written with
//! vectored writes). Knows bytes and WebSocket frames, never what they say.

use std::cell::Cell;
use std::collections::VecDeque;
use std::io::{self, IoSlice, Write};
use std::rc::Rc;

/// Bytes ready for the wire, shared by every recipient that references them.
/// One thread, so a plain `Rc` does: cloning it is one counter increment.
pub type Chunk = Rc<Vec<u8>>;

/// Separate streams of messages (the protocol's wire formats) are packed
/// into separate tick buffers, so that a client receiving every message of
/// its stream gets one contiguous range per tick.
pub const STREAMS: usize = 16;

/// One outgoing line, for any number of recipients. The first time a tick
/// sends it to a client on a given transport, its bytes (the line, or its
/// WebSocket frame) are appended to that tick's shared buffer; every
/// recipient then holds a range of that buffer, not a copy.
pub struct Message {
    /// The line, ending in `\n`.
    line: Vec<u8>,
    /// Which stream it belongs to (below [`STREAMS`]).
    stream: u8,
    /// Where it was placed, per kind of transport ([`Transport::kind`]):
    /// (buffer generation, start, end).
    placed: [Cell<Option<(u32, u32, u32)>>; TRANSPORT_KINDS],
}

impl Message {
    /// `line` must end in `\n`; `stream` is below [`STREAMS`].
    pub fn new(line: Vec<u8>, stream: u8) -> Message {
        debug_assert_eq!(line.last(), Some(&b'\n'));
        debug_assert!((stream as usize) < STREAMS);
        Message { line, stream, placed: Default::default() }
    }

    /// The line, ending in `\n`.
    pub fn bytes(&self) -> &[u8] {
        &self.line
    }

    /// Which tick buffer it goes to for a client on `transport`.
    #[inline]
    pub fn slot(&self, transport: Transport) -> usize {
        self.stream as usize * TRANSPORT_KINDS + transport.kind()
    }

    /// Its range in the tick buffer for `transport`, if placed in generation `gen`.
    #[inline]
    pub fn placed(&self, transport: Transport, gen: u32) -> Option<(u32, u32)> {
        match self.placed[transport.kind()].get() {
            Some((g, start, end)) if g == gen => Some((start, end)),
            _ => None,
        }
    }

    /// Appends its wire bytes for `transport` to `buf` and remembers where.
    pub fn place(&self, transport: Transport, gen: u32, buf: &mut Vec<u8>) -> (u32, u32) {
        let start = buf.len() as u32;
        match transport {
            Transport::WebSocket(WsFrames::Messages) => {
                super::ws::write_frame(buf, super::ws::OP_TEXT, &self.line[..self.line.len() - 1])
            }
            Transport::WebSocket(WsFrames::Lines { binary }) => {
                let opcode = if binary { super::ws::OP_BINARY } else { super::ws::OP_TEXT };
                for line in self.line.split_inclusive(|&b| b == b'\n') {
                    let line = line.strip_suffix(b"\n").unwrap_or(line);
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    super::ws::write_frame(buf, opcode, line);
                }
            }
            Transport::Tcp | Transport::Http => buf.extend_from_slice(&self.line),
        }
        let end = buf.len() as u32;
        self.placed[transport.kind()].set(Some((gen, start, end)));
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
/// thousand idle clients cost nothing here. Output can be held back by
/// epoch (see [`OutQueue::end_tick`]): the loop writes it once the
/// service releases that epoch (a batch of lines made durable).
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
    /// Bytes ever queued: a position in the stream counts from the first.
    pushed: u64,
    /// Where the output of the current tick began.
    tick_start: u64,
    /// Writing stops at this position while output waits for an epoch
    /// (`u64::MAX`: nothing waits).
    limit: u64,
    /// Output waiting to be released, oldest first: (epoch, end position).
    /// Two at most (the epoch being made durable and the one being
    /// gathered); a third merges into the second, which only holds longer.
    fences: [(u64, u64); 2],
    fenced: u8,
}

impl Default for OutQueue {
    fn default() -> OutQueue {
        OutQueue {
            entries: VecDeque::new(),
            tail: None,
            queued: 0,
            pending: 0,
            pushed: 0,
            tick_start: 0,
            limit: u64::MAX,
            fences: [(0, 0); 2],
            fenced: 0,
        }
    }
}

/// What a flush achieved.
#[derive(Debug, PartialEq, Eq)]
pub enum Flushed {
    /// Everything went out.
    Drained,
    /// The socket is full; wait for writability.
    Blocked,
    /// What may go out went; the rest waits for its epoch's release.
    Held,
}

impl OutQueue {
    /// Queues a whole chunk.
    pub fn push(&mut self, chunk: Chunk) {
        self.retire_tail();
        let end = chunk.len() as u32;
        self.queued += chunk.len();
        self.pushed += chunk.len() as u64;
        self.entries.push_back(Entry { data: Some(chunk), slot: 0, start: 0, end });
    }

    /// Queues a range of the tick buffer `slot`, merging it with the
    /// previous range when they touch (the usual case in a busy room).
    #[inline]
    pub fn push_pending(&mut self, slot: usize, start: u32, end: u32) {
        self.queued += (end - start) as usize;
        self.pushed += u64::from(end - start);
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

    /// The position written through.
    fn written(&self) -> u64 {
        self.pushed - self.queued as u64
    }

    /// The end of a tick: what was queued during it waits for `epoch`
    /// (`None`: it waits for nothing but what is before it). Returns true
    /// when the queue was free and now waits.
    pub fn end_tick(&mut self, epoch: Option<u64>) -> bool {
        let start = std::mem::replace(&mut self.tick_start, self.pushed);
        let epoch = match epoch {
            Some(epoch) if self.pushed > start => epoch,
            _ => {
                if self.fenced == 0 {
                    self.limit = u64::MAX;
                }
                return false;
            }
        };
        let end = self.pushed;
        match self.fenced {
            0 => {
                self.limit = start.max(self.written());
                self.fences[0] = (epoch, end);
                self.fenced = 1;
                return true;
            }
            1 if self.fences[0].0 != epoch => {
                self.fences[1] = (epoch, end);
                self.fenced = 2;
            }
            n => self.fences[n as usize - 1] = (epoch, end),
        }
        false
    }

    /// Epochs up to `epoch` are released: their output may go. Returns
    /// true when more may be written now.
    pub fn release(&mut self, epoch: u64) -> bool {
        let mut moved = false;
        while self.fenced > 0 && self.fences[0].0 <= epoch {
            self.limit = self.fences[0].1;
            self.fences[0] = self.fences[1];
            self.fenced -= 1;
            moved = true;
        }
        if moved && self.fenced == 0 {
            // What the current tick queued waits for its end (`end_tick`).
            self.limit = self.tick_start;
        }
        moved
    }

    /// Does output wait for an epoch?
    pub fn is_fenced(&self) -> bool {
        self.fenced > 0
    }

    /// Writes as much as the socket takes (and nothing that waits for an
    /// epoch), with vectored writes. Returns the bytes written alongside
    /// the outcome.
    pub fn flush(&mut self, w: &mut impl Write) -> io::Result<(Flushed, usize)> {
        let mut written_total = 0;
        while self.queued > 0 {
            let mut allowed =
                usize::try_from(self.limit.saturating_sub(self.written())).unwrap_or(usize::MAX);
            if allowed == 0 {
                return Ok((Flushed::Held, written_total));
            }
            let mut slices: [IoSlice<'_>; MAX_IOV] = [IoSlice::new(&[]); MAX_IOV];
            let mut n = 0;
            for entry in self.entries.iter().take(MAX_IOV) {
                let Some(data) = &entry.data else { break };
                let len = ((entry.end - entry.start) as usize).min(allowed);
                slices[n] = IoSlice::new(&data[entry.start as usize..entry.start as usize + len]);
                n += 1;
                allowed -= len;
                if allowed == 0 {
                    break;
                }
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

/// How a connection frames its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// The chat and IRC ports: newline-terminated lines both ways.
    Tcp,
    /// The web port after a WebSocket upgrade.
    WebSocket(WsFrames),
    /// The web port before (or without) an upgrade: raw HTTP.
    Http,
}

/// How a WebSocket carries a service's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WsFrames {
    /// Each message in one text frame, its lines `\n`-separated, without
    /// the last line ending (the chat's lines over `/ws`).
    Messages,
    /// Each line in a frame of its own, without its line ending, in text
    /// or (`binary`) binary frames: as IRC over WebSocket asks.
    Lines { binary: bool },
}

/// The kinds of transport a message may be placed for, each placed once.
pub(crate) const TRANSPORT_KINDS: usize = 4;

impl Transport {
    /// Which placement this transport shares: raw bytes, or each WebSocket framing.
    #[inline]
    pub fn kind(self) -> usize {
        match self {
            Transport::Tcp | Transport::Http => 0,
            Transport::WebSocket(WsFrames::Messages) => 1,
            Transport::WebSocket(WsFrames::Lines { binary: false }) => 2,
            Transport::WebSocket(WsFrames::Lines { binary: true }) => 3,
        }
    }

    /// Is it a WebSocket (whatever its frames)?
    pub fn is_websocket(self) -> bool {
        matches!(self, Transport::WebSocket(_))
    }
}

#[cfg(test)]
#[path = "outq_tests.rs"]
mod tests;
