//! JSON mode: one packet `{"type": string, "payload": any}` per line,
//! decoded into a typed request. Each packet type, as it is sent and
//! answered (text mode's command beside it):
//!
//! ```text
//! nick   C: {"type":"nick","payload":"alice"}                     alice (before joining), /nick alice
//!        S (default room): {"type":"join","payload":{"nick":"alice","online":1,"room":"#lobby"}}
//!        S (renamed, to everyone sharing a room): {"type":"nick","payload":{"old":"alice","new":"ally"}}
//! chat   C: {"type":"chat","payload":"hello"}   or {"room":"#rust","text":"hello"}     hello
//!        S (to the room): {"type":"chat","payload":{"from":"alice","text":"hello","room":"#rust"}}
//! me     C: {"type":"me","payload":"waves"}     (the shapes of chat)                   /me waves
//!        S (to the room): {"type":"me","payload":{"from":"alice","text":"waves","room":"#rust"}}
//! msg    C: {"type":"msg","payload":{"to":"bob","text":"hi"}}                          /msg bob hi
//!        S (to bob and alice): {"type":"msg","payload":{"from":"alice","to":"bob","text":"hi"}}
//! who    C: {"type":"who"}  or  {"type":"who","payload":"#rust"}                       /who [#rust]
//!        S: {"type":"who","payload":{"nicks":["alice","bob"],"room":"#lobby"}}
//! join   C: {"type":"join","payload":"#rust"}                                          /join #rust
//!        S (to #rust): {"type":"join","payload":{"nick":"alice","online":1,"room":"#rust"}}
//!        S (to alice, if set): {"type":"topic","payload":{"room":"#rust","topic":"...","by":"bob"}}
//! part   C: {"type":"part","payload":"#rust"}  (none: the current room)                /part
//!        S (to #rust, alice included): {"type":"leave","payload":{"nick":"alice","online":1,"room":"#rust"}}
//! rooms  C: {"type":"rooms"}                                                           /rooms
//!        S: {"type":"rooms","payload":{"rooms":[{"room":"#lobby","online":2,"topic":""}]}}
//! topic  C: {"type":"topic","payload":{"room":"#rust","text":"Rust"}}  (set; "" clears)  /topic Rust
//!        C: {"type":"topic","payload":"#rust"}  or  {"room":"#rust"}  (ask)            /topic
//!        S: {"type":"topic","payload":{"room":"#rust","topic":"Rust","by":"alice"}}
//! ping   C: {"type":"ping","payload":42}     S: {"type":"pong","payload":42}           /ping 42
//! echo   C: {"type":"echo","payload":{...}}  S (every JSON client): the same packet
//! history C: {"type":"history","payload":{"room":"#rust","limit":50}}  (+ "before" or "after": ID)  /history
//!        S: {"type":"history","payload":{"room":"#rust","items":[{"id","time","type","from","text"}],"complete":true}}
//! caps   C: {"type":"caps","payload":["ids"]}   S: {"type":"caps","payload":["ids"]}  (room lines then carry id and time)
//! register C: {"type":"register","payload":{"password":"..."}}                      /register PASSWORD
//!        S: {"type":"account","payload":{"action":"registered","account":"alice","persistent":true}}
//! login  C: {"type":"login","payload":{"account":"alice","password":"..."}}          /login alice PASSWORD
//!        C: {"type":"login","payload":{"token":"JWT"}}                               /login-token JWT
//!        S: {"type":"account","payload":{"action":"signed-in","account":"alice"}}
//! logout C: {"type":"logout"}   S: {"action":"signed-out"}                           /logout
//! password C: {"type":"password","payload":{"old":"...","new":"..."}}               /password OLD NEW
//! unregister C: {"type":"unregister","payload":{"password":"..."}}                   /unregister PASSWORD
//! lang   C: {"type":"lang","payload":"ko"}   S: {"type":"lang","payload":{"langs":["en","ko"],"lang":"ko"}}  (no payload: just tells)
//! typing C: {"type":"typing","payload":{"room":"#rust","state":"active"}}  (or "to": NICK; "paused", "done")
//!        S (to the room's clients with the typing capability): {"type":"typing","payload":{"nick":"alice","room":"#rust","state":"active"}}
//! react  C: {"type":"react","payload":{"room":"#rust","id":ID,"emoji":"👍"}}  (or "to": NICK)
//!        S (reactions capability): {"type":"react","payload":{"nick":"alice","room":"#rust","id":ID,"emoji":"👍"}}
//! delete C: {"type":"delete","payload":{"room":"#rust","id":ID}}                      /delete [ID]
//!        S (deletions capability): {"type":"delete","payload":{"room":"#rust","id":ID,"by":"alice"}}
//! markread C: {"type":"markread","payload":{"room":"#rust","id":ID}}  (without id: ask)   /markread [#ROOM]
//!        S (to the sender, and the account's other read-markers clients): {"type":"markread","payload":{"room":"#rust","id":ID,"time":TIME}}
//! help   C: {"type":"help"}                  S: {"type":"help","payload":{"types":[...]}}  /help
//! bye    C: {"type":"bye"}                   S: {"type":"bye"}, then the server closes  /bye, /quit
//! ```

