//! Text mode: a plain line becomes a typed request. `/NAME ARGS` is a
//! command; before a nickname, any other line is the nickname; afterwards,
//! it is chat. A leading `//` sends a literal `/`.

use crate::chat::accounts::{AccountCommand, Password, Via};
use crate::chat::command::Moderation;
use crate::chat::command::OperCommand;
use crate::chat::command::{CertFpCommand, Command};
use crate::chat::event::Said;
use crate::chat::fault::Fault;
use crate::chat::rules::{OP, VOICE};
use crate::chat::session::fold_nick;
use crate::store::history::Query;

use super::Request;

/// The text commands, as `/help` lists them: (name, arguments, listed in
/// `/help` (its words are the catalogue's `help-NAME`), packet type).
pub const COMMANDS: &[(&str, &str, bool, &str)] = &[
    ("who", " [#ROOM]", true, "who"),
    ("join", " #ROOM [KEY]", true, "join"),
    ("part", "", true, "part"),
    ("rooms", "", true, "rooms"),
    ("whois", " NICK", true, "whois"),
    ("names", " [#ROOM]", true, "members"),
    ("topic", " [TEXT]", true, "topic"),
    ("me", " TEXT", true, "me"),
    ("msg", " NICK TEXT", true, "msg"),
    ("nick", " NAME", true, "nick"),
    ("op", " NICK", true, "op"),
    ("deop", " NICK", true, "deop"),
    ("voice", " NICK", true, "voice"),
    ("devoice", " NICK", true, "devoice"),
    ("kick", " NICK [REASON]", true, "kick"),
    ("ban", " MASK [TIME] [REASON]", true, "ban"),
    ("unban", " MASK", true, "unban"),
    ("bans", "", true, "bans"),
    ("mute", " MASK [TIME]", true, "mute"),
    ("unmute", " MASK", true, "unmute"),
    ("invite", " NICK", true, "invite"),
    ("mode", " [#ROOM] [+-imntsRkl...]", true, "mode"),
    ("claim", " [#ROOM]", true, "claim"),
    ("unclaim", " [#ROOM]", true, "unclaim"),
    ("oper", " NAME PASSWORD", true, "oper"),
    ("kill", " NICK REASON", true, "kill"),
    ("kline", " ADDRESS [TIME] REASON", true, "kline"),
    ("unkline", " ADDRESS", true, "unkline"),
    ("klines", "", true, "klines"),
    ("history", " [#ROOM] [N]", true, "history"),
    ("delete", " [ID]", true, "delete"),
    ("markread", " [#ROOM]", true, "markread"),
    ("register", " PASSWORD", true, "register"),
    ("login", " NAME PASSWORD", true, "login"),
    ("login-token", " TOKEN", true, "login-token"),
    ("logout", "", true, "logout"),
    ("password", " OLD NEW", true, "password"),
    ("unregister", " PASSWORD", true, "unregister"),
    ("certfp", " [add [FINGERPRINT] | del FINGERPRINT]", true, "certfp"),
    ("ping", " [TEXT]", true, "ping"),
    ("lang", " [CODE]", true, "lang"),
    ("help", "", true, "help"),
    ("bye", "", true, "bye"),
    ("quit", "", false, "bye"),
];

/// What a text line asks for.
pub fn parse(line: &str, joined: bool) -> Result<Request<'_>, Fault> {
    if let Some((name, args)) = split_command(line) {
        return parse_command(&name, args);
    }
    let text = line.strip_prefix('/').unwrap_or(line);
    Ok(Request::Chat(if joined {
        Command::Say { room: None, text, said: Said::Plain }
    } else {
        Command::Nick(text)
    }))
}

/// A command line's name (folded, as nicknames are: `/WHO` and `/주사위`
/// find their commands) and arguments: `/NAME ARGS`.
pub fn split_command(line: &str) -> Option<(String, &str)> {
    let rest = line.strip_prefix('/').filter(|r| !r.starts_with('/'))?;
    let (name, args) = match rest.split_once(char::is_whitespace) {
        Some((name, args)) => (name, args.trim()),
        None => (rest, ""),
    };
    Some((fold_nick(name), args))
}

