//! Events as IRC lines, and the text rules of the IRC face: line length,
//! formatting codes, CTCP ACTION.

use std::io::Write;

use crate::chat::event::{Event, Said, Signal};
use std::collections::HashMap;

use crate::chat::render::{Ident, RenderEnv};
use crate::faces::lines::render::text as render_text;
use crate::words::Lang;

/// Longest IRC line, without its CRLF.
pub const MAX_LINE: usize = 510;

/// How user masks are written: the server's name as every user's host,
/// and the usernames clients gave (`~bob`); a user who gave none (every
/// face but IRC) shows its nickname there.
#[derive(Clone, Copy)]
pub struct Masks<'a> {
    pub server: &'a str,
    pub idents: Option<&'a HashMap<String, Ident>>,
}

impl<'a> Masks<'a> {
    /// Every user as `nick!nick@server` (lines replayed from history).
    pub fn plain(server: &'a str) -> Masks<'a> {
        Masks { server, idents: None }
    }

    fn of(env: &'a RenderEnv) -> Masks<'a> {
        Masks { server: &env.server_name, idents: Some(&env.idents) }
    }

    fn ident(&self, nick: &str) -> Option<&'a Ident> {
        self.idents.and_then(|all| all.get(nick))
    }

    /// Does `nick` say it is a bot?
    fn bot(&self, nick: &str) -> bool {
        self.ident(nick).is_some_and(|i| i.bot)
    }
}

/// Appends the user mask `nick!user@server`, the prefix of everything a user does.
fn mask(b: &mut Vec<u8>, nick: &str, m: &Masks) {
    let user = m.ident(nick).and_then(|i| i.user.as_deref()).unwrap_or(nick);
    let _ = write!(b, ":{nick}!{user}@{}", m.server);
}

/// A tag value escaped as message-tags says.
pub fn escape_tag(v: &str) -> String {
    let mut s = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            ';' => s.push_str("\\:"),
            ' ' => s.push_str("\\s"),
            '\\' => s.push_str("\\\\"),
            '\r' => s.push_str("\\r"),
            '\n' => s.push_str("\\n"),
            c => s.push(c),
        }
    }
    s
}

/// The IRC renderer, for the chat core's table.
pub fn render(e: &Event, env: &RenderEnv, lang: Lang) -> Vec<u8> {
    tagged(e, &Masks::of(env), lang, false, false)
}

/// For clients that negotiated `server-time`: room lines carry `@time=`.
pub fn render_time(e: &Event, env: &RenderEnv, lang: Lang) -> Vec<u8> {
    tagged(e, &Masks::of(env), lang, true, false)
}

/// For clients that negotiated `message-tags`: room lines carry `@msgid=`
/// (and `@bot` when a bot said them).
pub fn render_msgid(e: &Event, env: &RenderEnv, lang: Lang) -> Vec<u8> {
    tagged(e, &Masks::of(env), lang, false, true)
}

/// For clients that negotiated both.
pub fn render_time_msgid(e: &Event, env: &RenderEnv, lang: Lang) -> Vec<u8> {
    tagged(e, &Masks::of(env), lang, true, true)
}

/// `event` with the tags of its stamp, if it has one: `time` on every line
/// it takes, `msgid` on the first (a line from a face with longer lines
/// can take several, and a msgid names one message); with message-tags,
/// `bot` on what a bot says; as an `Event::AccountView`, `account` on what
/// a signed-in user sends (account-tag) and JOINs with the account and
/// realname (extended-join).
fn tagged(e: &Event, m: &Masks, lang: Lang, time: bool, msgid: bool) -> Vec<u8> {
    let (e, account, extended) = match e {
        Event::AccountView { account, realname, tag, extended, event } => {
            (*event, account.filter(|_| *tag), extended.then_some((*account, *realname)))
        }
        _ => (e, None, None),
    };
    let (stamp, inner) = match e {
        Event::Stamped { stamp, event } => (Some(stamp), *event),
        _ => (None, e),
    };
    let body = match (inner, extended) {
        (Event::Join { nick, room, .. }, Some((account, realname))) => {
            let mut b = Vec::with_capacity(96);
            mask(&mut b, nick, m);
            let _ = write!(b, " JOIN {} {} :", room.name, account.unwrap_or("*"));
            trailing(&mut b, 0, realname);
            b
        }
        _ => event_in(inner, m, lang),
    };
    let bot = msgid
        && match inner {
            Event::Msg { from, .. } => m.bot(from),
            Event::Chat { from, .. } | Event::Me { from, .. } => stamp.is_some() && m.bot(from),
            _ => false,
        };
    let when = stamp.filter(|_| time).map(|s| crate::clock::iso_ms(s.time_ms));
    let id = stamp.filter(|_| msgid).map(|s| s.id.to_string());
    if when.is_none() && id.is_none() && !bot && account.is_none() {
        return body;
    }
    let mut b = Vec::with_capacity(body.len() + 64);
    let tags = Tags { batch: None, time: when.as_deref(), msgid: id.as_deref(), bot, account };
    tag_lines(&mut b, &body, tags);
    b
}

