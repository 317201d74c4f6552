//! The lines face's two formats: text lines for nc and scripts, and JSON
//! lines (one packet each) for programs and the page. Each event is
//! rendered once per format, whoever receives it.

use std::io::Write;

use serde_json::Value;

use crate::chat::accounts::AccountAction;
use crate::chat::event::{Event, Said};
use crate::chat::render::RenderEnv;
use crate::chat::sanitize;
use crate::store::history::{Entry, Kind};

/// The text renderer, for the chat core's table.
pub fn render_text(event: &Event, _env: &RenderEnv) -> Vec<u8> {
    text(event)
}

/// The JSON renderer, for the chat core's table.
pub fn render_json(event: &Event, _env: &RenderEnv) -> Vec<u8> {
    json(event)
}

/// The JSON renderer for clients that asked for the `ids` capability: room
/// lines carry `"id"` and `"time"` in their payload.
pub fn render_json_ids(event: &Event, _env: &RenderEnv) -> Vec<u8> {
    match event {
        Event::Stamped { stamp, event } => {
            let mut b = json(event);
            // `...}}\n`: the payload's fields go before its closing brace.
            b.truncate(b.len() - 3);
            let _ = write!(b, r#","id":"{}","time":"{}"}}}}"#, stamp.id, crate::clock::iso_ms(stamp.time_ms));
            b.push(b'\n');
            b
        }
        _ => json(event),
    }
}

/// A stored line as a member of its room saw it live (text), without its newline.
fn text_item(b: &mut Vec<u8>, room: &str, e: &Entry) {
    let _ = match e.kind {
        Kind::Chat | Kind::Notice => write!(b, "[{}] {}", e.from, e.text),
        Kind::Me => write!(b, "* {} {}", e.from, e.text),
        Kind::Topic if e.text.is_empty() => write!(b, "* {} cleared the topic for {room}", e.from),
        Kind::Topic => write!(b, "* {} set the topic for {room}: {}", e.from, e.text),
    };
}

/// The line every client gets on connect, whatever it speaks later.
pub const WELCOME: &[u8] = b"* welcome to linechat - enter a nickname\n";

/// An event as text lines (`* ...`, `[nick] ...`, `! code: ...`).
pub fn text(event: &Event) -> Vec<u8> {
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
        Event::Help { lines, .. } | Event::Motd { lines } => {
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
                b.extend_from_slice(sanitize(line).as_bytes());
            }
            Ok(())
        }
        Event::Script { kind, payload, text: None } => {
            write!(b, "* {}: {}", sanitize(kind), payload.unwrap_or(&Value::Null))
        }
        Event::Stamped { event, .. } => return text(event),
        Event::History { room, items, .. } => {
            let n = items.len();
            let _ = write!(b, "* history for {room} ({n} line{}):", if n == 1 { "" } else { "s" });
            for e in items.iter() {
                let _ = write!(b, "\n* {} ", crate::clock::text_time(e.time_ms));
                text_item(&mut b, room, e);
            }
            write!(b, "\n* end of history for {room}")
        }
        Event::Caps { caps } => write!(b, "* caps: {}", caps.join(" ")),
        Event::Kick { room, by, nick, reason } => {
            let _ = write!(b, "* {by} kicked {nick}");
            if !room.is_default {
                let _ = write!(b, " from {}", room.name);
            }
            if reason.is_empty() {
                Ok(())
            } else {
                write!(b, " ({reason})")
            }
        }
        Event::Mode { room, by, modes, set: true } if room.is_default => write!(b, "* {by} set mode {modes}"),
        Event::Mode { room, by, modes, set: true } => write!(b, "* {by} set mode {modes} on {}", room.name),
        Event::Mode { room, modes, .. } => write!(b, "* modes of {}: {modes}", room.name),
        Event::Ban { room, by, mask, set, mute, until_ms, reason } => {
            let (what, word) = if *mute { ("mute", "muted") } else { ("ban", "banned") };
            let place = if room.is_default { String::new() } else { format!(" in {}", room.name) };
            if !set {
                write!(b, "* {by} lifted the {what} on {mask}{place}")
            } else {
                let _ = write!(b, "* {by} {word} {mask}{place}");
                if let Some(until) = until_ms {
                    let _ = write!(b, " until {} UTC", crate::clock::text_time(*until));
                }
                if reason.is_empty() {
                    Ok(())
                } else {
                    write!(b, " ({reason})")
                }
            }
        }
        Event::Invite { room, by, nick } => write!(b, "* {by} invited {nick} to {room}"),
        Event::Whois { nick, account, oper, rooms } => {
            let _ = match account {
                Some(account) => write!(b, "* {nick}: signed in as {account}"),
                None => write!(b, "* {nick}: not signed in"),
            };
            if *oper {
                let _ = write!(b, ", server operator");
            }
            if rooms.is_empty() {
                write!(b, ", in no room")
            } else {
                write!(b, ", in {}", rooms.join(", "))
            }
        }
        Event::Members { room, members } => {
            let shown: Vec<String> = members
                .iter()
                .map(|(nick, rank)| format!("{}{nick}", crate::chat::moderation::prefix(*rank)))
                .collect();
            write!(b, "* members of {} ({}): {}", room.name, members.len(), shown.join(", "))
        }
        Event::Kline { mask, set: false, .. } => write!(b, "* removed the K-line on {mask}"),
        Event::Kline { mask, until_ms, reason, .. } => {
            let _ = write!(b, "* K-line on {mask}");
            if let Some(until) = until_ms {
                let _ = write!(b, " until {} UTC", crate::clock::text_time(*until));
            }
            write!(b, " ({reason})")
        }
        Event::KlineList { klines } => {
            let _ = write!(b, "* K-lines ({}):", klines.len());
            for k in klines.iter() {
                let _ = write!(b, "\n* {} by {}", k.mask, k.by);
                if let Some(until) = k.until_ms {
                    let _ = write!(b, " until {} UTC", crate::clock::text_time(until));
                }
                let _ = write!(b, " ({})", k.reason);
            }
            Ok(())
        }
        Event::Bans { room, bans } => {
            let n = bans.len();
            let _ = write!(b, "* bans and mutes in {room} ({n}):");
            for ban in bans.iter() {
                let what = if ban.mute { "mute" } else { "ban" };
                let _ = write!(b, "\n* {what} {} by {}", ban.shown, ban.by);
                if let Some(until) = ban.until_ms {
                    let _ = write!(b, " until {} UTC", crate::clock::text_time(until));
                }
                if !ban.reason.is_empty() {
                    let _ = write!(b, " ({})", ban.reason);
                }
            }
            Ok(())
        }
        Event::Account { action, account, persistent } => match action {
            AccountAction::Registered if *persistent => {
                write!(b, "* registered the account {account}; you are signed in")
            }
            AccountAction::Registered => write!(
                b,
                "* registered the account {account}; you are signed in\n* this server keeps accounts in memory only: they are lost when it restarts"
            ),
            AccountAction::SignedIn => write!(b, "* signed in as {account}"),
            AccountAction::SignedOut => write!(b, "* signed out of {account}"),
            AccountAction::PasswordChanged => write!(b, "* changed the password of {account}"),
            AccountAction::Unregistered => write!(b, "* removed the account {account}; you are signed out"),
            AccountAction::Operator => write!(b, "* you are now a server operator ({account})"),
        },
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

/// Appends `{"type":KIND,"payload":["ITEM",...]}`.
fn json_string_list_bare(b: &mut Vec<u8>, kind: &str, items: &[&str]) {
    let _ = write!(b, r#"{{"type":"{kind}","payload":["#);
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            b.push(b',');
        }
        json_str(b, item);
    }
    b.extend_from_slice(b"]}");
}

