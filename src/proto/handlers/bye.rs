//! `bye`: leave. The sender gets `bye`, everyone else a `leave`, and the
//! connection closes once its last lines are out.
//!
//! ```text
//! C: {"type":"bye"}       text: /bye or /quit
//! S: {"type":"bye"}       * bye
//! ```

use serde_json::Value;

use super::Handler;
use crate::conn::CloseReason;
use crate::proto::render::Event;
use crate::proto::{Fault, Hub};
use crate::reactor::{ConnId, Outbox};

pub static HANDLER: Handler = Handler { kind: "bye", needs_join: false, handle };

fn handle(hub: &mut Hub, id: ConnId, _payload: &Value, out: &mut Outbox) -> Result<(), Fault> {
    hub.reply(id, &Event::Bye, out);
    out.close_after_flush(id, CloseReason::Requested);
    Ok(())
}
