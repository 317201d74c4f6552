//! lcbench: an open-loop load generator for linechat.
//!
//! N clients join a room (or R rooms) speaking one wire format (text lines, JSON lines,
//! or either inside WebSocket frames); S of them send chat messages at an
//! aggregate rate R on a fixed schedule that never waits for the server
//! (open loop). Each message carries its intended send time, so a delivery's
//! latency includes any time the server made the schedule wait (no
//! coordinated omission). Every client counts what it receives; the report
//! gives delivered/s, loss and latency percentiles, and the server's CPU and
//! RSS when `--pid` is given. One thread, one `mio` poll loop.

mod hist;
mod tls;

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use hist::Histogram;
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

const USAGE: &str = "\
lcbench - open-loop room-broadcast load generator for linechat

usage: lcbench [OPTIONS]

  --addr ADDR          server address: the chat port for text/json, the web port
                       for ws-text/ws-json [default: 127.0.0.1:7000]
  --proto P            text, json, ws-text, ws-json, or irc (linechat's --irc-listen port,
                       or any IRC server: NICK/USER, JOIN, PRIVMSG) [default: text]
  -n, --clients N      clients [default: 100]
  -s, --senders S      how many of them send [default: all]
  --rooms R            spread the clients over R rooms (#r0 ... client i in #r(i mod R));
                       each sender talks in its own room [default: 1: all in #lobby]
  -r, --rate R         messages per second, all senders together [default: 1000]
  -b, --body BYTES     message body size [default: 32]
  --packet TYPE        (json, ws-json) the packet type each message is sent as, e.g.
                       echo to every JSON client, or a script handler's type [default: chat]
  --warmup SECS        sent but not measured [default: 1]
  --duration SECS      measured [default: 5]
  --drain SECS         longest wait for late deliveries [default: 3]
  --tls                speak TLS to the server (any certificate is accepted)
  --pid PID            the server's pid, for its CPU and memory
  --find-max           search the highest rate with >= 99.9% delivered and p99 < 50 ms
  --max-p99-ms MS      find-max latency bound [default: 50]
  --idle               join N clients, send nothing, report server RSS per client
  --label TEXT         copied into the JSON result
  -h, --help

A summary goes to stderr and one JSON object per trial to stdout.
";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Proto {
    Text,
    Json,
    WsText,
    WsJson,
    /// IRC client protocol; the sender gets no copy of its own message.
    Irc,
}

impl Proto {
    fn ws(self) -> bool {
        matches!(self, Proto::WsText | Proto::WsJson)
    }
    fn json(self) -> bool {
        matches!(self, Proto::Json | Proto::WsJson)
    }
    fn name(self) -> &'static str {
        match self {
            Proto::Text => "text",
            Proto::Json => "json",
            Proto::WsText => "ws-text",
            Proto::WsJson => "ws-json",
            Proto::Irc => "irc",
        }
    }
    /// Does a sender receive its own message?
    fn echo(self) -> bool {
        self != Proto::Irc
    }
}

#[derive(Clone, Debug)]
struct Opts {
    addr: SocketAddr,
    proto: Proto,
    clients: usize,
    senders: Option<usize>,
    rooms: usize,
    rate: f64,
    body: usize,
    packet: String,
    warmup: f64,
    duration: f64,
    drain: f64,
    pid: Option<u32>,
    tls: bool,
    find_max: bool,
    max_p99_ms: f64,
    idle: bool,
    label: String,
}

