//! Running linechat as a service: the config file and its reload on
//! SIGHUP, the MOTD, systemd's readiness messages and socket activation,
//! and the log formats.

use std::io::{BufRead, BufReader};
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::support::*;

/// A folder of its own for one test's files, removed afterwards.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir = std::env::temp_dir().join(format!("linechat-ops-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }

    fn write(&self, name: &str, text: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn linechat(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_linechat")).args(args).output().expect("linechat runs")
}

#[test]
fn a_config_file_sets_options_and_the_command_line_wins() {
    let dir = Dir::new("config");
    let motd = dir.write("motd.txt", "Welcome to the test server.\nBe kind.\n");
    let config = dir.write(
        "linechat.toml",
        &format!(
            "# a comment\nmax-line = 64\ndefault-room = \"#hall\"\nserver-name = \"chat.example\"\n\
             motd = \"{motd}\"\nburst = 3\nidle-timeout = \"off\"\nlisten = \"127.0.0.1:1\"\n"
        ),
    );
    // The test harness gives --listen 127.0.0.1:0 on the command line: it wins.
    let s = Server::start(&["--config", &config, "--irc-listen", "127.0.0.1:0"]);
    let mut a = s.connect();
    a.send("alice");
    a.expect("* alice joined (1 online)");
    a.expect("* Welcome to the test server.");
    a.expect("* Be kind.");
    a.send(&"x".repeat(65));
    a.expect("! line-too-long: lines are limited to 64 bytes; the rest of this line was discarded");
    // JSON users get the MOTD as an event.
    let mut j = s.connect();
    j.send_json(&serde_json::json!({"type": "nick", "payload": "jo"}));
    assert_eq!(j.json()["type"], "join");
    assert_eq!(
        j.json(),
        serde_json::json!({"type": "motd", "payload": {"lines": ["Welcome to the test server.", "Be kind."]}})
    );
    // IRC users get it as the MOTD, instead of the built-in one.
    let mut irc = Client::connect(s.irc_addr());
    irc.send("NICK ian");
    irc.send("USER ian 0 * :Ian");
    assert_eq!(irc.irc_skip_until(" 375 "), ":chat.example 375 ian :- chat.example Message of the day -");
    assert_eq!(irc.irc_line(), ":chat.example 372 ian :- Welcome to the test server.");
    assert_eq!(irc.irc_line(), ":chat.example 372 ian :- Be kind.");
    assert_eq!(irc.irc_line(), ":chat.example 376 ian :End of /MOTD command");
    irc.send("JOIN #hall");
    irc.irc_skip_until(" 366 ");
    a.expect("* jo joined (2 online)");
}

#[test]
fn without_a_motd_nothing_new_is_shown() {
    let s = Server::start_irc(&[]);
    let mut a = s.connect();
    a.send("alice");
    a.expect("* alice joined (1 online)");
    let mut irc = Client::connect(s.irc_addr());
    irc.send("NICK ian");
    irc.send("USER ian 0 * :Ian");
    irc.irc_skip_until(" 375 ");
    assert_eq!(
        irc.irc_line(),
        ":linechat 372 ian :- linechat: the same rooms for IRC, nc, JSON and web users."
    );
}

#[test]
fn a_bad_config_file_names_its_line_and_key_and_nothing_starts() {
    let dir = Dir::new("bad");
    let config = dir.write("bad.toml", "max-clients = 10\n\nmax-outbuf = \"lots\"\n");
    let out = linechat(&["--config", &config]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{config}:3: max-outbuf: ")), "{err}");
    let unknown = dir.write("unknown.toml", "max-clients = 10\nmax-client = 5\n");
    let err = String::from_utf8_lossy(&linechat(&["--config", &unknown]).stderr).to_string();
    assert!(err.contains(&format!("{unknown}:2: unknown key 'max-client'")), "{err}");
    let typed = dir.write("typed.toml", "reuse-port = 1\n");
    let err = String::from_utf8_lossy(&linechat(&["--config", &typed]).stderr).to_string();
    assert!(err.contains(&format!("{typed}:1: reuse-port: a switch")), "{err}");
    let syntax = dir.write("syntax.toml", "max-clients = 10\nrate = \"5/s\n");
    let err = String::from_utf8_lossy(&linechat(&["--config", &syntax]).stderr).to_string();
    assert!(err.contains(&format!("{syntax}:2:")), "{err}");
    let missing = linechat(&["--config", "/nonexistent/linechat.toml"]);
    assert_eq!(missing.status.code(), Some(2));
}

/// Every option of `--help` with a value that is not its default.
fn every_option(dir: &Dir) -> Vec<(&'static str, String)> {
    let file = |name: &str| dir.write(name, "x\n");
    vec![
        ("listen", "\"127.0.0.1:7001\"".into()),
        ("http-listen", "\"127.0.0.1:7081\"".into()),
        ("irc-listen", "\"127.0.0.1:6667\"".into()),
        ("tls-listen", "\"127.0.0.1:7443\"".into()),
        ("https-listen", "\"127.0.0.1:8443\"".into()),
        ("ircs-listen", "\"127.0.0.1:6697\"".into()),
        ("tls-cert", format!("\"{}\"", file("cert.pem"))),
        ("tls-key", format!("\"{}\"", file("key.pem"))),
        ("server-name", "\"chat.example\"".into()),
        ("ws-origin", "\"https://chat.example\"".into()),
        ("max-clients", "500".into()),
        ("max-per-ip", "4".into()),
        ("rate", "\"5/s\"".into()),
        ("burst", "20".into()),
        ("join-rate", "2".into()),
        ("join-burst", "3".into()),
        ("max-line", "\"8KiB\"".into()),
        ("max-outbuf", "\"2MiB\"".into()),
        ("default-room", "\"#hall\"".into()),
        ("max-rooms", "50".into()),
        ("max-rooms-per-client", "5".into()),
        ("nick-timeout", "\"30s\"".into()),
        ("idle-timeout", "\"1h\"".into()),
        ("handlers", format!("\"{}\"", dir.0.display())),
        ("handler-budget", "5000".into()),
        ("handler-memory", "\"1MiB\"".into()),
        ("handler-max-output", "\"64KiB\"".into()),
        ("history", "50".into()),
        ("history-age", "\"1d\"".into()),
        ("history-memory", "\"1MiB\"".into()),
        ("history-page", "20".into()),
        ("join-replay", "5".into()),
        ("db", format!("\"{}\"", dir.0.join("l.db").display())),
        ("db-sync", "\"full\"".into()),
        ("db-backlog", "500".into()),
        ("min-password", "12".into()),
        ("login-rate", "\"3/m\"".into()),
        ("jwt-secret", format!("\"{}\"", file("jwt"))),
        ("oper-file", format!("\"{}\"", file("opers"))),
        ("allow-plain-auth", "true".into()),
        ("lang", "\"ko\"".into()),
        ("motd", format!("\"{}\"", file("motd"))),
        ("irc-password", format!("\"{}\"", file("ircpass"))),
        ("sts-duration", "\"30d\"".into()),
        ("monitor-max", "50".into()),
        ("whowas", "100".into()),
        ("redis", "\"redis://127.0.0.1:6390/2\"".into()),
        ("node-id", "\"node-a\"".into()),
        ("reuse-port", "true".into()),
        ("presence-ttl", "\"30s\"".into()),
        ("redis-max-outbuf", "\"8MiB\"".into()),
        ("log-level", "\"debug\"".into()),
        ("log-format", "\"json\"".into()),
    ]
}

#[test]
fn a_config_file_can_set_every_option_and_print_config_writes_it_back() {
    let dir = Dir::new("every");
    let options = every_option(&dir);
    let text: String = options.iter().map(|(k, v)| format!("{k} = {v}\n")).collect();
    let config = dir.write("every.toml", &text);
    let out = linechat(&["--config", &config, "--print-config"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed = String::from_utf8(out.stdout).unwrap();
    for (key, value) in &options {
        assert!(printed.lines().any(|l| l == format!("{key} = {value}")), "{key} = {value} in\n{printed}");
    }
    // Every option of --help is in the file (config itself aside).
    let help = String::from_utf8(linechat(&["--help"]).stdout).unwrap();
    for line in help.lines().map(str::trim_start).filter(|l| l.starts_with("--")) {
        let name = line[2..].split([' ', '=']).next().unwrap();
        if !["config", "print-config"].contains(&name) {
            assert!(options.iter().any(|(k, _)| *k == name), "--{name} is in the test's file");
        }
    }
    // The printed defaults are a config file linechat starts from.
    let defaults = String::from_utf8(linechat(&["--print-config"]).stdout).unwrap();
    let path = dir.write("defaults.toml", &defaults);
    let s = Server::start(&["--config", &path]);
    s.join("alice");
    // The package's /etc/linechat/linechat.toml is the same, keeping its
    // database where the package made room for it.
    let packaged = linechat(&["--db", "/var/lib/linechat/linechat.db", "--print-config"]).stdout;
    assert_eq!(
        String::from_utf8(packaged).unwrap(),
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/contrib/linechat.toml")).unwrap(),
        "contrib/linechat.toml is `linechat --db /var/lib/linechat/linechat.db --print-config`"
    );
}

#[test]
fn sighup_applies_a_changed_limit_while_clients_stay_and_keeps_what_needs_a_restart() {
    let dir = Dir::new("reload");
    let config = dir.write("linechat.toml", "max-per-ip = 0\nburst = 10\n");
    let s = Server::start(&["--config", &config]);
    let mut a = s.join("a");
    let mut b = s.join("b");
    let mut c = s.join("c");
    a.expect("* b joined (2 online)");
    a.expect("* c joined (3 online)");
    std::fs::write(&config, "max-per-ip = 2\nburst = 10\ndefault-room = \"#other\"\n").unwrap();
    s.signal(libc::SIGHUP);
    s.wait_log("reload: max-per-ip: \"0\" -> \"2\"");
    s.wait_log("reload: default-room: \"#lobby\" -> \"#other\": needs a restart");
    // Three are in: a fourth is over the new limit. Those inside stay.
    let mut d = Client::connect(s.addr);
    assert_eq!(d.line(), "! too-many-connections: too many connections from your address; try again later");
    a.send("still here");
    b.skip_until("[a] still here");
    c.expect("[a] still here");
    // A file that no longer parses changes nothing.
    std::fs::write(&config, "max-per-ip = 0\nburst = \n").unwrap();
    s.signal(libc::SIGHUP);
    let logged = s.wait_log("; nothing changed");
    assert!(logged.contains("linechat.toml:2:"), "{logged}");
    let mut e = Client::connect(s.addr);
    assert_eq!(e.line(), "! too-many-connections: too many connections from your address; try again later");
    // Fixed, and reloaded: the limit goes.
    std::fs::write(&config, "max-per-ip = 0\n").unwrap();
    s.signal(libc::SIGHUP);
    s.wait_log("reload: max-per-ip: \"2\" -> \"0\"");
    let mut f = s.connect();
    f.send("f");
    a.skip_until("* f joined (4 online)");
}

#[test]
fn sighup_rereads_the_motd() {
    let dir = Dir::new("motd");
    let motd = dir.write("motd", "first\n");
    let s = Server::start(&["--motd", &motd]);
    let mut a = s.connect();
    a.send("a");
    a.expect("* a joined (1 online)");
    a.expect("* first");
    std::fs::write(&motd, "second\n").unwrap();
    s.signal(libc::SIGHUP);
    s.wait_log("reload: no setting changed");
    let mut b = s.connect();
    b.send("b");
    b.expect("* b joined (2 online)");
    b.expect("* second");
}

#[cfg(feature = "tls")]
#[test]
fn sighup_moves_to_another_certificate_named_in_the_config_file() {
    use crate::support::tls::{client_config_for, TestCerts, TlsClient};
    let first = TestCerts::new("ops-first");
    let second = TestCerts::new("ops-second");
    let dir = Dir::new("certs");
    let file =
        |c: &TestCerts| format!("tls-cert = \"{}\"\ntls-key = \"{}\"\n", c.cert.display(), c.key.display());
    let config = dir.write("linechat.toml", &file(&first));
    let s = Server::start(&["--config", &config, "--tls-listen", "127.0.0.1:0"]);
    let tls = s.secure.tls.expect("the TLS port");
    let mut old = TlsClient::connect(tls, first.client_config(&[])).unwrap();
    old.expect(WELCOME);
    old.send("old");
    old.expect("* old joined (1 online)");
    std::fs::write(&config, file(&second)).unwrap();
    s.signal(libc::SIGHUP);
    s.wait_log("reload: tls-cert:");
    s.wait_log("reloaded the TLS certificate for the chat port");
    assert!(TlsClient::connect(tls, client_config_for(&first.ca, &[])).is_err(), "the first is gone");
    let mut new = TlsClient::connect(tls, second.client_config(&[])).expect("the second is served");
    new.expect(WELCOME);
    new.send("new");
    old.expect("* new joined (2 online)");
}

/// A fake systemd: the datagrams linechat sends to `NOTIFY_SOCKET`.
struct FakeSystemd {
    sock: UnixDatagram,
    _dir: Dir,
    path: String,
}

impl FakeSystemd {
    fn new(name: &str) -> FakeSystemd {
        let dir = Dir::new(name);
        let path = dir.0.join("notify").to_str().unwrap().to_string();
        let sock = UnixDatagram::bind(&path).unwrap();
        sock.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        FakeSystemd { sock, _dir: dir, path }
    }

    /// The next message, as its lines.
    fn next(&self) -> Vec<String> {
        let mut buf = [0u8; 4096];
        let n = self.sock.recv(&mut buf).expect("a message from linechat");
        String::from_utf8_lossy(&buf[..n]).lines().map(str::to_string).collect()
    }

    /// Skips watchdog pings until a message that is not one.
    fn next_not_watchdog(&self) -> Vec<String> {
        loop {
            let m = self.next();
            if m != ["WATCHDOG=1"] {
                return m;
            }
        }
    }
}

#[test]
fn systemd_hears_ready_reloading_stopping_and_the_watchdog() {
    let systemd = FakeSystemd::new("notify");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_linechat"));
    cmd.env("NOTIFY_SOCKET", &systemd.path).env("WATCHDOG_USEC", "200000");
    let mut s = Server::start_with(cmd, &[]);
    assert_eq!(systemd.next(), ["READY=1", "STATUS=serving"]);
    // Listening before READY: a client gets in at once.
    s.join("alice");
    // The watchdog is fed while the loop turns (every 100 ms here).
    eventually("a watchdog ping", || systemd.next() == ["WATCHDOG=1"]);
    s.signal(libc::SIGHUP);
    let reloading = systemd.next_not_watchdog();
    assert_eq!(reloading[0], "RELOADING=1");
    assert!(
        reloading[1].strip_prefix("MONOTONIC_USEC=").is_some_and(|u| u.parse::<u64>().is_ok()),
        "{reloading:?}"
    );
    assert_eq!(systemd.next_not_watchdog(), ["READY=1", "STATUS=serving"]);
    s.signal(libc::SIGTERM);
    assert_eq!(systemd.next_not_watchdog(), ["STOPPING=1", "STATUS=stopping"]);
    assert!(s.wait_exit().success());
}

#[test]
fn sockets_passed_by_systemd_are_served_by_name() {
    // A test launcher doing what systemd does: sockets bound beforehand as
    // descriptors 3 and 4, LISTEN_PID the started process's own pid.
    let irc = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let chat = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let (irc_addr, chat_addr) = (irc.local_addr().unwrap(), chat.local_addr().unwrap());
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("LISTEN_PID=$$ LISTEN_FDS=2 LISTEN_FDNAMES=irc-listen:listen exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_linechat"));
    {
        use std::os::fd::AsRawFd;
        use std::os::unix::process::CommandExt;
        let (a, b) = (irc.as_raw_fd(), chat.as_raw_fd());
        // SAFETY: fcntl and dup2 are async-signal-safe; they only renumber
        // descriptors in the child between fork and exec (through high
        // numbers first, so neither lands on the other, and dup2 onto a
        // different number clears close-on-exec).
        unsafe {
            cmd.pre_exec(move || {
                let (a, b) =
                    (libc::fcntl(a, libc::F_DUPFD_CLOEXEC, 100), libc::fcntl(b, libc::F_DUPFD_CLOEXEC, 100));
                if a < 0 || b < 0 || libc::dup2(a, 3) < 0 || libc::dup2(b, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    // --irc-listen is off: the passed socket is served all the same, and
    // the chat port's is served instead of binding --listen's address.
    let s = Server::start_with(cmd, &["--irc-listen", "off"]);
    assert_eq!((s.irc_addr(), s.addr), (irc_addr, chat_addr));
    drop((irc, chat));
    s.wait_log("serving 1 socket(s) passed in for --irc-listen");
    let mut i = s.irc_join("ian");
    i.send("JOIN #lobby");
    i.irc_skip_until(" 366 ");
    let mut a = s.join("alice");
    i.irc_skip_until("JOIN");
    a.send("hello");
    assert_eq!(i.irc_skip_until("PRIVMSG"), ":alice!alice@linechat PRIVMSG #lobby :hello");
}

/// Starts linechat with `args`, returning its first stderr lines up to one
/// containing `until`, then stops it.
fn log_lines(args: &[&str], envs: &[(&str, &str)], until: &str) -> Vec<String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_linechat"))
        .args(args)
        .envs(envs.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        let done = line.contains(until);
        lines.push(line);
        if done {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    lines
}

#[test]
fn logs_come_as_text_journal_lines_or_json() {
    let base = ["--listen", "127.0.0.1:0", "--http-listen", "off"];
    let with = |format: &'static str| [&base[..], &["--log-format", format]].concat();
    let text = log_lines(&with("text"), &[], "listening on");
    let last = text.last().unwrap();
    assert!(last.contains("Z [INFO] listening on 127.0.0.1:"), "{last}");
    let journal = log_lines(&with("journal"), &[], "listening on");
    assert!(
        journal.iter().all(|l| l.starts_with("<6>") || l.starts_with("<4>") || l.starts_with("<3>")),
        "{journal:?}"
    );
    assert!(journal.last().unwrap().starts_with("<6>listening on 127.0.0.1:"));
    let json = log_lines(&with("json"), &[], "listening on");
    for line in &json {
        let v: Value = serde_json::from_str(line).expect("one JSON object per line");
        assert!(v["time"].as_str().is_some_and(|t| t.ends_with('Z')) && v["level"].is_string(), "{line}");
    }
    let v: Value = serde_json::from_str(json.last().unwrap()).unwrap();
    assert_eq!(v["level"], "info");
    assert!(v["message"].as_str().unwrap().starts_with("listening on 127.0.0.1:"));
    // auto: text, unless stderr is the stream JOURNAL_STREAM names.
    let auto = log_lines(&base, &[("JOURNAL_STREAM", "1:1")], "listening on");
    assert!(auto.last().unwrap().contains("[INFO] listening on"), "{auto:?}");
}

#[test]
fn version_names_the_features_built_in() {
    let out = String::from_utf8(linechat(&["--version"]).stdout).unwrap();
    assert!(out.starts_with(&format!("linechat {} (features: ", env!("CARGO_PKG_VERSION"))), "{out}");
    assert_eq!(out.contains("tls"), cfg!(feature = "tls"));
    assert_eq!(out.contains("lua"), cfg!(feature = "lua"));
}
