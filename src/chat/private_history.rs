//! Private messages remembered. A private line between two signed-in
//! users is kept in the store as a conversation of their two accounts
//! (key `@a@b`, the folded names in order), with the id and time every
//! face shows live; it shares the rooms' bounds (`--history` lines per
//! conversation, `--history-age`, `--history-memory`) and, with `--db`,
//! their file. IRC's CHATHISTORY reads a conversation by the other's
//! nickname or account; TARGETS lists conversations and rooms by their
//! newest line. Guests' private lines are never kept.

use super::event::{Said, Stamp};
use super::fault::Fault;
use super::session::fold_nick;
use super::speech::kind_of;
use super::Hub;
use crate::net::ConnId;
use crate::store::history::{Entry, NewLine, Query, QueryError};

/// The store's key of the conversation between two accounts (folded).
pub fn conversation_key(a: &str, b: &str) -> String {
    let (x, y) = if a <= b { (a, b) } else { (b, a) };
    format!("@{x}@{y}")
}

/// The two accounts of a conversation's key.
fn parties(key: &str) -> Option<(&str, &str)> {
    key.strip_prefix('@')?.split_once('@')
}

/// A page of one conversation: the other side as shown, the lines, and
/// whether none were dropped between the reference and them.
pub struct PrivatePage {
    pub peer: String,
    pub items: Vec<Entry>,
    pub complete: bool,
}

impl Hub {
    /// `id`'s private line to `target` (both here): kept when both are
    /// signed in and history is on; its id and time.
    pub(super) fn record_private(
        &mut self,
        id: ConnId,
        target: ConnId,
        said: Said,
        whole: bool,
        text: &str,
    ) -> Option<Stamp> {
        if !self.store.history.enabled() {
            return None;
        }
        let mine = fold_nick(self.session(id)?.account.as_deref()?);
        let theirs = fold_nick(self.session(target)?.account.as_deref()?);
        let key = conversation_key(&mine, &theirs);
        let from = self.nick_of(id)?.to_string();
        let line = NewLine { kind: kind_of(said), whole, from: &from, text };
        self.store
            .record(&key, &key, line, crate::clock::unix_ms())
            .map(|(id, time_ms)| Stamp { id, time_ms })
    }

    /// The account behind `with`: a signed-in user online here, else an
    /// account of that name.
    fn peer_account(&self, with: &str) -> Option<String> {
        if let Some(user) = self.find_nick(with) {
            if let Some(account) = self.session(user).and_then(|s| s.account.as_deref()) {
                return Some(fold_nick(account));
            }
        }
        let key = fold_nick(with.trim());
        self.store.accounts.contains(&key).then_some(key)
    }

    /// A page of `id`'s conversation with `with` (signed in: `needs-account`;
    /// nobody of that name: `no-such-nick`).
    pub fn private_page(
        &mut self,
        id: ConnId,
        with: &str,
        query: Query,
        limit: usize,
    ) -> Result<PrivatePage, Fault> {
        if !self.store.history.enabled() {
            return Err(Fault::HistoryOff);
        }
        let mine = fold_nick(self.account_of(id).ok_or(Fault::NeedsAccount)?);
        let theirs = self.peer_account(with).ok_or_else(|| Fault::NoSuchNick(with.trim().to_string()))?;
        let peer =
            self.store.accounts.get(&theirs).map_or_else(|| with.trim().to_string(), |a| a.name.clone());
        let key = conversation_key(&mine, &theirs);
        let history = &mut self.store.history;
        let limit = limit.min(history.cfg.page);
        match history.query(&key, query, limit, crate::clock::unix_ms()) {
            Ok(page) => {
                let items = page.items.into_iter().cloned().collect();
                Ok(PrivatePage { peer, items, complete: page.complete })
            }
            Err(QueryError::UnknownId) => Err(Fault::refused("no-such-line", &[("room", &peer)])),
        }
    }

    /// `id`'s rooms and (signed in) conversations whose newest line is
    /// between `from_ms` and `to_ms` (either order), oldest first, at most
    /// `limit`: (the room's name or the other's account name, the time).
    pub fn history_targets(&self, id: ConnId, from_ms: u64, to_ms: u64, limit: usize) -> Vec<(String, u64)> {
        let (lo, hi) = (from_ms.min(to_ms), from_ms.max(to_ms));
        let history = &self.store.history;
        let mut found: Vec<(String, u64)> = self
            .rooms_of(id)
            .filter_map(|room| {
                let r = self.rooms.get(room);
                Some((r.name.clone(), history.newest_time(&r.key)?))
            })
            .collect();
        if let Some(mine) = self.account_of(id).map(fold_nick) {
            for key in history.keys() {
                let Some((a, b)) = parties(key) else { continue };
                let other = match (a == mine, b == mine) {
                    (true, _) => b,
                    (_, true) => a,
                    _ => continue,
                };
                if let Some(time) = history.newest_time(key) {
                    let shown = self.store.accounts.get(other).map_or(other, |acc| acc.name.as_str());
                    found.push((shown.to_string(), time));
                }
            }
        }
        found.retain(|(_, t)| (lo..=hi).contains(t));
        found.sort_by(|x, y| x.1.cmp(&y.1).then_with(|| x.0.cmp(&y.0)));
        found.truncate(limit);
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_conversation_is_the_same_from_both_sides() {
        assert_eq!(conversation_key("bob", "alice"), "@alice@bob");
        assert_eq!(conversation_key("alice", "bob"), "@alice@bob");
        assert_eq!(parties("@alice@bob"), Some(("alice", "bob")));
        assert_eq!(parties("#rust"), None);
    }
}
