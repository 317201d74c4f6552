//! IRCv3 history and replies: `CHATHISTORY` answered in a `chathistory`
//! batch, history replayed on JOIN to clients that do not ask for it
//! themselves (`--join-replay`), and labeled-response (every reply to a
//! `@label=` line carries the label: one line tagged, several in a batch,
//! none as `ACK`). Live room lines get their tags from the renderers
//! (`render.rs`).

use std::io::Write;

use super::{send, IrcFace};
use crate::chat::event::Event;
use crate::chat::fault::Fault;
use crate::chat::rooms::RoomId;
use crate::chat::shared_history::{HistoryAnswer, Purpose};
use crate::chat::Hub;
use crate::clock::{iso_ms, parse_iso_ms};
use crate::net::{ConnId, Outbox};
use crate::store::history::{Entry, Kind, MsgId, Query, Ref};

/// `FAIL CHATHISTORY CODE ... :text` to `id`, the text message `key`.
fn fail(hub: &Hub, out: &mut Outbox, id: ConnId, code: &str, context: &[&str], key: &str) {
    let text = crate::words::say(hub.lang_of(id), key, &[]);
    super::fail(out, id, "CHATHISTORY", code, context, &text);
}

/// A message reference: `msgid=ID` or `timestamp=YYYY-MM-DDThh:mm:ss.sssZ`.
fn reference(raw: &str) -> Option<Ref> {
    match raw.split_once('=')? {
        ("msgid", id) => MsgId::parse(id).map(Ref::Id),
        ("timestamp", t) => parse_iso_ms(t).map(Ref::Time),
        _ => None,
    }
}

/// `CHATHISTORY LATEST|BEFORE|AFTER|AROUND|BETWEEN <target> <ref> [<ref>] <limit>`
/// for a room the client is in.
pub(super) fn chathistory(face: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let sub = params[0].to_ascii_uppercase();
    let needed = match sub.as_str() {
        "LATEST" | "BEFORE" | "AFTER" | "AROUND" => 4,
        "BETWEEN" => 5,
        "TARGETS" => return targets(face, hub, id, params, out),
        _ => return fail(hub, out, id, "UNKNOWN_COMMAND", &[params[0]], "fail-unknown-subcommand"),
    };
    if params.len() < needed {
        return fail(hub, out, id, "NEED_MORE_PARAMS", &[&sub], "fail-missing-parameters");
    }
    let target = params[1];
    if !hub.store.history.enabled() {
        return fail(hub, out, id, "MESSAGE_ERROR", &[&sub, target], "fail-no-history");
    }
    let room = hub.rooms.lookup(target).filter(|&room| hub.holds(id, room));
    if room.is_none() && (target.starts_with('#') || hub.account_of(id).is_none()) {
        return fail(hub, out, id, "INVALID_TARGET", &[&sub, target], "fail-not-retrieved");
    }
    let Some(limit) = params[needed - 1].parse::<usize>().ok().filter(|&n| n > 0) else {
        return fail(hub, out, id, "INVALID_PARAMS", &[&sub, params[needed - 1]], "fail-invalid-limit");
    };
    let refs: Vec<Option<Ref>> = params[2..needed - 1].iter().map(|r| reference(r)).collect();
    let query = match (sub.as_str(), refs.as_slice()) {
        ("LATEST", _) if params[2] == "*" => Query::Latest(None),
        ("LATEST", [Some(r)]) => Query::Latest(Some(*r)),
        ("BEFORE", [Some(r)]) => Query::Before(*r),
        ("AFTER", [Some(r)]) => Query::After(*r),
        ("AROUND", [Some(r)]) => Query::Around(*r),
        ("BETWEEN", [Some(a), Some(b)]) => Query::Between(*a, *b),
        _ => return fail(hub, out, id, "INVALID_PARAMS", &[&sub, params[2]], "fail-invalid-reference"),
    };
    let Some(room) = room else {
        // A nickname or account: the signed-in client's conversation with it.
        return match hub.private_page(id, target, query, limit) {
            Ok(page) => {
                let b = render_private_page(face, hub, id, &page.peer, &page.items);
                send(out, id, b);
            }
            Err(Fault::Refused("no-such-line", _)) => {
                fail(hub, out, id, "INVALID_PARAMS", &["CHATHISTORY", target], "fail-unknown-reference")
            }
            Err(_) => fail(hub, out, id, "INVALID_TARGET", &[&sub, target], "fail-not-retrieved"),
        };
    };
    let name = hub.rooms.get(room).name.clone();
    send_page(face, hub, id, Ask { room: &name, query, limit, labelable: true }, out);
}

