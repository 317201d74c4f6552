//! Reading a WebSocket client's messages (tungstenite) in tests.

use serde_json::Value;
use std::net::TcpStream;
use tungstenite::{Message, WebSocket};

pub type Ws = WebSocket<TcpStream>;

/// The next text message (pings and pongs skipped).
pub fn ws_text(ws: &mut Ws) -> String {
    loop {
        match ws.read().expect("read") {
            Message::Text(t) => return t.to_string(),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("expected text, got {other:?}"),
        }
    }
}

pub fn ws_json(ws: &mut Ws) -> Value {
    let t = ws_text(ws);
    serde_json::from_str(&t).unwrap_or_else(|e| panic!("not JSON ({e}): {t}"))
}
