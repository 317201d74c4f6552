//! Accounts over real sockets: registering a nickname, signing in and out,
//! changing and removing the password on the text and JSON faces; SASL
//! PLAIN and NickServ on IRC; registered names kept for their owners;
//! `--login-rate`; `--db` keeping accounts across a restart; and no
//! password in any log.

use crate::support::*;
use base64::Engine;
use serde_json::json;

fn plain(account: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("\0{account}\0{password}"))
}

/// No log line holds any of `secrets`.
fn logs_hold_none_of(s: &Server, secrets: &[&str]) {
    for line in s.log_lines() {
        for secret in secrets {
            assert!(!line.contains(secret), "a password reached the log: {line}");
        }
    }
}

#[test]
fn text_clients_register_sign_in_change_and_remove_accounts() {
    let s = Server::start(&[]);
    s.wait_log("accounts are kept in memory only");
    let mut alice = s.join("alice");
    alice.send("/register short");
    alice.expect("! bad-args: a password is 8 to 1024 bytes");
    alice.send("/register correct-horse");
    alice.expect("* registered the account alice; you are signed in");
    alice.expect("* this server keeps accounts in memory only: they are lost when it restarts");
    alice.send("/register correct-horse");
    alice.expect("! bad-args: you are signed in as alice; /logout first");
    drop(alice);

    // The name is kept for its owner.
    let mut bob = s.connect();
    bob.send("alice");
    bob.expect("! nick-registered: 'alice' is a registered name: /login alice PASSWORD, or choose another");
    bob.send("/login alice wrong-horse");
    bob.expect("! auth-failed: wrong account or password");
    bob.send("/login nobody wrong-horse");
    bob.expect("! auth-failed: wrong account or password");
    // Signing in before choosing a nickname takes the account's.
    bob.send("/login ALICE correct-horse");
    bob.expect("* alice joined (1 online)");
    bob.expect("* signed in as alice");
    bob.send("/who");
    bob.expect("* online (1): alice");
    bob.send("/whois alice");
    bob.expect("* alice: signed in as alice, in #lobby");

    bob.send("/password wrong-horse battery-staple");
    bob.expect("! auth-failed: wrong account or password");
    bob.send("/password correct-horse tiny");
    bob.expect("! bad-args: a password is 8 to 1024 bytes");
    bob.send("/password correct-horse battery-staple");
    bob.expect("* changed the password of alice");
    bob.send("/logout");
    bob.expect("* signed out of alice");
    bob.send("/logout");
    bob.expect("! needs-account: sign in first (/login NAME PASSWORD)");
    bob.send("/login alice correct-horse");
    bob.expect("! auth-failed: wrong account or password");
    bob.send("/login alice battery-staple");
    bob.expect("* signed in as alice");
    bob.send("/unregister wrong-horse");
    bob.expect("! auth-failed: wrong account or password");
    bob.send("/unregister battery-staple");
    bob.expect("* removed the account alice; you are signed out");
    drop(bob);

    // Gone: anyone may take the name again.
    let mut carol = s.connect();
    carol.send("alice");
    carol.expect("* alice joined (1 online)");
    logs_hold_none_of(&s, &["correct-horse", "battery-staple", "wrong-horse"]);
}

#[test]
fn lines_sent_while_a_password_is_checked_wait_their_turn() {
    let s = Server::start(&[]);
    let mut alice = s.join("alice");
    alice.send("/register correct-horse");
    alice.skip_until("* registered the account alice");
    alice.sync();
    // A guest in the way: signing in keeps the nickname it has.
    let mut c = s.join("c");
    c.send_raw(b"/login alice correct-horse\nhello after\n/who\n");
    c.expect("* signed in as alice");
    c.expect("[c] hello after");
    c.expect("* online (2): alice, c");
    alice.skip_until("[c] hello after");
}

#[test]
fn sign_in_attempts_are_limited_per_account_and_address() {
    let s = Server::start(&["--login-rate", "2/m"]);
    let mut a = s.join("a");
    for _ in 0..2 {
        a.send("/login someone wrong-horse");
        a.expect("! auth-failed: wrong account or password");
    }
    a.send("/login someone wrong-horse");
    a.expect("! auth-failed: too many sign-in attempts; try again in a minute");
    // The address is spent too: another account from here waits as well.
    let mut b = s.join("b");
    a.expect("* b joined (2 online)");
    b.send("/login other wrong-horse");
    b.expect("! auth-failed: too many sign-in attempts; try again in a minute");
    a.send("/register short");
    a.expect("! bad-args: a password is 8 to 1024 bytes");
    let long = "x".repeat(1025);
    a.send(&format!("/login someone {long}"));
    a.expect("! bad-args: passwords are at most 1024 bytes");
}

