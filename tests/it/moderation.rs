//! Room moderation over real sockets: the creator is the room's operator;
//! ops, voices, kicks, bans (with expiry) and mutes, invites and modes on
//! the text, JSON and IRC faces, each refusal with its code or numeric.

use crate::support::*;
use serde_json::json;

/// `alice` creates #rust (its operator) and `bob` joins it.
fn room_with_two(s: &Server) -> (Client, Client) {
    let mut alice = s.join("alice");
    alice.send("/join #rust");
    alice.skip_until("* alice joined #rust (1 online)");
    let mut bob = s.join("bob");
    bob.send("/join #rust");
    bob.skip_until("* bob joined #rust (2 online)");
    alice.skip_until("* bob joined #rust (2 online)");
    (alice, bob)
}

#[test]
fn text_operators_kick_ban_mute_and_set_modes() {
    let s = Server::start(&[]);
    let (mut alice, mut bob) = room_with_two(&s);
    // Only operators moderate.
    bob.send("/kick alice");
    bob.expect("! not-operator: only operators of #rust may do that");
    bob.send("/mode +m");
    bob.expect("! not-operator: only operators of #rust may do that");

    // +m: only operators and voiced speak.
    alice.send("/mode +m");
    alice.expect("* alice set mode +m on #rust");
    bob.expect("* alice set mode +m on #rust");
    bob.send("can I speak?");
    bob.expect("! cannot-speak: you cannot speak in #rust (it is moderated, or you are muted)");
    alice.send("/voice bob");
    alice.expect("* alice set mode +v bob on #rust");
    bob.expect("* alice set mode +v bob on #rust");
    bob.send("now I can");
    bob.expect("[bob] now I can");
    alice.expect("[bob] now I can");
    alice.send("/mode -m+t");
    alice.expect("* alice set mode -m+t on #rust");
    bob.expect("* alice set mode -m+t on #rust");
    bob.send("/topic mine");
    bob.expect("! not-operator: only operators of #rust may do that");
    alice.send("/mode");
    alice.expect("* modes of #rust: +nt");
    alice.send("/names");
    alice.expect("* members of #rust (2): @alice, +bob");
    alice.send("/mode +x");
    alice.expect("! bad-args: unknown mode 'x'; modes are i k l m n t s R o v b");
    alice.send("/mode +k");
    alice.expect("! bad-args: usage: +k KEY (at most 64 bytes, no commas)");

    // A mute with a time, then lifted.
    alice.send("/mute bob 10m");
    let muted = alice.line();
    assert!(muted.starts_with("* alice muted bob!*@* in #rust until ") && muted.ends_with(" UTC"), "{muted}");
    bob.line();
    bob.send("muted?");
    bob.expect("! cannot-speak: you cannot speak in #rust (it is moderated, or you are muted)");
    alice.send("/bans");
    alice.expect("* bans and mutes in #rust (1):");
    assert!(alice.line().starts_with("* mute bob!*@* by alice until "));
    alice.send("/unmute bob");
    alice.expect("* alice lifted the mute on bob!*@* in #rust");
    bob.expect("* alice lifted the mute on bob!*@* in #rust");

    // Kick: a text client goes back to the default room.
    alice.send("/kick bob enough");
    alice.expect("* alice kicked bob from #rust (enough)");
    bob.expect("* alice kicked bob from #rust (enough)");
    bob.expect("* bob joined (1 online)");
    // Ban: bob cannot come back, until unbanned.
    alice.send("/ban bob 1h spam");
    assert!(alice.line().starts_with("* alice banned bob!*@* in #rust until "));
    bob.send("/join #rust");
    bob.expect("! banned: you are banned from #rust");
    alice.send("/ban *");
    alice.expect("! bad-args: that mask matches everyone; use +i or +R to close a room");
    alice.send(&format!("/ban {}", "x".repeat(200)));
    alice.expect("! bad-args: a mask is 1 to 100 bytes");
    alice.send("/unban bob");
    alice.expect("* alice lifted the ban on bob!*@* in #rust");
    // +i: only the invited; +k and +l.
    alice.send("/mode +i");
    alice.line();
    bob.send("/join #rust");
    bob.expect("! invite-only: #rust is invite only");
    alice.send("/invite bob");
    alice.expect("* alice invited bob to #rust");
    bob.expect("* alice invited bob to #rust");
    bob.send("/join #rust");
    bob.skip_until("* bob joined #rust (2 online)");
    alice.skip_until("* bob joined #rust (2 online)");
    bob.send("/part");
    bob.skip_until("* bob joined (");
    alice.send("/mode -i+k sesame");
    alice.skip_until("* alice set mode -i+k sesame on #rust");
    bob.send("/join #rust");
    bob.expect("! bad-key: #rust needs the right key: /join #rust KEY");
    bob.send("/join #rust sesame");
    bob.skip_until("* bob joined #rust (2 online)");
    bob.send("/part");
    bob.skip_until("* bob joined (");
    alice.send("/mode -k");
    alice.skip_until("* alice set mode -k * on #rust");
    alice.send("/mode +l 1");
    alice.expect("* alice set mode +l 1 on #rust");
    bob.send("/join #rust");
    bob.expect("! room-full: #rust is full");
    // The default room: no operators there.
    bob.send("/kick alice");
    bob.expect("! not-operator: only operators of #lobby may do that");
}

