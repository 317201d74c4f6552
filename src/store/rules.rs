//! Rules that outlive a room and a restart: registered rooms (`/claim`:
//! the founder's account, modes, bans and mutes, operators and voices by
//! account, the topic) and the server's K-lines. Plain data, by folded
//! name: the chat core turns it into live rules and back. Kept in memory,
//! where every check reads it; with `--db` each change also goes to the
//! file with the turn's batch (`sqlite_rules.rs`); in a cluster, to Redis
//! hashes (`cluster/rules.rs`), encoded as JSON ([`SavedRoom::to_json`]).

use std::collections::HashMap;

use serde_json::{json, Value};

/// Registered rooms one server keeps, at most.
pub const MAX_REGISTERED_ROOMS: usize = 10_000;

/// Accounts with a rank one registered room remembers, at most.
pub const MAX_ACCESS: usize = 100;

/// A ban or mute of a registered room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedBan {
    /// As shown (`bob!*@*`, `~a:alice`).
    pub mask: String,
    pub by: String,
    pub set_ms: u64,
    pub until_ms: Option<u64>,
    pub reason: String,
    pub mute: bool,
}

/// A registered room.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SavedRoom {
    /// As spelled when claimed.
    pub name: String,
    /// The folded name of the account that claimed it.
    pub founder: String,
    pub created_ms: u64,
    /// The flag modes set, as letters among `imnRst`.
    pub modes: String,
    /// `+k`.
    pub key: Option<String>,
    /// `+l`.
    pub limit: Option<u64>,
    pub topic: String,
    pub topic_by: String,
    /// Unix seconds.
    pub topic_at: u64,
    /// Accounts (folded) given a rank (`OP`, `VOICE` bits) here.
    pub access: Vec<(String, u8)>,
    pub bans: Vec<SavedBan>,
}

/// A K-line, as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedKline {
    /// As shown (`1.2.3.4`, `10.0.0.0/8`).
    pub mask: String,
    pub by: String,
    pub set_ms: u64,
    pub until_ms: Option<u64>,
    pub reason: String,
}

/// A change to the rules, on its way to the file (and to Redis).
#[derive(Debug, Clone, PartialEq)]
pub enum RuleChange {
    /// A room registered or changed (`Some`: the whole record) or no longer registered.
    Room { key: String, room: Option<SavedRoom> },
    /// A K-line set (`Some`) or lifted, by its mask as shown.
    Kline { mask: String, kline: Option<SavedKline> },
}

/// Every registered room, by folded name, and every K-line.
#[derive(Debug, Default)]
pub struct SavedRules {
    pub rooms: HashMap<String, SavedRoom>,
    pub klines: Vec<SavedKline>,
}

impl SavedRules {
    /// Applies `change` (made here, read back, or told by another node).
    pub fn apply(&mut self, change: &RuleChange) {
        match change {
            RuleChange::Room { key, room: Some(room) } => {
                self.rooms.insert(key.clone(), room.clone());
            }
            RuleChange::Room { key, room: None } => {
                self.rooms.remove(key);
            }
            RuleChange::Kline { mask, kline } => {
                self.klines.retain(|k| !k.mask.eq_ignore_ascii_case(mask));
                self.klines.extend(kline.clone());
            }
        }
    }
}

fn opt_u64(v: &Value) -> Option<u64> {
    v.as_u64()
}

fn text(v: &Value, field: &str) -> String {
    v[field].as_str().unwrap_or_default().to_string()
}

impl SavedBan {
    fn to_json(&self) -> Value {
        json!({"mask": self.mask, "by": self.by, "set_ms": self.set_ms, "until_ms": self.until_ms,
               "reason": self.reason, "mute": self.mute})
    }

    fn from_json(v: &Value) -> Option<SavedBan> {
        Some(SavedBan {
            mask: v["mask"].as_str().filter(|m| !m.is_empty())?.to_string(),
            by: text(v, "by"),
            set_ms: v["set_ms"].as_u64()?,
            until_ms: opt_u64(&v["until_ms"]),
            reason: text(v, "reason"),
            mute: v["mute"].as_bool()?,
        })
    }
}

impl SavedRoom {
    /// As a Redis hash value and a note carry it.
    pub fn to_json(&self) -> String {
        let access: Vec<Value> = self.access.iter().map(|(a, rank)| json!([a, rank])).collect();
        let bans: Vec<Value> = self.bans.iter().map(SavedBan::to_json).collect();
        json!({"name": self.name, "founder": self.founder, "created_ms": self.created_ms,
               "modes": self.modes, "key": self.key, "limit": self.limit, "topic": self.topic,
               "topic_by": self.topic_by, "topic_at": self.topic_at, "access": access, "bans": bans})
        .to_string()
    }

    /// From [`SavedRoom::to_json`]'s text; `None` when malformed or
    /// without a founder.
    pub fn from_json(raw: &str) -> Option<SavedRoom> {
        Self::parse(raw).filter(|r| !r.founder.is_empty())
    }