#[test]
fn json_clients_register_and_sign_in_with_packets() {
    let s = Server::start(&["--min-password", "10"]);
    let mut j = s.join_json("jo");
    j.send_json(&json!({"type": "register", "payload": {"password": "nine-char"}}));
    assert_eq!(j.json()["payload"]["message"], "a password is 10 to 1024 bytes");
    j.send_json(&json!({"type": "register", "payload": {"password": "ten-chars!"}}));
    assert_eq!(
        j.json(),
        json!({"type": "account", "payload": {"action": "registered", "account": "jo", "persistent": false}})
    );
    j.send_json(&json!({"type": "logout"}));
    assert_eq!(j.json(), json!({"type": "account", "payload": {"action": "signed-out", "account": "jo"}}));
    j.send_json(&json!({"type": "login", "payload": {"account": "jo"}}));
    assert_eq!(j.json()["payload"]["code"], "bad-args");
    j.send_json(&json!({"type": "login", "payload": {"account": "jo", "password": "ten-chars!"}}));
    assert_eq!(j.json(), json!({"type": "account", "payload": {"action": "signed-in", "account": "jo"}}));
    // A second connection before a nickname: registering needs one; signing
    // in works, and since jo holds the account's nickname k takes none.
    let mut k = s.connect();
    k.send_json(&json!({"type": "register", "payload": {"password": "ten-chars!"}}));
    assert_eq!(k.json()["payload"]["code"], "not-joined");
    k.send_json(&json!({"type": "login", "payload": {"account": "JO", "password": "ten-chars!"}}));
    assert_eq!(k.json(), json!({"type": "account", "payload": {"action": "signed-in", "account": "jo"}}));
    assert_eq!(k.sync_json(), Vec::<serde_json::Value>::new());
    assert_eq!(j.sync_json(), Vec::<serde_json::Value>::new(), "jo hears nothing of it");
    k.send_json(&json!({"type": "nick", "payload": "jo-phone"}));
    assert_eq!(k.json()["type"], "join");
}

#[test]
fn irc_clients_sign_in_with_sasl_plain_and_keep_a_registered_nickname() {
    let s = Server::start_irc(&["--allow-plain-auth"]);
    let mut owner = s.join("ann");
    owner.send("/register correct-horse");
    owner.skip_until("* registered the account ann");
    drop(owner);
    owner = s.join("witness");
    owner.sync();

    // Without SASL the registered name is refused, with a hint.
    let mut guest = Client::connect(s.irc_addr());
    guest.send("NICK ann");
    guest.send("USER ann 0 * :Ann");
    let refused = guest.irc_skip_until(" 433 ");
    assert!(refused.contains("433 * ann :Nickname is registered: sign in with SASL"), "{refused}");

    // Everything pipelined, as Goguma sends it: handled strictly in order.
    let mut c = Client::connect(s.irc_addr());
    let payload = plain("ann", "correct-horse");
    c.send_raw(
        format!(
            "CAP LS 302\r\nNICK ann\r\nUSER ann 0 * :Ann\r\nCAP REQ :sasl\r\nAUTHENTICATE PLAIN\r\nAUTHENTICATE {payload}\r\nCAP END\r\n"
        )
        .as_bytes(),
    );
    assert!(c.irc_line().contains(" LS :") && c.irc_line().contains("ACK :sasl"));
    assert_eq!(c.irc_line(), "AUTHENTICATE +");
    assert_eq!(c.irc_line(), ":linechat 900 * *!~ann@linechat ann :You are now logged in as ann");
    assert_eq!(c.irc_line(), ":linechat 903 * :SASL authentication successful");
    assert!(c.irc_line().starts_with(":linechat 001 ann :Welcome"));
    c.irc_skip_until(" 376 ");
    c.send("AUTHENTICATE PLAIN");
    assert_eq!(c.irc_line(), ":linechat 907 ann :You have already authenticated using SASL");
    c.send("WHOIS ann");
    let whois = c.irc_sync();
    assert!(whois.iter().any(|l| l == ":linechat 330 ann ann ann :is logged in as"), "{whois:?}");
    logs_hold_none_of(&s, &["correct-horse", &payload]);
}

