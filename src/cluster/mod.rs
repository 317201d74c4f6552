//! The cluster: linechat processes sharing rooms through Redis (`--redis`).
//!
//! - `redis/`: the transport (RESP, the two connections, handshake,
//!   reconnect, the bounded publish queue); sockets, no meaning.
//! - `claims.rs`: nickname claims as commands and answers, no socket.
//! - `presence.rs`: heartbeats, peers, gaps, leases, no socket.
//! - `note.rs`: what nodes tell each other, and its wire form.
//! - `accounts.rs`, `rules.rs`, `history.rs`: accounts, registered rooms
//!   and K-lines, and room history as Redis keeps them, no socket.
//!
//! The chat core's glue (`chat/cluster.rs`, `chat/remote.rs`) is the only
//! code that sees both the chat and these.

pub mod accounts;
pub mod claims;
pub mod history;
pub mod note;
pub mod presence;
pub mod redis;
pub mod rules;

use std::time::Duration;

pub use redis::{Incoming, Redis, RedisConfig, RedisUrl};

/// Settings of the cluster.
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    pub url: RedisUrl,
    /// This process's name among the nodes (letters, digits, `.`, `_`, `-`).
    pub node_id: String,
    /// How long a claim lives without refresh; a silent node is gone after it.
    pub presence_ttl: Duration,
    /// Unsent publications past this many bytes: the oldest are dropped.
    pub max_outbuf: usize,
}

/// Checks a node name.
pub fn valid_node_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// The default node name: host name and process id.
pub fn default_node_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().chars().filter(|c| c.is_ascii_alphanumeric() || "._-".contains(*c)).collect())
        .filter(|h: &String| !h.is_empty())
        .unwrap_or_else(|| "linechat".to_string());
    let mut id = format!("{host}-{}", std::process::id());
    id.truncate(64);
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_ids() {
        assert!(valid_node_id("web-1.eu_2"));
        assert!(!valid_node_id(""));
        assert!(!valid_node_id("a b"));
        assert!(valid_node_id(&default_node_id()));
    }
}
