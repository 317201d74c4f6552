//! Questions about the server itself and small classic commands: TIME,
//! VERSION, INFO, ADMIN, HELP/HELPOP, LINKS, STATS, and KNOCK for `+i`
//! rooms. The ISUPPORT tokens (005) live here too, as VERSION repeats them.

use super::{numeric, say, IrcFace};
use crate::chat::moderation::OP;
use crate::chat::rooms::{MAX_ROOM_CHARS, MAX_TOPIC_CHARS};
use crate::chat::session::MAX_NICK_CHARS;
use crate::chat::Hub;
use crate::net::{ConnId, Message, Outbox};

/// linechat's name and version, as 002, 004 and VERSION give it.
pub const VERSION: &str = concat!("linechat-", env!("CARGO_PKG_VERSION"));

/// The ISUPPORT tokens (005).
pub fn isupport(face: &IrcFace, hub: &Hub) -> Vec<String> {
    let server = hub.server_name();
    let mut tokens = vec![
        "CASEMAPPING=ascii".to_string(),
        "CHANTYPES=#".to_string(),
        format!("CHANNELLEN={}", MAX_ROOM_CHARS + 1),
        format!("NICKLEN={MAX_NICK_CHARS}"),
        format!("TOPICLEN={MAX_TOPIC_CHARS}"),
        format!("AWAYLEN={MAX_TOPIC_CHARS}"),
        format!("CHANLIMIT=#:{}", hub.cfg.max_rooms_per_client),
        "CHANMODES=b,k,l,imnstR".to_string(),
        "PREFIX=(ov)@+".to_string(),
        format!("NETWORK={server}"),
        "UTF8ONLY".to_string(),
        format!("MONITOR={}", face.cfg.monitor_max),
        "WHOX".to_string(),
        "ELIST=CMNTU".to_string(),
        "BOT=B".to_string(),
        format!("NAMELEN={}", super::notify::MAX_REALNAME_CHARS),
        format!("USERLEN={}", super::MAX_USERNAME_CHARS + 1),
    ];
    if hub.store.history.enabled() {
        tokens.push(format!("CHATHISTORY={}", hub.store.history.cfg.page));
        tokens.push("MSGREFTYPES=msgid,timestamp".to_string());
    }
    tokens
}

/// The 005 line (one: it stays well under the line limit).
pub fn send_isupport(face: &IrcFace, hub: &Hub, id: ConnId, out: &mut Outbox) {
    let tokens = isupport(face, hub);
    let tokens: Vec<&str> = tokens.iter().map(String::as_str).collect();
    say(hub, id, out, "005", &tokens, "irc-are-supported-by-this-server", &[]);
}

/// `TIME`: 391 with the server's time (UTC).
pub(super) fn time(_: &mut IrcFace, hub: &mut Hub, id: ConnId, _: &[&str], out: &mut Outbox) {
    let server = hub.server_name().to_string();
    let now = crate::clock::unix_ms();
    numeric(
        hub,
        id,
        out,
        "391",
        &[&server, &(now / 1000).to_string(), "0"],
        Some(&crate::clock::iso_ms(now)),
    );
}

/// `VERSION`: 351, then the ISUPPORT lines again.
pub(super) fn version(face: &mut IrcFace, hub: &mut Hub, id: ConnId, _: &[&str], out: &mut Outbox) {
    let server = hub.server_name().to_string();
    say(hub, id, out, "351", &[VERSION, &server], "irc-version-comment", &[]);
    send_isupport(face, hub, id, out);
}

/// `INFO`: 371 lines about linechat, 374.
pub(super) fn info(_: &mut IrcFace, hub: &mut Hub, id: ConnId, _: &[&str], out: &mut Outbox) {
    let started = crate::clock::iso_ms(hub.started_unix * 1000);
    say(hub, id, out, "371", &[], "irc-info-1", &[("version", &VERSION)]);
    say(hub, id, out, "371", &[], "irc-info-2", &[]);
    say(hub, id, out, "371", &[], "irc-info-3", &[("date", &started)]);
    say(hub, id, out, "374", &[], "irc-end-of-info", &[]);
}

/// `ADMIN`: 256-259.
pub(super) fn admin(_: &mut IrcFace, hub: &mut Hub, id: ConnId, _: &[&str], out: &mut Outbox) {
    let server = hub.server_name().to_string();
    say(hub, id, out, "256", &[&server], "irc-admin-info", &[]);
    say(hub, id, out, "257", &[], "irc-admin-location", &[("server", &server)]);
    numeric(hub, id, out, "258", &[], Some(VERSION));
    say(hub, id, out, "259", &[], "irc-admin-no-contact", &[]);
}

