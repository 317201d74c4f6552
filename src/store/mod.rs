//! The store: what linechat remembers. Room history and topics live in
//! memory (`history.rs`), where every read is answered; with `--db` they
//! are also written to one SQLite file (`sqlite.rs`) by a storage thread
//! and read back at start-up. Nothing here knows a wire format, and the
//! loop never waits on a disk.
//!
//! Durability with `--db`: the lines said while the storage thread is
//! busy are gathered into the next batch (group commit), one transaction
//! each. Batches are numbered (epochs); output queued while an epoch's
//! lines are not yet in the file waits for that epoch ([`Durability`],
//! `Outbox::wait_for` and `Outbox::release`), while the loop goes on
//! reading and serving: a line reaches its readers only once it is in the
//! file, so after `kill -9` every line anyone received comes back. Past
//! `--db-backlog` lines gathered, reads pause until a commit catches up.

pub mod accounts;
mod entry;
pub mod history;
pub mod ids;
pub mod markers;
pub mod passwords;
mod ring;
pub mod rules;
#[cfg(feature = "db")]
pub mod sqlite;
#[cfg(feature = "db")]
mod sqlite_rules;

use std::path::PathBuf;

use accounts::{AccountChange, Accounts};
use history::{Entry, History, HistoryConfig, MsgId, NewLine};
use passwords::{HashCost, Hasher};

/// How often rooms nobody speaks in are swept for lines past `--history-age`.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// The waker token of the storage and password threads (beside the
/// cluster's link tokens).
pub const STORE_TOKEN: mio::Token = mio::Token(crate::net::LINK_TOKENS + 8);

/// `--db-sync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbSync {
    /// SQLite WAL `synchronous=NORMAL`: survives the process dying.
    Normal,
    /// `synchronous=FULL`: survives power loss too.
    Full,
}

/// The store's settings.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    pub history: HistoryConfig,
    /// `--db`.
    pub db: Option<PathBuf>,
    pub sync: DbSync,
    /// `--db-backlog`.
    pub backlog: usize,
    /// What hashing a password costs (OWASP's argon2id outside tests).
    pub hash_cost: HashCost,
}

/// A line on its way to the file.
#[derive(Debug, Clone)]
pub struct Row {
    /// The room's folded name.
    pub key: String,
    /// As spelled.
    pub name: String,
    pub entry: Entry,
}

/// Counters for metrics.
#[derive(Debug, Default, Clone)]
pub struct StoreStats {
    /// Lines committed to the file.
    pub committed: u64,
    /// Batches committed.
    pub batches: u64,
    /// Lines the file refused (kept in memory only).
    pub failed: u64,
    /// The longest commit, and all commits together.
    pub commit_max: std::time::Duration,
    pub commit_total: std::time::Duration,
}

/// What one transaction writes: a turn's lines and account changes.
#[derive(Debug, Default)]
pub struct Batch {
    pub rows: Vec<Row>,
    pub accounts: Vec<AccountChange>,
    /// Lines made tombstones: (room key, seq).
    pub deleted: Vec<(String, u64)>,
    /// Read markers moved.
    pub markers: Vec<markers::MarkerRow>,
    /// Reactions kept: (room key, seq, nick, emoji).
    pub reactions: Vec<(String, u64, String, String)>,
    /// Registered rooms and K-lines changed.
    pub rules: Vec<rules::RuleChange>,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
            && self.accounts.is_empty()
            && self.deleted.is_empty()
            && self.markers.is_empty()
            && self.reactions.is_empty()
            && self.rules.is_empty()
    }
}

/// How long reads pause after a batch is handed over, unless it is
/// committed sooner. A commit usually takes a fraction of a millisecond:
/// waiting for it lets its lines go out before new ones are read, as
/// without `--db` (on one core, it also lets the storage thread run).
/// A slower commit (a checkpoint, an fsync) does not stall reading longer:
/// the loop goes on reading and the output waits, fenced, until
/// `--db-backlog` lines are gathered.
#[cfg(feature = "db")]
const COMMIT_WAIT: std::time::Duration = std::time::Duration::from_millis(2);

/// What waits for the storage thread, and whether a batch is in flight.
/// Batches are numbered (epochs): the one in flight is `sent`, the one
/// being gathered `sent + 1`; output that may carry their lines waits for
/// their commit ([`Durability`]).
#[cfg(feature = "db")]
struct Disk {
    db: Option<sqlite::Db>,
    thread: Option<sqlite::DiskThread>,
    pending: Batch,
    in_flight: bool,
    sent: u64,
    /// When the batch in flight was handed over (the loop's clock).
    sent_at: Option<std::time::Instant>,
    /// `--db-backlog`: lines gathered past it while a batch is in flight
    /// stop the loop's reads until that batch is committed.
    backlog: usize,
}

