//! lcsoak: a long soak. Starts linechat with every listener, then for the
//! given time runs well-behaved clients of every kind (text, JSON, JSON over
//! WebSocket, text over TLS, IRC) chatting in #lobby with sequence numbers,
//! beside misbehaving ones: readers that never read, clients that vanish
//! mid-line (and mid-handshake), reconnect storms, garbage on every port,
//! oversize lines, a flood, half-open connections.
//!
//! Pass: every well-behaved client got every message of every other one,
//! once and in order; the server's RSS stayed under the bound; its file
//! descriptors came back to the baseline; its log holds no warning but the
//! expected ones (slow consumers dropped).

#[path = "tls.rs"]
#[allow(dead_code)]
mod tls;

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use rustls::{ClientConnection, StreamOwned};

const USAGE: &str = "\
lcsoak - a long soak of linechat with well-behaved and misbehaving clients

usage: lcsoak --server PATH --cert PEM --key PEM [--seconds S] [--per-kind N] [--rate R] [--rss-bound-mib M]

  --server PATH        the linechat binary
  --cert, --key PEM    certificate and key for its TLS listener
  --seconds S          how long the clients chat [default: 60]
  --per-kind N         well-behaved clients of each of the 5 kinds [default: 40]
  --rate R             messages per second each well-behaved client sends [default: 1]
  --rss-bound-mib M    the server's RSS must stay under this [default: 64]
";

/// The server's options for the soak: the limits an operator would set on a
/// public address, small enough that the misbehaving clients reach them.
const SERVER_ARGS: &[&str] = &[
    "--listen",
    "127.0.0.1:0",
    "--http-listen",
    "127.0.0.1:0",
    "--irc-listen",
    "127.0.0.1:0",
    "--max-line",
    "1024",
    "--max-outbuf",
    "256K",
    "--rate",
    "50",
    "--burst",
    "100",
    "--nick-timeout",
    "5s",
    "--max-clients",
    "4000",
    "--log-level",
    "info",
];

/// Warnings the misbehaving clients are meant to cause.
const EXPECTED_WARNINGS: &[&str] = &["dropped: slow consumer"];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    Text,
    Json,
    Ws,
    Tls,
    Irc,
}

const KINDS: [Kind; 5] = [Kind::Text, Kind::Json, Kind::Ws, Kind::Tls, Kind::Irc];

#[derive(Clone, Copy)]
struct Addrs {
    chat: SocketAddr,
    web: SocketAddr,
    irc: SocketAddr,
    tls: SocketAddr,
}

/// One well-behaved client's connection, whatever its kind.
enum Link {
    Plain(BufReader<TcpStream>),
    Tls(Box<BufReader<StreamOwned<ClientConnection, TcpStream>>>),
    Ws(Box<tungstenite::WebSocket<TcpStream>>, Vec<String>),
}

impl Link {
    fn open(kind: Kind, a: Addrs) -> io::Result<Link> {
        Ok(match kind {
            Kind::Text | Kind::Json => Link::Plain(BufReader::new(connect(a.chat)?)),
            Kind::Irc => Link::Plain(BufReader::new(connect(a.irc)?)),
            Kind::Tls => {
                let mut sock = connect(a.tls)?;
                let mut conn = tls::connection(&tls::client_config());
                // The handshake first, waiting through the short read
                // timeout (a loaded server takes longer than 20 ms), bounded.
                let deadline = Instant::now() + Duration::from_secs(30);
                while conn.is_handshaking() {
                    match conn.complete_io(&mut sock) {
                        Ok(_) => {}
                        Err(e) if timed_out(&e) && Instant::now() < deadline => {}
                        Err(e) => return Err(e),
                    }
                }
                Link::Tls(Box::new(BufReader::new(StreamOwned::new(conn, sock))))
            }
            Kind::Ws => {
                let sock = connect(a.web)?;
                // The upgrade waits through the short read timeout too, bounded.
                let deadline = Instant::now() + Duration::from_secs(30);
                let mut attempt = tungstenite::client(format!("ws://{}/ws", a.web), sock);
                let ws = loop {
                    match attempt {
                        Ok((ws, _)) => break ws,
                        Err(tungstenite::HandshakeError::Interrupted(mid)) if Instant::now() < deadline => {
                            attempt = mid.handshake();
                        }
                        Err(e) => return Err(io::Error::other(e.to_string())),
                    }
                };
                Link::Ws(Box::new(ws), Vec::new())
            }
        })
    }

