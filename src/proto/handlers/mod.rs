//! One handler per packet type. Adding a type is one new file here and one
//! name in the `handlers!` line below: the text commands in `text.rs` reach
//! the same handlers.

use serde_json::Value;

use super::{Fault, Hub};
use crate::reactor::{ConnId, Outbox};

/// How a packet type is handled.
pub struct Handler {
    /// The packet's `"type"`.
    pub kind: &'static str,
    /// Refused with `not-joined` before the client has a nickname.
    pub needs_join: bool,
    /// Runs the packet. Errors are reported to the sender; the connection stays.
    pub handle: fn(&mut Hub, ConnId, &Value, &mut Outbox) -> Result<(), Fault>,
}

macro_rules! handlers {
    ($($name:ident),* $(,)?) => {
        $(pub mod $name;)*
        /// Every packet type, looked up by `find`.
        pub static REGISTRY: &[&Handler] = &[$(&$name::HANDLER),*];
    };
}

handlers![nick, chat, me, msg, who, join, part, rooms, topic, ping, echo, help, bye];

/// The handler for packet type `kind`.
pub fn find(kind: &str) -> Option<&'static Handler> {
    REGISTRY.iter().copied().find(|h| h.kind == kind)
}

/// The payload as a string, or a `bad-args` fault naming the expected shape.
fn payload_str<'a>(payload: &'a Value, shape: &str) -> Result<&'a str, Fault> {
    payload.as_str().ok_or_else(|| Fault::new("bad-args", format!("expected payload {shape}")))
}

/// The fault for a client in no room asking for "its" room.
fn in_no_room() -> Fault {
    Fault::new("not-in-room", "you are in no room; join one first".into())
}
