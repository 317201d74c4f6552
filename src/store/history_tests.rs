//! The memory history's tests: ids, paging, retention, topics.

use super::*;

const DAY: u64 = 86_400_000;

fn history(max_lines: usize, max_bytes: usize) -> History {
    History::new(HistoryConfig { max_lines, max_age_ms: 7 * DAY, max_bytes, ..Default::default() }, 1_000)
}

fn say(h: &mut History, room: &str, text: &str, now: u64) -> MsgId {
    let line = NewLine { kind: Kind::Chat, whole: false, from: "alice", text };
    h.append(&room.to_lowercase(), room, line, now).unwrap().0
}

fn texts(page: &Page) -> Vec<String> {
    page.items.iter().map(|e| e.text.to_string()).collect()
}

#[test]
fn ids_read_back_and_order_within_a_room() {
    let mut h = history(10, 1 << 20);
    let a = say(&mut h, "#Rust", "one", 5);
    let b = say(&mut h, "#go", "two", 5);
    let c = say(&mut h, "#rust", "three", 6);
    assert_eq!(MsgId::parse(&a.to_string()), Some(a));
    assert!(a.uniq < b.uniq && b.uniq < c.uniq, "unique across rooms");
    assert_eq!((a.seq, c.seq, b.seq), (1, 2, 1), "seq counts lines of its room");
    assert_ne!(a.to_string(), b.to_string());
    for bad in ["", "x", "1-2", "1-0-3", "1-2-3-4", "zz-1-1", "1-1-100000000"] {
        assert_eq!(MsgId::parse(bad), None, "{bad}");
    }
}

#[test]
fn pages_by_id_and_time() {
    let mut h = history(100, 1 << 20);
    let ids: Vec<MsgId> = (0..10).map(|i| say(&mut h, "#r", &i.to_string(), 100 + i)).collect();
    let q = |h: &mut History, q, n| texts(&h.query("#r", q, n, 200).unwrap());
    assert_eq!(q(&mut h, Query::Latest(None), 3), ["7", "8", "9"]);
    assert_eq!(q(&mut h, Query::Before(Ref::Id(ids[5])), 2), ["3", "4"]);
    assert_eq!(q(&mut h, Query::After(Ref::Id(ids[5])), 2), ["6", "7"]);
    assert_eq!(q(&mut h, Query::After(Ref::Id(ids[9])), 2), Vec::<String>::new());
    assert_eq!(q(&mut h, Query::Around(Ref::Id(ids[5])), 4), ["3", "4", "5", "6"]);
    assert_eq!(q(&mut h, Query::Latest(Some(Ref::Id(ids[7]))), 5), ["8", "9"]);
    assert_eq!(q(&mut h, Query::Between(Ref::Id(ids[1]), Ref::Id(ids[6])), 3), ["2", "3", "4"]);
    assert_eq!(q(&mut h, Query::Between(Ref::Id(ids[6]), Ref::Id(ids[1])), 3), ["3", "4", "5"]);
    assert_eq!(q(&mut h, Query::Before(Ref::Time(103)), 10), ["0", "1", "2"]);
    assert_eq!(q(&mut h, Query::After(Ref::Time(107)), 10), ["8", "9"]);
    assert_eq!(q(&mut h, Query::Between(Ref::Time(101), Ref::Time(104)), 10), ["2", "3"]);
    let page = h.query("#r", Query::Latest(None), 3, 200).unwrap();
    assert_eq!(page.room, "#r");
    assert!(page.complete);
}

#[test]
fn unknown_ids_are_refused_and_dropped_ones_are_gaps() {
    let mut h = history(3, 1 << 20);
    let ids: Vec<MsgId> = (0..6).map(|i| say(&mut h, "#r", &i.to_string(), 100 + i)).collect();
    let other = say(&mut h, "#other", "x", 100);
    assert_eq!(h.query("#r", Query::After(Ref::Id(other)), 5, 200).unwrap_err(), QueryError::UnknownId);
    let future = MsgId { seq: 99, ..ids[0] };
    assert_eq!(h.query("#r", Query::After(Ref::Id(future)), 5, 200).unwrap_err(), QueryError::UnknownId);
    let forged = MsgId { uniq: 7, ..ids[4] };
    assert_eq!(h.query("#r", Query::After(Ref::Id(forged)), 5, 200).unwrap_err(), QueryError::UnknownId);
    // ids[0] was dropped (3 lines kept): still valid, the answer starts
    // at the oldest kept line and says it is not complete.
    let page = h.query("#r", Query::After(Ref::Id(ids[0])), 5, 200).unwrap();
    assert_eq!((texts(&page), page.complete), (vec!["3".into(), "4".into(), "5".into()], false));
    let page = h.query("#r", Query::After(Ref::Id(ids[2])), 5, 200).unwrap();
    assert!(page.complete, "nothing after 2 was dropped");
    let page = h.query("#r", Query::Before(Ref::Id(ids[3])), 5, 200).unwrap();
    assert!(page.items.is_empty() && !page.complete);
    let page = h.query("#r", Query::Before(Ref::Id(ids[5])), 5, 200).unwrap();
    assert!(page.complete);
}

