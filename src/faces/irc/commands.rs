//! IRC commands: one table of verbs, with the checks every server makes
//! (451 before registration, 461 for missing parameters, 421 for unknown
//! verbs) done once, before the handler runs. The room and message
//! commands live here; registration is in `register.rs`, questions about
//! users and rooms in `queries.rs`.

use super::parse::Line;
use super::render::{action, strip_formatting};
use super::{existing_room, joined, names, names_lines, numeric, say, IrcFace};
use crate::chat::command::{Command as Chat, Outcome};
use crate::chat::event::{Said, Signal};
use crate::chat::fault::Fault;
use crate::chat::markers::ReadUpTo;
use crate::chat::masks::glob;
use crate::chat::membership::Exit;
use crate::chat::rooms::RoomId;
use crate::chat::session::fold_nick;
use crate::chat::{sanitize, Hub};
use crate::net::{ConnId, Outbox};

type Handler = fn(&mut IrcFace, &mut Hub, ConnId, &[&str], &mut Outbox);

/// One verb: its handler, whether it works before registration, and how
/// many parameters it needs.
struct Command {
    verb: &'static str,
    handle: Handler,
    before_registration: bool,
    min_params: usize,
}

const fn cmd(verb: &'static str, handle: Handler, before_registration: bool, min_params: usize) -> Command {
    Command { verb, handle, before_registration, min_params }
}

use super::queries::{away, ison, mode, userhost, who, whois};
use super::register::{cap, lusers, motd, nick, ping, quit, user};

static COMMANDS: &[Command] = &[
    cmd("CAP", cap, true, 1),
    cmd("LANGUAGE", super::language::language, true, 1),
    cmd("PASS", super::register::pass, true, 1),
    cmd("NICK", nick, true, 0),
    cmd("USER", user, true, 4),
    cmd("PING", ping, true, 1),
    cmd("PONG", |_, _, _, _, _| {}, true, 0),
    cmd("QUIT", quit, true, 0),
    cmd("JOIN", join, false, 1),
    cmd("PART", part, false, 1),
    cmd("PRIVMSG", privmsg, false, 0),
    cmd("NOTICE", notice, false, 0),
    cmd("TOPIC", topic, false, 1),
    cmd("NAMES", names_cmd, false, 0),
    cmd("LIST", list, false, 0),
    cmd("WHO", who, false, 0),
    cmd("WHOIS", whois, false, 1),
    cmd("MODE", mode, false, 1),
    cmd("AWAY", away, false, 0),
    cmd("SETNAME", super::notify::setname, false, 1),
    cmd("REDACT", redact, false, 2),
    cmd("REGISTER", super::accounts::register, true, 3),
    cmd("VERIFY", super::accounts::verify, true, 2),
    cmd("MARKREAD", markread, false, 1),
    // Read with its tags: see `tagmsg`.
    cmd("TAGMSG", |_, _, _, _, _| {}, false, 1),
    cmd("MONITOR", super::notify::monitor, false, 1),
    cmd("USERHOST", userhost, false, 1),
    cmd("ISON", ison, false, 1),
    cmd("LUSERS", |face, hub, id, _, out| lusers(face, hub, id, out), false, 0),
    cmd("WHOWAS", super::queries::whowas, false, 1),
    cmd("TIME", super::server_info::time, false, 0),
    cmd("VERSION", super::server_info::version, false, 0),
    cmd("INFO", super::server_info::info, false, 0),
    cmd("ADMIN", super::server_info::admin, false, 0),
    cmd("HELP", super::server_info::help, false, 0),
    cmd("HELPOP", super::server_info::help, false, 0),
    cmd("LINKS", super::server_info::links, false, 0),
    cmd("STATS", super::server_info::stats, false, 0),
    cmd("KNOCK", super::server_info::knock, false, 1),
    cmd("MOTD", |face, hub, id, _, out| motd(face, hub, id, out), false, 0),
    cmd("CHATHISTORY", super::history::chathistory, false, 1),
    cmd("AUTHENTICATE", super::accounts::authenticate, true, 1),
    cmd("KICK", super::moderation::kick, false, 2),
    cmd("OPER", super::moderation::oper, false, 2),
    cmd("KILL", super::moderation::kill, false, 1),
    cmd("KLINE", super::moderation::kline, false, 1),
    cmd("UNKLINE", super::moderation::unkline, false, 1),
    cmd("INVITE", super::moderation::invite, false, 2),
    cmd(
        "NICKSERV",
        |_, hub, id, params, out| super::accounts::nickserv(hub, id, &params.join(" "), out),
        false,
        0,
    ),
    cmd("NS", |_, hub, id, params, out| super::accounts::nickserv(hub, id, &params.join(" "), out), false, 0),
    cmd("CLAIM", |_, hub, id, params, out| super::moderation::claim(true, hub, id, params, out), false, 0),
    cmd("UNCLAIM", |_, hub, id, params, out| super::moderation::claim(false, hub, id, params, out), false, 0),
    cmd(
        "CHANSERV",
        |_, hub, id, params, out| super::moderation::chanserv(hub, id, &params.join(" "), out),
        false,
        0,
    ),
    cmd(
        "CS",
        |_, hub, id, params, out| super::moderation::chanserv(hub, id, &params.join(" "), out),
        false,
        0,
    ),
];

