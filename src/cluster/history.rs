//! Shared history in a cluster, as Redis sees it, without a socket: each
//! room's lines in one stream (`linechat:hist:<db>:<room>`), a line written
//! and published in one script (XADD, trim by count and age, PUBLISH with
//! the stream id appended), pages read by another script, and their
//! replies taken apart. The stream id (`<ms>-<n>`) is the line's id on
//! every node and its time. Unit-tested; the chat core's glue is
//! `chat/shared_history.rs`.

use super::redis::resp::Frame;

/// Writes a line: KEYS[1] the stream; ARGV: max lines, oldest time kept
/// (ms), the stream's time to live (ms), the channel, the note, then the
/// line's fields (kind, nick, text, whole). Returns the stream id; the note
/// is published with `\x1fsid:<id>` appended.
pub const SAY_SCRIPT: &str = r#"local id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[1], '*', 'k', ARGV[6], 'n', ARGV[7], 't', ARGV[8], 'w', ARGV[9])
redis.call('XTRIM', KEYS[1], 'MINID', '~', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[5] .. '\31sid:' .. id)
return id"#;

/// Reads a page: KEYS[1] the stream; ARGV: one or two reads (command,
/// start, end, count). Returns {the newest id trimmed away ('0-0': none),
/// read 1, read 2}.
pub const READ_SCRIPT: &str = r#"local deleted = '0-0'
if redis.call('EXISTS', KEYS[1]) == 1 then
  local info = redis.call('XINFO', 'STREAM', KEYS[1])
  for i = 1, #info, 2 do
    if info[i] == 'max-deleted-entry-id' then deleted = info[i + 1] end
  end
end
local r1 = redis.call(ARGV[1], KEYS[1], ARGV[2], ARGV[3], 'COUNT', ARGV[4])
local r2 = {}
if ARGV[5] then r2 = redis.call(ARGV[5], KEYS[1], ARGV[6], ARGV[7], 'COUNT', ARGV[8]) end
return {deleted, r1, r2}"#;

/// The scripts, for `SCRIPT LOAD` on every connect (EVALSHA names them).
pub const SCRIPTS: &[&str] = &[SAY_SCRIPT, READ_SCRIPT];

/// The SHA1 EVALSHA names `script` by.
pub fn sha(script: &str) -> Vec<u8> {
    sha1_smol::Sha1::from(script).digest().to_string().into_bytes()
}

/// What the note published by [`SAY_SCRIPT`] ends with, before the id.
const SID_FIELD: &[u8] = b"\x1fsid:";

/// A stream id: milliseconds and a sequence within them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct StreamId {
    pub ms: u64,
    pub n: u64,
}

impl StreamId {
    pub fn parse(s: &str) -> Option<StreamId> {
        let (ms, n) = s.split_once('-')?;
        Some(StreamId { ms: ms.parse().ok()?, n: n.parse().ok()? })
    }

    pub fn text(self) -> String {
        format!("{}-{}", self.ms, self.n)
    }
}

/// The stream of the room `folded` (Redis database `db`).
pub fn key(db: u32, folded: &str) -> String {
    format!("linechat:hist:{db}:{folded}")
}

/// A published note, and the stream id [`SAY_SCRIPT`] appended, if any.
pub fn split_note(bytes: &[u8]) -> (&[u8], Option<StreamId>) {
    let Some(at) = bytes.windows(SID_FIELD.len()).rposition(|w| w == SID_FIELD) else {
        return (bytes, None);
    };
    let id = std::str::from_utf8(&bytes[at + SID_FIELD.len()..]).ok().and_then(StreamId::parse);
    match id {
        Some(id) => (&bytes[..at], Some(id)),
        None => (bytes, None),
    }
}

/// One stored line as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamLine {
    pub id: StreamId,
    pub kind: String,
    pub nick: String,
    pub text: String,
    pub whole: bool,
}

/// Which reads a page takes: (command, start, end, count), one or two.
pub type Reads = Vec<(&'static str, String, String, usize)>;

/// Where a page starts, in stream ids: a line's id, or a time (ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    Id(StreamId),
    Time(u64),
}

