//! Rooms: every line of the room protocol, for text, JSON and WebSocket
//! clients, over real sockets.

use crate::support::*;
use serde_json::{json, Value};

/// Three text users in the default room; alice has seen everyone join.
fn lobby_of_three(s: &Server) -> (Client, Client, Client) {
    let mut a = s.join("alice");
    let mut b = s.join("bob");
    let c = s.join("carol");
    a.expect("* bob joined (2 online)");
    a.expect("* carol joined (3 online)");
    b.expect("* carol joined (3 online)");
    (a, b, c)
}

#[test]
fn text_join_moves_the_client_and_only_the_new_room_hears_it() {
    let s = Server::start(&[]);
    let (mut a, mut b, mut c) = lobby_of_three(&s);
    a.send("/join #rust");
    a.expect("* alice joined #rust (1 online)");
    b.expect("* alice left (2 online)");
    c.expect("* alice left (2 online)");
    a.send("hello");
    a.expect("[alice] hello");
    b.send("hi lobby");
    b.expect("[bob] hi lobby");
    c.expect("[bob] hi lobby");
    assert_eq!(a.sync(), Vec::<String>::new(), "alice hears nothing of #lobby");
    assert_eq!(c.sync(), Vec::<String>::new(), "#lobby hears nothing of #rust");
    a.send("/who");
    a.expect("* online in #rust (1): alice");
    b.send("/who");
    b.expect("* online (2): bob, carol");
    b.send("/rooms");
    b.expect("* rooms (2): #lobby (2), #rust (1)");
    b.send("/who #rust");
    b.expect("* online in #rust (1): alice");
    b.send("/who #nowhere");
    b.expect("* online in #nowhere (0):");
}

#[test]
fn text_part_and_join_lobby_go_back_and_say_so_in_both_rooms() {
    let s = Server::start(&[]);
    let (mut a, mut b, mut c) = lobby_of_three(&s);
    a.send("/join #rust");
    a.expect("* alice joined #rust (1 online)");
    b.expect("* alice left (2 online)");
    b.send("/join #rust");
    b.expect("* bob joined #rust (2 online)");
    a.expect("* bob joined #rust (2 online)");
    c.expect("* alice left (2 online)");
    c.expect("* bob left (1 online)");
    a.send("/part");
    b.expect("* alice left #rust (1 online)");
    c.expect("* alice joined (2 online)");
    a.expect("* alice joined (2 online)");
    b.send("/join #lobby");
    b.expect("* bob joined (3 online)");
    a.expect("* bob joined (3 online)");
    c.expect("* bob joined (3 online)");
    a.send("/part");
    a.expect("! bad-args: you are in the default room #lobby; /join #ROOM to move");
    a.send("/join #lobby");
    assert_eq!(a.sync(), Vec::<String>::new(), "joining the room one is in sends nothing");
    b.send("/rooms");
    b.expect("* rooms (1): #lobby (3)");
}

#[test]
fn text_disconnect_tells_the_room_the_client_was_in() {
    let s = Server::start(&[]);
    let (mut a, mut b, mut c) = lobby_of_three(&s);
    a.send("/join #rust");
    a.expect("* alice joined #rust (1 online)");
    b.expect("* alice left (2 online)");
    b.send("/join #rust");
    b.expect("* bob joined #rust (2 online)");
    a.expect("* bob joined #rust (2 online)");
    a.send("/bye");
    a.expect("* bye");
    b.expect("* alice left #rust (1 online)");
    // bob leaves with /bye: its leave is done when its "* bye" is out (a
    // dropped socket would be noticed at some later moment).
    b.send("/bye");
    b.expect("* bye");
    c.expect("* alice left (2 online)");
    c.expect("* bob left (1 online)");
    assert_eq!(c.sync(), Vec::<String>::new(), "#lobby hears nothing of #rust's leaves");
    c.send("/rooms");
    c.expect("* rooms (1): #lobby (1)");
}