    fn send(&mut self, line: &str) -> io::Result<()> {
        match self {
            Link::Plain(r) => r.get_mut().write_all(format!("{line}\r\n").as_bytes()),
            Link::Tls(r) => {
                let s = r.get_mut();
                s.write_all(format!("{line}\n").as_bytes())?;
                s.flush()
            }
            Link::Ws(ws, _) => ws.send(tungstenite::Message::text(line)).map_err(io::Error::other),
        }
    }

    /// The next line, or `Ok(None)` when none came within the read timeout.
    fn line(&mut self, partial: &mut Vec<u8>) -> io::Result<Option<String>> {
        let r = match self {
            Link::Plain(r) => r.read_until(b'\n', partial),
            Link::Tls(r) => r.read_until(b'\n', partial),
            Link::Ws(ws, queued) => loop {
                if !queued.is_empty() {
                    return Ok(Some(queued.remove(0)));
                }
                match ws.read() {
                    Ok(tungstenite::Message::Text(t)) => queued.extend(t.lines().map(str::to_string)),
                    Ok(_) => {}
                    Err(tungstenite::Error::Io(e)) if timed_out(&e) => return Ok(None),
                    Err(e) => return Err(io::Error::other(e)),
                }
            },
        };
        match r {
            Ok(0) => Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(_) if partial.ends_with(b"\n") => {
                let line = String::from_utf8_lossy(partial).trim_end().to_string();
                partial.clear();
                Ok(Some(line))
            }
            Ok(_) => Ok(None),
            Err(e) if timed_out(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

fn timed_out(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut)
}

fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_millis(20)))?;
    s.set_nodelay(true)?;
    Ok(s)
}

/// What the well-behaved clients share.
struct Shared {
    nicks: Vec<(String, Kind)>,
    /// Messages each has sent; final once `finished` counts everyone.
    sent: Vec<AtomicUsize>,
    finished: AtomicUsize,
    stop_sending: AtomicBool,
    errors: Mutex<Vec<String>>,
    delivered: AtomicUsize,
}

impl Shared {
    fn error(&self, e: String) {
        let mut errors = self.errors.lock().unwrap();
        if errors.len() < 50 {
            errors.push(e);
        }
    }
}

/// Pulls `(sender, seq)` out of a chat line of any face.
fn parse_soak(line: &str) -> Option<(&str, usize)> {
    let at = line.find("soak ")?;
    let rest = &line[at + 5..];
    let mut parts = rest.split([' ', '"', '\r']);
    let from = parts.next()?;
    let seq = parts.next()?.parse().ok()?;
    Some((from, seq))
}

/// The start line of the well-behaved clients: each arrives once, joined
/// or failed, and sending starts only when all have joined. Every wait on
/// it is bounded, so a client that fails its join ends the run with a
/// message instead of leaving the others (and `main`) waiting forever.
struct Gate {
    state: Mutex<(usize, Vec<String>)>,
    all_in: Condvar,
    expected: usize,
}

/// How long the clients may take to join, all together.
const JOIN_LIMIT: Duration = Duration::from_secs(90);

impl Gate {
    fn new(expected: usize) -> Gate {
        Gate { state: Mutex::new((0, Vec::new())), all_in: Condvar::new(), expected }
    }

    /// One client is in (`Ok`) or gave up joining (`Err`, why).
    fn arrive(&self, joined: Result<(), String>) {
        let mut state = self.state.lock().unwrap();
        state.0 += 1;
        if let Err(why) = joined {
            state.1.push(why);
        }
        self.all_in.notify_all();
    }