use serde_json::{Map, Value};

use crate::chat::accounts::{AccountCommand, Password, Via};
use crate::chat::command::Moderation;
use crate::chat::command::OperCommand;
use crate::chat::command::{CertFpCommand, Command};
use crate::chat::event::{Said, Signal, Typing};
use crate::chat::fault::Fault;
use crate::chat::markers::ReadUpTo;
use crate::chat::rules::{OP, VOICE};
use crate::store::history::{MsgId, Query, Ref};

use super::Request;

/// Every built-in packet type, in the order `help` lists them.
pub const BUILTIN_TYPES: &[&str] = &[
    "nick",
    "chat",
    "me",
    "msg",
    "who",
    "join",
    "part",
    "rooms",
    "topic",
    "history",
    "ping",
    "echo",
    "caps",
    "help",
    "lang",
    "bye",
    "register",
    "login",
    "logout",
    "password",
    "unregister",
    "certfp",
    "op",
    "deop",
    "voice",
    "devoice",
    "kick",
    "ban",
    "unban",
    "bans",
    "mute",
    "unmute",
    "invite",
    "mode",
    "claim",
    "unclaim",
    "oper",
    "kill",
    "kline",
    "unkline",
    "klines",
    "members",
    "whois",
    "typing",
    "react",
    "delete",
    "markread",
];

/// The built-in types refused with `not-joined` before a nickname.
const NEED_NICK: &[&str] = &[
    "chat", "me", "msg", "join", "part", "topic", "history", "register", "op", "deop", "voice", "devoice",
    "kick", "ban", "unban", "bans", "mute", "unmute", "invite", "mode", "typing", "react", "delete", "claim",
    "unclaim",
];

/// Lines a `history` packet gets when it says no `limit`.
pub const HISTORY_LIMIT: usize = 50;

/// A packet, taken apart: its type and payload (`null` when absent).
pub fn packet(line: &str) -> Result<(String, Value), Fault> {
    let packet: Value = serde_json::from_str(line).map_err(|e| Fault::BadJson(e.to_string()))?;
    let Value::Object(mut map) = packet else {
        return Err(Fault::BadPacket("packet-not-object"));
    };
    let Some(Value::String(kind)) = map.remove("type") else {
        return Err(Fault::BadPacket("packet-no-type"));
    };
    Ok((kind, map.remove("payload").unwrap_or(Value::Null)))
}

/// Does built-in type `kind` need a nickname? `None`: no such type.
pub fn needs_nick(kind: &str) -> Option<bool> {
    BUILTIN_TYPES.contains(&kind).then(|| NEED_NICK.contains(&kind))
}

