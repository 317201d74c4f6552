//! Events and their two wire formats. An event is rendered at most once per
//! format, however many clients receive it.

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

/// What a connection speaks, decided by its first non-empty line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// No non-empty line yet; replies are text.
    Undecided,
    /// Plain lines, for nc and scripts.
    Text,
    /// One JSON packet per line.
    Json,
}

/// Something the server tells clients.
pub enum Event<'a> {
    Join { nick: &'a str, online: usize },
    Leave { nick: &'a str, online: usize },
    Chat { from: &'a str, text: &'a str },
    Msg { from: &'a str, to: &'a str, text: &'a str },
    Nick { old: &'a str, new: &'a str },
    Who { nicks: &'a [&'a str] },
    Pong { payload: Option<&'a Value> },
    Echo { payload: Option<&'a Value> },
    Help { lines: &'a [String], types: &'a [&'a str] },
    Bye,
    Shutdown,
    Error { code: &'a str, message: &'a str },
}

/// An event with its renderings, each made on first use.
pub struct Rendered<'a> {
    event: &'a Event<'a>,
    text: OnceCell<Message>,
    json: OnceCell<Message>,
}

impl<'a> Rendered<'a> {
    pub fn new(event: &'a Event<'a>) -> Self {
        Rendered { event, text: OnceCell::new(), json: OnceCell::new() }
    }

    /// The message for a client speaking `mode`.
    #[inline]
    pub fn get(&self, mode: Mode) -> &Message {
        match mode {
            Mode::Json => self.json.get_or_init(|| Message::new(render_json(self.event), STREAM_JSON)),
            Mode::Text | Mode::Undecided => {
                self.text.get_or_init(|| Message::new(render_text(self.event), STREAM_TEXT))
            }
        }
    }
}

pub fn render_text(event: &Event) -> Vec<u8> {
    let mut b = Vec::with_capacity(64);
    // Writing into a Vec cannot fail.
    let _ = match event {
        Event::Join { nick, online } => write!(b, "* {nick} joined ({online} online)"),
        Event::Leave { nick, online } => write!(b, "* {nick} left ({online} online)"),
        Event::Chat { from, text } => {
            b.reserve(from.len() + text.len() + 4);
            b.push(b'[');
            b.extend_from_slice(from.as_bytes());
            b.extend_from_slice(b"] ");
            b.extend_from_slice(text.as_bytes());
            Ok(())
        }
        Event::Msg { from, to, text } => write!(b, "[{from} -> {to}] {text}"),
        Event::Nick { old, new } => write!(b, "* {old} is now known as {new}"),
        Event::Who { nicks: [] } => write!(b, "* online (0):"),
        Event::Who { nicks } => write!(b, "* online ({}): {}", nicks.len(), nicks.join(", ")),
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

/// Appends `{"type":KIND,"payload":{"KEY":["ITEM",...]}}`.
fn json_string_list(b: &mut Vec<u8>, kind: &str, key: &str, items: &[&str]) {
    let _ = write!(b, r#"{{"type":"{kind}","payload":{{"{key}":["#);
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            b.push(b',');
        }
        json_str(b, item);
    }
    b.extend_from_slice(b"]}}");
}

pub fn render_json(event: &Event) -> Vec<u8> {
    let mut b = Vec::with_capacity(96);
    match event {
        Event::Join { nick, online } | Event::Leave { nick, online } => {
            let kind = if matches!(event, Event::Join { .. }) { "join" } else { "leave" };
            let _ = write!(b, r#"{{"type":"{kind}","payload":{{"nick":"#);
            json_str(&mut b, nick);
            let _ = write!(b, r#","online":{online}}}}}"#);
        }
        Event::Chat { from, text } => json_strings(&mut b, "chat", &[("from", from), ("text", text)]),
        Event::Msg { from, to, text } => {
            json_strings(&mut b, "msg", &[("from", from), ("to", to), ("text", text)])
        }
        Event::Nick { old, new } => json_strings(&mut b, "nick", &[("old", old), ("new", new)]),
        Event::Who { nicks } => json_string_list(&mut b, "who", "nicks", nicks),
        Event::Pong { payload } | Event::Echo { payload } => {
            let kind = if matches!(event, Event::Pong { .. }) { "pong" } else { "echo" };
            let _ = write!(b, r#"{{"type":"{kind}""#);
            if let Some(p) = payload {
                b.extend_from_slice(br#","payload":"#);
                json_value(&mut b, p);
            }
            b.push(b'}');
        }
        Event::Help { types, .. } => json_string_list(&mut b, "help", "types", types),
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
        assert_eq!(text(Event::Join { nick: "alice", online: 1 }), "* alice joined (1 online)\n");
        assert_eq!(text(Event::Chat { from: "a", text: "hi" }), "[a] hi\n");
        assert_eq!(text(Event::Msg { from: "a", to: "b", text: "x" }), "[a -> b] x\n");
        assert_eq!(text(Event::Who { nicks: &["a", "b"] }), "* online (2): a, b\n");
        assert_eq!(text(Event::Error { code: "c", message: "m" }), "! c: m\n");
    }

    #[test]
    fn json_forms_escape_everything() {
        assert_eq!(
            json(Event::Chat { from: "a", text: "q\"\\\n</>" }),
            serde_json::json!({"type":"chat","payload":{"from":"a","text":"q\"\\\n</>"}})
        );
        assert_eq!(
            json(Event::Leave { nick: "민수", online: 0 }),
            serde_json::json!({"type":"leave","payload":{"nick":"민수","online":0}})
        );
        assert_eq!(json(Event::Pong { payload: None }), serde_json::json!({"type":"pong"}));
        let p = serde_json::json!({"z":1,"a":[true,null]});
        let line = render_json(&Event::Echo { payload: Some(&p) });
        assert_eq!(line, b"{\"type\":\"echo\",\"payload\":{\"z\":1,\"a\":[true,null]}}\n");
    }
}
