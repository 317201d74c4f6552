//! Catching up after a reconnect: the client remembers the last chat line
//! it showed in its room; once back in that room it asks for `/history`,
//! shows only what came after that line, and hides the rest of the block.
//! (Text lines carry no ids, so the line itself is the reference; if it is
//! not in the history any more, everything is shown under a note.)

use crate::words::{self, Lang};

/// Lines asked for after a reconnect (the server cuts it to its page).
pub const CATCH_UP_LINES: usize = 100;

#[derive(Debug, Default)]
pub struct CatchUp {
    /// The last chat line shown in the current room (`[nick] text`).
    last: Option<String>,
    /// A `/history` block asked for is coming: its items so far.
    reading: Option<Vec<String>>,
    asked: bool,
    /// The language of the client's own notes.
    lang: Lang,
}

impl CatchUp {
    /// Its notes in `lang`.
    pub fn new(lang: Lang) -> CatchUp {
        CatchUp { lang, ..CatchUp::default() }
    }

    /// A line shown: a room's chat line becomes the reference.
    pub fn seen(&mut self, line: &str) {
        if is_chat(line) {
            self.last = Some(line.to_string());
        }
    }

    /// The client is in another room: what it saw before is no reference.
    pub fn moved(&mut self) {
        self.last = None;
    }

    /// Back in its room after a reconnect: the request to send, if there
    /// is something to catch up from.
    pub fn ask(&mut self) -> Option<String> {
        self.last.as_ref()?;
        self.asked = true;
        Some(format!("/history {CATCH_UP_LINES}"))
    }

    /// While the asked-for block comes in: takes `line` and returns what to
    /// show instead (`None`: not part of the block, show it as it is).
    pub fn filter(&mut self, line: &str) -> Option<Vec<String>> {
        let head = words::matches_any("history", line).or_else(|| words::matches_any("history-one", line));
        if self.asked && head.is_some() {
            self.asked = false;
            self.reading = Some(Vec::new());
            return Some(Vec::new());
        }
        let items = self.reading.as_mut()?;
        if words::matches_any("history-end", line).is_some() {
            let items = self.reading.take().unwrap_or_default();
            return Some(self.missed(items));
        }
        // `* YYYY-MM-DD HH:MM:SS LINE`
        match line.get(22..).filter(|_| line.starts_with("* ") && line.as_bytes().get(21) == Some(&b' ')) {
            Some(item) => items.push(item.to_string()),
            None => return None,
        }
        Some(Vec::new())
    }

    /// What came after the last line seen, with a note when it could not
    /// be found (history no longer reaches back that far).
    fn missed(&mut self, items: Vec<String>) -> Vec<String> {
        let after = self.last.as_ref().and_then(|last| items.iter().rposition(|i| i == last));
        let mut show = match after {
            Some(i) => items[i + 1..].to_vec(),
            None if items.is_empty() => Vec::new(),
            None => {
                let mut all = vec![format!("-- {}", words::say(self.lang, "client-gap", &[]))];
                all.extend(items);
                all
            }
        };
        if let Some(last) = show.iter().rev().find(|l| is_chat(l)) {
            self.last = Some(last.clone());
        }
        if !show.is_empty() && after.is_some() {
            let count = show.len();
            show.insert(0, format!("-- {}", words::say(self.lang, "client-missed", &[("count", &count)])));
        }
        show
    }
}

/// `[nick] text`: a room's chat line (not `[a -> b]`, a private message).
fn is_chat(line: &str) -> bool {
    line.strip_prefix('[').and_then(|rest| rest.split_once("] ")).is_some_and(|(nick, _)| !nick.contains(' '))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_only_what_came_after_the_last_line_seen() {
        let mut c = CatchUp::default();
        assert_eq!(c.ask(), None, "nothing seen: nothing to catch up from");
        c.seen("[bob] one");
        c.seen("[a -> b] private");
        c.seen("* bob joined (2 online)");
        assert_eq!(c.ask().as_deref(), Some("/history 100"));
        assert_eq!(c.filter("* alice joined #rust (2 online)"), None);
        assert_eq!(c.filter("* history for #rust (3 lines):"), Some(vec![]));
        assert_eq!(c.filter("* 2026-12-06 10:03:15 [bob] one"), Some(vec![]));
        assert_eq!(c.filter("* 2026-12-06 10:03:16 [bob] two"), Some(vec![]));
        assert_eq!(c.filter("* 2026-12-06 10:03:17 * bob waves"), Some(vec![]));
        let shown = c.filter("* end of history for #rust").unwrap();
        assert_eq!(shown, ["-- 2 lines said while disconnected:", "[bob] two", "* bob waves"]);
        assert_eq!(c.filter("[bob] three"), None);
        // A reference history no longer holds: everything, with a note.
        c.ask();
        c.filter("* history for #rust (1 line):");
        c.filter("* 2026-12-06 10:05:00 [carol] new");
        let shown = c.filter("* end of history for #rust").unwrap();
        assert_eq!(shown.len(), 2);
        assert!(shown[0].starts_with("-- the last line seen is no longer"));
    }
}
