//! `nick`: choose a nickname (joining the default room) or change it.
//!
//! ```text
//! C: {"type":"nick","payload":"alice"}      text: alice  (before joining)  or  /nick alice
//! S (default room): {"type":"join","payload":{"nick":"alice","online":1,"room":"#lobby"}}
//!                                              * alice joined (1 online)
//! S (alice and all who share a room with her): {"type":"nick","payload":{"old":"alice","new":"ally"}}  * alice is now known as ally
//! ```
//!
//! In a cluster the nickname is claimed in Redis first; the answer (and
//! the join) follows when Redis grants it (`proto/cluster.rs`).

use serde_json::Value;

use super::{payload_str, Handler};
use crate::proto::cluster::Purpose;
use crate::proto::handshake::parse_nick;
use crate::proto::{Fault, Hub};
use crate::reactor::{ConnId, Outbox};

pub static HANDLER: Handler = Handler { kind: "nick", needs_join: false, handle };

fn handle(hub: &mut Hub, id: ConnId, payload: &Value, out: &mut Outbox) -> Result<(), Fault> {
    let raw = payload_str(payload, "\"NICKNAME\"")?;
    let nick = parse_nick(raw).map_err(|e| Fault::new("nick-invalid", e.to_string()))?;
    if hub.nick_taken(nick, id) {
        return Err(Fault::nick_taken(nick));
    }
    match hub.nick_of(id).map(str::to_string) {
        None if hub.claim_first(id, nick, Purpose::Register, out) => {}
        None => hub.register(id, nick, out),
        // Choosing the nickname one already has changes nothing.
        Some(current) if current == nick => {}
        Some(_) => hub.change_nick(id, nick, out),
    }
    Ok(())
}
