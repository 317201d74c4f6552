//! One handler file's Lua state, locked down: which libraries it sees, the
//! instruction budget every call runs under, the memory cap, and the holes
//! in Lua that a budget alone does not close (finalizers, to-be-closed
//! variables, and string patterns that backtrack inside C).

use std::cell::Cell;
use std::rc::Rc;

use log::info;
use mlua::{Function, HookTriggers, Lua, LuaOptions, MultiValue, StdLib, Table, Value, VmState};

/// Instructions between two looks at the budget: often enough to stop a
/// loop within a fraction of the budget, rarely enough to cost nothing.
const HOOK_EVERY: u32 = 1000;

/// Longest `print` line a handler may put in the log.
const MAX_PRINT: usize = 1024;

/// What one call may spend, shared with the hook.
#[derive(Default)]
pub struct Budget {
    /// Instructions left in the current call.
    left: Cell<i64>,
    /// The budget ran out: every instruction from now on fails, so no
    /// `pcall` can catch the error and go on.
    spent: Cell<bool>,
}

impl Budget {
    pub fn spent(&self) -> bool {
        self.spent.get()
    }
}

/// A fresh, restricted Lua state for the file `name`.
pub fn new_state(name: &str, memory: usize) -> mlua::Result<(Lua, Rc<Budget>)> {
    let libs = StdLib::STRING | StdLib::TABLE | StdLib::MATH | StdLib::UTF8 | StdLib::COROUTINE | StdLib::OS;
    let lua = Lua::new_with(libs, LuaOptions::default())?;
    let globals = lua.globals();

    // `os` keeps only the clock; no files, processes or environment.
    let os: Table = globals.get("os")?;
    let safe_os = lua.create_table()?;
    safe_os.set("time", os.get::<Function>("time")?)?;
    safe_os.set("clock", os.get::<Function>("clock")?)?;
    globals.set("os", safe_os)?;
    for name in ["dofile", "loadfile", "load", "collectgarbage", "warn", "require", "debug", "io", "package"]
    {
        globals.set(name, Value::Nil)?;
    }
    let string: Table = globals.get("string")?;
    string.set("dump", Value::Nil)?;

    // `print` goes to the log, one bounded line per call.
    let who = name.to_string();
    globals.set(
        "print",
        lua.create_function(move |_, args: MultiValue| {
            let mut line = String::new();
            for (i, v) in args.iter().enumerate() {
                if i > 0 {
                    line.push('\t');
                }
                line.push_str(&v.to_string().unwrap_or_else(|_| v.type_name().to_string()));
                if line.len() > MAX_PRINT {
                    break;
                }
            }
            let cut = (0..=MAX_PRINT.min(line.len())).rev().find(|&i| line.is_char_boundary(i)).unwrap_or(0);
            info!("handler {who}: {}", &line[..cut]);
            Ok(())
        })?,
    )?;

    protect_metatables(&lua)?;
    let budget = Rc::new(Budget::default());
    guard_patterns(&lua, &string, budget.clone())?;
    lua.set_memory_limit(memory)?;
    Ok((lua, budget))
}

/// Finalizers (`__gc`) and to-be-closed variables (`__close`) run with
/// hooks off, so a loop in one would escape the budget: `setmetatable`
/// refuses them, and the shared string metatable cannot be changed.
fn protect_metatables(lua: &Lua) -> mlua::Result<()> {
    lua.load("getmetatable('').__metatable = false").set_name("=sandbox").exec()?;
    let setmetatable = lua.create_function(|lua, (target, meta): (Table, Option<Table>)| {
        let Some(meta) = meta else {
            target.set_metatable(None)?;
            return Ok(target);
        };
        for key in ["__gc", "__close"] {
            if !meta.raw_get::<Value>(key)?.is_nil() {
                return Err(mlua::Error::runtime(format!("{key} metamethods are not allowed in handlers")));
            }
        }
        // A copy is installed, so adding `__gc` to the caller's table later
        // does nothing; `getmetatable` still returns the caller's table.
        let copy = lua.create_table()?;
        for pair in meta.pairs::<Value, Value>() {
            let (k, v) = pair?;
            copy.raw_set(k, v)?;
        }
        if copy.raw_get::<Value>("__metatable")?.is_nil() {
            copy.raw_set("__metatable", meta)?;
        }
        target.set_metatable(Some(copy))?;
        Ok(target)
    })?;
    lua.globals().set("setmetatable", setmetatable)
}

