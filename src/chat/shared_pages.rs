//! Pages of shared history (`--redis`): read from the room's Redis stream
//! by a script, so any node answers for any room; from this node's memory
//! while Redis is away or slow. The answer goes to the lines face as a
//! `history` event, or to another face (IRC) as a [`HistoryAnswer`].

use std::time::Instant;

use super::event::Event;
use super::fault::Fault;
use super::rooms::parse_room;
use super::Hub;
use crate::cluster::history::{self as stream, At, StreamId, StreamLine};
use crate::net::{ConnId, Outbox};
use crate::store::history::{room_check, Entry, Kind, MsgId, Query, Ref};

/// Who a page read from the stream is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The lines face's `history` reply (the core renders it).
    Reply,
    /// A face's own request (its key): it gets a [`HistoryAnswer`].
    Face(u64),
}

/// A page asked of the stream, not yet answered.
#[derive(Debug)]
pub(super) struct PendingPage {
    pub(super) who: (ConnId, u64),
    pub(super) room: String,
    pub(super) query: Query,
    pub(super) limit: usize,
    pub(super) purpose: Purpose,
    pub(super) sent: Instant,
}

/// A page of history for a face that asked with [`Purpose::Face`].
#[derive(Debug, Clone)]
pub struct HistoryAnswer {
    pub id: ConnId,
    pub key: u64,
    pub room: String,
    pub items: Vec<Entry>,
    pub complete: bool,
}

impl Hub {
    /// A page came (`read`), or will not (`None`: then from this node's memory).
    pub(super) fn page_answered(
        &mut self,
        page: PendingPage,
        read: Option<(Option<StreamId>, Vec<StreamLine>)>,
        out: &mut Outbox,
    ) {
        let who = page.who;
        let answer = match read {
            Some((deleted, lines)) => {
                let complete = stream::complete(stream_query(page.query), deleted, &lines);
                let check = room_check(&super::names::fold_nick(&page.room));
                let items = lines.into_iter().map(|l| entry_of(l, check)).collect();
                Some((items, complete))
            }
            None => None,
        };
        let (items, complete) = match answer {
            Some(a) => a,
            // No answer: what this node holds.
            None => match self.local_page(&page.room, page.query, page.limit) {
                Ok(a) => a,
                Err(_) => (Vec::new(), true),
            },
        };
        if self.serial_of(who.0) == who.1 {
            self.hand_over(who.0, page.purpose, &page.room, items, complete, out);
        }
        self.answer_came(who, out);
    }

    /// A page to the one who asked: rendered now for the lines face, queued for another face.
    pub(super) fn hand_over(
        &mut self,
        id: ConnId,
        purpose: Purpose,
        room: &str,
        items: Vec<Entry>,
        complete: bool,
        out: &mut Outbox,
    ) {
        match purpose {
            Purpose::Reply => {
                let Some(format) = self.session(id).map(|s| s.profile.format) else { return };
                let refs: Vec<&Entry> = items.iter().collect();
                let event = Event::History { room, items: &refs, complete };
                out.send(id, self.renderers.event(&event).get(format));
            }
            Purpose::Face(key) => {
                self.answers.push(HistoryAnswer { id, key, room: room.to_string(), items, complete })
            }
        }
    }

    /// A page from this node's memory.
    fn local_page(&mut self, room: &str, query: Query, limit: usize) -> Result<(Vec<Entry>, bool), Fault> {
        let page = self.history(room, query, limit)?;
        Ok((page.items.into_iter().cloned().collect(), page.complete))
    }

    /// A page of the room named `raw` for `id`: at once from memory
    /// (`Ok(Some(..))`: room as named, lines, complete), or, while history
    /// is shared, from the stream later (`Ok(None)`; the answer goes as
    /// `purpose` says, and `id`'s lines wait meanwhile).
    pub fn history_request(
        &mut self,
        id: ConnId,
        raw: &str,
        query: Query,
        limit: usize,
        purpose: Purpose,
        out: &mut Outbox,
    ) -> Result<Option<(String, Vec<Entry>, bool)>, Fault> {
        if !self.store.history.enabled() {
            return Err(Fault::HistoryOff);
        }
        let name = parse_room(raw).map_err(Fault::RoomInvalid)?.to_string();
        self.may_read_history(id, &name)?;
        if !self.shared_history_up() {
            let (items, complete) = self.local_page(&name, query, limit)?;
            return Ok(Some((name, items, complete)));
        }
        let folded = super::names::fold_nick(&name);
        let check = room_check(&folded);
        let refs = match query {
            Query::Latest(r) => [r, None],
            Query::Before(r) | Query::After(r) | Query::Around(r) => [Some(r), None],
            Query::Between(a, b) => [Some(a), Some(b)],
        };
        if refs.iter().flatten().any(|r| matches!(r, Ref::Id(m) if m.room != check)) {
            return Err(Fault::refused("no-such-line", &[("room", &name)]));
        }
        let limit = limit.min(self.store.history.cfg.page);
        let serial = self.serial_of(id);
        let Some(c) = self.cluster.as_mut() else { return Ok(None) };
        let key = stream::key(c.redis.cfg.url.db, &folded);
        let tag = c.shared.tag();
        let read_sha = stream::sha(stream::READ_SCRIPT);
        let reads = stream::reads(stream_query(query), limit);
        let mut words: Vec<Vec<u8>> = vec![b"EVALSHA".to_vec(), read_sha, b"1".to_vec(), key.into_bytes()];
        for (command, start, end, count) in reads {
            words.extend([
                command.as_bytes().to_vec(),
                start.into_bytes(),
                end.into_bytes(),
                count.to_string().into_bytes(),
            ]);
        }
        if !c.redis.command(&words, tag) {
            let (items, complete) = self.local_page(&name, query, limit)?;
            return Ok(Some((name, items, complete)));
        }
        let page = PendingPage { who: (id, serial), room: name, query, limit, purpose, sent: out.now() };
        c.shared.pages.insert(tag, page);
        self.await_answer(id, out);
        Ok(None)
    }

    /// The pages that came for faces since the last call.
    pub fn take_answers(&mut self) -> Vec<HistoryAnswer> {
        std::mem::take(&mut self.answers)
    }
}

/// A page query in the stream's terms (an id's place in its stream).
pub(super) fn stream_query(q: Query) -> stream::Query {
    let at = |r: Ref| match r {
        Ref::Id(id) => {
            let (ms, n) = id.stream_place();
            At::Id(StreamId { ms, n })
        }
        Ref::Time(ms) => At::Time(ms),
    };
    match q {
        Query::Latest(r) => stream::Query::Latest(r.map(at)),
        Query::Before(r) => stream::Query::Before(at(r)),
        Query::After(r) => stream::Query::After(at(r)),
        Query::Around(r) => stream::Query::Around(at(r)),
        Query::Between(a, b) => stream::Query::Between(at(a), at(b)),
    }
}

fn entry_of(l: StreamLine, check: u32) -> Entry {
    Entry {
        id: MsgId::from_stream(l.id.ms, l.id.n, check),
        time_ms: l.id.ms,
        kind: Kind::from_name(&l.kind).unwrap_or(Kind::Chat),
        whole: l.whole,
        from: l.nick.into(),
        text: l.text.into(),
        reactions: None,
    }
}
