//! `who`: who is in a room, sorted.
//!
//! ```text
//! C: {"type":"who"}                      text: /who
//! S: {"type":"who","payload":{"nicks":["alice","bob"],"room":"#lobby"}}   * online (2): alice, bob
//! C: {"type":"who","payload":"#rust"}    text: /who #rust
//! S: {"type":"who","payload":{"nicks":["carol"],"room":"#rust"}}          * online in #rust (1): carol
//! ```
//!
//! Without a payload: the room a plain `chat` goes to (before choosing a
//! nickname, the default room). A room that does not exist has nobody in it.

use serde_json::Value;

use super::{payload_str, Handler};
use crate::proto::render::{Event, RoomRef};
use crate::proto::rooms::parse_room;
use crate::proto::{Fault, Hub};
use crate::reactor::{ConnId, Outbox};

pub static HANDLER: Handler = Handler { kind: "who", needs_join: false, handle };

fn handle(hub: &mut Hub, id: ConnId, payload: &Value, out: &mut Outbox) -> Result<(), Fault> {
    let room = if payload.is_null() {
        match hub.current_room(id) {
            Some(room) => room,
            None if hub.nick_of(id).is_none() => hub.rooms.default_id(),
            None => return Err(super::in_no_room()),
        }
    } else {
        let raw = payload_str(payload, "\"#ROOM\" or none")?;
        let name = parse_room(raw).map_err(|e| Fault::new("room-invalid", e.to_string()))?;
        match hub.rooms.find(name) {
            Some(room) => room,
            None => {
                let event = Event::Who { nicks: &[], room: RoomRef { name, is_default: false } };
                hub.reply(id, &event, out);
                return Ok(());
            }
        }
    };
    hub.reply(id, &Event::Who { nicks: &hub.sorted_nicks(room), room: hub.room_ref(room) }, out);
    Ok(())
}
