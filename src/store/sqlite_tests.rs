//! Tests of the SQLite file: lines, topics, accounts and tombstones coming back; the WAL checkpointed after commits.

use super::*;
use crate::store::history::{HistoryConfig, NewLine, Query};

/// A line bob says in the room (folded key, name) at `time_ms`, kept in
/// `h` and as the row the storage thread writes.
fn said(h: &mut History, (key, name): (&str, &str), kind: Kind, text: &str, time_ms: u64) -> Row {
    let line = NewLine { kind, whole: false, from: "bob", text };
    let (id, time_ms) = h.append(key, name, line, time_ms).unwrap();
    let entry =
        Entry { id, time_ms, kind, whole: false, from: "bob".into(), text: text.into(), reactions: None };
    Row { key: key.into(), name: name.into(), entry }
}

fn cfg() -> HistoryConfig {
    HistoryConfig { max_lines: 3, ..Default::default() }
}

#[test]
fn the_storage_thread_checkpoints_the_wal_after_commits_so_it_stays_small() {
    let path = std::env::temp_dir().join(format!("linechat-wal-{}.db", std::process::id()));
    let wal = path.with_extension("db-wal");
    let _ = std::fs::remove_file(&path);
    let db = Db::open(&path, DbSync::Normal).unwrap();
    let poll = mio::Poll::new().unwrap();
    let waker = Arc::new(mio::Waker::new(poll.registry(), mio::Token(0)).unwrap());
    let retention = RetentionForDisk { max_lines: 1_000_000, max_age_ms: 86_400_000 };
    let thread = db.spawn(waker, retention).unwrap();
    let now = crate::clock::unix_ms();
    let mut h = History::new(HistoryConfig::default(), now);
    let text = "x".repeat(1000);
    // 40 batches of 500 lines of 1 KB: 20 MB of pages through the WAL.
    for batch_no in 0..40u64 {
        let mut rows = Vec::new();
        for i in 0..500 {
            rows.push(said(&mut h, ("#big", "#big"), Kind::Chat, &text, now + batch_no * 500 + i));
        }
        assert!(thread.send(Batch { rows, ..Batch::default() }));
        let (n, _) = thread.done.recv().unwrap().unwrap();
        assert_eq!(n, 500);
    }
    let wal_bytes = std::fs::metadata(&wal).unwrap().len();
    assert!(wal_bytes < 8 << 20, "the WAL was checkpointed and started over: {wal_bytes} bytes");
    drop(thread);
    let conn = Connection::open(&path).unwrap();
    let n: i64 = conn.query_row("SELECT count(*) FROM lines", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 20_000);
    drop(conn);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn lines_and_topics_come_back_and_rooms_are_cut_to_their_bound() {
    let dir = std::env::temp_dir().join(format!("linechat-db-{}", std::process::id()));
    let _ = std::fs::remove_file(&dir);
    let mut db = Db::open(&dir, DbSync::Normal).unwrap();
    let mut h = History::new(cfg(), 1_000);
    let mut rows = Vec::new();
    for (i, text) in ["a", "b", "c", "d"].iter().enumerate() {
        let kind = if i == 3 { Kind::Topic } else { Kind::Chat };
        rows.push(said(&mut h, ("#rust", "#Rust"), kind, text, 2_000 + i as u64));
    }
    let retention = RetentionForDisk { max_lines: 3, max_age_ms: 86_400_000 };
    let batch = Batch { rows: rows.clone(), ..Batch::default() };
    assert_eq!(commit(&mut db.conn, &batch, retention, &mut HashMap::new()).unwrap(), 4);
    assert_eq!(topic_of(&db.conn, "#rust").as_deref(), Some("d"));
    let n: i64 = db.conn.query_row("SELECT count(*) FROM lines", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 3, "cut to --history");

    let mut again = History::new(cfg(), 0);
    assert_eq!(db.load(&mut again, 3_000).unwrap(), (1, 3));
    let page = again.query("#rust", Query::Latest(None), 10, 3_000).unwrap();
    let texts: Vec<&str> = page.items.iter().map(|e| &*e.text).collect();
    assert_eq!(texts, ["b", "c", "d"]);
    assert_eq!(page.items[0].id, rows[1].entry.id, "ids survive");
    assert_eq!(page.room, "#Rust");
    assert_eq!(again.topic("#rust").unwrap().by, "bob");
    // A deleted line stays as a tombstone in the file too.
    let gone = Batch { deleted: vec![("#rust".into(), rows[2].entry.id.seq)], ..Batch::default() };
    commit(&mut db.conn, &gone, retention, &mut HashMap::new()).unwrap();
    let mut third = History::new(cfg(), 0);
    db.load(&mut third, 3_000).unwrap();
    let page = third.query("#rust", Query::Latest(None), 10, 3_000).unwrap();
    assert_eq!((page.items[1].kind, &*page.items[1].text, &*page.items[1].from), (Kind::Deleted, "", ""));
    assert_eq!(page.items[1].id, rows[2].entry.id);
    let next = again.append(
        "#rust",
        "#Rust",
        NewLine { kind: Kind::Chat, whole: false, from: "x", text: "e" },
        4_000,
    );
    let next = next.unwrap().0;
    assert_eq!(next.seq, 5);
    assert!(next.uniq > rows[3].entry.id.uniq);

    let mut accounts = Accounts::default();
    let alice = Account {
        name: "Alice".into(),
        hash: "$argon2id$h".into(),
        certfps: vec!["ab".into(), "cd".into()],
        created_ms: 7,
    };
    let saved = Batch {
        rows: Vec::new(),
        accounts: vec![accounts.save("alice", alice.clone()), accounts.save("bob", alice.clone())],
        ..Batch::default()
    };
    commit(&mut db.conn, &saved, retention, &mut HashMap::new()).unwrap();
    let dropped = Batch { accounts: vec![accounts.remove("bob").unwrap()], ..Batch::default() };
    commit(&mut db.conn, &dropped, retention, &mut HashMap::new()).unwrap();
    let mut back = Accounts::default();
    assert_eq!(db.load_accounts(&mut back).unwrap(), 1);
    assert_eq!(back.get("alice"), Some(&alice));
    db.conn.execute("DELETE FROM lines", []).unwrap();
    drop(db);
    let _ = std::fs::remove_file(&dir);
}
