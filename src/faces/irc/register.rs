//! Registration: CAP negotiation, NICK and USER, and the welcome burst
//! (001-005, LUSERS, MOTD) once both are in and CAP is settled.

use log::info;

use super::render::strip_formatting;
use super::{client_name, numeric, say, send, IrcFace};
use crate::chat::command::{Command, Outcome};
use crate::chat::fault::Fault;
use crate::chat::session::{parse_nick, MAX_NICK_CHARS};
use crate::chat::{sanitize, Hub};
use crate::net::{CloseReason, ConnId, Outbox};
use crate::words;

/// Is capability `cap` offered to `id` now?
/// (`sts` points at the TLS IRC port: never offered over a WebSocket,
/// whose clients cannot follow it.)
fn offered(face: &IrcFace, hub: &Hub, tls: bool, websocket: bool, cap: &str) -> bool {
    match cap {
        "draft/chathistory" | "draft/message-redaction" => hub.store.history.enabled(),
        "sts" => face.cfg.sts(tls).is_some() && !websocket,
        _ => true,
    }
}

pub(super) fn cap(face: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let registered = hub.nick_of(id).is_some();
    let me = hub.nick_of(id).map_or_else(|| "*".to_string(), str::to_string);
    let server = hub.server_name().to_string();
    let sub = params[0].to_ascii_uppercase();
    let tls = out.is_tls(id);
    let sts = face.cfg.sts(tls);
    let websocket = out.is_websocket(id);
    let offer: Vec<&str> =
        super::CAPS.iter().copied().filter(|c| offered(face, hub, tls, websocket, c)).collect();
    let Some(state) = face.state(id) else { return };
    let reply = match sub.as_str() {
        "LS" => {
            state.cap_negotiating |= !registered;
            // Version 302 and later learn capabilities' values, and are
            // told of capabilities that come and go (cap-notify).
            let values = params.get(1).and_then(|v| v.parse::<u32>().ok()).is_some_and(|v| v >= 302);
            state.cap_302 |= values;
            let caps: Vec<String> = offer
                .iter()
                // `sts` means nothing without its value.
                .filter(|c| values || **c != "sts")
                .map(|&c| match c {
                    "sasl" if values => format!("sasl={}", super::accounts::MECHANISMS),
                    "draft/languages" if values => {
                        format!("draft/languages={}", super::language::cap_value())
                    }
                    "sts" => format!("sts={}", sts.clone().unwrap_or_default()),
                    c => c.to_string(),
                })
                .collect();
            format!("CAP {me} LS :{}", caps.join(" "))
        }
        "LIST" => format!("CAP {me} LIST :{}", state.caps.names()),
        "REQ" => {
            state.cap_negotiating |= !registered;
            let asked = params.get(1).copied().unwrap_or("");
            let mut caps = state.caps;
            let known = asked.split_whitespace().all(|c| {
                let (name, on) = match c.strip_prefix('-') {
                    Some(name) => (name, false),
                    None => (c, true),
                };
                // `sts` is read, never requested; cap-notify, once implied, stays.
                name != "sts"
                    && offer.contains(&name)
                    && !(name == "cap-notify" && !on && state.cap_302)
                    && caps.set(name, on)
            });
            if known && !asked.trim().is_empty() {
                state.caps = caps;
                let lang = state.lang;
                let profile = face.profile(caps, lang);
                hub.set_profile(id, profile);
                format!("CAP {me} ACK :{asked}")
            } else {
                format!("CAP {me} NAK :{asked}")
            }
        }
        "END" => {
            state.cap_negotiating = false;
            try_register(face, hub, id, out);
            return;
        }
        _ => return say(hub, id, out, "410", &[params[0]], "irc-invalid-cap-command", &[]),
    };
    send(out, id, format!(":{server} {reply}\r\n").into_bytes());
}

/// `PASS password`: before registration, the server password (`--irc-password`).
pub(super) fn pass(face: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    if hub.nick_of(id).is_some() {
        return say(hub, id, out, "462", &[], "irc-you-may-not-reregister", &[]);
    }
    let Some(&given) = params.first() else {
        return say(hub, id, out, "461", &["PASS"], "irc-not-enough-parameters", &[]);
    };
    let right = face.cfg.password.as_ref().is_some_and(|p| p.matches(given.as_bytes()));
    if let Some(state) = face.state(id) {
        state.password_given = right;
    }
}

