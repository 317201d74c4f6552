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
use crate::proto::handshake::fold_nick;
use crate::proto::render::{Event, RoomInfo};
use crate::proto::{Fault, Hub};
use crate::reactor::{ConnId, Outbox};

pub static HANDLER: Handler = Handler { kind: "rooms", needs_join: false, handle };

fn handle(hub: &mut Hub, id: ConnId, _payload: &Value, out: &mut Outbox) -> Result<(), Fault> {
    let mut rooms: Vec<(String, RoomInfo)> = hub
        .rooms
        .iter()
        .map(|(_, r)| (fold_nick(&r.name), RoomInfo { name: &r.name, online: r.members.len(), topic: &r.topic }))
        .collect();
    rooms.sort_by(|a, b| (&a.0, a.1.name).cmp(&(&b.0, b.1.name)));
    let rooms: Vec<RoomInfo> = rooms.into_iter().map(|(_, info)| info).collect();
    hub.reply(id, &Event::Rooms { rooms: &rooms }, out);
    Ok(())
}
