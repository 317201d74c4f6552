//! JSON and text lines through the real Hub (dispatch, handlers, rooms,
//! the IRC face), with an Outbox that has no reactor. Four connections: two
//! on the chat port, one more that reconnects, one IRC. After every step
//! the Hub's tables must agree (`check_consistency`), every line a JSON
//! client receives must be JSON (its greeting aside), and every IRC line
//! must fit IRC's 512 bytes.
//!
//! Input: a sequence of steps, each `[selector] [line bytes...] \n`. The
//! selector's low two bits pick the connection; bit 2 set closes it (and it
//! reconnects on its next step); bit 3 fires its timer instead.
#![no_main]

use std::net::{TcpListener, TcpStream};

use libfuzzer_sys::fuzz_target;
use linechat::conn::{CloseReason, Transport};
use linechat::listen::Face;
use linechat::outbox::Outbox;
use linechat::proto::render::Mode;
use linechat::proto::{Hub, HubConfig};
use linechat::reactor::Service;

const CONNS: usize = 4;

thread_local! {
    /// Connected sockets to hand the fake connections (never read or written).
    static SOCKETS: Vec<TcpStream> = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        (0..CONNS)
            .map(|_| {
                let client = TcpStream::connect(addr).unwrap();
                let (_server, _) = listener.accept().unwrap();
                std::mem::forget(_server);
                client
            })
            .collect()
    };
}

fn socket(i: usize) -> mio::net::TcpStream {
    SOCKETS.with(|s| mio::net::TcpStream::from_std(s[i].try_clone().unwrap()))
}

fn config() -> HubConfig {
    HubConfig {
        max_line: 200,
        nick_timeout: std::time::Duration::from_secs(60),
        idle_timeout: Some(std::time::Duration::from_secs(1)),
        default_room: "#lobby".into(),
        max_rooms: 4,
        max_rooms_per_client: 3,
        server_name: "fuzz.test".into(),
        join_rate: None,
    }
}

fn face(slot: usize) -> Face {
    if slot == CONNS - 1 {
        Face::Irc
    } else {
        Face::Lines
    }
}

fuzz_target!(|input: &[u8]| {
    let mut hub = Hub::new(config());
    let mut out = Outbox::new(usize::MAX / 4, std::time::Duration::from_secs(2));
    let mut ids: [Option<usize>; CONNS] = [None; CONNS];
    for step in input.split(|&b| b == b'\n') {
        let Some((&selector, line)) = step.split_first() else { continue };
        let slot = selector as usize % CONNS;
        let id = match ids[slot] {
            Some(id) => id,
            None => {
                let id = out.attach(socket(slot), Transport::Tcp);
                hub.on_open(id, face(slot), &mut out);
                ids[slot] = Some(id);
                id
            }
        };
        if selector & 4 != 0 {
            out.close(id, CloseReason::PeerClosed);
        } else if selector & 8 != 0 {
            hub.on_timer(id, &mut out);
        } else {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            hub.on_line(id, Ok(line), &mut out);
        }
        // Closes may cause more output and more closes, as in the reactor.
        loop {
            let closed = out.take_closed();
            if closed.is_empty() {
                break;
            }
            for (id, reason) in closed {
                hub.on_close(id, &reason, &mut out);
                if let Some(slot) = ids.iter().position(|&s| s == Some(id)) {
                    ids[slot] = None;
                }
            }
        }
        if let Err(e) = hub.check_consistency() {
            panic!("after {:?}: {e}", String::from_utf8_lossy(step));
        }
        for (slot, id) in ids.iter().enumerate() {
            let Some(id) = *id else { continue };
            let bytes = out.take_output(id);
            let mode = hub.mode_of(id);
            for line in bytes.split_inclusive(|&b| b == b'\n') {
                match mode {
                    Mode::Json if line.starts_with(b"{") => {
                        if let Err(e) = serde_json::from_slice::<serde_json::Value>(line) {
                            panic!(
                                "conn {slot} got a JSON line that is not JSON ({e}): {:?}",
                                String::from_utf8_lossy(line)
                            );
                        }
                    }
                    Mode::Json => assert!(
                        line.starts_with(b"* welcome"),
                        "JSON client got {:?}",
                        String::from_utf8_lossy(line)
                    ),
                    Mode::Irc => {
                        assert!(line.len() <= 512, "IRC line of {} bytes", line.len());
                        assert!(
                            line.ends_with(b"\r\n"),
                            "IRC line without CRLF: {:?}",
                            String::from_utf8_lossy(line)
                        );
                    }
                    _ => assert!(line.ends_with(b"\n")),
                }
                assert!(std::str::from_utf8(line).is_ok(), "output that is not UTF-8");
            }
        }
    }
});
