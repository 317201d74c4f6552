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
    pub fn metrics(&self, _out: &mut String) {}
}

/// A payload as a handler receives it: text commands pass their arguments.
pub fn text_payload(args: &str) -> Value {
    Value::String(args.to_string())
}
