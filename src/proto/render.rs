//! Events and their wire formats (text lines, JSON lines, IRC lines). An
//! event is rendered at most once per format, however many clients receive it.

use std::cell::OnceCell;
use std::io::Write;

use serde_json::Value;

use crate::conn::Message;

/// The line every client gets on connect, whatever it speaks later.
pub const WELCOME: &[u8] = b"* welcome to linechat - enter a nickname\n";

/// Output streams: text lines and JSON lines are packed apart, so a room of
/// one format gets one contiguous range per client per tick.
pub const STREAM_TEXT: u8 = 0;
pub const STREAM_JSON: u8 = 1;
pub const STREAM_IRC: u8 = 2;

/// What a connection speaks, decided by its first non-empty line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// No non-empty line yet; replies are text.
    Undecided,
    /// Plain lines, for nc and scripts.
    Text,
    /// One JSON packet per line.
    Json,
    /// IRC client protocol (the IRC port).
    Irc,
}

impl Mode {
    /// Text clients are in one room at a time; `/join` moves them.
    pub fn single_room(self) -> bool {
        matches!(self, Mode::Text | Mode::Undecided)
    }
}

/// A room as events name it: text lines leave the default room unnamed,
/// as they were before there were rooms.
#[derive(Debug, Clone, Copy)]
pub struct RoomRef<'a> {
    pub name: &'a str,
    pub is_default: bool,
}

/// How a private message was said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Said {
    Plain,
    /// An IRC NOTICE: other faces show it as a plain message.
    Notice,
    /// An action (`/me`).
    Action,
}

/// One line of a room listing.
pub struct RoomInfo<'a> {
    pub name: &'a str,
    pub online: usize,
    pub topic: &'a str,
}

/// Something the server tells clients.
pub enum Event<'a> {
    Join {
        nick: &'a str,
        online: usize,
        room: RoomRef<'a>,
    },
    /// IRC users see a PART with the reason, or (`quit`) one QUIT line
    /// however many rooms they share with the leaver.
    Leave {
        nick: &'a str,
        online: usize,
        room: RoomRef<'a>,
        reason: Option<&'a str>,
        quit: bool,
    },
    /// `notice`: an IRC NOTICE, shown to other faces as chat. `whole`: the
    /// text was one line of a face with short lines (IRC): a recipient of
    /// that face gets it in one line, cut if the relayed line would pass
    /// the limit, never as two messages; other text is split into as many
    /// lines as it needs, nothing lost.
    Chat {
        from: &'a str,
        text: &'a str,
        room: &'a str,
        notice: bool,
        whole: bool,
    },
    /// An action (`/me waves`) in a room; `whole` as for `Chat`.
    Me {
        from: &'a str,
        text: &'a str,
        room: &'a str,
        whole: bool,
    },
    /// A private message; `whole` as for `Chat`.
    Msg {
        from: &'a str,
        to: &'a str,
        text: &'a str,
        kind: Said,
        whole: bool,
    },
    Nick {
        old: &'a str,
        new: &'a str,
    },
    Who {
        nicks: &'a [&'a str],
        room: RoomRef<'a>,
    },
    /// A topic, as asked for (`set: false`) or as just set by `by`.
    Topic {
        room: &'a str,
        topic: &'a str,
        by: &'a str,
        set: bool,
    },
    Rooms {
        rooms: &'a [RoomInfo<'a>],
    },
    Pong {
        payload: Option<&'a Value>,
    },
    Echo {
        payload: Option<&'a Value>,
    },
    Help {
        lines: &'a [String],
        types: &'a [&'a str],
    },
    /// An event a script handler sent: `text` for text clients (one
    /// `* ` line per line), else `TYPE: <payload as JSON>`.
    #[cfg_attr(not(feature = "lua"), allow(dead_code))]
    Script {
        kind: &'a str,
        payload: Option<&'a Value>,
        text: Option<&'a str>,
    },
    Bye,
    Shutdown,
    Error {
        code: &'a str,
        message: &'a str,
    },
}

/// An event with its renderings, each made on first use.
pub struct Rendered<'a> {
    event: &'a Event<'a>,
    /// The server's name, for IRC masks and replies.
    server: &'a str,
    text: OnceCell<Message>,
    json: OnceCell<Message>,
    irc: OnceCell<Message>,
}

impl<'a> Rendered<'a> {
    pub fn new(event: &'a Event<'a>, server: &'a str) -> Self {
        Rendered { event, server, text: OnceCell::new(), json: OnceCell::new(), irc: OnceCell::new() }
    }