#[test]
fn irc_sasl_refuses_what_it_should() {
    let s = Server::start_irc(&[]);
    let mut c = Client::connect(s.irc_addr());
    c.send("AUTHENTICATE PLAIN");
    assert_eq!(c.irc_line(), ":linechat 904 * :SASL authentication failed: CAP REQ sasl first");
    c.send("CAP REQ sasl");
    c.irc_line();
    // A plain port refuses PLAIN without --allow-plain-auth.
    c.send("AUTHENTICATE PLAIN");
    assert_eq!(
        c.irc_line(),
        ":linechat 904 * :SASL authentication failed: PLAIN needs TLS here (use the TLS port)"
    );
    drop(c);

    let s = Server::start_irc(&["--allow-plain-auth"]);
    let mut c = Client::connect(s.irc_addr());
    c.send("CAP REQ sasl");
    c.irc_line();
    c.send("AUTHENTICATE SCRAM-SHA-256");
    assert_eq!(c.irc_line(), ":linechat 908 * PLAIN,EXTERNAL :are available SASL mechanisms");
    assert_eq!(c.irc_line(), ":linechat 904 * :SASL authentication failed");
    c.send("AUTHENTICATE PLAIN");
    assert_eq!(c.irc_line(), "AUTHENTICATE +");
    c.send("AUTHENTICATE *");
    assert_eq!(c.irc_line(), ":linechat 906 * :SASL authentication aborted");
    c.send("AUTHENTICATE PLAIN");
    c.irc_line();
    c.send("AUTHENTICATE not-base64!");
    assert_eq!(c.irc_line(), ":linechat 904 * :SASL authentication failed");
    // Chunks of 400 mean more follows; past 4096 bytes it is too long.
    c.send("AUTHENTICATE PLAIN");
    c.irc_line();
    let chunk = "A".repeat(400);
    for _ in 0..11 {
        c.send(&format!("AUTHENTICATE {chunk}"));
    }
    let lines = c.irc_sync();
    assert_eq!(lines, [":linechat 905 * :SASL message too long"]);
    // A whole response in 400-byte chunks, the last one exactly 400, then `+`.
    let mut c = Client::connect(s.irc_addr());
    c.send("CAP REQ sasl");
    c.irc_line();
    let payload = plain("nobody", &"p".repeat(300 - 8));
    assert_eq!(payload.len(), 400);
    c.send("AUTHENTICATE PLAIN");
    c.irc_line();
    c.send(&format!("AUTHENTICATE {payload}"));
    c.send("AUTHENTICATE +");
    assert_eq!(c.irc_line(), ":linechat 904 * :SASL authentication failed");
}

#[test]
fn nickserv_registers_and_identifies_irc_clients() {
    let s = Server::start_irc(&[]);
    let mut c = s.irc_join("dave");
    c.send("PRIVMSG NickServ :HELP");
    let help = c.irc_sync();
    assert!(help[0].starts_with(":NickServ!NickServ@services NOTICE dave :NickServ keeps"), "{help:?}");
    c.send("PRIVMSG NickServ :REGISTER correct-horse");
    assert_eq!(
        c.irc_line(),
        ":NickServ!NickServ@services NOTICE dave :Account dave registered (this server keeps accounts in memory only)"
    );
    assert_eq!(c.irc_line(), ":linechat 900 dave dave!~dave@linechat dave :You are now logged in as dave");
    c.send("NICK NickServ");
    assert!(c.irc_line().contains(" 433 dave NickServ "));
    drop(c);

    // Back under another name: IDENTIFY takes the account's nickname.
    let mut c = s.irc_join("dave_");
    c.send("NS IDENTIFY dave wrong-horse");
    assert_eq!(c.irc_line(), ":NickServ!NickServ@services NOTICE dave_ :wrong account or password");
    c.send("PRIVMSG NickServ :IDENTIFY dave correct-horse");
    assert_eq!(c.irc_line(), ":dave_!~dave_@linechat NICK :dave");
    assert_eq!(c.irc_line(), ":NickServ!NickServ@services NOTICE dave :You're now logged in as dave");
    assert_eq!(c.irc_line(), ":linechat 900 dave dave!~dave_@linechat dave :You are now logged in as dave");
    // account-notify: someone sharing a room hears of it.
    let mut w = Client::connect(s.irc_addr());
    w.send("CAP REQ :account-notify");
    w.send("NICK watcher");
    w.send("USER w 0 * :w");
    w.send("CAP END");
    w.irc_skip_until(" 376 ");
    w.send("JOIN #room");
    w.irc_sync();
    c.send("JOIN #room");
    c.irc_skip_until(" 366 ");
    w.irc_skip_until(" JOIN ");
    c.send("NICKSERV LOGOUT");
    assert_eq!(c.irc_line(), ":NickServ!NickServ@services NOTICE dave :You're now logged out");
    assert_eq!(c.irc_line(), ":linechat 901 dave dave!~dave_@linechat :You are now logged out");
    assert_eq!(w.irc_line(), ":dave!~dave_@linechat ACCOUNT *");
    c.send("NS IDENTIFY correct-horse");
    c.irc_skip_until(" 900 ");
    assert_eq!(w.irc_line(), ":dave!~dave_@linechat ACCOUNT dave");
    c.send("PRIVMSG NickServ :FROB");
    assert!(c.irc_line().contains(":Unknown command or wrong arguments: FROB"));
    logs_hold_none_of(&s, &["correct-horse", "wrong-horse"]);
}

