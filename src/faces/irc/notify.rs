//! What IRC clients are told about the others beyond room lines, each as
//! its capability asks: AWAY (`away-notify`), SETNAME (`setname`), ACCOUNT
//! (`account-notify`), to those sharing a room and, with
//! `extended-monitor`, to those monitoring the user; MONITOR's watch lists
//! and their 730/731 as nicknames come and go; CAP NEW/DEL (`cap-notify`)
//! when `sts` appears or goes with a reload.

use std::collections::HashMap;

use super::render::strip_formatting;
use super::{numeric, say, send, Caps, IrcFace};
use crate::chat::session::fold_nick;
use crate::chat::{sanitize, Hub};
use crate::net::{ConnId, Message, Outbox};

/// The longest realname kept (USER, SETNAME), in characters.
pub const MAX_REALNAME_CHARS: usize = 100;

/// `text` cut to [`MAX_REALNAME_CHARS`].
pub fn cut_realname(text: &str) -> String {
    text.chars().take(MAX_REALNAME_CHARS).collect()
}

/// Who watches which nicknames (folded), for MONITOR.
#[derive(Debug, Default)]
pub struct Watchers {
    by_nick: HashMap<String, Vec<ConnId>>,
}

impl Watchers {
    fn add(&mut self, folded: &str, id: ConnId) {
        let list = self.by_nick.entry(folded.to_string()).or_default();
        if !list.contains(&id) {
            list.push(id);
        }
    }

    fn remove(&mut self, folded: &str, id: ConnId) {
        if let Some(list) = self.by_nick.get_mut(folded) {
            list.retain(|&w| w != id);
            if list.is_empty() {
                self.by_nick.remove(folded);
            }
        }
    }

    /// Those watching `folded`.
    pub fn of(&self, folded: &str) -> &[ConnId] {
        self.by_nick.get(folded).map_or(&[], Vec::as_slice)
    }
}

/// The IRC clients to tell about `id`: itself, those sharing a room with
/// it, and those monitoring it with `extended-monitor`; each kept only if
/// `wants` its capabilities.
fn audience(face: &IrcFace, hub: &Hub, id: ConnId, wants: impl Fn(&Caps) -> bool) -> Vec<ConnId> {
    let mut told: Vec<ConnId> = vec![id];
    for room in hub.rooms_of(id) {
        told.extend(hub.rooms.get(room).members.iter().map(|m| m.id));
    }
    if let Some(nick) = hub.nick_of(id) {
        let watching = face.watchers.of(&fold_nick(nick));
        told.extend(watching.iter().filter(|&&w| face.get(w).is_some_and(|s| s.caps.extended_monitor)));
    }
    told.sort_unstable();
    told.dedup();
    told.retain(|&to| face.get(to).is_some_and(|s| wants(&s.caps)));
    told
}

/// `:nick!nick@server REST` to each of `to`.
fn tell(hub: &Hub, id: ConnId, rest: &str, to: &[ConnId], out: &mut Outbox) {
    if hub.nick_of(id).is_none() {
        return;
    }
    let line = format!(":{} {rest}\r\n", super::user_mask(hub, id));
    let message = Message::new(line.into_bytes(), crate::faces::IRC.0);
    for &to in to {
        out.send(to, &message);
    }
}

/// `id` signed in to `account` or (`None`) out: `ACCOUNT` to those with
/// `account-notify` who share a room with it (and itself).
pub fn account_changed(face: &IrcFace, hub: &Hub, id: ConnId, account: Option<&str>, out: &mut Outbox) {
    let to = audience(face, hub, id, |c| c.account_notify);
    tell(hub, id, &format!("ACCOUNT {}", account.unwrap_or("*")), &to, out);
}

/// `id` went away (with its message) or came back: `AWAY` to those with
/// `away-notify` (itself excepted: it has 305/306).
pub fn away_changed(face: &IrcFace, hub: &Hub, id: ConnId, out: &mut Outbox) {
    let away = face.get(id).and_then(|s| s.away.clone());
    let mut to = audience(face, hub, id, |c| c.away_notify);
    to.retain(|&t| t != id);
    let rest = match away {
        Some(text) => format!("AWAY :{text}"),
        None => "AWAY".to_string(),
    };
    tell(hub, id, &rest, &to, out);
}

/// An away `id` just joined `room`: its members with `away-notify` learn it
/// is away, as if they had seen it go.
pub fn joined_away(
    face: &IrcFace,
    hub: &Hub,
    id: ConnId,
    room: crate::chat::rooms::RoomId,
    out: &mut Outbox,
) {
    let Some(text) = face.get(id).and_then(|s| s.away.clone()) else { return };
    let to: Vec<ConnId> = hub
        .rooms
        .get(room)
        .members
        .iter()
        .map(|m| m.id)
        .filter(|&m| m != id && face.get(m).is_some_and(|s| s.caps.away_notify))
        .collect();
    tell(hub, id, &format!("AWAY :{text}"), &to, out);
}

/// `SETNAME :realname`: the new realname, told to itself and to those with
/// `setname`; an empty one is refused with `FAIL SETNAME INVALID_REALNAME`.
pub(super) fn setname(face: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let realname = cut_realname(sanitize(&strip_formatting(params[0])).trim());
    if realname.is_empty() {
        let words = crate::words::say(hub.lang_of(id), "irc-realname-invalid", &[]);
        return super::fail(out, id, "SETNAME", "INVALID_REALNAME", &[], &words);
    }
    if let Some(session) = hub.session_mut(id) {
        session.realname = Some(realname.clone());
    }
    let mut to = audience(face, hub, id, |c| c.setname);
    if !to.contains(&id) {
        // The sender always learns that it worked.
        to.push(id);
    }
    tell(hub, id, &format!("SETNAME :{realname}"), &to, out);
}