#[test]
fn topics_are_per_room_shown_to_joiners_and_sanitised() {
    let s = Server::start(&[]);
    let (mut a, mut b, mut c) = lobby_of_three(&s);
    a.send("/join #rust");
    a.expect("* alice joined #rust (1 online)");
    b.expect("* alice left (2 online)");
    c.expect("* alice left (2 online)");
    a.send("/topic");
    a.expect("* no topic for #rust");
    a.send("/topic Rust and more");
    a.expect("* alice set the topic for #rust: Rust and more");
    a.send("/topic");
    a.expect("* topic for #rust: Rust and more");
    b.send("/join #RUST");
    b.expect("* bob joined #rust (2 online)");
    b.expect("* topic for #rust: Rust and more");
    a.expect("* bob joined #rust (2 online)");
    c.expect("* bob left (1 online)");
    b.send("/topic \u{1b}[31mred\u{7}");
    b.expect("* bob set the topic for #rust: [31mred");
    a.expect("* bob set the topic for #rust: [31mred");
    let long = "x".repeat(400);
    a.send(&format!("/topic {long}"));
    let cut = format!("* alice set the topic for #rust: {}", "x".repeat(300));
    a.expect(&cut);
    b.expect(&cut);
    c.send("/topic");
    c.expect("* no topic for #lobby");
    assert_eq!(c.sync(), Vec::<String>::new(), "#lobby hears nothing of #rust's topic");
    c.send("/topic lobby things");
    c.expect("* carol set the topic for #lobby: lobby things");
    a.send("/part");
    b.expect("* alice left #rust (1 online)");
    a.expect("* alice joined (2 online)");
    a.expect("* topic for #lobby: lobby things");
}

#[test]
fn room_names_ignore_case_keep_the_creators_spelling_and_vanish_when_empty() {
    let s = Server::start(&[]);
    let mut a = s.join("alice");
    let mut b = s.join("bob");
    a.expect("* bob joined (2 online)");
    a.send("/join #Rust");
    a.expect("* alice joined #Rust (1 online)");
    b.expect("* alice left (1 online)");
    b.send("/join #rUST");
    b.expect("* bob joined #Rust (2 online)");
    a.expect("* bob joined #Rust (2 online)");
    a.send("/join #한국어");
    a.expect("* alice joined #한국어 (1 online)");
    b.expect("* alice left #Rust (1 online)");
    b.send("/rooms");
    b.expect("* rooms (3): #lobby (0), #Rust (1), #한국어 (1)");
    b.send("/part");
    b.expect("* bob joined (1 online)");
    b.send("/join #RUST");
    b.expect("* bob joined #RUST (1 online)");
}

#[test]
fn rooms_are_listed_sorted_ignoring_case() {
    let s = Server::start(&[]);
    let mut clients = Vec::new();
    for (nick, room) in [("a", "#b"), ("b", "#A"), ("c", "#C"), ("d", "#a2")] {
        let mut c = s.join(nick);
        c.send(&format!("/join {room}"));
        c.skip_until(&format!("* {nick} joined {room} "));
        clients.push(c);
    }
    let mut e = s.join("e");
    e.send("/rooms");
    e.expect("* rooms (5): #A (1), #a2 (1), #b (1), #C (1), #lobby (1)");
}

#[test]
fn room_errors_say_why_and_keep_the_connection() {
    let s = Server::start(&["--max-rooms", "1"]);
    let mut a = s.join("alice");
    let mut b = s.join("bob");
    a.expect("* bob joined (2 online)");
    a.send("/join");
    a.expect("! bad-args: usage: /join #ROOM");
    a.send("/join rust");
    a.expect("! room-invalid: a room name starts with '#', like #rust");
    a.send("/join #");
    a.expect("! room-invalid: a room name needs at least one character after '#'");
    a.send("/join #a b");
    a.expect("! room-invalid: ' ' is not allowed in a room name; use letters, digits, '_', '-' and '.'");
    a.send(&format!("/join #{}", "a".repeat(33)));
    a.expect("! room-invalid: a room name has at most 32 characters after '#'");
    a.send(&format!("/join #{}", "é".repeat(32)));
    a.expect(&format!("* alice joined #{} (1 online)", "é".repeat(32)));
    b.expect("* alice left (1 online)");
    b.send("/join #other");
    b.expect("! too-many-rooms: the server holds at most 1 rooms; join an existing one");
    // Alone in her room, alice may move: leaving it frees it.
    a.send("/join #other");
    a.expect("* alice joined #other (1 online)");
    a.send("/part #nope");
    a.expect("! not-in-room: you are not in #nope");
    a.send("/part #lobby");
    a.expect("! not-in-room: you are not in #lobby");
    a.send("/topic");
    a.expect("* no topic for #other");
    b.send("/join #other");
    b.expect("* bob joined #other (2 online)");
    a.expect("* bob joined #other (2 online)");
}

