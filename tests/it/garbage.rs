//! No input of any kind may crash the server or disturb other clients:
//! seeded pseudo-random bytes, lines and frames on both ports.

use crate::support::*;
use std::io::Write;
use std::net::TcpStream;

/// A small deterministic generator, so a failure can be replayed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
    /// Random bytes biased towards what parsers care about.
    fn nasty(&mut self, n: usize) -> Vec<u8> {
        const PIECES: &[&[u8]] = &[
            b"\n",
            b"\r\n",
            b"{",
            b"}",
            b"\"",
            b"/",
            b"//",
            b"/msg ",
            b"/nick ",
            b"{\"type\":",
            b"\"payload\":",
            b"\xff",
            b"\xe2\x82",
            b"\x1b[2J",
            b"\0",
            b"GET /ws HTTP/1.1\r\n",
            b"\r\n\r\n",
            b"\x81\xfe\xff\xff",
            b"\x88\x80\0\0\0\0",
            b"\x89\x80\0\0\0\0",
        ];
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            if self.next().is_multiple_of(3) {
                out.extend_from_slice(PIECES[(self.next() % PIECES.len() as u64) as usize]);
            } else {
                let k = (self.next() % 16) as usize;
                out.extend(self.bytes(k));
            }
        }
        out
    }
}

#[test]
fn random_input_on_both_ports_leaves_the_server_serving() {
    let mut s = Server::start_web(&["--max-line", "256", "--max-outbuf", "64K"]);
    let mut witness = s.join("witness");
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    for round in 0..200 {
        let port = if round % 2 == 0 { s.addr } else { s.web_addr() };
        let Ok(mut c) = TcpStream::connect(port) else { continue };
        if round % 4 == 1 {
            // A valid WebSocket upgrade first, then garbage frames.
            let _ = c.write_all(
                b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                  Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
            );
        } else if round % 4 == 0 {
            // Join first, so garbage reaches the handlers and gets broadcast.
            let _ = c.write_all(format!("g{round}\n").as_bytes());
        }
        let len = 1 + (rng.next() % 4000) as usize;
        let _ = c.write_all(&rng.nasty(len));
        if round % 3 == 0 {
            drop(c); // vanish mid-stream
        } else {
            let _ = c.shutdown(std::net::Shutdown::Write);
        }
        assert!(s.is_running(), "server died in round {round}");
    }
    // The witness still chats; everyone it sees left or spoke, and nothing it
    // received broke the line protocol.
    witness.send("still here");
    let seen = witness.sync();
    assert!(seen.iter().any(|l| l == "[witness] still here"), "{seen:?}");
    for l in &seen {
        assert!(l.starts_with("* ") || l.starts_with('['), "odd line: {l:?}");
        assert!(!l.chars().any(|c| c.is_control() && c != '\t'), "control character relayed: {l:?}");
    }
    assert!(s.is_running());
}
