//! `linechat client` against the real server: on a terminal (tmux, read
//! from the screen), and as a pipe like nc.

#![cfg(feature = "client")]

use crate::support::tmux::Tmux;
use crate::support::*;
use std::io::Write;
use std::process::{Command, Stdio};

fn require_tmux() {
    let ok = Command::new("sh").args(["-c", "command -v tmux"]).status().is_ok_and(|s| s.success());
    assert!(ok, "tmux is needed: apt-get install -y tmux (or run .ci/run)");
}

/// Starts the client in tmux; `after` runs in the same shell once it exits.
fn client_in_tmux(name: &str, args: &str, after: &str) -> Tmux {
    require_tmux();
    let bin = env!("CARGO_BIN_EXE_linechat");
    let session = format!("linechat-client-{name}-{}", std::process::id());
    Tmux::start(&session, &format!("TERM=xterm-256color {bin} client {args}; {after}"))
}

#[test]
fn typed_text_survives_incoming_messages_and_history_works() {
    let s = Server::start(&[]);
    let mut nc = s.join("ncuser");
    let t = client_in_tmux("typing", &format!("{} --nick alice", s.addr), "exec cat");
    nc.expect("* alice joined (2 online)");
    t.wait_for_last_line(">");
    t.type_text("hello wor");
    t.wait_for_last_line("> hello wor");
    nc.send("a message while alice types");
    t.wait_for("[ncuser] a message while alice types");
    t.wait_for_last_line("> hello wor");
    let lines = t.lines();
    let incoming = lines.iter().position(|l| l == "[ncuser] a message while alice types").unwrap();
    assert_eq!(incoming, lines.len() - 2, "the message is printed above the typing line: {lines:?}");
    t.type_text("ld");
    t.keys(&["Enter"]);
    nc.skip_until("[ncuser] a message while alice types");
    nc.expect("[alice] hello world");
    t.wait_for("[alice] hello world");
    // History: Up brings back what was sent; editing keys work on it.
    t.type_line("second line");
    nc.expect("[alice] second line");
    t.keys(&["Up", "Up"]);
    t.wait_for_last_line("> hello world");
    t.keys(&["End", "BSpace", "BSpace", "BSpace", "BSpace", "BSpace"]);
    t.type_text("again");
    t.keys(&["Enter"]);
    nc.expect("[alice] hello again");
    t.type_text("one two");
    t.keys(&["C-w"]);
    t.wait_for_last_line("> one");
    t.keys(&["Home", "Delete"]);
    t.type_text("O");
    t.keys(&["End"]);
    t.type_text("three");
    t.keys(&["Enter"]);
    nc.expect("[alice] One three");
    t.keys(&["Up"]);
    t.wait_for_last_line("> One three");
    t.keys(&["C-u"]);
    t.wait_for_last_line(">");
}

#[test]
fn hangul_input_wide_characters_and_resize() {
    let s = Server::start(&[]);
    let mut nc = s.join("ncuser");
    let t = client_in_tmux("hangul", &format!("{} --nick 민수", s.addr), "exec cat");
    nc.expect("* 민수 joined (2 online)");
    t.wait_for_last_line(">");
    t.type_text("한글");
    t.keys(&["Left"]);
    t.type_text("x");
    t.wait_for_last_line("> 한x글");
    t.keys(&["Enter"]);
    nc.expect("[민수] 한x글");
    // A narrow terminal: the line scrolls, nothing typed is lost.
    t.resize(30, 20);
    let long: String = "가나다라마바사아자차".repeat(4);
    t.type_text(&long);
    let last = eventually_some("the end of the typed line to show", || {
        t.lines().last().filter(|l| l.ends_with("자차")).cloned()
    });
    assert!(last.chars().count() <= 30, "the typing line fits 30 columns: {last:?}");
    t.keys(&["Enter"]);
    nc.expect(&format!("[민수] {long}"));
    t.resize(100, 30);
    nc.send("wide again");
    t.wait_for("[ncuser] wide again");
}

/// A free address to start (and restart) linechat on, so a restarted
/// server is where its clients left it.
fn free_addr() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    format!("127.0.0.1:{port}")
}

/// linechat on `addr` (chat port only).
fn start_on(addr: &str) -> std::process::Child {
    let mut c = Command::new(env!("CARGO_BIN_EXE_linechat"));
    c.args(["--listen", addr, "--http-listen", "off"]).stderr(Stdio::null());
    c.spawn().expect("start linechat")
}