#[test]
fn json_clients_see_moderation_events_only_once_asked_but_always_their_leave() {
    let s = Server::start(&[]);
    let mut op = s.join_json("op");
    op.send_json(&json!({"type": "join", "payload": "#r"}));
    op.json();
    let mut plain = s.join_json("plain");
    plain.send_json(&json!({"type": "join", "payload": "#r"}));
    plain.json();
    op.json();
    let mut modern = s.join_json("modern");
    modern.send_json(&json!({"type": "caps", "payload": ["moderation"]}));
    assert_eq!(modern.json(), json!({"type": "caps", "payload": ["moderation"]}));
    modern.send_json(&json!({"type": "join", "payload": {"room": "#r"}}));
    modern.json();
    op.send_json(&json!({"type": "mode", "payload": {"room": "#r", "modes": "+m"}}));
    assert_eq!(modern.json(), json!({"type": "mode", "payload": {"room": "#r", "by": "op", "modes": "+m"}}));
    op.send_json(&json!({"type": "kick", "payload": {"room": "#r", "nick": "plain", "reason": "test"}}));
    assert_eq!(
        modern.json(),
        json!({"type": "kick", "payload": {"room": "#r", "by": "op", "nick": "plain", "reason": "test"}})
    );
    assert_eq!(
        modern.json(),
        json!({"type": "leave", "payload": {"nick": "plain", "online": 2, "room": "#r"}})
    );
    // The client without the capability saw only its leave, as before.
    let seen = plain.sync_json();
    let types: Vec<&str> = seen.iter().filter_map(|v| v["type"].as_str()).collect();
    assert_eq!(types, ["join", "join", "leave"], "modern's joins, then its own leave: {seen:?}");
    op.send_json(&json!({"type": "ban", "payload": {"room": "#r", "mask": "plain", "duration": "5m"}}));
    let ban = modern.json();
    assert_eq!(ban["type"], "ban");
    assert_eq!(ban["payload"]["mask"], "plain!*@*");
    assert!(ban["payload"]["until"].as_str().unwrap().ends_with('Z'));
    plain.send_json(&json!({"type": "join", "payload": "#r"}));
    assert_eq!(plain.json()["payload"]["code"], "banned");
    op.sync_json();
    op.send_json(&json!({"type": "members", "payload": "#r"}));
    assert_eq!(
        op.json(),
        json!({"type": "members", "payload": {"room": "#r", "members": [
            {"nick": "modern", "op": false, "voice": false}, {"nick": "op", "op": true, "voice": false}]}})
    );
    op.send_json(&json!({"type": "bans", "payload": "#r"}));
    let bans = op.json();
    assert_eq!(bans["payload"]["bans"][0]["mask"], "plain!*@*");
    op.send_json(&json!({"type": "kick", "payload": {"room": "#r"}}));
    assert_eq!(op.json()["payload"]["code"], "bad-args");
}