/// The tags a line takes: `batch` and `time` on every line of a message,
/// `msgid` on its first, `bot` when a bot said it.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tags<'a> {
    pub batch: Option<&'a str>,
    pub time: Option<&'a str>,
    pub msgid: Option<&'a str>,
    pub bot: bool,
    /// The sender's account (account-tag), on every line.
    pub account: Option<&'a str>,
}

/// Appends `body`'s lines, each with the tags its client takes: `batch`
/// and `time` on every line, `msgid` on the first (text split over several
/// messages is one message, with one id), `bot` on every line.
pub fn tag_lines(b: &mut Vec<u8>, body: &[u8], tags: Tags) {
    let Tags { batch, time, msgid, bot, account } = tags;
    for (i, line) in body.split_inclusive(|&c| c == b'\n').enumerate() {
        let mut sep = b'@';
        if bot {
            b.extend_from_slice(b"@bot");
            sep = b';';
        }
        let first_id = msgid.filter(|_| i == 0);
        for (key, value) in [("batch", batch), ("time", time), ("msgid", first_id), ("account", account)] {
            if let Some(value) = value {
                b.push(sep);
                let _ = write!(b, "{key}=");
                if key == "account" {
                    b.extend_from_slice(escape_tag(value).as_bytes());
                } else {
                    b.extend_from_slice(value.as_bytes());
                }
                sep = b';';
            }
        }
        if sep == b';' {
            b.push(b' ');
        }
        b.extend_from_slice(line);
    }
}

/// The IRC line(s) for `event`, each ending in CRLF, every user shown as
/// `nick!nick@server`. Events with no IRC form of their own (replies meant
/// for other faces) become server notices.
pub fn event(event: &Event, server: &str) -> Vec<u8> {
    event_in(event, &Masks::plain(server), Lang::EN)
}