#[test]
fn renames_reach_the_renamer_once_and_only_those_sharing_a_room() {
    let s = Server::start(&[]);
    let (mut a, mut b, mut c) = lobby_of_three(&s);
    let mut j = s.join_json("jason");
    a.expect("* jason joined (4 online)");
    b.expect("* jason joined (4 online)");
    c.expect("* jason joined (4 online)");
    a.send("/join #rust");
    a.expect("* alice joined #rust (1 online)");
    b.expect("* alice left (3 online)");
    c.expect("* alice left (3 online)");
    j.send_json(&json!({"type": "join", "payload": "#rust"}));
    a.expect("* jason joined #rust (2 online)");
    a.send("/nick ally");
    a.expect("* alice is now known as ally");
    let got = j.sync_json();
    let nick_events: Vec<&Value> = got.iter().filter(|v| v["type"] == "nick").collect();
    assert_eq!(nick_events, vec![&json!({"type":"nick","payload":{"old":"alice","new":"ally"}})]);
    assert_eq!(b.sync(), Vec::<String>::new(), "bob shares no room with alice");
    // kim shares both #lobby and #rust with jason, the others one room each:
    // everyone hears the rename exactly once.
    let mut k = s.join_json("kim");
    k.send_json(&json!({"type": "join", "payload": "#rust"}));
    k.sync_json();
    for c in [&mut a, &mut b, &mut c] {
        c.sync();
    }
    j.sync_json();
    j.send_json(&json!({"type": "nick", "payload": "jay"}));
    let renamed = json!({"type":"nick","payload":{"old":"jason","new":"jay"}});
    assert_eq!(j.json(), renamed);
    assert_eq!(j.sync_json(), Vec::<Value>::new());
    assert_eq!(k.sync_json(), vec![renamed]);
    for c in [&mut a, &mut b, &mut c] {
        assert_eq!(c.sync(), vec!["* jason is now known as jay".to_string()]);
    }
}

#[test]
fn private_messages_cross_rooms() {
    let s = Server::start(&[]);
    let mut a = s.join("alice");
    let mut b = s.join("bob");
    a.expect("* bob joined (2 online)");
    a.send("/join #rust");
    a.expect("* alice joined #rust (1 online)");
    b.expect("* alice left (1 online)");
    b.send("/msg alice over here");
    b.expect("[bob -> alice] over here");
    a.expect("[bob -> alice] over here");
}

#[test]
fn default_room_can_be_renamed() {
    let s = Server::start(&["--default-room", "#Hall"]);
    let mut a = s.join("alice");
    a.send("/rooms");
    a.expect("* rooms (1): #Hall (1)");
    a.send("/join #x");
    a.expect("* alice joined #x (1 online)");
    a.send("/join #hall");
    a.expect("* alice joined (1 online)");
    a.send("/who");
    a.expect("* online (1): alice");
}

#[test]
fn help_lists_the_room_commands() {
    let s = Server::start(&[]);
    let mut a = s.join("alice");
    a.send("/help");
    let lines = a.sync();
    for cmd in ["/join #ROOM", "/part", "/rooms", "/topic [TEXT]", "/who [#ROOM]"] {
        assert!(lines.iter().any(|l| l.contains(cmd)), "{cmd} missing from {lines:?}");
    }
}

// ---- JSON ----------------------------------------------------------------

fn ev(kind: &str, payload: Value) -> Value {
    json!({"type": kind, "payload": payload})
}

