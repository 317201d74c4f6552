//! The consistency check of the chat core's tables, for fuzz targets and
//! tests: the membership code keeps positions in several lists, and a slip
//! there shows as a message to the wrong client, not as a crash.

use super::session::{fold_nick, Phase};
use super::Hub;

impl Hub {
    /// Checks that the nickname table, the sessions, the rooms' member lists
    /// and the echo listeners agree.
    #[doc(hidden)]
    pub fn check_consistency(&self) -> Result<(), String> {
        let mut joined = 0;
        for (id, s) in self.sessions.iter().enumerate() {
            let Some(s) = s else { continue };
            if let Phase::Joined { nick } = &s.phase {
                joined += 1;
                if self.nicks.get(&fold_nick(nick)) != Some(&id) {
                    return Err(format!("conn {id} is {nick} but the nick table disagrees"));
                }
            }
            for held in &s.seats {
                let members = &self.rooms.get(held.room).members;
                if members.get(held.idx).map(|m| m.id) != Some(id) {
                    return Err(format!(
                        "conn {id} holds room {} at {} but is not there",
                        held.room, held.idx
                    ));
                }
            }
            if let Some(idx) = s.echo_idx {
                if self.echo_listeners.get(idx) != Some(&id) {
                    return Err(format!("conn {id} hears echo but is not at its place among the listeners"));
                }
            }
        }
        if joined != self.nicks.len() {
            return Err(format!("{joined} joined sessions, {} nicknames", self.nicks.len()));
        }
        for room in self.rooms.sorted() {
            let members = &self.rooms.get(room).members;
            if members.is_empty() && self.rooms.get(room).remote.is_empty() && !self.rooms.is_default(room) {
                return Err(format!("room {} is empty but still exists", self.rooms.get(room).name));
            }
            for (idx, m) in members.iter().enumerate() {
                let held = self.session(m.id).and_then(|s| s.seats.iter().find(|h| h.room == room));
                if held.map(|h| h.idx) != Some(idx) {
                    return Err(format!("room {room} lists conn {} at {idx}, which does not hold it", m.id));
                }
                if self.profile(m.id).map(|p| p.format) != Some(m.format) {
                    return Err(format!("room {room} has conn {} in the wrong format", m.id));
                }
            }
        }
        self.store.history.check()?;
        for (i, &id) in self.echo_listeners.iter().enumerate() {
            if self.session(id).and_then(|s| s.echo_idx) != Some(i) {
                return Err(format!("echo listener {i} is conn {id}, which disagrees"));
            }
        }
        Ok(())
    }
}
