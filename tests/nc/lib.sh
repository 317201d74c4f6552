# Helpers for the nc scripts. Each script is run by tests/nc_scripts.rs with
# LINECHAT_PORT set to a freshly started server, and fails on any mismatch.
set -euo pipefail
HOST=127.0.0.1
PORT=${LINECHAT_PORT:?run through cargo test --test nc_scripts}
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

# One nc client: stdin lines go to the server, the server's lines to stdout.
# The timeout only stops a hung script; it is never what a test checks.
client() { timeout 20 nc "$HOST" "$PORT"; }

# Starts a background client NAME fed from a pipe (write with: say NAME LINE).
start_client() {
  mkfifo "$WORK/$1.in"
  client < "$WORK/$1.in" > "$WORK/$1.out" &
  eval "exec {fd_$1}> \"\$WORK/\$1.in\""
}
say() { local fd="fd_$1"; printf '%s\n' "$2" >&"${!fd}"; }
finish_client() { local fd="fd_$1"; eval "exec ${!fd}>&-"; }

# Waits until NAME's output contains LINE (a synchronisation point, bounded).
wait_for() {
  for _ in $(seq 1 1000); do
    grep -qxF -- "$2" "$WORK/$1.out" && return 0
    sleep 0.01
  done
  echo "FAIL: $1 never received: $2"; echo "--- $1 got:"; cat "$WORK/$1.out"; exit 1
}

# Compares a file of received lines with the expected lines on stdin.
expect_lines() {
  if ! diff -u - "$1"; then echo "FAIL: $1 differs from what was expected (- expected, + got)"; exit 1; fi
}
