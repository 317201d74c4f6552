//! `msg`: a private message to one user; the sender gets a copy.
//!
//! ```text
//! C: {"type":"msg","payload":{"to":"bob","text":"hi"}}            text: /msg bob hi
//! S (to bob and alice): {"type":"msg","payload":{"from":"alice","to":"bob","text":"hi"}}
//!                       [alice -> bob] hi
//! ```

use serde_json::Value;

use super::Handler;
use crate::proto::render::{Event, Rendered};
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
        return Err(Fault::new("no-such-nick", format!("nobody called '{}' is online", to.trim())));
    };
    let from = hub.nick_of(id).unwrap_or_default().to_owned();
    let to = hub.nick_of(target).unwrap_or_default().to_owned();
    let event = Event::Msg { from: &from, to: &to, text: &text };
    let rendered = Rendered::new(&event);
    for recipient in if target == id { vec![id] } else { vec![target, id] } {
        if let Some(session) = hub.session(recipient) {
            out.send(recipient, rendered.get(session.mode));
            hub.stats.deliveries += 1;
        }
    }
    hub.stats.messages += 1;
    Ok(())
}
