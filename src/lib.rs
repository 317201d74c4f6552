//! linechat: a single-threaded chat server for nc, scripts, JSON clients and
//! browsers. The binary (`main.rs`) is its command line; the fuzz targets
//! (`fuzz/`) link this library to reach each parser.
//!
//! Layout:
//! - `reactor.rs`: the `mio` loop (readiness, timers, signals); no protocol.
//! - `listen.rs`: the listener table (address and face) and accepting.
//! - `conn.rs`: one connection: framing, output queue, backpressure.
//! - `outbox.rs`: what the service queues output and timers through.
//! - `proto/`: sessions, rooms, the nickname handshake, text commands and
//!   one handler per JSON packet type.
//! - `web/`: the web port's HTTP and WebSocket framing.
//! - `irc/`: the IRC face: its line parser, commands and numerics.
//! - `script/`: script handlers, a folder of Lua files (`--handlers`).
//! - `tls.rs`: rustls as a byte layer between a socket and its framing.
//! - `cluster/`: the Redis link between linechat processes (`--redis`).
//! - `client/`: `linechat client`, the terminal client.

#[cfg(feature = "client")]
pub mod client;
pub mod cluster;
pub mod conn;
pub mod irc;
pub mod listen;
pub mod outbox;
pub mod proto;
pub mod reactor;
pub mod script;
pub mod tls;
pub mod web;
