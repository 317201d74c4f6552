//! `rooms`: every room with its head count and topic, sorted ignoring case.
//!
//! ```text
//! C: {"type":"rooms"}                               text: /rooms
//! S: {"type":"rooms","payload":{"rooms":[{"room":"#lobby","online":2,"topic":""},
//!                                        {"room":"#rust","online":1,"topic":"Rust"}]}}
//!    * rooms (2): #lobby (2), #rust (1)
//! ```

use serde_json::Value;

use super::Handler;
use crate::proto::render::{Event, RoomInfo};
use crate::proto::{Fault, Hub};
use crate::reactor::{ConnId, Outbox};

pub static HANDLER: Handler = Handler { kind: "rooms", needs_join: false, handle };

fn handle(hub: &mut Hub, id: ConnId, _payload: &Value, out: &mut Outbox) -> Result<(), Fault> {
    let rooms: Vec<RoomInfo> = hub
        .rooms
        .sorted()
        .into_iter()
        .map(|room| {
            let r = hub.rooms.get(room);
            RoomInfo { name: &r.name, online: r.online(), topic: &r.topic }
        })
        .collect();
    hub.reply(id, &Event::Rooms { rooms: &rooms }, out);
    Ok(())
}
