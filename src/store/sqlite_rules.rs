//! The file's part of the rules (`rules.rs`): registered rooms with their
//! operators and bans, and K-lines, in four tables (schema in
//! docs/PROTOCOL.md). Written by the storage thread in the turn's
//! transaction, read back at start-up. A room's record is written whole:
//! its rows of access and bans are replaced at each change (changes are
//! rare; reads never touch the file).

use rusqlite::{params, Connection, Transaction};

use super::rules::{RuleChange, SavedBan, SavedKline, SavedRoom, SavedRules};

pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS registered_rooms (
    room TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    founder TEXT NOT NULL,
    created INTEGER NOT NULL,
    modes TEXT NOT NULL DEFAULT '',
    room_key TEXT,
    room_limit INTEGER,
    topic TEXT NOT NULL DEFAULT '',
    topic_by TEXT NOT NULL DEFAULT '',
    topic_at INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS room_access (
    room TEXT NOT NULL,
    account TEXT NOT NULL,
    rank INTEGER NOT NULL,
    PRIMARY KEY (room, account)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS room_bans (
    room TEXT NOT NULL,
    mask TEXT NOT NULL,
    mute INTEGER NOT NULL,
    set_by TEXT NOT NULL,
    set_at INTEGER NOT NULL,
    until INTEGER,
    reason TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (room, mask, mute)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS klines (
    mask TEXT PRIMARY KEY,
    set_by TEXT NOT NULL,
    set_at INTEGER NOT NULL,
    until INTEGER,
    reason TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
";

fn opt(v: Option<u64>) -> Option<i64> {
    v.map(|v| v as i64)
}

/// Writes the turn's rule changes.
pub fn write(tx: &Transaction, changes: &[RuleChange]) -> rusqlite::Result<()> {
    for change in changes {
        match change {
            RuleChange::Room { key, room } => {
                for table in ["registered_rooms", "room_access", "room_bans"] {
                    tx.prepare_cached(&format!("DELETE FROM {table} WHERE room = ?1"))?.execute([key])?;
                }
                let Some(r) = room else { continue };
                tx.prepare_cached(
                    "INSERT INTO registered_rooms (room, name, founder, created, modes, room_key, room_limit,
                     topic, topic_by, topic_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )?
                .execute(params![
                    key,
                    r.name,
                    r.founder,
                    r.created_ms as i64,
                    r.modes,
                    r.key,
                    opt(r.limit),
                    r.topic,
                    r.topic_by,
                    r.topic_at as i64
                ])?;
                let mut access = tx.prepare_cached(
                    "INSERT OR REPLACE INTO room_access (room, account, rank) VALUES (?1, ?2, ?3)",
                )?;
                for (account, rank) in &r.access {
                    access.execute(params![key, account, *rank as i64])?;
                }
                let mut ban = tx.prepare_cached(
                    "INSERT OR REPLACE INTO room_bans (room, mask, mute, set_by, set_at, until, reason)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?;
                for b in &r.bans {
                    ban.execute(params![
                        key,
                        b.mask,
                        b.mute,
                        b.by,
                        b.set_ms as i64,
                        opt(b.until_ms),
                        b.reason
                    ])?;
                }
            }
            RuleChange::Kline { mask, kline } => {
                tx.prepare_cached("DELETE FROM klines WHERE mask = ?1")?.execute([mask])?;
                if let Some(k) = kline {
                    tx.prepare_cached(
                        "INSERT INTO klines (mask, set_by, set_at, until, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
                    )?
                    .execute(params![k.mask, k.by, k.set_ms as i64, opt(k.until_ms), k.reason])?;
                }
            }
        }
    }
    Ok(())
}

fn get_opt(r: &rusqlite::Row, i: usize) -> rusqlite::Result<Option<u64>> {
    Ok(r.get::<_, Option<i64>>(i)?.map(|v| v as u64))
}

/// Reads every registered room and K-line back (those past their end are
/// left out); returns (rooms, K-lines) read.
pub fn load(conn: &Connection, rules: &mut SavedRules, now_ms: u64) -> rusqlite::Result<(usize, usize)> {
    let mut rooms = conn.prepare(
        "SELECT room, name, founder, created, modes, room_key, room_limit, topic, topic_by, topic_at
         FROM registered_rooms",
    )?;
    let rooms = rooms.query_map([], |r| {
        let room = SavedRoom {
            name: r.get(1)?,
            founder: r.get(2)?,
            created_ms: r.get::<_, i64>(3)? as u64,
            modes: r.get(4)?,
            key: r.get(5)?,
            limit: get_opt(r, 6)?,
            topic: r.get(7)?,
            topic_by: r.get(8)?,
            topic_at: r.get::<_, i64>(9)? as u64,
            access: Vec::new(),
            bans: Vec::new(),
        };
        Ok((r.get::<_, String>(0)?, room))
    })?;
    for row in rooms {
        let (key, room) = row?;
        rules.rooms.insert(key, room);
    }
    let mut access = conn.prepare("SELECT room, account, rank FROM room_access ORDER BY room, account")?;
    let access = access
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?)))?;
    for row in access {
        let (room, account, rank) = row?;
        if let Some(r) = rules.rooms.get_mut(&room) {
            r.access.push((account, rank as u8));
        }
    }
    let mut bans = conn
        .prepare("SELECT room, mask, mute, set_by, set_at, until, reason FROM room_bans ORDER BY set_at")?;
    let bans = bans.query_map([], |r| {
        let ban = SavedBan {
            mask: r.get(1)?,
            mute: r.get(2)?,
            by: r.get(3)?,
            set_ms: r.get::<_, i64>(4)? as u64,
            until_ms: get_opt(r, 5)?,
            reason: r.get(6)?,
        };
        Ok((r.get::<_, String>(0)?, ban))
    })?;
    for row in bans {
        let (room, ban) = row?;
        let live = ban.until_ms.is_none_or(|until| until > now_ms);
        if let (true, Some(r)) = (live, rules.rooms.get_mut(&room)) {
            r.bans.push(ban);
        }
    }
    let mut klines =
        conn.prepare("SELECT mask, set_by, set_at, until, reason FROM klines ORDER BY set_at")?;
    let klines = klines.query_map([], |r| {
        Ok(SavedKline {
            mask: r.get(0)?,
            by: r.get(1)?,
            set_ms: r.get::<_, i64>(2)? as u64,
            until_ms: get_opt(r, 3)?,
            reason: r.get(4)?,
        })
    })?;
    for k in klines {
        let k = k?;
        if k.until_ms.is_none_or(|until| until > now_ms) {
            rules.klines.push(k);
        }
    }
    Ok((rules.rooms.len(), rules.klines.len()))
}
