//! `chat`: say something to a room.
//!
//! ```text
//! C: {"type":"chat","payload":"hello"}                          text: hello
//! C: {"type":"chat","payload":{"room":"#rust","text":"hello"}}
//! S (to the room): {"type":"chat","payload":{"from":"alice","text":"hello","room":"#rust"}}
//!                  [alice] hello
//! ```
//!
//! A plain string goes to the room joined most recently and still held.

use serde_json::Value;

use super::Handler;
use crate::proto::render::Said;
use crate::proto::{sanitize, Fault, Hub};
use crate::reactor::{ConnId, Outbox};

pub static HANDLER: Handler = Handler { kind: "chat", needs_join: true, handle };

fn handle(hub: &mut Hub, id: ConnId, payload: &Value, out: &mut Outbox) -> Result<(), Fault> {
    relay(hub, id, payload, Said::Plain, out)
}

/// Relays a `chat` or `me` payload (a string, or `{"room", "text"}`) to its room.
pub(super) fn relay(hub: &mut Hub, id: ConnId, payload: &Value, said: Said, out: &mut Outbox) -> Result<(), Fault> {
    let (room, text) = match payload {
        Value::String(text) => (hub.current_room(id).ok_or_else(super::in_no_room)?, text.as_str()),
        Value::Object(fields) => match (fields.get("room"), fields.get("text")) {
            (Some(Value::String(room)), Some(Value::String(text))) => (hub.held_room(id, room)?, text.as_str()),
            _ => return Err(shape()),
        },
        _ => return Err(shape()),
    };
    let text = sanitize(text);
    if text.trim().is_empty() {
        return Ok(());
    }
    hub.say(id, room, &text, said, out);
    Ok(())
}

fn shape() -> Fault {
    Fault::new("bad-args", "expected payload \"TEXT\" or {\"room\": \"#ROOM\", \"text\": TEXT}".into())
}