/// A page asked for: of which room, which lines, how many; and whether it
/// answers the line being handled (which a label then waits for).
struct Ask<'a> {
    room: &'a str,
    query: Query,
    limit: usize,
    labelable: bool,
}

/// The lines `query` finds in the room `name`, in a `chathistory` batch
/// when the client negotiated batches: at once, or, when a cluster's
/// Redis holds the history, once it answers ([`IrcFace::page_answered`]).
fn send_page(face: &mut IrcFace, hub: &mut Hub, id: ConnId, ask: Ask, out: &mut Outbox) {
    let Ask { room: name, query, limit, labelable } = ask;
    face.pages_asked += 1;
    let key = face.pages_asked;
    match hub.history_request(id, name, query, limit, Purpose::Face(key), out) {
        Ok(Some((room, items, _))) => {
            let page = render_page(face, hub, id, &room, &items);
            if !page.is_empty() {
                send(out, id, page);
            }
        }
        Ok(None) => {
            face.pages.insert(key, (id, None));
            if labelable {
                face.deferred = Some(key);
            }
        }
        Err(Fault::BadArgs(_)) => {
            fail(hub, out, id, "INVALID_PARAMS", &["CHATHISTORY", name], "fail-unknown-reference")
        }
        Err(_) => fail(hub, out, id, "MESSAGE_ERROR", &[name], "fail-not-retrieved"),
    }
}

/// A page as its client takes it: PRIVMSGs with the tags it negotiated,
/// in a `chathistory` batch if it takes batches (topic changes left out).
fn render_page(face: &mut IrcFace, hub: &Hub, id: ConnId, room: &str, items: &[Entry]) -> Vec<u8> {
    let caps = face.get(id).map(|s| s.caps).unwrap_or_default();
    let batch = caps.batch.then(|| face.next_batch());
    let server = hub.server_name();
    let mut b = Vec::with_capacity(128 * (items.len() + 2));
    if let Some(batch) = &batch {
        let _ = write!(b, ":{server} BATCH +{batch} chathistory {room}\r\n");
    }
    for e in items.iter().filter(|e| e.kind != Kind::Topic && e.kind != Kind::Deleted) {
        item(&mut b, server, room, e, batch.as_deref(), caps.server_time, caps.message_tags);
    }
    if let Some(batch) = &batch {
        let _ = write!(b, ":{server} BATCH -{batch}\r\n");
    }
    b
}

/// A page of a private conversation with `peer`, as PRIVMSGs between the
/// two: what the client said goes to `peer`, what `peer` said to the
/// client's nickname now.
fn render_private_page(face: &mut IrcFace, hub: &Hub, id: ConnId, peer: &str, items: &[Entry]) -> Vec<u8> {
    let caps = face.get(id).map(|s| s.caps).unwrap_or_default();
    let batch = caps.batch.then(|| face.next_batch());
    let server = hub.server_name();
    let me = hub.nick_of(id).unwrap_or("*");
    let mine = hub.account_of(id).map(crate::chat::session::fold_nick).unwrap_or_default();
    let folded_me = crate::chat::session::fold_nick(me);
    let mut b = Vec::with_capacity(128 * (items.len() + 2));
    if let Some(batch) = &batch {
        let _ = write!(b, ":{server} BATCH +{batch} chathistory {peer}\r\n");
    }
    for e in items.iter().filter(|e| e.kind != Kind::Topic && e.kind != Kind::Deleted) {
        let from = crate::chat::session::fold_nick(&e.from);
        let to = if from == folded_me || from == mine { peer } else { me };
        item(&mut b, server, to, e, batch.as_deref(), caps.server_time, caps.message_tags);
    }
    if let Some(batch) = &batch {
        let _ = write!(b, ":{server} BATCH -{batch}\r\n");
    }
    b
}