/// Every verb HELP knows, with its syntax.
const SYNTAX: &[(&str, &str)] = &[
    ("ADMIN", "ADMIN"),
    ("AUTHENTICATE", "AUTHENTICATE PLAIN, then AUTHENTICATE <base64>"),
    ("AWAY", "AWAY [:<message>]"),
    ("CAP", "CAP LS [302] | CAP REQ :<caps> | CAP LIST | CAP END"),
    (
        "CHATHISTORY",
        "CHATHISTORY LATEST|BEFORE|AFTER|AROUND <#room> <ref> <limit> | BETWEEN <#room> <ref> <ref> <limit>",
    ),
    ("HELP", "HELP [<command>]"),
    ("INFO", "INFO"),
    ("INVITE", "INVITE <nick> <#room>"),
    ("ISON", "ISON <nick> [<nick> ...]"),
    ("JOIN", "JOIN <#room>[,<#room>] [<key>[,<key>]] | JOIN 0"),
    ("KICK", "KICK <#room> <nick>[,<nick>] [:<reason>]"),
    ("KILL", "KILL <nick> [:<reason>]"),
    ("KLINE", "KLINE <address> [<time>] [:<reason>]"),
    ("KNOCK", "KNOCK <#room> [:<message>]"),
    ("LANGUAGE", "LANGUAGE <code> [<code>]"),
    ("LINKS", "LINKS"),
    ("LIST", "LIST [<#room>,... | >N | <N | C>N | C<N | T>N | T<N | <mask> | !<mask>]"),
    ("LUSERS", "LUSERS"),
    ("MODE", "MODE <#room> [<changes> [<args>]] | MODE <nick> [+|-iB]"),
    ("MONITOR", "MONITOR + <nick>[,<nick>] | - <nick>[,<nick>] | C | L | S"),
    ("MOTD", "MOTD"),
    ("NAMES", "NAMES [<#room>[,<#room>]]"),
    ("NICK", "NICK <nick>"),
    ("NICKSERV", "NICKSERV REGISTER|IDENTIFY|LOGOUT|PASSWD|UNREGISTER|HELP ..."),
    ("NOTICE", "NOTICE <target>[,<target>] :<text>"),
    ("OPER", "OPER <name> <password>"),
    ("PART", "PART <#room>[,<#room>] [:<reason>]"),
    ("PASS", "PASS <password>"),
    ("PING", "PING <token>"),
    ("PRIVMSG", "PRIVMSG <target>[,<target>] :<text>"),
    ("QUIT", "QUIT [:<reason>]"),
    ("SETNAME", "SETNAME :<realname>"),
    ("STATS", "STATS u"),
    ("TAGMSG", "@+typing=active TAGMSG <target>"),
    ("TIME", "TIME"),
    ("TOPIC", "TOPIC <#room> [:<topic>]"),
    ("UNKLINE", "UNKLINE <address>"),
    ("USER", "USER <username> 0 * :<realname>"),
    ("USERHOST", "USERHOST <nick> [<nick> ...]"),
    ("VERSION", "VERSION"),
    ("WHO", "WHO <#room|mask> [%<fields>[,<token>]]"),
    ("WHOIS", "WHOIS <nick>"),
    ("WHOWAS", "WHOWAS <nick> [<count>]"),
];

/// `HELP [subject]` (and `HELPOP`): 704, 705 lines, 706; unknown: 524.
pub(super) fn help(_: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let Some(subject) = params.first().map(|s| s.to_ascii_uppercase()) else {
        say(hub, id, out, "704", &["*"], "irc-help-index", &[]);
        let verbs: Vec<&str> = SYNTAX.iter().map(|(verb, _)| *verb).collect();
        for chunk in verbs.chunks(12) {
            numeric(hub, id, out, "705", &["*"], Some(&chunk.join(" ")));
        }
        return say(hub, id, out, "706", &["*"], "irc-end-of-help", &[]);
    };
    match SYNTAX.iter().find(|(verb, _)| *verb == subject) {
        Some((verb, syntax)) => {
            numeric(hub, id, out, "704", &[verb], Some(syntax));
            say(hub, id, out, "706", &[verb], "irc-end-of-help", &[]);
        }
        None => say(hub, id, out, "524", &[&subject], "irc-no-help", &[]),
    }
}

/// `LINKS`: this server, 365.
pub(super) fn links(_: &mut IrcFace, hub: &mut Hub, id: ConnId, _: &[&str], out: &mut Outbox) {
    let server = hub.server_name().to_string();
    numeric(hub, id, out, "364", &[&server, &server], Some(&format!("0 {VERSION}")));
    say(hub, id, out, "365", &["*"], "irc-end-of-links", &[]);
}

/// `STATS u`: the uptime (242); every query ends with 219.
pub(super) fn stats(_: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let query = params.first().copied().unwrap_or("*");
    if query == "u" {
        let up = hub.started.elapsed().as_secs();
        let (days, h, m, s) = (up / 86400, (up / 3600) % 24, (up / 60) % 60, up % 60);
        let uptime = format!("{days} days {h:02}:{m:02}:{s:02}");
        say(hub, id, out, "242", &[], "irc-server-up", &[("uptime", &uptime)]);
    }
    say(hub, id, out, "219", &[query], "irc-end-of-stats", &[]);
}

/// `KNOCK #room [:message]`: asks the operators of an invite-only room to
/// invite this client. 711 to the knocker, 710 to the room's IRC operators;
/// a room that is not `+i`: 713; already in it: 714; no such room: 403.
pub(super) fn knock(face: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let Some(room) = super::existing_room(hub, id, params[0], out) else { return };
    let name = hub.rooms.get(room).name.clone();
    if hub.holds(id, room) {
        return say(hub, id, out, "714", &[&name], "irc-already-on-that-channel", &[]);
    }
    if !hub.rooms.get(room).rules.invite_only {
        return say(hub, id, out, "713", &[&name], "irc-channel-is-open", &[]);
    }
    let server = hub.server_name().to_string();
    let operators: Vec<ConnId> = hub
        .rooms
        .get(room)
        .members
        .iter()
        .filter(|m| m.rank & OP != 0 && face.get(m.id).is_some())
        .map(|m| m.id)
        .collect();
    for op in operators {
        let words = crate::words::say(hub.lang_of(op), "irc-has-asked-for-an-invite", &[]);
        let line = format!(":{server} 710 {name} {} :{words}\r\n", super::user_mask(hub, id));
        out.send(op, &Message::new(line.into_bytes(), crate::faces::IRC.0));
    }
    say(hub, id, out, "711", &[&name], "irc-your-knock-has-been-delivered", &[]);
}