    /// The message for a client speaking `mode`.
    #[inline]
    pub fn get(&self, mode: Mode) -> &Message {
        match mode {
            Mode::Json => self.json.get_or_init(|| Message::new(render_json(self.event), STREAM_JSON)),
            Mode::Text | Mode::Undecided => {
                self.text.get_or_init(|| Message::new(render_text(self.event), STREAM_TEXT))
            }
            Mode::Irc => self
                .irc
                .get_or_init(|| Message::new(crate::irc::render::event(self.event, self.server), STREAM_IRC)),
        }
    }
}

pub fn render_text(event: &Event) -> Vec<u8> {
    let mut b = Vec::with_capacity(64);
    // Writing into a Vec cannot fail.
    let _ = match event {
        Event::Join { nick, online, room } if room.is_default => {
            write!(b, "* {nick} joined ({online} online)")
        }
        Event::Join { nick, online, room } => write!(b, "* {nick} joined {} ({online} online)", room.name),
        Event::Leave { nick, online, room, .. } if room.is_default => {
            write!(b, "* {nick} left ({online} online)")
        }
        Event::Leave { nick, online, room, .. } => write!(b, "* {nick} left {} ({online} online)", room.name),
        Event::Chat { from, text, .. } => {
            b.reserve(from.len() + text.len() + 4);
            b.push(b'[');
            b.extend_from_slice(from.as_bytes());
            b.extend_from_slice(b"] ");
            b.extend_from_slice(text.as_bytes());
            Ok(())
        }
        Event::Me { from, text, .. } => write!(b, "* {from} {text}"),
        Event::Msg { from, to, text, kind: Said::Action, .. } => {
            write!(b, "[{from} -> {to}] * {from} {text}")
        }
        Event::Msg { from, to, text, .. } => write!(b, "[{from} -> {to}] {text}"),
        Event::Nick { old, new } => write!(b, "* {old} is now known as {new}"),
        Event::Who { nicks, room } => {
            let _ = write!(b, "* online ");
            if !room.is_default {
                let _ = write!(b, "in {} ", room.name);
            }
            let _ = write!(b, "({}):", nicks.len());
            for (i, nick) in nicks.iter().enumerate() {
                b.extend_from_slice(if i == 0 { b" " } else { b", " });
                b.extend_from_slice(nick.as_bytes());
            }
            Ok(())
        }
        Event::Topic { room, by, set: true, topic: "" } => write!(b, "* {by} cleared the topic for {room}"),
        Event::Topic { room, topic, by, set: true } => write!(b, "* {by} set the topic for {room}: {topic}"),
        Event::Topic { room, topic: "", .. } => write!(b, "* no topic for {room}"),
        Event::Topic { room, topic, .. } => write!(b, "* topic for {room}: {topic}"),
        Event::Rooms { rooms } => {
            let _ = write!(b, "* rooms ({}):", rooms.len());
            for (i, r) in rooms.iter().enumerate() {
                let _ = write!(b, "{}{} ({})", if i == 0 { " " } else { ", " }, r.name, r.online);
            }
            Ok(())
        }
        Event::Pong { payload: None } => write!(b, "* pong"),
        Event::Pong { payload: Some(Value::String(s)) } => write!(b, "* pong {s}"),
        Event::Pong { payload: Some(v) } => write!(b, "* pong {v}"),
        Event::Echo { payload } => write!(b, "* echo {}", payload.unwrap_or(&Value::Null)),
        Event::Help { lines, .. } => {
            for (i, line) in lines.iter().enumerate() {
                if i > 0 {
                    b.push(b'\n');
                }
                b.extend_from_slice(b"* ");
                b.extend_from_slice(line.as_bytes());
            }
            Ok(())
        }
        Event::Script { text: Some(text), .. } => {
            for (i, line) in text.split('\n').enumerate() {
                if i > 0 {
                    b.push(b'\n');
                }
                b.extend_from_slice(b"* ");
                b.extend_from_slice(super::sanitize(line).as_bytes());
            }
            Ok(())
        }
        Event::Script { kind, payload, text: None } => {
            write!(b, "* {}: {}", super::sanitize(kind), payload.unwrap_or(&Value::Null))
        }
        Event::Bye => write!(b, "* bye"),
        Event::Shutdown => write!(b, "* server shutting down"),
        Event::Error { code, message } => write!(b, "! {code}: {message}"),
    };
    b.push(b'\n');
    b
}

/// Appends `s` as a JSON string literal.
fn json_str(b: &mut Vec<u8>, s: &str) {
    let _ = serde_json::to_writer(&mut *b, s);
}

fn json_value(b: &mut Vec<u8>, v: &Value) {
    let _ = serde_json::to_writer(&mut *b, v);
}

