//! One connection: its socket, TLS layer, framing state, rate bucket and
//! output queue, and how far along its end is. Bytes only: complete lines
//! go up to the service through the framing (`framing.rs`).

use std::io::{self, Read};

use mio::net::TcpStream;

use super::framing::Framing;
use super::kinds::{CloseReason, Face};
use super::outq::{Flushed, OutQueue, Transport};
use super::rate::Bucket;
use super::tls::Tls;

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
    /// `None` only for connections a test or fuzz target attached without
    /// a socket: their output stays queued.
    pub sock: Option<TcpStream>,
    /// How its bytes are framed now.
    pub transport: Transport,
    /// Which listener it came through (an index in the reactor's table).
    pub listener: u8,
    /// The face its listener serves.
    pub face: Face,
    /// The TLS layer between the socket and the framing, on TLS listeners.
    pub tls: Option<Box<Tls>>,
    /// No byte has been read yet (a TLS hello on a plain port is refused).
    pub fresh: bool,
    /// A web connection over TLS whose handshake has not finished: its close
    /// deadline is the handshake's, not yet the request head's.
    pub awaiting_handshake: bool,
    /// The peer's address.
    pub ip: Option<std::net::IpAddr>,
    /// Its `--rate` tokens.
    pub rate: Bucket,
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
    pub fn new(
        sock: Option<TcpStream>,
        transport: Transport,
        face: Face,
        framing: Framing,
        serial: u64,
    ) -> Conn {
        Conn {
            sock,
            transport,
            listener: 0,
            face,
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
        let Some(sock) = self.sock.as_mut() else {
            return Ok((Flushed::Blocked, 0));
        };
        let Some(tls) = self.tls.as_mut() else {
            return self.out.flush(sock);
        };
        let mut writer = tls.writer(sock);
        let (flushed, _) = self.out.flush(&mut writer)?;
        let mut wire = writer.wire;
        if flushed == Flushed::Drained && self.closing == Closing::AfterFlush {
            tls.close_notify();
        }
        let (done, n) = tls.write_records(sock)?;
        wire += n;
        Ok((if done { flushed } else { Flushed::Blocked }, wire))
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
        let Some(sock) = self.sock.as_mut() else {
            return Ok(None);
        };
        if let Some(tls) = self.tls.as_mut() {
            return tls.read(sock, buf);
        }
        loop {
            match sock.read(buf) {
                Ok(n) => return Ok(Some(n)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }
}
