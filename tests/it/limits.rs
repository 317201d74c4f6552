//! Every limit and fault: each is a command-line option, each gives a clear
//! error, and none disturbs the other clients.

use crate::support::*;
use serde_json::json;
use std::io::{Read, Write};

const FULL: &str = "! server-full: too many clients are connected; try again later";

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn max_clients_refuses_the_next_one_with_server_full() {
    let s = Server::start(&["--max-clients", "2"]);
    let mut a = s.join("a");
    let b = s.join("b");
    let mut refused = Client::connect(s.addr);
    refused.expect(FULL);
    refused.expect_closed();
    a.skip_until("* b joined");
    drop(b);
    a.expect("* b left (1 online)");
    let mut c = s.join("c");
    c.send("/who");
    c.expect("* online (2): a, c");
}

#[test]
fn overlong_line_is_refused_discarded_and_the_connection_stays() {
    let s = Server::start(&["--max-line", "64"]);
    let mut a = s.join("alice");
    let mut b = s.join("bob");
    a.skip_until("* bob joined");
    a.send(&"x".repeat(65));
    a.expect("! line-too-long: lines are limited to 64 bytes; the rest of this line was discarded");
    // The same, arriving in pieces with the newline much later (however the
    // pieces fall into reads: the splitter's unit tests cut at every offset).
    for _ in 0..10 {
        a.send_raw(&[b'y'; 50]);
    }
    a.send_raw(b"tail\nafter\n");
    a.expect("! line-too-long: lines are limited to 64 bytes; the rest of this line was discarded");
    a.expect("[alice] after");
    b.expect("[alice] after");
    a.send(&"z".repeat(64));
    a.expect(&format!("[alice] {}", "z".repeat(64)));
}

#[test]
fn huge_nickname_is_refused_and_another_can_be_chosen() {
    let s = Server::start(&[]);
    let mut c = s.connect();
    c.send(&"n".repeat(10_000));
    c.expect("! line-too-long: lines are limited to 4096 bytes; the rest of this line was discarded");
    c.send(&"n".repeat(3000));
    c.expect("! nick-invalid: a nickname has at most 24 characters");
    c.send("fine");
    c.expect("* fine joined (1 online)");
}

#[test]
fn endless_line_without_newline_keeps_memory_bounded() {
    let s = Server::start(&[]);
    let mut flood = s.join("flood");
    let mut other = s.join("other");
    let before = rss_kib(s.pid());
    let block = vec![b'a'; 64 * 1024];
    for _ in 0..256 {
        flood.send_raw(&block); // 16 MiB, no newline
    }
    flood.send_raw(b"\nok\n");
    flood.skip_until("* other joined");
    flood.expect("! line-too-long: lines are limited to 4096 bytes; the rest of this line was discarded");
    flood.expect("[flood] ok");
    other.expect("[flood] ok");
    let after = rss_kib(s.pid());
    assert!(after < before + 4096, "RSS grew from {before} KiB to {after} KiB on an endless line");
}

#[test]
fn slow_consumer_is_dropped_and_nobody_else_loses_a_line() {
    let s = Server::start(&["--max-outbuf", "64K"]);
    let mut slow = s.join("slow");
    slow.stream.set_nonblocking(true).unwrap(); // it will never read again
    let mut reader = s.join("reader");
    let sender = s.join("sender");
    reader.skip_until("* sender joined");
    const LINES: usize = 20_000;
    let body = "b".repeat(1000);
    // The sender reads its own echoes on another thread so that it is not slow itself.
    let mut sender_in = sender_reader(&sender);
    let echo_reader = std::thread::spawn(move || {
        for i in 0..LINES {
            let l = sender_in.skip_until("[sender] ");
            assert!(l.ends_with(&format!(" {i}")), "sender echo {i}: {l}");
        }
    });
    let writer = {
        let mut w = sender.stream.try_clone().unwrap();
        let body = body.clone();
        std::thread::spawn(move || {
            for i in 0..LINES {
                w.write_all(format!("{body} {i}\n").as_bytes()).unwrap();
            }
        })
    };
    let mut got = 0;
    let mut saw_leave = false;
    while got < LINES {
        let l = reader.line();
        if l == "* slow left (2 online)" {
            saw_leave = true;
            continue;
        }
        assert_eq!(l, format!("[sender] {body} {got}"));
        got += 1;
    }
    writer.join().unwrap();
    echo_reader.join().unwrap();
    if !saw_leave {
        reader.expect("* slow left (2 online)");
    }
    let log = s.wait_log("slow consumer");
    assert!(log.contains("WARN"), "{log}");
    // The slow client's connection was closed by the server.
    slow.stream.set_nonblocking(false).unwrap();
    let mut sink = Vec::new();
    let _ = slow.stream.read_to_end(&mut sink);
}

/// A second reader on the sender's socket.
fn sender_reader(c: &Client) -> Client {
    Client::from_stream(c.stream.try_clone().unwrap())
}