/// Appends `{"type":KIND,"payload":{"KEY":"VALUE",...}}`; keys are plain ASCII.
fn json_strings(b: &mut Vec<u8>, kind: &str, fields: &[(&str, &str)]) {
    let _ = write!(b, r#"{{"type":"{kind}","payload":{{"#);
    for (i, (key, value)) in fields.iter().enumerate() {
        if i > 0 {
            b.push(b',');
        }
        let _ = write!(b, r#""{key}":"#);
        json_str(b, value);
    }
    b.extend_from_slice(b"}}");
}

/// Appends `{"type":KIND,"payload":{"KEY":["ITEM",...],"FIELD":"VALUE",...}}`.
fn json_string_list(b: &mut Vec<u8>, kind: &str, key: &str, items: &[&str], fields: &[(&str, &str)]) {
    let _ = write!(b, r#"{{"type":"{kind}","payload":{{"{key}":["#);
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            b.push(b',');
        }
        json_str(b, item);
    }
    b.push(b']');
    for (field, value) in fields {
        let _ = write!(b, r#","{field}":"#);
        json_str(b, value);
    }
    b.extend_from_slice(b"}}");
}

pub fn render_json(event: &Event) -> Vec<u8> {
    let mut b = Vec::with_capacity(96);
    match event {
        Event::Join { nick, online, room } | Event::Leave { nick, online, room, .. } => {
            let kind = if matches!(event, Event::Join { .. }) { "join" } else { "leave" };
            let _ = write!(b, r#"{{"type":"{kind}","payload":{{"nick":"#);
            json_str(&mut b, nick);
            let _ = write!(b, r#","online":{online},"room":"#);
            json_str(&mut b, room.name);
            b.extend_from_slice(b"}}");
        }
        Event::Chat { from, text, room, .. } => {
            json_strings(&mut b, "chat", &[("from", from), ("text", text), ("room", room)])
        }
        Event::Me { from, text, room, .. } => {
            json_strings(&mut b, "me", &[("from", from), ("text", text), ("room", room)])
        }
        Event::Msg { from, to, text, kind: Said::Action, .. } => {
            json_strings(&mut b, "me", &[("from", from), ("text", text), ("to", to)])
        }
        Event::Msg { from, to, text, .. } => {
            json_strings(&mut b, "msg", &[("from", from), ("to", to), ("text", text)])
        }
        Event::Nick { old, new } => json_strings(&mut b, "nick", &[("old", old), ("new", new)]),
        Event::Who { nicks, room } => json_string_list(&mut b, "who", "nicks", nicks, &[("room", room.name)]),
        Event::Topic { room, topic, by, .. } => {
            json_strings(&mut b, "topic", &[("room", room), ("topic", topic), ("by", by)])
        }
        Event::Rooms { rooms } => {
            b.extend_from_slice(br#"{"type":"rooms","payload":{"rooms":["#);
            for (i, r) in rooms.iter().enumerate() {
                if i > 0 {
                    b.push(b',');
                }
                b.extend_from_slice(br#"{"room":"#);
                json_str(&mut b, r.name);
                let _ = write!(b, r#","online":{},"topic":"#, r.online);
                json_str(&mut b, r.topic);
                b.push(b'}');
            }
            b.extend_from_slice(b"]}}");
        }
        Event::Pong { payload } | Event::Echo { payload } => {
            let kind = if matches!(event, Event::Pong { .. }) { "pong" } else { "echo" };
            let _ = write!(b, r#"{{"type":"{kind}""#);
            if let Some(p) = payload {
                b.extend_from_slice(br#","payload":"#);
                json_value(&mut b, p);
            }
            b.push(b'}');
        }
        Event::Script { kind, payload, .. } => {
            b.extend_from_slice(br#"{"type":"#);
            json_str(&mut b, kind);
            if let Some(p) = payload {
                b.extend_from_slice(br#","payload":"#);
                json_value(&mut b, p);
            }
            b.push(b'}');
        }
        Event::Help { types, .. } => json_string_list(&mut b, "help", "types", types, &[]),
        Event::Bye => b.extend_from_slice(br#"{"type":"bye"}"#),
        Event::Shutdown => b.extend_from_slice(br#"{"type":"shutdown"}"#),
        Event::Error { code, message } => {
            json_strings(&mut b, "error", &[("code", code), ("message", message)])
        }
    }
    b.push(b'\n');
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOBBY: RoomRef = RoomRef { name: "#lobby", is_default: true };
    const RUST: RoomRef = RoomRef { name: "#rust", is_default: false };

    fn text(e: Event) -> String {
        String::from_utf8(render_text(&e)).unwrap()
    }
    fn json(e: Event) -> Value {
        let line = render_json(&e);
        assert_eq!(line.iter().filter(|&&c| c == b'\n').count(), 1, "one line");
        serde_json::from_slice(&line).unwrap()
    }

    #[test]
    fn text_forms() {
        assert_eq!(
            text(Event::Join { nick: "alice", online: 1, room: LOBBY }),
            "* alice joined (1 online)\n"
        );
        assert_eq!(text(Event::Join { nick: "a", online: 1, room: RUST }), "* a joined #rust (1 online)\n");
        assert_eq!(
            text(Event::Leave { nick: "a", online: 0, room: RUST, reason: None, quit: false }),
            "* a left #rust (0 online)\n"
        );
        assert_eq!(
            text(Event::Chat { from: "a", text: "hi", room: "#rust", notice: false, whole: false }),
            "[a] hi\n"
        );
        assert_eq!(
            text(Event::Msg { from: "a", to: "b", text: "x", kind: Said::Plain, whole: false }),
            "[a -> b] x\n"
        );
        assert_eq!(text(Event::Who { nicks: &["a", "b"], room: LOBBY }), "* online (2): a, b\n");
        assert_eq!(text(Event::Who { nicks: &[], room: LOBBY }), "* online (0):\n");
        assert_eq!(text(Event::Who { nicks: &["a"], room: RUST }), "* online in #rust (1): a\n");
        let topic = |topic, set| Event::Topic { room: "#rust", topic, by: "a", set };
        assert_eq!(text(topic("x y", true)), "* a set the topic for #rust: x y\n");
        assert_eq!(text(topic("", true)), "* a cleared the topic for #rust\n");
        assert_eq!(text(topic("x y", false)), "* topic for #rust: x y\n");
        assert_eq!(text(topic("", false)), "* no topic for #rust\n");
        let rooms = [
            RoomInfo { name: "#lobby", online: 2, topic: "" },
            RoomInfo { name: "#rust", online: 1, topic: "t" },
        ];
        assert_eq!(text(Event::Rooms { rooms: &rooms }), "* rooms (2): #lobby (2), #rust (1)\n");
        assert_eq!(text(Event::Error { code: "c", message: "m" }), "! c: m\n");
        assert_eq!(text(Event::Me { from: "a", text: "waves", room: "#x", whole: false }), "* a waves\n");
        let action = Event::Msg { from: "a", to: "b", text: "waves", kind: Said::Action, whole: false };
        assert_eq!(text(action), "[a -> b] * a waves\n");
    }

    #[test]
    fn json_forms_escape_everything() {
        assert_eq!(
            json(Event::Chat { from: "a", text: "q\"\\\n</>", room: "#lobby", notice: true, whole: true }),
            serde_json::json!({"type":"chat","payload":{"from":"a","text":"q\"\\\n</>","room":"#lobby"}})
        );
        assert_eq!(
            json(Event::Leave { nick: "민수", online: 0, room: RUST, reason: Some("bye"), quit: true }),
            serde_json::json!({"type":"leave","payload":{"nick":"민수","online":0,"room":"#rust"}})
        );
        assert_eq!(
            render_json(&Event::Who { nicks: &["a", "\"b"], room: LOBBY }),
            b"{\"type\":\"who\",\"payload\":{\"nicks\":[\"a\",\"\\\"b\"],\"room\":\"#lobby\"}}\n"
        );
        let rooms = [RoomInfo { name: "#r\"", online: 1, topic: "t\n" }];
        assert_eq!(
            json(Event::Rooms { rooms: &rooms }),
            serde_json::json!({"type":"rooms","payload":{"rooms":[{"room":"#r\"","online":1,"topic":"t\n"}]}})
        );
        assert_eq!(
            render_json(&Event::Topic { room: "#x", topic: "", by: "", set: false }),
            b"{\"type\":\"topic\",\"payload\":{\"room\":\"#x\",\"topic\":\"\",\"by\":\"\"}}\n"
        );
        assert_eq!(json(Event::Pong { payload: None }), serde_json::json!({"type":"pong"}));
        assert_eq!(
            json(Event::Me { from: "a", text: "waves", room: "#x", whole: false }),
            serde_json::json!({"type":"me","payload":{"from":"a","text":"waves","room":"#x"}})
        );
        let p = serde_json::json!({"z":1,"a":[true,null]});
        let line = render_json(&Event::Echo { payload: Some(&p) });
        assert_eq!(line, b"{\"type\":\"echo\",\"payload\":{\"z\":1,\"a\":[true,null]}}\n");
    }
}
