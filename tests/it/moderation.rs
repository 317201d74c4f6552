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
    op.send_json(&json!({"type": "bans", "payload": "#r"}));
    let bans = op.json();
    assert_eq!(bans["payload"]["bans"][0]["mask"], "plain!*@*");
    op.send_json(&json!({"type": "kick", "payload": {"room": "#r"}}));
    assert_eq!(op.json()["payload"]["code"], "bad-args");
}
