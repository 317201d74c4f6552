//! The faces, and the [`Server`] that puts them in front of the chat core
//! as the loop's [`Service`]. A face owns its parsing, registration rules,
//! per-connection state, timers, wording and renderer; the chat core never
//! asks which face a session belongs to.
//!
//! - `lines/`: text and JSON lines (the chat port, and WebSocket).
//! - `irc/`: the IRC client protocol.
//! - `web/`: the web port's routes (page, health, metrics, the upgrade).
//!
//! Each listener of the table in `main.rs` names one face ([`LINES`],
//! [`WEB`], [`IRC`]). Adding a face is a folder here with the calls the
//! others have (`open`, `line`, `timer`, `close`, `settled`, `refusal`), a
//! renderer registered in [`Server::new`], an arm in the dispatch below, and
//! a row in the listener table.

pub mod irc;
pub mod lines;
pub mod metrics;
#[cfg(test)]
mod timers;
pub mod web;

use std::time::Instant;

use crate::chat::event::Event;
use crate::chat::render::{Format, RenderEnv, Renderers};
use crate::chat::{ChatConfig, Hub};
use crate::net::http::Request;
use crate::net::{
    CloseReason, ConnId, Face, HttpAnswer, IoStats, LineFault, Outbox, Refusal, Service, WsFrames,
};
use crate::words::Lang;

/// The chat port's face: text and JSON lines.
pub const LINES: Face = Face(0);
/// The web port's face: HTTP routes, then the lines face over WebSocket.
pub const WEB: Face = Face(1);
/// The IRC port's face.
pub const IRC: Face = Face(2);

/// The formats, in the order their renderers are registered.
pub const TEXT_FORMAT: Format = Format(0);
pub const JSON_FORMAT: Format = Format(1);
pub const IRC_FORMAT: Format = Format(2);
/// JSON with `id` and `time` in room lines (the `ids` capability).
pub const JSON_IDS_FORMAT: Format = Format(3);
/// IRC with `@time=` (server-time), `@msgid=` (message-tags), or both.
pub const IRC_TIME_FORMAT: Format = Format(4);
pub const IRC_MSGID_FORMAT: Format = Format(5);
pub const IRC_TAGS_FORMAT: Format = Format(6);

/// Everything the faces are set with.
pub struct FacesConfig {
    pub server_name: String,
    pub lines: lines::LinesConfig,
    pub irc: irc::IrcConfig,
    pub web: web::WebConfig,
}

/// What a WebSocket upgrade's query asks of the session it opens.
struct Upgrade {
    id: ConnId,
    /// `?token=`: sign in with it.
    token: Option<String>,
    /// `?lang=`: read the server in it from the first line.
    lang: Option<Lang>,
    /// `/irc`: the session speaks IRC (one IRC line per WebSocket frame).
    irc: bool,
}

/// The chat core with its faces: what the loop serves.
pub struct Server {
    pub hub: Hub,
    pub lines: lines::LinesFace,
    pub irc: irc::IrcFace,
    pub web: web::WebFace,
    /// Each connection's face, by connection.
    faces: Vec<Option<Face>>,
    /// Inside [`Server::finish_waiting`] (which handles lines itself).
    finishing: bool,
    /// A WebSocket upgrade's `?token=` and `?lang=`, for the session it opens.
    upgrade: Option<Upgrade>,
}

impl Server {
    pub fn new(chat: ChatConfig, cfg: FacesConfig) -> Server {
        let mut renderers = Renderers::new(RenderEnv::new(cfg.server_name));
        let en = Lang::EN;
        let text = renderers.register(lines::render::render_text, en);
        let json = renderers.register(lines::render::render_json, en);
        let irc = renderers.register(irc::render::render, en);
        debug_assert_eq!((text, json, irc), (TEXT_FORMAT, JSON_FORMAT, IRC_FORMAT));
        let tagged = [
            renderers.register(lines::render::render_json_ids, en),
            renderers.register(irc::render::render_time, en),
            renderers.register(irc::render::render_msgid, en),
            renderers.register(irc::render::render_time_msgid, en),
        ];
        debug_assert_eq!(tagged, [JSON_IDS_FORMAT, IRC_TIME_FORMAT, IRC_MSGID_FORMAT, IRC_TAGS_FORMAT]);
        // Both faces' formats in every other language, after English's.
        let mut lines_formats = vec![[text, json, JSON_IDS_FORMAT]];
        let mut irc_formats = vec![[irc, IRC_TIME_FORMAT, IRC_MSGID_FORMAT, IRC_TAGS_FORMAT]];
        for lang in Lang::all().skip(1) {
            lines_formats.push([
                renderers.register(lines::render::render_text, lang),
                renderers.register(lines::render::render_json, lang),
                renderers.register(lines::render::render_json_ids, lang),
            ]);
            irc_formats.push([
                renderers.register(irc::render::render, lang),
                renderers.register(irc::render::render_time, lang),
                renderers.register(irc::render::render_msgid, lang),
                renderers.register(irc::render::render_time_msgid, lang),
            ]);
        }
        Server {
            hub: Hub::new(chat, renderers),
            lines: lines::LinesFace::new(cfg.lines, lines_formats),
            irc: irc::IrcFace::new(cfg.irc, irc_formats),
            web: web::WebFace::new(cfg.web),
            faces: Vec::new(),
            finishing: false,
            upgrade: None,
        }
    }

