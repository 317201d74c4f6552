//! `topic`: show or set a room's topic.
//!
//! ```text
//! C: {"type":"topic","payload":{"room":"#rust","text":"Rust and more"}}  text: /topic Rust and more
//! S (to #rust): {"type":"topic","payload":{"room":"#rust","topic":"Rust and more","by":"alice"}}
//!               * alice set the topic for #rust: Rust and more
//! C: {"type":"topic","payload":{"room":"#rust"}}                         text: /topic
//! S: {"type":"topic","payload":{"room":"#rust","topic":"Rust and more","by":"alice"}}
//!    * topic for #rust: Rust and more        (unset: * no topic for #rust, "" in JSON)
//! ```
//!
//! Without a room: the room a plain `chat` goes to. Setting needs being in
//! the room; asking works for any room. The text is sanitised like chat and
//! cut to 300 characters; an empty text (JSON only) clears the topic.

use serde_json::Value;

use super::Handler;
use crate::proto::render::Event;
use crate::proto::rooms::parse_room;
use crate::proto::{Fault, Hub};
use crate::reactor::{ConnId, Outbox};

pub static HANDLER: Handler = Handler { kind: "topic", needs_join: true, handle };

fn handle(hub: &mut Hub, id: ConnId, payload: &Value, out: &mut Outbox) -> Result<(), Fault> {
    let shape = || Fault::new("bad-args", "expected payload {\"room\": \"#ROOM\", \"text\": TEXT} or \"#ROOM\"".into());
    let (room, text) = match payload {
        Value::Null => (None, None),
        Value::String(room) => (Some(room.as_str()), None),
        Value::Object(fields) => {
            let room = match fields.get("room") {
                None | Some(Value::Null) => None,
                Some(Value::String(room)) => Some(room.as_str()),
                Some(_) => return Err(shape()),
            };
            let text = match fields.get("text") {
                None | Some(Value::Null) => None,
                Some(Value::String(text)) => Some(text.as_str()),
                Some(_) => return Err(shape()),
            };
            (room, text)
        }
        _ => return Err(shape()),
    };
    let Some(text) = text else {
        let room = match room {
            None => hub.current_room(id).ok_or_else(super::in_no_room)?,
            Some(raw) => {
                let name = parse_room(raw).map_err(|e| Fault::new("room-invalid", e.to_string()))?;
                match hub.rooms.find(name) {
                    Some(room) => room,
                    None => {
                        hub.reply(id, &Event::Topic { room: name, topic: "", by: "", set: false }, out);
                        return Ok(());
                    }
                }
            }
        };
        let r = hub.rooms.get(room);
        hub.reply(id, &Event::Topic { room: &r.name, topic: &r.topic, by: &r.topic_by, set: false }, out);
        return Ok(());
    };
    let room = match room {
        None => hub.current_room(id).ok_or_else(super::in_no_room)?,
        Some(raw) => hub.held_room(id, raw)?,
    };
    hub.set_topic(id, room, text, out);
    Ok(())
}
