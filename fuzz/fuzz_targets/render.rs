//! Rendering: events built from arbitrary (sanitized, as the server does)
//! strings come out as one JSON line that serde_json parses back to the
//! same strings, one text line, and IRC lines of at most 512 bytes
//! (besides their tags).
#![no_main]

use libfuzzer_sys::fuzz_target;
use linechat::chat::event::{Event, RoomRef, Said};
use linechat::chat::sanitize;
use linechat::faces::lines::render::{json as render_json, text as render_text};
use serde_json::Value;

fn one_line(b: &[u8]) {
    assert!(b.ends_with(b"\n"));
    assert_eq!(b.iter().filter(|&&c| c == b'\n').count(), 1, "{:?}", String::from_utf8_lossy(b));
}

/// IRC lines: at most 512 bytes each, not counting their tags (IRCv3
/// message-tags gives tags their own 8191 bytes), ending in CRLF.
fn irc_ok(b: &[u8]) {
    for line in b.split_inclusive(|&c| c == b'\n') {
        let message = match line.strip_prefix(b"@") {
            Some(tagged) => {
                let space = tagged.iter().position(|&c| c == b' ').expect("tags end with a space");
                assert!(space < 8191, "tags of {space} bytes");
                &tagged[space + 1..]
            }
            None => line,
        };
        assert!(message.len() <= 512, "IRC line of {} bytes", message.len());
        assert!(line.ends_with(b"\r\n"));
        assert!(!line[..line.len() - 2].contains(&b'\r') && !line[..line.len() - 2].contains(&b'\n'));
    }
}

fuzz_target!(|input: &[u8]| {
    let Ok(s) = std::str::from_utf8(input) else { return };
    let mut parts = s.splitn(3, '\u{0}');
    let (a, b, c) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    // Within the server's own limits: nicknames 24 characters, room names
    // 32 after the '#', topics 300 (chat text is split, so any length).
    let cap = |s: &str, n: usize| s.chars().take(n).collect::<String>();
    let (from, text, room) = (cap(&sanitize(a), 24), sanitize(b).into_owned(), cap(&sanitize(c), 33));
    let topic = cap(&text, 300);
    let nick_taken = linechat::chat::fault::Fault::NickTaken(from.clone());
    let env = linechat::chat::render::RenderEnv::new("fuzz.test".to_string());
    let events = [
        Event::Chat { from: &from, text: &text, room: &room, notice: false, whole: false },
        Event::Chat { from: &from, text: &text, room: &room, notice: true, whole: true },
        Event::Me { from: &from, text: &text, room: &room, whole: false },
        Event::Msg { from: &from, to: &room, text: &text, kind: Said::Plain, whole: false },
        Event::Topic { room: &room, topic: &topic, by: &from, set: true },
        Event::Join { nick: &from, online: 3, room: RoomRef { name: &room, is_default: false } },
        Event::Leave {
            nick: &from,
            online: 2,
            room: RoomRef { name: &room, is_default: false },
            reason: Some(&text),
            quit: false,
        },
        Event::Leave {
            nick: &from,
            online: 2,
            room: RoomRef { name: &room, is_default: true },
            reason: Some(&text),
            quit: true,
        },
        Event::Error { code: "bad-args", message: &text },
        Event::Fault { fault: &nick_taken },
    ];
    for (ev, lang) in events.iter().flat_map(|ev| linechat::words::Lang::all().map(move |lang| (ev, lang))) {
        let json = render_json(ev, lang);
        let v: Value = serde_json::from_slice(&json).expect("render_json wrote JSON");
        let payload = &v["payload"];
        match ev {
            Event::Chat { .. } | Event::Me { .. } => {
                assert_eq!(payload["from"], *from);
                assert_eq!(payload["text"], *text);
                assert_eq!(payload["room"], *room);
            }
            Event::Msg { .. } => assert_eq!(payload["text"], *text),
            Event::Topic { .. } => assert_eq!(payload["topic"], *topic),
            Event::Error { .. } => assert_eq!(payload["message"], *text),
            Event::Fault { .. } => assert_eq!(payload["code"], "nick-taken"),
            _ => assert_eq!(payload["nick"], *from),
        }
        one_line(&json);
        one_line(&render_text(ev, lang));
        irc_ok(&linechat::faces::irc::render::event_in(ev, &linechat::faces::irc::render::Masks::plain("fuzz.test"), lang));
        // As IRC clients with account-tag and extended-join see it (the realname any text).
        let account = Some(from.as_str()).filter(|f| !f.is_empty());
        let view = Event::AccountView { account, realname: &text, tag: true, extended: true, event: ev };
        irc_ok(&linechat::faces::irc::render::render_time_msgid(&view, &env, lang));
        irc_ok(&linechat::faces::irc::render::render(&view, &env, lang));
        one_line(&render_text(&view, lang));
    }
});
