//! History shared by a cluster (`--redis`): while the link is up, a room
//! line is written to the room's Redis stream and published in one script
//! (`cluster::history`), and its stream id is its id on every node. This
//! node delivers the line when the script answers (the sender's next lines
//! wait, as during a nickname claim, so its words keep their order); the
//! others, when the publication carries it to them. History pages are read
//! from the stream, so any node answers for any room.
//!
//! Redis away, or slower than [`ANSWER_WAIT`]: lines are delivered at once
//! with this node's own ids and kept in its memory history only, and pages
//! come from that memory (the node serves alone, as it does for nicknames).

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use log::warn;

use super::event::Stamp;
use super::rooms::RoomId;
use super::shared_pages::PendingPage;
pub use super::shared_pages::{HistoryAnswer, Purpose};
use super::Hub;
use crate::cluster::history::{self as stream, StreamId};
use crate::cluster::note::{self, Note};
use crate::cluster::redis::conn::Tag;
use crate::cluster::redis::resp::Frame;
use crate::net::{ConnId, Outbox};
use crate::store::history::{room_check, Entry, Kind, MsgId, NewLine};

/// How long a line or a page waits for Redis before this node serves it
/// alone (lines then go out with this node's ids until Redis keeps up).
pub const ANSWER_WAIT: Duration = Duration::from_millis(500);

/// Tags of shared history's requests (the claims' count up from 1).
const TAG_BIT: Tag = 1 << 62;

/// Is `tag` one of shared history's?
pub fn is_ours(tag: Tag) -> bool {
    tag & TAG_BIT != 0
}

/// A line sent to the stream, not yet answered.
#[derive(Debug)]
struct PendingLine {
    room: String,
    kind: Kind,
    whole: bool,
    nick: String,
    text: String,
    /// The sender (and its session's serial), which does not get its own line back.
    sender: (ConnId, u64),
    skip_sender: bool,
    sent: Instant,
    /// Delivered already with this node's id (Redis was too slow).
    delivered: bool,
}

/// Shared history's requests in flight.
#[derive(Debug, Default)]
pub struct SharedHistory {
    next_tag: Tag,
    lines: BTreeMap<Tag, PendingLine>,
    pub(super) pages: HashMap<Tag, PendingPage>,
    /// A line waited past [`ANSWER_WAIT`]: lines go out at once until
    /// every late answer is in.
    lagging: bool,
    warned: bool,
}

impl SharedHistory {
    pub(super) fn tag(&mut self) -> Tag {
        self.next_tag += 1;
        TAG_BIT | self.next_tag
    }

    /// When the oldest request runs out of patience.
    pub fn next_deadline(&self) -> Option<Instant> {
        let line = self.lines.values().filter(|l| !l.delivered).map(|l| l.sent).min();
        let page = self.pages.values().map(|p| p.sent).min();
        line.into_iter().chain(page).min().map(|t| t + ANSWER_WAIT)
    }
}

impl Hub {
    /// Is history kept in the cluster's streams right now (link up, Redis keeping up)?
    pub(crate) fn shared_history_up(&self) -> bool {
        self.store.history.enabled()
            && self.cluster.as_ref().is_some_and(|c| c.redis.is_up() && !c.shared.lagging)
    }

    /// The serial of `id`'s session (0: none).
    pub(super) fn serial_of(&self, id: ConnId) -> u64 {
        self.session(id).map_or(0, |s| s.serial)
    }

    /// `id` now awaits one more answer: it is not read meanwhile.
    pub(super) fn await_answer(&mut self, id: ConnId, out: &mut Outbox) {
        if let Some(s) = self.session_mut(id) {
            s.awaiting += 1;
            out.pause_reading(id, out.now() + Duration::from_secs(30));
        }
    }