fn parse_command<'a>(name: &str, args: &'a str) -> Result<Request<'a>, Fault> {
    let Some(&(_, _, _, kind)) = COMMANDS.iter().find(|c| c.0 == name) else {
        return Err(Fault::UnknownCommand(name.to_string()));
    };
    let arg = (!args.is_empty()).then_some(args);
    let needs = |usage: &str| arg.ok_or_else(|| Fault::usage(usage));
    let command = match kind {
        "msg" => {
            let (to, text) = word_and_rest(args, "usage: /msg NICK TEXT")?;
            Command::Msg { to, text, said: Said::Plain }
        }
        "nick" => Command::Nick(needs("usage: /nick NAME")?),
        // `/join #room KEY` for a room with a key: the core tells them apart.
        "join" => Command::Join { room: needs("usage: /join #ROOM")?, key: None },
        "op" | "deop" | "voice" | "devoice" => {
            let nick = needs(&format!("usage: /{kind} NICK"))?;
            let rank = if kind.ends_with("op") { OP } else { VOICE };
            moderate(None, Moderation::Rank { nick, rank, on: !kind.starts_with("de") })
        }
        "kick" => {
            let (nick, reason) = split_first(needs("usage: /kick NICK [REASON]")?);
            moderate(None, Moderation::Kick { nick, reason })
        }
        "ban" | "mute" => {
            let usage =
                if kind == "ban" { "usage: /ban MASK [TIME] [REASON]" } else { "usage: /mute MASK [TIME]" };
            let (mask, rest) = split_first(needs(usage)?);
            let (duration, reason) = time_and_reason(rest);
            if kind == "mute" && reason.is_some() {
                return Err(Fault::usage(usage));
            }
            moderate(None, Moderation::Ban { mask, duration, reason, mute: kind == "mute" })
        }
        "unban" | "unmute" => {
            let mask = needs(&format!("usage: /{kind} MASK"))?;
            moderate(None, Moderation::Unban { mask, mute: kind == "unmute" })
        }
        "bans" => moderate(arg, Moderation::Bans),
        "claim" | "unclaim" => moderate(arg, Moderation::Claim { on: kind == "claim" }),
        "oper" => {
            let (name, password) = word_and_rest(args, "usage: /oper NAME PASSWORD")?;
            Command::Oper(OperCommand::Up { name, password: Password(password.as_bytes()) })
        }
        "kill" => {
            let (nick, reason) = split_first(needs("usage: /kill NICK REASON")?);
            Command::Oper(OperCommand::Kill { nick, reason: reason.unwrap_or("") })
        }
        "kline" => {
            let (mask, rest) = split_first(needs("usage: /kline ADDRESS [TIME] REASON")?);
            let (duration, reason) = time_and_reason(rest);
            Command::Oper(OperCommand::Kline { mask, duration, reason: reason.unwrap_or("") })
        }
        "unkline" => Command::Oper(OperCommand::Unkline { mask: needs("usage: /unkline ADDRESS")? }),
        "klines" => Command::Oper(OperCommand::Klines),
        "invite" => moderate(None, Moderation::Invite { nick: needs("usage: /invite NICK")? }),
        "mode" => match arg.filter(|a| a.starts_with('#')).map(|a| split_first(a)) {
            Some((room, changes)) => moderate(Some(room), Moderation::Mode(changes.unwrap_or(""))),
            None => moderate(None, Moderation::Mode(args)),
        },
        "me" => Command::Say { room: None, text: needs("usage: /me TEXT")?, said: Said::Action },
        "topic" => match arg {
            Some(text) => Command::SetTopic { room: None, text },
            None => Command::Topic(None),
        },
        "ping" => return Ok(Request::Ping(arg)),
        "who" => Command::Who(arg),
        "part" => Command::Part { room: arg, reason: None },
        "rooms" => Command::Rooms,
        "members" => Command::Members(arg),
        "whois" => Command::Whois(needs("usage: /whois NICK")?),
        "history" => history(args)?,
        "delete" => Command::Delete { room: None, id: arg },
        "markread" => Command::MarkRead { room: arg, upto: crate::chat::markers::ReadUpTo::Newest },
        "register" => {
            account(AccountCommand::Register(Password(needs("usage: /register PASSWORD")?.as_bytes())))
        }
        "login" => {
            let (name, password) = word_and_rest(args, "usage: /login NAME PASSWORD")?;
            let password = Password(password.as_bytes());
            account(AccountCommand::Login { account: name, password, take_nick: true })
        }
        "login-token" => account(AccountCommand::Token(needs("usage: /login-token TOKEN")?)),
        "logout" => account(AccountCommand::Logout),
        "password" => {
            let (old, new) = word_and_rest(args, "usage: /password OLD NEW")?;
            let (old, new) = (Password(old.as_bytes()), Password(new.as_bytes()));
            account(AccountCommand::ChangePassword { old, new })
        }
        "unregister" => {
            account(AccountCommand::Unregister(Password(needs("usage: /unregister PASSWORD")?.as_bytes())))
        }
        "certfp" => {
            let (action, rest) = split_first(args);
            let cmd = match (action, rest) {
                ("", None) | ("list", None) => CertFpCommand::List,
                ("add", fp) => CertFpCommand::Add(fp),
                ("del", Some(fp)) => CertFpCommand::Del(fp),
                _ => return Err(Fault::usage("usage: /certfp [add [FINGERPRINT] | del FINGERPRINT]")),
            };
            account(AccountCommand::CertFp(cmd))
        }
        "help" => return Ok(Request::Help),
        "lang" => return Ok(Request::Lang(arg)),
        _ => Command::Bye,
    };
    Ok(Request::Chat(command))
}