#[test]
fn nickname_timeout_closes_silent_newcomers_only() {
    // A smoke test with 3 s of slack for the joiner; the timer to the
    // millisecond is tested in-process (src/tests/timers.rs).
    let s = Server::start(&["--nick-timeout", "3s"]);
    let mut joined = s.join("early");
    let mut c = s.connect();
    c.expect("! nick-timeout: no nickname chosen within 3 s");
    c.expect_closed();
    joined.send("/who");
    joined.expect("* online (1): early");
}

#[test]
fn idle_timeout_closes_silent_members_and_spares_active_ones() {
    // A smoke test with 3 s of slack for the active client's pings.
    let s = Server::start(&["--idle-timeout", "3s"]);
    let mut silent = s.join("silent");
    let mut active = s.join("active");
    // active keeps talking (a ping round trip every 100 ms at most) until
    // the silent one is gone.
    eventually("the silent client to be closed", || {
        active.sync().iter().any(|l| l == "* silent left (1 online)")
    });
    silent.skip_until("* active joined");
    silent.expect("! idle-timeout: nothing received for 3 s");
    silent.expect_closed();
    active.send("/who");
    active.skip_until("* online (1): active");
}

#[test]
fn shutdown_says_goodbye_in_each_format_and_exits_cleanly() {
    let mut s = Server::start(&[]);
    let mut text = s.join("texter");
    let mut json_client = s.join_json("jason");
    let mut newcomer = s.connect();
    text.skip_until("* jason joined");
    s.signal(libc::SIGTERM);
    text.expect("* server shutting down");
    text.expect_closed();
    assert_eq!(json_client.json(), json!({"type": "shutdown"}));
    json_client.expect_closed();
    newcomer.expect("* server shutting down");
    newcomer.expect_closed();
    assert!(s.wait_exit().success());
}

#[test]
fn running_out_of_descriptors_refuses_cleanly_and_recovers() {
    // Hard and soft limit 40: the server cannot raise it.
    let s = Server::start_in_shell("ulimit -n 40", &[]);
    let mut clients = Vec::new();
    let mut refused = 0;
    for i in 0..60 {
        let mut c = Client::connect(s.addr);
        let first = c.line();
        if first == FULL {
            c.expect_closed();
            refused += 1;
        } else {
            assert_eq!(first, WELCOME);
            c.send(&format!("u{i}"));
            c.skip_until(&format!("* u{i} joined"));
            clients.push(c);
        }
    }
    assert!(refused > 0 && clients.len() > 20, "refused {refused}, admitted {}", clients.len());
    // One log line per refused client: the accept loop does not spin.
    let warnings = || s.log_lines().iter().filter(|l| l.contains("out of file descriptors")).count();
    eventually(&format!("{refused} warnings about descriptors"), || warnings() >= refused);
    assert_eq!(warnings(), refused);
    // Connected clients are untouched.
    let last = clients.len() - 1;
    clients[0].send("still fine");
    clients[last].skip_until("[u0] still fine");
    // Free some descriptors: new clients get in again once the server has
    // seen the hang-ups (retrying until then; each try is refused cleanly).
    clients.truncate(last - 3);
    let mut again = eventually_some("a client admitted again", || {
        let mut c = Client::connect(s.addr);
        (c.line() == WELCOME).then_some(c)
    });
    again.send("again");
    again.skip_until("* again joined");
}

#[test]
fn a_client_that_never_reads_cannot_pin_the_rooms_traffic_in_memory() {
    // An unjoined client pings all the time and never reads its pongs, while
    // 160 MB flow through the room. Its queue is charged a few bytes per pong;
    // the server must not keep the room's output alive on its behalf (each
    // pong shares a loop iteration's output buffer with the room's lines).
    let s = Server::start(&["--max-outbuf", "16MiB"]);
    let mut reader = s.join("reader");
    let sender = s.join("sender");
    reader.skip_until("* sender joined");
    let mut attacker = std::net::TcpStream::connect(s.addr).unwrap();
    // First fill its own socket buffers with big pongs, so that what follows
    // stays in the server's queue (well under the 16 MiB limit).
    let big_ping = format!("/ping {}\n", "p".repeat(4000));
    for _ in 0..2000 {
        attacker.write_all(big_ping.as_bytes()).unwrap();
    }
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let pinger = {
        let mut w = attacker.try_clone().unwrap();
        let stop = stop.clone();
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if w.write_all(b"/ping x\n").is_err() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
        })
    };
    let body = "f".repeat(4000);
    const LINES: usize = 40_000;
    // The flood stays at most 1000 lines ahead of its slowest reader, so the
    // legitimate readers are never slow consumers themselves.
    use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
    let progress = std::sync::Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
    let mut sender_echo = Client::from_stream(sender.stream.try_clone().unwrap());
    let echo = {
        let progress = progress.clone();
        std::thread::spawn(move || {
            for i in 0..LINES {
                sender_echo.skip_until("[sender] ");
                progress[1].store(i + 1, Relaxed);
            }
        })
    };
    let mut w = sender.stream.try_clone().unwrap();
    let writer = {
        let progress = progress.clone();
        std::thread::spawn(move || {
            for i in 0..LINES {
                while i > 1000 + progress[0].load(Relaxed).min(progress[1].load(Relaxed)) {
                    std::thread::sleep(std::time::Duration::from_micros(100));
                }
                w.write_all(format!("{body} {i}\n").as_bytes()).unwrap();
            }
        })
    };
    let mut peak = 0;
    for i in 0..LINES {
        reader.skip_until("[sender] ");
        progress[0].store(i + 1, Relaxed);
        if i % 1000 == 0 {
            peak = peak.max(rss_kib(s.pid()));
        }
    }
    writer.join().unwrap();
    echo.join().unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    pinger.join().unwrap();
    peak = peak.max(rss_kib(s.pid()));
    assert!(peak < 64 * 1024, "server RSS peaked at {peak} KiB while 160 MB passed through");
    drop(attacker);
}

