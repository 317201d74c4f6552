//! Questions about users and rooms: WHO (and WHOX), WHOIS, WHOWAS, MODE
//! (and the user modes `+i`, `+B`), AWAY, USERHOST, ISON.

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

/// The realname of `user`: what it gave with USER or SETNAME, else its nickname.
pub(super) fn realname(hub: &Hub, user: ConnId) -> String {
    match hub.session(user).and_then(|s| s.realname.clone()) {
        Some(name) => name,
        None => hub.nick_of(user).unwrap_or_default().to_string(),
    }
}

/// WHO's flags: `H`/`G`, `*` for a server operator, `B` for a bot, then the
/// member's prefix in `room`.
fn who_flags(
    face: &IrcFace,
    hub: &Hub,
    user: ConnId,
    room: Option<crate::chat::rooms::RoomId>,
    multi: bool,
) -> String {
    let rank = room.map_or(0, |room| hub.rank_of(user, room));
    let oper = if hub.session(user).is_some_and(|s| s.oper) { "*" } else { "" };
    let bot = if hub.session(user).is_some_and(|s| s.bot) { "B" } else { "" };
    format!("{}{oper}{bot}{}", presence(face, user), super::moderation::prefix(rank, multi))
}

/// WHOX (`WHO mask %fields[,token]`): which fields, in the order 354 gives them.
struct Whox {
    fields: String,
    token: Option<String>,
}

impl Whox {
    /// `%tcuihsnfdlaor,123` (as `WHO` takes its second parameter).
    fn parse(spec: &str) -> Option<Whox> {
        let spec = spec.strip_prefix('%')?;
        let (fields, token) = match spec.split_once(',') {
            Some((f, t)) => (f, Some(t)),
            None => (spec, None),
        };
        // A token is 1-3 digits; fields are letters; anything else is ignored.
        let token = token.filter(|t| !t.is_empty() && t.len() <= 3 && t.bytes().all(|b| b.is_ascii_digit()));
        let wanted: String = "tcuihsnfdlaor".chars().filter(|c| fields.contains(*c)).collect();
        Some(Whox { fields: wanted, token: token.map(str::to_string) })
    }
}

