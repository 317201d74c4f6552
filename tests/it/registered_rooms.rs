//! Registered rooms over real sockets: `/claim` by a signed-in operator,
//! the room's modes, bans, ranks and topic kept while it is empty and
//! across a `--db` restart, ranks given back by ChanServ on entering, the
//! refusals, the JSON packets and IRC's CLAIM and ChanServ; K-lines kept
//! across a restart.

use crate::support::*;
use serde_json::json;

/// A signed-in client `nick` (password `correct-horse`) in the default room.
fn signed_in(s: &Server, nick: &str) -> Client {
    let mut c = s.join(nick);
    c.send("/register correct-horse");
    c.skip_until(&format!("* registered the account {nick}; you are signed in"));
    c.send("/ping ready");
    c.skip_until("* pong ready");
    c
}

/// Leaves the server, its nickname free once this returns.
fn bye(mut c: Client) {
    c.send("/bye");
    c.skip_until("* bye");
    c.expect_closed();
}

/// `nick` signs in again (a new connection) and enters `room`.
fn back(s: &Server, nick: &str, room: &str) -> Client {
    let mut c = s.connect();
    c.send(&format!("/login {nick} correct-horse"));
    c.skip_until(&format!("* signed in as {nick}"));
    c.send(&format!("/join {room}"));
    c.skip_until(&format!("* {nick} joined {room}"));
    c
}

#[test]
fn a_claimed_room_keeps_its_rules_and_ranks_when_empty() {
    let s = Server::start_web(&[]);
    let mut guest = s.join("guest");
    guest.send("/join #rust");
    guest.skip_until("* guest joined #rust (1 online)");
    guest.send("/claim");
    guest.expect("! needs-account: sign in first (/login NAME PASSWORD)");
    guest.send("/part");
    guest.skip_until("* guest joined (");

    let mut alice = signed_in(&s, "alice");
    alice.send("/claim");
    alice.expect("! bad-args: #lobby is the server's default room: only server operators moderate it, and it cannot be registered");
    alice.send("/join #rust");
    alice.expect("* alice joined #rust (1 online)");
    let mut bob = signed_in(&s, "bob");
    bob.send("/join #rust");
    bob.skip_until("* bob joined #rust (2 online)");
    alice.expect("* bob joined #rust (2 online)");
    bob.send("/claim");
    bob.expect("! not-operator: only operators of #rust may do that");
    bob.send("/unclaim");
    bob.expect("! bad-args: #rust is not registered");
    alice.send("/claim");
    alice.expect("* #rust is now registered to alice: its modes, bans, operators and topic are kept");
    alice.send("/claim #rust");
    alice.expect("! bad-args: #rust is already registered to alice");
    bob.send("/unclaim");
    bob.expect(
        "! bad-args: only alice, who registered #rust, or a server operator can drop its registration",
    );

    // Rules, a topic and ranks, then everyone leaves: the room ends.
    alice.send("/mode +mt");
    alice.expect("* alice set mode +mt on #rust");
    alice.send("/topic Rust and more");
    alice.expect("* alice set the topic for #rust: Rust and more");
    alice.send("/voice bob");
    alice.expect("* alice set mode +v bob on #rust");
    alice.send("/ban eve 1h spam");
    assert!(alice.skip_until("* alice banned eve!*@* in #rust").ends_with("(spam)"));
    bob.send("/ping sync");
    bob.skip_until("* pong sync");
    drop(bob);
    alice.skip_until("* bob left #rust");
    alice.send("/part");
    alice.skip_until("* alice joined (");
    alice.send("/rooms");
    alice.skip_until("* rooms (1):");

    // A guest makes it again: not its operator; the rules hold.
    guest.send("/join #rust");
    guest.skip_until("* guest joined #rust (1 online)");
    guest.expect("* topic for #rust: Rust and more");
    guest.send("/mode");
    guest.expect("* modes of #rust: +mnt");
    guest.send("hello?");
    guest.expect("! cannot-speak: you cannot speak in #rust (it is moderated, or you are muted)");
    guest.send("/mode -m");
    guest.expect("! not-operator: only operators of #rust may do that");
    let mut eve = s.join("eve");
    eve.send("/join #rust");
    eve.expect("! banned: you are banned from #rust");

    // The founder and the voiced account get their ranks back from ChanServ.
    bye(alice);
    let mut alice = back(&s, "alice", "#rust");
    alice.expect("* ChanServ set mode +o alice on #rust");
    guest.skip_until("* ChanServ set mode +o alice on #rust");
    let mut bob = back(&s, "bob", "#rust");
    bob.expect("* ChanServ set mode +v bob on #rust");
    bob.expect("* topic for #rust: Rust and more");
    bob.send("voiced again");
    bob.expect("[bob] voiced again");
    alice.send("/names");
    alice.skip_until("* members of #rust (3): @alice, +bob, guest");
    // Taking a rank is remembered too.
    alice.send("/devoice bob");
    alice.skip_until("* alice set mode -v bob on #rust");
    bye(bob);
    let mut bob = back(&s, "bob", "#rust");
    bob.expect("* topic for #rust: Rust and more");
    bob.send("still voiced?");
    bob.expect("! cannot-speak: you cannot speak in #rust (it is moderated, or you are muted)");

    // The founder gives it up: the room keeps its live rules, nothing is kept.
    alice.send("/unclaim");
    alice.skip_until("* #rust is no longer registered");
    assert_eq!(metric(&s, "linechat_registered_rooms"), 0.0);
}