    /// One of `who`'s answers came (or will not): once all have, it is read again.
    pub(super) fn answer_came(&mut self, (id, serial): (ConnId, u64), out: &mut Outbox) {
        let Some(s) = self.session_mut(id).filter(|s| s.serial == serial && s.awaiting > 0) else { return };
        s.awaiting -= 1;
        if s.awaiting == 0 && !s.claiming {
            out.resume_reading(id);
            self.resumed.push(id);
        }
    }

    /// Sends a room line to the stream (and, through it, to the other
    /// nodes): delivered here once Redis answers with its id. `note` is
    /// what the other nodes are told.
    pub(crate) fn shared_say(
        &mut self,
        id: ConnId,
        room: RoomId,
        line: NewLine,
        skip_sender: bool,
        note: Note,
        out: &mut Outbox,
    ) {
        let serial = self.serial_of(id);
        let cfg = self.store.history.cfg.clone();
        let r = self.rooms.get(room);
        let Some(c) = self.cluster.as_mut() else { return };
        let key = stream::key(c.redis.cfg.url.db, &r.key);
        let note = note.encode(c.presence.next_stamp());
        let oldest = crate::clock::unix_ms().saturating_sub(cfg.max_age_ms);
        let tag = c.shared.tag();
        let words: Vec<Vec<u8>> = vec![
            b"EVALSHA".to_vec(),
            stream::sha(stream::SAY_SCRIPT),
            b"1".to_vec(),
            key.into_bytes(),
            cfg.max_lines.to_string().into_bytes(),
            oldest.to_string().into_bytes(),
            cfg.max_age_ms.to_string().into_bytes(),
            c.redis.channel.clone(),
            note,
            line.kind.name().as_bytes().to_vec(),
            line.from.as_bytes().to_vec(),
            line.text.as_bytes().to_vec(),
            if line.whole { b"1".to_vec() } else { b"0".to_vec() },
        ];
        if !c.redis.command(&words, tag) {
            return self.deliver_line(room, &line, None, skip_sender.then_some(id), out);
        }
        c.shared.lines.insert(
            tag,
            PendingLine {
                room: r.name.clone(),
                kind: line.kind,
                whole: line.whole,
                nick: line.from.to_string(),
                text: line.text.to_string(),
                sender: (id, serial),
                skip_sender,
                sent: out.now(),
                delivered: false,
            },
        );
        self.await_answer(id, out);
    }

    /// Records a line the stream numbered `id` in `room`'s memory history
    /// (where this node's pages come from while Redis is away).
    pub(crate) fn record_streamed(&mut self, room: RoomId, line: &NewLine, id: StreamId) -> Option<Stamp> {
        let r = self.rooms.get(room);
        let entry = Entry {
            id: MsgId::from_stream(id.ms, id.n, room_check(&r.key)),
            time_ms: id.ms,
            kind: line.kind,
            whole: line.whole,
            from: line.from.into(),
            text: line.text.into(),
            reactions: None,
        };
        let stamp = Stamp { id: entry.id, time_ms: entry.time_ms };
        self.store.history.insert(&r.key, &r.name, entry, crate::clock::unix_ms());
        Some(stamp)
    }

    /// Redis answered a shared-history request (`None`: it will not).
    pub(crate) fn shared_answered(&mut self, tag: Tag, frame: Option<Frame>, out: &mut Outbox) {
        let Some(c) = self.cluster.as_mut() else { return };
        if let Some(line) = c.shared.lines.remove(&tag) {
            c.shared.lagging = c.shared.lines.values().any(|l| l.delivered);
            let id = match &frame {
                Some(Frame::Error(e)) => {
                    if !std::mem::replace(&mut c.shared.warned, true) {
                        warn!(
                            "cluster: Redis refused a history write ({e}); lines stay in this node's memory"
                        );
                    }
                    None
                }
                Some(f) => f.as_bytes().and_then(|b| std::str::from_utf8(b).ok()).and_then(StreamId::parse),
                None => None,
            };
            return self.line_answered(line, id, out);
        }
        if let Some(page) = c.shared.pages.remove(&tag) {
            let read = frame
                .as_ref()
                .and_then(|f| stream::page(f, super::shared_pages::stream_query(page.query), page.limit));
            self.page_answered(page, read, out);
        }
    }

