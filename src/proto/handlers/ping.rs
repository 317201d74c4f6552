//! `ping`: answered with `pong` and the same payload; a cheap way for a
//! script to know that everything it sent before has been handled.
//!
//! ```text
//! C: {"type":"ping","payload":42}     text: /ping 42
//! S: {"type":"pong","payload":42}     * pong 42
//! ```

use serde_json::Value;

use super::Handler;
use crate::proto::render::Event;
use crate::proto::{Fault, Hub};
use crate::reactor::{ConnId, Outbox};

pub static HANDLER: Handler = Handler { kind: "ping", needs_join: false, handle };

fn handle(hub: &mut Hub, id: ConnId, payload: &Value, out: &mut Outbox) -> Result<(), Fault> {
    let payload = (!payload.is_null()).then_some(payload);
    hub.reply(id, &Event::Pong { payload }, out);
    Ok(())
}
