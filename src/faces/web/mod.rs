//! The web face's routes: the chat page at `/`, `/healthz`, `/metrics`,
//! and the WebSocket upgrades: `/ws` (after which the connection speaks
//! the chat's lines, one message per text frame) and `/irc` (IRC over
//! WebSocket, one IRC line per frame, with the IRCv3 subprotocols
//! `text.ircv3.net` and `binary.ircv3.net`). Reading and parsing the
//! request head is the loop's framing (`net/http.rs`).

use std::sync::OnceLock;

use crate::net::http::{response, response_with, Request};
use crate::net::ws;
use crate::net::HttpAnswer as Route;
use crate::net::WsFrames;
use crate::words::{self, Lang, LANGS};

/// The chat page, served at `/`, with its words put in (see [`page`]).
const CHAT_PAGE: &str = include_str!("page.html");

/// The chat page's response with the `page-` words of every language and
/// `default` as the language of readers whose browser asks for none the
/// server speaks: built once per default language.
fn page(default: Lang) -> &'static [u8] {
    static PAGES: [OnceLock<Vec<u8>>; LANGS.len()] = [const { OnceLock::new() }; LANGS.len()];
    PAGES[default.0 as usize].get_or_init(|| {
        let langs: serde_json::Map<String, serde_json::Value> = Lang::all()
            .map(|lang| {
                let page_words = words::catalogue().with_prefix(lang, "page-");
                (lang.code().to_string(), serde_json::json!({ "name": lang.name(), "words": page_words }))
            })
            .collect();
        let all = serde_json::json!({ "default": default.code(), "langs": langs });
        // `</` cannot close the script from inside a JSON string.
        let all = all.to_string().replace("</", "<\\/");
        let marker = "/*WORDS*/";
        let start = CHAT_PAGE.find(marker).expect("the page has its words' place");
        let end =
            start + marker.len() + CHAT_PAGE[start + marker.len()..].find(';').expect("the words end with ;");
        let html = format!("{}{all}{}", &CHAT_PAGE[..start], &CHAT_PAGE[end..]);
        response("200 OK", "text/html; charset=utf-8", html.as_bytes())
    })
}

/// The web face's settings.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// The only Origin a WebSocket may come from, if restricted (`--ws-origin`).
    pub ws_origin: Option<String>,
    /// `--lang`: the page's language when the browser asks for none spoken here.
    pub lang: Lang,
}

/// The web face: its routes. Connections it upgrades speak the lines face.
pub struct WebFace {
    pub cfg: WebConfig,
}

impl WebFace {
    pub fn new(cfg: WebConfig) -> WebFace {
        WebFace { cfg }
    }

    /// What a request gets (see [`route`]).
    pub fn route(&self, req: &Request, degraded: Option<&str>, metrics: &mut dyn FnMut() -> String) -> Route {
        route(req, self.cfg.ws_origin.as_deref(), self.cfg.lang, degraded, metrics)
    }
}

/// A client refused at the door of the web port: `503` with the lines
/// face's words.
pub fn refusal(words: &[u8]) -> Vec<u8> {
    response("503 Service Unavailable", "text/plain", words)
}

fn plain(status: &str, body: &str) -> Route {
    Route::Respond(response(status, "text/plain; charset=utf-8", body.as_bytes()))
}

/// Decides what a request gets. `metrics` renders the metrics page on demand;
/// `allowed_origin`, when set, is the only Origin a WebSocket may come from;
/// `degraded` says why `/healthz` is not plainly ok (the node serves its own
/// clients, so it still answers 200: a balancer should keep sending users).
pub fn route(
    req: &Request,
    allowed_origin: Option<&str>,
    lang: Lang,
    degraded: Option<&str>,
    metrics: &mut dyn FnMut() -> String,
) -> Route {
    if req.method != "GET" {
        return plain("405 Method Not Allowed", "only GET is served here\n");
    }
    match req.path {
        "/" => Route::Respond(page(lang).to_vec()),
        "/healthz" => match degraded {
            None => plain("200 OK", "ok\n"),
            Some(why) => plain("200 OK", &format!("degraded: {why}\n")),
        },
        "/metrics" => Route::Respond(response(
            "200 OK",
            "text/plain; version=0.0.4; charset=utf-8",
            metrics().as_bytes(),
        )),
        "/ws" => upgrade(req, allowed_origin, WsFrames::Messages, None),
        "/irc" => {
            let (frames, protocol) = irc_subprotocol(req);
            upgrade(req, allowed_origin, frames, protocol)
        }
        _ => plain("404 Not Found", "not found\n"),
    }
}

