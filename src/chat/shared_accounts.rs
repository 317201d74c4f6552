//! Accounts across a cluster: every node holds the whole table in memory
//! (sign-ins are checked there), Redis keeps it (`cluster/accounts.rs`),
//! and a change made on one node is written to Redis and told to the
//! others in a note, so a name registered on node 1 signs in on node 2.
//! A node reads the table when its link comes up, and writes back what
//! was registered on it while Redis was away.

use log::info;

use super::Hub;
use crate::cluster::accounts as shared;
use crate::cluster::note::Note;
use crate::cluster::redis::conn::Tag;
use crate::cluster::redis::resp::Frame;
use crate::net::Outbox;
use crate::store::accounts::{Account, AccountChange};

/// The tag of the table's read; writes' replies carry [`WRITE_TAG`].
const LOAD_TAG: Tag = 1 << 61;
const WRITE_TAG: Tag = (1 << 61) | 1;

/// Is `tag` one of the accounts' replies?
pub fn is_ours(tag: Tag) -> bool {
    tag == LOAD_TAG || tag == WRITE_TAG
}

impl Hub {
    /// An account was registered, changed or removed here: kept by the
    /// store (with `--db`, in the file), and in a cluster written to Redis
    /// and told to the other nodes.
    pub(super) fn account_changed(&mut self, change: AccountChange) {
        if self.cluster.is_some() {
            let note = match &change {
                AccountChange::Save { key, account } => {
                    self.redis_write(shared::save(self.redis_db(), key, account));
                    Note::Account { key: key.clone(), account: Some(account.clone()) }
                }
                AccountChange::Drop { key } => {
                    self.redis_write(shared::remove(self.redis_db(), key));
                    Note::Account { key: key.clone(), account: None }
                }
            };
            self.publish(|_| note);
        }
        self.store.account_changed(change);
    }

    /// Do accounts survive a restart here (a file, or Redis)?
    pub fn accounts_persistent(&self) -> bool {
        self.store.persistent() || self.cluster.is_some()
    }

    pub(super) fn redis_db(&self) -> u32 {
        self.cluster.as_ref().map_or(0, |c| c.redis.cfg.url.db)
    }

    fn redis_write(&mut self, words: Vec<Vec<u8>>) {
        let Some(c) = self.cluster.as_mut() else { return };
        let words: Vec<&[u8]> = words.iter().map(Vec::as_slice).collect();
        c.redis.command(&words, WRITE_TAG);
    }

    /// The link came up: the table is read from Redis.
    pub(super) fn load_shared_accounts(&mut self) {
        let db = self.redis_db();
        let Some(c) = self.cluster.as_mut() else { return };
        let words = shared::load(db);
        let words: Vec<&[u8]> = words.iter().map(Vec::as_slice).collect();
        c.redis.command(&words, LOAD_TAG);
    }

    /// Redis answered a read or a write of the table.
    pub(super) fn accounts_answered(&mut self, tag: Tag, frame: Option<Frame>) {
        if tag != LOAD_TAG {
            return;
        }
        let Some(accounts) = frame.as_ref().and_then(shared::parse_all) else { return };
        let known: std::collections::HashSet<String> = accounts.iter().map(|(k, _)| k.clone()).collect();
        let n = accounts.len();
        for (key, account) in accounts {
            self.store.accounts.restore(key, account);
        }
        // Registered here while Redis was away: written now.
        let db = self.redis_db();
        let missing: Vec<(String, Account)> = self
            .store
            .accounts
            .iter()
            .filter(|(key, _)| !known.contains(*key))
            .map(|(k, a)| (k.to_string(), a.clone()))
            .collect();
        for (key, account) in &missing {
            self.redis_write(shared::save(db, key, account));
        }
        info!("cluster: {n} accounts read from Redis, {} written back", missing.len());
    }

    /// Another node registered, changed or removed an account.
    pub(super) fn account_noted(&mut self, key: String, account: Option<Account>, _out: &mut Outbox) {
        match account {
            Some(account) => self.store.accounts.restore(key, account),
            None => {
                self.store.accounts.remove(&key);
                self.store.markers.forget(&key);
                self.sign_everyone_out(usize::MAX, &key);
            }
        }
    }
}
