//! Feeding a connection's bytes through its framing to the service: lines
//! as they complete (within the rate's budget), a request head to the
//! service's routes, WebSocket messages' lines. WebSocket control frames
//! (ping, close) are answered here: they are framing, not chat.

use std::rc::Rc;

use log::debug;

use super::framing::Framing;
use super::http::{self, HeadProgress, Request};
use super::kinds::{CloseReason, Face};
use super::lines::LineFault;
use super::outbox::{ConnId, Outbox};
use super::outq::WsFrames;
use super::service::{HttpAnswer, Service};
use super::ws;

/// Whose bytes these are: the connection, its face, its longest line.
#[derive(Debug, Clone, Copy)]
pub struct Source {
    pub id: ConnId,
    pub face: Face,
    pub max_line: usize,
}

/// What one feed made: lines handed to the service, bytes left for later.
pub struct Fed {
    pub lines: u32,
    pub left: usize,
}

/// Hands `data`, read from a connection, to its framing: at most `budget`
/// lines (the rate), each at most the source's longest line.
pub fn feed<S: Service>(
    framing: &mut Framing,
    data: &[u8],
    from: Source,
    budget: u32,
    service: &mut S,
    out: &mut Outbox,
) -> Fed {
    let Source { id, face, max_line } = from;
    let mut fed = Fed { lines: 0, left: 0 };
    match framing {
        Framing::Lines(splitter) => {
            fed.left = splitter.feed(data, max_line, &mut |line| {
                fed.lines += 1;
                service.on_line(id, line, out);
                out.is_open(id) && fed.lines < budget && !out.is_paused(id)
            })
        }
        Framing::Ws(decoder) => {
            let max_line = decoder.max_line.unwrap_or(max_line);
            fed.lines = feed_ws(decoder, data, id, max_line, service, out)
        }
        Framing::Http(head) => match head.feed(data) {
            HeadProgress::Incomplete => {}
            HeadProgress::TooLarge => {
                out.push_raw(id, Rc::new(http::head_too_large()));
                out.close_after_flush(id, CloseReason::Requested);
            }
            HeadProgress::Done { head, rest } => {
                *framing = Framing::Closed;
                fed.lines = request_ready(framing, &head, &rest, id, face, max_line, service, out);
            }
        },
        Framing::Closed => {}
    }
    fed
}

/// A request head is complete: the service answers it, or upgrades the
/// connection to WebSocket and takes it in (`rest` is what followed the head).
#[allow(clippy::too_many_arguments)]
fn request_ready<S: Service>(
    framing: &mut Framing,
    head: &[u8],
    rest: &[u8],
    id: ConnId,
    face: Face,
    max_line: usize,
    service: &mut S,
    out: &mut Outbox,
) -> u32 {
    out.stats.http_requests += 1;
    let Some(req) = Request::parse(head) else {
        out.push_raw(id, Rc::new(http::bad_request()));
        out.close_after_flush(id, CloseReason::Requested);
        return 0;
    };
    debug!("conn={id} {} {}", req.method, req.path);
    let mut stats = out.stats.clone();
    stats.queued_bytes = out.queued_bytes();
    match service.on_request(id, face, &req, &stats, out.peer_ip(id)) {
        HttpAnswer::Respond(bytes) => {
            out.push_raw(id, Rc::new(bytes));
            out.close_after_flush(id, CloseReason::Requested);
            0
        }
        HttpAnswer::Upgrade { response, frames, max_line: own_max } => {
            out.push_raw(id, Rc::new(response));
            out.upgraded(id, frames);
            let binary = matches!(frames, WsFrames::Lines { binary: true });
            *framing = Framing::Ws(Box::new(ws::WsDecoder::new(binary, own_max)));
            service.on_open(id, face, out);
            let Framing::Ws(decoder) = framing else { return 0 };
            feed_ws(decoder, rest, id, own_max.unwrap_or(max_line), service, out)
        }
    }
}

/// Hands the lines of a client's WebSocket messages to the service: each
/// text (or accepted binary) message may carry several `\n`-separated lines, and a trailing
/// newline is ignored (line tools such as websocat send one). Returns how
/// many lines it handed over.
fn feed_ws<S: Service>(
    decoder: &mut ws::WsDecoder,
    data: &[u8],
    id: ConnId,
    max_line: usize,
    service: &mut S,
    out: &mut Outbox,
) -> u32 {
    // Room for a trailing "\r\n" beyond the longest line.
    let max_message = max_line + 2;
    let mut lines = 0;
    decoder.feed(data, max_message, &mut |event| {
        match event {
            ws::WsEvent::Text(text) => {
                let text = text.strip_suffix(b"\n").unwrap_or(text);
                for line in text.split(|&b| b == b'\n') {
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    let line = if line.len() > max_line { Err(LineFault::TooLong) } else { Ok(line) };
                    lines += 1;
                    service.on_line(id, line, out);
                    if !out.is_open(id) {
                        break;
                    }
                }
            }
            ws::WsEvent::Ping(payload) => out.push_raw(id, Rc::new(ws::frame(ws::OP_PONG, payload))),
            ws::WsEvent::Close(code) => out.close_ws(id, code, "", CloseReason::PeerClosed),
            ws::WsEvent::Fail(code, why) => {
                debug!("conn={id} websocket protocol error {code}: {why}");
                out.close_ws(id, code, why, CloseReason::Requested);
            }
        }
        out.is_open(id)
    });
    lines
}
