//! Script handlers: every `DIR/NAME.lua` of `--handlers DIR` is the handler
//! of packet type `NAME` (and of the text command `/NAME`), registered
//! beside the built-in ones. Each file has its own sandboxed Lua state
//! (`sandbox.rs`) and sees the server through `ctx` (`ctx.rs`). SIGHUP
//! reloads the folder; a file that no longer loads keeps its last version.

#[cfg(feature = "lua")]
mod ctx;
#[cfg(feature = "lua")]
mod json;
#[cfg(feature = "lua")]
mod sandbox;

use std::path::PathBuf;

use serde_json::Value;

use crate::net::ConnId;

/// What a handler may read of the chat, and nothing more: it changes
/// nothing itself (its sends are recorded and carried out afterwards).
pub trait World {
    /// The caller's nickname, if it has one.
    fn nick(&self, id: ConnId) -> Option<&str>;
    /// The name of the room a plain `chat` of the caller goes to.
    fn room(&self, id: ConnId) -> Option<&str>;
    /// Does the caller speak JSON (else text)?
    fn speaks_json(&self, id: ConnId) -> bool;
    /// The room named `name` (as a client would type it), if it exists.
    fn find_room(&self, name: &str) -> Option<usize>;
    /// The caller's current room.
    fn current_room(&self, id: ConnId) -> Option<usize>;
    /// The nicknames in `room`, sorted.
    fn who(&self, room: usize) -> Vec<&str>;
    /// Every room, sorted by name.
    fn rooms(&self) -> Vec<RoomSummary<'_>>;
    /// The connection using `nick`.
    fn find_nick(&self, nick: &str) -> Option<ConnId>;
}

/// A room as `ctx:rooms()` lists it.
pub struct RoomSummary<'a> {
    pub name: &'a str,
    pub online: usize,
    pub topic: &'a str,
}

/// `--handlers` and the limits every call runs under.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptConfig {
    pub dir: PathBuf,
    /// Lua instructions one call (or the loading of one file) may run.
    pub budget: u64,
    /// Bytes each file's Lua state may hold.
    pub memory: usize,
    /// Bytes of events one call may send (each send counts 64 more).
    pub max_output: usize,
    /// The built-in packet types (a handler named like one replaces it).
    pub builtins: &'static [&'static str],
}

/// An event a handler sends, and a send recorded during a call.
#[cfg(feature = "lua")]
pub use ctx::{Action, ScriptEvent};

#[cfg(feature = "lua")]
mod loaded;
#[cfg(feature = "lua")]
pub use loaded::Scripts;

/// Without the `lua` feature there are never any script handlers.
#[cfg(not(feature = "lua"))]
#[derive(Default)]
pub struct Scripts {
    _none: (),
}

#[cfg(not(feature = "lua"))]
impl Scripts {
    pub fn load(_cfg: ScriptConfig) -> Result<Scripts, String> {
        Err("--handlers needs Lua, and this linechat was built without it \
             (cargo build --features lua)"
            .into())
    }
    pub fn find(&self, _kind: &str) -> Option<usize> {
        None
    }
    pub fn names(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        std::iter::empty()
    }
    pub fn reload(&mut self) {}
    pub fn metrics(&self, _out: &mut crate::metrics::Page) {}
}

/// A payload as a handler receives it: text commands pass their arguments.
pub fn text_payload(args: &str) -> Value {
    Value::String(args.to_string())
}