/// Waits until something listens on `addr`.
fn wait_listening(addr: &str) {
    eventually("the server to listen", || std::net::TcpStream::connect(addr).is_ok());
}

#[test]
fn reconnects_after_a_server_restart_with_the_same_nick_and_room() {
    let addr = free_addr();
    let start = || start_on(&addr);
    let wait_up = || wait_listening(&addr);
    let mut first = start();
    wait_up();
    let t = client_in_tmux("reconnect", &format!("{addr} --nick alice"), "exec cat");
    t.wait_for("* alice joined (1 online)");
    t.type_line("/join #rust");
    t.wait_for("* alice joined #rust (1 online)");
    t.wait_for_last_line("#rust>");
    first.kill().unwrap();
    first.wait().unwrap();
    t.wait_for("-- connection lost; reconnecting");
    let mut second = start();
    wait_up();
    let mut nc = Client::connect(addr.parse().unwrap());
    nc.expect(WELCOME);
    nc.send("ncuser");
    // The client rejoins by itself: same nick, back in #rust.
    nc.send("/join #rust");
    nc.skip_until("* ncuser joined #rust");
    eventually("alice back in #rust", || {
        nc.send("/who");
        nc.skip_until("* online in #rust") == "* online in #rust (2): alice, ncuser"
    });
    nc.send("welcome back");
    t.wait_for("[ncuser] welcome back");
    t.wait_for_last_line("#rust>");
    second.kill().unwrap();
    second.wait().unwrap();
}

/// After a restart with `--db`, the client shows what was said while it was
/// away (from `/history`), once, and nothing it had already shown.
#[cfg(feature = "db")]
#[test]
fn catches_up_after_a_restart_with_what_it_missed() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let db = std::env::temp_dir().join(format!("linechat-client-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&db);
    let db = db.display().to_string();
    let start = || Server::start(&["--listen", &addr, "--db", &db]);
    let first = start();
    let t = client_in_tmux("catchup", &format!("{addr} --nick alice"), "exec cat");
    t.wait_for("* alice joined (1 online)");
    t.type_line("/join #rust");
    t.wait_for_last_line("#rust>");
    let mut nc = first.join("ncuser");
    nc.send("/join #rust");
    nc.send("seen before the restart");
    t.wait_for("[ncuser] seen before the restart");
    first.signal(libc::SIGKILL);
    drop(first);
    t.wait_for("-- connection lost; reconnecting");
    // Said on the same database while alice cannot reach it (another port).
    let elsewhere = Server::start(&["--db", &db]);
    let mut nc = elsewhere.join("ncuser");
    nc.send("/join #rust");
    nc.send("said while alice was away");
    nc.sync();
    drop(nc);
    drop(elsewhere);
    let second = start();
    t.wait_for("-- 1 lines said while disconnected:");
    t.wait_for("[ncuser] said while alice was away");
    t.wait_for_last_line("#rust>");
    let mut nc = second.join("ncuser");
    nc.send("/join #rust");
    nc.send("after she is back");
    t.wait_for("[ncuser] after she is back");
    let lines = t.lines();
    let count = |text: &str| lines.iter().filter(|l| l.as_str() == text).count();
    assert_eq!(count("[ncuser] seen before the restart"), 1, "{lines:?}");
    assert_eq!(count("[ncuser] said while alice was away"), 1, "{lines:?}");
    assert!(
        !lines.iter().any(|l| l.starts_with("* history for")),
        "the block itself is not shown: {lines:?}"
    );
}

#[test]
fn ctrl_c_says_bye_and_gives_the_terminal_back() {
    let s = Server::start(&[]);
    let mut nc = s.join("ncuser");
    let stty = std::env::temp_dir().join(format!("linechat-stty-{}", std::process::id()));
    let t = client_in_tmux(
        "ctrlc",
        &format!("{} --nick alice", s.addr),
        // Written aside and renamed, so the file appears whole or not at all.
        &format!("stty -a > {0}.tmp && mv {0}.tmp {0}; exec cat", stty.display()),
    );
    nc.expect("* alice joined (2 online)");
    t.wait_for_last_line(">");
    t.keys(&["C-c"]);
    nc.expect("* alice left (1 online)");
    eventually("the client to exit and the shell to record the terminal", || stty.exists());
    let modes = std::fs::read_to_string(&stty).unwrap();
    let _ = std::fs::remove_file(&stty);
    // Raw mode is off again: the line discipline echoes and edits lines.
    let words: Vec<&str> = modes.split_whitespace().collect();
    for mode in ["icanon", "echo", "isig"] {
        assert!(words.contains(&mode), "{mode} missing after exit: {modes}");
    }
}

#[test]
fn with_a_pipe_it_behaves_like_nc() {
    let s = Server::start(&[]);
    let mut nc = s.join("ncuser");
    let mut child = Command::new(env!("CARGO_BIN_EXE_linechat"))
        .args(["client", &s.addr.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"piper\nhello from a pipe\n/who\n/bye\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "* welcome to linechat - enter a nickname\n* piper joined (2 online)\n[piper] hello from a pipe\n\
         * online (2): ncuser, piper\n* bye\n"
    );
    nc.expect("* piper joined (2 online)");
    nc.expect("[piper] hello from a pipe");
    nc.expect("* piper left (1 online)");
    // --nick and JSON through a pipe, ending at end of input.
    let mut child = Command::new(env!("CARGO_BIN_EXE_linechat"))
        .args(["client", &s.addr.to_string(), "--json", "--nick", "bot"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(br#"{"type":"chat","payload":"beep"}"#).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(r##"{"type":"chat","payload":{"from":"bot","text":"beep","room":"#lobby"}}"##),
        "{text}"
    );
    nc.expect("* bot joined (2 online)");
    nc.expect("[bot] beep");
}

#[cfg(feature = "tls")]
#[test]
fn over_tls_it_checks_the_certificate() {
    let certs = crate::support::tls::TestCerts::new("client");
    let s = crate::support::tls::start_with_certs(&certs, &["--tls-listen", "127.0.0.1:0"]);
    let addr = format!("localhost:{}", s.secure.tls.unwrap().port());
    let run = |extra: &[&str]| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_linechat"))
            .args(["client", &addr, "--tls"])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The client may have given up already (bad options, a refused certificate).
        let _ = child.stdin.take().unwrap().write_all(b"sec\n/bye\n");
        child.wait_with_output().unwrap()
    };
    let out = run(&["--ca", certs.ca.to_str().unwrap()]);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "* welcome to linechat - enter a nickname\n* sec joined (1 online)\n* bye\n"
    );
    let out = run(&["--insecure"]);
    assert!(String::from_utf8(out.stdout).unwrap().contains("* sec joined (1 online)"));
    // A CA that did not sign the server's certificate: no chat.
    let other = crate::support::tls::TestCerts::new("client-other");
    let out = run(&["--ca", other.ca.to_str().unwrap()]);
    assert!(!String::from_utf8(out.stdout).unwrap().contains("joined"));
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2), "--tls needs --ca or --insecure");
}

