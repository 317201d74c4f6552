//! The terminal: raw mode, messages printed above the typing line, colours,
//! and the terminal given back as it was on exit (even on a panic).

use std::io::{self, Stdout, Write};

use crossterm::cursor::MoveToColumn;
use crossterm::style::{Attribute, Color, Print, ResetColor, SetAttribute, SetForegroundColor};
use crossterm::terminal::{self, Clear, ClearType};
use crossterm::{queue, QueueableCommand};

use super::editor::Editor;

pub struct Screen {
    out: Stdout,
    width: usize,
}

/// Runs `body` with the terminal in raw mode, restoring it afterwards.
pub fn with_terminal(body: impl FnOnce(&mut Screen) -> io::Result<()>) -> io::Result<()> {
    terminal::enable_raw_mode()?;
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = terminal::disable_raw_mode();
        previous(info);
    }));
    let _ = crossterm::execute!(io::stdout(), crossterm::event::EnableBracketedPaste);
    let mut screen = Screen { out: io::stdout(), width: terminal::size().map_or(80, |(w, _)| w as usize) };
    let result = body(&mut screen);
    let _ = queue!(screen.out, MoveToColumn(0), Clear(ClearType::CurrentLine), ResetColor);
    let _ = crossterm::execute!(screen.out, crossterm::event::DisableBracketedPaste);
    let _ = terminal::disable_raw_mode();
    result
}

impl Screen {
    /// Prints a server line above the typing line, coloured by kind.
    pub fn message(&mut self, line: &str, me: Option<&str>, raw: bool) -> io::Result<()> {
        queue!(self.out, MoveToColumn(0), Clear(ClearType::CurrentLine))?;
        let mine = me.is_some_and(|n| line.starts_with(&format!("[{n}] ")));
        let (colour, bold) = if raw {
            (None, false)
        } else if line.starts_with("! ") {
            (Some(Color::Red), true)
        } else if line.starts_with("* ") {
            (Some(Color::DarkCyan), false)
        } else if line.starts_with('[')
            && line.split_once("] ").is_some_and(|(head, _)| head.contains(" -> "))
        {
            (Some(Color::Magenta), false)
        } else if mine {
            (Some(Color::Green), false)
        } else {
            (None, false)
        };
        if let Some(c) = colour {
            self.out.queue(SetForegroundColor(c))?;
        }
        if bold {
            self.out.queue(SetAttribute(Attribute::Bold))?;
        }
        // Raw mode: a newline does not return the carriage by itself.
        queue!(self.out, Print(line), SetAttribute(Attribute::Reset), ResetColor, Print("\r\n"))?;
        Ok(())
    }

    /// A note from the client itself (connection state).
    pub fn status(&mut self, text: &str) -> io::Result<()> {
        queue!(
            self.out,
            MoveToColumn(0),
            Clear(ClearType::CurrentLine),
            SetForegroundColor(Color::DarkYellow),
            Print(format!("-- {text}")),
            ResetColor,
            Print("\r\n")
        )
    }

    /// Redraws the typing line and puts the cursor where the editor has it.
    pub fn prompt(&mut self, editor: &Editor, prompt: &str) -> io::Result<()> {
        let room = self.width.saturating_sub(prompt.chars().count() + 1);
        let (shown, cursor) = editor.view(room);
        queue!(
            self.out,
            MoveToColumn(0),
            Clear(ClearType::CurrentLine),
            SetAttribute(Attribute::Bold),
            Print(prompt),
            SetAttribute(Attribute::Reset),
            Print(&shown),
            MoveToColumn((prompt.chars().count() + cursor) as u16)
        )?;
        self.out.flush()
    }

    /// The terminal changed size: the next prompt fits the new width.
    pub fn resized(&mut self) -> io::Result<()> {
        self.width = terminal::size().map_or(self.width, |(w, _)| w as usize);
        Ok(())
    }
}
