//! linechat: a single-threaded chat server for nc, scripts, JSON clients,
//! browsers and IRC clients. The binary (`main.rs`) is its command line;
//! the fuzz targets (`fuzz/`) link this library to reach each parser.
//!
//! The layers, each importing only those above it (docs/ARCHITECTURE.md):
//! - `net/`: the loop (poll, accept, read, write, timers, signals) and its
//!   framing layers (lines, HTTP head, WebSocket, TLS); no protocol.
//! - `chat/`: the chat core (sessions, rooms, commands, events, faults, the
//!   cluster's meaning); no wire format.
//! - `cluster/`: the Redis link between linechat processes (`--redis`) and
//!   the notes they exchange.
//! - `script/`: script handlers, a folder of Lua files (`--handlers`), which
//!   see the chat through a read-only `World`.
//! - `faces/`: lines (text and JSON), IRC and web, and the `Server` that
//!   serves them to the loop.
//! - `cli/`: the command line, one table, and the config file that sets the
//!   same options; `setup.rs`: what they build (listeners, the server, the
//!   loop's limits) and the SIGHUP reload; `logs.rs`: stderr as text,
//!   journald's or JSON; `clock.rs`: wall-clock time.
//! - `words.rs`: the message catalogue (`lang/*.toml`): every word for
//!   people, per language, that the faces and the core's faults use.
//! - `client/`: `linechat client`, the terminal client.

pub mod chat;
pub mod cli;
#[cfg(feature = "client")]
pub mod client;
pub mod clock;
pub mod cluster;
pub mod faces;
pub mod logs;
pub mod metrics;
pub mod net;
pub mod script;
pub mod setup;
pub mod store;
pub mod units;
pub mod words;