    /// A room's live rules as a cluster note carries them (any room: no founder needed).
    pub fn live_from_json(raw: &str) -> Option<SavedRoom> {
        Self::parse(raw)
    }

    fn parse(raw: &str) -> Option<SavedRoom> {
        let v: Value = serde_json::from_str(raw).ok()?;
        let access = v["access"].as_array()?;
        let access = access
            .iter()
            .map(|a| Some((a[0].as_str()?.to_string(), u8::try_from(a[1].as_u64()?).ok()?)))
            .collect::<Option<Vec<_>>>()?;
        let bans = v["bans"].as_array()?.iter().map(SavedBan::from_json).collect::<Option<Vec<_>>>()?;
        Some(SavedRoom {
            name: v["name"].as_str().filter(|n| n.starts_with('#'))?.to_string(),
            founder: v["founder"].as_str()?.to_string(),
            created_ms: v["created_ms"].as_u64()?,
            modes: text(&v, "modes"),
            key: v["key"].as_str().map(str::to_string),
            limit: opt_u64(&v["limit"]),
            topic: text(&v, "topic"),
            topic_by: text(&v, "topic_by"),
            topic_at: v["topic_at"].as_u64().unwrap_or(0),
            access,
            bans,
        })
    }
}

impl SavedKline {
    /// As a Redis hash value and a note carry it.
    pub fn to_json(&self) -> String {
        json!({"mask": self.mask, "by": self.by, "set_ms": self.set_ms, "until_ms": self.until_ms,
               "reason": self.reason})
        .to_string()
    }

    /// From [`SavedKline::to_json`]'s text; `None` when malformed.
    pub fn from_json(raw: &str) -> Option<SavedKline> {
        let v: Value = serde_json::from_str(raw).ok()?;
        Some(SavedKline {
            mask: v["mask"].as_str().filter(|m| !m.is_empty())?.to_string(),
            by: text(&v, "by"),
            set_ms: v["set_ms"].as_u64()?,
            until_ms: opt_u64(&v["until_ms"]),
            reason: text(&v, "reason"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room() -> SavedRoom {
        SavedRoom {
            name: "#Rust".into(),
            founder: "alice".into(),
            created_ms: 5,
            modes: "nt".into(),
            key: Some("sesame".into()),
            limit: Some(10),
            topic: "Rust, \"and\" more".into(),
            topic_by: "alice".into(),
            topic_at: 7,
            access: vec![("alice".into(), 1), ("bob".into(), 2)],
            bans: vec![SavedBan {
                mask: "eve!*@*".into(),
                by: "alice".into(),
                set_ms: 9,
                until_ms: Some(99),
                reason: "spam".into(),
                mute: false,
            }],
        }
    }

    #[test]
    fn a_room_and_a_kline_read_back_as_written() {
        let r = room();
        assert_eq!(SavedRoom::from_json(&r.to_json()), Some(r));
        let k = SavedKline {
            mask: "10.0.0.0/8".into(),
            by: "op".into(),
            set_ms: 1,
            until_ms: None,
            reason: "x".into(),
        };
        assert_eq!(SavedKline::from_json(&k.to_json()), Some(k));
    }

    #[test]
    fn malformed_records_are_refused() {
        for raw in ["", "{}", "[]", r#"{"name":"nohash","founder":"a","created_ms":1,"access":[],"bans":[]}"#]
        {
            assert_eq!(SavedRoom::from_json(raw), None, "{raw}");
        }
        let no_founder = room().to_json().replace("\"founder\":\"alice\"", "\"founder\":\"\"");
        assert_eq!(SavedRoom::from_json(&no_founder), None);
        let bad_rank = room().to_json().replace("[\"bob\",2]", "[\"bob\",300]");
        assert_eq!(SavedRoom::from_json(&bad_rank), None);
        assert_eq!(SavedKline::from_json(r#"{"mask":"","set_ms":1}"#), None);
    }

    #[test]
    fn changes_apply_in_order() {
        let mut rules = SavedRules::default();
        rules.apply(&RuleChange::Room { key: "#rust".into(), room: Some(room()) });
        assert_eq!(rules.rooms["#rust"].founder, "alice");
        rules.apply(&RuleChange::Room { key: "#rust".into(), room: None });
        assert!(rules.rooms.is_empty());
        let k = SavedKline {
            mask: "1.2.3.4".into(),
            by: "op".into(),
            set_ms: 1,
            until_ms: None,
            reason: "".into(),
        };
        rules.apply(&RuleChange::Kline { mask: "1.2.3.4".into(), kline: Some(k.clone()) });
        rules.apply(&RuleChange::Kline { mask: "1.2.3.4".into(), kline: Some(k) });
        assert_eq!(rules.klines.len(), 1, "set again, kept once");
        rules.apply(&RuleChange::Kline { mask: "1.2.3.4".into(), kline: None });
        assert!(rules.klines.is_empty());
    }
}
