//! `/metrics`: the Prometheus text of the loop's counters, the chat's, the
//! script handlers' and the cluster's.

use super::{IRC, LINES, WEB};
use crate::chat::fault::CODES;
use crate::chat::Hub;
use crate::net::IoStats;
use crate::script::Scripts;

/// Appends one metric, its help and type lines and its samples, in the
/// Prometheus text format `/metrics` serves.
pub fn write(m: &mut String, name: &str, kind: &str, help: &str, samples: &[(&str, f64)]) {
    use std::fmt::Write;
    let _ = writeln!(m, "# HELP linechat_{name} {help}\n# TYPE linechat_{name} {kind}");
    for (labels, value) in samples {
        let _ = writeln!(m, "linechat_{name}{labels} {value}");
    }
}

/// The whole `/metrics` page.
pub fn render(hub: &Hub, scripts: &Scripts, io: &IoStats) -> String {
    let mut m = String::with_capacity(2048);
    let mut metric = |name: &str, kind: &str, help: &str, samples: &[(&str, f64)]| {
        write(&mut m, name, kind, help, samples)
    };
    metric(
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
    metric("users_joined", "gauge", "Clients with a nickname.", &[("", hub.online() as f64)]);
    metric("rooms", "gauge", "Rooms that exist, the default one included.", &[("", hub.rooms.len() as f64)]);
    metric("connections_accepted_total", "counter", "Connections accepted.", &[("", io.accepted as f64)]);
    metric(
        "lines_received_total",
        "counter",
        "Non-empty lines received.",
        &[("", hub.stats.lines_in as f64)],
    );
    metric(
        "messages_received_total",
        "counter",
        "Chat, private and echo messages accepted.",
        &[("", hub.stats.messages as f64)],
    );
    metric(
        "deliveries_total",
        "counter",
        "Messages queued to recipients.",
        &[("", hub.stats.deliveries as f64)],
    );
    metric("received_bytes_total", "counter", "Bytes read from clients.", &[("", io.bytes_in as f64)]);
    metric("sent_bytes_total", "counter", "Bytes written to clients.", &[("", io.bytes_out as f64)]);
    metric(
        "tls_connections",
        "gauge",
        "Open TLS connections by listener.",
        &[
            ("{listener=\"chat\"}", io.open_tls[LINES.0 as usize] as f64),
            ("{listener=\"web\"}", io.open_tls[WEB.0 as usize] as f64),
            ("{listener=\"irc\"}", io.open_tls[IRC.0 as usize] as f64),
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
    metric("http_requests_total", "counter", "Requests on the web port.", &[("", io.http_requests as f64)]);
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
    metric("protocol_errors_total", "counter", "Errors sent to clients, by code.", &errors);
    metric(
        "uptime_seconds",
        "gauge",
        "Seconds since start.",
        &[("", (hub.started.elapsed().as_millis() as f64) / 1000.0)],
    );
    scripts.metrics(&mut m);
    hub.cluster_metrics(&mut m);
    m
}