/// Runs one parsed line; with labeled-response, its replies carry its label.
pub fn run(face: &mut IrcFace, hub: &mut Hub, id: ConnId, line: &Line, out: &mut Outbox) {
    let labeled = face.get(id).is_some_and(|s| s.caps.labeled_response) && line.command != "QUIT";
    let Some(label) = line.tag("label").filter(|l| labeled && !l.is_empty()) else {
        return run_verb(face, hub, id, line, out);
    };
    out.capture(id);
    face.deferred = None;
    run_verb(face, hub, id, line, out);
    let reply = out.captured();
    match face.deferred.take() {
        // The answer comes from the cluster later, labeled then.
        Some(key) => {
            face.pages.insert(key, (id, Some(label)));
            if !reply.is_empty() {
                super::send(out, id, reply);
            }
        }
        None => super::history::send_labeled(face, hub, id, &label, &reply, out),
    }
}

fn run_verb(face: &mut IrcFace, hub: &mut Hub, id: ConnId, line: &Line, out: &mut Outbox) {
    let Some(command) = COMMANDS.iter().find(|c| c.verb == line.command) else {
        if hub.nick_of(id).is_none() {
            return say(hub, id, out, "451", &[], "irc-you-have-not-registered", &[]);
        }
        return say(hub, id, out, "421", &[&line.command], "irc-unknown-command", &[]);
    };
    if !command.before_registration && hub.nick_of(id).is_none() {
        return say(hub, id, out, "451", &[], "irc-you-have-not-registered", &[]);
    }
    if line.params.len() < command.min_params {
        return say(hub, id, out, "461", &[command.verb], "irc-not-enough-parameters", &[]);
    }
    if matches!(command.verb, "NICK" | "JOIN") {
        hub.charge_join(id, out);
    }
    if command.verb == "TAGMSG" {
        return tagmsg(hub, id, line, out);
    }
    (command.handle)(face, hub, id, &line.params, out);
}

fn join(face: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    if params[0] == "0" {
        // JOIN 0: leave every room.
        let held: Vec<RoomId> = hub.rooms_of(id).collect();
        for room in held {
            hub.exit(id, room, Exit::Part(None), out);
        }
        return;
    }
    let mut keys = params.get(1).map(|k| k.split(',')).into_iter().flatten();
    for name in params[0].split(',').filter(|n| !n.is_empty()) {
        let key = keys.next().filter(|k| !k.is_empty());
        match hub.run(id, Chat::Join { room: name, key }, out) {
            Ok(Outcome::Joined(room)) => {
                super::notify::joined_away(face, hub, id, room, out);
                if face.get(id).is_some_and(|s| s.caps.read_marker) && hub.account_of(id).is_some() {
                    // The account's marker for the room, before the names.
                    let _ = hub.run(id, Chat::MarkRead { room: Some(name), upto: ReadUpTo::Ask }, out);
                }
                joined(face, hub, id, room, out);
                super::history::replay(face, hub, id, room, out);
            }
            Ok(_) => {}
            Err(Fault::RoomInvalid(_)) => say(hub, id, out, "403", &[name], "irc-no-such-channel", &[]),
            Err(fault) => super::moderation::room_fault(hub, id, name, &fault, out),
        }
    }
}

