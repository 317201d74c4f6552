//! The lines face's text format: lines for nc and scripts (`* ...`,
//! `[nick] ...`, `! code: ...`). The JSON format is in `render_json.rs`
//! (re-exported here). Each event is rendered once per format, whoever
//! receives it.

use std::fmt::Display;
use std::io::Write;

use serde_json::Value;

use crate::chat::accounts::AccountAction;
use crate::chat::event::{Event, Said, Signal};
use crate::chat::render::RenderEnv;
use crate::chat::sanitize;
use crate::store::history::{Entry, Kind};
use crate::words::{put, Lang};

pub use super::render_json::{json, render_json, render_json_ids};

/// The text renderer, for the chat core's table.
pub fn render_text(event: &Event, _env: &RenderEnv, lang: Lang) -> Vec<u8> {
    text(event, lang)
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
        Event::Stamped { event, .. } | Event::AccountView { event, .. } => return text(event, lang),
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
        Event::Claim { room, account: Some(account) } => {
            put(b, lang, "claimed", &[("room", room), ("account", account)])
        }
        Event::Claim { room, account: None } => put(b, lang, "unclaimed", &[("room", room)]),
        Event::CertFps { account, fingerprints, yours } => {
            put(b, lang, "certfps", &[("account", account), ("count", &fingerprints.len())]);
            for fp in fingerprints.iter() {
                b.push(b'\n');
                put(b, lang, "certfp-item", &[("fingerprint", fp)]);
            }
            if let Some(fp) = yours {
                b.push(b'\n');
                put(b, lang, "certfp-yours", &[("fingerprint", fp)]);
            }
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
