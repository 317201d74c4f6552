//! The loop's small shared words: which face a listener serves, why a
//! client is refused at the door, why a connection ended, and where the
//! service's own connections take their poll tokens. Every file of the
//! loop and the service use them; they use nothing.

use std::io;

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

/// The service's outbound connections take tokens from this one up
/// (connections take slab keys, far below; listeners and signals the top).
pub const LINK_TOKENS: usize = usize::MAX / 2;

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