#[test]
fn irc_operators_moderate_with_mode_kick_and_invite() {
    let s = Server::start_irc(&[]);
    let mut op = s.irc_join("opal");
    op.send("CAP REQ :multi-prefix");
    op.irc_sync();
    op.send("JOIN #irc");
    let names = op.irc_skip_until(" 353 ");
    assert_eq!(names, ":linechat 353 opal = #irc :@opal", "the creator is the operator");
    op.irc_skip_until(" 366 ");
    let mut user = s.irc_join("usr");
    user.send("JOIN #irc");
    user.irc_skip_until(" 366 ");
    op.irc_skip_until(" JOIN #irc");
    let mut nc = s.join("ncy");
    nc.send("/join #irc");
    nc.skip_until("* ncy joined #irc (3 online)");
    op.irc_skip_until(":ncy!ncy@linechat JOIN #irc");
    user.irc_skip_until(":ncy!ncy@linechat JOIN #irc");

    // ISUPPORT says so.
    let mut c = Client::connect(s.irc_addr());
    c.send("NICK watch");
    c.send("USER w 0 * :w");
    let isupport = c.irc_skip_until(" 005 ");
    assert!(isupport.contains("PREFIX=(ov)@+") && isupport.contains("CHANMODES=b,k,l,imnstR"), "{isupport}");

    // Not an operator: 482.
    user.send("MODE #irc +m");
    assert_eq!(user.irc_line(), ":linechat 482 usr #irc :You're not a channel operator");
    user.send("KICK #irc opal");
    assert_eq!(user.irc_line(), ":linechat 482 usr #irc :You're not a channel operator");
    // +mv: the room hears MODE lines; nc users see the text form.
    op.send("MODE #irc +mv usr");
    assert_eq!(op.irc_line(), ":opal!~opal@linechat MODE #irc +mv usr");
    assert_eq!(user.irc_line(), ":opal!~opal@linechat MODE #irc +mv usr");
    nc.expect("* opal set mode +mv usr on #irc");
    nc.send("hello?");
    nc.expect("! cannot-speak: you cannot speak in #irc (it is moderated, or you are muted)");
    user.send("PRIVMSG #irc :voiced");
    nc.expect("[usr] voiced");
    op.irc_line();
    op.send("NAMES #irc");
    assert_eq!(op.irc_line(), ":linechat 353 opal = #irc :ncy @opal +usr");
    op.irc_line();
    op.send("MODE #irc");
    assert_eq!(op.irc_line(), ":linechat 324 opal #irc +mn");
    op.irc_line();
    op.send("MODE #irc +z");
    assert_eq!(op.irc_line(), ":linechat 472 opal z :is unknown mode char to me");
    op.send("MODE #irc +o nobody");
    assert_eq!(op.irc_line(), ":linechat 401 opal nobody :No such nick/channel");
    op.send("MODE #irc +b");
    assert_eq!(op.irc_line(), ":linechat 368 opal #irc :End of channel ban list");
    op.send("MODE #irc +b ncy");
    assert_eq!(op.irc_line(), ":opal!~opal@linechat MODE #irc +b ncy!*@*");
    op.send("MODE #irc b");
    assert!(op.irc_line().starts_with(":linechat 367 opal #irc ncy!*@* opal "));
    assert_eq!(op.irc_line(), ":linechat 368 opal #irc :End of channel ban list");
    nc.expect("* opal banned ncy!*@* in #irc");
    // KICK: the room sees KICK; the nc user goes back to the lobby; banned, it cannot return.
    op.send("KICK #irc ncy :be nice");
    assert_eq!(op.irc_line(), ":opal!~opal@linechat KICK #irc ncy :be nice");
    assert_eq!(user.irc_skip_until(" KICK "), ":opal!~opal@linechat KICK #irc ncy :be nice");
    nc.expect("* opal kicked ncy from #irc (be nice)");
    nc.skip_until("* ncy joined (");
    nc.send("/join #irc");
    nc.expect("! banned: you are banned from #irc");
    // +i and INVITE; +k with JOIN's key; 473, 475, 471.
    op.send("MODE #irc +i");
    op.irc_line();
    user.send("PART #irc");
    user.irc_skip_until(" PART ");
    op.irc_skip_until(" PART ");
    user.send("JOIN #irc");
    assert_eq!(user.irc_line(), ":linechat 473 usr #irc :Cannot join channel (+i)");
    op.send("INVITE usr #irc");
    assert_eq!(op.irc_line(), ":opal!~opal@linechat INVITE usr #irc");
    assert_eq!(op.irc_line(), ":linechat 341 opal usr #irc");
    assert_eq!(user.irc_line(), ":opal!~opal@linechat INVITE usr #irc");
    user.send("JOIN #irc");
    user.irc_skip_until(" 366 ");
    op.irc_skip_until(" JOIN #irc");
    user.send("PART #irc");
    user.irc_skip_until(" PART ");
    op.irc_skip_until(" PART ");
    op.send("MODE #irc -i+k sesame");
    assert_eq!(op.irc_line(), ":opal!~opal@linechat MODE #irc -i+k sesame");
    user.send("JOIN #irc");
    assert_eq!(user.irc_line(), ":linechat 475 usr #irc :Cannot join channel (+k)");
    user.send("JOIN #irc sesame");
    user.irc_skip_until(" 366 ");
    op.irc_skip_until(" JOIN #irc");
    user.send("PART #irc");
    user.irc_skip_until(" PART ");
    op.irc_skip_until(" PART ");
    op.send("MODE #irc -k+l sesame 1");
    assert_eq!(op.irc_line(), ":opal!~opal@linechat MODE #irc -k+l * 1");
    user.send("JOIN #irc");
    assert_eq!(user.irc_line(), ":linechat 471 usr #irc :Cannot join channel (+l)");
    op.send("MODE #irc -l+t");
    op.irc_line();
    op.send("MODE #irc +s");
    op.irc_line();
    user.send("LIST");
    let list = user.irc_sync();
    assert!(!list.iter().any(|l| l.contains("#irc")), "+s hides the room: {list:?}");
}

