//! The web port: HTTP routes, the WebSocket handshake, frames and close
//! codes, and WebSocket clients chatting with TCP clients.

use crate::support::ws::*;
use crate::support::*;
use serde_json::json;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::Message;

fn ws_connect(addr: SocketAddr) -> Ws {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    let (mut ws, resp) = tungstenite::client(format!("ws://{addr}/ws"), stream).expect("handshake");
    assert_eq!(resp.status(), 101);
    assert_eq!(ws_text(&mut ws), WELCOME);
    ws
}

fn ws_send(ws: &mut Ws, text: &str) {
    ws.send(Message::text(text)).unwrap();
}

/// Reads until the server's close frame; returns its code.
fn ws_close_code(ws: &mut Ws) -> u16 {
    loop {
        match ws.read() {
            Ok(Message::Close(Some(frame))) => return u16::from(frame.code),
            Ok(Message::Close(None)) => return 1005,
            Ok(_) => continue,
            Err(e) => panic!("no close frame: {e}"),
        }
    }
}

fn get(addr: SocketAddr, path: &str) -> String {
    http_get(addr, path)
}

/// A WebSocket opened by hand, for sending frames no client library would.
fn raw_ws(addr: SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    s.write_all(
        b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    )
    .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("HTTP/1.1 101 "), "{head}");
    assert!(head.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), "{head}");
    s
}

fn masked(first: u8, payload: &[u8]) -> Vec<u8> {
    let mask = [1, 2, 3, 4];
    let mut f = vec![first];
    if payload.len() < 126 {
        f.push(0x80 | payload.len() as u8);
    } else {
        f.push(0x80 | 126);
        f.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    }
    f.extend_from_slice(&mask);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i & 3]));
    f
}

/// Reads one server frame: (opcode, payload). Server frames are never masked.
fn read_frame(s: &mut TcpStream) -> (u8, Vec<u8>) {
    let mut h = [0u8; 2];
    s.read_exact(&mut h).unwrap();
    assert_eq!(h[1] & 0x80, 0, "server frames are unmasked");
    let len = match h[1] & 0x7F {
        126 => {
            let mut l = [0u8; 2];
            s.read_exact(&mut l).unwrap();
            u16::from_be_bytes(l) as usize
        }
        127 => {
            let mut l = [0u8; 8];
            s.read_exact(&mut l).unwrap();
            u64::from_be_bytes(l) as usize
        }
        n => n as usize,
    };
    let mut payload = vec![0u8; len];
    s.read_exact(&mut payload).unwrap();
    (h[0] & 0x0F, payload)
}

/// Reads frames until a close frame; returns its code.
fn raw_close_code(s: &mut TcpStream) -> u16 {
    loop {
        let (op, payload) = read_frame(s);
        if op == 0x8 {
            return u16::from_be_bytes([payload[0], payload[1]]);
        }
    }
}

