//! Runs the nc scripts in tests/nc/ against a fresh server each, as users
//! script linechat. They need `nc` (Debian: netcat-openbsd), which `.ci/run`
//! installs; without it this test fails rather than pretend to pass.

use crate::support::*;
use std::process::Command;

fn run_script(name: &str) {
    run_script_with(name, &[]);
}

fn run_script_with(name: &str, args: &[&str]) {
    let has_nc = Command::new("sh").args(["-c", "command -v nc"]).output().is_ok_and(|o| o.status.success());
    assert!(has_nc, "nc is not installed: apt-get install -y netcat-openbsd (or run .ci/run)");
    let s = Server::start(args);
    let script = format!("{}/tests/nc/{name}.sh", env!("CARGO_MANIFEST_DIR"));
    run_checked(
        Command::new("bash").arg(&script).env("LINECHAT_PORT", s.addr.port().to_string()),
        &format!("{name}.sh"),
    );
}

#[test]
fn nc_solo_session() {
    run_script("solo");
}

#[test]
fn nc_two_users() {
    run_script("two_users");
}

#[test]
fn nc_json_echo() {
    run_script("json_echo");
}

#[test]
fn nc_text_and_json_clients() {
    run_script("text_and_json");
}

#[test]
fn nc_errors() {
    run_script("errors");
}

#[test]
fn nc_rooms_readme_example() {
    run_script("rooms");
}

#[cfg(feature = "lua")]
#[test]
fn nc_example_handlers() {
    let examples = format!("{}/examples/handlers", env!("CARGO_MANIFEST_DIR"));
    run_script_with("handlers", &["--handlers", &examples]);
}