#[test]
fn server_operators_kill_kline_and_moderate_everywhere() {
    let opers = oper_file("opers");
    let s = Server::start_web(&["--oper-file", &opers]);
    s.wait_log("--oper-file");
    let mut op = s.join("root");
    op.send("/kill nobody");
    op.expect("! not-operator: only server operators may do that (/oper NAME PASSWORD)");
    op.send("/oper admin wrong-pw");
    op.expect("! auth-failed: wrong operator name or password");
    op.send("/oper admin operator-pw");
    op.expect("* you are now a server operator (admin)");
    op.send("/whois root");
    op.expect("* root: not signed in, server operator, in #lobby");
    op.send("/whois nobody");
    op.expect("! no-such-nick: nobody called 'nobody' is online");

    // Kill: the target is told and cut off; the others see it leave.
    let mut victim = s.join("victim");
    op.expect("* victim joined (2 online)");
    op.send("/kill victim spamming");
    victim.expect("! killed: disconnected by root: spamming");
    victim.expect_closed();
    op.expect("* victim left (1 online)");

    // Operators moderate the default room: a text client kicked there is cut off.
    let mut loud = s.join("loud");
    op.expect("* loud joined (2 online)");
    op.send("/kick loud too loud");
    op.expect("* root kicked loud (too loud)");
    loud.expect("* root kicked loud (too loud)");
    loud.expect_closed();

    // K-lines: by address, at the door and for those connected.
    let other: std::net::IpAddr = "127.0.0.2".parse().unwrap();
    let mut far = Client::connect_from(s.addr, other);
    far.expect(WELCOME);
    far.send("far");
    far.skip_until("* far joined");
    op.send("/kline 127.0.0.2 1h abuse");
    let set = op.skip_until("* K-line on 127.0.0.2");
    assert!(set.ends_with(" UTC (abuse)"), "{set}");
    far.expect("! killed: disconnected by root: K-lined: abuse");
    far.expect_closed();
    let mut again = Client::connect_from(s.addr, other);
    again.expect("! banned: you are banned from this server (abuse)");
    again.expect_closed();
    let mut web = stream_from(s.web_addr(), other);
    use std::io::{Read, Write};
    web.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut answer = String::new();
    let _ = web.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 403 Forbidden"), "{answer}");
    // 127.0.0.1 is not refused.
    let fine = s.join("fine");
    drop(fine);
    op.send("/klines");
    op.skip_until("* K-lines (1):");
    assert!(op.line().starts_with("* 127.0.0.2 by root until "));
    op.send("/kline 1.2.3.4/2 x");
    op.expect("! bad-args: '1.2.3.4/2': a prefix between /8 and /32");
    op.send("/unkline 127.0.0.2");
    op.skip_until("* removed the K-line on 127.0.0.2");
    let mut back = Client::connect_from(s.addr, other);
    back.expect(WELCOME);
}

#[test]
fn irc_oper_kill_and_whois() {
    let opers = oper_file("irc-opers");
    let s = Server::start_irc(&["--oper-file", &opers]);
    let mut op = s.irc_join("ircop");
    let mut user = s.irc_join("someone");
    user.send("KILL ircop :no");
    assert_eq!(user.irc_line(), ":linechat 481 someone :Permission Denied- You're not an IRC operator");
    op.send("OPER admin wrong-pw");
    assert_eq!(op.irc_line(), ":linechat 464 ircop :Password incorrect");
    op.send("OPER admin operator-pw");
    assert_eq!(op.irc_line(), ":linechat 381 ircop :You are now an IRC operator");
    user.send("WHOIS ircop");
    let whois = user.irc_sync();
    assert!(whois.iter().any(|l| l == ":linechat 313 someone ircop :is an IRC operator"), "{whois:?}");
    op.send("KILL someone :bye now");
    assert_eq!(user.irc_line(), "ERROR :Closing Link: disconnected by ircop: bye now");
    user.expect_closed();
}

#[test]
fn an_operator_alone_may_kick_itself_and_its_room_ends() {
    let s = Server::start(&[]);
    let mut solo = s.join("solo");
    solo.send("/join #solo");
    solo.skip_until("* solo joined #solo (1 online)");
    solo.send("/kick solo bye");
    solo.expect("* solo kicked solo from #solo (bye)");
    solo.expect("* solo joined (1 online)");
    let mut j = s.join_json("jay");
    j.send_json(&json!({"type": "join", "payload": "#gone"}));
    j.json();
    j.send_json(&json!({"type": "kick", "payload": {"room": "#gone", "nick": "jay"}}));
    assert_eq!(j.json(), json!({"type": "leave", "payload": {"nick": "jay", "online": 0, "room": "#gone"}}));
    solo.send("/rooms");
    solo.skip_until("* rooms (1): #lobby (2)");
}
