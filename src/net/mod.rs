//! The loop: sockets, framing, deadlines and signals, and nothing of what a
//! line means. It imports nothing from the chat core, the faces or the
//! cluster; they reach it through [`Service`] (what the loop calls) and
//! [`Outbox`] (what the service may do: queue output, close, set timers).
//!
//! - `reactor.rs`: the loop itself (poll, read, flush, timers, signals).
//! - `listen.rs`: the listener table, binding (socket2) and the door.
//! - `conn.rs`: one connection; `outq.rs`: its output queue and the shared
//!   per-tick message buffers; `outbox.rs`: the table as the service sees it.
//! - `framing.rs` (each connection's state) and `feed.rs` (bytes through it):
//!   lines, or an HTTP head then WebSocket frames, over `lines.rs`, `http.rs`
//!   and `ws.rs`; `tls.rs`: rustls as a byte layer.
//! - `kinds.rs`: the words every file shares (faces, refusals, endings);
//!   `service.rs`: the trait the loop calls.
//! - `systemd.rs`: readiness and watchdog messages, and sockets passed in.
//! - `rate.rs`: token buckets; `memory.rs`: giving heap back after a burst.
//! - `sim.rs`: the loop without sockets, with a clock the caller sets (tests
//!   and fuzz targets).

pub mod conn;
mod feed;
pub mod framing;
pub mod http;
pub mod kinds;
pub mod lines;
pub mod listen;
mod memory;
pub mod outbox;
pub mod outq;
pub mod rate;
pub mod reactor;
pub mod service;
#[doc(hidden)]
pub mod sim;
pub mod systemd;
pub mod tls;
pub mod ws;

pub use framing::Start;
pub use kinds::{CloseReason, Face, Refusal, LINK_TOKENS, MAX_FACES};
pub use lines::LineFault;
pub use listen::{bind, Bound};
pub use outbox::{ConnId, IoStats, Outbox};
pub use outq::{Message, Transport, WsFrames};
pub use rate::{Bucket, Rate};
pub use reactor::{LoopSettings, Reactor, ReactorLimits, Reloader};
pub use service::{HttpAnswer, Service};