pub(super) fn who(face: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let mask = params.first().copied().unwrap_or("*");
    let whox = params.get(1).and_then(|p| Whox::parse(p));
    let server = hub.server_name().to_string();
    let multi = face.get(id).is_some_and(|s| s.caps.multi_prefix);
    let face = &*face;
    let reply = |hub: &Hub, out: &mut Outbox, chan: &str, user: ConnId| {
        let nick = hub.nick_of(user).unwrap_or_default();
        let room = hub.rooms.lookup(chan);
        let flags = who_flags(face, hub, user, room, multi);
        let real = realname(hub, user);
        let user_name = super::username(hub, user);
        let Some(whox) = &whox else {
            let params = [chan, &user_name, &server, &server, nick, &flags];
            return numeric(hub, id, out, "352", &params, Some(&format!("0 {real}")));
        };
        let idle =
            hub.session(user).map_or(0, |s| out.now().saturating_duration_since(s.last_active).as_secs());
        let account = hub.account_of(user).unwrap_or("0").to_string();
        let oplevel = if room.is_some_and(|r| hub.rank_of(user, r) & crate::chat::moderation::OP != 0) {
            "@"
        } else {
            "n/a"
        };
        let mut fields: Vec<String> = Vec::new();
        let mut trailing = None;
        for field in whox.fields.chars() {
            fields.push(match field {
                't' => whox.token.clone().unwrap_or_default(),
                'c' => chan.to_string(),
                'u' => user_name.clone(),
                'n' => nick.to_string(),
                'i' => "255.255.255.255".to_string(),
                'h' | 's' => server.clone(),
                'f' => flags.clone(),
                'd' => "0".to_string(),
                'l' => idle.to_string(),
                'a' => account.clone(),
                'o' => oplevel.to_string(),
                _ => {
                    trailing = Some(real.clone()); // 'r', always last
                    continue;
                }
            });
        }
        let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
        numeric(hub, id, out, "354", &fields, trailing.as_deref());
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

/// `WHOWAS nick [count]`: 314 and 312 (and 330) per remembered use, newest
/// first, then 369; none remembered: 406, 369.
pub(super) fn whowas(_: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let server = hub.server_name().to_string();
    let count = params.get(1).and_then(|c| c.parse::<usize>().ok()).filter(|&c| c > 0).unwrap_or(usize::MAX);
    for target in params[0].split(',').filter(|t| !t.is_empty()) {
        let found: Vec<crate::chat::presence::Departed> =
            hub.presence.departed(&fold_nick(target), count).into_iter().cloned().collect();
        if found.is_empty() {
            say(hub, id, out, "406", &[target], "irc-there-was-no-such-nickname", &[]);
        }
        for d in found {
            let real = d.realname.clone().unwrap_or_else(|| d.nick.clone());
            numeric(hub, id, out, "314", &[&d.nick, &d.nick, &server, "*"], Some(&real));
            if let Some(account) = &d.account {
                say(hub, id, out, "330", &[&d.nick, account], "irc-was-logged-in-as", &[]);
            }
            let when = crate::clock::iso_ms(d.at * 1000);
            numeric(hub, id, out, "312", &[&d.nick, &server], Some(&when));
        }
        say(hub, id, out, "369", &[target], "irc-end-of-whowas", &[]);
    }
}

pub(super) fn whois(face: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    // WHOIS [server] nick
    let asked = params.last().copied().unwrap_or_default();
    let server = hub.server_name().to_string();
    for target in asked.split(',').filter(|t| !t.is_empty()) {
        match hub.find_nick(target) {
            Some(user) => {
                let nick = hub.nick_of(user).unwrap_or_default().to_string();
                let user_name = super::username(hub, user);
                numeric(hub, id, out, "311", &[&nick, &user_name, &server, "*"], Some(&realname(hub, user)));
                say(hub, id, out, "312", &[&nick, &server], "irc-linechat", &[]);
                if hub.session(user).is_some_and(|s| s.bot) {
                    say(hub, id, out, "335", &[&nick], "irc-is-a-bot", &[]);
                }
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

pub(super) fn mode(face: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
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
        return user_mode(face, hub, id, params.get(1).copied(), out);
    }
    let Some(room) = existing_room(hub, id, target, out) else { return };
    super::moderation::channel_mode(hub, id, room, params, out);
}

/// `MODE me [+-iB...]`: `i` (invisible) and `B` (bot) are the user modes;
/// what changed is confirmed with `MODE`, an unknown letter gets 501;
/// without changes, 221 and the modes set.
fn user_mode(face: &mut IrcFace, hub: &mut Hub, id: ConnId, changes: Option<&str>, out: &mut Outbox) {
    let nick = hub.nick_of(id).unwrap_or_default().to_string();
    let Some(state) = face.state(id) else { return };
    let mut bot = hub.session(id).is_some_and(|s| s.bot);
    let Some(changes) = changes else {
        let modes = format!("+{}{}", if bot { "B" } else { "" }, if state.invisible { "i" } else { "" });
        return numeric(hub, id, out, "221", &[&modes], None);
    };
    let (mut on, mut applied, mut sign, mut unknown) = (true, String::new(), ' ', false);
    for c in changes.chars() {
        let flag = match c {
            '+' | '-' => {
                on = c == '+';
                continue;
            }
            'i' => &mut state.invisible,
            'B' => &mut bot,
            _ => {
                unknown = true;
                continue;
            }
        };
        if *flag != on {
            *flag = on;
            let want = if on { '+' } else { '-' };
            if sign != want {
                applied.push(want);
                sign = want;
            }
            applied.push(c);
        }
    }
    if applied.contains('B') {
        // The core keeps it: WHO, WHOIS and the `bot` tag read it there.
        hub.set_bot(id, bot);
    }
    if unknown {
        say(hub, id, out, "501", &[], "irc-unknown-mode-flag", &[]);
    }
    if !applied.is_empty() {
        let line = format!(":{} MODE {nick} :{applied}\r\n", super::user_mask(hub, id));
        super::send(out, id, line.into_bytes());
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
        say(hub, id, out, "305", &[], "irc-you-are-no-longer-marked-as-being-away", &[]);
    } else {
        say(hub, id, out, "306", &[], "irc-you-have-been-marked-as-being-away", &[]);
    }
    super::notify::away_changed(face, hub, id, out);
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
            format!("{nick}={here}{}@{server}", super::username(hub, user))
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
