//! `--db FILE`: history and topics in one SQLite file, owned by one
//! storage thread. The loop hands it each turn's lines as one batch and
//! goes on serving; the thread commits the batch in one transaction and
//! wakes the loop through its `mio::Waker`, as Redis's background threads
//! do. The same thread checkpoints the WAL into the file once it holds
//! [`CHECKPOINT_PAGES`], after the loop has been told of the commit rather
//! than inside it, so no line waits for a checkpoint's copying and
//! syncing (the next batch does, while the loop reads on). At start-up (before the
//! loop runs) the file is read back into the memory history. The schema is
//! in docs/PROTOCOL.md.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;

use log::{error, info};
use rusqlite::{params, Connection};

use super::accounts::{Account, AccountChange, Accounts};
use super::history::{Entry, History, Kind, MsgId, SavedTopic};
use super::markers::{Marker, MarkerRow, Markers};
use super::{Batch, DbSync, Row};

/// How often (in committed batches at least a second apart) lines past
/// `--history-age` are deleted from the file.
const AGE_SWEEP_MS: u64 = 60_000;

/// Pages in the WAL past which it is checkpointed into the file (SQLite's
/// own default for its automatic checkpoints, which run inside a commit).
const CHECKPOINT_PAGES: i32 = 1000;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS lines (
    room TEXT NOT NULL,
    seq INTEGER NOT NULL,
    uniq INTEGER NOT NULL,
    time INTEGER NOT NULL,
    kind TEXT NOT NULL,
    whole INTEGER NOT NULL,
    nick TEXT NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (room, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rooms (
    room TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    topic TEXT NOT NULL DEFAULT '',
    topic_by TEXT NOT NULL DEFAULT '',
    topic_at INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS reactions (
    room TEXT NOT NULL,
    seq INTEGER NOT NULL,
    nick TEXT NOT NULL,
    emoji TEXT NOT NULL,
    PRIMARY KEY (room, seq, nick, emoji)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS read_markers (
    account TEXT NOT NULL,
    room TEXT NOT NULL,
    time INTEGER NOT NULL,
    id TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (account, room)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS accounts (
    account TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    hash TEXT NOT NULL,
    certfps TEXT NOT NULL DEFAULT '',
    created INTEGER NOT NULL
) WITHOUT ROWID;
";

/// An open database file, before its thread starts.
pub struct Db {
    conn: Connection,
}

fn sql(e: rusqlite::Error) -> String {
    e.to_string()
}

impl Db {
    /// Opens (creating if missing) the file at `path`.
    pub fn open(path: &Path, sync: DbSync) -> Result<Db, String> {
        let conn = Connection::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(sql)?;
        let sync = match sync {
            DbSync::Normal => "NORMAL",
            DbSync::Full => "FULL",
        };
        conn.pragma_update(None, "synchronous", sync).map_err(sql)?;
        // The WAL file is cut back to this after each checkpoint.
        conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024).map_err(sql)?;
        // A deleted line's text is overwritten where that costs no extra
        // writes, rather than left in free space.
        conn.pragma_update(None, "secure_delete", "FAST").map_err(sql)?;
        conn.execute_batch(SCHEMA).map_err(|e| format!("{}: {e}", path.display()))?;
        conn.execute_batch(super::sqlite_rules::SCHEMA).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Db { conn })
    }

    /// Reads the file back into `history`: each room's newest lines within
    /// its bounds, and its topic. Returns (rooms, lines) read.
    pub fn load(&self, history: &mut History, now_ms: u64) -> Result<(usize, usize), String> {
        let cutoff = now_ms.saturating_sub(history.cfg.max_age_ms) as i64;
        let limit = history.cfg.max_lines as i64;
        if let Some(uniq) = self
            .conn
            .query_row("SELECT max(uniq) FROM lines", [], |r| r.get::<_, Option<i64>>(0))
            .map_err(sql)?
        {
            history.continue_after(uniq as u64);
        }
        let mut rooms =
            self.conn.prepare("SELECT room, name, topic, topic_by, topic_at FROM rooms").map_err(sql)?;
        let rooms: Vec<(String, String, String, String, i64)> = rooms
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .map_err(sql)?
            .collect::<Result<_, _>>()
            .map_err(sql)?;
        let mut lines = self
            .conn
            .prepare(
                "SELECT seq, uniq, time, kind, whole, nick, text FROM
                   (SELECT * FROM lines WHERE room = ?1 AND time >= ?2 ORDER BY seq DESC LIMIT ?3)
                 ORDER BY seq",
            )
            .map_err(sql)?;
        let mut count = 0;
        for (key, name, topic, by, at) in &rooms {
            let check = super::history::room_check(key);
            let rows = lines
                .query_map(params![key, cutoff, limit], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, bool>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                    ))
                })
                .map_err(sql)?;
            for row in rows {
                let (seq, uniq, time, kind, whole, nick, text) = row.map_err(sql)?;
                let entry = Entry {
                    id: MsgId { seq: seq as u64, uniq: uniq as u64, room: check },
                    time_ms: time as u64,
                    kind: Kind::from_name(&kind).unwrap_or(Kind::Chat),
                    whole,
                    from: nick.into(),
                    text: text.into(),
                    reactions: None,
                };
                history.restore(key, name, entry, now_ms);
                count += 1;
            }
            if !topic.is_empty() {
                let saved = SavedTopic { text: topic.clone(), by: by.clone(), at: *at as u64 };
                history.restore_topic(key, name, saved);
            }
        }
        Ok((rooms.len(), count))
    }

    /// Reads the accounts back; returns how many.
    pub fn load_accounts(&self, accounts: &mut Accounts) -> Result<usize, String> {
        let mut rows =
            self.conn.prepare("SELECT account, name, hash, certfps, created FROM accounts").map_err(sql)?;
        let rows = rows
            .query_map([], |r| {
                let certfps: String = r.get(3)?;
                let account = Account {
                    name: r.get(1)?,
                    hash: r.get(2)?,
                    certfps: certfps.split_whitespace().map(str::to_string).collect(),
                    created_ms: r.get::<_, i64>(4)? as u64,
                };
                Ok((r.get::<_, String>(0)?, account))
            })
            .map_err(sql)?;
        let mut count = 0;
        for row in rows {
            let (key, account) = row.map_err(sql)?;
            accounts.restore(key, account);
            count += 1;
        }
        Ok(count)
    }

    /// Reads registered rooms and K-lines back; returns how many of each.
    pub fn load_rules(
        &self,
        rules: &mut super::rules::SavedRules,
        now_ms: u64,
    ) -> Result<(usize, usize), String> {
        super::sqlite_rules::load(&self.conn, rules, now_ms).map_err(sql)
    }

    /// Reads the reactions back onto the lines `history` kept; returns how many.
    pub fn load_reactions(&self, history: &mut History) -> Result<usize, String> {
        let mut rows = self.conn.prepare("SELECT room, seq, nick, emoji FROM reactions").map_err(sql)?;
        let rows = rows
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .map_err(sql)?;
        let mut count = 0;
        for row in rows {
            let (room, seq, nick, emoji) = row.map_err(sql)?;
            count += usize::from(history.react_at(&room, seq as u64, &nick, &emoji));
        }
        Ok(count)
    }

    /// Reads the read markers back; returns how many.
    pub fn load_markers(&self, markers: &mut Markers) -> Result<usize, String> {
        let mut rows = self.conn.prepare("SELECT account, room, time, id FROM read_markers").map_err(sql)?;
        let rows = rows
            .query_map([], |r| {
                let id: String = r.get(3)?;
                Ok(MarkerRow {
                    account: r.get(0)?,
                    room: r.get(1)?,
                    marker: Marker { time_ms: r.get::<_, i64>(2)? as u64, id: MsgId::parse(&id) },
                })
            })
            .map_err(sql)?;
        let mut count = 0;
        for row in rows {
            markers.restore(row.map_err(sql)?);
            count += 1;
        }
        Ok(count)
    }

    /// Starts the storage thread; it wakes `waker` after each batch.
    pub fn spawn(self, waker: Arc<mio::Waker>, cfg: RetentionForDisk) -> Result<DiskThread, String> {
        let (batches, rx) = mpsc::channel::<Batch>();
        let (tx, done) = mpsc::channel();
        let mut conn = self.conn;
        // The WAL's size after each commit; registering this hook also
        // turns SQLite's checkpoints inside commits off (`writer` runs them).
        let wal_pages = Arc::new(AtomicI32::new(0));
        let pages = wal_pages.clone();
        conn.wal_hook(Some(move |_: &mut rusqlite::hooks::Wal, n: std::ffi::c_int| {
            pages.store(n, Ordering::Relaxed);
            Ok(())
        }))
        .map_err(sql)?;
        let handle = std::thread::Builder::new()
            .name("linechat-db".into())
            .spawn(move || writer(conn, rx, tx, waker, &wal_pages, cfg))
            .map_err(|e| e.to_string())?;
        Ok(DiskThread { batches: Some(batches), done, handle: Some(handle) })
    }
}

