//! JSON, text and IRC lines through the real chat core and its faces
//! (parsing, commands, rooms, rendering), driven by the socket-free loop
//! (`net::sim`). Four connections: two on the chat port, one more that
//! reconnects, one IRC. After every step the core's tables must agree
//! (`check_consistency`), every line a JSON client receives must be JSON
//! (its greeting aside), and every IRC line must fit IRC's 512 bytes.
//!
//! Input: a sequence of steps, each `[selector] [line bytes...] \n`. The
//! selector's low two bits pick the connection; bit 2 set closes it (and it
//! reconnects on its next step); bit 3 moves the clock a second on.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use linechat::chat::ChatConfig;
use linechat::faces::{self, irc, lines, web, FacesConfig, Server};
use linechat::net::sim::Sim;
use linechat::net::{CloseReason, Face};
use linechat::store::passwords::{HashCost, Hasher};

const CONNS: usize = 4;

fn server() -> Server {
    let chat = ChatConfig { default_room: "#lobby".into(), max_rooms: 4, max_rooms_per_client: 3, join_rate: None };
    let timeout = Duration::from_secs(60);
    let idle = Some(Duration::from_secs(1));
    let mut server = Server::new(
        chat,
        FacesConfig {
            server_name: "fuzz.test".into(),
            lines: lines::LinesConfig { max_line: 200, nick_timeout: timeout, idle_timeout: idle, motd: None, lang: linechat::words::Lang::EN },
            irc: irc::IrcConfig { nick_timeout: timeout, idle_timeout: idle, allow_plain_auth: true, monitor_max: 8, ..Default::default() },
            web: web::WebConfig::default(),
        },
    );
    // Accounts' logic, not argon2's 19 MiB: the cheapest hash.
    server.hub.store.hasher = Hasher::new(HashCost::CHEAP);
    server
}

fn face(slot: usize) -> Face {
    if slot == CONNS - 1 {
        faces::IRC
    } else {
        faces::LINES
    }
}

fuzz_target!(|input: &[u8]| {
    let mut sim = Sim::new(server(), usize::MAX / 4);
    let mut ids: [Option<usize>; CONNS] = [None; CONNS];
    for step in input.split(|&b| b == b'\n') {
        let Some((&selector, line)) = step.split_first() else { continue };
        let slot = selector as usize % CONNS;
        let id = match ids[slot] {
            Some(id) if sim.is_open(id) => id,
            _ => {
                let id = sim.connect(face(slot));
                ids[slot] = Some(id);
                id
            }
        };
        if selector & 4 != 0 {
            sim.close(id, CloseReason::PeerClosed);
            ids[slot] = None;
        } else if selector & 8 != 0 {
            sim.advance(Duration::from_secs(1));
        } else {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            sim.bytes(id, Ok(line));
        }
        if let Err(e) = sim.service.hub.check_consistency() {
            panic!("after {:?}: {e}", String::from_utf8_lossy(step));
        }
        for (slot, id) in ids.iter().enumerate() {
            let Some(id) = *id else { continue };
            let format = sim.service.hub.profile(id).map(|p| p.format);
            let bytes = sim.out.take_output(id);
            for line in bytes.split_inclusive(|&b| b == b'\n') {
                if (format == Some(faces::JSON_FORMAT) || format == Some(faces::JSON_IDS_FORMAT)) && line.starts_with(b"{") {
                    if let Err(e) = serde_json::from_slice::<serde_json::Value>(line) {
                        panic!("conn {slot} got a JSON line that is not JSON ({e}): {:?}", String::from_utf8_lossy(line));
                    }
                } else if format == Some(faces::JSON_FORMAT) {
                    assert!(line.starts_with(b"* welcome"), "JSON client got {:?}", String::from_utf8_lossy(line));
                } else if format == Some(faces::IRC_FORMAT) {
                    assert!(line.len() <= 512, "IRC line of {} bytes", line.len());
                    assert!(line.ends_with(b"\r\n"), "IRC line without CRLF: {:?}", String::from_utf8_lossy(line));
                } else {
                    assert!(line.ends_with(b"\n"));
                }
                assert!(std::str::from_utf8(line).is_ok(), "output that is not UTF-8");
            }
        }
    }
});
