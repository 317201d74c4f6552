//! Signals about a conversation that are not lines of it: who is typing
//! (IRCv3 `+typing`) and reactions to stored lines (`+draft/react`). They
//! reach only the sessions whose profile asks for them (`Profile::typing`,
//! `Profile::reactions`). Reactions are kept with their line in history;
//! typing is never stored. Both stay on this server.

use super::event::{Event, Signal};
use super::fault::Fault;
use super::rooms::RoomId;
use super::Hub;
use crate::net::{ConnId, Outbox};
use crate::store::history::MsgId;

/// The longest reaction, in bytes (an emoji with its modifiers, or a short word).
pub const MAX_REACTION_BYTES: usize = 64;

/// The longest quote of the line a reaction is about, in characters.
const QUOTE_CHARS: usize = 40;

impl Hub {
    /// `id` signals `signal` in the room `to` (`#name`) or to the user `to`.
    pub(crate) fn signal(
        &mut self,
        id: ConnId,
        to: &str,
        signal: Signal,
        out: &mut Outbox,
    ) -> Result<(), Fault> {
        if let Signal::React { emoji, .. } = signal {
            let valid = !emoji.is_empty()
                && emoji.len() <= MAX_REACTION_BYTES
                && !emoji.chars().any(|c| c.is_whitespace() || c.is_control());
            if !valid {
                return Err(Fault::refused("bad-reaction", &[("max", &MAX_REACTION_BYTES)]));
            }
        }
        let from = self.nick_of(id).unwrap_or_default().to_string();
        if !to.starts_with('#') {
            return self.signal_user(id, &from, to, signal, out);
        }
        let room = self.room_or_current(id, Some(to))?;
        if let Err(fault) = self.check_speak(id, room) {
            // Who may not speak does not show as typing either.
            return if matches!(signal, Signal::Typing(_)) { Ok(()) } else { Err(fault) };
        }
        let name = self.rooms.get(room).name.clone();
        let quoted = match signal {
            Signal::React { id: line, emoji } => {
                let (line, author, text) = self.reacted_line(room, line)?;
                // Kept with the line: history pages carry it.
                let key = self.rooms.get(room).key.clone();
                self.store.react(&key, line, &from, emoji);
                Some((author, text))
            }
            Signal::Typing(_) => None,
        };
        let quoted = quoted.as_ref().map(|(a, t)| (a.as_str(), t.as_str()));
        let event = Event::Signal { from: &from, to: &name, room: true, signal, quoted };
        let typing = matches!(signal, Signal::Typing(_));
        // The sender sees its own reaction only if it gets its own lines.
        self.broadcast_where(room, &event, out, |m, p| {
            (if typing { p.typing } else { p.reactions }) && (m != id || (!typing && p.echo_own))
        });
        Ok(())
    }

    /// The id, author and (cut) text of the line `raw` of `room`, which
    /// must be one of its lines still kept.
    fn reacted_line(&self, room: RoomId, raw: &str) -> Result<(MsgId, String, String), Fault> {
        if !self.store.history.enabled() {
            return Err(Fault::HistoryOff);
        }
        let key = &self.rooms.get(room).key;
        let entry = MsgId::parse(raw).and_then(|line| self.store.history.entry(key, line));
        let Some(entry) = entry.filter(|e| e.kind != crate::store::history::Kind::Deleted) else {
            return Err(Fault::refused("no-kept-line", &[("id", &raw)]));
        };
        let mut text: String = entry.text.chars().take(QUOTE_CHARS).collect();
        if entry.text.chars().count() > QUOTE_CHARS {
            text.push('…');
        }
        Ok((entry.id, entry.from.to_string(), text))
    }

    /// A signal to one user, if its profile asks for it (and back to the
    /// sender, for reactions, if it gets its own lines).
    fn signal_user(
        &mut self,
        id: ConnId,
        from: &str,
        to: &str,
        signal: Signal,
        out: &mut Outbox,
    ) -> Result<(), Fault> {
        let target = self.user(to)?;
        let to = self.nick_of(target).unwrap_or_default().to_string();
        let typing = matches!(signal, Signal::Typing(_));
        let event = Event::Signal { from, to: &to, room: false, signal, quoted: None };
        let wants = |hub: &Hub, who: ConnId| {
            hub.profile(who).is_some_and(|p| if typing { p.typing } else { p.reactions })
        };
        if wants(self, target) {
            self.reply(target, &event, out);
        }
        if !typing && target != id && wants(self, id) && self.profile(id).is_some_and(|p| p.echo_own) {
            self.reply(id, &event, out);
        }
        Ok(())
    }
}