/// An event as one JSON line `{"type":...,"payload":...}`.
pub fn json(event: &Event) -> Vec<u8> {
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
        Event::Motd { lines } => {
            let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
            json_string_list(&mut b, "motd", "lines", &lines, &[])
        }
        Event::Stamped { event, .. } => return json(event),
        Event::History { room, items, complete } => {
            b.extend_from_slice(br#"{"type":"history","payload":{"room":"#);
            json_str(&mut b, room);
            b.extend_from_slice(br#","items":["#);
            for (i, e) in items.iter().enumerate() {
                if i > 0 {
                    b.push(b',');
                }
                let kind = if e.kind == Kind::Notice { "chat" } else { e.kind.name() };
                let _ = write!(
                    b,
                    r#"{{"id":"{}","time":"{}","type":"{kind}","from":"#,
                    e.id,
                    crate::clock::iso_ms(e.time_ms)
                );
                json_str(&mut b, &e.from);
                b.extend_from_slice(br#","text":"#);
                json_str(&mut b, &e.text);
                b.push(b'}');
            }
            let _ = write!(b, r#"],"complete":{complete}}}}}"#);
        }
        Event::Caps { caps } => json_string_list_bare(&mut b, "caps", caps),
        Event::Kick { room, by, nick, reason } => json_strings(
            &mut b,
            "kick",
            &[("room", room.name), ("by", by), ("nick", nick), ("reason", reason)],
        ),
        Event::Mode { room, by, modes, set: true } => {
            json_strings(&mut b, "mode", &[("room", room.name), ("by", by), ("modes", modes)])
        }
        Event::Mode { room, modes, .. } => {
            json_strings(&mut b, "mode", &[("room", room.name), ("modes", modes)])
        }
        Event::Ban { room, by, mask, set, mute, until_ms, reason } => {
            let until = until_ms.map(crate::clock::iso_ms);
            let payload = serde_json::json!({"room": room.name, "by": by, "mask": mask, "set": set, "mute": mute,
                "until": until, "reason": reason});
            let _ = serde_json::to_writer(&mut b, &serde_json::json!({"type": "ban", "payload": payload}));
        }
        Event::Invite { room, by, nick } => {
            json_strings(&mut b, "invite", &[("room", room), ("by", by), ("nick", nick)])
        }
        Event::Whois { nick, account, oper, rooms } => {
            let payload = serde_json::json!({"nick": nick, "account": account, "oper": oper, "rooms": rooms});
            let _ = serde_json::to_writer(&mut b, &serde_json::json!({"type": "whois", "payload": payload}));
        }
        Event::Members { room, members } => {
            use crate::chat::moderation::{OP, VOICE};
            let list: Vec<Value> = members
                .iter()
                .map(|(nick, rank)| serde_json::json!({"nick": nick, "op": rank & OP != 0, "voice": rank & VOICE != 0}))
                .collect();
            let payload = serde_json::json!({"room": room.name, "members": list});
            let _ =
                serde_json::to_writer(&mut b, &serde_json::json!({"type": "members", "payload": payload}));
        }
        Event::Kline { mask, set, until_ms, reason } => {
            let payload = serde_json::json!({"mask": mask, "set": set,
                "until": until_ms.map(crate::clock::iso_ms), "reason": reason});
            let _ = serde_json::to_writer(&mut b, &serde_json::json!({"type": "kline", "payload": payload}));
        }
        Event::KlineList { klines } => {
            let list: Vec<Value> = klines
                .iter()
                .map(|k| {
                    serde_json::json!({"mask": k.mask.to_string(), "by": k.by, "set": crate::clock::iso_ms(k.set_ms),
                        "until": k.until_ms.map(crate::clock::iso_ms), "reason": k.reason})
                })
                .collect();
            let _ = serde_json::to_writer(&mut b, &serde_json::json!({"type": "klines", "payload": list}));
        }
        Event::Bans { room, bans } => {
            let bans: Vec<Value> = bans
                .iter()
                .map(|ban| {
                    serde_json::json!({"mask": ban.shown, "by": ban.by, "set": crate::clock::iso_ms(ban.set_ms),
                        "until": ban.until_ms.map(crate::clock::iso_ms), "reason": ban.reason, "mute": ban.mute})
                })
                .collect();
            let payload = serde_json::json!({"room": room, "bans": bans});
            let _ = serde_json::to_writer(&mut b, &serde_json::json!({"type": "bans", "payload": payload}));
        }
        Event::Account { action, account, persistent } => {
            json_strings(&mut b, "account", &[("action", action.name()), ("account", account)]);
            if *action == AccountAction::Registered {
                // `...}}`: the payload's fields go before its closing brace.
                b.truncate(b.len() - 2);
                let _ = write!(b, r#","persistent":{persistent}}}}}"#);
            }
        }
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
    use crate::chat::event::{RoomInfo, RoomRef};

    const LOBBY: RoomRef = RoomRef { name: "#lobby", is_default: true };
    const RUST: RoomRef = RoomRef { name: "#rust", is_default: false };

    fn text(e: Event) -> String {
        String::from_utf8(super::text(&e)).unwrap()
    }
    fn json(e: Event) -> Value {
        let line = super::json(&e);
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
            super::json(&Event::Who { nicks: &["a", "\"b"], room: LOBBY }),
            b"{\"type\":\"who\",\"payload\":{\"nicks\":[\"a\",\"\\\"b\"],\"room\":\"#lobby\"}}\n"
        );
        let rooms = [RoomInfo { name: "#r\"", online: 1, topic: "t\n" }];
        assert_eq!(
            json(Event::Rooms { rooms: &rooms }),
            serde_json::json!({"type":"rooms","payload":{"rooms":[{"room":"#r\"","online":1,"topic":"t\n"}]}})
        );
        assert_eq!(
            super::json(&Event::Topic { room: "#x", topic: "", by: "", set: false }),
            b"{\"type\":\"topic\",\"payload\":{\"room\":\"#x\",\"topic\":\"\",\"by\":\"\"}}\n"
        );
        assert_eq!(json(Event::Pong { payload: None }), serde_json::json!({"type":"pong"}));
        assert_eq!(
            json(Event::Me { from: "a", text: "waves", room: "#x", whole: false }),
            serde_json::json!({"type":"me","payload":{"from":"a","text":"waves","room":"#x"}})
        );
        let p = serde_json::json!({"z":1,"a":[true,null]});
        let line = super::json(&Event::Echo { payload: Some(&p) });
        assert_eq!(line, b"{\"type\":\"echo\",\"payload\":{\"z\":1,\"a\":[true,null]}}\n");
    }
}