#[test]
fn json_clients_hold_several_rooms() {
    let s = Server::start(&[]);
    let mut j = s.join_json("jason");
    let mut t = s.join("texter");
    assert_eq!(j.json(), ev("join", json!({"nick":"texter","online":2,"room":"#lobby"})));
    j.send_json(&json!({"type": "join", "payload": "#rust"}));
    assert_eq!(j.json(), ev("join", json!({"nick":"jason","online":1,"room":"#rust"})));
    j.send_json(&json!({"type": "join", "payload": "#go"}));
    assert_eq!(j.json(), ev("join", json!({"nick":"jason","online":1,"room":"#go"})));
    // A plain chat goes to the room joined most recently.
    j.send_json(&json!({"type": "chat", "payload": "to go"}));
    assert_eq!(j.json(), ev("chat", json!({"from":"jason","text":"to go","room":"#go"})));
    j.send_json(&json!({"type": "chat", "payload": {"room": "#LOBBY", "text": "to lobby"}}));
    assert_eq!(j.json(), ev("chat", json!({"from":"jason","text":"to lobby","room":"#lobby"})));
    t.expect("[jason] to lobby");
    t.send("hi from lobby");
    t.expect("[texter] hi from lobby");
    assert_eq!(j.json(), ev("chat", json!({"from":"texter","text":"hi from lobby","room":"#lobby"})));
    j.send_json(&json!({"type": "who"}));
    assert_eq!(j.json(), ev("who", json!({"nicks":["jason"],"room":"#go"})));
    j.send_json(&json!({"type": "who", "payload": "#lobby"}));
    assert_eq!(j.json(), ev("who", json!({"nicks":["jason","texter"],"room":"#lobby"})));
    j.send_json(&json!({"type": "rooms"}));
    assert_eq!(
        j.json(),
        ev(
            "rooms",
            json!({"rooms":[
                {"room":"#go","online":1,"topic":""},
                {"room":"#lobby","online":2,"topic":""},
                {"room":"#rust","online":1,"topic":""}
            ]})
        )
    );
    // Parting: the parting client gets its own leave; chat falls back to the previous room.
    j.send_json(&json!({"type": "part", "payload": "#go"}));
    assert_eq!(j.json(), ev("leave", json!({"nick":"jason","online":0,"room":"#go"})));
    j.send_json(&json!({"type": "chat", "payload": "to rust"}));
    assert_eq!(j.json(), ev("chat", json!({"from":"jason","text":"to rust","room":"#rust"})));
    j.send_json(&json!({"type": "part", "payload": "#lobby"}));
    assert_eq!(j.json(), ev("leave", json!({"nick":"jason","online":1,"room":"#lobby"})));
    t.expect("* jason left (1 online)");
    j.send_json(&json!({"type": "part"}));
    assert_eq!(j.json(), ev("leave", json!({"nick":"jason","online":0,"room":"#rust"})));
    j.send_json(&json!({"type": "chat", "payload": "anyone?"}));
    assert_eq!(j.json()["payload"]["code"], "not-in-room");
    j.send_json(&json!({"type": "who"}));
    assert_eq!(j.json()["payload"]["code"], "not-in-room");
    j.send_json(&json!({"type": "part"}));
    assert_eq!(j.json()["payload"]["code"], "not-in-room");
    j.send_json(&json!({"type": "join", "payload": "#lobby"}));
    assert_eq!(j.json(), ev("join", json!({"nick":"jason","online":2,"room":"#lobby"})));
    t.expect("* jason joined (2 online)");
    assert_eq!(t.sync(), Vec::<String>::new(), "texter heard nothing of #rust or #go");
}

