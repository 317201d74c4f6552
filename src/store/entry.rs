//! A stored line: its kind, author, text and reactions (`Entry`), and the
//! topic a room keeps with its history. Plain data, shared by the memory
//! history, the file and the cluster's pages.

use super::ids::MsgId;

/// What kind of line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Chat,
    /// An IRC NOTICE (other faces show it as chat).
    Notice,
    /// An action (`/me`).
    Me,
    /// A topic change; `text` is the new topic (empty: cleared).
    Topic,
    /// A deleted line's tombstone: its id and time stay (a reference for
    /// paging), its author and text are gone.
    Deleted,
}

impl Kind {
    /// As the store and the JSON `history` items name it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Chat => "chat",
            Kind::Notice => "notice",
            Kind::Me => "me",
            Kind::Topic => "topic",
            Kind::Deleted => "deleted",
        }
    }

    pub fn from_name(s: &str) -> Option<Kind> {
        Some(match s {
            "chat" => Kind::Chat,
            "notice" => Kind::Notice,
            "me" => Kind::Me,
            "topic" => Kind::Topic,
            "deleted" => Kind::Deleted,
            _ => return None,
        })
    }
}

/// One stored line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: MsgId,
    /// Unix milliseconds.
    pub time_ms: u64,
    pub kind: Kind,
    /// Said as one line of a face with short lines (see `Event::Chat`).
    pub whole: bool,
    pub from: Box<str>,
    pub text: Box<str>,
    /// Reactions to it, in the order given (none: no allocation). Boxed,
    /// so that a line without any costs 8 bytes here, not a `Vec`'s 24.
    #[allow(clippy::box_collection)]
    pub reactions: Option<Box<Vec<Reaction>>>,
}

/// Someone's reaction to a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reaction {
    pub nick: Box<str>,
    pub emoji: Box<str>,
}

/// The most reactions one line keeps; later ones are still relayed live.
pub const MAX_REACTIONS_PER_LINE: usize = 64;

impl Entry {
    /// What it costs in memory, roughly: the entry, its strings, its slot.
    pub fn cost(&self) -> usize {
        std::mem::size_of::<Entry>() + self.from.len() + self.text.len() + reactions_cost(&self.reactions)
    }

    /// Its reactions (none: empty).
    pub fn reactions(&self) -> &[Reaction] {
        self.reactions.as_deref().map_or(&[], Vec::as_slice)
    }
}

#[allow(clippy::box_collection)]
pub(super) fn reactions_cost(reactions: &Option<Box<Vec<Reaction>>>) -> usize {
    reactions.as_deref().map_or(0, |all| {
        all.iter().map(|r| std::mem::size_of::<Reaction>() + r.nick.len() + r.emoji.len()).sum()
    })
}

/// The topic a room had when its last member left, kept with its history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedTopic {
    pub text: String,
    pub by: String,
    /// Unix seconds.
    pub at: u64,
}
