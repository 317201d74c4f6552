//! `join`: enter a room, creating it if nobody is in it.
//!
//! ```text
//! C: {"type":"join","payload":"#rust"}          text: /join #rust
//! S (to #rust): {"type":"join","payload":{"nick":"alice","online":1,"room":"#rust"}}
//!               * alice joined #rust (1 online)
//! S (to alice, if set): {"type":"topic","payload":{"room":"#rust","topic":"...","by":"bob"}}
//!               * topic for #rust: ...
//! ```
//!
//! A text client is in one room at a time: it leaves its current room
//! first. JSON clients add the room to those they hold.

use serde_json::Value;

use super::Handler;
use crate::proto::{Fault, Hub};
use crate::reactor::{ConnId, Outbox};

pub static HANDLER: Handler = Handler { kind: "join", needs_join: true, handle };

fn handle(hub: &mut Hub, id: ConnId, payload: &Value, out: &mut Outbox) -> Result<(), Fault> {
    let Some(raw) = payload.as_str() else {
        let usage = if hub.mode_of(id).single_room() { "usage: /join #ROOM" } else { "expected payload \"#ROOM\"" };
        return Err(Fault::new("bad-args", usage.into()));
    };
    hub.join_room(id, raw, out)
}
