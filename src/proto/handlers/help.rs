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
    let types: Vec<String> = hub.packet_types().into_iter().map(str::to_string).collect();
    let types: Vec<&str> = types.iter().map(String::as_str).collect();
    let lines = hub.help_lines.clone();
    hub.reply(id, &Event::Help { lines: &lines, types: &types }, out);
    Ok(())
}
