//! The Hub's side of script handlers (`crate::script`): running one for a
//! packet, carrying out the sends it recorded, and the help that lists them.

use serde_json::Value;

use super::{text, Hub};
use crate::reactor::{ConnId, Outbox};
use crate::script::Scripts;

impl Hub {
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

    /// Every packet type, built-in and scripted, for the `help` packet.
    pub fn packet_types(&self) -> Vec<&str> {
        let mut types: Vec<&str> = super::handlers::REGISTRY.iter().map(|h| h.kind).collect();
        for (name, _) in self.scripts.names() {
            if !types.contains(&name) {
                types.push(name);
            }
        }
        types
    }

    /// Runs script handler `i` for `id`, then sends what it sent; a failure
    /// is reported to the sender alone as `handler-error`.
    #[cfg(feature = "lua")]
    pub(super) fn run_script(&mut self, i: usize, id: ConnId, payload: &Value, out: &mut Outbox) {
        use super::render::Event;
        use super::Fault;
        use crate::script::Action;
        use log::warn;
        let (sent, failure) = match self.scripts.call(i, self, id, payload) {
            Ok(sent) => (sent, None),
            Err(e) => (e.sent, Some(e.reason)),
        };
        for action in &sent {
            match action {
                Action::Reply(ev) => self.reply(id, &script_event(ev), out),
                Action::Room(room, ev) => self.broadcast(*room, &script_event(ev), out),
                Action::To(to, ev) => {
                    self.reply(*to, &script_event(ev), out);
                    self.stats.deliveries += 1;
                }
                Action::Echo(payload) => {
                    self.stats.messages += 1;
                    self.broadcast_json(&Event::Echo { payload: payload.as_ref() }, out);
                }
                Action::Error { code, message } => {
                    self.reply(id, &Event::Error { code, message }, out);
                }
            }
        }
        if let Some(reason) = failure {
            let name = self.scripts.name(i).to_string();
            warn!("handler {name}: conn={id}: {reason}");
            self.fail(id, &Fault::new("handler-error", format!("{name}: {reason}")), out);
        }
    }

    #[cfg(not(feature = "lua"))]
    pub(super) fn run_script(&mut self, _i: usize, _id: ConnId, _payload: &Value, _out: &mut Outbox) {}

    /// A text line `/NAME ARGS` for a script handler `NAME`, if it is one.
    pub(super) fn text_script(&self, line: &str) -> Option<(usize, Value)> {
        self.scripts.names().next()?;
        let (name, args) = text::split_command(line)?;
        let i = self.scripts.find(&name)?;
        Some((i, crate::script::text_payload(args)))
    }
}

#[cfg(feature = "lua")]
fn script_event(ev: &crate::script::ScriptEvent) -> super::render::Event<'_> {
    super::render::Event::Script { kind: &ev.kind, payload: ev.payload.as_ref(), text: ev.text.as_deref() }
}

/// The `/help` text: the built-in commands (a script's help replacing the
/// line of a command it replaces), then the script handlers of their own.
pub(super) fn help_lines(scripts: &Scripts) -> Vec<String> {
    let mut lines = vec!["commands:".to_string()];
    for (name, args, what, _) in text::COMMANDS.iter().filter(|c| !c.2.is_empty()) {
        let what = scripts.names().find(|(n, _)| n == name).and_then(|(_, help)| help).unwrap_or(what);
        lines.push(format!("  /{name}{args} - {what}"));
    }
    for (name, help) in scripts.names() {
        if !text::COMMANDS.iter().any(|c| c.0 == name) {
            lines.push(format!("  /{name} - {}", help.unwrap_or("(a script handler)")));
        }
    }
    lines.push("  //TEXT - send TEXT starting with '/'".to_string());
    lines
}
