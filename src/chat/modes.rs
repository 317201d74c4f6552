//! Room modes: `/mode` and IRC's MODE with their changes (`+im-t`,
//! `+k KEY`, `+l N`, `+o NICK`, `+v NICK`, `+b MASK`), applied in order and
//! told to the room as they were applied. The rules themselves are
//! `rules.rs`; ranks, bans and the checks are `moderation.rs`.

use super::fault::Fault;
use super::rooms::RoomId;
use super::rules::{OP, VOICE};
use super::Hub;
use crate::net::{ConnId, Outbox};

impl Hub {
    /// `+im-t`, `+k KEY`, `+l N`, `+o NICK`, `+v NICK`, `+b MASK`: applied
    /// in order; what was applied is told to the room (also when a later
    /// change is refused).
    pub(super) fn change_modes(
        &mut self,
        id: ConnId,
        room: RoomId,
        changes: &str,
        out: &mut Outbox,
    ) -> Result<(), Fault> {
        let mut words = changes.split_whitespace();
        let flags = words.next().unwrap_or("");
        let mut args: Vec<&str> = words.collect();
        args.reverse();
        let mut applied = Applied::default();
        let mut on = true;
        let mut failed = None;
        for c in flags.chars() {
            match c {
                '+' => on = true,
                '-' => on = false,
                c => {
                    if let Err(e) = self.apply_mode(id, room, c, on, &mut args, &mut applied, out) {
                        failed = Some(e);
                        break;
                    }
                }
            }
        }
        if !applied.flags.is_empty() {
            let modes = std::iter::once(applied.flags).chain(applied.args).collect::<Vec<_>>().join(" ");
            self.announce_modes(id, room, &modes, out);
        }
        failed.map_or(Ok(()), Err)
    }

    /// One mode letter; `args` holds the arguments left, last first.
    #[allow(clippy::too_many_arguments)]
    fn apply_mode(
        &mut self,
        id: ConnId,
        room: RoomId,
        c: char,
        on: bool,
        args: &mut Vec<&str>,
        applied: &mut Applied,
        out: &mut Outbox,
    ) -> Result<(), Fault> {
        match c {
            'i' | 'm' | 'n' | 't' | 's' | 'R' => {
                let Some(flag) = self.rooms.get_mut(room).rules.flag(c) else { return Ok(()) };
                if *flag != on {
                    *flag = on;
                    applied.push(on, c, None);
                }
            }
            'k' if on => {
                let key = args.pop().filter(|k| k.len() <= 64 && !k.contains(','));
                let key = key.ok_or_else(|| Fault::usage("usage: +k KEY (at most 64 bytes, no commas)"))?;
                self.rooms.get_mut(room).rules.key = Some(key.to_string());
                applied.push(on, c, Some(key.to_string()));
            }
            'k' => {
                // IRC sends the key (or `*`) with -k; a text user need not.
                if args.last().is_some_and(|a| !a.starts_with(['+', '-'])) {
                    args.pop();
                }
                if self.rooms.get_mut(room).rules.key.take().is_some() {
                    applied.push(on, c, Some("*".into()));
                }
            }
            'l' if on => {
                let n = args.pop().and_then(|n| n.parse::<usize>().ok()).filter(|&n| n > 0);
                let n = n.ok_or_else(|| Fault::usage("usage: +l N (a number above 0)"))?;
                self.rooms.get_mut(room).rules.limit = Some(n);
                applied.push(on, c, Some(n.to_string()));
            }
            'l' => {
                if self.rooms.get_mut(room).rules.limit.take().is_some() {
                    applied.push(on, c, None);
                }
            }
            'o' | 'v' => {
                let usage = || Fault::usage(format!("usage: {}{c} NICK", if on { '+' } else { '-' }));
                let nick = args.pop().ok_or_else(usage)?;
                let shown = self.give_rank(room, nick, if c == 'o' { OP } else { VOICE }, on)?;
                applied.push(on, c, Some(shown));
            }
            'b' => match args.pop() {
                None => return self.tell_bans(id, room, out),
                Some(mask) => {
                    let (mask, mute) = match mask.strip_prefix("m:") {
                        Some(rest) => (rest, true),
                        None => (mask, false),
                    };
                    if on {
                        self.ban(id, room, mask, None, "", mute, out)?;
                    } else {
                        self.unban(id, room, mask, mute, out)?;
                    }
                }
            },
            other => return Err(Fault::UnknownMode(other)),
        }
        Ok(())
    }
}
/// Mode changes applied so far, as they are announced (`+m-t+o bob`).
#[derive(Default)]
struct Applied {
    flags: String,
    args: Vec<String>,
    sign: Option<bool>,
}

impl Applied {
    fn push(&mut self, on: bool, c: char, arg: Option<String>) {
        if self.sign != Some(on) {
            self.flags.push(if on { '+' } else { '-' });
            self.sign = Some(on);
        }
        self.flags.push(c);
        self.args.extend(arg);
    }
}
