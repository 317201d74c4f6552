//! Who comes and goes: nicknames taken and given up since the faces last
//! looked (for watch lists such as IRC's MONITOR), and a bounded memory of
//! those who left or changed their nickname (IRC's WHOWAS). Each user's
//! full name (IRC's realname) lives in its session; the memory keeps it.

use std::collections::VecDeque;

/// Who used a nickname that is gone now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Departed {
    pub nick: String,
    /// Its full name, if it gave one (IRC's realname).
    pub realname: Option<String>,
    /// The account it was signed in to.
    pub account: Option<String>,
    /// When it left the nickname, in Unix seconds.
    pub at: u64,
}

/// Nicknames coming and going, and the memory of departed ones.
#[derive(Debug, Default)]
pub struct Presence {
    /// (nickname, online) since the faces last took them, in order.
    changes: Vec<(String, bool)>,
    /// The departed, oldest first, at most `max_departed`.
    departed: VecDeque<Departed>,
    /// `--whowas`: how many departed nicknames are remembered (0: none).
    pub max_departed: usize,
}

impl Presence {
    /// `nick` was taken (a first nickname, or the new one of a rename).
    pub fn came(&mut self, nick: &str) {
        self.changes.push((nick.to_string(), true));
    }

    /// `nick` was given up (a quit, or the old one of a rename); remembered.
    pub fn went(&mut self, departed: Departed) {
        self.changes.push((departed.nick.clone(), false));
        if self.max_departed == 0 {
            return;
        }
        while self.departed.len() >= self.max_departed {
            self.departed.pop_front();
        }
        self.departed.push_back(departed);
    }

    /// The changes since the last call, in order.
    pub fn take_changes(&mut self) -> Vec<(String, bool)> {
        std::mem::take(&mut self.changes)
    }

    /// Any changes waiting?
    pub fn changed(&self) -> bool {
        !self.changes.is_empty()
    }

    /// Who used `folded` (a folded nickname), newest first, at most `count`.
    pub fn departed(&self, folded: &str, count: usize) -> Vec<&Departed> {
        self.departed
            .iter()
            .rev()
            .filter(|d| super::session::fold_nick(&d.nick) == folded)
            .take(count)
            .collect()
    }

    /// Keeps at most `max` departed, dropping the oldest (a reload).
    pub fn set_max_departed(&mut self, max: usize) {
        self.max_departed = max;
        while self.departed.len() > max {
            self.departed.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gone(nick: &str, at: u64) -> Departed {
        Departed { nick: nick.into(), realname: None, account: None, at }
    }

    #[test]
    fn the_memory_is_bounded_and_newest_first() {
        let mut p = Presence { max_departed: 3, ..Presence::default() };
        p.came("ann");
        for (i, nick) in ["ann", "bob", "Ann", "cid", "ann"].iter().enumerate() {
            p.went(gone(nick, i as u64));
        }
        // Five went, three kept: the oldest "ann" and "bob" are forgotten.
        let anns: Vec<u64> = p.departed("ann", 10).iter().map(|d| d.at).collect();
        assert_eq!(anns, [4, 2]);
        assert_eq!(p.departed("ann", 1).len(), 1);
        assert!(p.departed("bob", 10).is_empty());
        assert_eq!(p.take_changes().len(), 6);
        assert!(!p.changed());
        p.set_max_departed(1);
        assert_eq!(p.departed("ann", 10).len(), 1);
        p.set_max_departed(0);
        p.went(gone("dan", 9));
        assert!(p.departed("dan", 10).is_empty());
        assert_eq!(p.take_changes(), [("dan".to_string(), false)]);
    }
}
