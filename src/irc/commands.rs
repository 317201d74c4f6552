//! IRC commands: one table of verbs, with the checks every server makes
//! (451 before registration, 461 for missing parameters, 421 for unknown
//! verbs) done once, before the handler runs.

use log::info;

use super::parse::Line;
use super::render::{action, strip_formatting};
use super::{client_name, names, numeric, send};
use crate::conn::CloseReason;
use crate::proto::handshake::{fold_nick, parse_nick, MAX_NICK_CHARS};
use crate::proto::render::Said;
use crate::proto::rooms::{parse_room, RoomId, MAX_ROOM_CHARS, MAX_TOPIC_CHARS};
use crate::proto::{sanitize, Fault, Hub};
use crate::reactor::{ConnId, Outbox};

type Handler = fn(&mut Hub, ConnId, &[&str], &mut Outbox);

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

static COMMANDS: &[Command] = &[
    cmd("CAP", cap, true, 1),
    cmd("PASS", |_, _, _, _| {}, true, 0),
    cmd("NICK", nick, true, 0),
    cmd("USER", user, true, 4),
    cmd("PING", ping, true, 1),
    cmd("PONG", |_, _, _, _| {}, true, 0),
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
    cmd("USERHOST", userhost, false, 1),
    cmd("ISON", ison, false, 1),
    cmd("LUSERS", |hub, id, _, out| lusers(hub, id, out), false, 0),
    cmd("MOTD", |hub, id, _, out| motd(hub, id, out), false, 0),
];

/// Runs one parsed line.
pub fn run(hub: &mut Hub, id: ConnId, line: &Line, out: &mut Outbox) {
    let Some(command) = COMMANDS.iter().find(|c| c.verb == line.command) else {
        if hub.nick_of(id).is_none() {
            return numeric(hub, id, out, "451", &[], Some("You have not registered"));
        }
        return numeric(hub, id, out, "421", &[&line.command], Some("Unknown command"));
    };
    if !command.before_registration && hub.nick_of(id).is_none() {
        return numeric(hub, id, out, "451", &[], Some("You have not registered"));
    }
    if line.params.len() < command.min_params {
        return numeric(hub, id, out, "461", &[command.verb], Some("Not enough parameters"));
    }
    (command.handle)(hub, id, &line.params, out);
}

// ---- registration ----------------------------------------------------------

fn irc(hub: &mut Hub, id: ConnId) -> Option<&mut super::IrcState> {
    hub.session_mut(id)?.irc.as_deref_mut()
}

fn cap(hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let registered = hub.nick_of(id).is_some();
    let me = hub.nick_of(id).map_or_else(|| "*".to_string(), str::to_string);
    let server = hub.server_name().to_string();
    let sub = params[0].to_ascii_uppercase();
    let Some(state) = irc(hub, id) else { return };
    let reply = match sub.as_str() {
        "LS" => {
            state.cap_negotiating |= !registered;
            format!("CAP {me} LS :echo-message")
        }
        "LIST" => format!("CAP {me} LIST :{}", if state.echo_message { "echo-message" } else { "" }),
        "REQ" => {
            state.cap_negotiating |= !registered;
            let asked = params.get(1).copied().unwrap_or("");
            let mut echo = state.echo_message;
            let known = asked.split_whitespace().all(|c| match c {
                "echo-message" => {
                    echo = true;
                    true
                }
                "-echo-message" => {
                    echo = false;
                    true
                }
                _ => false,
            });
            if known {
                state.echo_message = echo;
                format!("CAP {me} ACK :{asked}")
            } else {
                format!("CAP {me} NAK :{asked}")
            }
        }
        "END" => {
            state.cap_negotiating = false;
            try_register(hub, id, out);
            return;
        }
        _ => return numeric(hub, id, out, "410", &[params[0]], Some("Invalid CAP command")),
    };
    send(out, id, format!(":{server} {reply}\r\n").into_bytes());
}

fn nick(hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let Some(&raw) = params.first().filter(|n| !n.is_empty()) else {
        return numeric(hub, id, out, "431", &[], Some("No nickname given"));
    };
    let Ok(wanted) = parse_nick(raw) else {
        let why = format!("Erroneous nickname: 1 to {MAX_NICK_CHARS} letters, digits, '_', '-' or '.'");
        return numeric(hub, id, out, "432", &[raw], Some(&why));
    };
    if hub.find_nick(wanted).is_some_and(|owner| owner != id) {
        return numeric(hub, id, out, "433", &[wanted], Some("Nickname is already in use"));
    }
    match hub.nick_of(id) {
        Some(current) if current == wanted => {}
        Some(_) => hub.rename(id, wanted, out),
        None => {
            let wanted = wanted.to_string();
            if let Some(state) = irc(hub, id) {
                state.pending_nick = Some(wanted);
            }
            try_register(hub, id, out);
        }
    }
}