pub(super) fn nick(face: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let Some(&raw) = params.first().filter(|n| !n.is_empty()) else {
        return say(hub, id, out, "431", &[], "irc-no-nickname-given", &[]);
    };
    let Ok(wanted) = parse_nick(raw) else {
        return say(hub, id, out, "432", &[raw], "irc-erroneous-nickname", &[("max", &MAX_NICK_CHARS)]);
    };
    if hub.nick_taken(wanted, id) {
        return say(hub, id, out, "433", &[wanted], "irc-nickname-is-already-in-use", &[]);
    }
    if hub.nick_of(id).is_some() {
        // A change (or nothing, for the nickname one has); in a cluster the
        // new one is claimed first, and a refusal comes back as 433.
        match hub.run(id, Command::Nick(wanted), out) {
            Err(Fault::NickRegistered(_)) => {
                say(hub, id, out, "433", &[wanted], "irc-nickname-is-registered", &[])
            }
            Err(Fault::NickTaken(_)) => {
                say(hub, id, out, "433", &[wanted], "irc-nickname-is-already-in-use", &[])
            }
            _ => {}
        }
        return;
    }
    let wanted = wanted.to_string();
    if let Some(state) = face.state(id) {
        state.pending_nick = Some(wanted);
    }
    try_register(face, hub, id, out);
}

pub(super) fn user(face: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    if hub.nick_of(id).is_some() {
        return say(hub, id, out, "462", &[], "irc-you-may-not-reregister", &[]);
    }
    // USER <username> <mode> <unused> <realname>: neither may be empty.
    let realname = sanitize(&strip_formatting(params[3])).trim().to_string();
    if params[0].is_empty() || realname.is_empty() {
        return say(hub, id, out, "461", &["USER"], "irc-not-enough-parameters", &[]);
    }
    if let Some(session) = hub.session_mut(id) {
        session.realname = Some(super::notify::cut_realname(&realname));
        session.username = username(params[0]);
    }
    if let Some(state) = face.state(id) {
        state.user_given = true;
    }
    try_register(face, hub, id, out);
}

/// The username masks show for what USER gave: `~` (no ident here) and
/// its first letters, digits, `.`, `_` and `-`; none if nothing is left.
fn username(given: &str) -> Option<String> {
    let kept: String = given
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .take(super::MAX_USERNAME_CHARS)
        .collect();
    (!kept.is_empty()).then(|| format!("~{kept}"))
}

/// Completes registration once NICK and USER are in and CAP is settled.
fn try_register(face: &mut IrcFace, hub: &mut Hub, id: ConnId, out: &mut Outbox) {
    if hub.nick_of(id).is_some() || hub.is_waiting(id) {
        return;
    }
    let asks_password = face.cfg.password.is_some();
    let Some(state) = face.state(id) else { return };
    if !state.user_given || state.cap_negotiating {
        return;
    }
    let Some(wanted) = state.pending_nick.clone() else { return };
    if asks_password && !state.password_given {
        // The server password was missing or wrong: told, and closed.
        state.quit_reason = Some("Bad password".into());
        say(hub, id, out, "464", &[], "irc-password-incorrect", &[]);
        send(out, id, b"ERROR :Closing Link: bad server password\r\n".to_vec());
        return out.close_after_flush(id, CloseReason::Requested);
    }
    // Someone may have taken it while this client negotiated.
    match hub.run(id, Command::Nick(&wanted), out) {
        Ok(Outcome::Registered) => complete_registration(face, hub, id, &wanted, out),
        Ok(_) => {} // claimed in the cluster first: `IrcFace::settled` goes on
        Err(Fault::NickRegistered(_)) => {
            if let Some(state) = face.state(id) {
                state.pending_nick = None;
            }
            say(hub, id, out, "433", &[&wanted], "irc-nickname-is-registered", &[]);
        }
        Err(_) => nick_in_use(face, hub, id, &wanted, out),
    }
}

/// 433 for `wanted`; an unregistered client must send NICK again.
pub fn nick_in_use(face: &mut IrcFace, hub: &mut Hub, id: ConnId, wanted: &str, out: &mut Outbox) {
    if hub.nick_of(id).is_none() {
        if let Some(state) = face.state(id) {
            state.pending_nick = None;
        }
    }
    say(hub, id, out, "433", &[wanted], "irc-nickname-is-already-in-use", &[]);
}

