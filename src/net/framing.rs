//! Framing: the layer between a connection's bytes and the service's lines,
//! chosen by its listener. Lines (`\n`-terminated), or an HTTP request head
//! that the service answers or upgrades to WebSocket, whose text messages
//! then carry lines. This file is each connection's framing state;
//! `feed.rs` runs bytes through it.

use super::http::HttpHead;
use super::lines::LineSplitter;
use super::ws;

/// How a listener's connections start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Lines both ways from the first byte.
    Lines,
    /// An HTTP request head first; the service answers it or upgrades the
    /// connection to WebSocket.
    Http,
}

/// The input side of a connection, by phase of its transport.
pub enum Framing {
    /// Lines.
    Lines(LineSplitter),
    /// Before the request head is complete.
    Http(HttpHead),
    /// After a WebSocket upgrade: frames carrying lines (binary frames too
    /// where the upgrade said so).
    Ws(Box<ws::WsDecoder>),
    /// Nothing more is read into the service (closing, or an HTTP reply in flight).
    Closed,
}

impl Framing {
    /// How a new connection of a listener that starts so is framed.
    pub fn new(start: Start) -> Framing {
        match start {
            Start::Lines => Framing::Lines(LineSplitter::default()),
            Start::Http => Framing::Http(HttpHead::default()),
        }
    }
}