/// Where durability stands at the end of a turn (or after a commit), for
/// the loop: what output queued now waits for, which epochs are durable,
/// and whether reads must pause.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Durability {
    /// Output queued now may carry lines of this epoch.
    pub wait_for: Option<u64>,
    /// Epochs up to this one are committed (or failed, and stay in memory).
    pub released: Option<u64>,
    /// Read nothing new: a batch was just handed over (for at most
    /// [`COMMIT_WAIT`]), or `--db-backlog` lines wait for the thread.
    pub behind: bool,
}

/// History, topics and accounts, in memory and (with `--db`) in a file;
/// and the thread that hashes passwords.
pub struct Store {
    pub history: History,
    pub accounts: Accounts,
    /// Each account's read markers.
    pub markers: markers::Markers,
    /// Registered rooms and K-lines.
    pub rules: rules::SavedRules,
    pub hasher: Hasher,
    #[cfg(feature = "db")]
    disk: Option<Disk>,
    pub stats: StoreStats,
    /// When rooms nobody speaks in are next swept for old lines (the
    /// loop's clock, so a turn reads no wall clock).
    next_sweep: Option<std::time::Instant>,
}

impl Store {
    /// History in memory only.
    pub fn memory(cfg: HistoryConfig, now_ms: u64) -> Store {
        Store {
            history: History::new(cfg, now_ms),
            accounts: Accounts::default(),
            markers: markers::Markers::default(),
            rules: rules::SavedRules::default(),
            hasher: Hasher::new(HashCost::OWASP),
            #[cfg(feature = "db")]
            disk: None,
            stats: StoreStats::default(),
            next_sweep: None,
        }
    }

    /// As `cfg` says: with `--db`, opens the file and reads it back.
    pub fn open(cfg: &StoreConfig, now_ms: u64) -> Result<Store, String> {
        let mut store = Store::memory(cfg.history.clone(), now_ms);
        store.hasher = Hasher::new(cfg.hash_cost);
        match &cfg.db {
            None => Ok(store),
            Some(path) => store.with_db(path, cfg.sync, cfg.backlog, now_ms),
        }
    }

    #[cfg(feature = "db")]
    fn with_db(
        mut self,
        path: &std::path::Path,
        sync: DbSync,
        backlog: usize,
        now_ms: u64,
    ) -> Result<Store, String> {
        let db = sqlite::Db::open(path, sync)?;
        let started = std::time::Instant::now();
        let (rooms, lines) = db.load(&mut self.history, now_ms)?;
        let accounts = db.load_accounts(&mut self.accounts)?;
        db.load_markers(&mut self.markers)?;
        db.load_reactions(&mut self.history)?;
        let (registered, klines) = db.load_rules(&mut self.rules, now_ms)?;
        log::info!(
            "--db {}: {lines} lines of {rooms} rooms and {accounts} accounts read back in {} ms",
            path.display(),
            started.elapsed().as_millis()
        );
        log::info!("--db {}: {registered} registered rooms and {klines} K-lines read back", path.display());
        self.disk = Some(Disk {
            db: Some(db),
            thread: None,
            pending: Batch::default(),
            in_flight: false,
            sent: 0,
            sent_at: None,
            backlog: backlog.max(1),
        });
        Ok(self)
    }

    #[cfg(not(feature = "db"))]
    fn with_db(self, path: &std::path::Path, _: DbSync, _: usize, _: u64) -> Result<Store, String> {
        Err(format!("--db {}: this linechat was built without SQLite (the 'db' feature)", path.display()))
    }

    /// Starts the storage thread and the password thread; both wake the
    /// loop through one `mio::Waker` (mio allows one per poll) at
    /// [`STORE_TOKEN`].
    pub fn start(&mut self, registry: &mio::Registry) -> std::io::Result<()> {
        let waker = std::sync::Arc::new(mio::Waker::new(registry, STORE_TOKEN)?);
        self.hasher.start(waker.clone())?;
        #[cfg(feature = "db")]
        if let Some(disk) = &mut self.disk {
            if let Some(db) = disk.db.take() {
                let cfg = &self.history.cfg;
                let retention =
                    sqlite::RetentionForDisk { max_lines: cfg.max_lines as u64, max_age_ms: cfg.max_age_ms };
                disk.thread = Some(db.spawn(waker, retention).map_err(std::io::Error::other)?);
            }
        }
        Ok(())
    }

