//! Registered rooms and K-lines kept in Redis for a cluster: two hashes per
//! database, `linechat:rooms:<db>` (folded room name → the room's record
//! as JSON) and `linechat:klines:<db>` (mask → the K-line as JSON). A
//! room's first registration is an `HSETNX`, so the first claim recorded
//! in Redis wins; later changes replace the record. Each node reads both
//! hashes when its link comes up and writes its own changes; the other
//! nodes learn of them by a note. Commands as argument lists and replies
//! parsed: no socket here.

use super::redis::resp::Frame;
use crate::store::rules::{RuleChange, SavedKline, SavedRoom};

/// The hash of registered rooms in database `db`.
pub fn rooms_key(db: u32) -> String {
    format!("linechat:rooms:{db}")
}

/// The hash of K-lines in database `db`.
pub fn klines_key(db: u32) -> String {
    format!("linechat:klines:{db}")
}

fn words(parts: &[&str]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.as_bytes().to_vec()).collect()
}

/// The command writing `change`; `first`: a room's registration, written
/// only if no node registered it before (`HSETNX`, answered 1 or 0).
pub fn write(db: u32, change: &RuleChange, first: bool) -> Vec<Vec<u8>> {
    match change {
        RuleChange::Room { key, room: Some(r) } => {
            words(&[if first { "HSETNX" } else { "HSET" }, &rooms_key(db), key, &r.to_json()])
        }
        RuleChange::Room { key, room: None } => words(&["HDEL", &rooms_key(db), key]),
        RuleChange::Kline { mask, kline: Some(k) } => words(&["HSET", &klines_key(db), mask, &k.to_json()]),
        RuleChange::Kline { mask, kline: None } => words(&["HDEL", &klines_key(db), mask]),
    }
}

/// `HGET`: one room's record (after a claim that lost).
pub fn read_room(db: u32, key: &str) -> Vec<Vec<u8>> {
    words(&["HGET", &rooms_key(db), key])
}

/// `HGETALL` of the rooms, and of the K-lines.
pub fn load(db: u32) -> [Vec<Vec<u8>>; 2] {
    [words(&["HGETALL", &rooms_key(db)]), words(&["HGETALL", &klines_key(db)])]
}

fn text(f: &Frame) -> Option<String> {
    f.as_bytes().and_then(|b| std::str::from_utf8(b).ok()).map(str::to_string)
}

/// An `HGETALL` reply as changes (malformed values skipped); `rooms`:
/// the rooms' hash, else the K-lines'. `None` when not an array.
pub fn parse_all(frame: &Frame, rooms: bool) -> Option<Vec<RuleChange>> {
    let Frame::Array(Some(items)) = frame else { return None };
    Some(
        items
            .chunks(2)
            .filter_map(|pair| {
                let [k, v] = pair else { return None };
                let (key, value) = (text(k)?, text(v)?);
                Some(if rooms {
                    RuleChange::Room { key, room: Some(SavedRoom::from_json(&value)?) }
                } else {
                    RuleChange::Kline { mask: key, kline: Some(SavedKline::from_json(&value)?) }
                })
            })
            .collect(),
    )
}

/// An `HGET` reply: the room's record (`None`: none, or malformed).
pub fn parse_room(frame: &Frame) -> Option<SavedRoom> {
    SavedRoom::from_json(&text(frame)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room() -> SavedRoom {
        SavedRoom { name: "#Rust".into(), founder: "alice".into(), created_ms: 1, ..SavedRoom::default() }
    }

    #[test]
    fn changes_become_commands_and_replies_become_changes() {
        let save = RuleChange::Room { key: "#rust".into(), room: Some(room()) };
        assert_eq!(write(3, &save, true)[..3], words(&["HSETNX", "linechat:rooms:3", "#rust"])[..]);
        assert_eq!(write(3, &save, false)[0], b"HSET");
        let drop = RuleChange::Room { key: "#rust".into(), room: None };
        assert_eq!(write(0, &drop, false), words(&["HDEL", "linechat:rooms:0", "#rust"]));
        let lift = RuleChange::Kline { mask: "1.2.3.4".into(), kline: None };
        assert_eq!(write(0, &lift, false), words(&["HDEL", "linechat:klines:0", "1.2.3.4"]));
        let bulk = |s: &str| Frame::Bulk(Some(s.as_bytes().to_vec()));
        let reply = Frame::Array(Some(vec![bulk("#rust"), bulk(&room().to_json()), bulk("#bad"), bulk("{")]));
        assert_eq!(parse_all(&reply, true), Some(vec![save]));
        assert_eq!(parse_all(&Frame::Integer(1), true), None);
        assert_eq!(parse_room(&bulk(&room().to_json())), Some(room()));
        assert_eq!(parse_room(&Frame::Bulk(None)), None);
    }
}