/// An event as IRC lines, its words (notices, closing links) in `lang`.
pub fn event_in(event: &Event, m: &Masks, lang: Lang) -> Vec<u8> {
    let server = m.server;
    let mut b = Vec::with_capacity(96);
    match event {
        Event::Join { nick, room, .. } => {
            mask(&mut b, nick, m);
            let _ = write!(b, " JOIN {}\r\n", room.name);
        }
        Event::Leave { nick, quit: true, reason, .. } => {
            mask(&mut b, nick, m);
            b.extend_from_slice(b" QUIT :");
            trailing(&mut b, 0, reason.unwrap_or(""));
        }
        Event::Leave { nick, room, reason, .. } => {
            mask(&mut b, nick, m);
            let _ = write!(b, " PART {}", room.name);
            match reason {
                Some(reason) => {
                    b.extend_from_slice(b" :");
                    trailing(&mut b, 0, reason);
                }
                None => b.extend_from_slice(b"\r\n"),
            }
        }
        Event::Chat { from, text, room, notice, whole } => {
            let verb = if *notice { "NOTICE" } else { "PRIVMSG" };
            say(&mut b, Relay { from, m, verb, target: room, action: false, whole: *whole }, text)
        }
        Event::Me { from, text, room, whole } => {
            say(&mut b, Relay { from, m, verb: "PRIVMSG", target: room, action: true, whole: *whole }, text)
        }
        Event::Msg { from, to, text, kind, whole } => {
            let verb = if *kind == Said::Notice { "NOTICE" } else { "PRIVMSG" };
            let action = *kind == Said::Action;
            say(&mut b, Relay { from, m, verb, target: to, action, whole: *whole }, text)
        }
        Event::Nick { old, new } => {
            mask(&mut b, old, m);
            let _ = write!(b, " NICK :{new}\r\n");
        }
        Event::Topic { room, topic, by, set: true } => {
            mask(&mut b, by, m);
            let _ = write!(b, " TOPIC {room} :");
            trailing(&mut b, 0, topic);
        }
        Event::Kick { room, by, nick, reason } => {
            mask(&mut b, by, m);
            let _ = write!(b, " KICK {} {nick} :", room.name);
            trailing(&mut b, 0, if reason.is_empty() { by } else { reason });
        }
        Event::Mode { room, by, modes, set: true } => {
            mask(&mut b, by, m);
            let _ = write!(b, " MODE {} {modes}\r\n", room.name);
        }
        Event::Ban { room, by, mask: banned, set, mute, .. } => {
            mask(&mut b, by, m);
            let (sign, prefix) = (if *set { '+' } else { '-' }, if *mute { "m:" } else { "" });
            let _ = write!(b, " MODE {} {sign}b {prefix}{banned}\r\n", room.name);
        }
        Event::Invite { room, by, nick } => {
            mask(&mut b, by, m);
            let _ = write!(b, " INVITE {nick} {room}\r\n");
        }
        Event::MarkRead { room, time_ms, .. } => {
            let _ = match time_ms {
                Some(time) => {
                    write!(b, ":{server} MARKREAD {room} timestamp={}\r\n", crate::clock::iso_ms(*time))
                }
                None => write!(b, ":{server} MARKREAD {room} *\r\n"),
            };
        }
        // Only sessions with draft/message-redaction get this.
        Event::Delete { room, id, by, .. } => {
            mask(&mut b, by, m);
            let _ = write!(b, " REDACT {room} {id}\r\n");
        }
        // Only sessions with message-tags get these (their profile says so).
        Event::Signal { from, to, signal, .. } => {
            match signal {
                Signal::Typing(state) => {
                    let _ = write!(b, "@+typing={}", state.name());
                }
                Signal::React { id, emoji } => {
                    b.extend_from_slice(b"@+draft/react=");
                    b.extend_from_slice(escape_tag(emoji).as_bytes());
                    b.extend_from_slice(b";+draft/reply=");
                    b.extend_from_slice(escape_tag(id).as_bytes());
                }
            }
            b.push(b' ');
            mask(&mut b, from, m);
            let _ = write!(b, " TAGMSG {to}\r\n");
        }
        Event::Error { code: "killed", message } => {
            let _ = write!(b, "ERROR :Closing Link: {}\r\n", cut(message, MAX_LINE - 24));
        }
        Event::Fault { fault: fault @ crate::chat::fault::Fault::Killed(_) } => {
            let _ = write!(b, "ERROR :Closing Link: {}\r\n", cut(&fault.message_in(lang), MAX_LINE - 24));
        }
        Event::Stamped { event: inner, .. } | Event::AccountView { event: inner, .. } => {
            return event_in(inner, m, lang)
        }
        Event::Shutdown => {
            let _ = write!(b, "ERROR :Closing Link: {}\r\n", crate::words::say(lang, "irc-shutdown", &[]));
        }
        Event::Bye => b.extend_from_slice(b"ERROR :Closing Link: bye\r\n"),
        claim @ Event::Claim { .. } => {
            // ChanServ's answer, in the text face's words without their `* `.
            let text = render_text(claim, lang);
            let text = String::from_utf8_lossy(&text);
            let text = text.trim_end().strip_prefix("* ").unwrap_or(text.trim_end());
            let _ = write!(b, ":ChanServ!ChanServ@services NOTICE * :");
            trailing(&mut b, 0, text);
        }
        other => {
            let text = render_text(other, lang);
            for line in String::from_utf8_lossy(&text).lines() {
                let start = b.len();
                let _ = write!(b, ":{server} NOTICE * :");
                let room = MAX_LINE - (b.len() - start);
                b.extend_from_slice(cut(line, room).as_bytes());
                b.extend_from_slice(b"\r\n");
            }
        }
    }
    b
}

/// Ends the line begun at `start` in `b` with `text`, cut at a character
/// boundary so the line stays within [`MAX_LINE`] (a topic of 300 wide
/// characters, or a reason from a face with longer lines, would not), and CRLF.
fn trailing(b: &mut Vec<u8>, start: usize, text: &str) {
    b.extend_from_slice(cut_within(text, MAX_LINE.saturating_sub(b.len() - start)).as_bytes());
    b.extend_from_slice(b"\r\n");
}

