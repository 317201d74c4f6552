//! `msg`: a private message to one user; the sender gets a copy.
//!
//! ```text
//! C: {"type":"msg","payload":{"to":"bob","text":"hi"}}            text: /msg bob hi
//! S (to bob and alice): {"type":"msg","payload":{"from":"alice","to":"bob","text":"hi"}}
//!                       [alice -> bob] hi
//! ```

use serde_json::Value;

use super::Handler;
use crate::proto::render::Said;
use crate::proto::{sanitize, Fault, Hub};
use crate::reactor::{ConnId, Outbox};

pub static HANDLER: Handler = Handler { kind: "msg", needs_join: true, handle };

fn handle(hub: &mut Hub, id: ConnId, payload: &Value, out: &mut Outbox) -> Result<(), Fault> {
    let shape = || Fault::new("bad-args", "expected payload {\"to\": NICK, \"text\": TEXT}".into());
    let to = payload.get("to").and_then(Value::as_str).ok_or_else(shape)?;
    let text = sanitize(payload.get("text").and_then(Value::as_str).ok_or_else(shape)?);
    if text.trim().is_empty() {
        return Err(Fault::new("bad-args", "the message is empty".into()));
    }
    let Some(target) = hub.find_nick(to.trim()) else {
        if let Some(remote) = hub.remote_nick(to.trim()).map(str::to_string) {
            hub.private_remote(id, &remote, &text, Said::Plain, out);
            return Ok(());
        }
        return Err(Fault::new("no-such-nick", format!("nobody called '{}' is online", to.trim())));
    };
    hub.private(id, target, &text, Said::Plain, out);
    Ok(())
}
