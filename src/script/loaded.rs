//! The loaded handler files: loading and reloading the folder, and running
//! one call of a handler under its budget.

use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use log::{info, warn};
use mlua::chunk::ChunkMode;
use mlua::{Function, Lua, Table, Value as LuaValue};
use serde_json::Value;

use super::ctx::{Action, Ctx};
use super::json::Converter;
use super::sandbox::{self, Budget};
use super::{ScriptConfig, World};
use crate::net::ConnId;

/// Built-in types a file may not replace: without them a client could not
/// get a name, move, leave or learn what exists; and those that carry a
/// password or token, which no script handler ever sees.
pub const FIXED: &[&str] = &[
    "nick",
    "join",
    "part",
    "bye",
    "quit",
    "help",
    "register",
    "login",
    "login-token",
    "logout",
    "password",
    "unregister",
    "oper",
];

/// The handler files' name rule: a room name's without the `#` (1 to 32
/// letters and digits of any script, `_`, `-`, `.`: `주사위` is one), and
/// already case-folded, so `/NAME` (case-insensitive) and `"type":"NAME"`
/// agree.
pub fn valid_name(name: &str) -> bool {
    crate::chat::rooms::parse_room(&format!("#{name}")).is_ok_and(|n| &n[1..] == name)
        && crate::chat::session::fold_nick(name) == name
}

/// One handler file, loaded.
struct Script {
    name: String,
    help: Option<String>,
    /// The file as loaded, so a reload can tell whether it changed.
    source: Vec<u8>,
    lua: Lua,
    budget: Rc<Budget>,
    json: Converter,
    handle: Function,
    calls: Cell<u64>,
    errors: Cell<u64>,
}

/// Every loaded handler file, sorted by name.
#[derive(Default)]
pub struct Scripts {
    cfg: Option<ScriptConfig>,
    loaded: Vec<Script>,
}

/// A call that failed: what it sent before failing, and why it failed.
pub struct CallError {
    pub sent: Vec<Action>,
    pub reason: String,
}

impl Scripts {
    /// Loads every `*.lua` of the folder; the first file that fails is the error.
    pub fn load(cfg: ScriptConfig) -> Result<Scripts, String> {
        let mut loaded = Vec::new();
        for (name, path) in handler_files(&cfg.dir)? {
            let source = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            loaded.push(load_file(&cfg, &name, &path, source)?);
        }
        let scripts = Scripts { cfg: Some(cfg), loaded };
        scripts.log_loaded();
        Ok(scripts)
    }

    fn log_loaded(&self) {
        for s in &self.loaded {
            if self.cfg.as_ref().is_some_and(|c| c.builtins.contains(&s.name.as_str())) {
                info!("handler {} replaces the built-in one", s.name);
            }
        }
        let names: Vec<&str> = self.loaded.iter().map(|s| s.name.as_str()).collect();
        if let Some(cfg) = &self.cfg {
            info!(
                "handlers from {}: {}",
                cfg.dir.display(),
                if names.is_empty() { "none".into() } else { names.join(", ") }
            );
        }
    }

    /// Rereads the folder: new and changed files are loaded, removed ones
    /// dropped; a file that fails keeps its previous version.
    pub fn reload(&mut self) {
        let Some(cfg) = self.cfg.clone() else { return };
        let files = match handler_files(&cfg.dir) {
            Ok(files) => files,
            Err(e) => return warn!("handlers not reloaded: {e}"),
        };
        let mut old: Vec<Script> = std::mem::take(&mut self.loaded);
        for (name, path) in files {
            let previous = old.iter().position(|s| s.name == name).map(|i| old.swap_remove(i));
            let source = match std::fs::read(&path) {
                Ok(source) => source,
                Err(e) => {
                    warn!("{}: {e}", path.display());
                    self.loaded.extend(previous);
                    continue;
                }
            };
            match previous {
                Some(p) if p.source == source => self.loaded.push(p),
                previous => match load_file(&cfg, &name, &path, source) {
                    Ok(script) => {
                        info!("handler {name} {}", if previous.is_some() { "reloaded" } else { "added" });
                        self.loaded.push(script);
                    }
                    Err(e) if previous.is_some() => {
                        warn!("{e}; handler {name} keeps its previous version");
                        self.loaded.extend(previous);
                    }
                    Err(e) => warn!("{e}; handler {name} not added"),
                },
            }
        }
        for gone in old {
            info!("handler {} removed", gone.name);
        }
        self.loaded.sort_by(|a, b| a.name.cmp(&b.name));
        self.log_loaded();
    }

    /// The handler for packet type `kind`.
    pub fn find(&self, kind: &str) -> Option<usize> {
        self.loaded.iter().position(|s| s.name == kind)
    }

    /// Every handler's name and help text.
    pub fn names(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.loaded.iter().map(|s| (s.name.as_str(), s.help.as_deref()))
    }

    pub fn name(&self, i: usize) -> &str {
        &self.loaded[i].name
    }

    /// Runs handler `i` for client `id`; returns the sends it made.
    pub fn call(
        &self,
        i: usize,
        world: &dyn World,
        id: ConnId,
        payload: &Value,
    ) -> Result<Vec<Action>, CallError> {
        let s = &self.loaded[i];
        let cfg = self.cfg.as_ref().expect("scripts are loaded from a folder");
        s.calls.set(s.calls.get() + 1);
        let actions = RefCell::new(Vec::new());
        let output_left = Cell::new(cfg.max_output);
        let result = sandbox::arm(&s.lua, &s.budget, cfg.budget).and_then(|()| {
            let arg = s.json.to_lua(&s.lua, payload)?;
            s.lua.scope(|scope| {
                let ctx = Ctx { world, id, actions: &actions, output_left: &output_left, json: &s.json };
                let ctx = scope.create_userdata(ctx)?;
                s.handle.call::<()>((ctx, arg))
            })
        });
        let sent = actions.into_inner();
        match result {
            Ok(()) => Ok(sent),
            Err(e) => {
                s.errors.set(s.errors.get() + 1);
                let reason = reason(&e, &s.budget, cfg);
                Err(CallError { sent, reason })
            }
        }
    }