impl At {
    /// The exclusive bound just before this reference (for reading down to it).
    fn below(self) -> String {
        match self {
            At::Id(id) => format!("({}", id.text()),
            At::Time(ms) => format!("({ms}-0"),
        }
    }

    /// The exclusive bound just after it.
    fn above(self) -> String {
        match self {
            At::Id(id) => format!("({}", id.text()),
            At::Time(ms) => format!("{}-0", ms + 1),
        }
    }

    /// Inclusive start at it.
    fn from(self) -> String {
        match self {
            At::Id(id) => id.text(),
            At::Time(ms) => format!("{ms}-0"),
        }
    }
}

/// The reads for each kind of query (`limit` lines at most); the lines
/// come back newest first from XREVRANGE, oldest first from XRANGE.
pub fn reads(query: Query, limit: usize) -> Reads {
    match query {
        Query::Latest(None) => vec![("XREVRANGE", "+".into(), "-".into(), limit)],
        Query::Latest(Some(r)) => vec![("XREVRANGE", "+".into(), r.above(), limit)],
        Query::Before(r) => vec![("XREVRANGE", r.below(), "-".into(), limit)],
        Query::After(r) => vec![("XRANGE", r.above(), "+".into(), limit)],
        Query::Around(r) => {
            let before = limit / 2;
            vec![
                ("XREVRANGE", r.below(), "-".into(), before.max(1)),
                ("XRANGE", r.from(), "+".into(), limit - before),
            ]
        }
        Query::Between(a, b) if forward(a, b) => vec![("XRANGE", a.above(), b.below(), limit)],
        Query::Between(a, b) => vec![("XREVRANGE", a.below(), b.above(), limit)],
    }
}

fn forward(a: At, b: At) -> bool {
    let ms = |x: At| match x {
        At::Id(id) => (id.ms, id.n),
        At::Time(ms) => (ms, 0),
    };
    ms(a) <= ms(b)
}

/// A page query, in stream terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Query {
    Latest(Option<At>),
    Before(At),
    After(At),
    Around(At),
    Between(At, At),
}

/// [`READ_SCRIPT`]'s reply: the newest id trimmed away, and the lines
/// oldest first (an AROUND's two reads put together), at most `limit`.
pub fn page(frame: &Frame, query: Query, limit: usize) -> Option<(Option<StreamId>, Vec<StreamLine>)> {
    let Frame::Array(Some(parts)) = frame else { return None };
    let deleted = StreamId::parse(std::str::from_utf8(parts.first()?.as_bytes()?).ok()?)?;
    let deleted = (deleted != StreamId { ms: 0, n: 0 }).then_some(deleted);
    let read = |i: usize, newest_first: bool| -> Option<Vec<StreamLine>> {
        let mut lines = entries(parts.get(i)?)?;
        if newest_first {
            lines.reverse();
        }
        Some(lines)
    };
    let plan = reads(query, limit);
    let mut lines = read(1, plan[0].0 == "XREVRANGE")?;
    if plan.len() > 1 {
        lines.extend(read(2, plan[1].0 == "XREVRANGE")?);
    }
    lines.truncate(limit);
    Some((deleted, lines))
}

/// XRANGE entries: `[[id, [field, value, ...]], ...]`.
fn entries(frame: &Frame) -> Option<Vec<StreamLine>> {
    let Frame::Array(Some(items)) = frame else { return Some(Vec::new()) };
    let mut lines = Vec::with_capacity(items.len());
    for item in items {
        let Frame::Array(Some(pair)) = item else { return None };
        let id = StreamId::parse(std::str::from_utf8(pair.first()?.as_bytes()?).ok()?)?;
        let Some(Frame::Array(Some(fields))) = pair.get(1) else { return None };
        let mut line =
            StreamLine { id, kind: String::new(), nick: String::new(), text: String::new(), whole: false };
        for kv in fields.chunks(2) {
            let (Some(k), Some(v)) =
                (kv.first().and_then(Frame::as_bytes), kv.get(1).and_then(Frame::as_bytes))
            else {
                continue;
            };
            let v = String::from_utf8_lossy(v).into_owned();
            match k {
                b"k" => line.kind = v,
                b"n" => line.nick = v,
                b"t" => line.text = v,
                b"w" => line.whole = v == "1",
                _ => {}
            }
        }
        lines.push(line);
    }
    Some(lines)
}

