//! The typing line: a buffer of characters with a cursor, word and line
//! deletion, and history. Pure logic, no terminal: the screen draws it.

use unicode_width::UnicodeWidthChar;

/// Most lines kept in the history.
const HISTORY: usize = 500;

/// What a key did.
#[derive(Debug, PartialEq, Eq)]
pub enum Edit {
    /// The line changed or the cursor moved: redraw it.
    Changed,
    /// Enter: this line is to be sent.
    Submit(String),
    /// Nothing to do.
    None,
}

#[derive(Debug, Default)]
pub struct Editor {
    line: Vec<char>,
    /// Position in `line`, 0..=len.
    cursor: usize,
    history: Vec<String>,
    /// While browsing the history: the entry shown, and the line being typed before.
    browsing: Option<(usize, Vec<char>)>,
}

impl Editor {
    pub fn text(&self) -> String {
        self.line.iter().collect()
    }

    pub fn insert(&mut self, c: char) -> Edit {
        self.line.insert(self.cursor, c);
        self.cursor += 1;
        Edit::Changed
    }

    pub fn backspace(&mut self) -> Edit {
        if self.cursor == 0 {
            return Edit::None;
        }
        self.cursor -= 1;
        self.line.remove(self.cursor);
        Edit::Changed
    }

    pub fn delete(&mut self) -> Edit {
        if self.cursor == self.line.len() {
            return Edit::None;
        }
        self.line.remove(self.cursor);
        Edit::Changed
    }

    pub fn left(&mut self) -> Edit {
        self.move_to(self.cursor.saturating_sub(1))
    }

    pub fn right(&mut self) -> Edit {
        self.move_to((self.cursor + 1).min(self.line.len()))
    }

    pub fn home(&mut self) -> Edit {
        self.move_to(0)
    }

    pub fn end(&mut self) -> Edit {
        self.move_to(self.line.len())
    }

    fn move_to(&mut self, to: usize) -> Edit {
        if to == self.cursor {
            return Edit::None;
        }
        self.cursor = to;
        Edit::Changed
    }

    /// Ctrl-W: deletes the word before the cursor (and the spaces after it).
    pub fn delete_word(&mut self) -> Edit {
        let mut start = self.cursor;
        while start > 0 && self.line[start - 1].is_whitespace() {
            start -= 1;
        }
        while start > 0 && !self.line[start - 1].is_whitespace() {
            start -= 1;
        }
        if start == self.cursor {
            return Edit::None;
        }
        self.line.drain(start..self.cursor);
        self.cursor = start;
        Edit::Changed
    }

    /// Ctrl-U: deletes everything before the cursor.
    pub fn delete_to_start(&mut self) -> Edit {
        if self.cursor == 0 {
            return Edit::None;
        }
        self.line.drain(..self.cursor);
        self.cursor = 0;
        Edit::Changed
    }

    /// Up: the previous history entry (the typed line is kept for Down).
    pub fn up(&mut self) -> Edit {
        let at = match &self.browsing {
            Some((0, _)) => return Edit::None,
            Some((i, _)) => i - 1,
            None if self.history.is_empty() => return Edit::None,
            None => {
                self.browsing = Some((self.history.len(), self.line.clone()));
                self.history.len() - 1
            }
        };
        if let Some((i, _)) = self.browsing.as_mut() {
            *i = at;
        }
        self.show(self.history[at].chars().collect())
    }

    /// Down: the next history entry, and at the end the line being typed.
    pub fn down(&mut self) -> Edit {
        let Some((i, _)) = self.browsing else { return Edit::None };
        if i + 1 < self.history.len() {
            self.browsing = Some((i + 1, self.browsing.take().map(|b| b.1).unwrap_or_default()));
            return self.show(self.history[i + 1].chars().collect());
        }
        let typed = self.browsing.take().map(|b| b.1).unwrap_or_default();
        self.show(typed)
    }

    fn show(&mut self, line: Vec<char>) -> Edit {
        self.line = line;
        self.cursor = self.line.len();
        Edit::Changed
    }

    /// Enter: the line goes out and into the history.
    pub fn submit(&mut self) -> Edit {
        let text = self.text();
        self.line.clear();
        self.cursor = 0;
        self.browsing = None;
        if !text.trim().is_empty() && self.history.last() != Some(&text) {
            self.history.push(text.clone());
            if self.history.len() > HISTORY {
                self.history.remove(0);
            }
        }
        Edit::Submit(text)
    }

    /// What fits in `width` columns, scrolled so that the cursor is
    /// visible, and the cursor's column in it. Wide characters (Hangul, CJK)
    /// take two columns.
    pub fn view(&self, width: usize) -> (String, usize) {
        let w = |c: &char| c.width().unwrap_or(0);
        let width = width.max(2);
        // Scroll: start far enough right that the cursor fits.
        let mut start = 0;
        let mut before: usize = self.line[..self.cursor].iter().map(w).sum();
        while before >= width && start < self.cursor {
            before -= w(&self.line[start]);
            start += 1;
        }
        let mut shown = String::new();
        let mut used = 0;
        for c in &self.line[start..] {
            if used + w(c) > width {
                break;
            }
            used += w(c);
            shown.push(*c);
        }
        (shown, before)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(s: &str) -> Editor {
        let mut e = Editor::default();
        for c in s.chars() {
            e.insert(c);
        }
        e
    }

    #[test]
    fn editing_in_the_middle() {
        let mut e = typed("hello world");
        e.home();
        e.right();
        e.insert('a');
        assert_eq!(e.text(), "haello world");
        e.end();
        e.delete_word();
        assert_eq!(e.text(), "haello ");
        e.backspace();
        e.left();
        e.delete();
        assert_eq!(e.text(), "haell");
        e.delete_to_start();
        assert_eq!(e.text(), "");
        assert_eq!(e.backspace(), Edit::None);
    }

    #[test]
    fn history_goes_back_and_returns_to_the_typed_line() {
        let mut e = typed("first");
        assert_eq!(e.submit(), Edit::Submit("first".into()));
        for c in "second".chars() {
            e.insert(c);
        }
        e.submit();
        for c in "draft".chars() {
            e.insert(c);
        }
        e.up();
        assert_eq!(e.text(), "second");
        e.up();
        assert_eq!(e.text(), "first");
        assert_eq!(e.up(), Edit::None);
        e.down();
        assert_eq!(e.text(), "second");
        e.down();
        assert_eq!(e.text(), "draft");
        assert_eq!(e.down(), Edit::None);
    }

    #[test]
    fn wide_characters_take_two_columns_and_the_view_scrolls() {
        let mut e = typed("한글");
        e.left();
        e.insert('x');
        assert_eq!(e.text(), "한x글");
        assert_eq!(e.view(80), ("한x글".to_string(), 3));
        let e = typed(&"가".repeat(50));
        let (shown, cursor) = e.view(20);
        assert!(cursor < 20 && shown.chars().count() <= 10, "{shown:?} {cursor}");
    }
}