fn parse_opts() -> Result<Option<Opts>, String> {
    use lexopt::prelude::*;
    let mut o = Opts {
        addr: "127.0.0.1:7000".parse().unwrap(),
        proto: Proto::Text,
        clients: 100,
        senders: None,
        rooms: 1,
        rate: 1000.0,
        body: 32,
        packet: "chat".into(),
        warmup: 1.0,
        duration: 5.0,
        drain: 3.0,
        pid: None,
        tls: false,
        find_max: false,
        max_p99_ms: 50.0,
        idle: false,
        label: String::new(),
    };
    let mut p = lexopt::Parser::from_env();
    let e = |e: lexopt::Error| e.to_string();
    while let Some(arg) = p.next().map_err(e)? {
        match arg {
            Long("addr") => o.addr = p.value().map_err(e)?.parse().map_err(e)?,
            Long("proto") => {
                o.proto = match p.value().map_err(e)?.to_str() {
                    Some("text") => Proto::Text,
                    Some("json") => Proto::Json,
                    Some("ws-text") => Proto::WsText,
                    Some("ws-json") => Proto::WsJson,
                    Some("irc") => Proto::Irc,
                    other => return Err(format!("--proto: unknown {other:?}")),
                }
            }
            Short('n') | Long("clients") => o.clients = p.value().map_err(e)?.parse().map_err(e)?,
            Short('s') | Long("senders") => o.senders = Some(p.value().map_err(e)?.parse().map_err(e)?),
            Long("rooms") => o.rooms = p.value().map_err(e)?.parse().map_err(e)?,
            Short('r') | Long("rate") => o.rate = p.value().map_err(e)?.parse().map_err(e)?,
            Short('b') | Long("body") => o.body = p.value().map_err(e)?.parse().map_err(e)?,
            Long("packet") => o.packet = p.value().map_err(e)?.string().map_err(e)?,
            Long("warmup") => o.warmup = p.value().map_err(e)?.parse().map_err(e)?,
            Long("duration") => o.duration = p.value().map_err(e)?.parse().map_err(e)?,
            Long("drain") => o.drain = p.value().map_err(e)?.parse().map_err(e)?,
            Long("pid") => o.pid = Some(p.value().map_err(e)?.parse().map_err(e)?),
            Long("find-max") => o.find_max = true,
            Long("tls") => o.tls = true,
            Long("max-p99-ms") => o.max_p99_ms = p.value().map_err(e)?.parse().map_err(e)?,
            Long("idle") => o.idle = true,
            Long("label") => o.label = p.value().map_err(e)?.string().map_err(e)?,
            Short('h') | Long("help") => return Ok(None),
            _ => return Err(arg.unexpected().to_string()),
        }
    }
    if o.clients == 0 || o.body < 24 {
        return Err("need at least one client and a body of 24 bytes or more".into());
    }
    if o.packet != "chat" && !o.proto.json() {
        return Err("--packet needs --proto json or ws-json".into());
    }
    if o.rooms == 0 || o.rooms > o.clients {
        return Err("--rooms must be between 1 and the number of clients".into());
    }
    Ok(Some(o))
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    Connecting,
    Upgrading,
    Greeting,
    Joining,
    /// Joined the default room, on the way to its own room.
    Moving,
    /// JSON: in its own room, leaving the default one.
    Parting,
    Joined,
    Dead,
}

struct Client {
    sock: TcpStream,
    phase: Phase,
    /// Received bytes not yet parsed.
    rbuf: Vec<u8>,
    /// Bytes the socket did not take yet.
    wbuf: VecDeque<u8>,
    nick: String,
    /// For masking client frames (RFC 6455 asks for unpredictable masks).
    rng: u32,
    /// With `--tls`: the client's TLS state.
    tls: Option<rustls::ClientConnection>,
}

const WELCOME_PREFIX: &[u8] = b"* welcome to linechat";
const MARK: &[u8] = b"@@";

/// Monotonic nanoseconds since the generator started.
struct Clock(Instant);
impl Clock {
    fn ns(&self) -> u64 {
        self.0.elapsed().as_nanos() as u64
    }
}

/// What a trial measured.
struct Outcome {
    rate: f64,
    sent: u64,
    expected: u64,
    delivered: u64,
    hist: Histogram,
    measured_s: f64,
    server_cpu_pct: Option<f64>,
    server_rss_kb: Option<u64>,
    dead: usize,
}

impl Outcome {
    fn loss_pct(&self) -> f64 {
        if self.expected == 0 {
            0.0
        } else {
            100.0 * (self.expected - self.delivered.min(self.expected)) as f64 / self.expected as f64
        }
    }
    fn pass(&self, max_p99_ms: f64) -> bool {
        self.dead == 0
            && self.delivered as f64 >= 0.999 * self.expected as f64
            && (self.hist.quantile(0.99) as f64) < max_p99_ms * 1000.0
    }
}