/// `MONITOR + nicks`, `- nicks`, `C`, `L`, `S` (730-734).
pub(super) fn monitor(face: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let sub = params[0];
    let targets: Vec<&str> =
        params.get(1).map(|t| t.split(',').filter(|n| !n.is_empty()).collect()).unwrap_or_default();
    let max = face.cfg.monitor_max;
    match sub {
        "+" => {
            let Some(state) = face.state(id) else { return };
            let mut added = Vec::new();
            for (i, nick) in targets.iter().enumerate() {
                let folded = fold_nick(nick);
                if state.monitoring.contains(&folded) {
                    continue;
                }
                if state.monitoring.len() >= max {
                    let rest = targets[i..].join(",");
                    let max = max.to_string();
                    say(hub, id, out, "734", &[&max, &rest], "irc-monitor-list-is-full", &[]);
                    break;
                }
                state.monitoring.push(folded.clone());
                added.push((folded, nick.to_string()));
            }
            for (folded, _) in &added {
                face.watchers.add(folded, id);
            }
            let nicks: Vec<&str> = added.iter().map(|(_, n)| n.as_str()).collect();
            status(hub, id, &nicks, out);
        }
        "-" => {
            for nick in targets {
                let folded = fold_nick(nick);
                if let Some(state) = face.state(id) {
                    state.monitoring.retain(|m| *m != folded);
                }
                face.watchers.remove(&folded, id);
            }
        }
        "C" | "c" => clear(face, id),
        "L" | "l" => {
            let list = face.get(id).map(|s| s.monitoring.clone()).unwrap_or_default();
            for chunk in chunks(&list) {
                numeric(hub, id, out, "732", &[], Some(&chunk));
            }
            say(hub, id, out, "733", &[], "irc-end-of-monitor-list", &[]);
        }
        "S" | "s" => {
            let list = face.get(id).map(|s| s.monitoring.clone()).unwrap_or_default();
            let nicks: Vec<&str> = list.iter().map(String::as_str).collect();
            status(hub, id, &nicks, out);
        }
        _ => say(hub, id, out, "461", &["MONITOR"], "irc-not-enough-parameters", &[]),
    }
}

/// `id` stops monitoring anyone (MONITOR C, or it left).
pub fn clear(face: &mut IrcFace, id: ConnId) {
    let list = face.state(id).map(|s| std::mem::take(&mut s.monitoring)).unwrap_or_default();
    for folded in list {
        face.watchers.remove(&folded, id);
    }
}

/// 730 for those of `nicks` online (with their masks), 731 for the others.
fn status(hub: &Hub, id: ConnId, nicks: &[&str], out: &mut Outbox) {
    let (mut online, mut offline) = (Vec::new(), Vec::new());
    for nick in nicks {
        match hub.find_nick(nick) {
            Some(user) => online.push(super::user_mask(hub, user)),
            None => offline.push(nick.to_string()),
        }
    }
    for chunk in chunks(&online) {
        numeric(hub, id, out, "730", &[], Some(&chunk));
    }
    for chunk in chunks(&offline) {
        numeric(hub, id, out, "731", &[], Some(&chunk));
    }
}

/// Comma-separated lists that each fit in a reply line.
fn chunks(items: &[String]) -> Vec<String> {
    const ROOM: usize = 400;
    let mut all = Vec::new();
    let mut line = String::new();
    for item in items {
        if !line.is_empty() && line.len() + item.len() + 1 > ROOM {
            all.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(',');
        }
        line.push_str(item);
    }
    if !line.is_empty() {
        all.push(line);
    }
    all
}

/// Nicknames were taken (`true`) or given up since the last turn: their
/// watchers get 730 or 731.
pub fn presence_changed(face: &IrcFace, hub: &Hub, changes: &[(String, bool)], out: &mut Outbox) {
    for (nick, online) in changes {
        let watching = face.watchers.of(&fold_nick(nick));
        if watching.is_empty() {
            continue;
        }
        for &to in watching {
            match online {
                true => {
                    let mask = match hub.find_nick(nick) {
                        Some(user) => super::user_mask(hub, user),
                        None => format!("{nick}!{nick}@{}", hub.server_name()),
                    };
                    numeric(hub, to, out, "730", &[], Some(&mask));
                }
                false => numeric(hub, to, out, "731", &[], Some(nick)),
            }
        }
    }
}

/// After a reload: if `sts` came or went, clients with `cap-notify` are
/// told with `CAP NEW` or `CAP DEL`.
pub fn announce_caps(face: &mut IrcFace, hub: &Hub, out: &mut Outbox) {
    let offered = face.cfg.sts_duration.is_some() && face.cfg.tls_port.is_some();
    if offered == face.sts_announced {
        return;
    }
    face.sts_announced = offered;
    let server = hub.server_name();
    let told: Vec<(ConnId, String)> = face
        .registered()
        .filter(|(id, s)| (s.caps.cap_notify || s.cap_302) && !out.is_websocket(*id))
        .filter_map(|(id, _)| hub.nick_of(id).map(|n| (id, n.to_string())))
        .collect();
    for (id, nick) in told {
        let line = match face.cfg.sts(out.is_tls(id)) {
            Some(value) => format!(":{server} CAP {nick} NEW :sts={value}\r\n"),
            None => format!(":{server} CAP {nick} DEL :sts\r\n"),
        };
        send(out, id, line.into_bytes());
    }
}
