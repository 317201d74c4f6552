//! The history store and the parsers of history requests: line ids, IRCv3
//! timestamps (each written back reads the same), and a store driven by
//! random appends, queries and sweeps, which must stay within its bounds
//! with its accounting exact, and answer every query in room order.
//!
//! Input: ops of 3 bytes: [op] [room] [arg]; the rest of the input (after a
//! `\n`) is also read as an id and as a timestamp.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linechat::clock::{iso_ms, parse_iso_ms};
use linechat::store::history::{History, HistoryConfig, Kind, MsgId, NewLine, Query, Ref};

fuzz_target!(|input: &[u8]| {
    let (ops, text) = match input.iter().position(|&b| b == b'\n') {
        Some(i) => (&input[..i], &input[i + 1..]),
        None => (input, &[][..]),
    };
    if let Ok(text) = std::str::from_utf8(text) {
        if let Some(id) = MsgId::parse(text) {
            assert_eq!(MsgId::parse(&id.to_string()), Some(id));
        }
        if let Some(ms) = parse_iso_ms(text) {
            assert_eq!(parse_iso_ms(&iso_ms(ms)), Some(ms), "{text}");
        }
    }
    let cfg = HistoryConfig { max_lines: 6, max_age_ms: 50, max_bytes: 1500, page: 4, join_replay: 0 };
    let mut h = History::new(cfg, 0);
    let rooms = ["#a", "#b", "#c"];
    let mut now = 0u64;
    let mut ids: Vec<MsgId> = Vec::new();
    for op in ops.chunks(3) {
        let [kind, room, arg] = [op[0], *op.get(1).unwrap_or(&0), *op.get(2).unwrap_or(&0)];
        let room = rooms[room as usize % rooms.len()];
        now += u64::from(kind >> 5);
        match kind % 5 {
            0 | 1 => {
                let text = "x".repeat(arg as usize);
                let line = NewLine { kind: Kind::Chat, whole: false, from: "f", text: &text };
                let id = h.append(room, room, line, now).expect("history is on").0;
                ids.push(id);
            }
            2 => h.expire(now),
            _ => {
                let r = match ids.get(arg as usize % ids.len().max(1)) {
                    Some(id) if arg & 1 == 0 => Ref::Id(*id),
                    _ => Ref::Time(now.saturating_sub(u64::from(arg))),
                };
                let query = match arg % 5 {
                    0 => Query::Latest(Some(r)),
                    1 => Query::Before(r),
                    2 => Query::After(r),
                    3 => Query::Around(r),
                    _ => Query::Between(r, Ref::Time(now)),
                };
                if let Ok(page) = h.query(room, query, 4, now) {
                    assert!(page.items.len() <= 4);
                    assert!(page.items.windows(2).all(|w| w[0].id.seq < w[1].id.seq), "{query:?}");
                }
            }
        }
        if let Err(e) = h.check() {
            panic!("{e}");
        }
    }
});
