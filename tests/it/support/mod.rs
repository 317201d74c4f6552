//! Starts the real `linechat` binary on free ports and talks to it over real
//! sockets. Every read has a deadline, so a broken server fails a test
//! instead of hanging it.

// One binary holds every test module; built without some features (no
// `tls`, `lua` or `client`), a few helpers go unused there.
#![allow(dead_code)]

pub mod redis;
pub mod tls;
pub mod tmux;
pub mod ws;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};

/// Runs an external test program; fails with its output unless it succeeds.
pub fn run_checked(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The browser tests' folder, once Chromium and playwright-core are there
/// (installed by `.ci/run`).
pub fn browser_dir() -> &'static str {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser");
    assert!(
        std::path::Path::new("/usr/bin/chromium").exists()
            && std::path::Path::new(dir).join("node_modules/playwright-core").exists(),
        "Chromium and playwright-core are needed: apt-get install chromium; npm ci --prefix tests/browser \
         (or run .ci/run)"
    );
    dir
}

/// Runs `tests/py/SCRIPT ARGS...`, which needs the Python module `module`
/// (installed by `.ci/run`, or `pip install PACKAGE`), and checks it succeeded.
pub fn run_python(module: &str, package: &str, script: &str, args: &[String]) {
    let has_lib = Command::new("python3").args(["-c", &format!("import {module}")]).status();
    assert!(
        has_lib.is_ok_and(|s| s.success()),
        "python3 with {package} is needed: pip install {package} (or run .ci/run)"
    );
    let path = format!("{}/tests/py/{script}", env!("CARGO_MANIFEST_DIR"));
    run_checked(Command::new("python3").arg(path).args(args), script);
}
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A sign-in token minted by PyJWT (`tests/py/mint_jwt.py`) with the
/// secret in `secret_file` and `claims` (`"exp": "+60"`: a minute from now).
pub fn mint_jwt(secret_file: &str, claims: &Value, algorithm: &str) -> String {
    let has_lib = Command::new("python3").args(["-c", "import jwt"]).status();
    assert!(
        has_lib.is_ok_and(|s| s.success()),
        "python3 with PyJWT is needed: pip install PyJWT (or run .ci/run)"
    );
    let script = format!("{}/tests/py/mint_jwt.py", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("python3")
        .args([&script, secret_file, &claims.to_string(), algorithm])
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "mint_jwt.py: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("a token is ASCII").trim().to_string()
}

/// A fresh database path for one test.
#[cfg(feature = "db")]
pub fn db_path(name: &str) -> String {
    let path = std::env::temp_dir().join(format!("linechat-test-{}-{name}.db", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    path.display().to_string()
}

/// Waits until `check` holds, asking again every few milliseconds, and
/// fails naming `what` once [`READ_TIMEOUT`] has passed: the one polling
/// loop of the tests. Use it only for state no round trip can wait on
/// (a log line, a metric, a file, another process); everything a client
/// can ask the server waits on a `/ping` or IRC `PING` round trip instead.
pub fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + READ_TIMEOUT;
    let mut pause = Duration::from_millis(2);
    while !check() {
        assert!(Instant::now() < deadline, "still not true after {READ_TIMEOUT:?}: {what}");
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// Like [`eventually`] for a value: waits until `get` returns one.
pub fn eventually_some<T>(what: &str, mut get: impl FnMut() -> Option<T>) -> T {
    let mut found = None;
    eventually(what, || {
        found = get();
        found.is_some()
    });
    found.expect("checked")
}

/// One HTTP request on a fresh connection; the whole response, as text.
pub fn http(addr: SocketAddr, request: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    s.write_all(request).expect("send the request");
    let mut resp = Vec::new();
    let _ = s.read_to_end(&mut resp);
    String::from_utf8_lossy(&resp).into_owned()
}

/// A TCP connection to `addr` from the local address `source`.
pub fn stream_from(addr: SocketAddr, source: std::net::IpAddr) -> TcpStream {
    let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    sock.bind(&SocketAddr::new(source, 0).into()).expect("bind the source address");
    sock.connect(&addr.into()).expect("connect");
    sock.into()
}

/// `GET path` on a fresh connection; the whole response.
pub fn http_get(addr: SocketAddr, path: &str) -> String {
    http(addr, format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
}

/// One sample of `/metrics` on the web port (`name` with its labels).
pub fn metric(s: &Server, name: &str) -> f64 {
    let page = http_get(s.web_addr(), "/metrics");
    page.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(' ')))
        .unwrap_or_else(|| panic!("no {name} in /metrics:\n{page}"))
        .parse()
        .expect("a number")
}

/// How long any single expected line may take to arrive.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);

pub const WELCOME: &str = "* welcome to linechat - enter a nickname";

/// Where the TLS listeners are.
#[derive(Debug, Default, Clone, Copy)]
pub struct TlsAddrs {
    pub tls: Option<SocketAddr>,
    pub https: Option<SocketAddr>,
    pub ircs: Option<SocketAddr>,
}

pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    /// The web listener's address, when it runs.
    pub web: Option<SocketAddr>,
    /// The IRC listener's address, when it runs.
    pub irc: Option<SocketAddr>,
    /// The TLS listeners' addresses, when they run.
    pub secure: TlsAddrs,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts linechat with `args` on a free chat port (web port off unless asked for).
    pub fn start(args: &[&str]) -> Server {
        Self::start_with(Command::new(env!("CARGO_BIN_EXE_linechat")), args)
    }

    /// Starts linechat through `sh -c` after running `prelude` (e.g. `ulimit -n 64`).
    pub fn start_in_shell(prelude: &str, args: &[&str]) -> Server {
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(format!("{prelude}; exec \"$0\" \"$@\"")).arg(env!("CARGO_BIN_EXE_linechat"));
        Self::start_with(cmd, args)
    }

    pub fn start_with(mut cmd: Command, args: &[&str]) -> Server {
        let mut all: Vec<&str> = vec!["--listen", "127.0.0.1:0"];
        if !args.iter().any(|a| a.starts_with("--http-listen")) {
            all.extend(["--http-listen", "off"]);
        }
        all.extend_from_slice(args);
        let mut child = cmd
            .args(&all)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start linechat");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    // The message follows the level, e.g. "[INFO] listening on ADDR".
                    let message = line.split_once("] ").map_or(line.as_str(), |(_, m)| m).trim();
                    let listeners = [
                        ("listening on ", "chat"),
                        ("irc listening on ", "irc"),
                        ("tls listening on ", "tls"),
                        ("ircs listening on ", "ircs"),
                        ("web page at http://", "web"),
                        ("web page at https://", "https"),
                    ];
                    for (prefix, kind) in listeners {
                        if let Some(addr) = message.strip_prefix(prefix) {
                            let _ = tx.send((kind, addr.trim_end_matches('/').to_string()));
                        }
                    }
                    log.lock().unwrap().push(line);
                }
            });
        }
        let wants_web = all.windows(2).any(|w| w[0] == "--http-listen" && w[1] != "off")
            || all.iter().any(|a| a.starts_with("--http-listen=") && !a.ends_with("=off"));
        let wanted = |opt: &str| all.iter().any(|a| a.starts_with(opt));
        let (wants_irc, wants_tls) = (wanted("--irc-listen"), wanted("--tls-listen"));
        let (wants_https, wants_ircs) = (wanted("--https-listen"), wanted("--ircs-listen"));
        let mut addr = None;
        let mut web = None;
        let mut irc = None;
        let mut secure = TlsAddrs::default();
        while addr.is_none()
            || (wants_web && web.is_none())
            || (wants_irc && irc.is_none())
            || (wants_tls && secure.tls.is_none())
            || (wants_https && secure.https.is_none())
            || (wants_ircs && secure.ircs.is_none())
        {
            let parse = |a: String| Some(a.parse::<SocketAddr>().expect("listener address"));
            match rx.recv_timeout(READ_TIMEOUT) {
                Ok(("chat", a)) => addr = parse(a),
                Ok(("irc", a)) => irc = parse(a),
                Ok(("tls", a)) => secure.tls = parse(a),
                Ok(("https", a)) => secure.https = parse(a),
                Ok(("ircs", a)) => secure.ircs = parse(a),
                Ok((_, a)) => web = parse(a),
                Err(_) => {
                    let _ = child.kill();
                    panic!("linechat did not start: {:?}", log.lock().unwrap());
                }
            }
        }
        Server { child, addr: addr.unwrap(), web, irc, secure, log }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Opens a raw connection and reads the greeting.
    pub fn connect(&self) -> Client {
        let mut c = Client::connect(self.addr);
        c.expect(WELCOME);
        c
    }

    /// Connects and joins as `nick`, reading up to its own join notice.
    pub fn join(&self, nick: &str) -> Client {
        let mut c = self.connect();
        c.send(nick);
        c.skip_until(&format!("* {nick} joined ("));
        c
    }

    /// Connects in JSON mode and joins as `nick`, reading up to its own join event.
    pub fn join_json(&self, nick: &str) -> Client {
        let mut c = self.connect();
        c.send_json(&serde_json::json!({"type": "nick", "payload": nick}));
        loop {
            let v = c.json();
            if v["type"] == "join" && v["payload"]["nick"] == nick {
                return c;
            }
        }
    }

    /// Waits until a log line contains `needle`.
    pub fn wait_log(&self, needle: &str) -> String {
        eventually_some(&format!("a log line with {needle:?}"), || {
            self.log.lock().unwrap().iter().find(|l| l.contains(needle)).cloned()
        })
    }

    pub fn log_lines(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Sends `signal` to the server.
    pub fn signal(&self, signal: i32) {
        // SAFETY: kill() with a child's pid and a signal number has no memory effects.
        unsafe {
            libc::kill(self.child.id() as i32, signal);
        }
    }

    /// Waits for the server to exit.
    pub fn wait_exit(&mut self) -> ExitStatus {
        eventually_some("the server to exit", || self.child.try_wait().unwrap())
    }

    /// Is the server process still running?
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Server {
    /// Starts linechat with the web port on a free port too.
    pub fn start_web(args: &[&str]) -> Server {
        let mut all = vec!["--http-listen", "127.0.0.1:0"];
        all.extend_from_slice(args);
        Self::start(&all)
    }

    pub fn web_addr(&self) -> SocketAddr {
        self.web.expect("web port running")
    }

    /// Starts linechat with the IRC port on a free port too.
    pub fn start_irc(args: &[&str]) -> Server {
        let mut all = vec!["--irc-listen", "127.0.0.1:0"];
        all.extend_from_slice(args);
        Self::start(&all)
    }

    pub fn irc_addr(&self) -> SocketAddr {
        self.irc.expect("irc port running")
    }

    /// Connects to the IRC port and registers as `nick`, reading the whole
    /// welcome burst (up to the end of the MOTD).
    pub fn irc_join(&self, nick: &str) -> Client {
        let mut c = Client::connect(self.irc_addr());
        c.send(&format!("NICK {nick}"));
        c.send(&format!("USER {nick} 0 * :{nick} test"));
        c.irc_skip_until(" 376 ");
        c
    }

    /// As [`Server::irc_join`], after asking for the capabilities `caps`
    /// (space-separated), which must all be granted.
    pub fn irc_join_with_caps(&self, nick: &str, caps: &str) -> Client {
        let mut c = Client::connect(self.irc_addr());
        c.send(&format!("CAP REQ :{caps}"));
        let ack = c.irc_line();
        assert!(ack.ends_with(&format!(" ACK :{caps}")), "{ack}");
        c.send("CAP END");
        c.send(&format!("NICK {nick}"));
        c.send(&format!("USER {nick} 0 * :{nick} test"));
        c.irc_skip_until(" 376 ");
        c
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What every test client does with lines, over a plain or a TLS stream.
pub trait Lines {
    /// Reads up to and including the next `\n` into `buf` (0: closed).
    fn read_until_newline(&mut self, buf: &mut Vec<u8>) -> std::io::Result<usize>;

    /// Writes all of `bytes` (flushed).
    fn write_bytes(&mut self, bytes: &[u8]);

    fn send(&mut self, line: &str) {
        self.send_raw(format!("{line}\n").as_bytes());
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        self.write_bytes(bytes);
    }

    fn send_json(&mut self, v: &Value) {
        self.send(&v.to_string());
    }

    /// The next line, without its `\n`. Panics on timeout or EOF.
    fn line(&mut self) -> String {
        let mut buf = Vec::new();
        match self.read_until_newline(&mut buf) {
            Ok(0) => panic!("connection closed while a line was expected"),
            Ok(_) => {}
            Err(e) => panic!("no line within {READ_TIMEOUT:?}: {e}"),
        }
        assert_eq!(buf.pop(), Some(b'\n'), "line not terminated: {:?}", String::from_utf8_lossy(&buf));
        String::from_utf8(buf).expect("server sent invalid UTF-8")
    }

    fn expect(&mut self, expected: &str) {
        assert_eq!(self.line(), expected);
    }

    /// Reads lines until one starts with `prefix`; returns it.
    fn skip_until(&mut self, prefix: &str) -> String {
        loop {
            let l = self.line();
            if l.starts_with(prefix) {
                return l;
            }
        }
    }

    /// The next IRC line (which must end in CRLF), without the CRLF.
    fn irc_line(&mut self) -> String {
        let l = self.line();
        l.strip_suffix('\r').unwrap_or_else(|| panic!("IRC line without CRLF: {l:?}")).to_string()
    }

    /// Reads IRC lines until one contains `needle`; returns it.
    fn irc_skip_until(&mut self, needle: &str) -> String {
        loop {
            let l = self.irc_line();
            if l.contains(needle) {
                return l;
            }
        }
    }

    /// Sends `PING token` and returns every IRC line before the PONG: a
    /// barrier proving everything sent earlier has been handled.
    fn irc_sync(&mut self) -> Vec<String> {
        self.send("PING irc-sync-barrier");
        let mut before = Vec::new();
        loop {
            let l = self.irc_line();
            if l.ends_with(" :irc-sync-barrier") && l.contains(" PONG ") {
                return before;
            }
            before.push(l);
        }
    }

    fn json(&mut self) -> Value {
        let l = self.line();
        serde_json::from_str(&l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))
    }

    /// Sends `/ping TOKEN` and returns every line received before the pong:
    /// a barrier proving that everything sent earlier has been handled.
    fn sync(&mut self) -> Vec<String> {
        self.send("/ping sync-barrier");
        let mut before = Vec::new();
        loop {
            let l = self.line();
            if l == "* pong sync-barrier" {
                return before;
            }
            before.push(l);
        }
    }

    /// Reads JSON lines until one of type `kind`; returns it.
    fn json_skip_until(&mut self, kind: &str) -> Value {
        loop {
            let v = self.json();
            if v["type"] == kind {
                return v;
            }
        }
    }

    /// Like [`sync`] for a JSON client.
    fn sync_json(&mut self) -> Vec<Value> {
        self.send_json(&serde_json::json!({"type": "ping", "payload": "sync-barrier"}));
        let mut before = Vec::new();
        loop {
            let v = self.json();
            if v["type"] == "pong" && v["payload"] == "sync-barrier" {
                return before;
            }
            before.push(v);
        }
    }
}

impl Lines for Client {
    fn read_until_newline(&mut self, buf: &mut Vec<u8>) -> std::io::Result<usize> {
        self.reader.read_until(b'\n', buf)
    }

    fn write_bytes(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send");
    }
}

pub struct Client {
    pub stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Client {
    pub fn connect(addr: SocketAddr) -> Client {
        Client::from_stream(TcpStream::connect(addr).expect("connect"))
    }

    /// Connects from `source` (another loopback address, such as 127.0.0.2).
    pub fn connect_from(addr: SocketAddr, source: std::net::IpAddr) -> Client {
        Client::from_stream(stream_from(addr, source))
    }

    pub fn from_stream(stream: TcpStream) -> Client {
        stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        let reader = BufReader::new(stream.try_clone().unwrap());
        Client { stream, reader }
    }

    /// Expects the server to close the connection, with no further lines.
    pub fn expect_closed(&mut self) {
        let mut rest = Vec::new();
        match self.reader.read_to_end(&mut rest) {
            Ok(_) => {
                assert!(rest.is_empty(), "unexpected data before close: {:?}", String::from_utf8_lossy(&rest))
            }
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
            Err(e) => panic!("connection not closed: {e}"),
        }
    }

    pub fn half_close(&mut self) {
        self.stream.shutdown(Shutdown::Write).unwrap();
    }
}

/// An operator file with `admin` (password `operator-pw`), hashed by
/// `linechat hash-password` as an operator would.
pub fn oper_file(name: &str) -> String {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_linechat"))
        .arg("hash-password")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"operator-pw\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let hash = String::from_utf8(out.stdout).unwrap();
    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
    let path = std::env::temp_dir().join(format!("linechat-test-{}-{name}.opers", std::process::id()));
    std::fs::write(&path, format!("# operators\nadmin {hash}")).unwrap();
    path.display().to_string()
}
