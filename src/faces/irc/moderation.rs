//! Room moderation on IRC: channel MODE (query, lists, changes), KICK and
//! INVITE, and the numerics for every refusal the chat core gives (482,
//! 474, 404, 473, 475, 471, 477, 472, 441, 443).

use super::{numeric, say, IrcFace};
use crate::chat::accounts::Password;
use crate::chat::command::Command;
use crate::chat::command::Moderation;
use crate::chat::command::OperCommand;
use crate::chat::fault::Fault;
use crate::chat::rooms::RoomId;
use crate::chat::rules::{OP, VOICE};
use crate::chat::Hub;
use crate::net::{ConnId, Outbox};

/// A refusal about the room `name`, as IRC numbers it.
pub fn room_fault(hub: &Hub, id: ConnId, name: &str, fault: &Fault, out: &mut Outbox) {
    let (code, key) = match fault {
        Fault::NotOperator(_) => ("482", "irc-not-channel-operator"),
        Fault::Banned(_) => ("474", "irc-cannot-join-banned"),
        Fault::CannotSpeak(_) => ("404", "irc-cannot-send-to-channel"),
        Fault::InviteOnly(_) => ("473", "irc-cannot-join-invite-only"),
        Fault::BadKey(_) => ("475", "irc-cannot-join-key"),
        Fault::RoomFull(_) => ("471", "irc-cannot-join-full"),
        Fault::NeedsAccount => ("477", "irc-cannot-join-needs-account"),
        Fault::NotInRoom(_) => ("442", "irc-you-re-not-on-that-channel"),
        Fault::TooManyRoomsHeld(_) | Fault::TooManyRooms(_) => ("405", "irc-too-many-channels"),
        Fault::UnknownMode(c) => {
            return say(hub, id, out, "472", &[&c.to_string()], "irc-is-unknown-mode-char-to-me", &[]);
        }
        Fault::NoSuchNick(nick) => return say(hub, id, out, "401", &[nick], "irc-no-such-nick-channel", &[]),
        Fault::Refused("not-in-that-room", _) => {
            let nick = fault.value("nick").unwrap_or_default();
            return say(hub, id, out, "441", &[nick, name], "irc-they-aren-t-on-that-channel", &[]);
        }
        Fault::Refused("already-in-room", _) => {
            let nick = fault.value("nick").unwrap_or_default();
            return say(hub, id, out, "443", &[nick, name], "irc-is-already-on-channel", &[]);
        }
        other => {
            let text = format!("{name}: {}", other.message_in(hub.lang_of(id)));
            return numeric(hub, id, out, "403", &[name], Some(&text));
        }
    };
    say(hub, id, out, code, &[name], key, &[]);
}

/// `MODE #room [CHANGES ARGS...]`.
pub(super) fn channel_mode(hub: &mut Hub, id: ConnId, room: RoomId, params: &[&str], out: &mut Outbox) {
    let name = hub.rooms.get(room).name.clone();
    let Some(&changes) = params.get(1) else {
        let modes = hub.rooms.get(room).rules.modes(hub.holds(id, room));
        let words: Vec<&str> = modes.split(' ').collect();
        let mut args = vec![name.as_str()];
        args.extend(words);
        numeric(hub, id, out, "324", &args, None);
        return numeric(hub, id, out, "329", &[&name, &hub.rooms.get(room).created.to_string()], None);
    };
    match changes.trim_start_matches('+') {
        _ if params.len() > 2 => {}
        "b" => return ban_list(hub, id, room, out),
        "e" => return say(hub, id, out, "349", &[&name], "irc-end-of-channel-exception-list", &[]),
        "I" => return say(hub, id, out, "347", &[&name], "irc-end-of-channel-invite-list", &[]),
        _ => {}
    }
    let all = params[1..].join(" ");
    let action = Moderation::Mode(&all);
    if let Err(fault) = hub.run(id, Command::Moderate { room: Some(&name), action }, out) {
        room_fault(hub, id, &name, &fault, out);
    }
}

/// 367 per ban (mutes as `m:MASK`) and 368.
fn ban_list(hub: &Hub, id: ConnId, room: RoomId, out: &mut Outbox) {
    let r = hub.rooms.get(room);
    let now = crate::clock::unix_ms();
    for ban in r.rules.bans.iter().filter(|b| b.active(now)) {
        let mask = if ban.mute { format!("m:{}", ban.shown) } else { ban.shown.clone() };
        let set = (ban.set_ms / 1000).to_string();
        numeric(hub, id, out, "367", &[&r.name, &mask, &ban.by, &set], None);
    }
    say(hub, id, out, "368", &[&r.name], "irc-end-of-channel-ban-list", &[]);
}

/// `KICK #room nick[,nick] [:reason]`.
pub(super) fn kick(_: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let Some(room) = super::existing_room(hub, id, params[0], out) else { return };
    let name = hub.rooms.get(room).name.clone();
    let reason = params.get(2).copied();
    for nick in params[1].split(',').filter(|n| !n.is_empty()) {
        let action = Moderation::Kick { nick, reason };
        if let Err(fault) = hub.run(id, Command::Moderate { room: Some(&name), action }, out) {
            room_fault(hub, id, &name, &fault, out);
        }
    }
}

