//! `chat`: say something to the room.
//!
//! ```text
//! C: {"type":"chat","payload":"hello"}                          text: hello
//! S (to all): {"type":"chat","payload":{"from":"alice","text":"hello"}}   [alice] hello
//! ```

use serde_json::Value;

use super::{payload_str, Handler};
use crate::proto::render::Event;
use crate::proto::{sanitize, Fault, Hub};
use crate::reactor::{ConnId, Outbox};

pub static HANDLER: Handler = Handler { kind: "chat", needs_join: true, handle };

fn handle(hub: &mut Hub, id: ConnId, payload: &Value, out: &mut Outbox) -> Result<(), Fault> {
    let text = sanitize(payload_str(payload, "\"TEXT\"")?);
    if text.trim().is_empty() {
        return Ok(());
    }
    let Some(from) = hub.nick_of(id).map(str::to_owned) else { return Ok(()) };
    hub.stats.messages += 1;
    hub.broadcast(&Event::Chat { from: &from, text: &text }, out);
    Ok(())
}
