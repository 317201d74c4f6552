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
}