#[test]
fn json_and_irc_clients_claim_rooms_and_chanserv_gives_ranks() {
    let s = Server::start_irc(&[]);
    let mut j = s.join_json("jo");
    j.send_json(&json!({"type": "register", "payload": {"password": "correct-horse"}}));
    j.json_skip_until("account");
    j.send_json(&json!({"type": "join", "payload": {"room": "#json"}}));
    j.json_skip_until("join");
    j.send_json(&json!({"type": "claim"}));
    let claimed = j.json_skip_until("claim");
    assert_eq!(claimed["payload"], json!({"room": "#json", "account": "jo"}));
    j.send_json(&json!({"type": "claim", "payload": "#json"}));
    let refused = j.json_skip_until("error");
    assert_eq!(refused["payload"]["code"], "bad-args");
    j.send_json(&json!({"type": "unclaim", "payload": "#json"}));
    assert_eq!(j.json_skip_until("claim")["payload"], json!({"room": "#json", "account": null}));

    let mut irc = s.irc_join("ivy");
    irc.send("PRIVMSG NickServ :REGISTER correct-horse");
    irc.irc_skip_until(":NickServ!NickServ@services NOTICE ivy :Account ivy registered");
    irc.send("JOIN #irc");
    irc.irc_skip_until(" 366 ivy #irc ");
    irc.send("PRIVMSG ChanServ :HELP");
    assert_eq!(irc.irc_line(), ":ChanServ!ChanServ@services NOTICE ivy :ChanServ keeps registered rooms: their modes, bans, operators and topic. Commands:");
    irc.irc_skip_until("NOTICE ivy :DROP #ROOM");
    irc.send("PRIVMSG ChanServ :REGISTER #irc");
    assert_eq!(irc.irc_line(), ":ChanServ!ChanServ@services NOTICE * :#irc is now registered to ivy: its modes, bans, operators and topic are kept");
    irc.send("CLAIM #irc");
    assert_eq!(irc.irc_line(), ":ChanServ!ChanServ@services NOTICE ivy :#irc is already registered to ivy");
    irc.send("PRIVMSG ChanServ :FLY");
    assert_eq!(irc.irc_line(), ":ChanServ!ChanServ@services NOTICE ivy :Unknown command or wrong arguments: FLY. /msg ChanServ HELP lists the commands");
    irc.send("PART #irc");
    irc.irc_skip_until(" PART #irc");
    // Back in the emptied room: ChanServ gives the founder its operator rank.
    irc.send("JOIN #irc");
    irc.irc_skip_until(" JOIN #irc");
    assert_eq!(irc.irc_line(), ":ChanServ!ChanServ@linechat MODE #irc +o ivy");
    irc.send("NAMES #irc");
    irc.irc_skip_until("353 ivy = #irc :@ivy");
    let mut guest = s.irc_join("gus");
    guest.send("JOIN #irc");
    guest.irc_skip_until(" 366 gus #irc ");
    guest.send("UNCLAIM #irc");
    assert_eq!(guest.irc_line(), ":ChanServ!ChanServ@services NOTICE gus :only ivy, who registered #irc, or a server operator can drop its registration");
    guest.send("CLAIM #irc");
    assert_eq!(
        guest.irc_line(),
        ":ChanServ!ChanServ@services NOTICE gus :sign in first (/login NAME PASSWORD)"
    );
    irc.send("PRIVMSG ChanServ :DROP #irc");
    irc.irc_skip_until(":ChanServ!ChanServ@services NOTICE * :#irc is no longer registered");
}