/// How a line of text is relayed: by whom, with which verb, to what.
struct Relay<'a> {
    from: &'a str,
    m: &'a Masks<'a>,
    verb: &'a str,
    target: &'a str,
    /// A CTCP ACTION (`/me`).
    action: bool,
    /// The text was one IRC line: cut it to fit, never make two messages.
    whole: bool,
}

/// Appends `:from!from@server VERB target :text`. When that would pass the
/// IRC line limit, text that was one IRC line is cut at a character
/// boundary (as other servers do: an IRC message never arrives as two);
/// text from a face with longer lines is split over several lines, so
/// none of it is lost.
fn say(b: &mut Vec<u8>, how: Relay, text: &str) {
    let mut rest = text;
    loop {
        let start = b.len();
        mask(b, how.from, how.m);
        let _ = write!(b, " {} {} :", how.verb, how.target);
        let (open, close): (&[u8], &[u8]) = if how.action { (b"\x01ACTION ", b"\x01") } else { (b"", b"") };
        let room = MAX_LINE.saturating_sub(b.len() - start + open.len() + close.len()).max(1);
        let piece = if how.whole { cut_within(rest, room) } else { cut(rest, room) };
        b.extend_from_slice(open);
        b.extend_from_slice(piece.as_bytes());
        b.extend_from_slice(close);
        b.extend_from_slice(b"\r\n");
        rest = &rest[piece.len()..];
        if rest.is_empty() || how.whole {
            return;
        }
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a
/// character boundary (possibly empty).
fn cut_within(s: &str, max: usize) -> &str {
    &s[..s.floor_char_boundary(max)]
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character
/// boundary (at least one character, so splitting always progresses).
pub fn cut(s: &str, max: usize) -> &str {
    match cut_within(s, max) {
        "" => &s[..s.chars().next().map_or(0, char::len_utf8)],
        piece => piece,
    }
}

/// Removes IRC formatting (bold, colours with their numbers, italics, ...),
/// so relayed text carries only what can be read.
pub fn strip_formatting(text: &str) -> std::borrow::Cow<'_, str> {
    const CODES: &[char] = &['\x02', '\x03', '\x04', '\x0f', '\x11', '\x16', '\x1d', '\x1e', '\x1f'];
    if !text.contains(CODES) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x03' => {
                // \x03[N[N][,N[N]]]
                let digits = |chars: &mut std::iter::Peekable<std::str::Chars>| {
                    let mut n = 0;
                    while n < 2 && chars.peek().is_some_and(char::is_ascii_digit) {
                        chars.next();
                        n += 1;
                    }
                    n
                };
                if digits(&mut chars) > 0 && chars.peek() == Some(&',') {
                    let mut ahead = chars.clone();
                    ahead.next();
                    if ahead.peek().is_some_and(char::is_ascii_digit) {
                        chars.next();
                        digits(&mut chars);
                    }
                }
            }
            '\x04' => {
                // \x04[RRGGBB[,RRGGBB]]
                let hex = |chars: &mut std::iter::Peekable<std::str::Chars>| {
                    let ahead: String = chars.clone().take(6).collect();
                    if ahead.len() == 6 && ahead.chars().all(|c| c.is_ascii_hexdigit()) {
                        for _ in 0..6 {
                            chars.next();
                        }
                        true
                    } else {
                        false
                    }
                };
                if hex(&mut chars) && chars.peek() == Some(&',') {
                    let mut ahead = chars.clone();
                    ahead.next();
                    if hex(&mut ahead) {
                        chars.next();
                        hex(&mut chars);
                    }
                }
            }
            c if CODES.contains(&c) => {}
            c => out.push(c),
        }
    }
    out.into()
}