fn moderate<'a>(room: Option<&'a str>, action: Moderation<'a>) -> Command<'a> {
    Command::Moderate { room, action }
}

/// The first word, and the rest (trimmed) if any.
fn split_first(s: &str) -> (&str, Option<&str>) {
    match s.trim().split_once(char::is_whitespace) {
        Some((first, rest)) => (first, Some(rest.trim()).filter(|r| !r.is_empty())),
        None => (s.trim(), None),
    }
}

/// A ban's time: a number with its unit (`10m`, `2h`, `7d`).
fn timed(word: &str) -> Option<std::time::Duration> {
    word.ends_with(|c: char| c.is_ascii_alphabetic()).then(|| crate::units::duration(word).ok()).flatten()
}

/// `[TIME] [REASON]` after a ban's or K-line's mask.
fn time_and_reason(rest: Option<&str>) -> (Option<std::time::Duration>, Option<&str>) {
    match rest.map(split_first) {
        Some((first, more)) => match timed(first) {
            Some(d) => (Some(d), more),
            None => (None, rest),
        },
        None => (None, None),
    }
}

/// `WORD REST` (both needed): a nickname or name, then the rest of the line.
fn word_and_rest<'a>(args: &'a str, usage: &str) -> Result<(&'a str, &'a str), Fault> {
    let (word, rest) = args.split_once(char::is_whitespace).ok_or_else(|| Fault::usage(usage))?;
    Ok((word, rest.trim_start()))
}