    /// Records a line said in the room `key` named `name`; returns its id
    /// and time (`None`: history is off).
    pub fn record(&mut self, key: &str, name: &str, line: NewLine, now_ms: u64) -> Option<(MsgId, u64)> {
        let (id, time_ms) = self.history.append(key, name, line, now_ms)?;
        #[cfg(feature = "db")]
        if let Some(disk) = &mut self.disk {
            let entry = Entry {
                id,
                time_ms,
                kind: line.kind,
                whole: line.whole,
                from: line.from.into(),
                text: line.text.into(),
                reactions: None,
            };
            disk.pending.rows.push(Row { key: key.to_string(), name: name.to_string(), entry });
        }
        Some((id, time_ms))
    }

    /// Makes the line `id` of the room `key` a tombstone, in memory and
    /// (with `--db`) in the file with this turn's batch; false if no such
    /// line is kept.
    pub fn delete(&mut self, key: &str, id: MsgId) -> bool {
        if !self.history.delete(key, id) {
            return false;
        }
        #[cfg(feature = "db")]
        if let Some(disk) = &mut self.disk {
            disk.pending.deleted.push((key.to_string(), id.seq));
        }
        true
    }

    /// Keeps `nick`'s reaction `emoji` with the line `id` of the room `key`,
    /// in memory and (with `--db`) in the file; false if not kept.
    pub fn react(&mut self, key: &str, id: MsgId, nick: &str, emoji: &str) -> bool {
        if !self.history.react(key, id, nick, emoji) {
            return false;
        }
        #[cfg(feature = "db")]
        if let Some(disk) = &mut self.disk {
            disk.pending.reactions.push((key.to_string(), id.seq, nick.to_string(), emoji.to_string()));
        }
        true
    }

    /// Moves `account`'s read marker in `room` forward to `marker`; the
    /// marker now, and whether it moved (then, with `--db`, it goes to
    /// the file with this turn's batch).
    pub fn mark_read(
        &mut self,
        account: &str,
        room: &str,
        marker: markers::Marker,
    ) -> (markers::Marker, bool) {
        let (now, moved) = self.markers.advance(account, room, marker);
        #[cfg(feature = "db")]
        if let (true, Some(disk)) = (moved, &mut self.disk) {
            let row =
                markers::MarkerRow { account: account.to_string(), room: room.to_string(), marker: now };
            disk.pending.markers.push(row);
        }
        (now, moved)
    }

    /// An account was registered, changed or removed: with `--db` the
    /// change goes to the file with this turn's batch (and, as lines do,
    /// the reply saying so is held until it is committed).
    pub fn account_changed(&mut self, change: AccountChange) {
        #[cfg(feature = "db")]
        if let Some(disk) = &mut self.disk {
            disk.pending.accounts.push(change);
        }
        #[cfg(not(feature = "db"))]
        let _ = change;
    }

    /// A room was registered, changed or dropped, or a K-line set or
    /// lifted: kept in memory and (with `--db`) written with this turn's batch.
    pub fn rule_changed(&mut self, change: rules::RuleChange) {
        self.rules.apply(&change);
        #[cfg(feature = "db")]
        if let Some(disk) = &mut self.disk {
            disk.pending.rules.push(change);
        }
    }

    /// The end of a loop turn: takes the storage thread's answers that
    /// came meanwhile (a commit done during the turn releases its output
    /// in this turn's flush), hands the lines gathered to the thread if it
    /// is free, and sweeps old lines once a minute.
    pub fn turn(&mut self, now: std::time::Instant) -> Durability {
        let released = self.committed();
        Durability { released, ..self.hand_over(now) }
    }

    /// Hands the lines gathered to the storage thread if it is free.
    fn hand_over(&mut self, now: std::time::Instant) -> Durability {
        match self.next_sweep {
            None => self.next_sweep = Some(now + SWEEP_EVERY),
            Some(at) if now >= at => {
                self.next_sweep = Some(now + SWEEP_EVERY);
                self.history.expire(crate::clock::unix_ms());
            }
            Some(_) => {}
        }
        #[cfg(feature = "db")]
        if let Some(disk) = &mut self.disk {
            if !disk.in_flight && !disk.pending.is_empty() {
                let batch = std::mem::take(&mut disk.pending);
                let n = (batch.rows.len() + batch.accounts.len()) as u64;
                match &disk.thread {
                    Some(thread) if thread.send(batch) => {
                        disk.in_flight = true;
                        disk.sent += 1;
                        disk.sent_at = Some(now);
                    }
                    _ => self.stats.failed += n,
                }
            }
            let wait_for = if !disk.pending.is_empty() {
                Some(disk.sent + 1)
            } else {
                disk.in_flight.then_some(disk.sent)
            };
            let brief = disk.sent_at.is_some_and(|at| now < at + COMMIT_WAIT);
            if !brief {
                disk.sent_at = None; // no wake-up needed for it any more
            }
            let behind = disk.in_flight && (brief || disk.pending.rows.len() >= disk.backlog);
            return Durability { wait_for, released: None, behind };
        }
        Durability::default()
    }