#[test]
fn websocket_json_and_tcp_text_clients_chat_in_one_room() {
    let s = Server::start_web(&[]);
    let mut ws = ws_connect(s.web_addr());
    ws_send(&mut ws, r#"{"type":"nick","payload":"webby"}"#);
    assert_eq!(
        ws_json(&mut ws),
        json!({"type":"join","payload":{"nick":"webby","online":1,"room":"#lobby"}})
    );
    let mut tcp = s.join("texter");
    assert_eq!(
        ws_json(&mut ws),
        json!({"type":"join","payload":{"nick":"texter","online":2,"room":"#lobby"}})
    );
    tcp.send("hello web");
    tcp.expect("[texter] hello web");
    assert_eq!(
        ws_json(&mut ws),
        json!({"type":"chat","payload":{"from":"texter","text":"hello web","room":"#lobby"}})
    );
    ws_send(&mut ws, r#"{"type":"chat","payload":"hello tcp"}"#);
    tcp.expect("[webby] hello tcp");
    assert_eq!(ws_json(&mut ws)["payload"]["text"], "hello tcp");
    ws.close(None).unwrap();
    tcp.expect("* webby left (1 online)");
}

#[test]
fn websocket_text_mode_and_several_lines_per_message() {
    let s = Server::start_web(&[]);
    let mut tcp = s.join("texter");
    let mut ws = ws_connect(s.web_addr());
    // Two lines in one message, with the trailing newline line tools send.
    ws_send(&mut ws, "wes\r\nhi all\n");
    assert_eq!(ws_text(&mut ws), "* wes joined (2 online)");
    assert_eq!(ws_text(&mut ws), "[wes] hi all");
    tcp.expect("* wes joined (2 online)");
    tcp.expect("[wes] hi all");
    ws_send(&mut ws, "/who");
    assert_eq!(ws_text(&mut ws), "* online (2): texter, wes");
    ws_send(&mut ws, "/bye");
    assert_eq!(ws_text(&mut ws), "* bye");
    assert_eq!(ws_close_code(&mut ws), 1000);
    tcp.expect("* wes left (1 online)");
}

#[test]
fn websocket_ping_is_answered_with_pong() {
    let s = Server::start_web(&[]);
    let mut raw = raw_ws(s.web_addr());
    assert_eq!(read_frame(&mut raw), (0x1, WELCOME.as_bytes().to_vec()));
    raw.write_all(&masked(0x89, b"are you there")).unwrap();
    assert_eq!(read_frame(&mut raw), (0xA, b"are you there".to_vec()));
}

#[test]
fn fragmented_message_with_interleaved_ping_is_reassembled() {
    let s = Server::start_web(&[]);
    let mut raw = raw_ws(s.web_addr());
    read_frame(&mut raw);
    let mut frames = masked(0x01, r#"{"type":"ping","#.as_bytes());
    frames.extend(masked(0x89, b"p"));
    frames.extend(masked(0x00, br#""payload":"frag"#));
    frames.extend(masked(0x80, "€\"}".as_bytes()));
    raw.write_all(&frames).unwrap();
    assert_eq!(read_frame(&mut raw), (0xA, b"p".to_vec()));
    assert_eq!(read_frame(&mut raw), (0x1, r#"{"type":"pong","payload":"frag€"}"#.as_bytes().to_vec()));
}

#[test]
fn client_close_is_echoed() {
    let s = Server::start_web(&[]);
    let mut raw = raw_ws(s.web_addr());
    read_frame(&mut raw);
    let mut close = 4001u16.to_be_bytes().to_vec();
    close.extend_from_slice(b"done");
    raw.write_all(&masked(0x88, &close)).unwrap();
    assert_eq!(raw_close_code(&mut raw), 4001);
    let mut rest = Vec::new();
    let _ = raw.read_to_end(&mut rest);
    assert!(rest.is_empty());
}

#[test]
fn protocol_violations_close_with_their_codes() {
    let s = Server::start_web(&["--max-line", "64"]);
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("unmasked", vec![0x81, 0x02, b'h', b'i'], 1002),
        ("reserved bit", masked(0xC1, b"x"), 1002),
        ("unknown opcode", masked(0x83, b"x"), 1002),
        ("binary", masked(0x82, b"bin"), 1003),
        ("invalid UTF-8", masked(0x81, b"caf\xe9"), 1007),
        ("over --max-line", masked(0x81, &[b'a'; 100]), 1009),
        ("bad close code", masked(0x88, &1005u16.to_be_bytes()), 1002),
    ];
    let mut watcher = s.join("watcher");
    for (what, frame, code) in cases {
        let mut raw = raw_ws(s.web_addr());
        read_frame(&mut raw);
        raw.write_all(&masked(0x81, b"{\"type\":\"nick\",\"payload\":\"victim\"}")).unwrap();
        read_frame(&mut raw);
        watcher.expect("* victim joined (2 online)");
        raw.write_all(&frame).unwrap();
        assert_eq!(raw_close_code(&mut raw), code, "{what}");
        watcher.expect("* victim left (1 online)");
    }
}

#[test]
fn long_line_inside_allowed_message_size_is_refused_like_tcp() {
    let s = Server::start_web(&["--max-line", "64"]);
    let mut ws = ws_connect(s.web_addr());
    // A 64-byte line plus "\r\n" fits; the connection stays.
    ws_send(&mut ws, &format!("{}\r\n", "a".repeat(20)));
    assert_eq!(ws_text(&mut ws), format!("* {} joined (1 online)", "a".repeat(20)));
    ws_send(&mut ws, &"b".repeat(64));
    assert_eq!(ws_text(&mut ws), format!("[{}] {}", "a".repeat(20), "b".repeat(64)));
}

#[test]
fn http_routes() {
    let s = Server::start_web(&[]);
    let page = get(s.web_addr(), "/");
    assert!(page.starts_with("HTTP/1.1 200 OK\r\n"), "{page}");
    assert!(page.contains("Content-Type: text/html"));
    assert!(page.contains("<title>linechat</title>") && page.contains("new WebSocket("));
    let health = get(s.web_addr(), "/healthz");
    assert!(health.starts_with("HTTP/1.1 200 OK\r\n") && health.ends_with("\r\n\r\nok\n"), "{health}");
    assert!(get(s.web_addr(), "/nope").starts_with("HTTP/1.1 404 "));
    assert!(get(s.web_addr(), "/ws").starts_with("HTTP/1.1 426 "));
    assert!(http(s.web_addr(), b"POST / HTTP/1.1\r\nHost: x\r\n\r\n").starts_with("HTTP/1.1 405 "));
    assert!(http(s.web_addr(), b"HELLO\r\n\r\n").starts_with("HTTP/1.1 400 "));
    let big = format!("GET / HTTP/1.1\r\nX-Big: {}\r\n\r\n", "a".repeat(9000));
    assert!(http(s.web_addr(), big.as_bytes()).starts_with("HTTP/1.1 431 "));
}

#[test]
fn metrics_count_what_happened() {
    let s = Server::start_web(&[]);
    let mut ws = ws_connect(s.web_addr());
    ws_send(&mut ws, r#"{"type":"nick","payload":"webby"}"#);
    ws_json(&mut ws);
    let mut tcp = s.join("texter");
    tcp.send("hello");
    tcp.send("/frob");
    tcp.expect("[texter] hello");
    tcp.expect("! unknown-command: unknown command '/frob'; /help lists the commands");
    let m = get(s.web_addr(), "/metrics");
    assert!(m.contains("Content-Type: text/plain; version=0.0.4"), "{m}");
    for line in [
        "linechat_connections{kind=\"tcp\"} 1",
        "linechat_connections{kind=\"websocket\"} 1",
        "linechat_users_joined 2",
        "linechat_messages_received_total 1",
        // Two joins to the room (1 + 2 recipients) and one chat line to both.
        "linechat_deliveries_total 5",
        "linechat_protocol_errors_total{code=\"unknown-command\"} 1",
        "linechat_protocol_errors_total{code=\"nick-taken\"} 0",
        "linechat_slow_consumers_dropped_total 0",
        "# TYPE linechat_uptime_seconds gauge",
    ] {
        assert!(m.lines().any(|l| l == line), "missing {line:?} in\n{m}");
    }
    let bytes_in = m.lines().find(|l| l.starts_with("linechat_received_bytes_total ")).unwrap();
    assert!(bytes_in.split(' ').nth(1).unwrap().parse::<u64>().unwrap() > 0);
}

#[test]
fn websocket_origin_can_be_restricted() {
    let s = Server::start_web(&["--ws-origin", "http://good.example"]);
    let req = |origin: &str| {
        format!(
            "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nOrigin: {origin}\r\n\
             Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        )
    };
    assert!(http(s.web_addr(), req("http://evil.example").as_bytes()).starts_with("HTTP/1.1 403 "));
    let mut ok = TcpStream::connect(s.web_addr()).unwrap();
    ok.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    ok.write_all(req("http://good.example").as_bytes()).unwrap();
    let mut buf = [0u8; 12];
    ok.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"HTTP/1.1 101");
}

#[test]
fn shutdown_sends_websocket_clients_going_away() {
    let mut s = Server::start_web(&[]);
    let mut ws = ws_connect(s.web_addr());
    ws_send(&mut ws, r#"{"type":"nick","payload":"webby"}"#);
    ws_json(&mut ws);
    s.signal(libc::SIGTERM);
    assert_eq!(ws_json(&mut ws), json!({"type":"shutdown"}));
    assert_eq!(ws_close_code(&mut ws), u16::from(CloseCode::Away));
    assert!(s.wait_exit().success());
}

#[test]
fn slow_websocket_consumer_is_dropped_like_a_tcp_one() {
    let s = Server::start_web(&["--max-outbuf", "64K"]);
    let mut raw = raw_ws(s.web_addr());
    read_frame(&mut raw);
    raw.write_all(&masked(0x81, b"slowweb")).unwrap();
    let (_, joined) = read_frame(&mut raw);
    assert_eq!(joined, b"* slowweb joined (1 online)");
    // It stops reading; a TCP client floods the room and reads everything.
    let mut tcp = s.join("flood");
    let body = "x".repeat(1000);
    let mut w = tcp.stream.try_clone().unwrap();
    let writer = std::thread::spawn(move || {
        for i in 0..20_000 {
            w.write_all(format!("{body} {i}\n").as_bytes()).unwrap();
        }
    });
    let mut got = 0;
    let mut saw_leave = false;
    while got < 20_000 {
        let l = tcp.line();
        if l.starts_with("[flood] ") {
            assert!(l.ends_with(&format!(" {got}")));
            got += 1;
        } else {
            assert_eq!(l, "* slowweb left (1 online)");
            saw_leave = true;
        }
    }
    writer.join().unwrap();
    if !saw_leave {
        tcp.expect("* slowweb left (1 online)");
    }
    assert!(s.wait_log("slow consumer").contains("WARN"));
}