fn part(_: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let reason = params.get(1).map(|r| sanitize(&strip_formatting(r)).into_owned()).filter(|r| !r.is_empty());
    for name in params[0].split(',').filter(|n| !n.is_empty()) {
        let Some(room) = existing_room(hub, id, name, out) else { continue };
        if !hub.holds(id, room) {
            say(hub, id, out, "442", &[name], "irc-you-re-not-on-that-channel", &[]);
            continue;
        }
        let _ = hub.run(id, Chat::Part { room: Some(name), reason: reason.as_deref() }, out);
    }
}

fn privmsg(face: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    message(face, hub, id, params, false, out);
}

fn notice(face: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    message(face, hub, id, params, true, out);
}

/// PRIVMSG and NOTICE, to rooms and nicks. A NOTICE never gets an error back.
fn message(face: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], notice: bool, out: &mut Outbox) {
    let verb = if notice { "NOTICE" } else { "PRIVMSG" };
    let (Some(targets), Some(text)) = (params.first(), params.get(1)) else {
        if !notice {
            match params.first() {
                None => say(hub, id, out, "411", &[], "irc-no-recipient", &[("verb", &verb)]),
                Some(_) => say(hub, id, out, "412", &[], "irc-no-text-to-send", &[]),
            }
        }
        return;
    };
    // CTCP ACTION is recognised before formatting and control characters go.
    let (text, said) = match action(text) {
        Some(body) => (body, Said::Action),
        None if text.starts_with('\x01') => return, // other CTCP queries: nobody else speaks them
        None => (*text, if notice { Said::Notice } else { Said::Plain }),
    };
    let text = sanitize(&strip_formatting(text)).into_owned();
    if text.trim().is_empty() {
        if !notice {
            say(hub, id, out, "412", &[], "irc-no-text-to-send", &[]);
        }
        return;
    }
    for target in targets.split(',').filter(|t| !t.is_empty()) {
        if target.eq_ignore_ascii_case("NickServ") {
            if !notice {
                super::accounts::nickserv(hub, id, &text, out);
            }
            continue;
        }
        if target.eq_ignore_ascii_case("ChanServ") {
            if !notice {
                super::moderation::chanserv(hub, id, &text, out);
            }
            continue;
        }
        if target.starts_with('#') {
            let room = hub.rooms.lookup(target);
            match room {
                // Members speak; others where the room takes outside messages (-n).
                Some(_) => {
                    let said = hub.run(id, Chat::Say { room: Some(target), text: &text, said }, out);
                    if let (Err(_), false) = (said, notice) {
                        say(hub, id, out, "404", &[target], "irc-cannot-send-to-channel", &[]);
                    }
                }
                None if !notice => say(hub, id, out, "403", &[target], "irc-no-such-channel", &[]),
                None => {}
            }
            continue;
        }
        let to = hub.find_nick(target);
        if hub.run(id, Chat::Msg { to: target, text: &text, said }, out).is_err() {
            if !notice {
                say(hub, id, out, "401", &[target], "irc-no-such-nick-channel", &[]);
            }
            continue;
        }
        let Some(to) = to else { continue };
        let away = face.get(to).and_then(|i| i.away.clone());
        if let (Some(away), false) = (away, notice) {
            let to_nick = hub.nick_of(to).unwrap_or_default().to_string();
            numeric(hub, id, out, "301", &[&to_nick], Some(&away));
        }
    }
}

