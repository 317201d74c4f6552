//! The lines face's two formats: text lines for nc and scripts, and JSON
//! lines (one packet each) for programs and the page. Each event is
//! rendered once per format, whoever receives it.

use std::fmt::Display;
use std::io::Write;

use serde_json::Value;

use crate::chat::accounts::AccountAction;
use crate::chat::event::{Event, Said, Signal};
use crate::chat::render::RenderEnv;
use crate::chat::sanitize;
use crate::store::history::{Entry, Kind};
use crate::words::{put, Lang};

/// The text renderer, for the chat core's table.
pub fn render_text(event: &Event, _env: &RenderEnv, lang: Lang) -> Vec<u8> {
    text(event, lang)
}

/// The JSON renderer, for the chat core's table (`lang`: the words of
/// error messages).
pub fn render_json(event: &Event, _env: &RenderEnv, lang: Lang) -> Vec<u8> {
    json(event, lang)
}

/// The JSON renderer for clients that asked for the `ids` capability: room
/// lines carry `"id"` and `"time"` in their payload.
pub fn render_json_ids(event: &Event, _env: &RenderEnv, lang: Lang) -> Vec<u8> {
    match event {
        Event::Stamped { stamp, event } => {
            let mut b = json(event, lang);
            // `...}}\n`: the payload's fields go before its closing brace.
            b.truncate(b.len() - 3);
            let _ = write!(b, r#","id":"{}","time":"{}"}}}}"#, stamp.id, crate::clock::iso_ms(stamp.time_ms));
            b.push(b'\n');
            b
        }
        _ => json(event, lang),
    }
}

/// A stored line as a member of its room saw it live (text), without its newline.
fn text_item(b: &mut Vec<u8>, lang: Lang, room: &str, e: &Entry) {
    match e.kind {
        Kind::Chat | Kind::Notice => {
            let _ = write!(b, "[{}] {}", e.from, e.text);
        }
        Kind::Me => {
            let _ = write!(b, "* {} {}", e.from, e.text);
        }
        Kind::Topic if e.text.is_empty() => {
            put(b, lang, "topic-cleared", &[("by", &e.from), ("room", &room)])
        }
        Kind::Topic => put(b, lang, "topic-set", &[("by", &e.from), ("room", &room), ("topic", &e.text)]),
        Kind::Deleted => put(b, lang, "deleted-line", &[]),
    }
}

/// The line every client gets on connect, whatever it speaks later.
pub fn welcome(lang: Lang) -> Vec<u8> {
    let mut b = Vec::with_capacity(64);
    put(&mut b, lang, "welcome", &[]);
    b.push(b'\n');
    b
}

/// ` until TIME UTC` and ` (REASON)`, as a ban or K-line ends.
fn until_and_reason(b: &mut Vec<u8>, lang: Lang, until_ms: Option<u64>, reason: &str) {
    if let Some(until) = until_ms {
        put(b, lang, "until", &[("time", &crate::clock::text_time(until))]);
    }
    if !reason.is_empty() {
        let _ = write!(b, " ({reason})");
    }
}

/// An event as text lines (`* ...`, `[nick] ...`, `! code: ...`) in `lang`.
pub fn text(event: &Event, lang: Lang) -> Vec<u8> {
    let mut b = Vec::with_capacity(64);
    let b = &mut b;
    match event {
        Event::Join { nick, online, room } if room.is_default => {
            put(b, lang, "join", &[("nick", nick), ("online", online)])
        }
        Event::Join { nick, online, room } => {
            put(b, lang, "join-room", &[("nick", nick), ("room", &room.name), ("online", online)])
        }
        Event::Leave { nick, online, room, .. } if room.is_default => {
            put(b, lang, "leave", &[("nick", nick), ("online", online)])
        }
        Event::Leave { nick, online, room, .. } => {
            put(b, lang, "leave-room", &[("nick", nick), ("room", &room.name), ("online", online)])
        }
        Event::Chat { from, text, .. } => {
            b.reserve(from.len() + text.len() + 4);
            b.push(b'[');
            b.extend_from_slice(from.as_bytes());
            b.extend_from_slice(b"] ");
            b.extend_from_slice(text.as_bytes());
        }
        Event::Me { from, text, .. } => {
            let _ = write!(b, "* {from} {text}");
        }
        Event::Msg { from, to, text, kind: Said::Action, .. } => {
            let _ = write!(b, "[{from} -> {to}] * {from} {text}");
        }
        Event::Msg { from, to, text, .. } => {
            let _ = write!(b, "[{from} -> {to}] {text}");
        }
        Event::Nick { old, new } => put(b, lang, "nick", &[("old", old), ("new", new)]),
        Event::Who { nicks, room } => {
            let count = nicks.len();
            if room.is_default {
                put(b, lang, "who", &[("count", &count)]);
            } else {
                put(b, lang, "who-room", &[("room", &room.name), ("count", &count)]);
            }
            for (i, nick) in nicks.iter().enumerate() {
                b.extend_from_slice(if i == 0 { b" " } else { b", " });
                b.extend_from_slice(nick.as_bytes());
            }
        }
        Event::Topic { room, by, set: true, topic: "" } => {
            put(b, lang, "topic-cleared", &[("by", by), ("room", room)])
        }
        Event::Topic { room, topic, by, set: true } => {
            put(b, lang, "topic-set", &[("by", by), ("room", room), ("topic", topic)])
        }
        Event::Topic { room, topic: "", .. } => put(b, lang, "topic-none", &[("room", room)]),
        Event::Topic { room, topic, .. } => put(b, lang, "topic", &[("room", room), ("topic", topic)]),
        Event::Rooms { rooms } => {
            put(b, lang, "rooms", &[("count", &rooms.len())]);
            for (i, r) in rooms.iter().enumerate() {
                let _ = write!(b, "{}{} ({})", if i == 0 { " " } else { ", " }, r.name, r.online);
            }
        }
        Event::Pong { payload: None } => b.extend_from_slice(b"* pong"),
        Event::Pong { payload: Some(Value::String(s)) } => {
            let _ = write!(b, "* pong {s}");
        }
        Event::Pong { payload: Some(v) } => {
            let _ = write!(b, "* pong {v}");
        }
        Event::Echo { payload } => {
            let _ = write!(b, "* echo {}", payload.unwrap_or(&Value::Null));
        }
        Event::Help { lines, .. } | Event::Motd { lines } => {
            for (i, line) in lines.iter().enumerate() {
                if i > 0 {
                    b.push(b'\n');
                }
                b.extend_from_slice(b"* ");
                b.extend_from_slice(line.as_bytes());
            }
        }
        Event::Script { text: Some(text), .. } => {
            for (i, line) in text.split('\n').enumerate() {
                if i > 0 {
                    b.push(b'\n');
                }
                b.extend_from_slice(b"* ");
                b.extend_from_slice(sanitize(line).as_bytes());
            }
        }
        Event::Script { kind, payload, text: None } => {
            let _ = write!(b, "* {}: {}", sanitize(kind), payload.unwrap_or(&Value::Null));
        }
        Event::Stamped { event, .. } => return text(event, lang),
        Event::History { room, items, .. } => {
            let n = items.len();
            if n == 1 {
                put(b, lang, "history-one", &[("room", room)]);
            } else {
                put(b, lang, "history", &[("room", room), ("count", &n)]);
            }
            for e in items.iter() {
                let _ = write!(b, "\n* {} ", crate::clock::text_time(e.time_ms));
                text_item(b, lang, room, e);
            }
            b.push(b'\n');
            put(b, lang, "history-end", &[("room", room)]);
        }
        Event::Caps { caps } => {
            let _ = write!(b, "* caps: {}", caps.join(" "));
        }
        Event::Kick { room, by, nick, reason } => {
            if room.is_default {
                put(b, lang, "kick", &[("by", by), ("nick", nick)]);
            } else {
                put(b, lang, "kick-room", &[("by", by), ("nick", nick), ("room", &room.name)]);
            }
            until_and_reason(b, lang, None, reason);
        }
        Event::Mode { room, by, modes, set: true } if room.is_default => {
            put(b, lang, "mode-set", &[("by", by), ("modes", modes)])
        }
        Event::Mode { room, by, modes, set: true } => {
            put(b, lang, "mode-set-room", &[("by", by), ("modes", modes), ("room", &room.name)])
        }
        Event::Mode { room, modes, .. } => put(b, lang, "modes", &[("room", &room.name), ("modes", modes)]),
        Event::Ban { room, by, mask, set, mute, until_ms, reason } => {
            let key = match (set, mute, room.is_default) {
                (true, false, true) => "ban",
                (true, false, false) => "ban-room",
                (true, true, true) => "mute",
                (true, true, false) => "mute-room",
                (false, false, true) => "unban",
                (false, false, false) => "unban-room",
                (false, true, true) => "unmute",
                (false, true, false) => "unmute-room",
            };
            put(b, lang, key, &[("by", by), ("mask", mask), ("room", &room.name)]);
            if *set {
                until_and_reason(b, lang, *until_ms, reason);
            }
        }
        Event::Invite { room, by, nick } => {
            put(b, lang, "invite", &[("by", by), ("nick", nick), ("room", room)])
        }
        Event::Delete { by, .. } => put(b, lang, "deleted", &[("by", by)]),
        Event::MarkRead { room, time_ms: Some(time), .. } => {
            put(b, lang, "marked-read", &[("room", room), ("time", &crate::clock::iso_ms(*time))])
        }
        Event::MarkRead { room, time_ms: None, .. } => put(b, lang, "marked-nothing", &[("room", room)]),
        // Text sessions never get typing (their profile says so).
        Event::Signal { signal: Signal::Typing(_), .. } => {}
        Event::Signal { from, signal: Signal::React { emoji, .. }, quoted, .. } => {
            let (author, text) = quoted.unwrap_or(("?", ""));
            put(b, lang, "reacted", &[("nick", from), ("emoji", emoji), ("author", &author), ("text", &text)])
        }
        Event::Whois { nick, account, oper, rooms } => {
            match account {
                Some(account) => put(b, lang, "whois-account", &[("nick", nick), ("account", account)]),
                None => put(b, lang, "whois-anonymous", &[("nick", nick)]),
            }
            if *oper {
                put(b, lang, "whois-oper", &[]);
            }
            if rooms.is_empty() {
                put(b, lang, "whois-no-rooms", &[]);
            } else {
                put(b, lang, "whois-rooms", &[("rooms", &rooms.join(", "))]);
            }
        }
        Event::Members { room, members } => {
            let shown: Vec<String> = members
                .iter()
                .map(|(nick, rank)| format!("{}{nick}", crate::chat::moderation::prefix(*rank)))
                .collect();
            let args: [(&str, &dyn Display); 3] =
                [("room", &room.name), ("count", &members.len()), ("members", &shown.join(", "))];
            put(b, lang, "members", &args);
        }
        Event::Kline { mask, set: false, .. } => put(b, lang, "kline-removed", &[("mask", mask)]),
        Event::Kline { mask, until_ms, reason, .. } => {
            put(b, lang, "kline", &[("mask", mask)]);
            until_and_reason(b, lang, *until_ms, reason);
        }
        Event::KlineList { klines } => {
            put(b, lang, "klines", &[("count", &klines.len())]);
            for k in klines.iter() {
                b.push(b'\n');
                put(b, lang, "kline-item", &[("mask", &k.mask), ("by", &k.by)]);
                until_and_reason(b, lang, k.until_ms, &k.reason);
            }
        }
        Event::Bans { room, bans } => {
            put(b, lang, "bans", &[("room", room), ("count", &bans.len())]);
            for ban in bans.iter() {
                b.push(b'\n');
                let key = if ban.mute { "mute-item" } else { "ban-item" };
                put(b, lang, key, &[("mask", &ban.shown), ("by", &ban.by)]);
                until_and_reason(b, lang, ban.until_ms, &ban.reason);
            }
        }
        Event::Account { action, account, persistent } => {
            // The catalogue's keys are the actions' names.
            put(b, lang, action.name(), &[("account", account)]);
            if *action == AccountAction::Registered && !persistent {
                b.push(b'\n');
                put(b, lang, "memory-only", &[]);
            }
        }
        Event::Lang { lang: chosen } => {
            put(b, lang, "lang", &[("name", &chosen.name()), ("lang", &chosen.code())]);
        }
        Event::Langs { yours } => {
            put(b, lang, "langs", &[("langs", &crate::words::spoken()), ("lang", &yours.code())]);
        }
        Event::Bye => put(b, lang, "bye", &[]),
        Event::Shutdown => put(b, lang, "shutdown", &[]),
        Event::Error { code, message } => {
            let _ = write!(b, "! {code}: {message}");
        }
        Event::Fault { fault } => {
            let _ = write!(b, "! {}: {}", fault.code(), fault.message_in(lang));
        }
    }
    b.push(b'\n');
    std::mem::take(b)
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
pub fn json(event: &Event, lang: Lang) -> Vec<u8> {
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
        Event::Stamped { event, .. } => return json(event, lang),
        Event::History { room, items, complete } => {
            b.extend_from_slice(br#"{"type":"history","payload":{"room":"#);
            json_str(&mut b, room);
            b.extend_from_slice(br#","items":["#);
            for (i, e) in items.iter().enumerate() {
                if i > 0 {
                    b.push(b',');
                }
                if e.kind == Kind::Deleted {
                    // A tombstone: its id and time, nothing of what it said.
                    let (id, time) = (e.id, crate::clock::iso_ms(e.time_ms));
                    let _ = write!(b, r#"{{"id":"{id}","time":"{time}","deleted":true}}"#);
                    continue;
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
                if !e.reactions().is_empty() {
                    b.extend_from_slice(br#","reactions":["#);
                    for (i, r) in e.reactions().iter().enumerate() {
                        if i > 0 {
                            b.push(b',');
                        }
                        b.extend_from_slice(br#"{"nick":"#);
                        json_str(&mut b, &r.nick);
                        b.extend_from_slice(br#","emoji":"#);
                        json_str(&mut b, &r.emoji);
                        b.push(b'}');
                    }
                    b.push(b']');
                }
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
        Event::Delete { room, id, by, .. } => {
            json_strings(&mut b, "delete", &[("room", room), ("id", id), ("by", by)])
        }
        Event::MarkRead { room, time_ms, id } => {
            let time = time_ms.map(crate::clock::iso_ms);
            let payload = serde_json::json!({"room": room, "id": id, "time": time});
            let _ =
                serde_json::to_writer(&mut b, &serde_json::json!({"type": "markread", "payload": payload}));
        }
        Event::Signal { from, to, room, signal, .. } => {
            let place = if *room { "room" } else { "to" };
            match signal {
                Signal::Typing(state) => {
                    json_strings(&mut b, "typing", &[("nick", from), (place, to), ("state", state.name())])
                }
                Signal::React { id, emoji } => json_strings(
                    &mut b,
                    "react",
                    &[("nick", from), (place, to), ("id", id), ("emoji", emoji)],
                ),
            }
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
        Event::Fault { fault } => {
            json_strings(&mut b, "error", &[("code", fault.code()), ("message", &fault.message_in(lang))])
        }
        Event::Lang { lang: chosen } => {
            let langs: Vec<&str> = Lang::all().map(Lang::code).collect();
            json_string_list(&mut b, "lang", "langs", &langs, &[("lang", chosen.code())])
        }
        Event::Langs { yours } => {
            let langs: Vec<&str> = Lang::all().map(Lang::code).collect();
            json_string_list(&mut b, "lang", "langs", &langs, &[("lang", yours.code())])
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
        String::from_utf8(super::text(&e, Lang::EN)).unwrap()
    }
    fn json(e: Event) -> Value {
        let line = super::json(&e, Lang::EN);
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
            super::json(&Event::Who { nicks: &["a", "\"b"], room: LOBBY }, Lang::EN),
            b"{\"type\":\"who\",\"payload\":{\"nicks\":[\"a\",\"\\\"b\"],\"room\":\"#lobby\"}}\n"
        );
        let rooms = [RoomInfo { name: "#r\"", online: 1, topic: "t\n" }];
        assert_eq!(
            json(Event::Rooms { rooms: &rooms }),
            serde_json::json!({"type":"rooms","payload":{"rooms":[{"room":"#r\"","online":1,"topic":"t\n"}]}})
        );
        assert_eq!(
            super::json(&Event::Topic { room: "#x", topic: "", by: "", set: false }, Lang::EN),
            b"{\"type\":\"topic\",\"payload\":{\"room\":\"#x\",\"topic\":\"\",\"by\":\"\"}}\n"
        );
        assert_eq!(json(Event::Pong { payload: None }), serde_json::json!({"type":"pong"}));
        assert_eq!(
            json(Event::Me { from: "a", text: "waves", room: "#x", whole: false }),
            serde_json::json!({"type":"me","payload":{"from":"a","text":"waves","room":"#x"}})
        );
        let p = serde_json::json!({"z":1,"a":[true,null]});
        let line = super::json(&Event::Echo { payload: Some(&p) }, Lang::EN);
        assert_eq!(line, b"{\"type\":\"echo\",\"payload\":{\"z\":1,\"a\":[true,null]}}\n");
    }
}
