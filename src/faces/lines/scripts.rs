//! Script handlers on the lines face (`crate::script`): running one for a
//! packet or a `/NAME` line, carrying out the sends it recorded, the world
//! it may read, and the help that lists the handlers.

use serde_json::Value;

use super::{text, LinesFace};
use crate::chat::rooms::parse_room;
use crate::chat::Hub;
use crate::net::{ConnId, Outbox};
use crate::script::{RoomSummary, Scripts, World};
use crate::words::{self, Lang};

/// What a handler may read of the chat: the Hub, seen through the lines
/// face (which knows JSON from text).
pub struct LinesWorld<'a> {
    hub: &'a Hub,
    json: &'a [crate::chat::render::Format],
}

impl World for LinesWorld<'_> {
    fn nick(&self, id: ConnId) -> Option<&str> {
        self.hub.nick_of(id)
    }

    fn room(&self, id: ConnId) -> Option<&str> {
        self.hub.current_room(id).map(|r| self.hub.rooms.get(r).name.as_str())
    }

    fn speaks_json(&self, id: ConnId) -> bool {
        self.hub.profile(id).is_some_and(|p| self.json.contains(&p.format))
    }

    fn find_room(&self, name: &str) -> Option<usize> {
        parse_room(name).ok().and_then(|n| self.hub.rooms.find(n))
    }

    fn current_room(&self, id: ConnId) -> Option<usize> {
        self.hub.current_room(id)
    }

    fn who(&self, room: usize) -> Vec<&str> {
        self.hub.sorted_nicks(room)
    }

    fn rooms(&self) -> Vec<RoomSummary<'_>> {
        let rooms = &self.hub.rooms;
        let summary = |room| {
            let r = rooms.get(room);
            RoomSummary { name: &r.name, online: r.online(), topic: &r.topic }
        };
        rooms.sorted().into_iter().map(summary).collect()
    }

    fn find_nick(&self, nick: &str) -> Option<ConnId> {
        self.hub.find_nick(nick)
    }
}

impl LinesFace {
    /// Installs the handler files (at start-up) and lists them in `/help`.
    pub fn set_scripts(&mut self, scripts: Scripts) {
        self.scripts = scripts;
        self.help_lines = help_lines(&self.scripts);
    }

    /// SIGHUP: rereads the handler folder.
    pub fn reload_scripts(&mut self) {
        self.scripts.reload();
        self.help_lines = help_lines(&self.scripts);
    }

    /// Runs script handler `i` for `id`, then sends what it sent; a failure
    /// is reported to the sender alone as `handler-error`.
    #[cfg(feature = "lua")]
    pub(super) fn run_script(
        &mut self,
        hub: &mut Hub,
        i: usize,
        id: ConnId,
        payload: &Value,
        out: &mut Outbox,
    ) {
        use crate::chat::event::Event;
        use crate::chat::fault::Fault;
        use crate::script::Action;
        use log::warn;
        let world = LinesWorld { hub, json: &self.json };
        let (sent, failure) = match self.scripts.call(i, &world, id, payload) {
            Ok(sent) => (sent, None),
            Err(e) => (e.sent, Some(e.reason)),
        };
        for action in &sent {
            match action {
                Action::Reply(ev) => hub.reply(id, &script_event(ev), out),
                Action::Room(room, ev) => hub.broadcast(*room, &script_event(ev), out),
                Action::To(to, ev) => {
                    hub.reply(*to, &script_event(ev), out);
                    hub.stats.deliveries += 1;
                }
                Action::Echo(payload) => {
                    hub.stats.messages += 1;
                    hub.broadcast_echo(&Event::Echo { payload: payload.as_ref() }, out);
                }
                Action::Error { code, message } => {
                    hub.reply(id, &Event::Error { code, message }, out);
                }
            }
        }
        if let Some(reason) = failure {
            let name = self.scripts.name(i).to_string();
            warn!("handler {name}: conn={id}: {reason}");
            hub.fail(id, &Fault::HandlerError(name, reason), out);
        }
    }

    #[cfg(not(feature = "lua"))]
    pub(super) fn run_script(
        &mut self,
        _hub: &mut Hub,
        _i: usize,
        _id: ConnId,
        _payload: &Value,
        _out: &mut Outbox,
    ) {
    }

    /// A text line `/NAME ARGS` for a script handler `NAME`, if it is one.
    pub(super) fn text_script(&self, line: &str) -> Option<(usize, Value)> {
        self.scripts.names().next()?;
        let (name, args) = text::split_command(line)?;
        let i = self.scripts.find(&name)?;
        Some((i, crate::script::text_payload(args)))
    }
}

#[cfg(feature = "lua")]
fn script_event(ev: &crate::script::ScriptEvent) -> crate::chat::event::Event<'_> {
    crate::chat::event::Event::Script {
        kind: &ev.kind,
        payload: ev.payload.as_ref(),
        text: ev.text.as_deref(),
    }
}

/// The `/help` text in every language (by [`Lang`] index): the built-in
/// commands (a script's help, as its file writes it, replacing the line of
/// a command it replaces), then the script handlers of their own.
pub(super) fn help_lines(scripts: &Scripts) -> Vec<Vec<String>> {
    Lang::all()
        .map(|lang| {
            let mut lines = vec![words::say(lang, "help-commands", &[])];
            for (name, args, _, _) in text::COMMANDS.iter().filter(|c| c.2) {
                let what = match scripts.names().find(|(n, _)| n == name).and_then(|(_, help)| help) {
                    Some(help) => help.to_string(),
                    None => words::say(lang, &format!("help-{name}"), &[]),
                };
                lines.push(format!("  /{name}{args} - {what}"));
            }
            for (name, help) in scripts.names() {
                if !text::COMMANDS.iter().any(|c| c.0 == name) {
                    let help = help.map_or_else(|| words::say(lang, "help-script", &[]), str::to_string);
                    lines.push(format!("  /{name} - {help}"));
                }
            }
            lines.push(format!("  //TEXT - {}", words::say(lang, "help-literal", &[])));
            lines
        })
        .collect()
}