/// `CHATHISTORY TARGETS <timestamp> <timestamp> <limit>`: the client's
/// rooms and conversations with a line between the two times, oldest
/// newest line first, in a `draft/chathistory-targets` batch.
fn targets(face: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    if params.len() < 4 {
        return fail(hub, out, id, "NEED_MORE_PARAMS", &["TARGETS"], "fail-missing-parameters");
    }
    if !hub.store.history.enabled() {
        return fail(hub, out, id, "MESSAGE_ERROR", &["TARGETS"], "fail-no-history");
    }
    let time = |raw: &str| match reference(raw) {
        Some(Ref::Time(t)) => Some(t),
        _ => None,
    };
    let (Some(a), Some(b)) = (time(params[1]), time(params[2])) else {
        return fail(hub, out, id, "INVALID_PARAMS", &["TARGETS", params[1]], "fail-invalid-reference");
    };
    let Some(limit) = params[3].parse::<usize>().ok().filter(|&n| n > 0) else {
        return fail(hub, out, id, "INVALID_PARAMS", &["TARGETS", params[3]], "fail-invalid-limit");
    };
    let limit = limit.min(hub.store.history.cfg.page);
    let found = hub.history_targets(id, a, b, limit);
    let caps = face.get(id).map(|s| s.caps).unwrap_or_default();
    let batch = caps.batch.then(|| face.next_batch());
    let server = hub.server_name();
    let mut buf = Vec::with_capacity(96 * (found.len() + 2));
    if let Some(batch) = &batch {
        let _ = write!(buf, ":{server} BATCH +{batch} draft/chathistory-targets\r\n");
    }
    for (target, t) in &found {
        if let Some(batch) = &batch {
            let _ = write!(buf, "@batch={batch} ");
        }
        let _ = write!(buf, ":{server} CHATHISTORY TARGETS {target} {}\r\n", iso_ms(*t));
    }
    if let Some(batch) = &batch {
        let _ = write!(buf, ":{server} BATCH -{batch}\r\n");
    }
    send(out, id, buf);
}

impl IrcFace {
    /// A page the cluster's Redis answered: sent as it would have been at
    /// once (labeled, if the request was).
    pub fn page_answered(&mut self, hub: &mut Hub, answer: HistoryAnswer, out: &mut Outbox) {
        let Some((_, label)) = self.pages.remove(&answer.key) else { return };
        let page = render_page(self, hub, answer.id, &answer.room, &answer.items);
        match label {
            Some(label) => send_labeled(self, hub, answer.id, &label, &page, out),
            None if !page.is_empty() => send(out, answer.id, page),
            None => {}
        }
    }
}

/// A stored line as the PRIVMSG (NOTICE, CTCP ACTION) its room saw, with
/// the tags the client takes.
fn item(b: &mut Vec<u8>, server: &str, room: &str, e: &Entry, batch: Option<&str>, time: bool, msgid: bool) {
    let (from, text, whole) = (&*e.from, &*e.text, e.whole);
    let event = match e.kind {
        Kind::Me => Event::Me { from, text, room, whole },
        _ => Event::Chat { from, text, room, notice: e.kind == Kind::Notice, whole },
    };
    let body = super::render::event(&event, server);
    let when = time.then(|| iso_ms(e.time_ms));
    let id = msgid.then(|| e.id.to_string());
    let tags =
        super::render::Tags { batch, time: when.as_deref(), msgid: id.as_deref(), ..Default::default() };
    super::render::tag_lines(b, &body, tags);
    // Its reactions, as the TAGMSGs that made them (client tags need message-tags).
    if let (true, Some(id)) = (msgid, &id) {
        for r in e.reactions() {
            b.push(b'@');
            if let Some(batch) = batch {
                let _ = write!(b, "batch={batch};");
            }
            let _ = write!(b, "+draft/react={};+draft/reply={id}", super::render::escape_tag(&r.emoji));
            let _ = write!(b, " :{0}!{0}@{server} TAGMSG {room}\r\n", r.nick);
        }
    }
}