/// Arms the budget for one call of `instructions`.
pub fn arm(lua: &Lua, budget: &Rc<Budget>, instructions: u64) -> mlua::Result<()> {
    budget.left.set(instructions.min(i64::MAX as u64) as i64);
    budget.spent.set(false);
    let b = budget.clone();
    lua.set_global_hook(HookTriggers::new().every_nth_instruction(HOOK_EVERY), move |lua, _| {
        if b.spent.get() {
            return Err(mlua::Error::runtime("instruction budget exhausted"));
        }
        b.left.set(b.left.get() - i64::from(HOOK_EVERY));
        if b.left.get() > 0 {
            return Ok(VmState::Continue);
        }
        // From now on every instruction fails: a `pcall` that catches this
        // error cannot run a single instruction of its own.
        b.spent.set(true);
        let again = b.clone();
        lua.set_global_hook(HookTriggers::new().every_nth_instruction(1), move |_, _| {
            again.spent.set(true);
            Err(mlua::Error::runtime("instruction budget exhausted"))
        })?;
        Err(mlua::Error::runtime("instruction budget exhausted"))
    })
}

/// Lua's pattern matcher runs in C, where the budget's hook never fires, and
/// backtracks: `('a'):rep(800):find('.-.-.-x')` takes a minute. Every
/// pattern function first estimates its worst case (a search with `q`
/// repeated items over `n` bytes tries at most C(n, q+1) ways, C(n, q) when
/// anchored with `^`) and refuses a search that could cost more than the
/// instructions the call has left.
fn guard_patterns(lua: &Lua, string: &Table, budget: Rc<Budget>) -> mlua::Result<()> {
    for name in ["find", "match", "gmatch", "gsub"] {
        let original: Function = string.get(name)?;
        let budget = budget.clone();
        let guarded = lua.create_function(move |_, args: MultiValue| {
            let subject = args.front().and_then(|v| v.as_string().map(|s| s.as_bytes().len()));
            let pattern = args.get(1).and_then(|v| v.as_string().map(|s| s.as_bytes().to_vec()));
            let plain = name == "find" && args.get(3).is_some_and(|v| v.as_boolean().unwrap_or(!v.is_nil()));
            if let (Some(n), Some(pattern), false) = (subject, pattern, plain) {
                let left = budget.left.get().max(0) as f64;
                if worst_case(n, &pattern) > left {
                    return Err(mlua::Error::runtime(format!(
                        "string.{name}: this pattern on {n} bytes could run past the instruction budget"
                    )));
                }
            }
            original.call::<MultiValue>(args)
        })?;
        string.set(name, guarded)?;
    }
    Ok(())
}

/// The most steps a Lua pattern search could take over `n` bytes.
fn worst_case(n: usize, pattern: &[u8]) -> f64 {
    let anchored = pattern.first() == Some(&b'^');
    let repeats = repeated_items(pattern);
    let k = if anchored { repeats } else { repeats + 1 };
    // C(n, k), computed in floating point; it only has to be compared.
    let mut ways = 1.0f64;
    for i in 0..k {
        ways *= (n.saturating_sub(i)) as f64 / (i + 1) as f64;
        if ways > 1e18 {
            break;
        }
    }
    ways.max(n as f64)
}

/// Counts the items of a pattern followed by `*`, `+` or `-`, skipping
/// escapes (`%x`) and the inside of sets (`[...]`).
fn repeated_items(p: &[u8]) -> usize {
    let mut count = 0;
    let mut i = 0;
    while i < p.len() {
        let item_end = match p[i] {
            b'%' => i + 2,
            b'[' => {
                let mut j = i + 1;
                if p.get(j) == Some(&b'^') {
                    j += 1;
                }
                if p.get(j) == Some(&b']') {
                    j += 1;
                }
                while j < p.len() && p[j] != b']' {
                    j += if p[j] == b'%' { 2 } else { 1 };
                }
                j + 1
            }
            _ => i + 1,
        };
        if matches!(p.get(item_end), Some(b'*' | b'+' | b'-')) {
            count += 1;
            i = item_end + 1;
        } else {
            i = item_end;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_repeated_items() {
        assert_eq!(repeated_items(b"^(%d+)d(%d+)$"), 2);
        assert_eq!(repeated_items(b".-.-.-x"), 3);
        assert_eq!(repeated_items(b"[a-z]+"), 1);
        assert_eq!(repeated_items(b"%-%+"), 0);
        assert_eq!(repeated_items(b"[%]-]x"), 0);
        assert_eq!(repeated_items(b"plain"), 0);
    }

    #[test]
    fn worst_case_grows_with_repeats() {
        assert!(worst_case(800, b".-.-.-x") > 1e9);
        assert!(worst_case(5, b"^(%d+)d(%d+)$") < 100.0);
        assert!(worst_case(400, b"%S+") < 1e6);
    }
}
