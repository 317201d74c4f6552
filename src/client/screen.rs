//! The terminal: raw mode, keys parsed from the bytes the loop reads,
//! messages printed above the typing line, colours, and the terminal given
//! back as it was on exit (even on a panic).

use std::io::{self, Stdout, Write};

use termion::color::{self, Fg};
use termion::event::{Event, Key};
use termion::raw::{IntoRawMode, RawTerminal};
use termion::{clear, style};

use super::editor::Editor;

pub struct Screen {
    out: RawTerminal<Stdout>,
    width: usize,
    /// Bytes of an incomplete key sequence (a split UTF-8 character).
    pending: Vec<u8>,
}

/// Runs `body` with the terminal in raw mode, restoring it afterwards.
pub fn with_terminal(body: impl FnOnce(&mut Screen) -> io::Result<()>) -> io::Result<()> {
    let saved = termios();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if let Some(t) = saved {
            // SAFETY: restoring the terminal attributes read at start.
            unsafe {
                libc::tcsetattr(1, libc::TCSANOW, &t);
            }
        }
        previous(info);
    }));
    let out = io::stdout().into_raw_mode()?;
    let mut screen = Screen { out, width: width(), pending: Vec::new() };
    let result = body(&mut screen);
    let _ = write!(screen.out, "\r{}{}", clear::CurrentLine, style::Reset);
    let _ = screen.out.flush();
    drop(screen); // leaves raw mode
    result
}

fn termios() -> Option<libc::termios> {
    // SAFETY: tcgetattr fills the struct passed in.
    unsafe {
        let mut t = std::mem::zeroed::<libc::termios>();
        (libc::tcgetattr(1, &mut t) == 0).then_some(t)
    }
}

fn width() -> usize {
    termion::terminal_size().map_or(80, |(w, _)| w as usize)
}

impl Screen {
    /// Keys from bytes read off the terminal; an incomplete UTF-8
    /// character at the end waits for the next read.
    pub fn keys(&mut self, bytes: &[u8]) -> Vec<Key> {
        self.pending.extend_from_slice(bytes);
        let mut cut = self.pending.len();
        // Keep back a UTF-8 character whose bytes have not all arrived.
        for back in 1..=3.min(cut) {
            let b = self.pending[cut - back];
            if b & 0xC0 == 0xC0 {
                let need = if b >= 0xF0 {
                    4
                } else if b >= 0xE0 {
                    3
                } else {
                    2
                };
                if back < need {
                    cut -= back;
                }
                break;
            }
            if b & 0x80 == 0 {
                break;
            }
        }
        let ready: Vec<u8> = self.pending.drain(..cut).collect();
        let mut keys = Vec::new();
        let mut iter = ready.into_iter().map(Ok::<u8, io::Error>);
        while let Some(Ok(b)) = iter.next() {
            if let Ok(Event::Key(k)) = termion::event::parse_event(b, &mut iter) {
                keys.push(k);
            }
        }
        keys
    }

    /// Prints a server line above the typing line, coloured by kind.
    pub fn message(&mut self, line: &str, me: Option<&str>, raw: bool) -> io::Result<()> {
        write!(self.out, "\r{}", clear::CurrentLine)?;
        let mine = me.is_some_and(|n| line.starts_with(&format!("[{n}] ")));
        let private = line.starts_with('[') && line.split_once("] ").is_some_and(|(h, _)| h.contains(" -> "));
        let colour: Option<&dyn color::Color> = if raw {
            None
        } else if line.starts_with("! ") {
            Some(&color::Red)
        } else if line.starts_with("* ") {
            Some(&color::Cyan)
        } else if private {
            Some(&color::Magenta)
        } else if mine {
            Some(&color::Green)
        } else {
            None
        };
        if let Some(c) = colour {
            write!(self.out, "{}", Fg(c))?;
        }
        if line.starts_with("! ") && !raw {
            write!(self.out, "{}", style::Bold)?;
        }
        // Raw mode: a newline does not return the carriage by itself.
        write!(self.out, "{line}{}\r\n", style::Reset)
    }

    /// A note from the client itself (connection state).
    pub fn status(&mut self, text: &str) -> io::Result<()> {
        write!(self.out, "\r{}{}-- {text}{}\r\n", clear::CurrentLine, Fg(color::Yellow), style::Reset)
    }

    /// Redraws the typing line and puts the cursor where the editor has it.
    pub fn prompt(&mut self, editor: &Editor, prompt: &str) -> io::Result<()> {
        let room = self.width.saturating_sub(prompt.chars().count() + 1);
        let (shown, cursor) = editor.view(room);
        write!(self.out, "\r{}{}{prompt}{}{shown}\r", clear::CurrentLine, style::Bold, style::Reset)?;
        let column = prompt.chars().count() + cursor;
        if column > 0 {
            write!(self.out, "{}", termion::cursor::Right(column as u16))?;
        }
        self.out.flush()
    }

    /// The terminal changed size: the next prompt fits the new width.
    pub fn resized(&mut self) -> io::Result<()> {
        self.width = width();
        Ok(())
    }
}
