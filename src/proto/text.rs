//! Text mode: a plain line becomes the packet a JSON client would have sent,
//! so both modes run through the same handlers.

use serde_json::{json, Value};

use super::Fault;

/// The text commands, as `/help` lists them: (name, arguments, what it does, packet type).
pub const COMMANDS: &[(&str, &str, &str, &str)] = &[
    ("who", " [#ROOM]", "list who is in your room (or in #ROOM)", "who"),
    ("join", " #ROOM", "move to room #ROOM (created if nobody is in it)", "join"),
    ("part", "", "go back to the default room", "part"),
    ("rooms", "", "list the rooms", "rooms"),
    ("topic", " [TEXT]", "show or set your room's topic", "topic"),
    ("me", " TEXT", "act: '* you TEXT'", "me"),
    ("msg", " NICK TEXT", "send TEXT to NICK only", "msg"),
    ("nick", " NAME", "change your nickname", "nick"),
    ("ping", " [TEXT]", "get '* pong [TEXT]' back", "ping"),
    ("help", "", "show this list", "help"),
    ("bye", "", "leave (also /quit)", "bye"),
    ("quit", "", "", "bye"),
];

/// Turns a text-mode line into a packet `(type, payload)`.
/// Before joining, a line that is not a command is the nickname;
/// afterwards it is chat. A leading `//` sends a literal `/`.
pub fn parse_line(line: &str, joined: bool) -> Result<(&'static str, Value), Fault> {
    if let Some((name, args)) = split_command(line) {
        return parse_command(&name, args);
    }
    let text = line.strip_prefix('/').unwrap_or(line);
    Ok(if joined { ("chat", json!(text)) } else { ("nick", json!(text)) })
}

/// A command line's name (lower-cased) and arguments: `/NAME ARGS`.
pub fn split_command(line: &str) -> Option<(String, &str)> {
    let rest = line.strip_prefix('/').filter(|r| !r.starts_with('/'))?;
    let (name, args) = match rest.split_once(char::is_whitespace) {
        Some((name, args)) => (name, args.trim()),
        None => (rest, ""),
    };
    // Folded as nicknames and rooms are, so `/주사위` and `/ROLL` find their handlers.
    Some((super::handshake::fold_nick(name), args))
}

fn parse_command(name: &str, args: &str) -> Result<(&'static str, Value), Fault> {
    let Some(&(_, _, _, kind)) = COMMANDS.iter().find(|c| c.0 == name) else {
        return Err(Fault::new(
            "unknown-command",
            format!("unknown command '/{name}'; /help lists the commands"),
        ));
    };
    let payload = match kind {
        "msg" => {
            let Some((to, text)) = args.split_once(char::is_whitespace) else {
                return Err(Fault::new("bad-args", "usage: /msg NICK TEXT".into()));
            };
            json!({"to": to, "text": text.trim_start()})
        }
        "nick" => {
            if args.is_empty() {
                return Err(Fault::new("bad-args", "usage: /nick NAME".into()));
            }
            json!(args)
        }
        "join" | "me" => {
            if args.is_empty() {
                let usage = if kind == "me" { "usage: /me TEXT" } else { "usage: /join #ROOM" };
                return Err(Fault::new("bad-args", usage.into()));
            }
            json!(args)
        }
        "topic" if !args.is_empty() => json!({ "text": args }),
        "ping" | "who" | "part" if !args.is_empty() => json!(args),
        _ => Value::Null,
    };
    Ok((kind, payload))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_map_to_packets() {
        assert_eq!(parse_line("alice", false).unwrap(), ("nick", json!("alice")));
        assert_eq!(parse_line("hello", true).unwrap(), ("chat", json!("hello")));
        assert_eq!(parse_line("//x", true).unwrap(), ("chat", json!("/x")));
        assert_eq!(parse_line("/WHO", true).unwrap(), ("who", Value::Null));
        assert_eq!(
            parse_line("/msg bob  hi there", true).unwrap(),
            ("msg", json!({"to":"bob","text":"hi there"}))
        );
        assert_eq!(parse_line("/quit", true).unwrap(), ("bye", Value::Null));
        assert_eq!(parse_line("/ping 42", false).unwrap(), ("ping", json!("42")));
        assert_eq!(parse_line("/nick  ally ", true).unwrap(), ("nick", json!("ally")));
        assert_eq!(parse_line("/join #rust", true).unwrap(), ("join", json!("#rust")));
        assert_eq!(parse_line("/part", true).unwrap(), ("part", Value::Null));
        assert_eq!(parse_line("/topic  a b ", true).unwrap(), ("topic", json!({"text": "a b"})));
        assert_eq!(parse_line("/topic", true).unwrap(), ("topic", Value::Null));
        assert_eq!(parse_line("/who #x", true).unwrap(), ("who", json!("#x")));
        assert_eq!(parse_line("/rooms", false).unwrap(), ("rooms", Value::Null));
    }

    #[test]
    fn bad_commands_say_why() {
        assert_eq!(parse_line("/frob", true).unwrap_err().code, "unknown-command");
        assert_eq!(parse_line("/msg bob", true).unwrap_err().code, "bad-args");
        assert_eq!(parse_line("/nick", true).unwrap_err().code, "bad-args");
        assert_eq!(parse_line("/join", true).unwrap_err().message, "usage: /join #ROOM");
    }
}