#[test]
fn json_topics_and_errors() {
    let s = Server::start(&["--max-rooms-per-client", "2"]);
    let mut j = s.join_json("jason");
    let mut k = s.join_json("kim");
    assert_eq!(j.json(), ev("join", json!({"nick":"kim","online":2,"room":"#lobby"})));
    j.send_json(&json!({"type": "join", "payload": "#a"}));
    assert_eq!(j.json(), ev("join", json!({"nick":"jason","online":1,"room":"#a"})));
    j.send_json(&json!({"type": "topic", "payload": {"room": "#a", "text": "all about a"}}));
    assert_eq!(j.json(), ev("topic", json!({"room":"#a","topic":"all about a","by":"jason"})));
    j.send_json(&json!({"type": "topic", "payload": {"room": "#a"}}));
    assert_eq!(j.json(), ev("topic", json!({"room":"#a","topic":"all about a","by":"jason"})));
    k.send_json(&json!({"type": "topic", "payload": "#a"}));
    assert_eq!(k.json(), ev("topic", json!({"room":"#a","topic":"all about a","by":"jason"})));
    k.send_json(&json!({"type": "topic", "payload": {"room": "#a", "text": "mine"}}));
    assert_eq!(k.json(), ev("error", json!({"code":"not-in-room","message":"you are not in #a"})));
    k.send_json(&json!({"type": "join", "payload": "#A"}));
    assert_eq!(k.json(), ev("join", json!({"nick":"kim","online":2,"room":"#a"})));
    assert_eq!(k.json(), ev("topic", json!({"room":"#a","topic":"all about a","by":"jason"})));
    assert_eq!(j.json(), ev("join", json!({"nick":"kim","online":2,"room":"#a"})));
    k.send_json(&json!({"type": "topic", "payload": {"room": "#a", "text": ""}}));
    let cleared = ev("topic", json!({"room":"#a","topic":"","by":"kim"}));
    assert_eq!(k.json(), cleared);
    assert_eq!(j.json(), cleared);
    j.send_json(&json!({"type": "rooms"}));
    assert_eq!(j.json()["payload"]["rooms"][0], json!({"room":"#a","online":2,"topic":""}));
    j.send_json(&json!({"type": "join", "payload": "#b"}));
    assert_eq!(j.json()["payload"]["room"], "#b");
    j.send_json(&json!({"type": "join", "payload": "#c"}));
    assert_eq!(
        j.json(),
        ev(
            "error",
            json!({"code":"too-many-rooms","message":"you may be in at most 2 rooms besides the default one"})
        )
    );
    j.send_json(&json!({"type": "join", "payload": "#b"}));
    assert_eq!(j.sync_json(), Vec::<Value>::new(), "joining a held room sends nothing");
    j.send_json(&json!({"type": "join", "payload": 5}));
    assert_eq!(j.json(), ev("error", json!({"code":"bad-args","message":"expected payload \"#ROOM\""})));
    j.send_json(&json!({"type": "join", "payload": "nohash"}));
    assert_eq!(j.json()["payload"]["code"], "room-invalid");
    j.send_json(&json!({"type": "chat", "payload": {"room": "#zzz", "text": "x"}}));
    assert_eq!(j.json(), ev("error", json!({"code":"not-in-room","message":"you are not in #zzz"})));
    j.send_json(&json!({"type": "chat", "payload": {"text": "x"}}));
    assert_eq!(j.json()["payload"]["code"], "bad-args");
    j.send_json(&json!({"type": "topic", "payload": {"room": "#nowhere"}}));
    assert_eq!(j.json(), ev("topic", json!({"room":"#nowhere","topic":"","by":""})));
}

#[test]
fn json_before_a_nickname_sees_the_default_room() {
    let s = Server::start(&[]);
    let _t = s.join("texter");
    let mut j = s.connect();
    j.send_json(&json!({"type": "who"}));
    assert_eq!(j.json(), ev("who", json!({"nicks":["texter"],"room":"#lobby"})));
    j.send_json(&json!({"type": "rooms"}));
    assert_eq!(j.json(), ev("rooms", json!({"rooms":[{"room":"#lobby","online":1,"topic":""}]})));
    j.send_json(&json!({"type": "join", "payload": "#rust"}));
    assert_eq!(j.json()["payload"]["code"], "not-joined");
}

#[test]
fn echo_still_reaches_every_json_client_whatever_its_rooms() {
    let s = Server::start(&[]);
    let mut a = s.join_json("a");
    let mut b = s.join_json("b");
    assert_eq!(a.json()["payload"]["nick"], "b");
    b.send_json(&json!({"type": "part", "payload": "#lobby"}));
    assert_eq!(b.json()["type"], "leave");
    assert_eq!(a.json()["type"], "leave");
    a.send_json(&json!({"type": "echo", "payload": {"x": 1}}));
    assert_eq!(a.json(), json!({"type":"echo","payload":{"x":1}}));
    assert_eq!(b.json(), json!({"type":"echo","payload":{"x":1}}));
}

