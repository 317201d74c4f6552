//! JSON payloads as Lua values and back. Lua tables have no key order, so
//! the order of each object handed to a handler is kept aside (in a
//! weak-keyed table the handler cannot see): a payload sent back as it came
//! keeps its keys' order, and keys a handler adds follow, sorted. `null`
//! is `mlua`'s null sentinel, so arrays keep their holes; empty arrays stay
//! arrays.

use mlua::{Lua, LuaSerdeExt, Table, Value as LuaValue};
use serde_json::{Map, Number, Value};

/// Deepest nesting converted either way.
const MAX_DEPTH: usize = 64;

pub struct Converter {
    /// Object table -> its keys in their JSON order. Weak keys: it holds
    /// nothing alive.
    order: Table,
}

impl Converter {
    pub fn new(lua: &Lua) -> mlua::Result<Converter> {
        let order = lua.create_table()?;
        let mode = lua.create_table()?;
        mode.raw_set("__mode", "k")?;
        order.set_metatable(Some(mode))?;
        Ok(Converter { order })
    }

    /// A payload for a handler: `null` at the top is `nil`.
    pub fn to_lua(&self, lua: &Lua, v: &Value) -> mlua::Result<LuaValue> {
        match v {
            Value::Null => Ok(LuaValue::Nil),
            v => self.value(lua, v, 0),
        }
    }

    fn value(&self, lua: &Lua, v: &Value, depth: usize) -> mlua::Result<LuaValue> {
        if depth > MAX_DEPTH {
            return Err(mlua::Error::runtime("payload nested too deeply"));
        }
        Ok(match v {
            Value::Null => lua.null(),
            Value::Bool(b) => LuaValue::Boolean(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => LuaValue::Integer(i),
                None => LuaValue::Number(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => LuaValue::String(lua.create_string(s)?),
            Value::Array(items) => {
                let t = lua.create_table_with_capacity(items.len(), 0)?;
                for (i, item) in items.iter().enumerate() {
                    t.raw_set(i + 1, self.value(lua, item, depth + 1)?)?;
                }
                t.set_metatable(Some(lua.array_metatable()))?;
                LuaValue::Table(t)
            }
            Value::Object(map) => {
                let t = lua.create_table_with_capacity(0, map.len())?;
                let keys = lua.create_table_with_capacity(map.len(), 0)?;
                for (i, (k, item)) in map.iter().enumerate() {
                    t.raw_set(k.as_str(), self.value(lua, item, depth + 1)?)?;
                    keys.raw_set(i + 1, k.as_str())?;
                }
                self.order.raw_set(&t, keys)?;
                LuaValue::Table(t)
            }
        })
    }

    /// A Lua value as JSON; `nil` is no payload.
    pub fn to_json(&self, lua: &Lua, v: LuaValue) -> mlua::Result<Option<Value>> {
        if v.is_nil() {
            return Ok(None);
        }
        self.json(lua, v, 0).map(Some)
    }

    fn json(&self, lua: &Lua, v: LuaValue, depth: usize) -> mlua::Result<Value> {
        if depth > MAX_DEPTH {
            return Err(mlua::Error::runtime("value nested too deeply (or a table that contains itself)"));
        }
        Ok(match v {
            LuaValue::Nil => Value::Null,
            v if v == lua.null() => Value::Null,
            LuaValue::Boolean(b) => Value::Bool(b),
            LuaValue::Integer(i) => Value::from(i),
            LuaValue::Number(n) => Value::Number(
                Number::from_f64(n).ok_or_else(|| mlua::Error::runtime("NaN and infinities are not JSON"))?,
            ),
            LuaValue::String(s) => Value::String(
                s.to_str()
                    .map_err(|_| mlua::Error::runtime("strings sent to clients must be UTF-8"))?
                    .to_string(),
            ),
            LuaValue::Table(t) => self.table(lua, t, depth)?,
            other => {
                return Err(mlua::Error::runtime(format!("a {} cannot be sent as JSON", other.type_name())));
            }
        })
    }

    fn table(&self, lua: &Lua, t: Table, depth: usize) -> mlua::Result<Value> {
        let len = t.raw_len();
        let marked_array = t.metatable().is_some_and(|m| m == lua.array_metatable());
        let mut pairs = Vec::new();
        for pair in t.pairs::<LuaValue, LuaValue>() {
            pairs.push(pair?);
        }
        let is_array = marked_array
            || (len > 0
                && len == pairs.len()
                && pairs.iter().all(|(k, _)| matches!(k, LuaValue::Integer(_))));
        if is_array {
            let mut items = Vec::with_capacity(len);
            for i in 1..=len {
                items.push(self.json(lua, t.raw_get(i)?, depth + 1)?);
            }
            return Ok(Value::Array(items));
        }
        let mut entries = std::collections::BTreeMap::new();
        for (k, v) in pairs {
            let key = match k {
                LuaValue::String(s) => {
                    s.to_str().map_err(|_| mlua::Error::runtime("keys must be UTF-8"))?.to_string()
                }
                LuaValue::Integer(i) => i.to_string(),
                other => {
                    let what = format!("a {} key cannot be sent as JSON", other.type_name());
                    return Err(mlua::Error::runtime(what));
                }
            };
            entries.insert(key, v);
        }
        // The keys it came with, in their order; then new ones, sorted.
        let mut map = Map::with_capacity(entries.len());
        if let Some(keys) = self.order.raw_get::<Option<Table>>(&t)? {
            for key in keys.sequence_values::<String>() {
                let key = key?;
                if let Some(v) = entries.remove(&key) {
                    map.insert(key, self.json(lua, v, depth + 1)?);
                }
            }
        }
        for (k, v) in entries {
            map.insert(k, self.json(lua, v, depth + 1)?);
        }
        Ok(Value::Object(map))
    }
}
