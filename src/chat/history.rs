//! The chat core's side of history: room lines recorded in the store as
//! they are said (with the id and time every face shows), pages read back
//! for any face, and the store's turn (durability holds output).

use super::event::Stamp;
use super::fault::Fault;
use super::rooms::{parse_room, RoomId};
use super::shared_history::Purpose;
use super::Hub;
use crate::net::{ConnId, Outbox};
use crate::store::history::{Kind, NewLine, Page, Query, QueryError};

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

    /// The end of a loop turn: the store takes the turn's lines; output is
    /// held while a batch is being made durable.
    pub fn store_turn(&mut self, out: &mut Outbox) {
        out.hold = self.store.turn(out.now());
    }

    /// The storage thread woke the loop.
    pub fn store_ready(&mut self, out: &mut Outbox) {
        out.hold = self.store.ready(out.now());
    }
}
