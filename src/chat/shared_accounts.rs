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
/// The dataset marker's reply (see `cluster::accounts::dataset_check`).
const DATASET_TAG: Tag = (1 << 61) | 2;

/// Changes made while Redis was away that are kept to send when it returns, at most.
pub(super) const MAX_UNSENT: usize = 10_000;

/// Is `tag` one of the accounts' replies?
pub fn is_ours(tag: Tag) -> bool {
    tag == LOAD_TAG || tag == WRITE_TAG || tag == DATASET_TAG
}

impl Hub {
    /// An account was registered, changed or removed here: kept by the
    /// store (with `--db`, in the file), and in a cluster written to Redis
    /// and told to the other nodes.
    pub(super) fn account_changed(&mut self, change: AccountChange) {
        if self.cluster.is_some() {
            if !self.write_account(&change) {
                self.remember_unsent(&change);
            }
            let note = match &change {
                AccountChange::Save { key, account } => {
                    Note::Account { key: key.clone(), account: Some(account.clone()) }
                }
                AccountChange::Drop { key } => Note::Account { key: key.clone(), account: None },
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

    /// Sends a write; false when the link is down (it was not sent).
    fn redis_write(&mut self, words: Vec<Vec<u8>>) -> bool {
        let Some(c) = self.cluster.as_mut() else { return false };
        c.redis.command(&words, WRITE_TAG)
    }

    /// Writes `change` to Redis; false when the link is down.
    fn write_account(&mut self, change: &AccountChange) -> bool {
        let db = self.redis_db();
        self.redis_write(match change {
            AccountChange::Save { key, account } => shared::save(db, key, account),
            AccountChange::Drop { key } => shared::remove(db, key),
        })
    }

    /// A change made while Redis is away: sent when it returns (the last
    /// change of each account is what counts).
    fn remember_unsent(&mut self, change: &AccountChange) {
        let Some(c) = self.cluster.as_mut() else { return };
        c.unsent_accounts.retain(|ch| ch.key() != change.key());
        if c.unsent_accounts.len() < MAX_UNSENT {
            c.unsent_accounts.push(change.clone());
        }
    }

    /// The link came up: first, is Redis's data the one this node saw
    /// last? (Its answer comes before the tables', on the same connection.)
    pub(super) fn check_dataset(&mut self) {
        let db = self.redis_db();
        let Some(c) = self.cluster.as_mut() else { return };
        c.same_dataset = false;
        let fresh = format!("{}-{}", c.presence.node(), crate::clock::unix_ms());
        let words = shared::dataset_check(db, &fresh);
        c.redis.command(&words, DATASET_TAG);
        c.dataset_fresh = fresh;
    }

    /// The link came up: the table is read from Redis.
    pub(super) fn load_shared_accounts(&mut self) {
        let db = self.redis_db();
        let Some(c) = self.cluster.as_mut() else { return };
        c.accounts_noted = Some(Default::default());
        let words = shared::load(db);
        c.redis.command(&words, LOAD_TAG);
    }

    /// Redis answered the dataset marker, or a read or a write of the
    /// table. The table read becomes this node's, but for what changed here
    /// while Redis was away (this node's change wins, and is sent now) and
    /// what other nodes told meanwhile (their notes are as new). An account
    /// this node holds that Redis lacks was removed elsewhere, if Redis
    /// holds the data this node saw at its last link; otherwise (Redis lost
    /// its data, or this is the node's first link) it is written back.
    pub(super) fn accounts_answered(&mut self, tag: Tag, frame: Option<Frame>, out: &mut Outbox) {
        if tag == DATASET_TAG {
            let Some(c) = self.cluster.as_mut() else { return };
            let now = frame.as_ref().and_then(|f| shared::dataset_of(f, &c.dataset_fresh));
            c.same_dataset = now.is_some() && now == c.dataset;
            if now.is_some() {
                c.dataset = now;
            }
            return;
        }
        if tag != LOAD_TAG {
            return;
        }
        let noted = self.cluster.as_mut().and_then(|c| c.accounts_noted.take()).unwrap_or_default();
        let Some(accounts) = frame.as_ref().and_then(shared::parse_all) else { return };
        let unsent =
            self.cluster.as_mut().map(|c| std::mem::take(&mut c.unsent_accounts)).unwrap_or_default();
        let known: std::collections::HashSet<String> = accounts.iter().map(|(k, _)| k.clone()).collect();
        let n = accounts.len();
        let settled = |key: &str| noted.contains(key) || unsent.iter().any(|ch| ch.key() == key);
        // Held here, not in Redis, and not changed here or told meanwhile.
        let missing: Vec<String> = self
            .store
            .accounts
            .iter()
            .map(|(k, _)| k.to_string())
            .filter(|k| !known.contains(k) && !settled(k))
            .collect();
        for (key, account) in accounts {
            if !settled(&key) {
                self.store.accounts.restore(key, account);
            }
        }
        let replayed = unsent.len();
        for change in unsent {
            self.account_changed(change);
        }
        let same = self.cluster.as_ref().is_some_and(|c| c.same_dataset);
        for key in &missing {
            match self.store.accounts.get(key).cloned() {
                // Redis holds what this node saw last: removed elsewhere.
                Some(_) if same => self.account_noted(key.clone(), None, out),
                // Redis lost its data, or this node never saw it: written back.
                Some(account) => {
                    let db = self.redis_db();
                    self.redis_write(shared::save(db, key, &account));
                }
                None => {}
            }
        }
        let (gone, written) = if same { (missing.len(), 0) } else { (0, missing.len()) };
        info!(
            "cluster: {n} accounts read from Redis, {written} written back, {replayed} changed here meanwhile, {gone} removed elsewhere"
        );
    }

    /// Another node registered, changed or removed an account.
    pub(super) fn account_noted(&mut self, key: String, account: Option<Account>, _out: &mut Outbox) {
        if let Some(noted) = self.cluster.as_mut().and_then(|c| c.accounts_noted.as_mut()) {
            noted.insert(key.clone());
        }
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