fn user(hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    if hub.nick_of(id).is_some() {
        return numeric(hub, id, out, "462", &[], Some("You may not reregister"));
    }
    if params[0].is_empty() {
        return numeric(hub, id, out, "461", &["USER"], Some("Not enough parameters"));
    }
    if let Some(state) = irc(hub, id) {
        state.user_given = true;
    }
    try_register(hub, id, out);
}

/// Completes registration once NICK and USER are in and CAP is settled.
fn try_register(hub: &mut Hub, id: ConnId, out: &mut Outbox) {
    if hub.nick_of(id).is_some() {
        return;
    }
    let Some(state) = irc(hub, id) else { return };
    if !state.user_given || state.cap_negotiating {
        return;
    }
    let Some(wanted) = state.pending_nick.clone() else { return };
    // Someone may have taken it while this client negotiated.
    if hub.find_nick(&wanted).is_some() {
        if let Some(state) = irc(hub, id) {
            state.pending_nick = None;
        }
        return numeric(hub, id, out, "433", &[&wanted], Some("Nickname is already in use"));
    }
    hub.claim_nick(id, &wanted, out);
    let idle = hub.cfg.idle_timeout.unwrap_or(super::DEFAULT_PING_AFTER);
    out.set_timer(id, out.now() + idle);
    info!("{wanted} registered (irc)");
    welcome(hub, id, &wanted, out);
}

fn welcome(hub: &Hub, id: ConnId, nick: &str, out: &mut Outbox) {
    let server = hub.server_name();
    let version = concat!("linechat-", env!("CARGO_PKG_VERSION"));
    let started = httpdate(hub.started_unix);
    numeric(hub, id, out, "001", &[], Some(&format!("Welcome to {server}, {nick}!{nick}@{server}")));
    numeric(hub, id, out, "002", &[], Some(&format!("Your host is {server}, running version {version}")));
    numeric(hub, id, out, "003", &[], Some(&format!("This server was created {started}")));
    numeric(hub, id, out, "004", &[server, version, "i", "n"], None);
    let tokens = [
        "CASEMAPPING=ascii".to_string(),
        "CHANTYPES=#".to_string(),
        format!("CHANNELLEN={}", MAX_ROOM_CHARS + 1),
        format!("NICKLEN={MAX_NICK_CHARS}"),
        format!("TOPICLEN={MAX_TOPIC_CHARS}"),
        format!("AWAYLEN={MAX_TOPIC_CHARS}"),
        format!("CHANLIMIT=#:{}", hub.cfg.max_rooms_per_client),
        "CHANMODES=,,,n".to_string(),
        "PREFIX=".to_string(),
        format!("NETWORK={server}"),
        "UTF8ONLY".to_string(),
    ];
    let tokens: Vec<&str> = tokens.iter().map(String::as_str).collect();
    numeric(hub, id, out, "005", &tokens, Some("are supported by this server"));
    lusers(hub, id, out);
    motd(hub, id, out);
}

fn lusers(hub: &Hub, id: ConnId, out: &mut Outbox) {
    let users = hub.online().to_string();
    let rooms = hub.rooms.len().to_string();
    numeric(hub, id, out, "251", &[], Some(&format!("There are {users} users and 0 invisible on 1 servers")));
    numeric(hub, id, out, "254", &[&rooms], Some("channels formed"));
    numeric(hub, id, out, "255", &[], Some(&format!("I have {users} clients and 0 servers")));
    numeric(
        hub,
        id,
        out,
        "265",
        &[&users, &users],
        Some(&format!("Current local users {users}, max {users}")),
    );
    numeric(
        hub,
        id,
        out,
        "266",
        &[&users, &users],
        Some(&format!("Current global users {users}, max {users}")),
    );
}

