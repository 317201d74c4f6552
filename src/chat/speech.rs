//! What is said: lines and actions in a room, private messages (here or
//! to a user on another node), and topics. Whether a sender gets its own
//! lines back is its face's choice (`Profile::echo_own`).

use log::info;

use super::event::{Event, Said, Stamp};
use super::rooms::{RoomId, MAX_TOPIC_CHARS};
use super::session::{Phase, Session};
use super::{shared_history, Hub};
use crate::cluster::note::{self, Note};
use crate::net::{ConnId, Outbox};
use crate::store::history::{Kind, NewLine};

/// What kind of stored line a room line said so is.
pub(crate) fn kind_of(said: Said) -> Kind {
    match said {
        Said::Action => Kind::Me,
        Said::Notice => Kind::Notice,
        Said::Plain => Kind::Chat,
    }
}

fn note_said(s: Said) -> note::Said {
    match s {
        Said::Plain => note::Said::Plain,
        Said::Notice => note::Said::Notice,
        Said::Action => note::Said::Action,
    }
}

impl Hub {
    /// Relays `text` from joined `id` to everyone in `room`; the sender gets
    /// it back if its face wants its own lines.
    pub fn say(&mut self, id: ConnId, room: RoomId, text: &str, said: Said, out: &mut Outbox) {
        let Some(Some(Session { phase: Phase::Joined { nick }, profile, .. })) = self.sessions.get(id) else {
            return;
        };
        let skip = if profile.echo_own { usize::MAX } else { id };
        let whole = profile.whole_lines;
        let r = self.rooms.get(room);
        let kind = kind_of(said);
        if self.cluster.is_some() && self.shared_history_up() {
            // Stored and published in one step; delivered here with its id.
            let (nick, name) = (nick.clone(), r.name.clone());
            let line = NewLine { kind, whole, from: &nick, text };
            let note = shared_history::note_of(&line, &name);
            self.stats.messages += 1;
            return self.shared_say(id, room, line, skip != usize::MAX, note, out);
        }
        let stamp = if self.store.history.enabled() {
            let line = NewLine { kind, whole, from: nick, text };
            self.store
                .record(&r.key, &r.name, line, crate::clock::unix_ms())
                .map(|(id, time_ms)| Stamp { id, time_ms })
        } else {
            None
        };
        let event = match said {
            Said::Action => Event::Me { from: nick, text, room: &r.name, whole },
            _ => Event::Chat { from: nick, text, room: &r.name, notice: said == Said::Notice, whole },
        };
        let mut slot = None;
        let stamped = event.stamped(stamp, &mut slot);
        let rendered = self.renderers.event(stamped);
        let account = if r.viewers == 0 { None } else { self.shown_identity(id).0 };
        if account.is_none() {
            for m in &r.members {
                if m.id != skip {
                    out.send(m.id, rendered.get(m.format));
                }
            }
            self.stats.deliveries += r.members.len() as u64 - u64::from(skip != usize::MAX);
        } else {
            // Some members are told the sender's account (account-tag).
            let views = super::deliver::views(&r.members, account, "", false, stamped);
            let alts = std::array::from_fn(|v| views[v].as_ref().map(|e| self.renderers.event(e)));
            let skip = Some(skip).filter(|&s| s != usize::MAX);
            self.stats.deliveries += super::deliver::send_viewed(&r.members, skip, &rendered, &alts, out);
        }
        self.stats.messages += 1;
        if self.cluster.is_some() {
            let (nick, room) = (nick.clone(), r.name.clone());
            let said = note_said(said);
            self.publish(|_| Note::Say { nick, room, text: text.to_string(), said, whole });
        }
    }

