//! The commands every face shares, typed: a text line, a JSON packet and an
//! IRC verb all become one of these, and [`Hub::run`] carries it out. A
//! face checks the shape of its input; the core checks the meaning (valid
//! and free nickname, room rules, limits) and answers with an [`Outcome`]
//! the face may add its own words to (a topic after a join, IRC's names).

use std::time::Duration;

use serde_json::Value;

use super::event::{Event, RoomInfo, RoomRef, Said, Signal};
use super::fault::Fault;
use super::markers::ReadUpTo;
use super::rooms::{parse_room, RoomId};
use super::sanitize;
use super::session::parse_nick;
use super::Hub;
use crate::cluster::note::Note;
use crate::net::{CloseReason, ConnId, Outbox};
use crate::store::history::Query;

/// A password as a command carries it: never printed.
#[derive(Clone, Copy)]
pub struct Password<'a>(pub &'a [u8]);

impl std::fmt::Debug for Password<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

/// How a face asked (its own tag, handed back in [`Signed`] so it answers
/// in the right words: IRC tells SASL and NickServ apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Via(pub u8);

/// What a client asks of its account.
#[derive(Debug, Clone, Copy)]
pub enum AccountCommand<'a> {
    /// Register the current nickname with this password (and sign in).
    Register(Password<'a>),
    /// Sign in (`take_nick`: and take the account's nickname if free).
    Login {
        account: &'a str,
        password: Password<'a>,
        take_nick: bool,
    },
    Logout,
    /// Change the password (the old one first).
    ChangePassword {
        old: Password<'a>,
        new: Password<'a>,
    },
    /// Remove the account (its password first).
    Unregister(Password<'a>),
    /// Sign in with a token the site minted (`--jwt-secret`).
    Token(&'a str),
    /// Sign in with the connection's TLS client certificate (SASL
    /// EXTERNAL); `account`, if given, must be the certificate's.
    External {
        account: Option<&'a str>,
    },
    /// List, add (`None`: the connection's own) or remove the account's
    /// certificate fingerprints.
    CertFp(CertFpCommand<'a>),
}

/// What a client asks of its account's certificate fingerprints.
#[derive(Debug, Clone, Copy)]
pub enum CertFpCommand<'a> {
    List,
    Add(Option<&'a str>),
    Del(&'a str),
}

/// What a moderator (or anyone, for the lists) asks of a room.
#[derive(Debug, Clone, Copy)]
pub enum Moderation<'a> {
    /// Give (`on`) or take a rank: `/op`, `/deop`, `/voice`, `/devoice`.
    Rank {
        nick: &'a str,
        rank: u8,
        on: bool,
    },
    Kick {
        nick: &'a str,
        reason: Option<&'a str>,
    },
    Ban {
        mask: &'a str,
        duration: Option<Duration>,
        reason: Option<&'a str>,
        mute: bool,
    },
    Unban {
        mask: &'a str,
        mute: bool,
    },
    /// The room's bans and mutes, to the asker.
    Bans,
    Invite {
        nick: &'a str,
    },
    /// Mode changes (`+im-t`, `+k KEY`, `+l 10`, `+o NICK`, `+b MASK`);
    /// empty: the modes, to the asker.
    Mode(&'a str),
    /// Register the room to the asker's account (`on`), or drop its registration.
    Claim {
        on: bool,
    },
}

/// What an operator asks.
#[derive(Debug, Clone, Copy)]
pub enum OperCommand<'a> {
    /// Become an operator (`/oper NAME PASSWORD`).
    Up {
        name: &'a str,
        password: Password<'a>,
    },
    Kill {
        nick: &'a str,
        reason: &'a str,
    },
    Kline {
        mask: &'a str,
        duration: Option<Duration>,
        reason: &'a str,
    },
    Unkline {
        mask: &'a str,
    },
    Klines,
}

/// What a client asks of the chat.
#[derive(Debug, Clone, Copy)]
pub enum Command<'a> {
    /// Choose a nickname (the first one: claimed, and for faces whose
    /// sessions do so, the default room entered) or change it.
    Nick(&'a str),
    /// Enter a room (with its key, for `+k`), creating it if nobody is in it.
    Join { room: &'a str, key: Option<&'a str> },
    /// Leave a room (`None`: the one a plain `Say` goes to).
    Part { room: Option<&'a str>, reason: Option<&'a str> },
    /// Say something in a room (`None`: the room joined most recently and still held).
    Say { room: Option<&'a str>, text: &'a str, said: Said },
    /// A private message; the sender gets a copy if it gets its own lines.
    Msg { to: &'a str, text: &'a str, said: Said },
    /// Typing, or a reaction, in a room (`#name`) or to a user.
    Signal { to: &'a str, signal: Signal<'a> },
    /// Delete a line of a room by id (`None`: the sender's newest there).
    Delete { room: Option<&'a str>, id: Option<&'a str> },
    /// Move (or ask) the account's read marker in a room (`None`: the current one).
    MarkRead { room: Option<&'a str>, upto: ReadUpTo<'a> },
    /// Set (or, empty, clear) the topic of a room the client is in.
    SetTopic { room: Option<&'a str>, text: &'a str },
    /// Ask for any room's topic.
    Topic(Option<&'a str>),
    /// Who is in a room (before a nickname: the default room).
    Who(Option<&'a str>),
    /// Every room with its head count and topic.
    Rooms,
    /// Who is in a room with their ranks (operators, voices).
    Members(Option<&'a str>),
    /// Who someone is: account, server operator, rooms.
    Whois(&'a str),
    /// Answered with `pong` and the same payload: a round trip.
    Ping(Option<&'a Value>),
    /// The payload to every `echo` listener, the sender included.
    Echo(Option<&'a Value>),
    /// A page of a room's history (`None`: the current room), at most
    /// `limit` lines (cut to `--history-page`).
    History { room: Option<&'a str>, query: Query, limit: usize },
    /// Leave: `bye`, then the connection closes once its last lines are out.
    Bye,
    /// Moderate a room (`None`: the current one), or ask its modes and bans.
    Moderate { room: Option<&'a str>, action: Moderation<'a> },
    /// A server operator's command (or becoming one).
    Oper(OperCommand<'a>),
    /// Register, sign in or out, change the password, unregister; `via`
    /// is the face's own tag, handed back with the answer.
    Account { cmd: AccountCommand<'a>, via: Via },
}

impl Command<'_> {
    /// Refused with `not-joined` before the client has a nickname.
    pub fn needs_nick(&self) -> bool {
        matches!(
            self,
            Command::Join { .. }
                | Command::Moderate { .. }
                | Command::Part { .. }
                | Command::Say { .. }
                | Command::Msg { .. }
                | Command::Signal { .. }
                | Command::Delete { .. }
                | Command::MarkRead { .. }
                | Command::SetTopic { .. }
                | Command::Topic(_)
                | Command::History { .. }
                | Command::Account { cmd: AccountCommand::Register(_), .. }
        )
    }
}

/// What a command came to, for the face to add its own words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done (or nothing to do).
    Done,
    /// The client took its first nickname (and, if its face does so,
    /// entered the default room).
    Registered,
    /// The client entered this room (a text client going back to the
    /// default room after a part, too).
    Joined(RoomId),
    /// A nickname claim is in flight in the cluster: the client is not read
    /// until it is settled (see `Hub::take_settled`).
    Claiming,
}

impl Hub {
    /// Carries out `command` for `id`. (Faces count nickname attempts and
    /// joins against `--join-rate` themselves, per line: `Hub::charge_join`.)
    pub fn run(&mut self, id: ConnId, command: Command, out: &mut Outbox) -> Result<Outcome, Fault> {
        if command.needs_nick() && self.nick_of(id).is_none() {
            return Err(Fault::NotJoined);
        }
        match command {
            Command::Nick(raw) => self.choose_nick(id, raw, out),
            Command::Join { room, key } => self.join_room(id, room, key, out),
            Command::Moderate { room, action } => self.moderate(id, room, action, out),
            Command::Part { room, reason } => {
                let room = self.room_or_current(id, room)?;
                self.part_room(id, room, reason, out)
            }
            Command::Say { room, text, said } => {
                let room = self.speaking_room(id, room)?;
                self.check_speak(id, room)?;
                let text = sanitize(text);
                if !text.trim().is_empty() {
                    self.say(id, room, &text, said, out);
                }
                Ok(Outcome::Done)
            }
            Command::Msg { to, text, said } => {
                let text = sanitize(text);
                if text.trim().is_empty() {
                    return Err(Fault::refused("empty-message", &[]));
                }
                let to = to.trim();
                match self.find_nick(to) {
                    Some(target) => self.private(id, target, &text, said, out),
                    None => match self.remote_nick(to).map(str::to_string) {
                        Some(remote) => self.private_remote(id, &remote, &text, said, out),
                        None => return Err(Fault::NoSuchNick(to.to_string())),
                    },
                }
                Ok(Outcome::Done)
            }
            Command::Signal { to, signal } => self.signal(id, to, signal, out).map(|()| Outcome::Done),
            Command::Delete { room, id: line } => {
                self.delete_line(id, room, line, out).map(|()| Outcome::Done)
            }
            Command::MarkRead { room, upto } => self.mark_read(id, room, upto, out).map(|()| Outcome::Done),
            Command::SetTopic { room, text } => {
                let room = self.room_or_current(id, room)?;
                self.check_topic(id, room)?;
                self.set_topic(id, room, text, out);
                Ok(Outcome::Done)
            }
            Command::Topic(room) => self.tell_topic(id, room, out).map(|()| Outcome::Done),
            Command::Who(room) => self.tell_who(id, room, out).map(|()| Outcome::Done),
            Command::Members(room) => self.tell_members(id, room, out).map(|()| Outcome::Done),
            Command::Whois(nick) => {
                let target = self.user(nick)?;
                let s = self.session(target).ok_or_else(|| Fault::NoSuchNick(nick.trim().to_string()))?;
                let rooms: Vec<&str> = self
                    .rooms_of(target)
                    .filter(|&room| !self.hidden_from(id, room))
                    .map(|room| self.rooms.get(room).name.as_str())
                    .collect();
                let event = Event::Whois {
                    nick: s.nick().unwrap_or_default(),
                    account: s.account.as_deref(),
                    oper: s.oper,
                    rooms: &rooms,
                };
                self.reply(id, &event, out);
                Ok(Outcome::Done)
            }
            Command::Rooms => {
                let rooms: Vec<RoomInfo> = self
                    .rooms
                    .sorted()
                    .into_iter()
                    .filter(|&room| !self.hidden_from(id, room))
                    .map(|room| {
                        let r = self.rooms.get(room);
                        RoomInfo { name: &r.name, online: r.online(), topic: &r.topic }
                    })
                    .collect();
                self.reply(id, &Event::Rooms { rooms: &rooms }, out);
                Ok(Outcome::Done)
            }
            Command::Ping(payload) => {
                self.reply(id, &Event::Pong { payload }, out);
                Ok(Outcome::Done)
            }
            Command::Echo(payload) => {
                self.stats.messages += 1;
                self.broadcast_echo(&Event::Echo { payload }, out);
                self.publish(|_| Note::Echo { json: payload.map(Value::to_string).unwrap_or_default() });
                Ok(Outcome::Done)
            }
            Command::History { room, query, limit } => {
                self.tell_history(id, room, query, limit, out).map(|()| Outcome::Done)
            }
            Command::Account { cmd, via } => self.account(id, cmd, via, out),
            Command::Oper(cmd) => self.oper(id, cmd, out),
            Command::Bye => {
                self.reply(id, &Event::Bye, out);
                out.close_after_flush(id, CloseReason::Requested);
                Ok(Outcome::Done)
            }
        }
    }

    /// `Nick`: a first nickname (claimed in the cluster first, if there is
    /// one) or a change.
    pub(super) fn choose_nick(&mut self, id: ConnId, raw: &str, out: &mut Outbox) -> Result<Outcome, Fault> {
        let nick = parse_nick(raw).map_err(Fault::NickInvalid)?;
        if self.nick_taken(nick, id) || super::names::is_service(nick) {
            return Err(Fault::NickTaken(nick.to_string()));
        }
        if self.nick_registered_to_other(nick, id) {
            return Err(Fault::NickRegistered(nick.to_string()));
        }
        match self.nick_of(id).map(str::to_string) {
            None if self.claim_first(id, nick, super::cluster::Purpose::FirstNick, out) => {
                Ok(Outcome::Claiming)
            }
            None => {
                self.register(id, nick, out);
                Ok(Outcome::Registered)
            }
            // Choosing the nickname one already has changes nothing.
            Some(current) if current == nick => Ok(Outcome::Done),
            Some(_) => Ok(if self.change_nick(id, nick, out) { Outcome::Claiming } else { Outcome::Done }),
        }
    }

    /// The room a `Say` goes to: one `id` holds, or (`-n`) one it names
    /// that takes messages from outside.
    fn speaking_room(&self, id: ConnId, raw: Option<&str>) -> Result<RoomId, Fault> {
        match self.room_or_current(id, raw) {
            Err(Fault::NotInRoom(name)) => match self.rooms.find(&name) {
                Some(room) if !self.rooms.get(room).rules.no_outside => Ok(room),
                _ => Err(Fault::NotInRoom(name)),
            },
            other => other,
        }
    }

    /// `Topic`: any room's topic, to the asker.
    fn tell_topic(&mut self, id: ConnId, room: Option<&str>, out: &mut Outbox) -> Result<(), Fault> {
        let room = match room {
            None => self.current_room(id).ok_or(Fault::InNoRoom)?,
            Some(raw) => {
                let name = parse_room(raw).map_err(Fault::RoomInvalid)?;
                let Some(room) = self.rooms.find(name) else {
                    self.reply(id, &Event::Topic { room: name, topic: "", by: "", set: false }, out);
                    return Ok(());
                };
                room
            }
        };
        let r = self.rooms.get(room);
        self.reply(id, &Event::Topic { room: &r.name, topic: &r.topic, by: &r.topic_by, set: false }, out);
        Ok(())
    }

    /// `Who`: the sorted nicknames of a room, to the asker. A room that
    /// does not exist has nobody in it.
    fn tell_who(&mut self, id: ConnId, room: Option<&str>, out: &mut Outbox) -> Result<(), Fault> {
        let room = match room {
            None => match self.current_room(id) {
                Some(room) => room,
                None if self.nick_of(id).is_none() => self.rooms.default_id(),
                None => return Err(Fault::InNoRoom),
            },
            Some(raw) => {
                let name = parse_room(raw).map_err(Fault::RoomInvalid)?;
                let Some(room) = self.rooms.find(name) else {
                    let event = Event::Who { nicks: &[], room: RoomRef { name, is_default: false } };
                    self.reply(id, &event, out);
                    return Ok(());
                };
                room
            }
        };
        self.reply(id, &Event::Who { nicks: &self.sorted_nicks(room), room: self.room_ref(room) }, out);
        Ok(())
    }
}
