//! Accounts kept in Redis for a cluster: one hash per database,
//! `linechat:accounts:<db>`, whose fields are folded account names and
//! whose values are the account's fields (name, argon2id hash,
//! certificate fingerprints, creation time) joined by the unit separator.
//! Each node reads the hash when its link comes up and writes its own
//! changes; the other nodes learn of them by a note. Commands as argument
//! lists and replies parsed: no socket here.

use super::redis::resp::Frame;
use crate::store::accounts::Account;

const SEP: char = '\u{1f}';

/// The hash of database `db`.
pub fn hash_key(db: u32) -> String {
    format!("linechat:accounts:{db}")
}

/// An account as its hash value (and as a note carries it).
pub fn encode(a: &Account) -> String {
    format!("{}{SEP}{}{SEP}{}{SEP}{}", a.name, a.hash, a.certfps.join(" "), a.created_ms)
}

/// An account from its hash value; `None` when malformed.
pub fn decode(value: &str) -> Option<Account> {
    let mut f = value.split(SEP);
    let (name, hash, certfps, created) = (f.next()?, f.next()?, f.next()?, f.next()?);
    if f.next().is_some() || name.is_empty() || !hash.starts_with("$argon2id$") {
        return None;
    }
    Some(Account {
        name: name.to_string(),
        hash: hash.to_string(),
        certfps: certfps.split_whitespace().map(str::to_string).collect(),
        created_ms: created.parse().ok()?,
    })
}

fn words(parts: &[&str]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.as_bytes().to_vec()).collect()
}

/// `HSET`: `key`'s account written.
pub fn save(db: u32, key: &str, a: &Account) -> Vec<Vec<u8>> {
    words(&["HSET", &hash_key(db), key, &encode(a)])
}

/// `HDEL`: `key`'s account removed.
pub fn remove(db: u32, key: &str) -> Vec<Vec<u8>> {
    words(&["HDEL", &hash_key(db), key])
}

/// The dataset marker (`linechat:dataset:<db>`): a value the first node
/// to find it missing sets, so that every node can tell whether Redis still
/// holds what it held at the node's last link (same value) or lost its
/// data since (another value). A script, so any Redis 2.6 or later does it
/// in one step: answers the value there, or nil after setting `fresh`.
pub fn dataset_check(db: u32, fresh: &str) -> Vec<Vec<u8>> {
    const SCRIPT: &str = "local v = redis.call('GET', KEYS[1]) \
        if v then return v end redis.call('SET', KEYS[1], ARGV[1]) return false";
    words(&["EVAL", SCRIPT, "1", &format!("linechat:dataset:{db}"), fresh])
}

/// The marker's value after [`dataset_check`] answered `frame` (`fresh`
/// when it set it); `None` for an error.
pub fn dataset_of(frame: &Frame, fresh: &str) -> Option<String> {
    match frame {
        Frame::Bulk(Some(v)) => String::from_utf8(v.clone()).ok(),
        Frame::Bulk(None) | Frame::Array(None) => Some(fresh.to_string()),
        _ => None,
    }
}

/// `HGETALL`: every account.
pub fn load(db: u32) -> Vec<Vec<u8>> {
    words(&["HGETALL", &hash_key(db)])
}

/// `HGETALL`'s reply: (folded name, account) pairs; malformed values are
/// skipped; `None` when the reply is not an array.
pub fn parse_all(frame: &Frame) -> Option<Vec<(String, Account)>> {
    let Frame::Array(Some(items)) = frame else { return None };
    let text = |f: &Frame| f.as_bytes().and_then(|b| std::str::from_utf8(b).ok()).map(str::to_string);
    Some(
        items
            .chunks(2)
            .filter_map(|pair| match pair {
                [k, v] => Some((text(k)?, decode(&text(v)?)?)),
                _ => None,
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> Account {
        Account {
            name: "Alice".into(),
            hash: "$argon2id$v=19$x".into(),
            certfps: vec!["ab".into()],
            created_ms: 7,
        }
    }

    #[test]
    fn accounts_round_trip_through_the_hash() {
        assert_eq!(decode(&encode(&alice())), Some(alice()));
        assert_eq!(decode("a\u{1f}plain\u{1f}\u{1f}1"), None, "not argon2id");
        assert_eq!(decode("a"), None);
        assert_eq!(save(2, "alice", &alice())[1], b"linechat:accounts:2");
        assert_eq!(
            remove(0, "alice"),
            [b"HDEL".to_vec(), b"linechat:accounts:0".to_vec(), b"alice".to_vec()]
        );
        let bulk = |s: &str| Frame::Bulk(Some(s.as_bytes().to_vec()));
        let reply = Frame::Array(Some(vec![bulk("alice"), bulk(&encode(&alice())), bulk("bad"), bulk("x")]));
        assert_eq!(parse_all(&reply), Some(vec![("alice".to_string(), alice())]));
        assert_eq!(parse_all(&Frame::Integer(1)), None);
    }

    #[test]
    fn the_dataset_marker_is_read_or_set() {
        let words = dataset_check(3, "n1-5");
        assert_eq!(words[0], b"EVAL");
        assert_eq!(words[3], b"linechat:dataset:3");
        assert_eq!(words[4], b"n1-5");
        let there = Frame::Bulk(Some(b"n2-1".to_vec()));
        assert_eq!(dataset_of(&there, "n1-5").as_deref(), Some("n2-1"));
        assert_eq!(dataset_of(&Frame::Bulk(None), "n1-5").as_deref(), Some("n1-5"), "set by us");
        assert_eq!(dataset_of(&Frame::Error("NOSCRIPT".into()), "n1-5"), None);
    }
}
