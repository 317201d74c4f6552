//! Delivery: an event to one session, to a room, to everyone sharing a
//! room with someone, or to every `echo` listener, rendered once per format
//! and counted. Where one event reaches several rooms, [`Hub::next_mark`]
//! makes sure each session gets it once.

use super::event::Event;
use super::render::Rendered;
use super::rooms::{Member, RoomId};
use super::session::Session;
use super::Hub;
use crate::net::{ConnId, Outbox};

/// Who among a room's members may get an event only once across rooms.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Once {
    /// Everyone gets it, once per room.
    PerRoom,
    /// Those marked with `mark` already are skipped; `everyone`: all
    /// members are marked, else only sessions told once of a quit (IRC).
    Marked { mark: u32, everyone: bool },
}

/// Sends `rendered` to `members`, as `once` says; returns how many got it.
pub(crate) fn send_to_members(
    sessions: &mut [Option<Session>],
    members: &[Member],
    rendered: &Rendered,
    once: Once,
    out: &mut Outbox,
) -> u64 {
    let mut delivered = 0;
    for m in members {
        if let Once::Marked { mark, everyone } = once {
            let Some(s) = sessions[m.id].as_mut() else { continue };
            if everyone || s.profile.quit_once {
                if s.mark == mark {
                    continue;
                }
                s.mark = mark;
            }
        }
        out.send(m.id, rendered.get(m.format));
        delivered += 1;
    }
    delivered
}

/// `event` as the members whose `view` asks for more see it (by view:
/// `Event::AccountView`), for each view one of `members` has; `None` where
/// the event itself serves. `account`: the sender's; `join`: the event is
/// a JOIN (extended-join changes it).
pub(crate) fn views<'a>(
    members: &[Member],
    account: Option<&'a str>,
    realname: &'a str,
    join: bool,
    event: &'a Event<'a>,
) -> [Option<Event<'a>>; 4] {
    use super::session::{VIEW_ACCOUNT_TAG, VIEW_EXTENDED_JOIN};
    let mut views = [None, None, None, None];
    if account.is_none() && !join {
        return views;
    }
    for m in members {
        let v = usize::from(m.view & 3);
        if v == 0 || views[v].is_some() {
            continue;
        }
        let tag = m.view & VIEW_ACCOUNT_TAG != 0 && account.is_some();
        let extended = m.view & VIEW_EXTENDED_JOIN != 0 && join;
        if tag || extended {
            views[v] = Some(Event::AccountView { account, realname, tag, extended, event });
        }
    }
    views
}

/// Sends to `members` but `skip`, each the rendering its view takes
/// (`alts`, else `rendered`); returns how many got it.
pub(crate) fn send_viewed(
    members: &[Member],
    skip: Option<ConnId>,
    rendered: &Rendered,
    alts: &[Option<Rendered>; 4],
    out: &mut Outbox,
) -> u64 {
    let mut delivered = 0;
    for m in members {
        if Some(m.id) != skip {
            let chosen = alts[usize::from(m.view & 3)].as_ref().unwrap_or(rendered);
            out.send(m.id, chosen.get(m.format));
            delivered += 1;
        }
    }
    delivered
}

impl Hub {
    /// The account and realname others are shown for `id` (IRC's
    /// account-tag and extended-join): its account if signed in, its
    /// realname (else its nickname).
    pub(crate) fn shown_identity(&self, id: ConnId) -> (Option<&str>, &str) {
        let Some(s) = self.session(id) else { return (None, "") };
        (s.account.as_deref(), s.realname.as_deref().or(s.nick()).unwrap_or_default())
    }

    /// A fresh mark for [`Session::mark`]; 0, what a new session holds, is never one.
    pub(crate) fn next_mark(&mut self) -> u32 {
        self.mark = self.mark.checked_add(1).unwrap_or(1);
        self.mark
    }

    /// Sends `event` to `id` alone, in its format.
    pub fn reply(&self, id: ConnId, event: &Event, out: &mut Outbox) {
        let Some(session) = self.session(id) else {
            return;
        };
        out.send(id, self.render(event).get(session.profile.format));
    }

    /// Sends `event` to everyone in `room`, rendered once per format.
    pub fn broadcast(&mut self, room: RoomId, event: &Event, out: &mut Outbox) {
        let rendered = self.renderers.event(event);
        let members = &self.rooms.get(room).members;
        for m in members {
            out.send(m.id, rendered.get(m.format));
        }
        self.stats.deliveries += members.len() as u64;
    }

    /// Sends `event` to the members of `room` that `wants` (given each
    /// one's connection and profile), rendered once per format.
    pub(crate) fn broadcast_where(
        &mut self,
        room: RoomId,
        event: &Event,
        out: &mut Outbox,
        wants: impl Fn(ConnId, &super::session::Profile) -> bool,
    ) {
        let rendered = self.renderers.event(event);
        for m in &self.rooms.get(room).members {
            if self.sessions[m.id].as_ref().is_some_and(|s| wants(m.id, &s.profile)) {
                out.send(m.id, rendered.get(m.format));
                self.stats.deliveries += 1;
            }
        }
    }

    /// Sends `event` to each local member of `rooms`, once each.
    pub(crate) fn tell_rooms(&mut self, rooms: &[RoomId], event: &Event, out: &mut Outbox) {
        let once = Once::Marked { mark: self.next_mark(), everyone: true };
        let rendered = self.renderers.event(event);
        for &room in rooms {
            let members = &self.rooms.get(room).members;
            self.stats.deliveries += send_to_members(&mut self.sessions, members, &rendered, once, out);
        }
    }

    /// Sends `event` once to `id` and once to everyone sharing a room with it.
    pub fn broadcast_to_sharers(&mut self, id: ConnId, event: &Event, out: &mut Outbox) {
        let mark = self.next_mark();
        let Some(me) = self.session_mut(id) else { return };
        me.mark = mark;
        let format = me.profile.format;
        let rooms: Vec<RoomId> = me.seats.iter().map(|s| s.room).collect();
        let rendered = self.renderers.event(event);
        out.send(id, rendered.get(format));
        self.stats.deliveries += 1;
        let once = Once::Marked { mark, everyone: true };
        for room in rooms {
            let members = &self.rooms.get(room).members;
            self.stats.deliveries += send_to_members(&mut self.sessions, members, &rendered, once, out);
        }
    }

    /// Sends `event` to every `echo` listener, joined or not.
    pub fn broadcast_echo(&mut self, event: &Event, out: &mut Outbox) {
        let rendered = self.renderers.event(event);
        for &id in &self.echo_listeners {
            if let Some(s) = self.sessions[id].as_ref() {
                out.send(id, rendered.get(s.profile.format));
            }
        }
        self.stats.deliveries += self.echo_listeners.len() as u64;
    }

    /// Sends `event` to every session (the server is stopping).
    pub fn tell_everyone(&self, event: &Event, out: &mut Outbox) {
        let rendered = self.renderers.event(event);
        for (id, session) in self.sessions() {
            out.send(id, rendered.get(session.profile.format));
        }
    }
}
