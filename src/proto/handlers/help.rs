//! `help`: what the client can send. Text clients get the command list,
//! JSON clients the packet types.
//!
//! ```text
//! C: {"type":"help"}                                      text: /help
//! S: {"type":"help","payload":{"types":["nick",...]}}     * commands: ...
//! ```

use serde_json::Value;

use super::Handler;
use crate::proto::render::Event;
use crate::proto::{Fault, Hub};
use crate::reactor::{ConnId, Outbox};

pub static HANDLER: Handler = Handler { kind: "help", needs_join: false, handle };

fn handle(hub: &mut Hub, id: ConnId, _payload: &Value, out: &mut Outbox) -> Result<(), Fault> {
    let types = hub.packet_types();
    hub.reply(id, &Event::Help { lines: &hub.help_lines, types: &types }, out);
    Ok(())
}
