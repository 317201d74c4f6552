//! The chat core's side of history: room lines recorded in the store as
//! they are said (with the id and time every face shows), pages read back
//! for any face, and the store's turn (durability holds output).

use super::event::Event;
use super::event::Stamp;
use super::fault::Fault;
use super::rooms::{parse_room, RoomId};
use super::shared_history::Purpose;
use super::Hub;
use crate::net::{ConnId, Outbox};
use crate::store::history::{Kind, MsgId, NewLine, Page, Query, QueryError};

impl Hub {
    /// Records a line said in `room`; its id and time, if history is on.
    pub(crate) fn record(
        &mut self,
        room: RoomId,
        kind: Kind,
        whole: bool,
        from: &str,
        text: &str,
    ) -> Option<Stamp> {
        if !self.store.history.enabled() {
            return None;
        }
        let r = self.rooms.get(room);
        let line = NewLine { kind, whole, from, text };
        self.store
            .record(&r.key, &r.name, line, crate::clock::unix_ms())
            .map(|(id, time_ms)| Stamp { id, time_ms })
    }

    /// Lines of the room named `raw` (any room: anyone may read a room's
    /// history), as `query` asks, at most `limit` (cut to `--history-page`).
    pub fn history<'a>(&'a mut self, raw: &'a str, query: Query, limit: usize) -> Result<Page<'a>, Fault> {
        let history = &mut self.store.history;
        if !history.enabled() {
            return Err(Fault::HistoryOff);
        }
        let name = parse_room(raw).map_err(Fault::RoomInvalid)?;
        let key = super::names::fold_nick(name);
        let limit = limit.min(history.cfg.page);
        match history.query(&key, query, limit, crate::clock::unix_ms()) {
            Ok(mut page) => {
                if page.room.is_empty() {
                    page.room = name;
                }
                Ok(page)
            }
            Err(QueryError::UnknownId) => Err(Fault::refused("no-such-line", &[("room", &name)])),
        }
    }

    /// `History`: a page of the room named `raw` (`None`: the asker's
    /// current room), to the asker, as its face shows history.
    pub(crate) fn tell_history(
        &mut self,
        id: ConnId,
        raw: Option<&str>,
        query: Query,
        limit: usize,
        out: &mut Outbox,
    ) -> Result<(), Fault> {
        if !self.store.history.enabled() {
            return Err(Fault::HistoryOff);
        }
        let name = match raw {
            Some(raw) => raw.to_string(),
            None => self.rooms.get(self.current_room(id).ok_or(Fault::InNoRoom)?).name.clone(),
        };
        let purpose = Purpose::Reply;
        if let Some((room, items, complete)) = self.history_request(id, &name, query, limit, purpose, out)? {
            self.hand_over(id, purpose, &room, items, complete, out);
        }
        Ok(())
    }

    /// The end of a loop turn: the store takes the turn's lines; output
    /// that may carry lines not yet durable waits for them.
    pub fn store_turn(&mut self, out: &mut Outbox) {
        let state = self.store.turn(out.now());
        if let Some(epoch) = state.released {
            out.release(epoch);
        }
        if let Some(epoch) = state.wait_for {
            out.wait_for(epoch);
        }
        out.reads_paused = state.behind;
    }

    /// The storage thread woke the loop: output waiting for a commit that
    /// is done goes with this turn's flush, and reads paused for it resume.
    pub fn store_ready(&mut self, out: &mut Outbox) {
        if let Some(epoch) = self.store.committed() {
            out.release(epoch);
            out.reads_paused = false;
        }
    }
}

impl Hub {
    /// Deletes the line `line` of `room` (`None`: `id`'s newest line
    /// there): its author, the room's operators and server operators may.
    /// It stays in history as a tombstone; the room's sessions that show
    /// deletions are told.
    pub(crate) fn delete_line(
        &mut self,
        id: ConnId,
        room: Option<&str>,
        line: Option<&str>,
        out: &mut Outbox,
    ) -> Result<(), Fault> {
        if !self.store.history.enabled() {
            return Err(Fault::HistoryOff);
        }
        let room = match (room, self.session(id).is_some_and(|s| s.oper)) {
            // Server operators may delete in rooms they are not in.
            (Some(name), true) => self.rooms.find(name).ok_or_else(|| Fault::NotInRoom(name.to_string()))?,
            (room, _) => self.room_or_current(id, room)?,
        };
        let me = super::names::fold_nick(self.nick_of(id).unwrap_or_default());
        let key = self.rooms.get(room).key.clone();
        let history = &self.store.history;
        let entry = match line {
            Some(raw) => MsgId::parse(raw).and_then(|line| history.entry(&key, line)),
            None => history.newest_first(&key).find(|e| {
                super::names::fold_nick(&e.from) == me
                    && matches!(e.kind, Kind::Chat | Kind::Me | Kind::Notice)
            }),
        };
        let Some(entry) = entry.filter(|e| e.kind != Kind::Deleted) else {
            return Err(match line {
                Some(raw) => Fault::refused("no-kept-line", &[("id", &raw)]),
                None => Fault::refused("nothing-to-delete", &[("room", &self.rooms.get(room).name)]),
            });
        };
        let (line_id, author) = (entry.id, entry.from.to_string());
        if super::names::fold_nick(&author) != me && !self.is_moderator(id, room) {
            return Err(Fault::refused("not-your-line", &[]));
        }
        self.store.delete(&key, line_id);
        let by = self.nick_of(id).unwrap_or_default().to_string();
        let (name, line_id) = (self.rooms.get(room).name.clone(), line_id.to_string());
        log::info!("{by} deleted line {line_id} of {author} in {name}");
        let event = Event::Delete { room: &name, id: &line_id, by: &by, author: &author };
        self.broadcast_where(room, &event, out, |_, p| p.deletions);
        // A server operator outside the room learns it was done.
        if !self.holds(id, room) {
            self.reply(id, &event, out);
        }
        Ok(())
    }
}
