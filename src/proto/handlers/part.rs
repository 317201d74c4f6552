//! `part`: leave a room.
//!
//! ```text
//! C: {"type":"part","payload":"#rust"}     text: /part
//! S (to #rust, alice included): {"type":"leave","payload":{"nick":"alice","online":1,"room":"#rust"}}
//! ```
//!
//! Without a payload: the room a plain `chat` goes to. A text client goes
//! back to the default room, exactly as `/join` of it would; in the default
//! room there is nowhere to go back to.

use serde_json::Value;

use super::{payload_str, Handler};
use crate::proto::{Fault, Hub};
use crate::reactor::{ConnId, Outbox};

pub static HANDLER: Handler = Handler { kind: "part", needs_join: true, handle };

fn handle(hub: &mut Hub, id: ConnId, payload: &Value, out: &mut Outbox) -> Result<(), Fault> {
    let room = if payload.is_null() {
        hub.current_room(id).ok_or_else(super::in_no_room)?
    } else {
        hub.held_room(id, payload_str(payload, "\"#ROOM\"")?)?
    };
    hub.part_room(id, room, None, out)
}