/// `INVITE nick #room`: 341 to the inviter, INVITE to the invited.
pub(super) fn invite(_: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let (nick, room_name) = (params[0], params[1]);
    let Some(room) = super::existing_room(hub, id, room_name, out) else { return };
    let name = hub.rooms.get(room).name.clone();
    let action = Moderation::Invite { nick };
    match hub.run(id, Command::Moderate { room: Some(&name), action }, out) {
        Ok(_) => {
            let shown = hub.find_nick(nick).and_then(|t| hub.nick_of(t)).unwrap_or(nick).to_string();
            numeric(hub, id, out, "341", &[&shown, &name], None);
        }
        Err(fault) => room_fault(hub, id, &name, &fault, out),
    }
}

/// `OPER name password`: 381, or 464 once the password thread answers.
pub(super) fn oper(_: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let cmd = OperCommand::Up { name: params[0], password: Password(params[1].as_bytes()) };
    if let Err(fault) = hub.run(id, Command::Oper(cmd), out) {
        say(
            hub,
            id,
            out,
            "464",
            &[],
            "irc-password-incorrect-why",
            &[("why", &fault.message_in(hub.lang_of(id)))],
        );
    }
}

/// Runs an operator command; 481 for those who are not operators.
fn as_oper(hub: &mut Hub, id: ConnId, cmd: OperCommand, out: &mut Outbox) {
    match hub.run(id, Command::Oper(cmd), out) {
        Ok(_) => {}
        Err(Fault::NotServerOperator) => {
            say(hub, id, out, "481", &[], "irc-permission-denied-you-re-not-an-irc-operator", &[]);
        }
        Err(Fault::NoSuchNick(nick)) => say(hub, id, out, "401", &[&nick], "irc-no-such-nick-channel", &[]),
        Err(fault) => numeric(hub, id, out, "NOTICE", &[], Some(&fault.message_in(hub.lang_of(id)))),
    }
}

/// `KILL nick [:reason]`.
pub(super) fn kill(_: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    as_oper(
        hub,
        id,
        OperCommand::Kill { nick: params[0], reason: params.get(1).copied().unwrap_or("") },
        out,
    );
}

/// `KLINE address [duration] [:reason]`.
pub(super) fn kline(_: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let (duration, reason) = match params.get(1).map(|d| crate::units::duration(d)) {
        Some(Ok(d)) => (Some(d), params.get(2)),
        _ => (None, params.get(1)),
    };
    let cmd = OperCommand::Kline { mask: params[0], duration, reason: reason.copied().unwrap_or("") };
    as_oper(hub, id, cmd, out);
}

/// `UNKLINE address`.
pub(super) fn unkline(_: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    as_oper(hub, id, OperCommand::Unkline { mask: params[0] }, out);
}

/// A member's prefix in NAMES and WHO: `@`, `+`, or with multi-prefix both.
pub fn prefix(rank: u8, multi: bool) -> &'static str {
    match (rank & OP != 0, rank & VOICE != 0, multi) {
        (true, true, true) => "@+",
        (true, _, _) => "@",
        (false, true, _) => "+",
        _ => "",
    }
}

/// `CLAIM [#room]`, `UNCLAIM [#room]`: register a room to the account, or
/// drop its registration (as `/claim` and `/unclaim` of the text face).
pub(super) fn claim(on: bool, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let room = params.first().copied();
    let result = hub.run(id, Command::Moderate { room, action: Moderation::Claim { on } }, out);
    match result {
        Ok(_) => {}
        Err(fault @ Fault::NotOperator(_)) => room_fault(hub, id, room.unwrap_or("*"), &fault, out),
        Err(fault) => chanserv_notice(hub, id, &fault.message_in(hub.lang_of(id)), out),
    }
}

/// `PRIVMSG ChanServ :TEXT`, `CHANSERV TEXT`, `CS TEXT`: `REGISTER #room`,
/// `DROP #room`, `HELP`, for clients that only know services.
pub(super) fn chanserv(hub: &mut Hub, id: ConnId, text: &str, out: &mut Outbox) {
    let mut words = text.split_whitespace();
    let verb = words.next().unwrap_or("").to_ascii_uppercase();
    let args: Vec<&str> = words.collect();
    match (verb.as_str(), args.as_slice()) {
        ("REGISTER", [room, ..]) => claim(true, hub, id, &[room], out),
        ("DROP" | "UNREGISTER", [room, ..]) => claim(false, hub, id, &[room], out),
        ("HELP" | "", _) => {
            for key in ["chanserv-help", "chanserv-help-register", "chanserv-help-drop"] {
                chanserv_notice(hub, id, &crate::words::say(hub.lang_of(id), key, &[]), out);
            }
        }
        _ => {
            let text = crate::words::say(hub.lang_of(id), "chanserv-unknown", &[("verb", &verb)]);
            chanserv_notice(hub, id, &text, out);
        }
    }
}

/// A NOTICE from ChanServ.
fn chanserv_notice(hub: &Hub, id: ConnId, text: &str, out: &mut Outbox) {
    let nick = super::client_name(hub, id);
    super::send(out, id, format!(":ChanServ!ChanServ@services NOTICE {nick} :{text}\r\n").into_bytes());
}
