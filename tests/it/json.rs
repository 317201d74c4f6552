//! JSON mode: packets in, compact JSON events out, and mixed rooms.

use crate::support::*;
use serde_json::json;

#[test]
fn json_join_chat_who_and_bye() {
    let s = Server::start(&[]);
    let mut a = s.connect();
    a.send_json(&json!({"type": "nick", "payload": "alice"}));
    assert_eq!(a.json(), json!({"type":"join","payload":{"nick":"alice","online":1,"room":"#lobby"}}));
    a.send_json(&json!({"type": "chat", "payload": "hello"}));
    assert_eq!(a.json(), json!({"type":"chat","payload":{"from":"alice","text":"hello","room":"#lobby"}}));
    a.send_json(&json!({"type": "who"}));
    assert_eq!(a.json(), json!({"type":"who","payload":{"nicks":["alice"],"room":"#lobby"}}));
    a.send_json(&json!({"type": "nick", "payload": "ally"}));
    assert_eq!(a.json(), json!({"type":"nick","payload":{"old":"alice","new":"ally"}}));
    a.send_json(&json!({"type": "bye"}));
    assert_eq!(a.json(), json!({"type":"bye"}));
    a.expect_closed();
}

#[test]
fn every_line_sent_is_one_compact_json_object() {
    let s = Server::start(&[]);
    let mut a = s.connect();
    a.send(r#"  {"type": "nick", "payload": "alice"}  "#);
    let raw = a.line();
    assert_eq!(raw, r##"{"type":"join","payload":{"nick":"alice","online":1,"room":"#lobby"}}"##);
    a.send_json(&json!({"type": "chat", "payload": "quote \" backslash \\ tab \t"}));
    assert_eq!(
        a.line(),
        r##"{"type":"chat","payload":{"from":"alice","text":"quote \" backslash \\ tab \t","room":"#lobby"}}"##
    );
}

#[test]
fn echo_goes_to_every_json_connection_joined_or_not_and_to_no_text_client() {
    let s = Server::start(&[]);
    let mut text = s.join("texter");
    let mut joined = s.join_json("jo");
    let mut lurker = s.connect();
    lurker.send_json(&json!({"type": "ping", "payload": 1}));
    assert_eq!(lurker.json(), json!({"type":"pong","payload":1}));
    let payload = json!({"z": [1, 2.5, "three"], "a": {"nested": null}, "m": true});
    lurker.send_json(&json!({"type": "echo", "payload": payload}));
    let expected = format!(r#"{{"type":"echo","payload":{}}}"#, serde_json::to_string(&payload).unwrap());
    assert_eq!(lurker.line(), expected, "sender included, keys in the order sent");
    assert_eq!(joined.line(), expected);
    assert!(text.sync().iter().all(|l| !l.contains("echo")), "text clients get no echo");
}

#[test]
fn json_errors_have_codes_and_keep_the_connection() {
    let s = Server::start(&[]);
    let mut a = s.connect();
    a.send(r#"{"type":"chat","payload":"too early"}"#);
    assert_eq!(
        a.json(),
        json!({"type":"error","payload":{"code":"not-joined","message":"choose a nickname first"}})
    );
    a.send(r#"{"type":"msg","payload":{"to":"x","text":"y"}}"#);
    assert_eq!(a.json()["payload"]["code"], "not-joined");
    a.send("{not json");
    assert_eq!(a.json()["payload"]["code"], "bad-json");
    a.send("plain text in json mode");
    assert_eq!(a.json()["payload"]["code"], "bad-json");
    a.send(r#""a string""#);
    assert_eq!(a.json()["payload"]["code"], "bad-packet");
    a.send(r#"{"type":"x"}"#);
    assert_eq!(
        a.json(),
        json!({"type":"error","payload":{"code":"unknown-type","message":"type 'x' is not defined"}})
    );
    a.send(r#"{"type":"nick","payload":42}"#);
    assert_eq!(a.json()["payload"]["code"], "bad-args");
    a.send(r#"{"type":"nick","payload":"bad nick"}"#);
    assert_eq!(a.json()["payload"]["code"], "nick-invalid");
    a.send(r#"{"type":"nick","payload":"alice"}"#);
    assert_eq!(a.json()["type"], "join");
    a.send(r#"{"type":"msg","payload":{"to":"nobody","text":"hi"}}"#);
    assert_eq!(a.json()["payload"]["code"], "no-such-nick");
    a.send(r#"{"type":"msg","payload":"not an object"}"#);
    assert_eq!(a.json()["payload"]["code"], "bad-args");
    a.send_raw(b"{\"type\":\"chat\",\"payload\":\"caf\xe9\"}\n");
    assert_eq!(a.json()["payload"]["code"], "bad-utf8");
}

#[test]
fn bad_packet_shapes_are_bad_packet() {
    let s = Server::start(&[]);
    let mut a = s.connect();
    a.send(r#"{"payload":"no type"}"#);
    assert_eq!(a.json()["payload"]["code"], "bad-packet");
    a.send(r#"{"type":7}"#);
    assert_eq!(a.json()["payload"]["code"], "bad-packet");
    a.send("[1,2]");
    assert_eq!(a.json()["payload"]["code"], "bad-packet");
}

#[test]
fn text_and_json_clients_chat_together() {
    let s = Server::start(&[]);
    let mut t = s.join("texter");
    let mut j = s.join_json("jason");
    t.expect("* jason joined (2 online)");
    t.send("hi jason");
    j.send_json(&json!({"type": "chat", "payload": "hi texter"}));
    assert_eq!(
        j.json(),
        json!({"type":"chat","payload":{"from":"texter","text":"hi jason","room":"#lobby"}})
    );
    assert_eq!(
        j.json(),
        json!({"type":"chat","payload":{"from":"jason","text":"hi texter","room":"#lobby"}})
    );
    t.expect("[texter] hi jason");
    t.expect("[jason] hi texter");
    j.send_json(&json!({"type": "msg", "payload": {"to": "TEXTER", "text": "psst"}}));
    assert_eq!(j.json(), json!({"type":"msg","payload":{"from":"jason","to":"texter","text":"psst"}}));
    t.expect("[jason -> texter] psst");
    t.send("/msg jason back");
    t.expect("[texter -> jason] back");
    assert_eq!(j.json(), json!({"type":"msg","payload":{"from":"texter","to":"jason","text":"back"}}));
    j.send_json(&json!({"type": "chat", "payload": "esc \u{1b}[2J gone\nnewline"}));
    t.expect("[jason] esc [2J gonenewline");
    assert_eq!(j.json()["payload"]["text"], "esc [2J gonenewline");
    drop(j);
    t.expect("* jason left (1 online)");
}

#[test]
fn json_help_lists_packet_types() {
    let s = Server::start(&[]);
    let mut a = s.connect();
    a.send(r#"{"type":"help"}"#);
    let v = a.json();
    assert_eq!(v["type"], "help");
    let types: Vec<&str> =
        v["payload"]["types"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    for t in ["nick", "chat", "msg", "who", "ping", "echo", "help", "bye"] {
        assert!(types.contains(&t), "{t} missing: {types:?}");
    }
}
