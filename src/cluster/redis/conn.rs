//! One non-blocking RESP connection to Redis inside the mio loop: a
//! connect that completes on a writable event, a queue of commands written
//! in order (vectored, once per loop turn), the replies they expect, in the
//! same order, and frames decoded from whatever the socket gave.
//!
//! The queue is bounded by its owner: publications not yet started may be
//! dropped from the front (oldest first) when Redis cannot keep up.

use std::collections::VecDeque;
use std::io::{self, IoSlice, Read, Write};
use std::net::SocketAddr;
use std::time::Instant;

use mio::net::TcpStream;
use mio::{Interest, Registry, Token};

use super::resp::{Decoder, Frame};

/// What a command's reply is for: the owner's tag (0: only check for an error).
pub type Tag = u64;

/// Whether a queued command may be dropped under back-pressure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A handshake, claim or refresh: never dropped.
    Command,
    /// A cross-node publication: the oldest go first when the queue is full.
    Publish,
}

struct Queued {
    bytes: Vec<u8>,
    tag: Tag,
    kind: Kind,
}

/// Longest frame accepted from Redis (a burst of a big node is the largest).
const MAX_FRAME: usize = 64 << 20;
/// Largest read per call.
const READ_CHUNK: usize = 64 * 1024;
/// Most commands handed to one vectored write.
const WRITE_SLICES: usize = 64;

/// What one read gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadOutcome {
    Data,
    /// Nothing more for now.
    Drained,
    /// Redis closed the connection.
    Closed,
}

pub struct RespConn {
    sock: TcpStream,
    /// Set once the connect completed.
    pub connected: bool,
    queue: VecDeque<Queued>,
    /// Bytes in `queue`.
    queued_bytes: usize,
    /// Bytes of the front command already written.
    head_written: usize,
    /// Commands written whose replies have not come: their tags, and when
    /// they were written (the oldest is the link's reply deadline).
    pub awaiting: VecDeque<(Tag, Instant)>,
    decoder: Decoder,
    /// Pub/sub messages carry no tag: the subscriber link reads a stream.
    pub subscriber: bool,
}

impl RespConn {
    /// Starts connecting to `addr`; the socket is registered under `token`.
    pub fn connect(
        addr: SocketAddr,
        registry: &Registry,
        token: Token,
        subscriber: bool,
    ) -> io::Result<RespConn> {
        let mut sock = TcpStream::connect(addr)?;
        registry.register(&mut sock, token, Interest::READABLE | Interest::WRITABLE)?;
        Ok(RespConn {
            sock,
            connected: false,
            queue: VecDeque::new(),
            queued_bytes: 0,
            head_written: 0,
            awaiting: VecDeque::new(),
            decoder: Decoder::new(MAX_FRAME),
            subscriber,
        })
    }

    /// Takes the socket out of the poll; dropping the link closes it.
    pub fn close(mut self, registry: &Registry) {
        let _ = registry.deregister(&mut self.sock);
    }

    /// Queues a command (already encoded) whose reply goes to `tag`.
    pub fn push(&mut self, bytes: Vec<u8>, tag: Tag, kind: Kind) {
        self.queued_bytes += bytes.len();
        self.queue.push_back(Queued { bytes, tag, kind });
    }

    /// Bytes queued and not yet written.
    pub fn queued(&self) -> usize {
        self.queued_bytes - self.head_written
    }

    /// Drops the oldest publications not yet started until at most `max`
    /// bytes are queued; returns how many it dropped.
    pub fn drop_oldest(&mut self, max: usize) -> u64 {
        let mut dropped = 0;
        let mut i = usize::from(self.head_written > 0);
        while self.queued() > max && i < self.queue.len() {
            if self.queue[i].kind == Kind::Publish {
                let q = self.queue.remove(i).expect("index checked");
                self.queued_bytes -= q.bytes.len();
                dropped += 1;
            } else {
                i += 1;
            }
        }
        dropped
    }

    /// Finishes a pending connect: `Ok(true)` once connected.
    pub fn check_connected(&mut self) -> io::Result<bool> {
        if self.connected {
            return Ok(true);
        }
        if let Some(e) = self.sock.take_error()? {
            return Err(e);
        }
        match self.sock.peer_addr() {
            Ok(_) => {
                self.connected = true;
                let _ = self.sock.set_nodelay(true);
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Writes what the socket takes now; the rest waits for a writable event.
    pub fn flush(&mut self, now: Instant) -> io::Result<()> {
        if !self.connected {
            return Ok(());
        }
        while !self.queue.is_empty() {
            let mut slices = Vec::with_capacity(WRITE_SLICES.min(self.queue.len()));
            for (i, q) in self.queue.iter().take(WRITE_SLICES).enumerate() {
                let skip = if i == 0 { self.head_written } else { 0 };
                slices.push(IoSlice::new(&q.bytes[skip..]));
            }
            let mut n = match self.sock.write_vectored(&slices) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            while n > 0 {
                let front = &self.queue[0];
                let left = front.bytes.len() - self.head_written;
                if n < left {
                    self.head_written += n;
                    break;
                }
                n -= left;
                self.head_written = 0;
                let q = self.queue.pop_front().expect("written bytes belong to a queued command");
                self.queued_bytes -= q.bytes.len();
                if !self.subscriber {
                    self.awaiting.push_back((q.tag, now));
                }
            }
        }
        Ok(())
    }

    /// Reads one chunk into the decoder (the caller decodes between chunks,
    /// so a flood from Redis is never buffered whole).
    pub fn read_some(&mut self) -> io::Result<ReadOutcome> {
        let mut buf = [0u8; READ_CHUNK];
        loop {
            return match self.sock.read(&mut buf) {
                Ok(0) => Ok(ReadOutcome::Closed),
                Ok(n) => {
                    self.decoder.feed(&buf[..n]);
                    Ok(ReadOutcome::Data)
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(ReadOutcome::Drained),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => Err(e),
            };
        }
    }

    /// The next complete frame read, if any.
    pub fn next_frame(&mut self) -> io::Result<Option<Frame>> {
        self.decoder.next_frame().map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))
    }
}