    /// Waits until every client has arrived; an error says who failed, or
    /// how many never arrived within [`JOIN_LIMIT`].
    fn wait_all(&self) -> Result<(), String> {
        let state = self.state.lock().unwrap();
        let (state, waited) =
            self.all_in.wait_timeout_while(state, JOIN_LIMIT, |s| s.0 < self.expected).unwrap();
        if waited.timed_out() {
            return Err(format!(
                "only {} of {} clients joined within {JOIN_LIMIT:?}",
                state.0, self.expected
            ));
        }
        match state.1.first() {
            Some(why) => {
                Err(format!("{} of {} clients failed to join; first: {why}", state.1.len(), self.expected))
            }
            None => Ok(()),
        }
    }
}

fn well_behaved(me: usize, a: Addrs, sh: Arc<Shared>, start: Arc<Gate>, rate: f64) {
    let (nick, kind) = sh.nicks[me].clone();
    let run = || -> io::Result<()> {
        let mut partial = Vec::new();
        let joined = (|| -> io::Result<Link> {
            let mut link = Link::open(kind, a)?;
            match kind {
                Kind::Irc => {
                    link.send(&format!("NICK {nick}"))?;
                    link.send(&format!("USER {nick} 0 * :soak"))?;
                    link.send("JOIN #lobby")?;
                    wait_for(&mut link, &mut partial, " 366 ")?;
                }
                Kind::Json | Kind::Ws => {
                    link.send(&format!(r#"{{"type":"nick","payload":"{nick}"}}"#))?;
                    wait_for(&mut link, &mut partial, &format!(r#""nick":"{nick}""#))?;
                }
                Kind::Text | Kind::Tls => {
                    link.send(&nick)?;
                    wait_for(&mut link, &mut partial, &format!("* {nick} joined"))?;
                }
            }
            Ok(link)
        })();
        let mut link = match joined {
            Ok(link) => {
                start.arrive(Ok(()));
                link
            }
            Err(e) => {
                start.arrive(Err(format!("{nick}: {e}")));
                return Err(e);
            }
        };
        start.wait_all().map_err(io::Error::other)?;
        let index: HashMap<&str, usize> =
            sh.nicks.iter().enumerate().map(|(i, (n, _))| (n.as_str(), i)).collect();
        let mut next = vec![0usize; sh.nicks.len()];
        let began = Instant::now();
        let mut seq = 0usize;
        let mut done_sending = false;
        let mut drain_deadline = None;
        loop {
            if !done_sending {
                if sh.stop_sending.load(SeqCst) {
                    done_sending = true;
                    drain_deadline = Some(Instant::now() + Duration::from_secs(60));
                    sh.sent[me].store(seq, SeqCst);
                    sh.finished.fetch_add(1, SeqCst);
                } else if began.elapsed().as_secs_f64() * rate >= seq as f64 {
                    let text = format!("soak {nick} {seq}");
                    link.send(&match kind {
                        Kind::Irc => format!("PRIVMSG #lobby :{text}"),
                        Kind::Json | Kind::Ws => format!(r#"{{"type":"chat","payload":"{text}"}}"#),
                        _ => text,
                    })?;
                    seq += 1;
                }
            }
            while let Some(line) = link.line(&mut partial)? {
                let Some((from, n)) = parse_soak(&line) else { continue };
                let Some(&i) = index.get(from) else { continue };
                if next[i] != n {
                    sh.error(format!("{nick} got {from}'s message {n}, expected {}", next[i]));
                }
                next[i] = n + 1;
                sh.delivered.fetch_add(1, SeqCst);
            }
            let drained_out = drain_deadline.is_some_and(|d| Instant::now() > d);
            if done_sending && (sh.finished.load(SeqCst) == sh.nicks.len() || drained_out) {
                let complete = drained_out
                    || (0..sh.nicks.len()).all(|i| {
                        let own_irc = i == me && kind == Kind::Irc;
                        own_irc || next[i] >= sh.sent[i].load(SeqCst)
                    });
                if complete {
                    for (i, &got) in next.iter().enumerate() {
                        let want = if i == me && kind == Kind::Irc { 0 } else { sh.sent[i].load(SeqCst) };
                        if got != want {
                            sh.error(format!("{nick} got {got} of {}'s {want} messages", sh.nicks[i].0));
                        }
                    }
                    return Ok(());
                }
            }
        }
    };
    if let Err(e) = run() {
        sh.error(format!("{nick}: {e}"));
        if !sh.stop_sending.load(SeqCst) || sh.sent[me].load(SeqCst) == 0 {
            sh.finished.fetch_add(1, SeqCst);
        }
    }
}

fn wait_for(link: &mut Link, partial: &mut Vec<u8>, needle: &str) -> io::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Some(line) = link.line(partial)? {
            if line.contains(needle) {
                return Ok(());
            }
        }
    }
    Err(io::Error::other(format!("no line with {needle:?} within 30 s")))
}

/// Runs `f` over and over until `stop`, counting the rounds.
fn misbehave(
    name: &'static str,
    stop: Arc<AtomicBool>,
    rounds: Arc<Mutex<HashMap<&'static str, usize>>>,
    f: impl Fn(usize) + Send + 'static,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mut n = 0;
        while !stop.load(SeqCst) {
            f(n);
            n += 1;
        }
        rounds.lock().unwrap().insert(name, n);
    })
}

/// A misbehaving client's socket: reads and writes give up after 200 ms
/// (the server may be holding it back), so every loop sees its stop flag.
fn raw(addr: SocketAddr) -> Option<TcpStream> {
    let s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_millis(200))).ok()?;
    s.set_write_timeout(Some(Duration::from_millis(200))).ok()?;
    Some(s)
}

