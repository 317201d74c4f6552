//! Typing and reactions across faces: JSON `typing`/`react` packets (after
//! the `typing`/`reactions` capabilities), IRC `TAGMSG` with `+typing` and
//! `+draft/react` (after `message-tags`), and text users, who see reactions
//! as lines and never who is typing.

use crate::support::*;
use serde_json::json;

fn irc_with_tags(s: &Server, nick: &str) -> Client {
    let mut c = s.irc_join_with_caps(nick, "message-tags");
    c.send("JOIN #lobby");
    c.irc_skip_until(" 366 ");
    c
}

fn json_with(s: &Server, nick: &str, caps: &[&str]) -> Client {
    let mut c = s.join_json(nick);
    c.send_json(&json!({"type": "caps", "payload": caps}));
    assert_eq!(c.json()["type"], "caps");
    c
}

#[test]
fn typing_and_reactions_cross_json_irc_and_text() {
    let s = Server::start_irc(&[]);
    let mut irc = irc_with_tags(&s, "ircy");
    let mut plain_irc = s.irc_join("plainirc");
    plain_irc.send("JOIN #lobby");
    plain_irc.irc_skip_until(" 366 ");
    let mut js = json_with(&s, "jay", &["typing", "reactions"]);
    let mut bare = s.join_json("bare");
    let mut text = s.join("texty");
    for c in [&mut irc, &mut plain_irc] {
        c.irc_sync();
    }
    js.sync_json();
    bare.sync_json();
    text.sync();

    // Typing from JSON reaches IRC (message-tags) and JSON (typing) only.
    js.send_json(&json!({"type": "typing", "payload": {"room": "#lobby", "state": "active"}}));
    assert_eq!(irc.irc_line(), "@+typing=active :jay!jay@linechat TAGMSG #lobby");
    irc.send("@+typing=paused TAGMSG #lobby");
    assert_eq!(
        js.json(),
        json!({"type": "typing", "payload": {"nick": "ircy", "room": "#lobby", "state": "paused"}})
    );
    assert!(js.sync_json().is_empty(), "the sender does not hear its own typing");
    assert!(text.sync().is_empty());
    assert!(bare.sync_json().is_empty());
    assert!(plain_irc.irc_sync().is_empty());

    // A line, its id as IRC shows it, and a reaction to it from IRC.
    text.send("ship it?");
    let said = irc.irc_skip_until("PRIVMSG #lobby :ship it?");
    let msgid = said.strip_prefix("@msgid=").unwrap().split(' ').next().unwrap().to_string();
    js.sync_json();
    bare.sync_json();
    plain_irc.irc_sync();
    text.sync();
    irc.send(&format!("@+draft/react=👍;+draft/reply={msgid} TAGMSG #lobby"));
    assert_eq!(
        js.json(),
        json!({"type": "react", "payload": {"nick": "ircy", "room": "#lobby", "id": msgid, "emoji": "👍"}})
    );
    assert_eq!(text.line(), "* ircy reacted 👍 to texty's \"ship it?\"");
    assert!(bare.sync_json().is_empty(), "no reactions without the capability");
    assert!(plain_irc.irc_sync().is_empty());

    // From JSON: IRC gets the tags, the JSON sender its own reaction back.
    js.send_json(&json!({"type": "react", "payload": {"room": "#lobby", "id": msgid, "emoji": "🎉"}}));
    assert_eq!(
        irc.irc_line(),
        format!("@+draft/react=🎉;+draft/reply={msgid} :jay!jay@linechat TAGMSG #lobby")
    );
    assert_eq!(js.json()["payload"]["emoji"], "🎉");
    assert_eq!(text.line(), "* jay reacted 🎉 to texty's \"ship it?\"");

    // Reactions stay with their line: history pages carry them.
    js.send_json(&json!({"type": "history", "payload": {"room": "#lobby", "limit": 1}}));
    let page = js.json_skip_until("history");
    assert_eq!(
        page["payload"]["items"][0]["reactions"],
        json!([{"nick": "ircy", "emoji": "👍"}, {"nick": "jay", "emoji": "🎉"}])
    );
    irc.send("CHATHISTORY LATEST #lobby * 1");
    assert!(irc.irc_line().ends_with(" :texty!texty@linechat PRIVMSG #lobby :ship it?"));
    assert_eq!(
        irc.irc_line(),
        format!("@+draft/react=👍;+draft/reply={msgid} :ircy!ircy@linechat TAGMSG #lobby")
    );
    assert_eq!(
        irc.irc_line(),
        format!("@+draft/react=🎉;+draft/reply={msgid} :jay!jay@linechat TAGMSG #lobby")
    );

    // Refused: an id this room never had, a reaction with spaces.
    js.send_json(
        &json!({"type": "react", "payload": {"room": "#lobby", "id": "0-0-00000000", "emoji": "x"}}),
    );
    assert_eq!(js.json()["payload"]["code"], "bad-args");
    js.send_json(&json!({"type": "react", "payload": {"room": "#lobby", "id": msgid, "emoji": "two words"}}));
    assert_eq!(js.json()["payload"]["code"], "bad-args");
    js.send_json(&json!({"type": "typing", "payload": {"state": "active"}}));
    assert_eq!(js.json()["payload"]["code"], "bad-args");
    irc.send("@+draft/react=👍;+draft/reply=nope TAGMSG #lobby");
    assert!(irc.irc_line().starts_with("FAIL TAGMSG INVALID_PARAMS :"));
    irc.send("@+typing=active TAGMSG #elsewhere");
    assert_eq!(irc.irc_line(), ":linechat 403 ircy #elsewhere :No such channel");

    // Private typing: to the one user.
    irc.send("@+typing=active TAGMSG jay");
    assert_eq!(
        js.json(),
        json!({"type": "typing", "payload": {"nick": "ircy", "to": "jay", "state": "active"}})
    );
    js.send_json(&json!({"type": "typing", "payload": {"to": "ircy", "state": "done"}}));
    assert_eq!(irc.irc_line(), "@+typing=done :jay!jay@linechat TAGMSG ircy");
    assert!(text.sync().is_empty());
}

#[cfg(feature = "db")]
#[test]
fn reactions_survive_a_restart_with_db() {
    let db = db_path("reactions");
    let s = Server::start(&["--db", &db]);
    let mut a = json_with(&s, "alice", &["ids", "reactions"]);
    a.send_json(&json!({"type": "chat", "payload": "react to me"}));
    let id = a.json_skip_until("chat")["payload"]["id"].as_str().unwrap().to_string();
    a.send_json(&json!({"type": "react", "payload": {"room": "#lobby", "id": id, "emoji": "❤️"}}));
    assert_eq!(a.json_skip_until("react")["payload"]["emoji"], "❤️");
    drop(a);
    drop(s);
    let s = Server::start(&["--db", &db]);
    let mut b = s.join_json("bob");
    b.send_json(&json!({"type": "history", "payload": {"room": "#lobby", "limit": 1}}));
    let item = &b.json_skip_until("history")["payload"]["items"][0];
    assert_eq!(item["id"], id.as_str());
    assert_eq!(item["reactions"], json!([{"nick": "alice", "emoji": "❤️"}]));
}