fn topic(_: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let Some(room) = existing_room(hub, id, params[0], out) else { return };
    let Some(text) = params.get(1) else {
        let r = hub.rooms.get(room);
        if r.topic.is_empty() {
            return say(hub, id, out, "331", &[&r.name], "irc-no-topic-is-set", &[]);
        }
        numeric(hub, id, out, "332", &[&r.name], Some(&r.topic));
        return numeric(hub, id, out, "333", &[&r.name, &r.topic_by, &r.topic_at.to_string()], None);
    };
    if !hub.holds(id, room) {
        return say(hub, id, out, "442", &[params[0]], "irc-you-re-not-on-that-channel", &[]);
    }
    let name = hub.rooms.get(room).name.clone();
    if let Err(fault) = hub.run(id, Chat::SetTopic { room: Some(&name), text: &strip_formatting(text) }, out)
    {
        super::moderation::room_fault(hub, id, &name, &fault, out);
    }
}

fn names_cmd(face: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let Some(list) = params.first() else {
        // Every room this client may see, then one 366 for `*`.
        for room in hub.rooms.sorted() {
            if !hub.hidden_from(id, room) {
                names_lines(face, hub, id, room, out);
            }
        }
        return say(hub, id, out, "366", &["*"], "irc-end-of-names-list", &[]);
    };
    for name in list.split(',').filter(|n| !n.is_empty()) {
        match hub.rooms.lookup(name).filter(|&room| !hub.hidden_from(id, room)) {
            Some(room) => names(face, hub, id, room, out),
            None => say(hub, id, out, "366", &[name], "irc-end-of-names-list", &[]),
        }
    }
}

/// `LIST [#a,#b|ELIST conditions]`: `>N`/`<N` members (U), `C>N`/`C<N`
/// created more/less than N minutes ago (C), `T>N`/`T<N` topic set more/less
/// than N minutes ago (T), a mask `*rust*` (M) or its negation `!*rust*` (N).
fn list(_: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let conditions: Vec<&str> = params.first().map(|p| p.split(',').collect()).unwrap_or_default();
    let now = crate::clock::unix_now();
    let minutes_ago = |at: u64| now.saturating_sub(at) / 60;
    say(hub, id, out, "321", &["Channel"], "irc-users-name", &[]);
    for room in hub.rooms.sorted() {
        let r = hub.rooms.get(room);
        if hub.hidden_from(id, room) {
            continue;
        }
        let folded = fold_nick(&r.name);
        let (mut named, mut masked, mut pass) = (false, false, true);
        let mut any_mask = false;
        for cond in &conditions {
            let number = |s: &str| s.parse::<u64>().ok();
            let ok = if let Some(n) = cond.strip_prefix("C>").and_then(number) {
                minutes_ago(r.created) > n
            } else if let Some(n) = cond.strip_prefix("C<").and_then(number) {
                minutes_ago(r.created) < n
            } else if let Some(n) = cond.strip_prefix("T>").and_then(number) {
                r.topic_at != 0 && minutes_ago(r.topic_at) > n
            } else if let Some(n) = cond.strip_prefix("T<").and_then(number) {
                r.topic_at != 0 && minutes_ago(r.topic_at) < n
            } else if let Some(n) = cond.strip_prefix('>').and_then(number) {
                r.online() as u64 > n
            } else if let Some(n) = cond.strip_prefix('<').and_then(number) {
                (r.online() as u64) < n
            } else if let Some(mask) = cond.strip_prefix('!') {
                !glob(&fold_nick(mask), &folded)
            } else if cond.contains(['*', '?']) {
                any_mask = true;
                masked |= glob(&fold_nick(cond), &folded);
                true
            } else if cond.starts_with('#') {
                any_mask = true;
                named |= fold_nick(cond) == folded;
                true
            } else {
                true
            };
            pass &= ok;
        }
        if !pass || (any_mask && !named && !masked) {
            continue;
        }
        numeric(hub, id, out, "322", &[&r.name, &r.online().to_string()], Some(&r.topic));
    }
    say(hub, id, out, "323", &[], "irc-end-of-list", &[]);
}