struct Bench {
    o: Opts,
    poll: Poll,
    clients: Vec<Client>,
    clock: Clock,
    trial: u32,
    /// Current trial's measured sequence numbers: [first, last).
    measured: (u64, u64),
    delivered: u64,
    hist: Histogram,
    /// With `--tls`: the configuration every client shares.
    tls_config: Option<std::sync::Arc<rustls::ClientConfig>>,
}

fn main() -> ExitCode {
    let o = match parse_opts() {
        Ok(Some(o)) => o,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("lcbench: {e}");
            return ExitCode::from(2);
        }
    };
    raise_fd_limit();
    match run(o) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lcbench: {e}");
            ExitCode::from(1)
        }
    }
}

fn run(o: Opts) -> io::Result<()> {
    let rss_before = o.pid.and_then(server_rss_kb);
    let mut b = Bench {
        poll: Poll::new()?,
        clients: Vec::new(),
        clock: Clock(Instant::now()),
        trial: 0,
        measured: (0, 0),
        delivered: 0,
        hist: Histogram::new(),
        tls_config: o.tls.then(tls::client_config),
        o,
    };
    let t0 = Instant::now();
    b.connect_all()?;
    eprintln!(
        "[{}] {} clients joined in {:.2} s",
        b.o.proto.name(),
        b.clients.len(),
        t0.elapsed().as_secs_f64()
    );
    if b.o.idle {
        std::thread::sleep(Duration::from_secs(2));
        let after = b.o.pid.and_then(server_rss_kb);
        let (Some(before), Some(after)) = (rss_before, after) else {
            eprintln!("--idle needs --pid");
            return Ok(());
        };
        let per = (after.saturating_sub(before) as f64 * 1024.0) / b.clients.len() as f64;
        eprintln!(
            "[{}] idle: server RSS {before} KiB -> {after} KiB: {per:.0} bytes per joined client",
            b.o.proto.name()
        );
        println!(
            "{{\"mode\":\"idle\",\"label\":{},\"proto\":\"{}\",\"clients\":{},\"rss_before_kb\":{before},\"rss_after_kb\":{after},\"bytes_per_client\":{per:.0}}}",
            json_string(&b.o.label),
            b.o.proto.name(),
            b.clients.len()
        );
        return Ok(());
    }
    if !b.o.find_max {
        let out = b.trial(b.o.rate)?;
        b.report(&out);
        return Ok(());
    }
    // Find the highest passing rate: double until a failure, then bisect.
    let (mut lo, mut hi): (Option<f64>, Option<f64>) = (None, None);
    let mut rate = b.o.rate;
    for _ in 0..24 {
        let out = b.trial(rate)?;
        b.report(&out);
        if out.dead > 0 {
            return Err(io::Error::other("clients died; stopping"));
        }
        if out.pass(b.o.max_p99_ms) {
            lo = Some(rate);
        } else {
            hi = Some(rate);
        }
        rate = match (lo, hi) {
            (Some(l), None) => l * 2.0,
            (None, Some(h)) => h / 2.0,
            (Some(l), Some(h)) if h / l > 1.05 => ((l + h) / 2.0).round(),
            _ => break,
        };
        std::thread::sleep(Duration::from_millis(500));
    }
    let best = lo.unwrap_or(0.0);
    let n = b.fanout();
    eprintln!(
        "[{}] find-max n={} s={}: max {best:.0} msg/s = {:.0} deliveries/s",
        b.o.proto.name(),
        b.clients.len(),
        b.senders(),
        best * n
    );
    println!(
        "{{\"mode\":\"find-max\",\"label\":{},\"proto\":\"{}\",\"clients\":{},\"senders\":{},\"rooms\":{},\"max_rate\":{best},\"max_deliveries_per_s\":{}}}",
        json_string(&b.o.label),
        b.o.proto.name(),
        b.clients.len(),
        b.senders(),
        b.o.rooms,
        best * n
    );
    Ok(())
}

