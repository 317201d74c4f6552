//! The Hub as the reactor's service: connections opening and closing,
//! lines arriving, timers, shutdown and metrics.

use crate::conn::{CloseReason, LineFault, Message};
use crate::listen::{Face, Refusal};
use crate::reactor::{ConnId, IoStats, Outbox, Service};

use super::handshake::Phase;
use super::render::{self, Event, Mode, Rendered, WELCOME};
use super::{Fault, Hub, Session, ERROR_CODES};

impl Service for Hub {
    fn on_open(&mut self, id: ConnId, face: Face, out: &mut Outbox) {
        if self.sessions.len() <= id {
            self.sessions.resize_with(id + 1, || None);
        }
        let now = out.now();
        let irc = face == Face::Irc;
        self.sessions[id] = Some(Session {
            mode: if irc { Mode::Irc } else { Mode::Undecided },
            phase: Phase::AwaitNick { since: now },
            last_active: now,
            rooms: Vec::new(),
            json_idx: 0,
            stamp: 0,
            irc: irc.then(Box::default),
            whole_lines: irc,
            join_tokens: Default::default(),
            claiming: false,
            held: Default::default(),
        });
        // IRC clients speak first; everyone else is greeted.
        if !irc {
            out.send(id, &Message::new(WELCOME.to_vec(), render::STREAM_TEXT));
        }
        out.set_timer(id, now + self.cfg.nick_timeout);
    }

    fn on_line(&mut self, id: ConnId, line: Result<&[u8], LineFault>, out: &mut Outbox) {
        let now = out.now();
        let Some(session) = self.session_mut(id) else {
            return;
        };
        session.last_active = now;
        if session.claiming {
            if !self.hold_line(id, line) {
                log::warn!("conn={id} sent too many lines while its nickname was being claimed; closing");
                out.close(id, CloseReason::Requested);
            }
            return;
        }
        if session.mode == Mode::Irc {
            return crate::irc::on_line(self, id, line, out);
        }
        let line = match line {
            Ok(line) => line,
            Err(LineFault::TooLong) => {
                let message = format!(
                    "lines are limited to {} bytes; the rest of this line was discarded",
                    self.cfg.max_line
                );
                return self.fail(id, &Fault::new("line-too-long", message), out);
            }
        };
        let Ok(line) = std::str::from_utf8(line) else {
            let fault = Fault::new("bad-utf8", "the line is not valid UTF-8 and was not relayed".into());
            return self.fail(id, &fault, out);
        };
        if line.trim().is_empty() {
            return;
        }
        let mode = session.mode;
        self.stats.lines_in += 1;
        let mode = match mode {
            Mode::Undecided => {
                let mode = if line.trim_start().starts_with('{') { Mode::Json } else { Mode::Text };
                self.set_mode(id, mode);
                mode
            }
            mode => mode,
        };
        match mode {
            Mode::Json => self.on_json_line(id, line, out),
            _ => self.on_text_line(id, line, out),
        }
    }

    fn on_timer(&mut self, id: ConnId, out: &mut Outbox) {
        let now = out.now();
        let Some(session) = self.session(id) else {
            return;
        };
        if session.mode == Mode::Irc {
            return crate::irc::on_timer(self, id, out);
        }
        let fault = match (&session.phase, self.cfg.idle_timeout) {
            (Phase::AwaitNick { since }, _) => {
                if now < *since + self.cfg.nick_timeout {
                    return out.set_timer(id, *since + self.cfg.nick_timeout);
                }
                let secs = self.cfg.nick_timeout.as_secs_f64();
                Fault::new("nick-timeout", format!("no nickname chosen within {secs} s"))
            }
            (Phase::Joined { .. }, Some(idle)) => {
                if now < session.last_active + idle {
                    return out.set_timer(id, session.last_active + idle);
                }
                Fault::new("idle-timeout", format!("nothing received for {} s", idle.as_secs_f64()))
            }
            (Phase::Joined { .. }, None) => return,
        };
        self.fail(id, &fault, out);
        out.close_after_flush(id, CloseReason::Requested);
    }

    fn on_close(&mut self, id: ConnId, reason: &CloseReason, out: &mut Outbox) {
        self.cluster_close(id);
        let quit = crate::irc::quit_reason(self.session(id), reason);
        self.leave(id, &quit, out);
        let Some(session) = self.sessions.get_mut(id).and_then(Option::take) else {
            return;
        };
        if session.mode == Mode::Json {
            let idx = session.json_idx;
            self.json_conns.swap_remove(idx);
            if let Some(&moved) = self.json_conns.get(idx) {
                if let Some(s) = self.session_mut(moved) {
                    s.json_idx = idx;
                }
            }
        }
    }

    fn on_reload(&mut self) {
        self.reload_scripts();
    }

    fn on_start(&mut self, registry: &mio::Registry) {
        if let Some(c) = self.cluster.as_mut() {
            c.link.start(registry);
        }
    }

    fn on_link(&mut self, token: mio::Token, out: &mut Outbox) {
        if let Some(c) = self.cluster.as_mut() {
            c.link.ready(token, out.now());
            self.cluster_incoming(out);
        }
    }

    fn on_turn(&mut self, out: &mut Outbox) {
        self.cluster_turn(out);
    }

    fn next_wake(&self) -> Option<std::time::Instant> {
        self.cluster_wake()
    }

    fn degraded(&self) -> Option<String> {
        self.cluster_degraded()
    }

