//! Accounts: registered names, each with its password as an argon2id PHC
//! string (never the password) and the TLS client-certificate fingerprints
//! it may sign in with. The table lives in memory, where every lookup is
//! answered; with `--db` each change is also written to the file in the
//! same transaction as the turn's lines, and read back at start-up. Keys
//! are folded names (the chat core folds them, as it folds nicknames).

use std::collections::HashMap;

/// One registered account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// As registered (the nickname's spelling then).
    pub name: String,
    /// The password's argon2id hash, as a PHC string.
    pub hash: String,
    /// TLS client-certificate fingerprints (SHA-256, lowercase hex) that
    /// sign in as this account (SASL EXTERNAL).
    pub certfps: Vec<String>,
    /// When it was registered (Unix ms).
    pub created_ms: u64,
}

/// A change to the accounts, on its way to the file.
#[derive(Debug, Clone)]
pub enum AccountChange {
    /// Registered, or its password or fingerprints changed: the whole row.
    Save { key: String, account: Account },
    /// Unregistered.
    Drop { key: String },
}

impl AccountChange {
    /// The account it is about (folded).
    pub fn key(&self) -> &str {
        match self {
            AccountChange::Save { key, .. } | AccountChange::Drop { key } => key,
        }
    }
}

/// Every account, by folded name.
#[derive(Debug, Default)]
pub struct Accounts {
    by_key: HashMap<String, Account>,
}

impl Accounts {
    pub fn get(&self, key: &str) -> Option<&Account> {
        self.by_key.get(key)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.by_key.contains_key(key)
    }

    /// Adds or replaces `key`'s account; returns the change to write.
    pub fn save(&mut self, key: &str, account: Account) -> AccountChange {
        self.by_key.insert(key.to_string(), account.clone());
        AccountChange::Save { key: key.to_string(), account }
    }

    /// Removes `key`'s account, if any; returns the change to write.
    pub fn remove(&mut self, key: &str) -> Option<AccountChange> {
        self.by_key.remove(key).map(|_| AccountChange::Drop { key: key.to_string() })
    }

    /// An account read back from the file.
    pub fn restore(&mut self, key: String, account: Account) {
        self.by_key.insert(key, account);
    }

    /// The account whose fingerprints include `fp`.
    pub fn by_certfp(&self, fp: &str) -> Option<(&str, &Account)> {
        self.by_key.iter().find(|(_, a)| a.certfps.iter().any(|f| f == fp)).map(|(k, a)| (k.as_str(), a))
    }

    /// Every account, with its folded name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Account)> {
        self.by_key.iter().map(|(k, a)| (k.as_str(), a))
    }

    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> Account {
        Account {
            name: "Alice".into(),
            hash: "$argon2id$x".into(),
            certfps: vec!["ab12".into()],
            created_ms: 5,
        }
    }

    #[test]
    fn accounts_are_saved_found_and_removed_by_key() {
        let mut a = Accounts::default();
        assert!(a.is_empty());
        match a.save("alice", alice()) {
            AccountChange::Save { key, account } => assert_eq!((key.as_str(), account), ("alice", alice())),
            other => panic!("{other:?}"),
        }
        assert!(a.contains("alice"));
        assert_eq!(a.get("alice").map(|x| x.name.as_str()), Some("Alice"));
        assert_eq!(a.by_certfp("ab12").map(|(k, _)| k), Some("alice"));
        assert!(a.by_certfp("cd34").is_none());
        assert!(matches!(a.remove("alice"), Some(AccountChange::Drop { key }) if key == "alice"));
        assert!(a.remove("alice").is_none());
        assert_eq!(a.len(), 0);
    }
}