fn motd(hub: &Hub, id: ConnId, out: &mut Outbox) {
    let server = hub.server_name();
    let default = &hub.rooms.get(hub.rooms.default_id()).name;
    numeric(hub, id, out, "375", &[], Some(&format!("- {server} Message of the day -")));
    for line in [
        "- linechat: the same rooms for IRC, nc, JSON and web users.".to_string(),
        format!("- Everyone else starts in {default}: /join {default} to meet them; /list shows the rooms."),
    ] {
        numeric(hub, id, out, "372", &[], Some(&line));
    }
    numeric(hub, id, out, "376", &[], Some("End of /MOTD command"));
}

/// A Unix time as an HTTP-style date (`Fri, 04 Dec 2026 15:04:05 GMT`).
fn httpdate(secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let days = secs / 86400;
    let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let weekday = DAYS[(days % 7) as usize];
    format!("{weekday}, {day:02} {} {year} {h:02}:{m:02}:{s:02} GMT", MONTHS[(month - 1) as usize])
}

fn ping(hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let server = hub.server_name();
    send(out, id, format!(":{server} PONG {server} :{}\r\n", params[0]).into_bytes());
}

fn quit(hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let said = params.first().map(|r| sanitize(&strip_formatting(r)).into_owned()).unwrap_or_default();
    let reason = if said.is_empty() { "Quit".to_string() } else { format!("Quit: {said}") };
    let nick = client_name(hub, id);
    if let Some(state) = irc(hub, id) {
        state.quit_reason = Some(reason.clone());
    }
    send(out, id, format!("ERROR :Closing Link: {nick} ({reason})\r\n").into_bytes());
    out.close_after_flush(id, CloseReason::Requested);
}

// ---- rooms -----------------------------------------------------------------

/// The existing room named `name`, or 403.
fn existing_room(hub: &Hub, id: ConnId, name: &str, out: &mut Outbox) -> Option<RoomId> {
    let room = parse_room(name).ok().and_then(|n| hub.rooms.find(n));
    if room.is_none() {
        numeric(hub, id, out, "403", &[name], Some("No such channel"));
    }
    room
}

fn join(hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    if params[0] == "0" {
        // JOIN 0: leave every room.
        let held: Vec<RoomId> = hub.rooms_of(id).collect();
        for room in held {
            hub.exit(id, room, crate::proto::membership::Exit::Part(None), out);
        }
        return;
    }
    for name in params[0].split(',').filter(|n| !n.is_empty()) {
        match hub.join_room(id, name, out) {
            Ok(()) => {}
            Err(Fault { code: "too-many-rooms", .. }) => {
                numeric(hub, id, out, "405", &[name], Some("You have joined too many channels"))
            }
            Err(_) => numeric(hub, id, out, "403", &[name], Some("No such channel")),
        }
    }
}

fn part(hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let reason = params.get(1).map(|r| sanitize(&strip_formatting(r)).into_owned()).filter(|r| !r.is_empty());
    for name in params[0].split(',').filter(|n| !n.is_empty()) {
        let Some(room) = existing_room(hub, id, name, out) else { continue };
        if !hub.holds(id, room) {
            numeric(hub, id, out, "442", &[name], Some("You're not on that channel"));
            continue;
        }
        let _ = hub.part_room(id, room, reason.as_deref(), out);
    }
}

fn privmsg(hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    message(hub, id, params, false, out);
}

fn notice(hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    message(hub, id, params, true, out);
}

