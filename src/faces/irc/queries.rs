//! Questions about users and rooms: WHO, WHOIS, MODE, AWAY, USERHOST, ISON.

use super::render::strip_formatting;
use super::{existing_room, numeric, IrcFace};
use crate::chat::rooms::MAX_TOPIC_CHARS;
use crate::chat::session::fold_nick;
use crate::chat::{sanitize, Hub};
use crate::net::{ConnId, Outbox};

/// `H` (here) or `G` (gone, away) for WHO.
fn presence(face: &IrcFace, user: ConnId) -> &'static str {
    match face.get(user).and_then(|i| i.away.as_ref()) {
        Some(_) => "G",
        None => "H",
    }
}

pub(super) fn who(face: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let mask = params.first().copied().unwrap_or("*");
    let server = hub.server_name().to_string();
    let reply = |hub: &Hub, out: &mut Outbox, chan: &str, user: ConnId| {
        let nick = hub.nick_of(user).unwrap_or_default();
        let flags = presence(face, user);
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
        if let Some(room) = hub.rooms.lookup(mask) {
            let name = hub.rooms.get(room).name.clone();
            let members: Vec<ConnId> = hub.rooms.get(room).members.iter().map(|m| m.id).collect();
            for user in members {
                reply(hub, out, &name, user);
            }
            // Members on other nodes of the cluster, with the same fixed mask.
            for nick in hub.rooms.get(room).remote.clone() {
                let params = [name.as_str(), &nick, &server, &server, &nick, "H"];
                numeric(hub, id, out, "352", &params, Some(&format!("0 {nick}")));
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

pub(super) fn whois(face: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    // WHOIS [server] nick
    let asked = params.last().copied().unwrap_or_default();
    let server = hub.server_name().to_string();
    for target in asked.split(',').filter(|t| !t.is_empty()) {
        match hub.find_nick(target) {
            Some(user) => {
                let nick = hub.nick_of(user).unwrap_or_default().to_string();
                numeric(hub, id, out, "311", &[&nick, &nick, &server, "*"], Some(&nick));
                numeric(hub, id, out, "312", &[&nick, &server], Some("linechat"));
                let away = face.get(user).and_then(|i| i.away.clone());
                if let Some(away) = away {
                    numeric(hub, id, out, "301", &[&nick], Some(&away));
                }
                if let Some(account) = hub.account_of(user).map(str::to_string) {
                    numeric(hub, id, out, "330", &[&nick, &account], Some("is logged in as"));
                }
            }
            None => match hub.remote_nick(target).map(str::to_string) {
                Some(nick) => {
                    numeric(hub, id, out, "311", &[&nick, &nick, &server, "*"], Some(&nick));
                    numeric(hub, id, out, "312", &[&nick, &server], Some("linechat (another node)"));
                }
                None => numeric(hub, id, out, "401", &[target], Some("No such nick/channel")),
            },
        }
        numeric(hub, id, out, "318", &[target], Some("End of /WHOIS list"));
    }
}

pub(super) fn mode(_: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
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

pub(super) fn away(face: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let text = params.first().map(|t| sanitize(&strip_formatting(t)).trim().to_string()).unwrap_or_default();
    let text: String = text.chars().take(MAX_TOPIC_CHARS).collect();
    let back = text.is_empty();
    if let Some(state) = face.state(id) {
        state.away = (!back).then_some(text);
    }
    if back {
        numeric(hub, id, out, "305", &[], Some("You are no longer marked as being away"));
    } else {
        numeric(hub, id, out, "306", &[], Some("You have been marked as being away"));
    }
}

pub(super) fn userhost(face: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let server = hub.server_name().to_string();
    let found: Vec<String> = params
        .iter()
        .flat_map(|p| p.split_whitespace())
        .take(5)
        .filter_map(|n| hub.find_nick(n))
        .map(|user| {
            let nick = hub.nick_of(user).unwrap_or_default();
            let here = if presence(face, user) == "G" { '-' } else { '+' };
            format!("{nick}={here}{nick}@{server}")
        })
        .collect();
    numeric(hub, id, out, "302", &[], Some(&found.join(" ")));
}

pub(super) fn ison(_: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let online: Vec<String> = params
        .iter()
        .flat_map(|p| p.split_whitespace())
        .filter_map(|n| match hub.find_nick(n) {
            Some(user) => hub.nick_of(user).map(str::to_string),
            None => hub.remote_nick(n).map(str::to_string),
        })
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
}