    fn line_answered(&mut self, line: PendingLine, id: Option<StreamId>, out: &mut Outbox) {
        if !line.delivered {
            if let Some(room) = self.rooms.lookup(&line.room) {
                let new = NewLine { kind: line.kind, whole: line.whole, from: &line.nick, text: &line.text };
                let stamp = id.and_then(|id| self.record_streamed(room, &new, id));
                let sender_here = self.serial_of(line.sender.0) == line.sender.1;
                let skip = (line.skip_sender && sender_here).then_some(line.sender.0);
                // Without an id the line was not stored in Redis: this node's own.
                self.deliver_line(room, &new, stamp, skip, out);
            }
            self.answer_came(line.sender, out);
        }
    }

    /// Requests past [`ANSWER_WAIT`]: lines go out with this node's ids
    /// (and the late answers are only taken in), pages come from memory.
    pub(crate) fn shared_turn(&mut self, now: Instant, out: &mut Outbox) {
        let Some(c) = self.cluster.as_mut() else { return };
        let late_lines: Vec<Tag> = c
            .shared
            .lines
            .iter()
            .filter(|(_, l)| !l.delivered && now >= l.sent + ANSWER_WAIT)
            .map(|(t, _)| *t)
            .collect();
        let late_pages: Vec<Tag> =
            c.shared.pages.iter().filter(|(_, p)| now >= p.sent + ANSWER_WAIT).map(|(t, _)| *t).collect();
        if !late_lines.is_empty() && !c.shared.lagging {
            warn!("cluster: Redis is slow to store history; lines go out with this node's ids meanwhile");
        }
        for tag in late_lines {
            let Some(c) = self.cluster.as_mut() else { return };
            c.shared.lagging = true;
            let Some(line) = c.shared.lines.get_mut(&tag) else { continue };
            line.delivered = true;
            let (room, kind, whole, nick, text, sender, skip_sender) = (
                line.room.clone(),
                line.kind,
                line.whole,
                line.nick.clone(),
                line.text.clone(),
                line.sender,
                line.skip_sender,
            );
            if let Some(room) = self.rooms.lookup(&room) {
                let new = NewLine { kind, whole, from: &nick, text: &text };
                let skip = (skip_sender && self.serial_of(sender.0) == sender.1).then_some(sender.0);
                self.deliver_line(room, &new, None, skip, out);
            }
            self.answer_came(sender, out);
        }
        for tag in late_pages {
            let Some(c) = self.cluster.as_mut() else { return };
            if let Some(page) = c.shared.pages.remove(&tag) {
                self.page_answered(page, None, out);
            }
        }
    }

    /// The link is down: nothing in flight will be answered.
    pub(crate) fn shared_down(&mut self, out: &mut Outbox) {
        let Some(c) = self.cluster.as_mut() else { return };
        let tags: Vec<Tag> = c.shared.lines.keys().chain(c.shared.pages.keys()).copied().collect();
        for tag in tags {
            self.shared_answered(tag, None, out);
        }
        if let Some(c) = self.cluster.as_mut() {
            c.shared.lagging = false;
        }
    }

    /// Sessions whose awaited answers all came since the last call.
    pub fn take_resumed(&mut self) -> Vec<ConnId> {
        std::mem::take(&mut self.resumed)
    }
}

/// The note of a room line, as the other nodes are told of it.
pub(crate) fn note_of(line: &NewLine, room: &str) -> Note {
    let (nick, room, text) = (line.from.to_string(), room.to_string(), line.text.to_string());
    let said = match line.kind {
        Kind::Me => note::Said::Action,
        Kind::Notice => note::Said::Notice,
        _ => note::Said::Plain,
    };
    match line.kind {
        Kind::Topic => Note::Topic { nick, room, topic: text, at: crate::clock::unix_now() },
        _ => Note::Say { nick, room, text, said, whole: line.whole },
    }
}
