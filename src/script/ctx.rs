//! `ctx`, what a handler sees of the server: who called (`nick`, `room`,
//! `mode`), read-only queries (`who`, `rooms`), and sends. Sends are only
//! recorded here, as [`Action`]s; the Hub carries them out once the handler
//! has returned, so a handler that fails half-way has sent what it sent.

use std::cell::RefCell;

use mlua::{Table, UserData, UserDataFields, UserDataMethods, Value as LuaValue};
use serde_json::Value;

use super::json::Converter;
use super::World;
use crate::net::ConnId;

/// An event a handler sends: JSON clients get `{"type","payload"}`, text
/// clients `* TEXT` (or `* TYPE: <payload>`), IRC users a notice.
#[derive(Debug, Clone)]
pub struct ScriptEvent {
    pub kind: String,
    pub payload: Option<Value>,
    pub text: Option<String>,
}

/// A send recorded during a call.
#[derive(Debug)]
pub enum Action {
    Reply(ScriptEvent),
    /// To everyone in the room (by id, looked up during the call).
    Room(usize, ScriptEvent),
    To(ConnId, ScriptEvent),
    /// `echo`: the payload to every JSON client.
    Echo(Option<Value>),
    Error {
        code: String,
        message: String,
    },
}

/// The `ctx` of one call.
pub struct Ctx<'a> {
    pub world: &'a dyn World,
    pub id: ConnId,
    pub actions: &'a RefCell<Vec<Action>>,
    /// Bytes the call may still queue (`--handler-max-output`).
    pub output_left: &'a std::cell::Cell<usize>,
    pub json: &'a Converter,
}

impl Ctx<'_> {
    fn push(&self, action: Action, bytes: usize) -> mlua::Result<()> {
        // Every send costs at least a little, so a loop of empty sends ends too.
        let cost = bytes + 64;
        if cost > self.output_left.get() {
            return Err(mlua::Error::runtime("output limit of this call reached (--handler-max-output)"));
        }
        self.output_left.set(self.output_left.get() - cost);
        self.actions.borrow_mut().push(action);
        Ok(())
    }

    fn current_room_name(&self) -> Option<&str> {
        self.world.room(self.id)
    }
}

/// Reads `{type=, payload=, text=}`, with its size in bytes.
fn event(lua: &mlua::Lua, json: &Converter, t: Table) -> mlua::Result<(ScriptEvent, usize)> {
    let kind: String = t
        .get::<Option<String>>("type")?
        .ok_or_else(|| mlua::Error::runtime("an event needs a string 'type'"))?;
    if kind.is_empty() || kind.len() > 64 {
        return Err(mlua::Error::runtime("an event's 'type' is 1 to 64 bytes"));
    }
    let payload = json.to_json(lua, t.get("payload")?)?;
    let text: Option<String> = t.get("text")?;
    let size = kind.len() + text.as_ref().map_or(0, String::len) + payload.as_ref().map_or(0, json_len);
    Ok((ScriptEvent { kind, payload, text }, size))
}

fn json_len(v: &Value) -> usize {
    serde_json::to_vec(v).map_or(0, |b| b.len())
}

impl UserData for Ctx<'_> {
    fn add_fields<F: UserDataFields<Self>>(fields: &mut F) {
        fields.add_field_method_get("nick", |_, c| Ok(c.world.nick(c.id).map(str::to_string)));
        fields.add_field_method_get("room", |_, c| Ok(c.current_room_name().map(str::to_string)));
        fields
            .add_field_method_get("mode", |_, c| Ok(if c.world.speaks_json(c.id) { "json" } else { "text" }));
    }

    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_method("reply", |lua, c, ev: Table| {
            let (ev, size) = event(lua, c.json, ev)?;
            c.push(Action::Reply(ev), size)
        });
        methods.add_method("broadcast", |lua, c, ev: Table| {
            let (ev, size) = event(lua, c.json, ev)?;
            let room =
                c.world.current_room(c.id).ok_or_else(|| mlua::Error::runtime("the caller is in no room"))?;
            c.push(Action::Room(room, ev), size)
        });
        methods.add_method("to_room", |lua, c, (name, ev): (String, Table)| {
            let (ev, size) = event(lua, c.json, ev)?;
            let Some(room) = c.world.find_room(&name) else {
                return Ok(false);
            };
            c.push(Action::Room(room, ev), size)?;
            Ok(true)
        });
        methods.add_method("send", |lua, c, (nick, ev): (String, Table)| {
            let (ev, size) = event(lua, c.json, ev)?;
            let Some(to) = c.world.find_nick(&nick) else {
                return Ok(false);
            };
            c.push(Action::To(to, ev), size)?;
            Ok(true)
        });
        methods.add_method("echo", |lua, c, payload: LuaValue| {
            let payload = c.json.to_json(lua, payload)?;
            let size = payload.as_ref().map_or(0, json_len);
            c.push(Action::Echo(payload), size)
        });
        methods.add_method("error", |_, c, (code, message): (String, String)| {
            let valid = !code.is_empty()
                && code.len() <= 32
                && code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !valid {
                return Err(mlua::Error::runtime("an error code is 1 to 32 of a-z, 0-9 and '-'"));
            }
            let size = code.len() + message.len();
            c.push(Action::Error { code, message }, size)
        });
        methods.add_method("who", |lua, c, room: Option<String>| {
            let room = match room {
                Some(name) => c.world.find_room(&name),
                None => c.world.current_room(c.id),
            };
            let Some(room) = room else {
                return Ok(LuaValue::Nil);
            };
            let list = lua.create_sequence_from(c.world.who(room))?;
            Ok(LuaValue::Table(list))
        });
        methods.add_method("rooms", |lua, c, ()| {
            let list = lua.create_table()?;
            for (i, r) in c.world.rooms().into_iter().enumerate() {
                let t = lua.create_table()?;
                t.set("room", r.name)?;
                t.set("online", r.online)?;
                t.set("topic", r.topic)?;
                list.raw_set(i + 1, t)?;
            }
            Ok(list)
        });
    }
}