#[cfg(feature = "db")]
#[test]
fn db_keeps_accounts_across_a_restart() {
    let db = db_path("accounts");
    let s = Server::start(&["--db", &db]);
    let mut a = s.join("erin");
    a.send("/register correct-horse");
    a.expect("* registered the account erin; you are signed in");
    drop(a);
    drop(s);
    let s = Server::start(&["--db", &db]);
    s.wait_log("1 accounts read back");
    let mut b = s.connect();
    b.send("erin");
    b.expect("! nick-registered: 'erin' is a registered name: /login erin PASSWORD, or choose another");
    b.send("/login erin correct-horse");
    b.expect("* erin joined (1 online)");
    b.expect("* signed in as erin");
    drop(s);
    let mut file = std::fs::read(&db).unwrap();
    file.extend(std::fs::read(format!("{db}-wal")).unwrap_or_default());
    let text = String::from_utf8_lossy(&file);
    assert!(text.contains("$argon2id$v=19$m=19456,t=2,p=1$"), "stored as an argon2id PHC string");
    assert!(!text.contains("correct-horse"));
}

/// A `--jwt-secret` file for one test.
fn secret_file(name: &str) -> String {
    let path = std::env::temp_dir().join(format!("linechat-test-{}-{name}.secret", std::process::id()));
    std::fs::write(&path, "a site's secret, long enough\n").unwrap();
    path.display().to_string()
}

#[test]
fn tokens_minted_by_the_site_sign_clients_in_on_every_lines_transport() {
    let secret = secret_file("jwt");
    let s = Server::start_web(&["--jwt-secret", &secret]);
    let mint = |claims: serde_json::Value| mint_jwt(&secret, &claims, "HS256");

    // Text, before a nickname: the token's nick, then its rooms.
    let token = mint(json!({"sub": "Frank", "exp": "+60", "nick": "frankie", "rooms": ["#site"]}));
    let mut t = s.connect();
    t.send(&format!("/login-token {token}"));
    t.expect("* frankie joined (1 online)");
    t.expect("* frankie joined #site (1 online)");
    t.expect("* signed in as Frank");

    // JSON: a login packet with the token; no account row is needed.
    let mut j = s.connect();
    let token = mint(json!({"sub": "gina", "exp": "+60"}));
    j.send_json(&json!({"type": "login", "payload": {"token": token}}));
    assert_eq!(j.json()["type"], "join");
    assert_eq!(j.json(), json!({"type": "account", "payload": {"action": "signed-in", "account": "gina"}}));

    // WebSocket: ?token= on the URL signs in at once, in JSON.
    let token = mint(json!({"sub": "hal", "exp": "+60"}));
    let addr = s.web_addr();
    let stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    let (mut ws, _) =
        tungstenite::client(format!("ws://{addr}/ws?token={token}"), stream).expect("handshake");
    assert_eq!(crate::support::ws::ws_text(&mut ws), WELCOME);
    let join = crate::support::ws::ws_json(&mut ws);
    assert_eq!(join["payload"]["nick"], "hal", "{join}");
    let account = crate::support::ws::ws_json(&mut ws);
    assert_eq!(account, json!({"type": "account", "payload": {"action": "signed-in", "account": "hal"}}));

    // Forged, expired, unsigned and other-key tokens: auth-failed and nothing else.
    let other = secret_file("jwt-other");
    std::fs::write(&other, "another secret, long enough too\n").unwrap();
    let bad = [
        mint(json!({"sub": "mallory", "exp": "-10"})),
        mint_jwt(&other, &json!({"sub": "mallory", "exp": "+60"}), "HS256"),
        mint_jwt(&secret, &json!({"sub": "mallory", "exp": "+60"}), "none"),
        mint(json!({"sub": "mallory"})),
        "not.a.token".to_string(),
    ];
    let mut m = s.connect();
    for token in &bad {
        m.send(&format!("/login-token {token}"));
        m.expect("! auth-failed: bad or expired token");
    }
    assert_eq!(m.sync(), Vec::<String>::new(), "nothing else came");
    m.send("mallory");
    m.expect("* mallory joined (3 online)");
    logs_hold_none_of(&s, &["long enough"]);
}
