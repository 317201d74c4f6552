//! Questions about users and rooms: WHO, WHOIS, MODE, AWAY, USERHOST, ISON.

use super::render::strip_formatting;
use super::{existing_room, numeric, say, IrcFace};
use crate::chat::masks::glob;
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
    let multi = face.get(id).is_some_and(|s| s.caps.multi_prefix);
    let reply = |hub: &Hub, out: &mut Outbox, chan: &str, user: ConnId| {
        let nick = hub.nick_of(user).unwrap_or_default();
        let rank = hub.rooms.lookup(chan).map_or(0, |room| hub.rank_of(user, room));
        let flags = format!("{}{}", presence(face, user), super::moderation::prefix(rank, multi));
        let flags = flags.as_str();
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
            .filter(|(folded, _)| glob(&pattern, folded))
            .map(|(folded, user)| (folded.to_string(), user))
            .collect();
        users.sort();
        for (_, user) in users {
            reply(hub, out, "*", user);
        }
    }
    say(hub, id, out, "315", &[mask], "irc-end-of-who-list", &[]);
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
                say(hub, id, out, "312", &[&nick, &server], "irc-linechat", &[]);
                let away = face.get(user).and_then(|i| i.away.clone());
                if let Some(away) = away {
                    numeric(hub, id, out, "301", &[&nick], Some(&away));
                }
                if hub.session(user).is_some_and(|s| s.oper) {
                    say(hub, id, out, "313", &[&nick], "irc-is-an-irc-operator", &[]);
                }
                if let Some(account) = hub.account_of(user).map(str::to_string) {
                    say(hub, id, out, "330", &[&nick, &account], "irc-is-logged-in-as", &[]);
                }
            }
            None => match hub.remote_nick(target).map(str::to_string) {
                Some(nick) => {
                    numeric(hub, id, out, "311", &[&nick, &nick, &server, "*"], Some(&nick));
                    say(hub, id, out, "312", &[&nick, &server], "irc-linechat-another-node", &[]);
                }
                None => say(hub, id, out, "401", &[target], "irc-no-such-nick-channel", &[]),
            },
        }
        say(hub, id, out, "318", &[target], "irc-end-of-whois-list", &[]);
    }
}

pub(super) fn mode(_: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let target = params[0];
    if !target.starts_with('#') {
        let mine = hub.nick_of(id).is_some_and(|n| fold_nick(n) == fold_nick(target));
        if !mine {
            return if hub.find_nick(target).is_some() {
                say(hub, id, out, "502", &[], "irc-cannot-change-others-modes", &[])
            } else {
                say(hub, id, out, "401", &[target], "irc-no-such-nick-channel", &[])
            };
        }
        // No user modes to change: the answer is always the (empty) mode string.
        return numeric(hub, id, out, "221", &["+"], None);
    }
    let Some(room) = existing_room(hub, id, target, out) else { return };
    super::moderation::channel_mode(hub, id, room, params, out);
}

pub(super) fn away(face: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let text = params.first().map(|t| sanitize(&strip_formatting(t)).trim().to_string()).unwrap_or_default();
    let text: String = text.chars().take(MAX_TOPIC_CHARS).collect();
    let back = text.is_empty();
    if let Some(state) = face.state(id) {
        state.away = (!back).then_some(text);
    }
    if back {
        say(hub, id, out, "305", &[], "irc-you-are-no-longer-marked-as-being-away", &[]);
    } else {
        say(hub, id, out, "306", &[], "irc-you-have-been-marked-as-being-away", &[]);
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
        assert!(glob("*", "alice"));
        assert!(glob("al*", "alice"));
        assert!(glob("a?ice", "alice"));
        assert!(glob("*c*", "alice"));
        assert!(!glob("b*", "alice"));
        assert!(!glob("alic", "alice"));
        assert!(glob("민*", "민수"));
    }
}