/// The request a built-in packet makes, or what is wrong with its payload.
pub fn decode<'a>(kind: &str, payload: &'a Value) -> Result<Request<'a>, Fault> {
    let present = (!payload.is_null()).then_some(payload);
    let command = match kind {
        "nick" => Command::Nick(string(payload, "\"NICKNAME\"")?),
        "chat" | "me" => {
            let said = if kind == "me" { Said::Action } else { Said::Plain };
            let (room, text) = room_text(payload)?;
            Command::Say { room, text, said }
        }
        "msg" => {
            let shape = || Fault::usage("expected payload {\"to\": NICK, \"text\": TEXT}");
            let field = |key| payload.get(key).and_then(Value::as_str).ok_or_else(shape);
            Command::Msg { to: field("to")?, text: field("text")?, said: Said::Plain }
        }
        "who" => Command::Who(optional_string(payload, "\"#ROOM\" or none")?),
        "join" => match payload {
            Value::String(room) => Command::Join { room, key: None },
            Value::Object(_) => {
                let shape = "\"#ROOM\" or {\"room\": \"#ROOM\", \"key\": KEY}";
                Command::Join {
                    room: text_field(payload, "room", shape)?,
                    key: optional_field(payload, "key", shape)?,
                }
            }
            _ => return Err(expected("\"#ROOM\"")),
        },
        "op" | "deop" | "voice" | "devoice" => {
            let shape = "\"NICK\" or {\"room\": \"#ROOM\", \"nick\": NICK}";
            let (room, nick) = match payload {
                Value::String(nick) => (None, nick.as_str()),
                _ => (optional_field(payload, "room", shape)?, text_field(payload, "nick", shape)?),
            };
            let rank = if kind.ends_with("op") { OP } else { VOICE };
            Command::Moderate { room, action: Moderation::Rank { nick, rank, on: !kind.starts_with("de") } }
        }
        "kick" => {
            let shape = "{\"room\": \"#ROOM\", \"nick\": NICK, \"reason\": TEXT}";
            let (room, nick) = (optional_field(payload, "room", shape)?, text_field(payload, "nick", shape)?);
            Command::Moderate {
                room,
                action: Moderation::Kick { nick, reason: optional_field(payload, "reason", shape)? },
            }
        }
        "ban" | "mute" => {
            let shape = "{\"room\": \"#ROOM\", \"mask\": MASK, \"duration\": \"10m\", \"reason\": TEXT}";
            let (room, mask) = (optional_field(payload, "room", shape)?, text_field(payload, "mask", shape)?);
            let duration = duration_field(payload, shape)?;
            let reason = optional_field(payload, "reason", shape)?;
            Command::Moderate {
                room,
                action: Moderation::Ban { mask, duration, reason, mute: kind == "mute" },
            }
        }
        "unban" | "unmute" => {
            let shape = "{\"room\": \"#ROOM\", \"mask\": MASK}";
            let (room, mask) = (optional_field(payload, "room", shape)?, text_field(payload, "mask", shape)?);
            Command::Moderate { room, action: Moderation::Unban { mask, mute: kind == "unmute" } }
        }
        "bans" => Command::Moderate {
            room: optional_string(payload, "\"#ROOM\" or none")?,
            action: Moderation::Bans,
        },
        "claim" | "unclaim" => Command::Moderate {
            room: optional_string(payload, "\"#ROOM\" or none")?,
            action: Moderation::Claim { on: kind == "claim" },
        },
        "invite" => {
            let shape = "{\"room\": \"#ROOM\", \"nick\": NICK}";
            let (room, nick) = (optional_field(payload, "room", shape)?, text_field(payload, "nick", shape)?);
            Command::Moderate { room, action: Moderation::Invite { nick } }
        }
        "oper" => {
            let shape = "{\"name\": NAME, \"password\": PASSWORD}";
            Command::Oper(OperCommand::Up {
                name: text_field(payload, "name", shape)?,
                password: field(payload, "password", shape)?,
            })
        }
        "kill" => {
            let shape = "{\"nick\": NICK, \"reason\": TEXT}";
            let reason = optional_field(payload, "reason", shape)?.unwrap_or("");
            Command::Oper(OperCommand::Kill { nick: text_field(payload, "nick", shape)?, reason })
        }
        "kline" => {
            let shape = "{\"mask\": ADDRESS, \"duration\": \"1h\", \"reason\": TEXT}";
            let duration = duration_field(payload, shape)?;
            let reason = optional_field(payload, "reason", shape)?.unwrap_or("");
            Command::Oper(OperCommand::Kline { mask: text_field(payload, "mask", shape)?, duration, reason })
        }
        "unkline" => {
            Command::Oper(OperCommand::Unkline { mask: text_field(payload, "mask", "{\"mask\": ADDRESS}")? })
        }
        "klines" => Command::Oper(OperCommand::Klines),
        "members" => Command::Members(optional_string(payload, "\"#ROOM\" or none")?),
        "whois" => Command::Whois(string(payload, "\"NICK\"")?),
        "mode" => {
            let shape = "{\"room\": \"#ROOM\", \"modes\": \"+m\"} (no modes: ask)";
            let (room, modes) = match payload {
                Value::Null => (None, None),
                Value::String(room) => (Some(room.as_str()), None),
                _ => (optional_field(payload, "room", shape)?, optional_field(payload, "modes", shape)?),
            };
            Command::Moderate { room, action: Moderation::Mode(modes.unwrap_or("")) }
        }
        "part" => Command::Part { room: optional_string(payload, "\"#ROOM\"")?, reason: None },
        "rooms" => Command::Rooms,
        "typing" => {
            let shape = "{\"room\": \"#ROOM\" or \"to\": NICK, \"state\": \"active\"|\"paused\"|\"done\"}";
            let to = signal_target(payload, shape)?;
            let state = optional_field(payload, "state", shape)?.unwrap_or("active");
            let state = Typing::from_name(state).ok_or_else(|| expected(shape))?;
            Command::Signal { to, signal: Signal::Typing(state) }
        }
        "markread" => {
            let shape = "{\"room\": \"#ROOM\", \"id\": ID} (without id: ask)";
            let room = optional_field(payload, "room", shape)?;
            let upto = match optional_field(payload, "id", shape)? {
                Some(id) => ReadUpTo::Line(id),
                None => ReadUpTo::Ask,
            };
            Command::MarkRead { room, upto }
        }
        "delete" => {
            let shape = "{\"room\": \"#ROOM\", \"id\": ID}";
            let room = optional_field(payload, "room", shape)?;
            let id = optional_field(payload, "id", shape)?.ok_or_else(|| expected(shape))?;
            Command::Delete { room, id: Some(id) }
        }
        "react" => {
            let shape = "{\"room\": \"#ROOM\" or \"to\": NICK, \"id\": ID, \"emoji\": EMOJI}";
            let to = signal_target(payload, shape)?;
            let id = optional_field(payload, "id", shape)?.ok_or_else(|| expected(shape))?;
            let emoji = optional_field(payload, "emoji", shape)?.ok_or_else(|| expected(shape))?;
            Command::Signal { to, signal: Signal::React { id, emoji } }
        }
        "topic" => topic(payload)?,
        "history" => history(payload)?,
        "caps" => {
            let shape = || Fault::usage("expected payload [\"CAP\", ...]");
            let list = payload.as_array().ok_or_else(shape)?;
            return Ok(Request::Caps(
                list.iter().map(|c| c.as_str().ok_or_else(shape)).collect::<Result<_, _>>()?,
            ));
        }
        "ping" => Command::Ping(present),
        "echo" => Command::Echo(present),
        "help" => return Ok(Request::Help),
        "lang" => return Ok(Request::Lang(optional_string(payload, "\"CODE\"")?)),
        "bye" => Command::Bye,
        "register" => {
            account(AccountCommand::Register(field(payload, "password", "{\"password\": PASSWORD}")?))
        }
        "login" if payload.get("token").is_some() => {
            let token = payload.get("token").and_then(Value::as_str);
            account(AccountCommand::Token(token.ok_or_else(|| expected("{\"token\": TOKEN}"))?))
        }
        "login" => {
            let shape = "{\"account\": NAME, \"password\": PASSWORD} or {\"token\": TOKEN}";
            let name = payload.get("account").and_then(Value::as_str).ok_or_else(|| expected(shape))?;
            let password = field(payload, "password", shape)?;
            account(AccountCommand::Login { account: name, password, take_nick: true })
        }
        "logout" => account(AccountCommand::Logout),
        "password" => {
            let shape = "{\"old\": PASSWORD, \"new\": PASSWORD}";
            let (old, new) = (field(payload, "old", shape)?, field(payload, "new", shape)?);
            account(AccountCommand::ChangePassword { old, new })
        }
        "unregister" => {
            account(AccountCommand::Unregister(field(payload, "password", "{\"password\": PASSWORD}")?))
        }
        "certfp" => {
            let shape = "{\"action\": \"list\"|\"add\"|\"del\", \"fingerprint\": HEX} (none: list)";
            let cmd = match payload {
                Value::Null => CertFpCommand::List,
                _ => match text_field(payload, "action", shape)? {
                    "list" => CertFpCommand::List,
                    "add" => CertFpCommand::Add(optional_field(payload, "fingerprint", shape)?),
                    "del" => CertFpCommand::Del(text_field(payload, "fingerprint", shape)?),
                    _ => return Err(expected(shape)),
                },
            };
            account(AccountCommand::CertFp(cmd))
        }
        other => return Err(Fault::UnknownType(other.to_string())),
    };
    Ok(Request::Chat(command))
}