    fn face(&self, id: ConnId) -> Option<Face> {
        self.faces.get(id).copied().flatten()
    }

    /// What clients waited for came: nickname claims settled in the
    /// cluster (each face finishes its clients'), pages of shared history
    /// for a face, account requests answered, and sessions whose answers
    /// all came; then those clients get the lines they sent meanwhile.
    fn finish_waiting(&mut self, out: &mut Outbox) {
        if self.finishing {
            return;
        }
        self.finishing = true;
        self.finish_all(out);
        self.finishing = false;
    }

    /// Account requests answered: each face says how they ended.
    fn deliver_signed(&mut self, out: &mut Outbox) {
        use crate::chat::accounts::AccountAction;
        for s in self.hub.take_signed() {
            match self.face(s.id) {
                Some(IRC) => self.irc.signed(&mut self.hub, &s, out),
                Some(_) => self.lines.signed(&mut self.hub, &s, out),
                None => continue,
            }
            let account = match &s.result {
                Ok((AccountAction::Registered | AccountAction::SignedIn, account)) => Some(account.as_str()),
                Ok((AccountAction::SignedOut | AccountAction::Unregistered, _)) => None,
                _ => continue,
            };
            self.irc.account_changed(&self.hub, s.id, account, out);
        }
    }

    fn finish_all(&mut self, out: &mut Outbox) {
        loop {
            let settled = self.hub.take_settled();
            let answers = self.hub.take_answers();
            let resumed = self.hub.take_resumed();
            if settled.is_empty() && answers.is_empty() && !self.hub.has_signed() && resumed.is_empty() {
                return;
            }
            self.deliver_signed(out);
            for answer in answers {
                if self.face(answer.id) == Some(IRC) {
                    self.irc.page_answered(&mut self.hub, answer, out);
                }
            }
            let mut ids = Vec::with_capacity(settled.len() + resumed.len());
            for s in settled {
                match self.face(s.id) {
                    Some(IRC) => self.irc.settled(&mut self.hub, &s, out),
                    Some(_) => self.lines.settled(&mut self.hub, &s, out),
                    None => continue,
                }
                ids.push(s.id);
            }
            ids.extend(resumed);
            for id in ids {
                while let Some(line) = self.hub.take_waiting(id) {
                    self.on_line(id, line.as_deref().map_err(|e| *e), out);
                }
            }
        }
    }
}

impl Service for Server {
    fn on_open(&mut self, id: ConnId, face: Face, out: &mut Outbox) {
        if self.faces.len() <= id {
            self.faces.resize(id + 1, None);
        }
        self.faces[id] = Some(face);
        if let Some(reason) = out.peer_ip(id).and_then(|ip| self.hub.kline_for(ip)).map(|k| k.reason.clone())
        {
            // K-lined: refused in the face's words, and closed.
            match face {
                IRC => irc::IrcFace::refuse_banned(&self.hub, id, &reason, out),
                _ => lines::LinesFace::refuse_banned(id, &reason, out),
            }
            log::info!("conn={id} refused: K-lined ({reason})");
            return out.close_after_flush(id, CloseReason::Requested);
        }
        let upgrade = self.upgrade.take().filter(|u| u.id == id);
        if upgrade.as_ref().is_some_and(|u| u.irc) {
            // IRC over WebSocket: an IRC client from here on.
            self.faces[id] = Some(IRC);
            return self.irc.open(&mut self.hub, id, out);
        }
        match face {
            IRC => self.irc.open(&mut self.hub, id, out),
            _ => {
                let lang = upgrade.as_ref().and_then(|u| u.lang);
                self.lines.open(&mut self.hub, id, lang, out);
                if let Some(token) = upgrade.and_then(|u| u.token) {
                    self.lines.sign_in_with_token(&mut self.hub, id, &token, out);
                    self.finish_waiting(out);
                }
            }
        }
    }

