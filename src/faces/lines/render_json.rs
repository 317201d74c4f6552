//! The lines face's JSON format: one packet `{"type","payload"}` a line,
//! for programs and the page (and with `"id"`/`"time"` in room lines for
//! clients with the `ids` capability). Each event is rendered once per
//! format, whoever receives it.

use std::io::Write;

use serde_json::Value;

use crate::chat::accounts::AccountAction;
use crate::chat::event::{Event, Said, Signal};
use crate::chat::render::RenderEnv;
use crate::store::history::Kind;
use crate::words::Lang;

/// The JSON renderer, for the chat core's table (`lang`: the words of
/// error messages).
pub fn render_json(event: &Event, _env: &RenderEnv, lang: Lang) -> Vec<u8> {
    json(event, lang)
}

/// The JSON renderer for clients that asked for the `ids` capability: room
/// lines carry `"id"` and `"time"` in their payload.
pub fn render_json_ids(event: &Event, _env: &RenderEnv, lang: Lang) -> Vec<u8> {
    match event {
        Event::AccountView { event, .. } => render_json_ids(event, _env, lang),
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
        Event::Stamped { event, .. } | Event::AccountView { event, .. } => return json(event, lang),
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
        Event::CertFps { account, fingerprints, yours } => {
            let payload =
                serde_json::json!({"account": account, "fingerprints": fingerprints, "yours": yours});
            let _ = serde_json::to_writer(&mut b, &serde_json::json!({"type": "certfp", "payload": payload}));
        }
        Event::Claim { room, account } => {
            let payload = serde_json::json!({"room": room, "account": account});
            let _ = serde_json::to_writer(&mut b, &serde_json::json!({"type": "claim", "payload": payload}));
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