/// A reader that never reads (with a small receive window): joins, then
/// asks for the member list over and over until the server drops it.
fn slow_reader(a: Addrs, n: usize, stop: &AtomicBool) {
    let Some(mut s) = raw(a.chat) else { return };
    let size: libc::c_int = 4096;
    // SAFETY: setsockopt on a socket this function owns, with a valid int.
    unsafe {
        use std::os::fd::AsRawFd;
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            (&size as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
    let _ = writeln!(s, "slow{n}");
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(120) && !stop.load(SeqCst) {
        match s.write_all(b"/who\n") {
            Ok(()) => thread::sleep(Duration::from_millis(10)),
            Err(e) if timed_out(&e) => {}
            Err(_) => return, // dropped as a slow consumer
        }
    }
}

fn vanisher(a: Addrs, n: usize) {
    match n % 4 {
        0 => {
            if let Some(mut s) = raw(a.chat) {
                let _ = write!(s, "van{n}\nsoak half a li");
            }
        }
        1 => {
            if let Some(mut s) = raw(a.irc) {
                let _ = write!(s, "NICK v{n}\r\nUSER v 0 * :v\r\nJOIN #lobby\r\nPRIVMSG #lobby :cut sh");
            }
        }
        2 => {
            // Mid-handshake: the start of a TLS ClientHello, then gone.
            if let Some(mut s) = raw(a.tls) {
                let _ = s.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]);
            }
        }
        _ => {
            if let Some(mut s) = raw(a.web) {
                let _ = s.write_all(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConn");
            }
        }
    }
    thread::sleep(Duration::from_millis(30));
}

fn storm(a: Addrs, n: usize) {
    let clients: Vec<TcpStream> = (0..50)
        .filter_map(|i| {
            let mut s = raw(a.chat)?;
            let _ = writeln!(s, "storm{n}x{i}");
            Some(s)
        })
        .collect();
    for mut s in clients {
        let _ = writeln!(s, "/quit");
    }
    thread::sleep(Duration::from_millis(500));
}

fn garbage(a: Addrs, n: usize) {
    let mut x = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut bytes = vec![0u8; 2000];
    for b in &mut bytes {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    let addr = [a.chat, a.irc, a.web, a.tls][n % 4];
    if let Some(mut s) = raw(addr) {
        let _ = s.write_all(&bytes);
        let mut sink = [0u8; 4096];
        let _ = s.read(&mut sink);
    }
    thread::sleep(Duration::from_millis(50));
}

fn oversize(a: Addrs, n: usize) {
    let addr = if n.is_multiple_of(2) { a.chat } else { a.irc };
    if let Some(mut s) = raw(addr) {
        let long = "x".repeat(10_000);
        let _ = if n.is_multiple_of(2) {
            write!(s, "big{n}\n{long}\nfine\n/quit\n")
        } else {
            write!(s, "NICK b{n}\r\nUSER b 0 * :b\r\nPRIVMSG #lobby :{long}\r\nQUIT\r\n")
        };
        let mut sink = [0u8; 65536];
        while matches!(s.read(&mut sink), Ok(k) if k > 0) {}
    }
    thread::sleep(Duration::from_millis(100));
}

/// As fast as the socket takes it; `--rate` holds it back without loss.
fn flood(a: Addrs, stop: &AtomicBool) {
    let Some(mut s) = raw(a.chat) else { return };
    let Ok(mut reader) = s.try_clone() else { return };
    let drain = thread::spawn(move || {
        let mut sink = [0u8; 65536];
        loop {
            match reader.read(&mut sink) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if timed_out(&e) => {}
                Err(_) => break,
            }
        }
    });
    let _ = writeln!(s, "flooder");
    let mut i = 0u64;
    while !stop.load(SeqCst) {
        match s.write_all(format!("flood {i}\n").as_bytes()) {
            Ok(()) => i += 1,
            Err(e) if timed_out(&e) => {}
            Err(_) => break,
        }
    }
    let _ = s.shutdown(std::net::Shutdown::Both);
    let _ = drain.join();
}

fn half_open(a: Addrs, _n: usize) {
    // Connect and say nothing: the nickname timeout closes them.
    let held: Vec<TcpStream> = (0..20).filter_map(|_| TcpStream::connect(a.chat).ok()).collect();
    thread::sleep(Duration::from_secs(7));
    drop(held);
}

fn proc_status(pid: u32, key: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines().find(|l| l.starts_with(key))?.split_whitespace().nth(1)?.parse().ok()
}

fn fd_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

/// Was this linechat built with TLS? (`--version` lists its features; a
/// build without them, `--no-default-features`, is soaked without TLS.)
fn has_tls(path: &str) -> bool {
    let out = Command::new(path).arg("--version").output().expect("linechat --version");
    String::from_utf8_lossy(&out.stdout).split(|c: char| !c.is_alphanumeric()).any(|w| w == "tls")
}

fn start_server(path: &str, cert: &str, key: &str, tls: bool) -> (Child, Addrs, Arc<Mutex<Vec<String>>>) {
    let tls_args: &[&str] =
        if tls { &["--tls-listen", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key] } else { &[] };
    let mut child = Command::new(path)
        .args(SERVER_ARGS)
        .args(tls_args)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start linechat");
    let log = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    let l = log.clone();
    thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            let msg = line.split_once("] ").map_or(line.as_str(), |(_, m)| m).to_string();
            for (prefix, kind) in [
                ("listening on ", 0),
                ("irc listening on ", 1),
                ("tls listening on ", 2),
                ("web page at http://", 3),
            ] {
                if let Some(addr) = msg.strip_prefix(prefix) {
                    let _ = tx.send((kind, addr.trim_end_matches('/').parse::<SocketAddr>().unwrap()));
                }
            }
            if line.contains("[WARN]") || line.contains("[ERROR]") {
                l.lock().unwrap().push(line);
            }
        }
    });
    let mut found = [None; 4];
    while found.iter().enumerate().any(|(k, f)| f.is_none() && (k != 2 || tls)) {
        let (k, addr) = rx.recv_timeout(Duration::from_secs(10)).expect("linechat did not start");
        found[k] = Some(addr);
    }
    let [chat, irc, tls_addr, web] = found;
    let (chat, irc, web) = (chat.unwrap(), irc.unwrap(), web.unwrap());
    // Without TLS, what would go to the TLS port goes to the chat port.
    (child, Addrs { chat, web, irc, tls: tls_addr.unwrap_or(chat) }, log)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut server, mut cert, mut key) = (None, None, None);
    let (mut seconds, mut per_kind, mut rate, mut bound) = (60u64, 40usize, 1.0f64, 64u64);
    while let Some(a) = args.next() {
        let mut v = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--server" => server = Some(v()),
            "--cert" => cert = Some(v()),
            "--key" => key = Some(v()),
            "--seconds" => seconds = v().parse().expect("--seconds"),
            "--per-kind" => per_kind = v().parse().expect("--per-kind"),
            "--rate" => rate = v().parse().expect("--rate"),
            "--rss-bound-mib" => bound = v().parse().expect("--rss-bound-mib"),
            _ => {
                eprint!("{USAGE}");
                std::process::exit(2);
            }
        }
    }
    let (Some(server), Some(cert), Some(key)) = (server, cert, key) else {
        eprint!("{USAGE}");
        std::process::exit(2);
    };
    let tls = has_tls(&server);
    let (mut child, a, warnings) = start_server(&server, &cert, &key, tls);
    let pid = child.id();
    thread::sleep(Duration::from_millis(300));
    let fd_baseline = fd_count(pid);
    let rss_start = proc_status(pid, "VmRSS:").unwrap_or(0);

    let kinds: Vec<Kind> = KINDS.into_iter().filter(|&k| tls || k != Kind::Tls).collect();
    let nicks: Vec<(String, Kind)> = kinds
        .iter()
        .flat_map(|&k| (0..per_kind).map(move |i| (format!("{k:?}{i}").to_lowercase(), k)))
        .collect();
    let n = nicks.len();
    let sh = Arc::new(Shared {
        sent: (0..n).map(|_| AtomicUsize::new(0)).collect(),
        nicks,
        finished: AtomicUsize::new(0),
        stop_sending: AtomicBool::new(false),
        errors: Mutex::new(Vec::new()),
        delivered: AtomicUsize::new(0),
    });
    let start = Arc::new(Gate::new(n));
    let clients: Vec<_> = (0..n)
        .map(|i| {
            let (sh, start) = (sh.clone(), start.clone());
            thread::Builder::new()
                .stack_size(256 << 10)
                .spawn(move || well_behaved(i, a, sh, start, rate))
                .unwrap()
        })
        .collect();
    if let Err(why) = start.wait_all() {
        sh.stop_sending.store(true, SeqCst);
        let _ = child.kill();
        let _ = child.wait();
        println!("soak: the well-behaved clients did not all join: {why}");
        for e in sh.errors.lock().unwrap().iter() {
            println!("    {e}");
        }
        println!("FAIL");
        std::process::exit(1);
    }
    eprintln!(
        "lcsoak: {n} well-behaved clients joined; chatting for {seconds} s beside the misbehaving ones"
    );

    let stop = Arc::new(AtomicBool::new(false));
    let rounds = Arc::new(Mutex::new(HashMap::new()));
    let mut bad = Vec::new();
    for i in 0..3 {
        let stop2 = stop.clone();
        let name = ["slow reader 1", "slow reader 2", "slow reader 3"][i];
        bad.push(misbehave(name, stop.clone(), rounds.clone(), move |n| slow_reader(a, n * 3 + i, &stop2)));
    }
    bad.push(misbehave("vanisher", stop.clone(), rounds.clone(), move |n| vanisher(a, n)));
    bad.push(misbehave("reconnect storm x50", stop.clone(), rounds.clone(), move |n| storm(a, n)));
    bad.push(misbehave("garbage", stop.clone(), rounds.clone(), move |n| garbage(a, n)));
    bad.push(misbehave("oversize", stop.clone(), rounds.clone(), move |n| oversize(a, n)));
    bad.push(misbehave("half-open x20", stop.clone(), rounds.clone(), move |n| half_open(a, n)));
    let flood_stop = stop.clone();
    bad.push(thread::spawn(move || flood(a, &flood_stop)));

    let began = Instant::now();
    let mut rss_max = rss_start;
    let mut fd_max = fd_baseline;
    while began.elapsed() < Duration::from_secs(seconds) {
        thread::sleep(Duration::from_secs(1));
        rss_max = rss_max.max(proc_status(pid, "VmRSS:").unwrap_or(0));
        fd_max = fd_max.max(fd_count(pid));
    }
    sh.stop_sending.store(true, SeqCst);
    stop.store(true, SeqCst);
    // A client thread that panicked stopped testing what it stands for.
    let panicked = clients.into_iter().chain(bad).map(|t| t.join()).filter(Result::is_err).count();
    // Everyone has hung up: the server's descriptors return to the baseline.
    let deadline = Instant::now() + Duration::from_secs(15);
    while fd_count(pid) > fd_baseline && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(100));
    }
    let fd_end = fd_count(pid);
    let rss_end = proc_status(pid, "VmRSS:").unwrap_or(0);
    let _ = child.kill();
    let _ = child.wait();

    let sent: usize = sh.sent.iter().map(|s| s.load(SeqCst)).sum();
    let errors = sh.errors.lock().unwrap().clone();
    let warnings = warnings.lock().unwrap().clone();
    let unexpected: Vec<&String> =
        warnings.iter().filter(|w| !EXPECTED_WARNINGS.iter().any(|e| w.contains(e))).collect();
    let mut pass = true;
    let names: Vec<&str> = kinds
        .iter()
        .map(|k| match k {
            Kind::Text => "text",
            Kind::Json => "JSON",
            Kind::Ws => "WebSocket",
            Kind::Tls => "TLS",
            Kind::Irc => "IRC",
        })
        .collect();
    println!(
        "soak: {seconds} s, {n} well-behaved clients ({per_kind} each of {}) at {rate} msg/s",
        names.join(", ")
    );
    if !tls {
        println!("  (this linechat has no TLS: no TLS clients, and the TLS port's misbehaving ones go to the chat port)");
    }
    println!("  messages sent {sent}, deliveries checked {}", sh.delivered.load(SeqCst));
    let mut r: Vec<_> = rounds.lock().unwrap().iter().map(|(k, v)| format!("{k} {v}")).collect();
    r.sort();
    println!("  misbehaving rounds: {}; flood ran throughout", r.join(", "));
    println!(
        "  server RSS: start {rss_start} KiB, max {rss_max} KiB, end {rss_end} KiB (bound {} KiB)",
        bound * 1024
    );
    println!("  server fds: baseline {fd_baseline}, max {fd_max}, end {fd_end}");
    println!(
        "  warnings: {} expected (slow consumers dropped), {} unexpected",
        warnings.len() - unexpected.len(),
        unexpected.len()
    );
    if !errors.is_empty() {
        pass = false;
        println!("  FAIL: delivery errors:");
        for e in &errors {
            println!("    {e}");
        }
    }
    if panicked > 0 {
        pass = false;
        println!("  FAIL: {panicked} client threads panicked (see stderr)");
    }
    if rss_max > bound * 1024 {
        pass = false;
        println!("  FAIL: RSS passed the bound");
    }
    if fd_end != fd_baseline {
        pass = false;
        println!("  FAIL: descriptors did not return to the baseline");
    }
    if !unexpected.is_empty() {
        pass = false;
        println!("  FAIL: unexpected warnings:");
        for w in unexpected.iter().take(20) {
            println!("    {w}");
        }
    }
    println!("{}", if pass { "PASS" } else { "FAIL" });
    std::process::exit(if pass { 0 } else { 1 });
}
