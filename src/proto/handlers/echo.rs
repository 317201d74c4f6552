//! `echo`: the original echo server's packet, broadcast as sent to every
//! JSON-mode connection, joined or not, the sender included.
//!
//! ```text
//! C: {"type":"echo","payload":{"any":"json"}}
//! S (to every JSON client): {"type":"echo","payload":{"any":"json"}}
//! ```

use serde_json::Value;

use super::Handler;
use crate::cluster::note::Note;
use crate::proto::render::Event;
use crate::proto::{Fault, Hub};
use crate::reactor::{ConnId, Outbox};

pub static HANDLER: Handler = Handler { kind: "echo", needs_join: false, handle };

fn handle(hub: &mut Hub, _id: ConnId, payload: &Value, out: &mut Outbox) -> Result<(), Fault> {
    let payload = (!payload.is_null()).then_some(payload);
    hub.stats.messages += 1;
    hub.broadcast_json(&Event::Echo { payload }, out);
    hub.publish(|_| Note::Echo { json: payload.map(Value::to_string).unwrap_or_default() });
    Ok(())
}