#[cfg(feature = "db")]
#[test]
fn db_keeps_registered_rooms_and_klines_across_a_restart() {
    let db = db_path("registered-rooms");
    let opers = oper_file("registered-opers");
    let s = Server::start(&["--db", &db, "--oper-file", &opers]);
    let mut alice = signed_in(&s, "alice");
    alice.send("/join #keep");
    alice.skip_until("* alice joined #keep (1 online)");
    alice.send("/claim");
    alice.skip_until("* #keep is now registered to alice");
    alice.send("/mode +tk sesame");
    alice.skip_until("* alice set mode +tk sesame on #keep");
    alice.send("/topic kept across restarts");
    alice.skip_until("* alice set the topic for #keep: kept across restarts");
    alice.send("/ban mallory");
    alice.skip_until("* alice banned mallory!*@* in #keep");
    alice.send("/oper admin operator-pw");
    alice.skip_until("* you are now a server operator (admin)");
    alice.send("/kline 127.0.0.2 refused");
    alice.skip_until("* K-line on 127.0.0.2");
    drop(alice);
    drop(s);

    let s = Server::start(&["--db", &db, "--oper-file", &opers]);
    s.wait_log("1 registered rooms and 1 K-lines read back");
    let mut far = Client::connect_from(s.addr, "127.0.0.2".parse().unwrap());
    far.expect("! banned: you are banned from this server (refused)");
    far.expect_closed();
    let mut mallory = s.join("mallory");
    mallory.send("/join #keep sesame");
    mallory.expect("! banned: you are banned from #keep");
    let mut guest = s.join("guest");
    guest.send("/join #keep");
    guest.expect("! bad-key: #keep needs the right key: /join #keep KEY");
    guest.send("/join #keep sesame");
    guest.expect("* guest joined #keep (1 online)");
    guest.expect("* topic for #keep: kept across restarts");
    guest.send("/topic mine");
    guest.expect("! not-operator: only operators of #keep may do that");
    let mut alice = s.connect();
    alice.send("/login alice correct-horse");
    alice.skip_until("* signed in as alice");
    alice.send("/join #keep sesame");
    alice.skip_until("* alice joined #keep (2 online)");
    alice.expect("* ChanServ set mode +o alice on #keep");
    drop(s);
    let rows = std::process::Command::new("sqlite3")
        .args([
            &db,
            "SELECT name, founder, modes, room_key FROM registered_rooms; SELECT mask, reason FROM klines",
        ])
        .output()
        .expect("sqlite3");
    assert_eq!(String::from_utf8_lossy(&rows.stdout), "#keep|alice|nt|sesame\n127.0.0.2|refused\n");
}