/// `--lang ko`: the client asks the server for Korean before its nickname,
/// follows the Korean lines (it rejoins its room after a restart), and
/// writes its own notes in Korean.
#[test]
fn the_client_in_korean_rejoins_and_speaks_korean() {
    let addr = free_addr();
    let start = || start_on(&addr);
    let wait_up = || wait_listening(&addr);
    let mut first = start();
    wait_up();
    let t = client_in_tmux("korean", &format!("{addr} --lang ko --nick 철수"), "exec cat");
    t.wait_for(&format!("-- {addr}에 연결하는 중"));
    t.wait_for("* [철수]님이 입장했습니다. (현재 1명 참여 중)");
    t.type_line("/join #rust");
    t.wait_for("* [철수]님이 #rust에 입장했습니다. (현재 1명 참여 중)");
    t.type_line("/msg nobody hi");
    t.wait_for("! no-such-nick: 'nobody'(이)라는 사람은 접속해 있지 않습니다.");
    first.kill().unwrap();
    first.wait().unwrap();
    t.wait_for("-- 연결이 끊겼습니다.");
    let mut second = start();
    wait_up();
    let mut nc = Client::connect(addr.parse().unwrap());
    nc.expect(WELCOME);
    nc.send("ncuser");
    nc.send("/join #rust");
    nc.skip_until("* ncuser joined #rust");
    eventually("철수 back in #rust", || {
        nc.send("/who");
        nc.skip_until("* online in #rust") == "* online in #rust (2): ncuser, 철수"
    });
    nc.send("다시 왔네요");
    t.wait_for("[ncuser] 다시 왔네요");
    second.kill().unwrap();
    second.wait().unwrap();
}