/// An optional `duration` field (`"10m"`, `"2h"`, `"7d"`).
fn duration_field(payload: &Value, shape: &str) -> Result<Option<std::time::Duration>, Fault> {
    optional_field(payload, "duration", shape)?.map(crate::units::duration).transpose().map_err(Fault::usage)
}

/// A string field of an object payload.
fn text_field<'a>(payload: &'a Value, key: &str, shape: &str) -> Result<&'a str, Fault> {
    payload.get(key).and_then(Value::as_str).ok_or_else(|| expected(shape))
}

/// An optional string field of an object payload (`null` or absent: none).
fn optional_field<'a>(payload: &'a Value, key: &str, shape: &str) -> Result<Option<&'a str>, Fault> {
    if !payload.is_object() {
        return Err(expected(shape));
    }
    match payload.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(expected(shape)),
    }
}

fn account(cmd: AccountCommand<'_>) -> Command<'_> {
    Command::Account { cmd, via: Via::default() }
}

/// A signal's place: `room` (a room's name) or `to` (a nickname).
fn signal_target<'a>(payload: &'a Value, shape: &str) -> Result<&'a str, Fault> {
    match (optional_field(payload, "room", shape)?, optional_field(payload, "to", shape)?) {
        (Some(room), None) if room.starts_with('#') => Ok(room),
        (None, Some(to)) if !to.starts_with('#') => Ok(to),
        _ => Err(expected(shape)),
    }
}