    /// Sends `text` from joined `id` to `target` alone, with a copy for the
    /// sender if it wants its own lines.
    pub fn private(&mut self, id: ConnId, target: ConnId, text: &str, said: Said, out: &mut Outbox) {
        let Some(whole) = self.session(id).map(|s| s.profile.whole_lines) else { return };
        // Between two signed-in users: kept, with the id and time it is shown with.
        let stamp = self.record_private(id, target, said, whole, text);
        let (Some(sender), Some(to)) = (self.session(id), self.nick_of(target)) else {
            return;
        };
        let Some(from) = sender.nick() else { return };
        let copy_back = target != id && sender.profile.echo_own;
        let event = Event::Msg { from, to, text, kind: said, whole };
        let mut slot = None;
        let event = event.stamped(stamp, &mut slot);
        let rendered = self.renderers.event(event);
        let account = sender.account.as_deref();
        let tagged = Event::AccountView { account, realname: "", tag: true, extended: false, event };
        let with_account = self.renderers.event(&tagged);
        let mut delivered = 0;
        for recipient in [target, id].into_iter().take(1 + usize::from(copy_back)) {
            if let Some(s) = self.session(recipient) {
                let told = account.is_some() && s.profile.view & super::session::VIEW_ACCOUNT_TAG != 0;
                out.send(recipient, if told { &with_account } else { &rendered }.get(s.profile.format));
                delivered += 1;
            }
        }
        self.stats.deliveries += delivered;
        self.stats.messages += 1;
    }

    /// Sends `text` from joined `id` to `to`, a user on another node, with a
    /// copy for the sender as [`Hub::private`] does.
    pub fn private_remote(&mut self, id: ConnId, to: &str, text: &str, said: Said, out: &mut Outbox) {
        let Some(sender) = self.session(id) else { return };
        let Some(from) = sender.nick().map(str::to_string) else { return };
        let (whole, echo_own) = (sender.profile.whole_lines, sender.profile.echo_own);
        if echo_own {
            self.reply(id, &Event::Msg { from: &from, to, text, kind: said, whole }, out);
            self.stats.deliveries += 1;
        }
        self.stats.messages += 1;
        let to = to.to_string();
        let said = note_said(said);
        self.publish(|_| Note::Msg { from, to, text: text.to_string(), said, whole });
    }

    /// Sends a room line to `room`'s members here, with `stamp` (none:
    /// recorded now with this node's id), all but `skip`.
    pub(crate) fn deliver_line(
        &mut self,
        room: RoomId,
        line: &NewLine,
        stamp: Option<Stamp>,
        skip: Option<ConnId>,
        out: &mut Outbox,
    ) {
        let stamp = stamp.or_else(|| self.record(room, line.kind, line.whole, line.from, line.text));
        let r = self.rooms.get(room);
        let (from, text, name, whole) = (line.from, line.text, r.name.as_str(), line.whole);
        let event = match line.kind {
            Kind::Me => Event::Me { from, text, room: name, whole },
            Kind::Topic => Event::Topic { room: name, topic: text, by: from, set: true },
            kind => Event::Chat { from, text, room: name, notice: kind == Kind::Notice, whole },
        };
        let mut slot = None;
        let stamped = event.stamped(stamp, &mut slot);
        let rendered = self.renderers.event(stamped);
        // A local sender's account, for members told it (account-tag).
        let account = match r.viewers {
            0 => None,
            _ => self.find_nick(from).and_then(|sender| self.shown_identity(sender).0),
        };
        let views = super::deliver::views(&r.members, account, "", false, stamped);
        let alts = std::array::from_fn(|v| views[v].as_ref().map(|e| self.renderers.event(e)));
        self.stats.deliveries += super::deliver::send_viewed(&r.members, skip, &rendered, &alts, out);
    }

    /// Sets (or, with an empty text, clears) the topic of `room`, held by
    /// `id`, and tells everyone in it.
    pub fn set_topic(&mut self, id: ConnId, room: RoomId, text: &str, out: &mut Outbox) {
        let text = super::sanitize(text);
        let topic: String = text.trim().chars().take(MAX_TOPIC_CHARS).collect();
        let who = self.nick_of(id).unwrap_or_default().to_owned();
        let now = crate::clock::unix_now();
        let r = self.rooms.get_mut(room);
        r.topic_by = if topic.is_empty() { String::new() } else { who.clone() };
        r.topic = topic;
        r.topic_at = now;
        let (name, topic) = (r.name.clone(), r.topic.clone());
        info!("{who} set the topic for {name}: {topic}");
        self.save_room(room);
        if self.shared_history_up() {
            let line = NewLine { kind: Kind::Topic, whole: false, from: &who, text: &topic };
            let note = Note::Topic { nick: who.clone(), room: name.clone(), topic: topic.clone(), at: now };
            return self.shared_say(id, room, line, false, note, out);
        }
        let line = NewLine { kind: Kind::Topic, whole: false, from: &who, text: &topic };
        self.deliver_line(room, &line, None, None, out);
        self.publish(|_| Note::Topic { nick: who, room: name, topic, at: now });
    }
}