/// A CTCP ACTION's text (`\x01ACTION waves\x01` -> `waves`); the closing
/// `\x01` may be missing, as parsers should accept.
pub fn action(text: &str) -> Option<&str> {
    let body = text.strip_prefix("\x01ACTION")?;
    let body = body.strip_suffix('\x01').unwrap_or(body);
    Some(body.strip_prefix(' ').unwrap_or(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::event::RoomRef;

    fn line(e: Event) -> String {
        String::from_utf8(event(&e, "linechat")).unwrap()
    }

    fn event_line(e: &Event, server: &str) -> Vec<u8> {
        event(e, server)
    }

    #[test]
    fn events_become_irc_lines() {
        let rust = RoomRef { name: "#rust", is_default: false };
        assert_eq!(line(Event::Join { nick: "a", online: 1, room: rust }), ":a!a@linechat JOIN #rust\r\n");
        assert_eq!(
            line(Event::Leave { nick: "a", online: 0, room: rust, reason: None, quit: false }),
            ":a!a@linechat PART #rust\r\n"
        );
        assert_eq!(
            line(Event::Leave { nick: "a", online: 0, room: rust, reason: Some("gone"), quit: false }),
            ":a!a@linechat PART #rust :gone\r\n"
        );
        assert_eq!(
            line(Event::Leave { nick: "a", online: 0, room: rust, reason: Some("Quit: bye"), quit: true }),
            ":a!a@linechat QUIT :Quit: bye\r\n"
        );
        assert_eq!(
            line(Event::Chat { from: "a", text: "hi", room: "#rust", notice: false, whole: true }),
            ":a!a@linechat PRIVMSG #rust :hi\r\n"
        );
        assert_eq!(
            line(Event::Me { from: "a", text: "waves", room: "#rust", whole: false }),
            ":a!a@linechat PRIVMSG #rust :\x01ACTION waves\x01\r\n"
        );
        assert_eq!(
            line(Event::Msg { from: "a", to: "b", text: "psst", kind: Said::Notice, whole: true }),
            ":a!a@linechat NOTICE b :psst\r\n"
        );
        assert_eq!(line(Event::Nick { old: "a", new: "b" }), ":a!a@linechat NICK :b\r\n");
        assert_eq!(
            line(Event::Topic { room: "#r", topic: "t t", by: "a", set: true }),
            ":a!a@linechat TOPIC #r :t t\r\n"
        );
        assert_eq!(
            line(Event::Who { nicks: &["a"], room: rust }),
            ":linechat NOTICE * :* online in #rust (1): a\r\n"
        );
    }

    #[test]
    fn long_text_is_split_at_character_boundaries_within_512_bytes() {
        let text = "é".repeat(600);
        let out =
            line(Event::Chat { from: "alice", text: &text, room: "#rust", notice: false, whole: false });
        let mut joined = String::new();
        for l in out.split_terminator("\r\n") {
            assert!(l.len() <= MAX_LINE, "{} bytes", l.len());
            joined.push_str(l.strip_prefix(":alice!alice@linechat PRIVMSG #rust :").unwrap());
        }
        assert_eq!(joined, text);
        let out = line(Event::Me { from: "a", text: &"x".repeat(1000), room: "#r", whole: false });
        assert!(out.split_terminator("\r\n").all(|l| l.len() <= MAX_LINE && l.ends_with('\x01')));
    }

    #[test]
    fn a_whole_irc_line_is_cut_never_split() {
        let nick = "n".repeat(24);
        let text = format!("{}é", "y".repeat(480));
        let event = Event::Chat { from: &nick, text: &text, room: "#rust", notice: false, whole: true };
        let out = String::from_utf8(event_line(&event, "irc.example.org")).unwrap();
        assert_eq!(out.matches("\r\n").count(), 1, "one message: {out}");
        assert!(out.len() <= MAX_LINE + 2, "{} bytes", out.len());
        let body = out.trim_end().split_once(" :").unwrap().1;
        assert!(text.starts_with(body) && body.len() < text.len(), "a prefix, cut at a character: {body}");
        let action = Event::Me { from: &nick, text: &text, room: "#r", whole: true };
        let out = String::from_utf8(event_line(&action, "irc.example.org")).unwrap();
        assert!(out.ends_with("\x01\r\n") && out.matches("\r\n").count() == 1, "{out}");
        assert!(out.len() <= MAX_LINE + 2);
    }

    #[test]
    fn formatting_and_actions() {
        assert_eq!(strip_formatting("\x02bold\x02 \x0304,12red\x03 \x1ditalic\x0f"), "bold red italic");
        assert_eq!(strip_formatting("\x0399 bottles, \x03,5x"), " bottles, ,5x");
        assert_eq!(strip_formatting("\x04FF00FFpink"), "pink");
        assert_eq!(strip_formatting("plain"), "plain");
        assert_eq!(action("\x01ACTION waves\x01"), Some("waves"));
        assert_eq!(action("\x01ACTION waves"), Some("waves"));
        assert_eq!(action("\x01VERSION\x01"), None);
        assert_eq!(cut("aé", 2), "a");
        assert_eq!(cut("éa", 1), "é");
    }
}