// ---- WebSocket and mixed ---------------------------------------------------

#[test]
fn websocket_text_and_json_clients_share_a_room() {
    use tungstenite::Message;
    let s = Server::start_web(&[]);
    let (mut ws, _) = tungstenite::connect(format!("ws://{}/ws", s.web_addr())).expect("ws connect");
    let next = |ws: &mut tungstenite::WebSocket<_>| loop {
        match ws.read().expect("ws read") {
            Message::Text(t) => return t.to_string(),
            _ => continue,
        }
    };
    assert_eq!(next(&mut ws), WELCOME);
    ws.send(Message::text(r##"{"type":"nick","payload":"webby"}"##)).unwrap();
    assert_eq!(next(&mut ws), r##"{"type":"join","payload":{"nick":"webby","online":1,"room":"#lobby"}}"##);
    ws.send(Message::text(r##"{"type":"join","payload":"#rust"}"##)).unwrap();
    assert_eq!(next(&mut ws), r##"{"type":"join","payload":{"nick":"webby","online":1,"room":"#rust"}}"##);
    let mut t = s.join("texter");
    let mut j = s.join_json("jason");
    t.expect("* jason joined (3 online)");
    assert_eq!(next(&mut ws), r##"{"type":"join","payload":{"nick":"texter","online":2,"room":"#lobby"}}"##);
    assert_eq!(next(&mut ws), r##"{"type":"join","payload":{"nick":"jason","online":3,"room":"#lobby"}}"##);
    t.send("/join #rust");
    t.expect("* texter joined #rust (2 online)");
    assert_eq!(next(&mut ws), r##"{"type":"leave","payload":{"nick":"texter","online":2,"room":"#lobby"}}"##);
    assert_eq!(next(&mut ws), r##"{"type":"join","payload":{"nick":"texter","online":2,"room":"#rust"}}"##);
    assert_eq!(j.json(), ev("leave", json!({"nick":"texter","online":2,"room":"#lobby"})));
    ws.send(Message::text(r##"{"type":"chat","payload":"hi rust"}"##)).unwrap();
    assert_eq!(
        next(&mut ws),
        r##"{"type":"chat","payload":{"from":"webby","text":"hi rust","room":"#rust"}}"##
    );
    t.expect("[webby] hi rust");
    ws.send(Message::text(r##"{"type":"chat","payload":{"room":"#lobby","text":"hi lobby"}}"##)).unwrap();
    assert_eq!(
        next(&mut ws),
        r##"{"type":"chat","payload":{"from":"webby","text":"hi lobby","room":"#lobby"}}"##
    );
    assert_eq!(j.json(), ev("chat", json!({"from":"webby","text":"hi lobby","room":"#lobby"})));
    assert_eq!(t.sync(), Vec::<String>::new(), "texter in #rust hears nothing of #lobby");
    ws.close(None).unwrap();
    t.expect("* webby left #rust (1 online)");
    assert_eq!(j.json(), ev("leave", json!({"nick":"webby","online":1,"room":"#lobby"})));
}

#[test]
fn metrics_count_rooms() {
    let s = Server::start_web(&[]);
    let metrics = || {
        let mut c = Client::connect(s.web_addr());
        c.send_raw(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        let mut body = String::new();
        std::io::Read::read_to_string(&mut c.stream, &mut body).unwrap();
        body
    };
    assert!(metrics().contains("\nlinechat_rooms 1\n"), "{}", metrics());
    let mut a = s.join("alice");
    a.send("/join #rust");
    a.expect("* alice joined #rust (1 online)");
    let m = metrics();
    assert!(m.contains("\nlinechat_rooms 2\n"), "{m}");
    assert!(m.contains("\nlinechat_users_joined 1\n"), "{m}");
    a.send("/join #");
    a.expect("! room-invalid: a room name needs at least one character after '#'");
    assert!(metrics().contains("linechat_protocol_errors_total{code=\"room-invalid\"} 1\n"));
}