    /// Calls, errors and memory per handler, for `/metrics`.
    pub fn metrics(&self, m: &mut crate::metrics::Page) {
        if self.loaded.is_empty() {
            return;
        }
        let labels: Vec<String> = self.loaded.iter().map(|s| format!("{{handler=\"{}\"}}", s.name)).collect();
        let samples = |value: &dyn Fn(&Script) -> f64| -> Vec<(&str, f64)> {
            self.loaded.iter().zip(&labels).map(|(s, l)| (l.as_str(), value(s))).collect()
        };
        m.labelled(
            "handler_calls_total",
            "counter",
            "Calls of each script handler.",
            &samples(&|s| s.calls.get() as f64),
        );
        let errors = samples(&|s| s.errors.get() as f64);
        m.labelled("handler_errors_total", "counter", "Script handler calls that failed.", &errors);
        let memory = samples(&|s| s.lua.used_memory() as f64);
        m.labelled("handler_memory_bytes", "gauge", "Memory held by each handler's Lua state.", &memory);
    }
}

/// The handler files of `dir`, as (name, path), sorted by name.
fn handler_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("--handlers {}: {e}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| format!("--handlers {}: {e}", dir.display()))?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("lua") || !path.is_file() {
            continue;
        }
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("").to_string();
        if !valid_name(&name) {
            warn!(
                "{}: skipped: a handler's name is 1 to 32 lower-case letters or digits (any script), '_', '-' and '.'",
                path.display()
            );
            continue;
        }
        if FIXED.contains(&name.as_str()) {
            warn!("{}: skipped: '{name}' is built in and cannot be replaced", path.display());
            continue;
        }
        files.push((name, path));
    }
    files.sort();
    Ok(files)
}

/// Loads one file into a fresh state: the file runs once, under the budget,
/// and must return a table with `handle`.
fn load_file(cfg: &ScriptConfig, name: &str, path: &Path, source: Vec<u8>) -> Result<Script, String> {
    let fail = |e: mlua::Error, budget: &Budget| format!("{}: {}", path.display(), reason(&e, budget, cfg));
    let (lua, budget) =
        sandbox::new_state(name, cfg.memory).map_err(|e| format!("{}: {e}", path.display()))?;
    sandbox::arm(&lua, &budget, cfg.budget).map_err(|e| fail(e, &budget))?;
    let table: Table = lua
        .load(&source[..])
        .set_name(format!("@{}", path.display()))
        .set_mode(ChunkMode::Text)
        .eval::<LuaValue>()
        .and_then(|v| match v {
            LuaValue::Table(t) => Ok(t),
            _ => Err(mlua::Error::runtime("the file must return a table with handle(ctx, payload)")),
        })
        .map_err(|e| fail(e, &budget))?;
    let json = Converter::new(&lua).map_err(|e| fail(e, &budget))?;
    let handle = match table.get::<LuaValue>("handle") {
        Ok(LuaValue::Function(f)) => f,
        _ => return Err(format!("{}: the returned table has no function 'handle'", path.display())),
    };
    let help = match table.get::<LuaValue>("help") {
        Ok(LuaValue::String(s)) => Some(crate::chat::sanitize(&s.to_string_lossy()).into_owned()),
        _ => None,
    };
    Ok(Script {
        name: name.to_string(),
        help,
        source,
        lua,
        budget,
        json,
        handle,
        calls: Cell::new(0),
        errors: Cell::new(0),
    })
}

/// Why a call failed, in one line: the budget or the memory cap by name,
/// otherwise Lua's message (`file:line: what`) without its traceback.
fn reason(e: &mlua::Error, budget: &Budget, cfg: &ScriptConfig) -> String {
    if budget.spent() {
        return format!("instruction budget of {} exhausted", cfg.budget);
    }
    match e {
        mlua::Error::MemoryError(_) => format!("memory limit of {} bytes reached", cfg.memory),
        mlua::Error::CallbackError { cause, .. } => reason(cause, budget, cfg),
        mlua::Error::RuntimeError(m) => first_line(m),
        mlua::Error::SyntaxError { message, .. } => first_line(message),
        mlua::Error::WithContext { cause, .. } => reason(cause, budget, cfg),
        other => first_line(&other.to_string()),
    }
}

fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or("").trim();
    // Memory errors raised inside Lua and caught there come back as text.
    if line.ends_with("not enough memory") {
        return "memory limit reached".into();
    }
    line.to_string()
}

#[cfg(test)]
mod tests {
    use super::valid_name;

    #[test]
    fn handler_names_follow_the_room_rules_in_any_script_but_folded() {
        for good in ["roll", "주사위", "time_2", "a.b-c", "ünï"] {
            assert!(valid_name(good), "{good}");
        }
        for bad in ["", "Roll", "ÜNÏ", "a b", "a/b", "#x", &"x".repeat(33)] {
            assert!(!valid_name(bad), "{bad}");
        }
        assert!(valid_name(&"가".repeat(32)));
    }
}
