//! Independent clients against the real server: Python's `websockets`
//! acting as the original echo client, and two headless Chromium pages
//! (driven by Playwright) chatting with an nc-style client through the
//! chat page. `.ci/run` installs what they need; when it is missing these
//! tests fail with the install command rather than pass without running.

mod common;
use common::*;
use std::process::Command;

#[test]
fn python_websockets_echo_clients() {
    let has_lib = Command::new("python3").args(["-c", "import websockets.sync.client"]).status();
    assert!(
        has_lib.is_ok_and(|s| s.success()),
        "python3 with websockets is needed: pip install websockets (or run .ci/run)"
    );
    let s = Server::start_web(&[]);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/echo_clients.py");
    run_checked(Command::new("python3").arg(script).arg(s.web_addr().port().to_string()), "echo_clients.py");
}

/// Runs a Playwright script from tests/browser against a fresh server.
fn run_browser_script(script: &str) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser");
    assert!(
        std::path::Path::new("/usr/bin/chromium").exists()
            && std::path::Path::new(dir).join("node_modules/playwright-core").exists(),
        "Chromium and playwright-core are needed: apt-get install chromium; npm ci --prefix tests/browser \
         (or run .ci/run)"
    );
    let s = Server::start_web(&[]);
    run_checked(
        Command::new("node")
            .current_dir(dir)
            .arg(script)
            .arg(s.web_addr().port().to_string())
            .arg(s.addr.port().to_string()),
        script,
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
fn python_irc_library_client() {
    let has_lib = Command::new("python3").args(["-c", "import irc.client"]).status();
    assert!(
        has_lib.is_ok_and(|s| s.success()),
        "python3 with the irc library is needed: pip install irc (or run .ci/run)"
    );
    let s = Server::start_irc(&[]);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/irc_library_client.py");
    run_checked(
        Command::new("python3")
            .arg(script)
            .arg(s.irc_addr().port().to_string())
            .arg(s.addr.port().to_string()),
        "irc_library_client.py",
    );
}