fn expected(shape: &str) -> Fault {
    Fault::usage(format!("expected payload {shape}"))
}

/// A password field of an object payload.
fn field<'a>(payload: &'a Value, key: &str, shape: &str) -> Result<Password<'a>, Fault> {
    payload.get(key).and_then(Value::as_str).map(|p| Password(p.as_bytes())).ok_or_else(|| expected(shape))
}

fn string<'a>(payload: &'a Value, shape: &str) -> Result<&'a str, Fault> {
    payload.as_str().ok_or_else(|| Fault::usage(format!("expected payload {shape}")))
}

fn optional_string<'a>(payload: &'a Value, shape: &str) -> Result<Option<&'a str>, Fault> {
    if payload.is_null() {
        return Ok(None);
    }
    string(payload, shape).map(Some)
}

/// `chat` and `me`: `"TEXT"` (the current room) or `{"room", "text"}`.
fn room_text(payload: &Value) -> Result<(Option<&str>, &str), Fault> {
    let shape = || Fault::usage("expected payload \"TEXT\" or {\"room\": \"#ROOM\", \"text\": TEXT}");
    match payload {
        Value::String(text) => Ok((None, text)),
        Value::Object(fields) => match (fields.get("room"), fields.get("text")) {
            (Some(Value::String(room)), Some(Value::String(text))) => Ok((Some(room), text)),
            _ => Err(shape()),
        },
        _ => Err(shape()),
    }
}

/// `topic`: asked for (no text) or set (with a text, `""` clearing it).
fn topic(payload: &Value) -> Result<Command<'_>, Fault> {
    let shape = || Fault::usage("expected payload {\"room\": \"#ROOM\", \"text\": TEXT} or \"#ROOM\"");
    fn field<'a>(
        fields: &'a Map<String, Value>,
        key: &str,
        shape: impl Fn() -> Fault,
    ) -> Result<Option<&'a str>, Fault> {
        match fields.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(shape()),
        }
    }
    let (room, text) = match payload {
        Value::Null => (None, None),
        Value::String(room) => (Some(room.as_str()), None),
        Value::Object(fields) => (field(fields, "room", shape)?, field(fields, "text", shape)?),
        _ => return Err(shape()),
    };
    Ok(match text {
        Some(text) => Command::SetTopic { room, text },
        None => Command::Topic(room),
    })
}