#[test]
fn max_per_ip_refuses_one_address_past_its_share_and_nobody_else() {
    let s = Server::start_web(&["--max-per-ip", "2", "--irc-listen", "127.0.0.1:0"]);
    let mut a = s.join("a");
    let mut b = s.join("b");
    a.expect("* b joined (2 online)");
    let mut third = Client::connect(s.addr);
    assert_eq!(
        third.line(),
        "! too-many-connections: too many connections from your address; try again later"
    );
    third.expect_closed();
    let mut web = Client::connect(s.web_addr());
    web.send_raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(web.line().starts_with("HTTP/1.1 503"));
    let mut irc = Client::connect(s.irc_addr());
    assert_eq!(irc.line(), "ERROR :Closing link: too many connections from your address; try again later\r");
    // The two inside are not disturbed, and a place freed is a place taken.
    a.send("still here");
    a.expect("[a] still here");
    b.expect("[a] still here");
    drop(b);
    a.expect("* b left (1 online)");
    let mut c = eventually_some("the freed place to be given again", || {
        let mut c = Client::connect(s.addr);
        (c.line() == WELCOME).then_some(c)
    });
    c.send("c");
    c.expect("* c joined (2 online)");
    a.expect("* c joined (2 online)");
    drop(c);
    a.expect("* c left (1 online)");
    let body = eventually_some("/metrics to answer once a place is free", || {
        let body = http_get(s.web_addr(), "/metrics");
        body.starts_with("HTTP/1.1 200").then_some(body)
    });
    let refused: u64 = body
        .lines()
        .find_map(|l| l.strip_prefix("linechat_protocol_errors_total{code=\"too-many-connections\"} "))
        .and_then(|v| v.parse().ok())
        .expect("the refusals are counted");
    assert!(refused >= 3, "{body}");
}

#[test]
fn a_client_over_its_rate_waits_loses_nothing_and_slows_nobody() {
    // A smoke test: the flood lasts at least 3.5 s (35 lines past the burst
    // at 10 a second), so another client's line passing it has that much
    // slack. The bucket's arithmetic is tested in-process (src/net/rate.rs).
    let s = Server::start(&["--rate", "10/s", "--burst", "5"]);
    let mut fast = s.join("fast");
    let mut other = s.join("other");
    fast.expect("* other joined (2 online)");
    let flood: String = (0..40).map(|i| format!("flood {i}\n")).collect();
    fast.send_raw(flood.as_bytes());
    other.expect("[fast] flood 0");
    // Someone else speaks while the flood trickles in: heard before its end.
    other.send("meanwhile");
    let mut seen = Vec::new();
    loop {
        let l = other.line();
        if l == "[other] meanwhile" {
            break;
        }
        seen.push(l);
    }
    assert!(seen.len() < 39, "other's line waited behind the whole flood: {seen:?}");
    // Every flood line arrives, in order, to both.
    for (i, l) in seen.iter().enumerate() {
        assert_eq!(l, &format!("[fast] flood {}", i + 1));
    }
    for i in seen.len() + 1..40 {
        other.expect(&format!("[fast] flood {i}"));
    }
    for i in 0..40 {
        fast.skip_until(&format!("[fast] flood {i}"));
    }
}

#[test]
fn join_rate_slows_a_joiner_without_losing_its_joins_or_slowing_others() {
    // A smoke test: after the nickname and #a (the burst of 2), j's three
    // other joins take at least 3 s at one a second, which is the slack
    // for other's join to pass them. The pause itself is tested in-process.
    let s = Server::start(&["--join-rate", "1/s", "--join-burst", "2"]);
    let mut j = s.join("j");
    let mut other = s.join("other");
    j.expect("* other joined (2 online)");
    j.send_raw(b"/join #a\n/join #b\n/join #c\n/join #d\n");
    j.expect("* j joined #a (1 online)");
    // Someone else joins at once, while j's next joins wait their turn.
    other.send("/join #x");
    other.skip_until("* other joined #x (1 online)");
    let mut watcher = s.join("watcher");
    watcher.send("/who #d");
    watcher.expect("* online in #d (0):");
    for room in ["#b", "#c", "#d"] {
        j.expect(&format!("* j joined {room} (1 online)"));
    }
    j.send("/ping after");
    j.expect("* pong after");
}
