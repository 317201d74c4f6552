//! A short soak: well-behaved text, JSON and IRC clients chat with sequence
//! numbers while others misbehave beside them (a reader that never reads,
//! clients vanishing mid-line, a reconnect storm, garbage, oversize lines, a
//! flood). Every well-behaved client must get every message of every other,
//! in each sender's order, and the server must still answer afterwards.

use crate::support::*;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Barrier};
use std::thread;

const MESSAGES: usize = 40;

#[derive(Clone, Copy)]
enum Kind {
    Text,
    Json,
    Irc,
}

/// Joins, waits for everyone, sends its numbered messages, and reads until
/// it has every message of every sender; returns what it saw per sender.
fn well_behaved(
    s: &Server,
    nick: String,
    kind: Kind,
    senders: Vec<String>,
    start: Arc<Barrier>,
) -> HashMap<String, usize> {
    let mut c = match kind {
        Kind::Text => s.join(&nick),
        Kind::Json => s.join_json(&nick),
        Kind::Irc => {
            let mut c = s.irc_join(&nick);
            c.send("JOIN #lobby");
            c.irc_skip_until(" 366 ");
            c
        }
    };
    start.wait();
    for i in 0..MESSAGES {
        let text = format!("soak {nick} {i}");
        match kind {
            Kind::Json => c.send(&serde_json::json!({"type": "chat", "payload": text}).to_string()),
            Kind::Irc => c.send(&format!("PRIVMSG #lobby :{text}")),
            Kind::Text => c.send(&text),
        }
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    let want = senders.len() * MESSAGES;
    let mut got = 0;
    while got < want {
        let line = c.line();
        let Some(at) = line.find("soak ") else { continue };
        let rest: String = line[at + 5..].chars().take_while(|&c| c != '"' && c != '\r').collect();
        let mut parts = rest.split(' ');
        let (Some(from), Some(Ok(i))) = (parts.next(), parts.next().map(str::parse::<usize>)) else {
            continue;
        };
        if !senders.iter().any(|s| s == from) {
            continue;
        }
        let next = seen.entry(from.to_string()).or_insert(0);
        assert_eq!(*next, i, "{nick} got {from}'s message {i} out of order (expected {next})");
        *next += 1;
        got += 1;
    }
    seen
}

#[test]
fn well_behaved_clients_lose_nothing_beside_misbehaving_ones() {
    let s = Arc::new(Server::start_irc(&["--max-line", "1024", "--max-outbuf", "256K"]));
    let mut everyone: Vec<(String, Kind)> = Vec::new();
    for i in 0..8 {
        everyone.push((format!("t{i}"), Kind::Text));
        everyone.push((format!("j{i}"), Kind::Json));
    }
    for i in 0..4 {
        everyone.push((format!("i{i}"), Kind::Irc));
    }
    // Text and JSON clients get their own lines back; IRC clients do not.
    let start = Arc::new(Barrier::new(everyone.len() + 1));
    let mut handles = Vec::new();
    for (nick, kind) in everyone.clone() {
        let senders: Vec<String> = everyone
            .iter()
            .filter(|(n, _)| !matches!(kind, Kind::Irc) || *n != nick)
            .map(|(n, _)| n.clone())
            .collect();
        let (s, start) = (s.clone(), start.clone());
        handles.push(thread::spawn(move || (nick.clone(), well_behaved(&s, nick, kind, senders, start))));
    }
    // The misbehaving, all at once.
    let addr = s.addr;
    let mut never_reads = s.join("sleeper");
    never_reads.send("still here, reading nothing");
    let troublemakers = vec![
        thread::spawn(move || {
            // Clients that vanish mid-line, and a reconnect storm.
            for i in 0..200 {
                let mut c = TcpStream::connect(addr).unwrap();
                if i % 2 == 0 {
                    let _ = c.write_all(format!("vanisher{i}\nhalf a li").as_bytes());
                }
            }
        }),
        thread::spawn(move || {
            // Garbage, oversize lines, invalid UTF-8.
            let mut c = TcpStream::connect(addr).unwrap();
            let mut junk = vec![0u8; 64 * 1024];
            for (i, b) in junk.iter_mut().enumerate() {
                *b = (i * 7919 % 251) as u8;
            }
            let _ = c.write_all(&junk);
            let _ = c.write_all(&vec![b'x'; 10_000]);
            let _ = c.write_all(b"\n\xff\xfe\n");
        }),
        thread::spawn(move || {
            // A flood from a joined client, reading its own echo.
            let mut c = Client::connect(addr);
            c.expect(WELCOME);
            c.send("flooder");
            let mut burst = String::new();
            for i in 0..2000 {
                burst.push_str(&format!("flood {i} {}\n", "f".repeat(80)));
            }
            c.send_raw(burst.as_bytes());
            c.skip_until("[flooder] flood 1999 ");
        }),
    ];
    start.wait();
    for t in troublemakers {
        t.join().expect("a misbehaving client's thread");
    }
    for h in handles {
        let (nick, seen) = h.join().expect("a well-behaved client failed");
        for (from, n) in seen {
            assert_eq!(n, MESSAGES, "{nick} got {n} of {from}'s messages");
        }
    }
    // Still serving, and the sleeper's backlog did not grow without bound.
    let mut late = s.join("late");
    late.send("/ping alive");
    late.skip_until("* pong alive");
    let mut buf = [0u8; 1];
    never_reads.stream.set_nonblocking(true).unwrap();
    let _ = never_reads.stream.read(&mut buf);
}
