#!/usr/bin/env bash
# A long soak of linechat: MINUTES (default 30) of 200 well-behaved clients
# (40 each of text, JSON, JSON over WebSocket, text over TLS and IRC) chatting
# with sequence numbers, beside clients that never read, vanish mid-line or
# mid-handshake, storm in and out, send garbage to every port, oversize
# lines, a flood, and half-open connections. See bench/src/soak.rs.
#
#   bash bench/soak.sh 30                  # the figures in bench/README.md
#   PER_KIND=100 RATE=2 bash bench/soak.sh 5
#
# Passes when every well-behaved client got every message of every other,
# once and in order; the server's RSS stayed under RSS_BOUND_MIB (64); its
# descriptors came back to the baseline; and it logged no warning but the
# expected ones (slow consumers dropped). A short version runs under
# `cargo test` (tests/soak.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-30}
OUT=target/soak
mkdir -p "$OUT"
cargo build --release -q -p linechat -p lcbench
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=localhost" \
  -keyout "$OUT/key.pem" -out "$OUT/cert.pem" 2>/dev/null
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
./target/release/lcsoak --server target/release/linechat --cert "$OUT/cert.pem" --key "$OUT/key.pem" \
  --seconds $((MINUTES * 60)) --per-kind "${PER_KIND:-40}" --rate "${RATE:-1}" \
  --rss-bound-mib "${RSS_BOUND_MIB:-64}" | tee "$OUT/soak-${MINUTES}min.txt"
