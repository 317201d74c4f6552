//! Driving a terminal program in tmux: start it in a session of a known
//! size, type into it, read its screen.

use std::process::Command;

use super::run_checked;

pub struct Tmux {
    session: String,
}

impl Tmux {
    pub fn start(session: &str, cmd: &str) -> Tmux {
        let _ = Command::new("tmux").args(["kill-session", "-t", session]).output();
        run_checked(
            Command::new("tmux").args(["new-session", "-d", "-s", session, "-x", "160", "-y", "40", cmd]),
            "tmux new-session",
        );
        Tmux { session: session.to_string() }
    }

    pub fn screen(&self) -> String {
        let out = Command::new("tmux").args(["capture-pane", "-p", "-t", &self.session]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn type_line(&self, text: &str) {
        run_checked(Command::new("tmux").args(["send-keys", "-t", &self.session, "-l", text]), "send-keys");
        run_checked(Command::new("tmux").args(["send-keys", "-t", &self.session, "Enter"]), "send-keys");
    }

    /// Waits until the screen shows `text`.
    pub fn wait_for(&self, text: &str) {
        let mut screen = String::new();
        let shown = || {
            screen = self.screen();
            screen.contains(text)
        };
        super::eventually(&format!("the screen to show {text:?}"), shown);
    }

    pub fn is_running(&self) -> bool {
        Command::new("tmux").args(["has-session", "-t", &self.session]).status().is_ok_and(|s| s.success())
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["kill-session", "-t", &self.session]).output();
    }
}

impl Tmux {
    /// Sends keys by tmux name (`Left`, `Up`, `C-c`, `Enter`).
    pub fn keys(&self, keys: &[&str]) {
        run_checked(Command::new("tmux").args(["send-keys", "-t", &self.session]).args(keys), "send-keys");
    }

    /// Types text without pressing Enter.
    pub fn type_text(&self, text: &str) {
        run_checked(Command::new("tmux").args(["send-keys", "-t", &self.session, "-l", text]), "send-keys");
    }

    pub fn resize(&self, columns: u16, rows: u16) {
        let (x, y) = (columns.to_string(), rows.to_string());
        run_checked(
            Command::new("tmux").args(["resize-window", "-t", &self.session, "-x", &x, "-y", &y]),
            "resize-window",
        );
    }

    /// The screen's lines, without trailing blank ones.
    pub fn lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self.screen().lines().map(|l| l.trim_end().to_string()).collect();
        while lines.last().is_some_and(|l| l.is_empty()) {
            lines.pop();
        }
        lines
    }

    /// Waits until the last non-blank line of the screen is `text`.
    pub fn wait_for_last_line(&self, text: &str) {
        super::eventually(&format!("the screen's last line to be {text:?}"), || {
            self.lines().last().map(String::as_str) == Some(text)
        });
    }
}