impl Bench {
    fn senders(&self) -> usize {
        self.o.senders.unwrap_or(self.clients.len()).min(self.clients.len()).max(1)
    }

    /// Clients in the room of client `i`.
    fn room_size(&self, i: usize) -> u64 {
        let (n, r) = (self.clients.len(), self.o.rooms);
        (n / r + usize::from(i % r < n % r)) as u64
    }

    /// Deliveries expected of a message from client `i`.
    fn recipients(&self, i: usize) -> u64 {
        self.room_size(i) - u64::from(!self.o.proto.echo())
    }

    /// Deliveries per message, averaged over the senders.
    fn fanout(&self) -> f64 {
        let s = self.senders();
        (0..s).map(|i| self.recipients(i)).sum::<u64>() as f64 / s as f64
    }

    /// The IRC channel of client `i`.
    fn irc_room(&self, i: usize) -> String {
        self.room_of(i).unwrap_or_else(|| "#lobby".to_string())
    }

    /// The room of client `i`, when there are several.
    fn room_of(&self, i: usize) -> Option<String> {
        (self.o.rooms > 1).then(|| format!("#r{}", i % self.o.rooms))
    }

    /// Connects and joins every client, 64 handshakes at a time.
    fn connect_all(&mut self) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut next = 0;
        loop {
            let in_flight = self.clients.iter().filter(|c| !matches!(c.phase, Phase::Joined)).count();
            while next < self.o.clients && in_flight + (next - self.clients.len().min(next)) < 64 {
                let mut sock = TcpStream::connect(self.o.addr)?;
                self.poll.registry().register(
                    &mut sock,
                    Token(next),
                    Interest::READABLE | Interest::WRITABLE,
                )?;
                self.clients.push(Client {
                    sock,
                    phase: Phase::Connecting,
                    rbuf: Vec::new(),
                    wbuf: VecDeque::new(),
                    nick: format!("c{next}"),
                    rng: 0x9E37_79B9 ^ (next as u32).wrapping_mul(2_654_435_761),
                    tls: self.tls_config.as_ref().map(tls::connection),
                });
                next += 1;
                if self.clients.iter().filter(|c| !matches!(c.phase, Phase::Joined)).count() >= 64 {
                    break;
                }
            }
            if next == self.o.clients && self.clients.iter().all(|c| c.phase == Phase::Joined) {
                return Ok(());
            }
            if let Some(dead) = self.clients.iter().position(|c| c.phase == Phase::Dead) {
                return Err(io::Error::other(format!("client {dead} failed to join")));
            }
            if Instant::now() > deadline {
                return Err(io::Error::other("joining took over 120 s"));
            }
            self.poll.poll(&mut events, Some(Duration::from_millis(100)))?;
            for ev in events.iter() {
                self.on_event(ev.token().0, ev.is_writable());
            }
        }
    }

    /// One measurement at `rate` messages per second.
    fn trial(&mut self, rate: f64) -> io::Result<Outcome> {
        self.trial += 1;
        self.delivered = 0;
        self.hist = Histogram::new();
        let senders = self.senders();
        let start = self.clock.ns() + 10_000_000;
        let interval = 1e9 / rate;
        let warm_msgs = (self.o.warmup * rate).round() as u64;
        let total = warm_msgs + (self.o.duration * rate).round() as u64;
        self.measured = (warm_msgs, total);
        let sched = |k: u64| start + (k as f64 * interval) as u64;
        let cpu_start_at = sched(warm_msgs);
        let mut cpu_start = None;
        let mut k = 0u64;
        let mut events = Events::with_capacity(1024);
        let mut body = Vec::with_capacity(self.o.body + 64);
        let end_sched = sched(total);
        let expected: u64 = (warm_msgs..total).map(|k| self.recipients((k as usize) % senders)).sum();
        loop {
            let now = self.clock.ns();
            if cpu_start.is_none() && now >= cpu_start_at {
                cpu_start = self.o.pid.and_then(server_cpu_ticks).map(|t| (t, now));
            }
            while k < total && sched(k) <= now {
                self.send(k, sched(k), (k as usize) % senders, &mut body);
                k += 1;
            }
            if k == total && (self.delivered >= expected || now > end_sched + (self.o.drain * 1e9) as u64) {
                break;
            }
            // poll() sleeps in whole milliseconds, rounded up: sleeping
            // towards a send less than 2 ms away would make it late, and
            // lateness counts as latency. Spin instead (the generator has
            // its own core).
            let timeout = if k < total {
                let wait = sched(k).saturating_sub(now);
                Duration::from_nanos(if wait < 2_000_000 { 0 } else { wait - 1_000_000 })
            } else {
                Duration::from_millis(5)
            };
            self.poll.poll(&mut events, Some(timeout))?;
            for ev in events.iter() {
                self.on_event(ev.token().0, ev.is_writable());
            }
        }
        let now = self.clock.ns();
        let server_cpu_pct = match (cpu_start, self.o.pid.and_then(server_cpu_ticks)) {
            (Some((t0, at)), Some(t1)) => {
                let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
                Some(100.0 * (t1 - t0) as f64 / hz / ((now - at) as f64 / 1e9))
            }
            _ => None,
        };
        Ok(Outcome {
            rate,
            sent: total - warm_msgs,
            expected,
            delivered: self.delivered,
            hist: std::mem::replace(&mut self.hist, Histogram::new()),
            measured_s: self.o.duration,
            server_cpu_pct,
            server_rss_kb: self.o.pid.and_then(server_rss_kb),
            dead: self.clients.iter().filter(|c| c.phase == Phase::Dead).count(),
        })
    }

    fn report(&self, out: &Outcome) {
        let q = |p| out.hist.quantile(p) as f64 / 1000.0;
        let pass = out.pass(self.o.max_p99_ms);
        eprintln!(
            "[{}] n={} s={} rooms={} rate={:.0}/s: delivered {}/{} ({:.0}/s) loss {:.3}% latency ms p50 {:.2} p99 {:.2} p99.9 {:.2} max {:.2}{}{} {}",
            self.o.proto.name(),
            self.clients.len(),
            self.senders(),
            self.o.rooms,
            out.rate,
            out.delivered,
            out.expected,
            out.delivered as f64 / out.measured_s,
            out.loss_pct(),
            q(0.5),
            q(0.99),
            q(0.999),
            out.hist.max() as f64 / 1000.0,
            out.server_cpu_pct.map(|c| format!(" server cpu {c:.0}%")).unwrap_or_default(),
            out.server_rss_kb.map(|r| format!(" rss {r} KiB")).unwrap_or_default(),
            if pass { "PASS" } else { "FAIL" }
        );
        println!(
            "{{\"mode\":\"run\",\"label\":{},\"proto\":\"{}\",\"clients\":{},\"senders\":{},\"rooms\":{},\"rate\":{},\"sent\":{},\"expected\":{},\"delivered\":{},\"delivered_per_s\":{:.0},\"loss_pct\":{:.4},\"p50_us\":{},\"p99_us\":{},\"p999_us\":{},\"max_us\":{},\"server_cpu_pct\":{},\"server_rss_kb\":{},\"dead\":{},\"pass\":{}}}",
            json_string(&self.o.label),
            self.o.proto.name(),
            self.clients.len(),
            self.senders(),
            self.o.rooms,
            out.rate,
            out.sent,
            out.expected,
            out.delivered,
            out.delivered as f64 / out.measured_s,
            out.loss_pct(),
            out.hist.quantile(0.5),
            out.hist.quantile(0.99),
            out.hist.quantile(0.999),
            out.hist.max(),
            out.server_cpu_pct.map(|c| format!("{c:.1}")).unwrap_or("null".into()),
            out.server_rss_kb.map(|r| r.to_string()).unwrap_or("null".into()),
            out.dead,
            pass
        );
    }

    /// Queues message `k` (intended at `at` ns) from client `from`.
    fn send(&mut self, k: u64, at: u64, from: usize, body: &mut Vec<u8>) {
        body.clear();
        let _ = write!(body, "@@{}:{}:{}:", self.trial, at, k);
        while body.len() < self.o.body {
            body.push(b'x');
        }
        let packet: Vec<u8> = if self.o.proto == Proto::Irc {
            let room = self.irc_room(from);
            let mut p = format!("PRIVMSG {room} :").into_bytes();
            p.extend_from_slice(body);
            p
        } else if self.o.proto.json() {
            let mut p = format!(r#"{{"type":{},"payload":""#, json_string(&self.o.packet)).into_bytes();
            p.extend_from_slice(body);
            p.extend_from_slice(b"\"}");
            p
        } else {
            body.clone()
        };
        self.send_line(from, &packet);
    }

    fn send_line(&mut self, i: usize, line: &[u8]) {
        let ws = self.o.proto.ws();
        let c = &mut self.clients[i];
        if ws {
            c.rng ^= c.rng << 13;
            c.rng ^= c.rng >> 17;
            c.rng ^= c.rng << 5;
            let mask = c.rng.to_be_bytes();
            c.wbuf.push_back(0x81);
            match line.len() {
                n @ 0..=125 => c.wbuf.push_back(0x80 | n as u8),
                n => {
                    c.wbuf.push_back(0x80 | 126);
                    c.wbuf.extend((n as u16).to_be_bytes());
                }
            }
            c.wbuf.extend(mask);
            c.wbuf.extend(line.iter().enumerate().map(|(j, b)| b ^ mask[j & 3]));
        } else {
            c.wbuf.extend(line);
            if self.o.proto == Proto::Irc {
                c.wbuf.push_back(b'\r');
            }
            c.wbuf.push_back(b'\n');
        }
        flush(c);
    }

    fn on_event(&mut self, i: usize, writable: bool) {
        let Some(c) = self.clients.get_mut(i) else { return };
        if c.phase == Phase::Dead {
            return;
        }
        if c.phase == Phase::Connecting && writable {
            if c.sock.peer_addr().is_err() {
                return; // not connected yet
            }
            let _ = c.sock.set_nodelay(true);
            if self.o.proto.ws() {
                c.phase = Phase::Upgrading;
                let req = format!(
                    "GET /ws HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                     Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                    self.o.addr
                );
                c.wbuf.extend(req.as_bytes());
            } else if self.o.proto == Proto::Irc {
                // IRC clients speak first.
                c.phase = Phase::Joining;
                let nick = c.nick.clone();
                c.wbuf.extend(format!("NICK {nick}\r\nUSER {nick} 0 * :{nick}\r\n").as_bytes());
            } else {
                c.phase = Phase::Greeting;
            }
        }
        if writable {
            flush(c);
        }
        if let Some(tls) = c.tls.as_mut() {
            match tls::read(tls, &mut c.sock, &mut c.rbuf) {
                Ok(()) => flush(c),
                Err(_) => {
                    c.phase = Phase::Dead;
                    return;
                }
            }
            return self.parse(i);
        }
        let mut buf = [0u8; 65536];
        loop {
            match c.sock.read(&mut buf) {
                Ok(0) => {
                    c.phase = Phase::Dead;
                    return;
                }
                Ok(n) => c.rbuf.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    c.phase = Phase::Dead;
                    return;
                }
            }
        }
        self.parse(i);
    }

    /// Splits client `i`'s received bytes into lines (or frames) and handles them.
    fn parse(&mut self, i: usize) {
        let now = self.clock.ns();
        let mut rbuf = std::mem::take(&mut self.clients[i].rbuf);
        let mut at = 0;
        if self.clients[i].phase == Phase::Upgrading {
            let Some(end) = memchr::memmem::find(&rbuf, b"\r\n\r\n") else {
                self.clients[i].rbuf = rbuf;
                return;
            };
            let ok = rbuf.starts_with(b"HTTP/1.1 101")
                && memchr::memmem::find(&rbuf[..end], b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=").is_some();
            self.clients[i].phase = if ok { Phase::Greeting } else { Phase::Dead };
            at = end + 4;
        }
        let ws = self.o.proto.ws();
        while at < rbuf.len() {
            let (line, used) = if ws {
                match ws_frame(&rbuf[at..]) {
                    Some((opcode, payload, used)) => {
                        if opcode == 0x8 {
                            self.clients[i].phase = Phase::Dead;
                            return;
                        }
                        (payload, used)
                    }
                    None => break,
                }
            } else {
                match memchr::memchr(b'\n', &rbuf[at..]) {
                    Some(nl) => ((at, at + nl), nl + 1),
                    None => break,
                }
            };
            let line = if ws { (at + line.0, at + line.1) } else { line };
            self.on_line(i, &rbuf[line.0..line.1], now);
            at += used;
        }
        rbuf.drain(..at);
        self.clients[i].rbuf = rbuf;
    }

    fn on_line(&mut self, i: usize, line: &[u8], now: u64) {
        if self.o.proto == Proto::Irc {
            if let Some(token) = line.strip_prefix(b"PING ") {
                let mut pong = b"PONG ".to_vec();
                pong.extend_from_slice(token.strip_suffix(b"\r").unwrap_or(token));
                return self.send_line(i, &pong);
            }
            if self.clients[i].phase == Phase::Joining {
                return self.irc_joining(i, line);
            }
        }
        match self.clients[i].phase {
            Phase::Joined => {
                if let Some((trial, at, k)) = parse_mark(line) {
                    if trial == self.trial && k >= self.measured.0 && k < self.measured.1 {
                        self.delivered += 1;
                        self.hist.record(now.saturating_sub(at) / 1000);
                    }
                }
            }
            Phase::Greeting if line.starts_with(WELCOME_PREFIX) => {
                let nick = self.clients[i].nick.clone();
                let hello = if self.o.proto.json() {
                    format!(r#"{{"type":"nick","payload":"{nick}"}}"#)
                } else {
                    nick
                };
                self.clients[i].phase = Phase::Joining;
                self.send_line(i, hello.as_bytes());
            }
            Phase::Joining => {
                let nick = &self.clients[i].nick;
                let joined = if self.o.proto.json() {
                    memchr::memmem::find(line, format!(r#""nick":"{nick}","online""#).as_bytes()).is_some()
                        && line.starts_with(br#"{"type":"join""#)
                } else {
                    line.starts_with(format!("* {nick} joined (").as_bytes())
                };
                if joined {
                    self.clients[i].phase = match self.room_of(i) {
                        None => Phase::Joined,
                        Some(room) => {
                            let line = if self.o.proto.json() {
                                format!(r#"{{"type":"join","payload":"{room}"}}"#)
                            } else {
                                format!("/join {room}")
                            };
                            self.send_line(i, line.as_bytes());
                            Phase::Moving
                        }
                    };
                } else if line.starts_with(b"! ") || line.starts_with(br#"{"type":"error""#) {
                    eprintln!("join refused: {}", String::from_utf8_lossy(line));
                    self.clients[i].phase = Phase::Dead;
                }
            }
            Phase::Moving | Phase::Parting => {
                let (nick, room) = (&self.clients[i].nick, self.room_of(i).unwrap_or_default());
                let json = self.o.proto.json();
                let done = if json {
                    let kind = if self.clients[i].phase == Phase::Moving { "join" } else { "leave" };
                    let room = if kind == "join" { room.as_str() } else { "#lobby" };
                    line.starts_with(format!(r#"{{"type":"{kind}","payload":{{"nick":"{nick}","#).as_bytes())
                        && line.ends_with(format!(r#""room":"{room}"}}}}"#).as_bytes())
                } else {
                    line.starts_with(format!("* {nick} joined {room} (").as_bytes())
                };
                if done {
                    self.clients[i].phase = match self.clients[i].phase {
                        Phase::Moving if json => {
                            // JSON clients hold several rooms: leave the default one.
                            self.send_line(i, br##"{"type":"part","payload":"#lobby"}"##);
                            Phase::Parting
                        }
                        _ => Phase::Joined,
                    };
                } else if line.starts_with(b"! ") || line.starts_with(br#"{"type":"error""#) {
                    eprintln!("room join refused: {}", String::from_utf8_lossy(line));
                    self.clients[i].phase = Phase::Dead;
                }
            }
            _ => {}
        }
    }
}

impl Bench {
    /// IRC registration and join: 001, then JOIN the room, done at 366.
    fn irc_joining(&mut self, i: usize, line: &[u8]) {
        let numeric = line.split(|&b| b == b' ').nth(1).unwrap_or_default();
        match numeric {
            b"001" => {
                let join = format!("JOIN {}", self.irc_room(i));
                self.send_line(i, join.as_bytes());
            }
            b"366" => self.clients[i].phase = Phase::Joined,
            b"432" | b"433" | b"403" | b"405" | b"471" | b"473" | b"474" | b"475" => {
                eprintln!("irc join refused: {}", String::from_utf8_lossy(line));
                self.clients[i].phase = Phase::Dead;
            }
            _ => {}
        }
    }
}

/// Writes what the socket takes.
fn flush(c: &mut Client) {
    if let Some(tls) = c.tls.as_mut() {
        if c.phase == Phase::Connecting && c.sock.peer_addr().is_err() {
            return;
        }
        let plain: Vec<u8> = c.wbuf.drain(..).collect();
        if tls::write(tls, &mut c.sock, &plain).is_err() && c.phase != Phase::Connecting {
            c.phase = Phase::Dead;
        }
        return;
    }
    while !c.wbuf.is_empty() {
        let (a, _) = c.wbuf.as_slices();
        match c.sock.write(a) {
            Ok(n) => {
                c.wbuf.drain(..n);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => {
                if c.phase != Phase::Connecting {
                    c.phase = Phase::Dead;
                }
                return;
            }
        }
    }
}

/// A server frame at the start of `b`: (opcode, payload range, bytes used).
fn ws_frame(b: &[u8]) -> Option<(u8, (usize, usize), usize)> {
    if b.len() < 2 {
        return None;
    }
    let (len, header) = match b[1] & 0x7F {
        126 if b.len() >= 4 => (u16::from_be_bytes([b[2], b[3]]) as usize, 4),
        127 if b.len() >= 10 => (u64::from_be_bytes(b[2..10].try_into().ok()?) as usize, 10),
        126 | 127 => return None,
        n => (n as usize, 2),
    };
    if b.len() < header + len {
        return None;
    }
    Some((b[0] & 0x0F, (header, header + len), header + len))
}

/// Finds "@@trial:at:k:" in a line.
fn parse_mark(line: &[u8]) -> Option<(u32, u64, u64)> {
    let p = memchr::memmem::find(line, MARK)? + MARK.len();
    let mut fields = [0u64; 3];
    let mut at = p;
    for f in &mut fields {
        let start = at;
        while at < line.len() && line[at].is_ascii_digit() {
            *f = *f * 10 + (line[at] - b'0') as u64;
            at += 1;
        }
        if at == start || at >= line.len() || line[at] != b':' {
            return None;
        }
        at += 1;
    }
    Some((fields[0] as u32, fields[1], fields[2]))
}

/// `s` as a JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn server_cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start after ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

fn server_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()
}

fn raise_fd_limit() {
    // SAFETY: getrlimit/setrlimit only read and write the struct passed in.
    unsafe {
        let mut lim = std::mem::zeroed::<libc::rlimit>();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_parse_inside_any_format() {
        assert_eq!(parse_mark(b"[c1] @@3:12345:7:xxxx"), Some((3, 12345, 7)));
        assert_eq!(
            parse_mark(br#"{"type":"chat","payload":{"from":"c1","text":"@@1:2:3:x"}}"#),
            Some((1, 2, 3))
        );
        assert_eq!(parse_mark(b"* c1 joined (1 online)"), None);
        assert_eq!(parse_mark(b"@@1:2"), None);
    }

    #[test]
    fn labels_are_json_strings() {
        assert_eq!(json_string("a\"b\\c\nd é"), r#""a\"b\\c\u000ad é""#);
    }

    #[test]
    fn server_frames_parse() {
        assert_eq!(ws_frame(&[0x81, 0x02, b'h', b'i', 0x81]), Some((1, (2, 4), 4)));
        assert_eq!(ws_frame(&[0x81, 0x05, b'h']), None);
    }
}
