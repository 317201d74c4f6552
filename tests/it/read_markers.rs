//! Read markers kept per account and shared by every connection signed in
//! to it: JSON `markread` (with `read-markers`), IRC `MARKREAD`
//! (draft/read-marker), text `/markread`; only forward; kept with `--db`.

use crate::support::*;
use serde_json::json;

/// A JSON client signed in to `account` (registered before by `register`).
fn json_signed_in(s: &Server, nick: &str, account: &str) -> Client {
    let mut c = s.join_json(nick);
    c.send_json(&json!({"type": "login", "payload": {"account": account, "password": "correct-horse"}}));
    c.json_skip_until("account");
    c.send_json(&json!({"type": "caps", "payload": ["ids", "read-markers"]}));
    c.json_skip_until("caps");
    c
}

fn irc_signed_in(s: &Server, nick: &str) -> Client {
    let mut c = s.irc_join_with_caps(nick, "draft/read-marker");
    c.send("PRIVMSG NickServ :IDENTIFY alice correct-horse");
    c.irc_skip_until(" 900 ");
    c
}

#[test]
fn a_marker_moves_forward_on_every_device_of_the_account() {
    let s = Server::start_irc(&[]);
    let mut reg = s.join("alice");
    reg.send("/register correct-horse");
    reg.skip_until("* registered the account alice");
    let mut bob = s.join_json("bob");
    bob.send_json(&json!({"type": "caps", "payload": ["ids"]}));
    bob.json_skip_until("caps");
    let mut ids = Vec::new();
    for text in ["one", "two", "three"] {
        bob.send_json(&json!({"type": "chat", "payload": text}));
        let line = bob.json_skip_until("chat");
        ids.push((
            line["payload"]["id"].as_str().unwrap().to_string(),
            line["payload"]["time"].as_str().unwrap().to_string(),
        ));
    }

    let mut phone = json_signed_in(&s, "alicephone", "alice");
    let mut laptop = irc_signed_in(&s, "alicelaptop");
    laptop.send("JOIN #lobby");
    // Joining tells the marker: none yet.
    assert_eq!(laptop.irc_skip_until("MARKREAD"), ":linechat MARKREAD #lobby *");
    laptop.irc_skip_until(" 366 ");

    phone.send_json(&json!({"type": "markread", "payload": {"room": "#lobby", "id": ids[1].0}}));
    let mine = phone.json_skip_until("markread");
    assert_eq!(
        mine,
        json!({"type": "markread", "payload": {"room": "#lobby", "id": ids[1].0, "time": ids[1].1}})
    );
    assert_eq!(
        laptop.irc_skip_until("MARKREAD"),
        format!(":linechat MARKREAD #lobby timestamp={}", ids[1].1)
    );
    // The text connection that registered hears nothing of it.
    assert!(reg.sync().iter().all(|l| !l.contains("read")));

    // Backwards: nothing moves; the asker is told where it is.
    laptop.send("MARKREAD #lobby timestamp=2000-01-01T00:00:00.000Z");
    assert_eq!(laptop.irc_line(), format!(":linechat MARKREAD #lobby timestamp={}", ids[1].1));
    assert!(phone.sync_json().is_empty());
    laptop.send("MARKREAD #lobby");
    assert_eq!(laptop.irc_line(), format!(":linechat MARKREAD #lobby timestamp={}", ids[1].1));

    // Forward from IRC: the phone learns the line it now stands on.
    laptop.send(&format!("MARKREAD #lobby timestamp={}", ids[2].1));
    assert_eq!(laptop.irc_line(), format!(":linechat MARKREAD #lobby timestamp={}", ids[2].1));
    assert_eq!(phone.json_skip_until("markread")["payload"]["id"], ids[2].0.as_str());

    // Text: /markread marks the room read; only the sender reads a line.
    reg.send("/markread");
    assert!(reg.line().starts_with("* #lobby read up to "));

    // Refusals.
    // A room that does not exist and keeps no history holds no marker.
    laptop.send("MARKREAD #nowhere timestamp=2026-01-01T00:00:00.000Z");
    assert!(laptop.irc_line().starts_with("FAIL MARKREAD INVALID_PARAMS #nowhere :"));
    laptop.send("MARKREAD #lobby timestamp=yesterday");
    assert!(laptop.irc_line().starts_with("FAIL MARKREAD INVALID_PARAMS #lobby :"));
    let mut stranger = s.join_json("stranger");
    stranger.send_json(&json!({"type": "markread", "payload": {"room": "#lobby", "id": ids[0].0}}));
    assert_eq!(stranger.json_skip_until("error")["payload"]["code"], "needs-account");
    let mut anon = s.irc_join("anon");
    anon.send("MARKREAD #lobby");
    assert_eq!(
        anon.irc_line(),
        "FAIL MARKREAD ACCOUNT_REQUIRED #lobby :sign in first (/login NAME PASSWORD)"
    );
}

#[cfg(feature = "db")]
#[test]
fn markers_survive_a_restart_with_db() {
    let db = db_path("markers");
    let s = Server::start(&["--db", &db]);
    let mut a = s.join("alice");
    a.send("/register correct-horse");
    a.skip_until("* registered the account alice");
    a.send("something to read");
    a.sync();
    a.send("/markread");
    let marked = a.line();
    assert!(marked.starts_with("* #lobby read up to "), "{marked}");
    drop(a);
    drop(s);
    let s = Server::start(&["--db", &db]);
    let mut phone = json_signed_in(&s, "alicephone", "alice");
    phone.send_json(&json!({"type": "markread", "payload": {"room": "#lobby"}}));
    let back = phone.json_skip_until("markread");
    assert_eq!(format!("* #lobby read up to {}", back["payload"]["time"].as_str().unwrap()), marked);
    assert!(back["payload"]["id"].is_string());
}
