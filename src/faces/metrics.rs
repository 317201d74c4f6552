//! `/metrics`: the loop's counters, the chat's, the script handlers' and
//! the cluster's, on one page.

use super::{IRC, LINES, WEB};
use crate::chat::fault::CODES;
use crate::chat::Hub;
use crate::metrics::Page;
use crate::net::IoStats;
use crate::script::Scripts;

/// The whole `/metrics` page.
pub fn render(hub: &Hub, scripts: &Scripts, io: &IoStats) -> String {
    let mut m = Page::new();
    m.labelled(
        "connections",
        "gauge",
        "Open connections by kind (http: web requests not upgraded).",
        &[
            ("{kind=\"tcp\"}", io.open_lines[LINES.0 as usize] as f64),
            ("{kind=\"irc\"}", io.open_lines[IRC.0 as usize] as f64),
            ("{kind=\"websocket\"}", io.open_ws as f64),
            ("{kind=\"http\"}", io.open_http as f64),
        ],
    );
    m.gauge("users_joined", "Clients with a nickname.", hub.online() as f64);
    m.gauge("rooms", "Rooms that exist, the default one included.", hub.rooms.len() as f64);
    m.counter("connections_accepted_total", "Connections accepted.", io.accepted as f64);
    m.counter("lines_received_total", "Non-empty lines received.", hub.stats.lines_in as f64);
    m.counter(
        "messages_received_total",
        "Chat, private and echo messages accepted.",
        hub.stats.messages as f64,
    );
    m.counter("deliveries_total", "Messages queued to recipients.", hub.stats.deliveries as f64);
    m.counter("received_bytes_total", "Bytes read from clients.", io.bytes_in as f64);
    m.counter("sent_bytes_total", "Bytes written to clients.", io.bytes_out as f64);
    m.labelled(
        "tls_connections",
        "gauge",
        "Open TLS connections by listener.",
        &[
            ("{listener=\"chat\"}", io.open_tls[LINES.0 as usize] as f64),
            ("{listener=\"web\"}", io.open_tls[WEB.0 as usize] as f64),
            ("{listener=\"irc\"}", io.open_tls[IRC.0 as usize] as f64),
        ],
    );
    m.counter(
        "tls_handshake_failures_total",
        "TLS handshakes that failed (bad records, no shared version or cipher, garbage).",
        io.tls_handshake_failures as f64,
    );
    m.counter(
        "tls_on_plain_port_total",
        "TLS handshakes refused on plain listeners.",
        io.tls_on_plain_port as f64,
    );
    m.gauge(
        "queued_bytes",
        "Output queued for clients that they have not taken yet.",
        io.queued_bytes as f64,
    );
    m.counter(
        "slow_consumers_dropped_total",
        "Clients dropped for passing --max-outbuf.",
        io.slow_consumers as f64,
    );
    m.counter(
        "accept_fd_exhausted_total",
        "Clients refused because file descriptors ran out.",
        io.accept_fd_exhausted as f64,
    );
    m.counter("http_requests_total", "Requests on the web port.", io.http_requests as f64);
    let labels: Vec<String> = CODES.iter().map(|c| format!("{{code=\"{c}\"}}")).collect();
    let errors: Vec<(&str, f64)> = CODES
        .iter()
        .zip(&labels)
        .enumerate()
        .map(|(i, (code, label))| {
            let n = match *code {
                "server-full" => io.rejected_full,
                "too-many-connections" => io.rejected_per_address,
                _ => hub.stats.errors[i],
            };
            (label.as_str(), n as f64)
        })
        .collect();
    m.labelled("protocol_errors_total", "counter", "Errors sent to clients, by code.", &errors);
    m.gauge("uptime_seconds", "Seconds since start.", (hub.started.elapsed().as_millis() as f64) / 1000.0);
    m.counter("loop_turns_total", "Turns of the event loop.", io.turns.count as f64);
    m.labelled(
        "loop_turns_over_total",
        "counter",
        "Turns of the event loop that took longer than 1 ms and 5 ms.",
        &[("{over=\"1ms\"}", io.turns.over_1ms as f64), ("{over=\"5ms\"}", io.turns.over_5ms as f64)],
    );
    m.gauge("loop_turn_max_seconds", "The longest turn of the event loop.", io.turns.max.as_secs_f64());
    hub.store.metrics(&mut m);
    m.counter(
        "sign_in_failures_total",
        "Sign-ins refused: wrong passwords, unknown accounts, bad tokens, too many tries.",
        hub.signins.failures as f64,
    );
    scripts.metrics(&mut m);
    hub.cluster_metrics(&mut m);
    m.into_string()
}