    fn on_shutdown(&mut self, out: &mut Outbox) {
        let rendered = Rendered::new(&Event::Shutdown, &self.cfg.server_name);
        for (id, session) in self.sessions.iter().enumerate() {
            if let Some(session) = session {
                out.send(id, rendered.get(session.mode));
            }
        }
    }

    fn refusal(&self, face: Face, why: Refusal) -> &[u8] {
        match (face, why) {
            (Face::Irc, Refusal::Full) => b"ERROR :Closing link: the server is full; try again later\r\n",
            (Face::Irc, Refusal::PerAddress) => {
                b"ERROR :Closing link: too many connections from your address; try again later\r\n"
            }
            (_, Refusal::Full) => b"! server-full: too many clients are connected; try again later\n",
            (_, Refusal::PerAddress) => {
                b"! too-many-connections: too many connections from your address; try again later\n"
            }
        }
    }

    fn metrics(&self, io: &IoStats) -> String {
        let mut m = String::with_capacity(2048);
        let mut metric = |name: &str, kind: &str, help: &str, samples: &[(&str, f64)]| {
            write_metric(&mut m, name, kind, help, samples)
        };
        metric(
            "connections",
            "gauge",
            "Open connections by kind (http: web requests not upgraded).",
            &[
                ("{kind=\"tcp\"}", io.open_tcp as f64),
                ("{kind=\"irc\"}", io.open_irc as f64),
                ("{kind=\"websocket\"}", io.open_ws as f64),
                ("{kind=\"http\"}", io.open_http as f64),
            ],
        );
        metric("users_joined", "gauge", "Clients with a nickname.", &[("", self.online() as f64)]);
        metric(
            "rooms",
            "gauge",
            "Rooms that exist, the default one included.",
            &[("", self.rooms.len() as f64)],
        );
        metric("connections_accepted_total", "counter", "Connections accepted.", &[("", io.accepted as f64)]);
        metric(
            "lines_received_total",
            "counter",
            "Non-empty lines received.",
            &[("", self.stats.lines_in as f64)],
        );
        metric(
            "messages_received_total",
            "counter",
            "Chat, private and echo messages accepted.",
            &[("", self.stats.messages as f64)],
        );
        metric(
            "deliveries_total",
            "counter",
            "Messages queued to recipients.",
            &[("", self.stats.deliveries as f64)],
        );
        metric("received_bytes_total", "counter", "Bytes read from clients.", &[("", io.bytes_in as f64)]);
        metric("sent_bytes_total", "counter", "Bytes written to clients.", &[("", io.bytes_out as f64)]);
        metric(
            "tls_connections",
            "gauge",
            "Open TLS connections by listener.",
            &[
                ("{listener=\"chat\"}", io.open_tls[Face::Lines as usize] as f64),
                ("{listener=\"web\"}", io.open_tls[Face::Web as usize] as f64),
                ("{listener=\"irc\"}", io.open_tls[Face::Irc as usize] as f64),
            ],
        );
        metric(
            "tls_handshake_failures_total",
            "counter",
            "TLS handshakes that failed (bad records, no shared version or cipher, garbage).",
            &[("", io.tls_handshake_failures as f64)],
        );
        metric(
            "tls_on_plain_port_total",
            "counter",
            "TLS handshakes refused on plain listeners.",
            &[("", io.tls_on_plain_port as f64)],
        );
        metric(
            "queued_bytes",
            "gauge",
            "Output queued for clients that they have not taken yet.",
            &[("", io.queued_bytes as f64)],
        );
        metric(
            "slow_consumers_dropped_total",
            "counter",
            "Clients dropped for passing --max-outbuf.",
            &[("", io.slow_consumers as f64)],
        );
        metric(
            "accept_fd_exhausted_total",
            "counter",
            "Clients refused because file descriptors ran out.",
            &[("", io.accept_fd_exhausted as f64)],
        );
        metric(
            "http_requests_total",
            "counter",
            "Requests on the web port.",
            &[("", io.http_requests as f64)],
        );
        let labels: Vec<String> = ERROR_CODES.iter().map(|c| format!("{{code=\"{c}\"}}")).collect();
        let errors: Vec<(&str, f64)> = ERROR_CODES
            .iter()
            .zip(&labels)
            .enumerate()
            .map(|(i, (code, label))| {
                let n = match *code {
                    "server-full" => io.rejected_full,
                    "too-many-connections" => io.rejected_per_address,
                    _ => self.stats.errors[i],
                };
                (label.as_str(), n as f64)
            })
            .collect();
        metric("protocol_errors_total", "counter", "Errors sent to clients, by code.", &errors);
        metric(
            "uptime_seconds",
            "gauge",
            "Seconds since start.",
            &[("", (self.started.elapsed().as_millis() as f64) / 1000.0)],
        );
        self.scripts.metrics(&mut m);
        self.cluster_metrics(&mut m);
        m
    }
}

/// Appends one metric, its help and type lines and its samples, in the
/// Prometheus text format `/metrics` serves.
pub(crate) fn write_metric(m: &mut String, name: &str, kind: &str, help: &str, samples: &[(&str, f64)]) {
    use std::fmt::Write;
    let _ = writeln!(m, "# HELP linechat_{name} {help}\n# TYPE linechat_{name} {kind}");
    for (labels, value) in samples {
        let _ = writeln!(m, "linechat_{name}{labels} {value}");
    }
}