/// `history`: `{"room"?, "limit"?, "before"? | "after"?}` (or `null`:
/// the current room's latest lines).
fn history(payload: &Value) -> Result<Command<'_>, Fault> {
    let shape =
        || Fault::usage("expected payload {\"room\": \"#ROOM\", \"limit\": N, \"before\" or \"after\": ID}");
    let fields = match payload {
        Value::Null => {
            return Ok(Command::History { room: None, query: Query::Latest(None), limit: HISTORY_LIMIT })
        }
        Value::Object(fields) => fields,
        _ => return Err(shape()),
    };
    let room = match fields.get("room") {
        None | Some(Value::Null) => None,
        Some(Value::String(room)) => Some(room.as_str()),
        Some(_) => return Err(shape()),
    };
    let limit = match fields.get("limit") {
        None | Some(Value::Null) => HISTORY_LIMIT,
        Some(n) => n.as_u64().filter(|&n| n > 0).ok_or_else(shape)?.try_into().unwrap_or(usize::MAX),
    };
    let id = |key: &str| -> Result<Option<Ref>, Fault> {
        match fields.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => MsgId::parse(s)
                .map(|id| Some(Ref::Id(id)))
                .ok_or_else(|| Fault::refused("not-a-line-id", &[("id", &s)])),
            Some(_) => Err(shape()),
        }
    };
    let query = match (id("before")?, id("after")?) {
        (None, None) => Query::Latest(None),
        (Some(r), None) => Query::Before(r),
        (None, Some(r)) => Query::After(r),
        (Some(_), Some(_)) => return Err(Fault::refused("before-or-after", &[])),
    };
    Ok(Command::History { room, query, limit })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decoded(kind: &str, payload: Value) -> String {
        match decode(kind, &payload) {
            Ok(Request::Chat(c)) => format!("{c:?}"),
            Ok(other) => format!("{other:?}"),
            Err(f) => format!("! {}: {}", f.code(), f.message()),
        }
    }

    #[test]
    fn packets_decode_into_commands_or_say_what_is_wrong() {
        assert_eq!(decoded("nick", json!("alice")), r#"Nick("alice")"#);
        assert_eq!(decoded("nick", json!(5)), "! bad-args: expected payload \"NICKNAME\"");
        assert_eq!(
            decoded("chat", json!({"room":"#r","text":"hi"})),
            r##"Say { room: Some("#r"), text: "hi", said: Plain }"##
        );
        assert!(decoded("me", json!([1])).starts_with("! bad-args: expected payload \"TEXT\""));
        assert_eq!(
            decoded("msg", json!({"to":"bob"})),
            "! bad-args: expected payload {\"to\": NICK, \"text\": TEXT}"
        );
        assert_eq!(decoded("topic", json!({"room":"#r"})), r##"Topic(Some("#r"))"##);
        assert_eq!(decoded("topic", json!({"text":""})), r#"SetTopic { room: None, text: "" }"#);
        assert_eq!(decoded("ping", Value::Null), "Ping(None)");
        assert_eq!(decoded("frob", Value::Null), "! unknown-type: type 'frob' is not defined");
        assert_eq!(packet("[1]").unwrap_err(), Fault::BadPacket("packet-not-object"));
        assert_eq!(packet(r#"{"type":"who"}"#).unwrap(), ("who".to_string(), Value::Null));
        assert_eq!(needs_nick("chat"), Some(true));
        assert_eq!(needs_nick("frob"), None);
        assert_eq!(decoded("history", Value::Null), "History { room: None, query: Latest(None), limit: 50 }");
        assert_eq!(
            decoded("history", json!({"room":"#r","limit":5,"after":"a-1-0"})),
            r##"History { room: Some("#r"), query: After(Id(MsgId { seq: 1, uniq: 10, room: 0 })), limit: 5 }"##
        );
        assert_eq!(decoded("history", json!({"before":"x"})), "! bad-args: 'x' is not a line id");
        assert!(decoded("history", json!({"limit":0})).starts_with("! bad-args: expected payload"));
        assert!(decoded("history", json!({"before":"a-1-0","after":"a-1-0"})).contains("not both"));
        assert_eq!(decoded("caps", json!(["ids", "x"])), r#"Caps(["ids", "x"])"#);
        assert!(decoded("caps", json!("ids")).starts_with("! bad-args"));
        assert_eq!(
            decoded("login", json!({"account":"alice","password":"pw"})),
            r#"Account { cmd: Login { account: "alice", password: Password(..), take_nick: true }, via: Via(0) }"#
        );
        assert_eq!(
            decoded("login", json!({"account":"alice"})),
            "! bad-args: expected payload {\"account\": NAME, \"password\": PASSWORD} or {\"token\": TOKEN}"
        );
        assert!(decoded("register", json!("pw")).starts_with("! bad-args"));
        assert_eq!(
            decoded("login", json!({"token":"t.t.t"})),
            r#"Account { cmd: Token("t.t.t"), via: Via(0) }"#
        );
        assert!(decoded("login", json!({"token":5})).starts_with("! bad-args: expected payload {\"token\""));
        assert_eq!(needs_nick("register"), Some(true));
        assert_eq!(needs_nick("login"), Some(false));
    }
}
