//! Deleting a line: text `/delete`, JSON `delete`, IRC `REDACT`
//! (draft/message-redaction); who may; what every face shows; the
//! tombstone history keeps (also across a restart with `--db`).

use crate::support::*;
use serde_json::json;

fn irc_redaction(s: &Server, nick: &str) -> Client {
    let mut c = s.irc_join_with_caps(nick, "draft/message-redaction message-tags batch");
    c.send("JOIN #lobby");
    c.irc_skip_until(" 366 ");
    c
}

/// The id of the newest `history` item of `#lobby`, as a JSON client reads it.
fn newest_items(j: &mut Client, limit: u64) -> Vec<serde_json::Value> {
    j.send_json(&json!({"type": "history", "payload": {"room": "#lobby", "limit": limit}}));
    let page = j.json();
    assert_eq!(page["type"], "history");
    page["payload"]["items"].as_array().unwrap().clone()
}

#[test]
fn authors_and_operators_delete_lines_and_every_face_shows_it() {
    let s = Server::start_irc(&[]);
    let mut irc = irc_redaction(&s, "ircy");
    let mut plain_irc = s.irc_join("plainirc");
    plain_irc.send("JOIN #lobby");
    plain_irc.irc_skip_until(" 366 ");
    let mut text = s.join("texty");
    let mut js = s.join_json("jay");
    js.send_json(&json!({"type": "caps", "payload": ["deletions"]}));
    js.json();
    let mut bare = s.join_json("bare");

    text.send("oops, wrong room");
    text.sync();
    let said = irc.irc_skip_until("PRIVMSG #lobby :oops");
    let msgid = said.strip_prefix("@msgid=").unwrap().split(' ').next().unwrap().to_string();
    for j in [&mut js, &mut bare] {
        j.sync_json();
    }
    plain_irc.irc_sync();

    // The author's last line, from the text face.
    text.send("/delete");
    assert_eq!(text.line(), "* texty deleted a message");
    assert_eq!(irc.irc_line(), format!(":texty!texty@linechat REDACT #lobby {msgid}"));
    assert_eq!(
        js.json(),
        json!({"type": "delete", "payload": {"room": "#lobby", "id": msgid, "by": "texty"}})
    );
    assert!(bare.sync_json().is_empty(), "no delete events without the capability");
    assert!(plain_irc.irc_sync().is_empty());

    // History keeps a tombstone; IRC's CHATHISTORY leaves it out.
    let items = newest_items(&mut js, 1);
    assert_eq!(items[0]["id"], msgid.as_str());
    assert_eq!(items[0]["deleted"], true);
    assert!(items[0].get("text").is_none() && items[0].get("from").is_none());
    irc.send("CHATHISTORY LATEST #lobby * 10");
    let batch = irc.irc_skip_until("BATCH -");
    assert!(!batch.contains("oops"));
    text.send("/delete");
    assert_eq!(text.line(), "! bad-args: you have said nothing in #lobby that could be deleted");

    // Someone else's line: refused, unless a room operator.
    js.send_json(&json!({"type": "chat", "payload": "a line by jay"}));
    let line = irc.irc_skip_until("a line by jay");
    let jays = line.strip_prefix("@msgid=").unwrap().split(' ').next().unwrap().to_string();
    irc.send(&format!("REDACT #lobby {jays}"));
    assert_eq!(
        irc.irc_line(),
        format!("FAIL REDACT REDACT_FORBIDDEN #lobby {jays} :only its author and the room's operators may delete that line")
    );
    irc.send("REDACT #lobby 0-0-00000000");
    assert!(irc.irc_line().starts_with("FAIL REDACT UNKNOWN_MSGID #lobby 0-0-00000000 :"));
    irc.send(&format!("REDACT #nowhere {jays}"));
    assert!(irc.irc_line().starts_with("FAIL REDACT INVALID_TARGET #nowhere "));
    js.send_json(&json!({"type": "delete", "payload": {"room": "#lobby", "id": jays}}));
    assert_eq!(js.json_skip_until("delete")["payload"]["by"], "jay");
    assert_eq!(irc.irc_skip_until("REDACT"), format!(":jay!jay@linechat REDACT #lobby {jays}"));

    // A room operator deletes another's line in its room.
    irc.send("JOIN #ops");
    irc.irc_skip_until(" 366 ");
    js.send_json(&json!({"type": "join", "payload": "#ops"}));
    js.sync_json();
    js.send_json(&json!({"type": "chat", "payload": {"room": "#ops", "text": "spam spam"}}));
    let spam = irc.irc_skip_until("spam spam");
    let spam = spam.strip_prefix("@msgid=").unwrap().split(' ').next().unwrap().to_string();
    irc.send(&format!("REDACT #ops {spam} :no spam"));
    assert_eq!(irc.irc_line(), format!(":ircy!~ircy@linechat REDACT #ops {spam}"));
    assert_eq!(js.json_skip_until("delete")["payload"]["by"], "ircy");
}

#[cfg(feature = "db")]
#[test]
fn a_tombstone_survives_a_restart_with_db() {
    let db = db_path("tombstone");
    let s = Server::start(&["--db", &db]);
    let mut a = s.join_json("alice");
    a.send_json(&json!({"type": "caps", "payload": ["ids", "deletions"]}));
    a.json();
    a.send_json(&json!({"type": "chat", "payload": "keep me"}));
    a.send_json(&json!({"type": "chat", "payload": "delete me"}));
    let kept = a.json_skip_until("chat")["payload"]["id"].as_str().unwrap().to_string();
    let gone = a.json_skip_until("chat")["payload"]["id"].as_str().unwrap().to_string();
    a.send_json(&json!({"type": "delete", "payload": {"id": gone}}));
    assert_eq!(a.json_skip_until("delete")["payload"]["id"], gone.as_str());
    drop(a);
    drop(s);
    let s = Server::start(&["--db", &db]);
    let mut b = s.join_json("bob");
    let items = newest_items(&mut b, 2);
    assert_eq!(items[0]["id"], kept.as_str());
    assert_eq!(items[0]["text"], "keep me");
    assert_eq!(items[1], json!({"id": gone, "time": items[1]["time"], "deleted": true}));
    let file = std::fs::read(&db).unwrap();
    assert!(!file.windows(9).any(|w| w == b"delete me"), "the text is gone from the file");
}
