//! Read markers: where a signed-in user last read each room, kept per
//! account in the store and told to every connection signed in to it, so
//! unread counts agree across devices (IRCv3 draft/read-marker; JSON
//! `markread`; text `/markread`).

use super::event::Event;
use super::fault::Fault;
use super::names::fold_nick;
use super::rooms::parse_room;
use super::Hub;
use crate::net::{ConnId, Outbox};
use crate::store::history::MsgId;
use crate::store::markers::Marker;

/// Up to where a client says it has read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadUpTo<'a> {
    /// This line (its id), which the room must still keep.
    Line(&'a str),
    /// This time (Unix ms), as IRC's `timestamp=` says it.
    Time(u64),
    /// The room's newest line.
    Newest,
    /// Nothing changes: the marker is only asked for.
    Ask,
}

impl Hub {
    /// Moves `id`'s account's marker in `room` (`None`: the current room)
    /// forward. When it moves, every connection of the account that shows
    /// markers is told, and the sender in any case.
    pub(crate) fn mark_read(
        &mut self,
        id: ConnId,
        room: Option<&str>,
        upto: ReadUpTo,
        out: &mut Outbox,
    ) -> Result<(), Fault> {
        let account = fold_nick(self.account_of(id).ok_or(Fault::NeedsAccount)?);
        let name = match room {
            Some(raw) => match self.rooms.find(raw) {
                Some(room) => self.rooms.get(room).name.clone(),
                // A room nobody is in: only one whose history is kept (so
                // markers stay as bounded as rooms and their histories).
                None => {
                    let name = parse_room(raw).map_err(Fault::RoomInvalid)?;
                    if self.store.history.is_empty(&fold_nick(name)) {
                        return Err(Fault::NotInRoom(name.to_string()));
                    }
                    name.to_string()
                }
            },
            None => {
                let room = self.room_or_current(id, None)?;
                self.rooms.get(room).name.clone()
            }
        };
        let key = fold_nick(&name);
        let history = &self.store.history;
        let newest =
            |up_to: u64| history.newest_first(&key).find(|e| e.time_ms <= up_to).map(|e| (e.id, e.time_ms));
        let marker = match upto {
            ReadUpTo::Ask => None,
            ReadUpTo::Line(raw) => {
                let line = MsgId::parse(raw).and_then(|line| history.entry(&key, line));
                let line = line.ok_or_else(|| Fault::refused("no-kept-line", &[("id", &raw)]))?;
                Some(Marker { time_ms: line.time_ms, id: Some(line.id) })
            }
            ReadUpTo::Time(time_ms) => Some(Marker { time_ms, id: newest(time_ms).map(|(id, _)| id) }),
            ReadUpTo::Newest => Some(match newest(u64::MAX) {
                Some((id, time_ms)) => Marker { time_ms, id: Some(id) },
                None => Marker { time_ms: crate::clock::unix_ms(), id: None },
            }),
        };
        let (now, moved) = match marker {
            Some(marker) => {
                let (now, moved) = self.store.mark_read(&account, &key, marker);
                (Some(now), moved)
            }
            None => (self.store.markers.get(&account, &key), false),
        };
        let id_text = now.and_then(|m| m.id).map(|m| m.to_string());
        let event = Event::MarkRead { room: &name, time_ms: now.map(|m| m.time_ms), id: id_text.as_deref() };
        if moved {
            for other in self.sessions_of_account(&account) {
                if other != id && self.profile(other).is_some_and(|p| p.read_markers) {
                    self.reply(other, &event, out);
                }
            }
        }
        self.reply(id, &event, out);
        Ok(())
    }
}
