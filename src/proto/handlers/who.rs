//! `who`: who is online, sorted.
//!
//! ```text
//! C: {"type":"who"}                                   text: /who
//! S: {"type":"who","payload":{"nicks":["alice","bob"]}}   * online (2): alice, bob
//! ```

use serde_json::Value;

use super::Handler;
use crate::proto::render::Event;
use crate::proto::{Fault, Hub};
use crate::reactor::{ConnId, Outbox};

pub static HANDLER: Handler = Handler { kind: "who", needs_join: false, handle };

fn handle(hub: &mut Hub, id: ConnId, _payload: &Value, out: &mut Outbox) -> Result<(), Fault> {
    let nicks: Vec<String> = hub.sorted_nicks().into_iter().map(str::to_owned).collect();
    let nicks: Vec<&str> = nicks.iter().map(String::as_str).collect();
    hub.reply(id, &Event::Who { nicks: &nicks }, out);
    Ok(())
}