/// What the storage thread deletes.
#[derive(Debug, Clone, Copy)]
pub struct RetentionForDisk {
    pub max_lines: u64,
    pub max_age_ms: u64,
}

/// The storage thread, seen from the loop.
pub struct DiskThread {
    batches: Option<Sender<Batch>>,
    /// One answer per batch: how many lines it committed and how long that
    /// took, or why not.
    pub done: Receiver<Result<(usize, std::time::Duration), String>>,
    handle: Option<JoinHandle<()>>,
}

impl DiskThread {
    /// Hands over a batch; false if the thread is gone.
    pub fn send(&self, batch: Batch) -> bool {
        self.batches.as_ref().is_some_and(|b| b.send(batch).is_ok())
    }
}

impl Drop for DiskThread {
    /// Lets the thread finish what it holds, and waits for it.
    fn drop(&mut self) {
        self.batches.take();
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

fn writer(
    mut conn: Connection,
    batches: Receiver<Batch>,
    done: Sender<Result<(usize, std::time::Duration), String>>,
    waker: Arc<mio::Waker>,
    wal_pages: &AtomicI32,
    cfg: RetentionForDisk,
) {
    let mut last_sweep = 0u64;
    let mut failing = false;
    let mut checkpoint_failing = false;
    let mut rooms = HashMap::new();
    while let Ok(batch) = batches.recv() {
        let started = std::time::Instant::now();
        let result = commit(&mut conn, &batch, cfg, &mut rooms).map(|n| (n, started.elapsed())).map_err(sql);
        match &result {
            Err(e) if !failing => {
                error!(
                    "--db: could not store {} lines and {} account changes: {e} (they stay in memory only)",
                    batch.rows.len(),
                    batch.accounts.len()
                );
                failing = true;
            }
            Ok(_) if failing => {
                info!("--db: storing again");
                failing = false;
            }
            _ => {}
        }
        // The loop first: the sweep below can wait.
        if done.send(result).is_err() {
            return;
        }
        let _ = waker.wake();
        if wal_pages.load(Ordering::Relaxed) >= CHECKPOINT_PAGES {
            // Nothing else writes meanwhile, so the whole WAL is copied and
            // the next commit starts it over.
            match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                Ok(()) => {
                    wal_pages.store(0, Ordering::Relaxed);
                    checkpoint_failing = false;
                }
                Err(e) if !checkpoint_failing => {
                    error!("--db: checkpoint failed: {e} (the WAL file grows until one succeeds)");
                    checkpoint_failing = true;
                }
                Err(_) => {}
            }
        }
        let now = crate::clock::unix_ms();
        if now.saturating_sub(last_sweep) >= AGE_SWEEP_MS {
            last_sweep = now;
            let cutoff = now.saturating_sub(cfg.max_age_ms) as i64;
            if let Err(e) = conn.execute("DELETE FROM lines WHERE time < ?1", [cutoff]) {
                error!("--db: could not delete old lines: {e}");
            }
            let orphans = "DELETE FROM reactions WHERE NOT EXISTS
                 (SELECT 1 FROM lines WHERE lines.room = reactions.room AND lines.seq = reactions.seq)";
            if let Err(e) = conn.execute(orphans, []) {
                error!("--db: could not delete old reactions: {e}");
            }
        }
    }
}

/// What the storage thread knows of a room: its name as stored, and up to
/// which line the file was cut back.
#[derive(Debug, Default)]
struct RoomOnDisk {
    name: String,
    trimmed_through: u64,
}

/// One batch, one transaction: the lines, the rooms' names (when new or
/// renamed) and topics, and each touched room cut back to its newest
/// `max_lines` once an eighth of that has piled up past it (one range
/// delete then, rather than one per batch).
fn commit(
    conn: &mut Connection,
    batch: &Batch,
    cfg: RetentionForDisk,
    rooms: &mut HashMap<String, RoomOnDisk>,
) -> rusqlite::Result<usize> {
    let tx = conn.transaction()?;
    write_lines(&tx, &batch.rows, cfg, rooms)?;
    write_accounts(&tx, &batch.accounts)?;
    super::sqlite_rules::write(&tx, &batch.rules)?;
    if !batch.markers.is_empty() {
        let mut mark = tx.prepare_cached(
            "INSERT OR REPLACE INTO read_markers (account, room, time, id) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for row in &batch.markers {
            let id = row.marker.id.map(|id| id.to_string()).unwrap_or_default();
            mark.execute(params![row.account, row.room, row.marker.time_ms as i64, id])?;
        }
    }
    if !batch.reactions.is_empty() {
        let mut react = tx.prepare_cached(
            "INSERT OR IGNORE INTO reactions (room, seq, nick, emoji) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (room, seq, nick, emoji) in &batch.reactions {
            react.execute(params![room, *seq as i64, nick, emoji])?;
        }
    }
    if !batch.deleted.is_empty() {
        let mut bury = tx.prepare_cached(
            "UPDATE lines SET kind = 'deleted', nick = '', text = '' WHERE room = ?1 AND seq = ?2",
        )?;
        let mut unreact = tx.prepare_cached("DELETE FROM reactions WHERE room = ?1 AND seq = ?2")?;
        for (room, seq) in &batch.deleted {
            bury.execute(params![room, *seq as i64])?;
            unreact.execute(params![room, *seq as i64])?;
        }
    }
    tx.commit()?;
    Ok(batch.rows.len())
}

/// Registered, changed and removed accounts, whole rows.
fn write_accounts(tx: &rusqlite::Transaction, changes: &[AccountChange]) -> rusqlite::Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let mut save = tx.prepare_cached(
        "INSERT OR REPLACE INTO accounts (account, name, hash, certfps, created) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let mut drop = tx.prepare_cached("DELETE FROM accounts WHERE account = ?1")?;
    let mut unmark = tx.prepare_cached("DELETE FROM read_markers WHERE account = ?1")?;
    for change in changes {
        match change {
            AccountChange::Save { key, account: a } => {
                save.execute(params![key, a.name, a.hash, a.certfps.join(" "), a.created_ms as i64])?;
            }
            AccountChange::Drop { key } => {
                drop.execute([key])?;
                unmark.execute([key])?;
            }
        }
    }
    Ok(())
}

fn write_lines(
    tx: &rusqlite::Transaction,
    batch: &[Row],
    cfg: RetentionForDisk,
    rooms: &mut HashMap<String, RoomOnDisk>,
) -> rusqlite::Result<()> {
    {
        let mut insert = tx.prepare_cached(
            "INSERT OR IGNORE INTO lines (room, seq, uniq, time, kind, whole, nick, text)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        let mut room = tx.prepare_cached(
            "INSERT INTO rooms (room, name) VALUES (?1, ?2)
             ON CONFLICT (room) DO UPDATE SET name = excluded.name WHERE name != excluded.name",
        )?;
        let mut topic =
            tx.prepare_cached("UPDATE rooms SET topic = ?2, topic_by = ?3, topic_at = ?4 WHERE room = ?1")?;
        let mut trim = tx.prepare_cached("DELETE FROM lines WHERE room = ?1 AND seq <= ?2")?;
        let mut trim_reactions = tx.prepare_cached("DELETE FROM reactions WHERE room = ?1 AND seq <= ?2")?;
        let mut newest: HashMap<&str, u64> = HashMap::new();
        for row in batch {
            let e = &row.entry;
            let known = rooms.entry(row.key.clone()).or_default();
            if known.name != row.name {
                room.execute(params![row.key, row.name])?;
                known.name.clone_from(&row.name);
            }
            insert.execute(params![
                row.key,
                e.id.seq as i64,
                e.id.uniq as i64,
                e.time_ms as i64,
                e.kind.name(),
                e.whole,
                &*e.from,
                &*e.text
            ])?;
            if e.kind == Kind::Topic {
                let by = if e.text.is_empty() { "" } else { &*e.from };
                topic.execute(params![row.key, &*e.text, by, (e.time_ms / 1000) as i64])?;
            }
            let seq = newest.entry(row.key.as_str()).or_default();
            *seq = (*seq).max(e.id.seq);
        }
        let chunk = (cfg.max_lines / 8).max(1);
        for (key, seq) in newest {
            let Some(through) = seq.checked_sub(cfg.max_lines) else { continue };
            let known = rooms.entry(key.to_string()).or_default();
            if through >= known.trimmed_through + chunk {
                trim.execute(params![key, through as i64])?;
                trim_reactions.execute(params![key, through as i64])?;
                known.trimmed_through = through;
            }
        }
    }
    Ok(())
}

/// Reads one room's topic (for tests and tools).
#[cfg(test)]
fn topic_of(conn: &Connection, key: &str) -> Option<String> {
    conn.query_row("SELECT topic FROM rooms WHERE room = ?1", [key], |r| r.get(0)).ok()
}

#[cfg(test)]
#[path = "sqlite_tests.rs"]
mod tests;
