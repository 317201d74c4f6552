//! Tests of the store's durability states with a real storage thread: what output waits for, the brief read pause and `--db-backlog`.

use std::time::{Duration, Instant};

use super::*;

fn said(store: &mut Store, text: &str) {
    let line = NewLine { kind: history::Kind::Chat, whole: false, from: "alice", text };
    store.record("#rust", "#rust", line, crate::clock::unix_ms()).unwrap();
}

/// Waits on the store's Waker (an event, not a sleep) until a commit
/// is reported; returns the epoch released.
fn commit(store: &mut Store, poll: &mut mio::Poll) -> u64 {
    let mut events = mio::Events::with_capacity(4);
    loop {
        if let Some(epoch) = store.committed() {
            return epoch;
        }
        poll.poll(&mut events, Some(Duration::from_secs(10))).unwrap();
        assert!(!events.is_empty(), "no commit in 10 s");
    }
}

#[test]
fn output_waits_for_its_batch_reads_pause_briefly_and_past_the_backlog() {
    let dir = std::env::temp_dir().join(format!("linechat-durability-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = StoreConfig {
        history: HistoryConfig::default(),
        db: Some(dir.join("d.db")),
        sync: DbSync::Normal,
        backlog: 3,
        hash_cost: HashCost::CHEAP,
    };
    let mut store = Store::open(&cfg, crate::clock::unix_ms()).unwrap();
    let mut poll = mio::Poll::new().unwrap();
    store.start(poll.registry()).unwrap();
    // Another writer holds the file: the storage thread waits for it
    // (SQLite's busy timeout), so a batch stays in flight until it lets go.
    let blocker = rusqlite::Connection::open(dir.join("d.db")).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let t0 = Instant::now();
    // Nothing said: nothing waits.
    assert_eq!(store.turn(t0), Durability::default());
    // A line: its batch (epoch 1) goes to the thread; output waits for
    // it, and reads pause briefly.
    said(&mut store, "one");
    assert_eq!(store.turn(t0), Durability { wait_for: Some(1), released: None, behind: true });
    assert_eq!(store.next_wake(), Some(t0 + COMMIT_WAIT));
    // Past the brief wait, reads go on while the batch is committed,
    // and lines said meanwhile gather into epoch 2...
    let later = t0 + COMMIT_WAIT;
    said(&mut store, "two");
    assert_eq!(store.turn(later), Durability { wait_for: Some(2), released: None, behind: false });
    // ... until the backlog (3 lines) is reached: reads pause.
    said(&mut store, "three");
    said(&mut store, "four");
    assert_eq!(store.turn(later), Durability { wait_for: Some(2), released: None, behind: true });
    blocker.execute_batch("COMMIT").unwrap();
    assert_eq!(commit(&mut store, &mut poll), 1);
    // Epoch 1 committed: the turn hands over epoch 2, which the loop's
    // output now waits for; reads pause briefly again.
    assert_eq!(store.turn(later), Durability { wait_for: Some(2), released: None, behind: true });
    assert_eq!(commit(&mut store, &mut poll), 2);
    assert_eq!(store.turn(later + COMMIT_WAIT), Durability::default());
    assert_eq!(store.next_wake(), None);
    let lines: i64 = blocker.query_row("SELECT count(*) FROM lines", [], |r| r.get(0)).unwrap();
    assert_eq!(lines, 4);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}