    fn on_line(&mut self, id: ConnId, line: Result<&[u8], LineFault>, out: &mut Outbox) {
        if self.hub.is_waiting(id) {
            // Its nickname is being claimed: the line waits its turn.
            self.hub.heard(id, out.now());
            if !self.hub.hold_line(id, line) {
                log::warn!("conn={id} sent too many lines while its nickname was being claimed; closing");
                out.close(id, CloseReason::Requested);
            }
            return;
        }
        match self.face(id) {
            Some(IRC) => self.irc.line(&mut self.hub, id, line, out),
            Some(_) => self.lines.line(&mut self.hub, id, line, out),
            None => {}
        }
        if self.hub.has_signed() {
            // Answered at once (a sign-out): said before the next line.
            match self.finishing {
                true => self.deliver_signed(out),
                false => self.finish_waiting(out),
            }
        }
    }

    fn on_timer(&mut self, id: ConnId, out: &mut Outbox) {
        match self.face(id) {
            Some(IRC) => self.irc.timer(&mut self.hub, id, out),
            Some(_) => self.lines.timer(&mut self.hub, id, out),
            None => {}
        }
    }

    fn on_close(&mut self, id: ConnId, reason: &CloseReason, out: &mut Outbox) {
        let given = match self.faces.get_mut(id).and_then(Option::take) {
            Some(IRC) => self.irc.close(id),
            Some(_) => {
                self.lines.close(id);
                None
            }
            None => return,
        };
        // IRC users see why (a QUIT's words, or how the connection ended).
        let reason = given.unwrap_or_else(|| irc::quit_words(reason));
        self.hub.close(id, &reason, out);
    }

    fn on_shutdown(&mut self, out: &mut Outbox) {
        self.hub.tell_everyone(&Event::Shutdown, out);
    }

    fn on_request(
        &mut self,
        id: ConnId,
        _face: Face,
        req: &Request,
        io: &IoStats,
        peer: Option<std::net::IpAddr>,
    ) -> HttpAnswer {
        if let Some(k) = peer.and_then(|ip| self.hub.kline_for(ip)) {
            let body = format!("you are banned from this server ({})\n", k.reason);
            return HttpAnswer::Respond(crate::net::http::response(
                "403 Forbidden",
                "text/plain",
                body.as_bytes(),
            ));
        }
        let (hub, scripts) = (&self.hub, &self.lines.scripts);
        let mut answer =
            self.web.route(req, hub.cluster_degraded().as_deref(), &mut || metrics::render(hub, scripts, io));
        if let HttpAnswer::Upgrade { frames, max_line, .. } = &mut answer {
            let irc = matches!(frames, WsFrames::Lines { .. });
            if irc {
                // IRC's lines: tags and a message, as on the IRC port.
                *max_line = Some(irc::MAX_INPUT_LINE);
            }
            let token = req.query_param("token").map(str::to_string).filter(|_| !irc);
            let lang = req.query_param("lang").and_then(Lang::from_code).filter(|_| !irc);
            self.upgrade = Some(Upgrade { id, token, lang, irc });
        }
        answer
    }

    fn refusal(&self, face: Face, why: Refusal) -> Vec<u8> {
        match face {
            IRC => self.irc.refusal(why),
            WEB => web::refusal(&self.lines.refusal(why)),
            _ => self.lines.refusal(why),
        }
    }

    /// SIGHUP, after the settings were read again (`setup::reloader`,
    /// which also reads the operator file): the handler folder.
    fn on_reload(&mut self) {
        self.lines.reload_scripts();
    }

    fn on_start(&mut self, registry: &mio::Registry) {
        self.hub.cluster_start(registry);
        if let Err(e) = self.hub.store.start(registry) {
            log::error!("cannot start the storage and password threads: {e}");
        }
    }

    fn on_link(&mut self, token: mio::Token, out: &mut Outbox) {
        if token == crate::store::STORE_TOKEN {
            // The storage thread, the password thread, or both.
            self.hub.store_ready(out);
            self.hub.passwords_ready(out);
        } else {
            self.hub.cluster_ready(token, out);
        }
        self.finish_waiting(out);
    }

    fn on_turn(&mut self, out: &mut Outbox) {
        self.irc.turn(&mut self.hub, out);
        self.hub.cluster_turn(out);
        self.hub.passwords_ready(out);
        self.finish_waiting(out);
        self.hub.store_turn(out);
    }

    fn holds_output(&self) -> bool {
        self.hub.store.persistent()
    }

    fn next_wake(&self) -> Option<Instant> {
        [self.hub.cluster_wake(), self.hub.store.next_wake()].into_iter().flatten().min()
    }
}