/// PRIVMSG and NOTICE, to rooms and nicks. A NOTICE never gets an error back.
fn message(hub: &mut Hub, id: ConnId, params: &[&str], notice: bool, out: &mut Outbox) {
    let verb = if notice { "NOTICE" } else { "PRIVMSG" };
    let (Some(targets), Some(text)) = (params.first(), params.get(1)) else {
        if !notice {
            match params.first() {
                None => numeric(hub, id, out, "411", &[], Some(&format!("No recipient given ({verb})"))),
                Some(_) => numeric(hub, id, out, "412", &[], Some("No text to send")),
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
            numeric(hub, id, out, "412", &[], Some("No text to send"));
        }
        return;
    }
    for target in targets.split(',').filter(|t| !t.is_empty()) {
        if target.starts_with('#') {
            let room = parse_room(target).ok().and_then(|n| hub.rooms.find(n));
            match room {
                Some(room) if hub.holds(id, room) => hub.say(id, room, &text, said, out),
                Some(_) if !notice => numeric(hub, id, out, "404", &[target], Some("Cannot send to channel")),
                None if !notice => numeric(hub, id, out, "403", &[target], Some("No such channel")),
                _ => {}
            }
            continue;
        }
        let Some(to) = hub.find_nick(target) else {
            if !notice {
                numeric(hub, id, out, "401", &[target], Some("No such nick/channel"));
            }
            continue;
        };
        hub.private(id, to, &text, said, out);
        let away = hub.session(to).and_then(|s| s.irc.as_ref()).and_then(|i| i.away.clone());
        if let (Some(away), false) = (away, notice) {
            let to_nick = hub.nick_of(to).unwrap_or_default().to_string();
            numeric(hub, id, out, "301", &[&to_nick], Some(&away));
        }
    }
}

fn topic(hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let Some(room) = existing_room(hub, id, params[0], out) else { return };
    let Some(text) = params.get(1) else {
        let r = hub.rooms.get(room);
        if r.topic.is_empty() {
            return numeric(hub, id, out, "331", &[&r.name], Some("No topic is set"));
        }
        numeric(hub, id, out, "332", &[&r.name], Some(&r.topic));
        return numeric(hub, id, out, "333", &[&r.name, &r.topic_by, &r.topic_at.to_string()], None);
    };
    if !hub.holds(id, room) {
        return numeric(hub, id, out, "442", &[params[0]], Some("You're not on that channel"));
    }
    hub.set_topic(id, room, &strip_formatting(text), out);
}

fn names_cmd(hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let Some(list) = params.first() else {
        return numeric(hub, id, out, "366", &["*"], Some("End of /NAMES list"));
    };
    for name in list.split(',').filter(|n| !n.is_empty()) {
        match parse_room(name).ok().and_then(|n| hub.rooms.find(n)) {
            Some(room) => names(hub, id, room, out),
            None => numeric(hub, id, out, "366", &[name], Some("End of /NAMES list")),
        }
    }
}

fn list(hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let wanted: Option<Vec<String>> =
        params.first().filter(|p| p.starts_with('#')).map(|p| p.split(',').map(fold_nick).collect());
    numeric(hub, id, out, "321", &["Channel"], Some("Users  Name"));
    let mut rooms: Vec<(String, RoomId)> =
        hub.rooms.iter().map(|(r, room)| (fold_nick(&room.name), r)).collect();
    rooms.sort();
    for (folded, room) in rooms {
        if wanted.as_ref().is_some_and(|w| !w.contains(&folded)) {
            continue;
        }
        let r = hub.rooms.get(room);
        numeric(hub, id, out, "322", &[&r.name, &r.members.len().to_string()], Some(&r.topic));
    }
    numeric(hub, id, out, "323", &[], Some("End of /LIST"));
}

// ---- users -----------------------------------------------------------------

/// `H` (here) or `G` (gone, away) for WHO.
fn presence(hub: &Hub, user: ConnId) -> &'static str {
    match hub.session(user).and_then(|s| s.irc.as_ref()).and_then(|i| i.away.as_ref()) {
        Some(_) => "G",
        None => "H",
    }
}

fn who(hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let mask = params.first().copied().unwrap_or("*");
    let server = hub.server_name().to_string();
    let reply = |hub: &Hub, out: &mut Outbox, chan: &str, user: ConnId| {
        let nick = hub.nick_of(user).unwrap_or_default();
        let flags = presence(hub, user);
        numeric(
            hub,
            id,
            out,
            "352",
            &[chan, nick, &server, &server, nick, flags],
            Some(&format!("0 {nick}")),
        );
    };
    if mask.starts_with('#') {
        if let Some(room) = parse_room(mask).ok().and_then(|n| hub.rooms.find(n)) {
            let name = hub.rooms.get(room).name.clone();
            let members: Vec<ConnId> = hub.rooms.get(room).members.iter().map(|m| m.id).collect();
            for user in members {
                reply(hub, out, &name, user);
            }
        }
    } else {
        let pattern = fold_nick(mask);
        let mut users: Vec<(String, ConnId)> = hub
            .nick_table()
            .filter(|(folded, _)| wildcard(&pattern, folded))
            .map(|(folded, user)| (folded.to_string(), user))
            .collect();
        users.sort();
        for (_, user) in users {
            reply(hub, out, "*", user);
        }
    }
    numeric(hub, id, out, "315", &[mask], Some("End of WHO list"));
}