/// Were lines between the reference and the page trimmed away?
pub fn complete(query: Query, deleted: Option<StreamId>, lines: &[StreamLine]) -> bool {
    let Some(deleted) = deleted else { return true };
    let at = |r: At| match r {
        At::Id(id) => id,
        At::Time(ms) => StreamId { ms, n: u64::MAX },
    };
    match query {
        Query::Latest(Some(r)) | Query::After(r) | Query::Between(r, _) => at(r) >= deleted,
        Query::Before(r) => !(lines.is_empty() && deleted < at(r)),
        Query::Latest(None) | Query::Around(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(s: &str) -> Frame {
        Frame::Bulk(Some(s.as_bytes().to_vec()))
    }

    fn entry(id: &str, text: &str) -> Frame {
        Frame::Array(Some(vec![
            bulk(id),
            Frame::Array(Some(vec![
                bulk("k"),
                bulk("chat"),
                bulk("n"),
                bulk("al"),
                bulk("t"),
                bulk(text),
                bulk("w"),
                bulk("1"),
            ])),
        ]))
    }

    #[test]
    fn notes_carry_their_stream_id() {
        let (note, id) = split_note(b"lc1\x1fn1\x1f1\x1f2\x1fsay\x1fa\x1f#r\x1fp\x1fhi\x1fsid:1700-3");
        assert_eq!(note, b"lc1\x1fn1\x1f1\x1f2\x1fsay\x1fa\x1f#r\x1fp\x1fhi");
        assert_eq!(id, Some(StreamId { ms: 1700, n: 3 }));
        assert_eq!(split_note(b"lc1\x1fbeat"), (&b"lc1\x1fbeat"[..], None));
        assert_eq!(split_note(b"x\x1fsid:nope").1, None);
    }

    #[test]
    fn queries_become_stream_reads() {
        let id = At::Id(StreamId { ms: 10, n: 2 });
        assert_eq!(reads(Query::Latest(None), 5), vec![("XREVRANGE", "+".into(), "-".into(), 5)]);
        assert_eq!(reads(Query::Before(id), 5), vec![("XREVRANGE", "(10-2".into(), "-".into(), 5)]);
        assert_eq!(reads(Query::After(id), 5), vec![("XRANGE", "(10-2".into(), "+".into(), 5)]);
        assert_eq!(reads(Query::After(At::Time(10)), 5), vec![("XRANGE", "11-0".into(), "+".into(), 5)]);
        assert_eq!(reads(Query::Before(At::Time(10)), 5), vec![("XREVRANGE", "(10-0".into(), "-".into(), 5)]);
        assert_eq!(reads(Query::Around(id), 4).len(), 2);
        assert_eq!(
            reads(Query::Between(At::Time(20), id), 3),
            vec![("XREVRANGE", "(20-0".into(), "(10-2".into(), 3)]
        );
    }

    #[test]
    fn pages_come_back_oldest_first() {
        let reply = Frame::Array(Some(vec![
            bulk("5-0"),
            Frame::Array(Some(vec![entry("9-0", "c"), entry("8-1", "b")])),
            Frame::Array(Some(vec![])),
        ]));
        let (deleted, lines) = page(&reply, Query::Latest(None), 10).unwrap();
        assert_eq!(deleted, Some(StreamId { ms: 5, n: 0 }));
        assert_eq!(lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(), ["b", "c"]);
        assert!(lines[0].whole && lines[0].nick == "al" && lines[0].kind == "chat");
        let after = Query::After(At::Id(StreamId { ms: 4, n: 0 }));
        assert!(!complete(after, deleted, &lines), "5-0 was trimmed, after 4-0");
        assert!(complete(Query::After(At::Id(StreamId { ms: 6, n: 0 })), deleted, &lines));
        assert!(!complete(Query::Before(At::Id(StreamId { ms: 6, n: 0 })), deleted, &[]));
        assert!(complete(Query::Before(At::Id(StreamId { ms: 6, n: 0 })), None, &[]));
    }
}