/// The IRCv3 WebSocket subprotocols, in the order the client listed them:
/// the first one known is chosen. A client that names none gets text
/// frames and no `Sec-WebSocket-Protocol` in the answer.
fn irc_subprotocol(req: &Request) -> (WsFrames, Option<&'static str>) {
    let offered = req.header("Sec-WebSocket-Protocol").unwrap_or("");
    for name in offered.split(',').map(str::trim) {
        if name.eq_ignore_ascii_case("binary.ircv3.net") {
            return (WsFrames::Lines { binary: true }, Some("binary.ircv3.net"));
        }
        if name.eq_ignore_ascii_case("text.ircv3.net") {
            return (WsFrames::Lines { binary: false }, Some("text.ircv3.net"));
        }
    }
    (WsFrames::Lines { binary: false }, None)
}

fn upgrade(req: &Request, allowed_origin: Option<&str>, frames: WsFrames, protocol: Option<&str>) -> Route {
    if !req.header_has("Upgrade", "websocket") || !req.header_has("Connection", "upgrade") {
        let body = format!("{} speaks WebSocket only\n", req.path);
        let body = body.as_bytes();
        return Route::Respond(response_with(
            "426 Upgrade Required",
            "Upgrade: websocket\r\n",
            "text/plain",
            body,
        ));
    }
    if req.header("Sec-WebSocket-Version") != Some("13") {
        let body = b"only WebSocket version 13 is spoken\n";
        let extra = "Sec-WebSocket-Version: 13\r\n";
        return Route::Respond(response_with("426 Upgrade Required", extra, "text/plain", body));
    }
    let Some(key) = req.header("Sec-WebSocket-Key").filter(|k| k.len() == 24) else {
        return plain("400 Bad Request", "missing or malformed Sec-WebSocket-Key\n");
    };
    if let Some(allowed) = allowed_origin {
        if req.header("Origin") != Some(allowed) {
            return plain("403 Forbidden", "origin not allowed\n");
        }
    }
    let protocol = protocol.map(|p| format!("Sec-WebSocket-Protocol: {p}\r\n")).unwrap_or_default();
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n{protocol}\r\n",
        ws::accept_key(key)
    )
    .into_bytes();
    Route::Upgrade { response, frames, max_line: None }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::http::Request;

    fn head(s: &str) -> Vec<u8> {
        s.replace('\n', "\r\n").into_bytes()
    }

    #[test]
    fn requests_parse_and_route() {
        let raw = head("GET /ws?x=1 HTTP/1.1\nHost: h\nUpgrade: WebSocket\nConnection: keep-alive, Upgrade\nSec-WebSocket-Version: 13\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\n\n");
        let req = Request::parse(&raw).unwrap();
        assert_eq!((req.method, req.path), ("GET", "/ws"));
        match route(&req, None, Lang::EN, None, &mut String::new) {
            Route::Upgrade { response: r, frames, .. } => {
                assert_eq!(frames, WsFrames::Messages);
                let r = String::from_utf8(r).unwrap();
                assert!(!r.contains("Sec-WebSocket-Protocol"));
                assert!(r.starts_with("HTTP/1.1 101 "));
                assert!(r.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
            }
            Route::Respond(_) => panic!("expected an upgrade"),
        }
        let Route::Respond(r) = route(&req, Some("http://good"), Lang::EN, None, &mut String::new) else {
            panic!()
        };
        assert!(r.starts_with(b"HTTP/1.1 403 "));
        assert!(Request::parse(b"garbage\r\n\r\n").is_none());
        assert!(Request::parse(&head("GET / HTTP/1.1\nbad header\n\n")).is_none());
    }

    #[test]
    fn irc_over_websocket_picks_the_first_known_subprotocol() {
        let ask = |protocols: &str| {
            let extra = if protocols.is_empty() {
                String::new()
            } else {
                format!("Sec-WebSocket-Protocol: {protocols}\n")
            };
            let raw = head(&format!("GET /irc HTTP/1.1\nHost: h\nUpgrade: websocket\nConnection: Upgrade\nSec-WebSocket-Version: 13\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\n{extra}\n"));
            let req = Request::parse(&raw).unwrap();
            match route(&req, None, Lang::EN, None, &mut String::new) {
                Route::Upgrade { response, frames, .. } => {
                    let response = String::from_utf8(response).unwrap();
                    let chosen = response
                        .lines()
                        .find_map(|l| l.strip_prefix("Sec-WebSocket-Protocol: "))
                        .map(str::to_string);
                    (frames, chosen)
                }
                Route::Respond(_) => panic!("expected an upgrade"),
            }
        };
        let text = WsFrames::Lines { binary: false };
        let binary = WsFrames::Lines { binary: true };
        assert_eq!(ask("text.ircv3.net"), (text, Some("text.ircv3.net".into())));
        assert_eq!(ask("binary.ircv3.net, text.ircv3.net"), (binary, Some("binary.ircv3.net".into())));
        assert_eq!(ask("chat, text.ircv3.net,binary.ircv3.net"), (text, Some("text.ircv3.net".into())));
        assert_eq!(ask(""), (text, None));
        assert_eq!(ask("mqtt"), (text, None));
    }
}