    /// When reads paused for a batch just handed over resume even if it
    /// is not committed yet ([`COMMIT_WAIT`]).
    pub fn next_wake(&self) -> Option<std::time::Instant> {
        #[cfg(feature = "db")]
        if let Some(disk) = self.disk.as_ref().filter(|d| d.in_flight) {
            return disk.sent_at.map(|at| at + COMMIT_WAIT);
        }
        None
    }

    #[cfg(not(feature = "db"))]
    pub fn committed(&mut self) -> Option<u64> {
        None
    }

    /// Takes the storage thread's answers: the newest epoch committed
    /// since the last call, if any. The next batch is handed over at the
    /// turn's end ([`Store::turn`]), so that a turn's lines go in one
    /// batch and its output waits for that one alone.
    #[cfg(feature = "db")]
    pub fn committed(&mut self) -> Option<u64> {
        let mut released = None;
        if let Some(disk) = &mut self.disk {
            let mut gone = false;
            if let Some(thread) = &disk.thread {
                loop {
                    match thread.done.try_recv() {
                        Ok(done) => {
                            disk.in_flight = false;
                            released = Some(disk.sent);
                            match done {
                                Ok((n, took)) => {
                                    self.stats.committed += n as u64;
                                    self.stats.batches += 1;
                                    self.stats.commit_max = self.stats.commit_max.max(took);
                                    self.stats.commit_total += took;
                                }
                                Err(_) => self.stats.failed += 1,
                            }
                        }
                        Err(std::sync::mpsc::TryRecvError::Empty) => break,
                        Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                            // The thread is gone: nothing will be committed
                            // again; what waited goes out, kept in memory.
                            log::error!("--db: the storage thread stopped; lines are kept in memory only");
                            gone = true;
                            break;
                        }
                    }
                }
            }
            if gone {
                disk.thread = None;
                if disk.in_flight {
                    disk.in_flight = false;
                    released = Some(disk.sent);
                }
            }
        }
        released
    }

    /// `/metrics` lines of the store.
    pub fn metrics(&self, m: &mut crate::metrics::Page) {
        let (lines, bytes) = self.history.size();
        m.gauge("history_lines", "Room lines held in memory history.", lines as f64);
        m.gauge(
            "history_bytes",
            "Memory history's estimated size (--history-memory bounds it).",
            bytes as f64,
        );
        m.gauge("history_rooms", "Rooms with history in memory.", self.history.rooms() as f64);
        m.gauge("accounts", "Registered accounts.", self.accounts.len() as f64);
        m.gauge(
            "registered_rooms",
            "Rooms registered to an account (/claim).",
            self.rules.rooms.len() as f64,
        );
        m.gauge("klines", "K-lines kept (some may have expired).", self.rules.klines.len() as f64);
        m.counter(
            "password_jobs_total",
            "Passwords hashed or checked, on the password thread.",
            self.hasher.done as f64,
        );
        m.counter(
            "password_jobs_refused_total",
            "Sign-ins refused because too many passwords were being hashed at once.",
            self.hasher.refused as f64,
        );
        if !self.persistent() {
            return;
        }
        let s = &self.stats;
        m.counter("db_lines_total", "Lines committed to the --db file.", s.committed as f64);
        m.counter("db_commits_total", "Transactions committed to the --db file.", s.batches as f64);
        m.counter(
            "db_failures_total",
            "Batches the --db file refused (kept in memory only).",
            s.failed as f64,
        );
        m.counter(
            "db_commit_seconds_total",
            "Time spent committing, on the storage thread.",
            s.commit_total.as_secs_f64(),
        );
        m.gauge(
            "db_commit_max_seconds",
            "The longest commit, on the storage thread.",
            s.commit_max.as_secs_f64(),
        );
    }

    /// Does a file keep history across restarts?
    pub fn persistent(&self) -> bool {
        #[cfg(feature = "db")]
        if self.disk.is_some() {
            return true;
        }
        false
    }
}

#[cfg(all(test, feature = "db"))]
#[path = "durability_tests.rs"]
mod durability_tests;
