//! `me`: an action in a room (IRC's `/me`).
//!
//! ```text
//! C: {"type":"me","payload":"waves"}                          text: /me waves
//! C: {"type":"me","payload":{"room":"#rust","text":"waves"}}
//! S (to the room): {"type":"me","payload":{"from":"alice","text":"waves","room":"#rust"}}
//!                  * alice waves
//! IRC users: :alice!alice@linechat PRIVMSG #rust :\x01ACTION waves\x01
//! ```
//!
//! The payload takes the same shapes as `chat`.

use serde_json::Value;

use super::{chat, Handler};
use crate::proto::render::Said;
use crate::proto::{Fault, Hub};
use crate::reactor::{ConnId, Outbox};

pub static HANDLER: Handler = Handler { kind: "me", needs_join: true, handle };

fn handle(hub: &mut Hub, id: ConnId, payload: &Value, out: &mut Outbox) -> Result<(), Fault> {
    chat::relay(hub, id, payload, Said::Action, out)
}
