//! The web port: HTTP/1.1 requests (chat page, health, metrics) and the
//! WebSocket upgrade, framing and close handshake.

pub mod ws;