fn account(cmd: AccountCommand<'_>) -> Command<'_> {
    Command::Account { cmd, via: Via::default() }
}

/// Lines `/history` shows when not told how many.
pub const HISTORY_LINES: usize = 20;

/// `/history [#ROOM] [N]`.
fn history(args: &str) -> Result<Command<'_>, Fault> {
    let usage = || Fault::usage("usage: /history [#ROOM] [N]");
    let mut words = args.split_whitespace().peekable();
    let room = words.next_if(|w| w.starts_with('#'));
    let limit = match words.next() {
        None => HISTORY_LINES,
        Some(n) => n.parse::<usize>().ok().filter(|&n| n > 0).ok_or_else(usage)?,
    };
    if words.next().is_some() {
        return Err(usage());
    }
    Ok(Command::History { room, query: Query::Latest(None), limit })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chat(line: &str, joined: bool) -> String {
        match parse(line, joined).unwrap() {
            Request::Chat(c) => format!("{c:?}"),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn lines_map_to_commands() {
        assert_eq!(chat("alice", false), r#"Nick("alice")"#);
        assert_eq!(chat("hello", true), r#"Say { room: None, text: "hello", said: Plain }"#);
        assert_eq!(chat("//x", true), r#"Say { room: None, text: "/x", said: Plain }"#);
        assert_eq!(chat("/WHO", true), "Who(None)");
        assert_eq!(chat("/msg bob  hi there", true), r#"Msg { to: "bob", text: "hi there", said: Plain }"#);
        assert_eq!(chat("/quit", true), "Bye");
        assert_eq!(chat("/ping 42", false), r#"Ping(Some("42"))"#);
        assert_eq!(chat("/nick  ally ", true), r#"Nick("ally")"#);
        assert_eq!(chat("/join #rust", true), r##"Join { room: "#rust", key: None }"##);
        assert_eq!(chat("/join #rust  sesame", true), r##"Join { room: "#rust  sesame", key: None }"##);
        assert_eq!(
            chat("/ban bob 10m spamming links", true),
            r#"Moderate { room: None, action: Ban { mask: "bob", duration: Some(600s), reason: Some("spamming links"), mute: false } }"#
        );
        assert_eq!(
            chat("/ban bob spam", true),
            r#"Moderate { room: None, action: Ban { mask: "bob", duration: None, reason: Some("spam"), mute: false } }"#
        );
        assert_eq!(
            chat("/deop bob", true),
            r#"Moderate { room: None, action: Rank { nick: "bob", rank: 1, on: false } }"#
        );
        assert_eq!(chat("/mode #r +m", true), r##"Moderate { room: Some("#r"), action: Mode("+m") }"##);
        assert_eq!(chat("/mode", true), r#"Moderate { room: None, action: Mode("") }"#);
        assert_eq!(
            chat("/kick bob go away", true),
            r#"Moderate { room: None, action: Kick { nick: "bob", reason: Some("go away") } }"#
        );
        assert_eq!(chat("/part", true), "Part { room: None, reason: None }");
        assert_eq!(chat("/topic  a b ", true), r#"SetTopic { room: None, text: "a b" }"#);
        assert_eq!(chat("/topic", true), "Topic(None)");
        assert_eq!(chat("/who #x", true), r##"Who(Some("#x"))"##);
        assert_eq!(chat("/rooms", false), "Rooms");
        assert_eq!(chat("/help", false), "Help");
        assert_eq!(chat("/me waves", true), r#"Say { room: None, text: "waves", said: Action }"#);
        assert_eq!(chat("/history", true), "History { room: None, query: Latest(None), limit: 20 }");
        assert_eq!(
            chat("/history #r 5", true),
            r##"History { room: Some("#r"), query: Latest(None), limit: 5 }"##
        );
        assert_eq!(chat("/history 7", true), "History { room: None, query: Latest(None), limit: 7 }");
        assert_eq!(
            chat("/login Alice  secret words", false),
            r#"Account { cmd: Login { account: "Alice", password: Password(..), take_nick: true }, via: Via(0) }"#
        );
        assert_eq!(chat("/register pw", true), "Account { cmd: Register(Password(..)), via: Via(0) }");
        assert_eq!(chat("/logout", true), "Account { cmd: Logout, via: Via(0) }");
    }

    #[test]
    fn bad_commands_say_why() {
        let err = |line| parse(line, true).unwrap_err();
        assert_eq!(err("/frob").code(), "unknown-command");
        assert_eq!(err("/msg bob").code(), "bad-args");
        assert_eq!(err("/nick").code(), "bad-args");
        assert_eq!(err("/join").message(), "usage: /join #ROOM");
        assert_eq!(err("/login alice").message(), "usage: /login NAME PASSWORD");
        assert_eq!(err("/password onlyone").message(), "usage: /password OLD NEW");
        assert_eq!(err("/register").message(), "usage: /register PASSWORD");
        for bad in ["/history 0", "/history x", "/history #r 5 6", "/history -1"] {
            assert_eq!(err(bad).message(), "usage: /history [#ROOM] [N]", "{bad}");
        }
        assert_eq!(split_command("/주사위 2d6"), Some(("주사위".to_string(), "2d6")));
    }
}
