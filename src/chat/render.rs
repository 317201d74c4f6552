//! Rendering events once per format (a wire format in a language) in use.
//! Each face registers the renderer of its wire format in a table, once per
//! language; a session holds the index of its format, and an event sent to
//! many people is rendered at most once per format, the bytes shared by
//! every recipient of that format.

use std::cell::OnceCell;

use super::event::Event;
pub use super::format::{Format, MAX_FORMATS};
use crate::net::Message;
use crate::words::Lang;

/// What renderers may need beyond the event.
pub struct RenderEnv {
    /// The server's name (IRC masks and replies).
    pub server_name: String,
    /// What some users' masks show beyond their nicknames, by nickname as
    /// events name them (kept by the core as nicknames come and go).
    pub idents: std::collections::HashMap<String, Ident>,
}

/// A user's username (as its client gave it, e.g. `~bob`) and whether it
/// says it is a bot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ident {
    pub user: Option<Box<str>>,
    pub bot: bool,
}

impl RenderEnv {
    pub fn new(server_name: String) -> RenderEnv {
        RenderEnv { server_name, idents: Default::default() }
    }
}

/// One format's renderer: the event's line(s), each ending in `\n`, with
/// the words of a language.
pub type RenderFn = fn(&Event, &RenderEnv, Lang) -> Vec<u8>;

/// The renderer and language of every format, by [`Format`]: a format is
/// a (wire format, language) pair, so an event is rendered once per pair
/// in use and the bytes shared by everyone reading that pair.
pub struct Renderers {
    table: Vec<(RenderFn, Lang)>,
    pub env: RenderEnv,
}

impl Renderers {
    pub fn new(env: RenderEnv) -> Renderers {
        Renderers { table: Vec::new(), env }
    }

    /// Adds a format in `lang`; returns its index.
    pub fn register(&mut self, render: RenderFn, lang: Lang) -> Format {
        assert!(self.table.len() < MAX_FORMATS, "at most {MAX_FORMATS} formats");
        self.table.push((render, lang));
        Format(self.table.len() as u8 - 1)
    }

    /// The language of `format`.
    pub fn lang(&self, format: Format) -> Lang {
        self.table.get(format.0 as usize).map_or(Lang::EN, |(_, lang)| *lang)
    }

    /// An event, to be rendered on first use per format.
    #[inline]
    pub fn event<'a>(&'a self, event: &'a Event<'a>) -> Rendered<'a> {
        Rendered { event, renderers: self, cells: Default::default() }
    }
}

/// An event with its renderings, each made on first use.
pub struct Rendered<'a> {
    event: &'a Event<'a>,
    renderers: &'a Renderers,
    cells: [OnceCell<Message>; MAX_FORMATS],
}

impl Rendered<'_> {
    /// The message for a client of `format`.
    #[inline]
    pub fn get(&self, format: Format) -> &Message {
        let f = format.0 as usize;
        self.cells[f].get_or_init(|| {
            let (render, lang) = self.renderers.table[f];
            Message::new(render(self.event, &self.renderers.env, lang), format.0)
        })
    }
}