/// IRC masks: `*` is any run of characters, `?` any one character.
fn wildcard(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

fn whois(hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    // WHOIS [server] nick
    let asked = params.last().copied().unwrap_or_default();
    let server = hub.server_name().to_string();
    for target in asked.split(',').filter(|t| !t.is_empty()) {
        match hub.find_nick(target) {
            Some(user) => {
                let nick = hub.nick_of(user).unwrap_or_default().to_string();
                numeric(hub, id, out, "311", &[&nick, &nick, &server, "*"], Some(&nick));
                numeric(hub, id, out, "312", &[&nick, &server], Some("linechat"));
                let away = hub.session(user).and_then(|s| s.irc.as_ref()).and_then(|i| i.away.clone());
                if let Some(away) = away {
                    numeric(hub, id, out, "301", &[&nick], Some(&away));
                }
            }
            None => numeric(hub, id, out, "401", &[target], Some("No such nick/channel")),
        }
        numeric(hub, id, out, "318", &[target], Some("End of /WHOIS list"));
    }
}

fn mode(hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let target = params[0];
    if !target.starts_with('#') {
        let mine = hub.nick_of(id).is_some_and(|n| fold_nick(n) == fold_nick(target));
        if !mine {
            let why = if hub.find_nick(target).is_some() {
                ("502", "Can't change mode for other users")
            } else {
                ("401", "No such nick/channel")
            };
            let args: &[&str] = if why.0 == "401" { &[target] } else { &[] };
            return numeric(hub, id, out, why.0, args, Some(why.1));
        }
        // No user modes to change: the answer is always the (empty) mode string.
        return numeric(hub, id, out, "221", &["+"], None);
    }
    let Some(room) = existing_room(hub, id, target, out) else { return };
    let name = hub.rooms.get(room).name.clone();
    match params.get(1).map(|m| m.trim_start_matches('+')) {
        None => {
            numeric(hub, id, out, "324", &[&name, "+n"], None);
            numeric(hub, id, out, "329", &[&name, &hub.rooms.get(room).created.to_string()], None);
        }
        // List queries (irssi asks for bans on every join): always empty.
        Some("b") => numeric(hub, id, out, "368", &[&name], Some("End of channel ban list")),
        Some("e") => numeric(hub, id, out, "349", &[&name], Some("End of channel exception list")),
        Some("I") => numeric(hub, id, out, "347", &[&name], Some("End of channel invite list")),
        Some(_) => numeric(hub, id, out, "482", &[&name], Some("You're not a channel operator")),
    }
}

fn away(hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let text = params.first().map(|t| sanitize(&strip_formatting(t)).trim().to_string()).unwrap_or_default();
    let text: String = text.chars().take(MAX_TOPIC_CHARS).collect();
    let back = text.is_empty();
    if let Some(state) = irc(hub, id) {
        state.away = (!back).then_some(text);
    }
    if back {
        numeric(hub, id, out, "305", &[], Some("You are no longer marked as being away"));
    } else {
        numeric(hub, id, out, "306", &[], Some("You have been marked as being away"));
    }
}

fn userhost(hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let server = hub.server_name().to_string();
    let found: Vec<String> = params
        .iter()
        .flat_map(|p| p.split_whitespace())
        .take(5)
        .filter_map(|n| hub.find_nick(n))
        .map(|user| {
            let nick = hub.nick_of(user).unwrap_or_default();
            let here = if presence(hub, user) == "G" { '-' } else { '+' };
            format!("{nick}={here}{nick}@{server}")
        })
        .collect();
    numeric(hub, id, out, "302", &[], Some(&found.join(" ")));
}

fn ison(hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let online: Vec<String> = params
        .iter()
        .flat_map(|p| p.split_whitespace())
        .filter_map(|n| hub.find_nick(n))
        .filter_map(|user| hub.nick_of(user).map(str::to_string))
        .collect();
    numeric(hub, id, out, "303", &[], Some(&online.join(" ")));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_match_like_irc_servers() {
        assert!(wildcard("*", "alice"));
        assert!(wildcard("al*", "alice"));
        assert!(wildcard("a?ice", "alice"));
        assert!(wildcard("*c*", "alice"));
        assert!(!wildcard("b*", "alice"));
        assert!(!wildcard("alic", "alice"));
        assert!(wildcard("민*", "민수"));
    }

    #[test]
    fn dates_are_http_dates() {
        assert_eq!(httpdate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(httpdate(1_796_396_645), "Fri, 04 Dec 2026 15:04:05 GMT");
    }
}