/// `--join-replay N`: after a JOIN, a client that does not fetch history
/// itself (no `draft/chathistory`) gets the room's last N lines.
pub fn replay(face: &mut IrcFace, hub: &mut Hub, id: ConnId, room: RoomId, out: &mut Outbox) {
    let n = hub.store.history.cfg.join_replay;
    if n == 0 || face.get(id).is_none_or(|s| s.caps.chathistory) {
        return;
    }
    let r = hub.rooms.get(room);
    if hub.store.history.is_empty(&r.key) {
        return;
    }
    let name = r.name.clone();
    send_page(
        face,
        hub,
        id,
        Ask { room: &name, query: Query::Latest(None), limit: n, labelable: false },
        out,
    );
}

/// Adds `tag` to an IRC line (after its other tags, if it has some).
fn add_tag(b: &mut Vec<u8>, line: &[u8], tag: &str) {
    match line.strip_prefix(b"@") {
        Some(rest) => {
            let _ = write!(b, "@{tag};");
            b.extend_from_slice(rest);
        }
        None => {
            let _ = write!(b, "@{tag} ");
            b.extend_from_slice(line);
        }
    }
}

/// Sends `reply` (what a line labeled `label` was answered with) as
/// labeled-response asks: `ACK` for nothing, one line tagged, several in a
/// `labeled-response` batch (lines already in a batch of their own keep it).
pub fn send_labeled(face: &mut IrcFace, hub: &Hub, id: ConnId, label: &str, reply: &[u8], out: &mut Outbox) {
    let label = super::render::escape_tag(label);
    let server = hub.server_name();
    let lines: Vec<&[u8]> = reply.split_inclusive(|&c| c == b'\n').collect();
    let batches = face.get(id).is_some_and(|s| s.caps.batch);
    let mut b = Vec::with_capacity(reply.len() + 64);
    match lines.as_slice() {
        [] => {
            let _ = write!(b, "@label={label} :{server} ACK\r\n");
        }
        [one] => add_tag(&mut b, one, &format!("label={label}")),
        many if batches => {
            let batch = face.next_batch();
            let _ = write!(b, "@label={label} :{server} BATCH +{batch} labeled-response\r\n");
            for line in many {
                if line.starts_with(b"@batch=") {
                    b.extend_from_slice(line); // inside a batch of its own
                } else {
                    add_tag(&mut b, line, &format!("batch={batch}"));
                }
            }
            let _ = write!(b, ":{server} BATCH -{batch}\r\n");
        }
        [first, rest @ ..] => {
            add_tag(&mut b, first, &format!("label={label}"));
            rest.iter().for_each(|line| b.extend_from_slice(line));
        }
    }
    send(out, id, b);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_and_tags() {
        assert_eq!(reference("timestamp=2026-12-06T10:03:00.123Z"), Some(Ref::Time(1_796_551_380_123)));
        let id = MsgId { seq: 2, uniq: 9, room: 1 };
        assert_eq!(reference(&format!("msgid={id}")), Some(Ref::Id(id)));
        assert_eq!(reference("msgid=nope"), None);
        assert_eq!(reference("id=1"), None);
        let mut b = Vec::new();
        add_tag(&mut b, b"@time=x :a PRIVMSG #r :hi\r\n", "label=l");
        assert_eq!(b, b"@label=l;time=x :a PRIVMSG #r :hi\r\n");
        let mut b = Vec::new();
        add_tag(&mut b, b":a PONG a :x\r\n", "label=l");
        assert_eq!(b, b"@label=l :a PONG a :x\r\n");
        assert_eq!(crate::faces::irc::render::escape_tag("a b;c\\"), "a\\sb\\:c\\\\");
    }
}