#[test]
fn age_and_memory_bounds() {
    let mut h = history(100, 1 << 20);
    say(&mut h, "#old", "a", 1_000);
    say(&mut h, "#r", "b", 1_000 + 6 * DAY);
    say(&mut h, "#r", "c", 1_000 + 8 * DAY);
    assert_eq!(texts(&h.query("#r", Query::Latest(None), 10, 1_000 + 8 * DAY).unwrap()), ["b", "c"]);
    assert_eq!(texts(&h.query("#r", Query::Latest(None), 10, 1_000 + 14 * DAY).unwrap()), ["c"]);
    assert_eq!(h.rooms(), 2, "#old is swept later");
    h.expire(1_000 + 8 * DAY);
    assert_eq!(h.rooms(), 1);

    let text = "x".repeat(100);
    let one = Entry {
        id: MsgId { seq: 1, uniq: 1, room: 1 },
        time_ms: 0,
        kind: Kind::Chat,
        whole: false,
        from: "alice".into(),
        text: text.clone().into(),
        reactions: None,
    }
    .cost();
    let mut h = history(1000, one * 50);
    for i in 0..40 {
        say(&mut h, "#big", &text, 10 + i);
    }
    for i in 0..10 {
        say(&mut h, "#small", &text, 60 + i);
    }
    say(&mut h, "#small", &text, 100);
    let (lines, bytes) = h.size();
    assert!(bytes <= one * 50, "within the budget");
    assert_eq!(
        h.query("#small", Query::Latest(None), 100, 200).unwrap().items.len(),
        11,
        "the largest room pays"
    );
    assert!(lines < 51);
    let page = h.query("#big", Query::Latest(None), 100, 200).unwrap();
    assert!(page.items.len() < 40);
    assert!(page.items.first().unwrap().id.seq > 1, "its oldest went first");
}

#[test]
fn topics_are_kept_and_history_off_keeps_nothing() {
    let mut h = history(10, 1 << 20);
    let line = NewLine { kind: Kind::Topic, whole: false, from: "bob", text: "Rust and more" };
    h.append("#rust", "#Rust", line, 5_000).unwrap();
    assert_eq!(h.topic("#rust").unwrap().text, "Rust and more");
    assert_eq!(h.topic("#rust").unwrap().by, "bob");
    let mut off = history(0, 1 << 20);
    assert!(off.append("#rust", "#rust", line, 5).is_none());
    assert_eq!(off.rooms(), 0);
}

#[test]
fn a_deleted_line_becomes_a_tombstone_that_still_pages() {
    let mut h = history(10, 1 << 20);
    let ids: Vec<MsgId> = ["one", "two", "three"].iter().map(|t| say(&mut h, "#r", t, 2_000)).collect();
    let before = h.size();
    assert!(h.delete("#r", ids[1]));
    assert!(!h.delete("#r", ids[1]), "already a tombstone");
    assert!(h.size().1 < before.1, "its text no longer counts");
    let gone = h.entry("#r", ids[1]).unwrap();
    assert_eq!((gone.kind, &*gone.from, &*gone.text), (Kind::Deleted, "", ""));
    // Still a reference for paging, and still in pages.
    let page = h.query("#r", Query::After(Ref::Id(ids[1])), 10, 2_000).unwrap();
    assert_eq!(page.items.len(), 1);
    assert!(page.complete);
    assert_eq!(h.query("#r", Query::Latest(None), 10, 2_000).unwrap().items.len(), 3);
    assert!(!h.delete("#nowhere", ids[0]));
}