/// The client has its nickname (free, and claimed in the cluster if there
/// is one): the ping cycle starts, and the welcome burst goes out.
pub fn complete_registration(face: &mut IrcFace, hub: &mut Hub, id: ConnId, nick: &str, out: &mut Outbox) {
    out.set_timer(id, out.now() + face.ping_after());
    info!("{nick} registered (irc)");
    welcome(face, hub, id, nick, out);
}

fn welcome(face: &IrcFace, hub: &Hub, id: ConnId, nick: &str, out: &mut Outbox) {
    let server = hub.server_name();
    let version = super::server_info::VERSION;
    let started = httpdate(hub.started_unix);
    say(hub, id, out, "001", &[], "irc-welcome", &[("server", &server), ("nick", &nick)]);
    say(hub, id, out, "002", &[], "irc-your-host", &[("server", &server), ("version", &version)]);
    say(hub, id, out, "003", &[], "irc-created", &[("date", &started)]);
    numeric(hub, id, out, "004", &[server, version, "Bi", "biklmnostvR"], None);
    super::server_info::send_isupport(face, hub, id, out);
    lusers(face, hub, id, out);
    motd(face, hub, id, out);
}

pub(super) fn lusers(face: &IrcFace, hub: &Hub, id: ConnId, out: &mut Outbox) {
    let invisible = face.registered().filter(|(user, s)| s.invisible && hub.nick_of(*user).is_some()).count();
    let visible = hub.online().saturating_sub(invisible).to_string();
    let users = hub.online().to_string();
    let rooms = hub.rooms.len().to_string();
    say(hub, id, out, "251", &[], "irc-luser-client", &[("users", &visible), ("invisible", &invisible)]);
    say(hub, id, out, "254", &[&rooms], "irc-channels-formed", &[]);
    say(hub, id, out, "255", &[], "irc-luser-me", &[("users", &users)]);
    numeric(
        hub,
        id,
        out,
        "265",
        &[&users, &users],
        Some(&words::say(hub.lang_of(id), "irc-local-users", &[("users", &users)])),
    );
    numeric(
        hub,
        id,
        out,
        "266",
        &[&users, &users],
        Some(&words::say(hub.lang_of(id), "irc-global-users", &[("users", &users)])),
    );
}

pub(super) fn motd(face: &IrcFace, hub: &Hub, id: ConnId, out: &mut Outbox) {
    let server = hub.server_name();
    let default = &hub.rooms.get(hub.rooms.default_id()).name;
    say(hub, id, out, "375", &[], "irc-motd-start", &[("server", &server)]);
    let lines: Vec<String> = match &face.cfg.motd {
        Some(motd) => motd.iter().map(|l| format!("- {l}")).collect(),
        None => ["irc-motd-1", "irc-motd-2"]
            .iter()
            .map(|key| format!("- {}", words::say(hub.lang_of(id), key, &[("room", default)])))
            .collect(),
    };
    for line in lines {
        numeric(hub, id, out, "372", &[], Some(&line));
    }
    say(hub, id, out, "376", &[], "irc-end-of-motd-command", &[]);
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

pub(super) fn ping(_: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let server = hub.server_name();
    send(out, id, format!(":{server} PONG {server} :{}\r\n", params[0]).into_bytes());
}

pub(super) fn quit(face: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let said = params.first().map(|r| sanitize(&strip_formatting(r)).into_owned()).unwrap_or_default();
    let reason = if said.is_empty() { "Quit".to_string() } else { format!("Quit: {said}") };
    let nick = client_name(hub, id);
    if let Some(state) = face.state(id) {
        state.quit_reason = Some(reason.clone());
    }
    send(out, id, format!("ERROR :Closing Link: {nick} ({reason})\r\n").into_bytes());
    out.close_after_flush(id, CloseReason::Requested);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_cut_and_marked_without_ident() {
        assert_eq!(username("bob").as_deref(), Some("~bob"));
        assert_eq!(username("a very long name!").as_deref(), Some("~averylong"));
        assert_eq!(username("üé!").as_deref(), None);
    }

    #[test]
    fn dates_are_http_dates() {
        assert_eq!(httpdate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(httpdate(1_796_396_645), "Fri, 04 Dec 2026 15:04:05 GMT");
    }
}