/// `@+typing=active TAGMSG <target>` and `@+draft/react=👍;+draft/reply=<msgid>
/// TAGMSG <target>`: typing and reactions, relayed to every face that shows
/// them. Other client tags are not relayed.
fn tagmsg(hub: &mut Hub, id: ConnId, line: &Line, out: &mut Outbox) {
    let target = line.params[0].split(',').next().unwrap_or_default();
    let typing = line.tag("+typing").and_then(|state| crate::chat::event::Typing::from_name(&state));
    let react = line.tag("+draft/react");
    let reply = line.tag("+draft/reply");
    let result = match (typing, react.as_deref(), reply.as_deref()) {
        (Some(state), None, _) => {
            hub.run(id, Chat::Signal { to: target, signal: Signal::Typing(state) }, out)
        }
        (_, Some(emoji), Some(msgid)) => {
            hub.run(id, Chat::Signal { to: target, signal: Signal::React { id: msgid, emoji } }, out)
        }
        _ => return,
    };
    let Err(fault) = result else { return };
    match fault {
        Fault::NoSuchNick(_) => say(hub, id, out, "401", &[target], "irc-no-such-nick-channel", &[]),
        Fault::NotInRoom(_) | Fault::RoomInvalid(_) if hub.rooms.lookup(target).is_none() => {
            say(hub, id, out, "403", &[target], "irc-no-such-channel", &[])
        }
        Fault::NotInRoom(_) => say(hub, id, out, "404", &[target], "irc-cannot-send-to-channel", &[]),
        fault => super::fail(out, id, "TAGMSG", "INVALID_PARAMS", &[], &fault.message_in(hub.lang_of(id))),
    }
}

/// `REDACT <#room> <msgid> [:reason]` (draft/message-redaction): deletes the
/// line; refusals as standard replies.
fn redact(_: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let (target, msgid) = (params[0], params[1]);
    let fail = |hub: &Hub, out: &mut Outbox, code: &str, fault: &Fault| {
        super::fail(out, id, "REDACT", code, &[target, msgid], &fault.message_in(hub.lang_of(id)));
    };
    if !target.starts_with('#') {
        let fault = Fault::NoSuchNick(target.to_string());
        return fail(hub, out, "INVALID_TARGET", &fault);
    }
    match hub.run(id, Chat::Delete { room: Some(target), id: Some(msgid) }, out) {
        Ok(_) => {}
        Err(fault @ (Fault::NotInRoom(_) | Fault::RoomInvalid(_))) => {
            fail(hub, out, "INVALID_TARGET", &fault)
        }
        Err(fault @ Fault::Refused("not-your-line", _)) => fail(hub, out, "REDACT_FORBIDDEN", &fault),
        Err(fault) => fail(hub, out, "UNKNOWN_MSGID", &fault),
    }
}

/// `MARKREAD <#room> [timestamp=YYYY-MM-DDThh:mm:ss.sssZ]` (draft/read-marker):
/// moves the account's marker, or asks for it; answered `MARKREAD <#room>
/// timestamp=...` (or `*`), also to the account's other clients.
fn markread(_: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let target = params[0];
    let fail = |hub: &Hub, out: &mut Outbox, code: &str, fault: &Fault| {
        super::fail(out, id, "MARKREAD", code, &[target], &fault.message_in(hub.lang_of(id)));
    };
    let upto = match params.get(1) {
        None => ReadUpTo::Ask,
        Some(param) => match param.strip_prefix("timestamp=").and_then(crate::clock::parse_iso_ms) {
            Some(time) => ReadUpTo::Time(time),
            None => {
                return fail(hub, out, "INVALID_PARAMS", &Fault::usage("timestamp=YYYY-MM-DDThh:mm:ss.sssZ"))
            }
        },
    };
    if !target.starts_with('#') {
        return fail(hub, out, "INVALID_PARAMS", &Fault::NotInRoom(target.to_string()));
    }
    match hub.run(id, Chat::MarkRead { room: Some(target), upto }, out) {
        Ok(_) => {}
        Err(fault @ Fault::NeedsAccount) => fail(hub, out, "ACCOUNT_REQUIRED", &fault),
        Err(fault) => fail(hub, out, "INVALID_PARAMS", &fault),
    }
}
