//! irssi (Debian's) driven in tmux against the IRC port (plain, and TLS
//! with the certificate verified), with an nc-style client on the chat
//! port: connect, join #lobby, see the nc user's line, answer, /part,
//! /quit, all asserted from what irssi shows on its screen.
//! `.ci/run` installs irssi and tmux; without them this test fails with the
//! install command rather than pass without running.

use crate::support::tmux::Tmux;
use crate::support::*;
use std::process::Command;

fn require_irssi() {
    let have = |tool: &str| Command::new("sh").args(["-c", &format!("command -v {tool}")]).status();
    assert!(
        have("irssi").is_ok_and(|s| s.success()) && have("tmux").is_ok_and(|s| s.success()),
        "irssi and tmux are needed: apt-get install -y irssi tmux (or run .ci/run)"
    );
}

/// An irssi home with a config naming no servers or scripts, so irssi
/// starts straight away.
fn irssi_home(name: &str) -> std::path::PathBuf {
    let home = std::env::temp_dir().join(format!("linechat-irssi-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join("config"), "settings = { core = { real_name = \"irssi user\"; }; };\n").unwrap();
    home
}

/// The part every irssi session shares: join #lobby, talk both ways with
/// the nc user, act, part, come back and quit.
fn chat_in_lobby(irssi: &Tmux, nc: &mut Client) {
    irssi.type_line("/join #lobby");
    nc.expect("* irssiuser joined (2 online)");
    irssi.wait_for("has joined #lobby");
    nc.send("hello irssi");
    nc.expect("[ncuser] hello irssi");
    irssi.wait_for("ncuser> hello irssi");
    irssi.type_line("hi from irssi");
    nc.expect("[irssiuser] hi from irssi");
    irssi.type_line("/me waves");
    nc.expect("* irssiuser waves");
    irssi.type_line("/part #lobby");
    nc.expect("* irssiuser left (1 online)");
    irssi.type_line("/join #lobby");
    nc.expect("* irssiuser joined (2 online)");
    irssi.type_line("/quit see you");
    nc.expect("* irssiuser left (1 online)");
    eventually("irssi to exit after /quit", || !irssi.is_running());
}

#[test]
fn irssi_joins_lobby_and_chats_with_an_nc_user() {
    require_irssi();
    let s = Server::start_irc(&[]);
    let mut nc = s.join("ncuser");
    let home = irssi_home("plain");
    let port = s.irc_addr().port();
    let irssi = Tmux::start(
        &format!("linechat-irssi-{port}"),
        &format!("TERM=xterm irssi --home={} -n irssiuser -c 127.0.0.1 -p {port}", home.display()),
    );
    irssi.wait_for("Welcome to linechat, irssiuser");
    chat_in_lobby(&irssi, &mut nc);
    let _ = std::fs::remove_dir_all(&home);
}

#[cfg(feature = "tls")]
#[test]
fn irssi_over_tls_verifies_the_certificate_and_chats() {
    require_irssi();
    let certs = crate::support::tls::TestCerts::new("irssi");
    let s = crate::support::tls::start_with_certs(&certs, &["--ircs-listen", "127.0.0.1:0"]);
    let mut nc = s.join("ncuser");
    let home = irssi_home("tls");
    let port = s.secure.ircs.unwrap().port();
    let irssi = Tmux::start(
        &format!("linechat-irssi-tls-{port}"),
        &format!("TERM=xterm irssi --home={} -n irssiuser", home.display()),
    );
    irssi.wait_for("Irssi");
    irssi
        .type_line(&format!("/connect -tls -tls_verify -tls_cafile {} localhost {port}", certs.ca.display()));
    irssi.wait_for("Welcome to linechat, irssiuser");
    chat_in_lobby(&irssi, &mut nc);
    let _ = std::fs::remove_dir_all(&home);
}

/// The NickServ flow as an irssi user lives it: register the nickname with
/// `/msg NickServ REGISTER`, come back to find it protected (irssi takes
/// its alternate nickname on 433), and `/msg NickServ IDENTIFY` to get it
/// back; an nc user cannot take the name and then meets irssi under it.
#[test]
fn irssi_registers_and_identifies_with_nickserv() {
    require_irssi();
    let s = Server::start_irc(&[]);
    let home = irssi_home("nickserv");
    // NickServ's answers in the window the test reads, not a query window.
    std::fs::write(
        home.join("config"),
        "settings = { core = { real_name = \"irssi user\"; }; \"fe-common/core\" = { autocreate_own_query = \"no\"; }; };\n",
    )
    .unwrap();
    let port = s.irc_addr().port();
    let start = |session: &str| {
        Tmux::start(
            &format!("linechat-irssi-ns-{session}-{port}"),
            &format!("TERM=xterm irssi --home={} -n nsuser -c 127.0.0.1 -p {port}", home.display()),
        )
    };
    let irssi = start("a");
    irssi.wait_for("Welcome to linechat, nsuser");
    irssi.type_line("/msg NickServ REGISTER correct-horse");
    irssi.wait_for("Account nsuser registered");
    irssi.type_line("/quit");
    eventually("irssi to exit after /quit", || !irssi.is_running());

    let mut nc = s.join("ncuser");
    nc.send("/nick nsuser");
    nc.expect("! nick-registered: 'nsuser' is a registered name: /login nsuser PASSWORD, or choose another");
    let irssi = start("b");
    irssi.wait_for("Welcome to linechat, nsuser_");
    irssi.type_line("/msg NickServ IDENTIFY nsuser wrong-horse");
    irssi.wait_for("wrong account or password");
    irssi.type_line("/msg NickServ IDENTIFY nsuser correct-horse");
    irssi.wait_for("You're now logged in as nsuser");
    irssi.type_line("/join #lobby");
    nc.expect("* nsuser joined (2 online)");
    irssi.type_line("hello as myself");
    nc.expect("[nsuser] hello as myself");
    irssi.type_line("/quit");
    eventually("irssi to exit after /quit", || !irssi.is_running());
    let _ = std::fs::remove_dir_all(&home);
}

/// irssi over TLS signing in with SASL PLAIN while it connects (its
/// `/network add -sasl_*`), the certificate verified; the account was
/// registered by an nc user first.
#[cfg(feature = "tls")]
#[test]
fn irssi_over_tls_signs_in_with_sasl() {
    require_irssi();
    let certs = crate::support::tls::TestCerts::new("irssisasl");
    let s = crate::support::tls::start_with_certs(&certs, &["--ircs-listen", "127.0.0.1:0"]);
    let mut owner = s.join("sasluser");
    owner.send("/register correct-horse");
    owner.skip_until("* registered the account sasluser");
    owner.send("/nick someoneelse");
    owner.skip_until("* sasluser is now known as someoneelse");
    let home = irssi_home("sasl");
    let port = s.secure.ircs.unwrap().port();
    let irssi = Tmux::start(
        &format!("linechat-irssi-sasl-{port}"),
        &format!("TERM=xterm irssi --home={} -n sasluser", home.display()),
    );
    irssi.wait_for("Irssi");
    irssi.type_line(
        "/network add -sasl_mechanism PLAIN -sasl_username sasluser -sasl_password correct-horse lc",
    );
    irssi.type_line(&format!(
        "/server add -network lc -tls -tls_verify -tls_cafile {} localhost {port}",
        certs.ca.display()
    ));
    irssi.type_line("/connect lc");
    irssi.wait_for("You are now logged in as sasluser");
    irssi.wait_for("Welcome to linechat, sasluser");
    // Signed in: WHOIS from another user says so.
    let mut nc = s.join("ncuser");
    nc.send("/whois sasluser");
    nc.expect("* sasluser: signed in as sasluser, in no room");
    irssi.type_line("/quit");
    eventually("irssi to exit after /quit", || !irssi.is_running());
    let _ = std::fs::remove_dir_all(&home);
}

/// irssi over TLS with a client certificate signing in with SASL
/// EXTERNAL (no password): an nc user registered the account and listed
/// the certificate's fingerprint with `/certfp add`.
#[cfg(feature = "tls")]
#[test]
fn irssi_signs_in_with_its_client_certificate() {
    require_irssi();
    let certs = crate::support::tls::TestCerts::new("irssiexternal");
    let s = crate::support::tls::start_with_certs(&certs, &["--ircs-listen", "127.0.0.1:0"]);
    let (fp, _) = certs.client_identity("extuser");
    let mut owner = s.join("extuser");
    owner.send("/register correct-horse");
    owner.skip_until("* registered the account extuser");
    owner.send(&format!("/certfp add {fp}"));
    owner.skip_until("* certificate fingerprints of extuser (1):");
    owner.send("/nick someoneelse");
    owner.skip_until("* extuser is now known as someoneelse");
    let home = irssi_home("external");
    let port = s.secure.ircs.unwrap().port();
    let irssi = Tmux::start(
        &format!("linechat-irssi-external-{port}"),
        &format!("TERM=xterm irssi --home={} -n extuser", home.display()),
    );
    irssi.wait_for("Irssi");
    irssi.type_line("/network add -sasl_mechanism EXTERNAL lc");
    let file = |f: &str| certs.dir.join(f).display().to_string();
    irssi.type_line(&format!(
        "/server add -network lc -tls -tls_verify -tls_cafile {} -tls_cert {} -tls_pkey {} localhost {port}",
        certs.ca.display(),
        file("extuser-client.pem"),
        file("extuser-client.key"),
    ));
    irssi.type_line("/connect lc");
    irssi.wait_for("You are now logged in as extuser");
    irssi.wait_for("Welcome to linechat, extuser");
    let mut nc = s.join("ncuser");
    nc.send("/whois extuser");
    nc.expect("* extuser: signed in as extuser, in no room");
    irssi.type_line("/quit");
    eventually("irssi to exit after /quit", || !irssi.is_running());
    let _ = std::fs::remove_dir_all(&home);
}
