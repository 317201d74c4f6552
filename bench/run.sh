#!/usr/bin/env bash
# Builds linechat, lcbench, the peerbench yardstick and the limit.c ceiling,
# installs ngircd, runs the benchmark matrix and prints a Markdown table.
#
#   bash bench/run.sh                   # full matrix, about 45 minutes on 2 cores
#   QUICK=1 bash bench/run.sh           # shorter trials, for a first look
#   SECTIONS="rooms irc" bash bench/run.sh   # only some sections (core, rooms, irc, tls, handlers)
#
# Servers run on core 0 and generators on core 1 (taskset); every ratio is
# against references measured in the same run. Results (JSON lines from the
# generators, server logs) are kept in target/bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SHARED=${SHARED:-$ROOT/../shared}
OUT=$ROOT/target/bench
mkdir -p "$OUT"
: > "$OUT/results.jsonl"

DURATION=${DURATION:-4}
SECTIONS=${SECTIONS:-core rooms irc tls handlers}
want() { [[ " $SECTIONS " == *" $1 "* ]]; }
IDLE_K=${IDLE_K:-10000}
[ "${QUICK:-0}" = 1 ] && DURATION=2 && IDLE_K=2000

log() { printf '%s\n' "$*" >&2; }

# --- build and install -------------------------------------------------------
log "building linechat and lcbench"
cargo build --release -q -p linechat -p lcbench
cargo build --profile release-small -q -p linechat
LINECHAT=$ROOT/target/release/linechat
LCBENCH=$ROOT/target/release/lcbench

if [ ! -d "$SHARED/peerbench" ] || [ ! -f "$SHARED/peers/limit.c" ]; then
  log "peerbench and limit.c are expected in $SHARED (set SHARED=...)"; exit 1
fi
log "building peerbench and limit.c"
CARGO_TARGET_DIR=$OUT/peerbench-target cargo build --release -q --manifest-path "$SHARED/peerbench/Cargo.toml"
PEERBENCH=$OUT/peerbench-target/release/peerbench
gcc -O2 -o "$OUT/limit" "$SHARED/peers/limit.c"
LIMIT=$OUT/limit

if ! command -v ngircd >/dev/null; then
  log "installing ngircd"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ngircd >/dev/null 2>&1 \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ngircd >/dev/null; }
fi
# ngircd tuned for a benchmark: penalties off, no per-IP or connection caps.
cat > "$OUT/ngircd.conf" <<EOF
[Global]
Name = bench.linechat.test
Info = linechat benchmark peer
Listen = 127.0.0.1
Ports = 6667
PidFile = $OUT/ngircd.pid
[Limits]
MaxConnections = 0
MaxConnectionsIP = 0
MaxJoins = 0
MaxPenaltyTime = 0
PingTimeout = 3600
PongTimeout = 3600
[Options]
DNS = no
Ident = no
PAM = no
EOF

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# --- helpers -----------------------------------------------------------------
SERVER_PID=
start_server() { # name, port, command...
  local name=$1 port=$2; shift 2
  taskset -c 0 "$@" >"$OUT/$name.stdout" 2>"$OUT/$name.stderr" &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && return 0
    sleep 0.05
  done
  log "$name did not start"; return 1
}
stop_server() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; sleep 0.5; }

start_linechat() {
  start_server linechat 7400 "$LINECHAT" --listen 127.0.0.1:7400 --http-listen 127.0.0.1:7401 \
    --irc-listen 127.0.0.1:7403 --log-level warn
}
start_limit() { start_server limit 7402 "$LIMIT" 7402; }
start_ngircd() { start_server ngircd 6667 ngircd -n -f "$OUT/ngircd.conf"; }

# peerbench NAME PROTO PORT ARGS... -> last JSON line; summary to stderr
peerbench() {
  local name=$1 proto=$2 port=$3; shift 3
  taskset -c 1 "$PEERBENCH" --proto "$proto" --addr 127.0.0.1:"$port" --pid "$SERVER_PID" \
    --duration "$DURATION" --label "$name" "$@" 2>"$OUT/$name.log" | tee -a "$OUT/results.jsonl" | tail -1
  tail -1 "$OUT/$name.log" >&2
}
lcbench() {
  local name=$1; shift
  taskset -c 1 "$LCBENCH" --pid "$SERVER_PID" --duration "$DURATION" --label "$name" "$@" \
    2>"$OUT/$name.log" | tee -a "$OUT/results.jsonl" | tail -1
  tail -1 "$OUT/$name.log" >&2
}
field() { python3 -c "import json,sys; v=json.loads(sys.argv[1] or '{}').get(sys.argv[2]); print('n/a' if v is None else v)" "$1" "$2"; }
maxdel() { # find-max JSON -> deliveries/s
  python3 -c "import json,sys; d=json.loads(sys.argv[1] or '{}'); print(int(d.get('max_delivered_per_s') or d.get('max_deliveries_per_s') or 0))" "$1"
}
ratio() { python3 -c "
import sys
try: a, b = float(sys.argv[1]), float(sys.argv[2])
except ValueError: a = b = 0
print(f'{a/b:.2f}x' if b else 'n/a')" "$1" "$2"; }

declare -A MAX IDLE CPU
if want core; then
# --- find-max: deliveries/s at the highest rate with >= 99.9% delivered, p99 < 50 ms
for shape in "100 100" "1000 100"; do
  set -- $shape; n=$1; s=$2
  start_limit;    MAX[limit,$n]=$(maxdel "$(peerbench "limit-n$n" limit 7402 --find-max -n "$n" -s "$s")"); stop_server
  start_linechat; MAX[linechat,$n]=$(maxdel "$(peerbench "linechat-n$n" linechat 7400 --find-max -n "$n" -s "$s")"); stop_server
  start_ngircd;   MAX[ngircd,$n]=$(maxdel "$(peerbench "ngircd-n$n" irc 6667 --find-max -n "$n" -s "$s" || true)"); stop_server
done

# --- latency at half of linechat's max rate, N=100
half_rate=$(( MAX[linechat,100] / 100 / 2 ))
start_linechat
HALF=$(peerbench "linechat-half" linechat 7400 -n 100 -r "$half_rate")
HALF_LC=$(lcbench "linechat-half-lcbench" --addr 127.0.0.1:7400 --proto text -n 100 -r "$half_rate")
stop_server

# --- idle memory per joined client, and idle server RSS
start_linechat
IDLE_RSS_LINECHAT=$(grep VmRSS /proc/$SERVER_PID/status | awk '{print $2}')
IDLE_PSS_LINECHAT=$(grep '^Pss:' /proc/$SERVER_PID/smaps_rollup | awk '{print $2}')
IDLE[linechat]=$(field "$(peerbench "linechat-idle" linechat 7400 --idle -n "$IDLE_K")" bytes_per_conn)
stop_server
start_limit
IDLE_RSS_LIMIT=$(grep VmRSS /proc/$SERVER_PID/status | awk '{print $2}')
IDLE[limit]=$(field "$(peerbench "limit-idle" limit 7402 --idle -n "$IDLE_K")" bytes_per_conn)
stop_server
start_ngircd
IDLE[ngircd]=$(field "$(peerbench "ngircd-idle" irc 6667 --idle -n "$IDLE_K" --setup-timeout 120 || true)" bytes_per_conn)
stop_server

# --- cost per delivery by client kind (lcbench, same rate, N=100)
RATE_KIND=${RATE_KIND:-10000}
start_linechat
CPU[text]=$(field "$(lcbench kind-text --addr 127.0.0.1:7400 --proto text -n 100 -r "$RATE_KIND")" server_cpu_pct)
CPU[json]=$(field "$(lcbench kind-json --addr 127.0.0.1:7400 --proto json -n 100 -r "$RATE_KIND")" server_cpu_pct)
CPU[ws-text]=$(field "$(lcbench kind-ws-text --addr 127.0.0.1:7401 --proto ws-text -n 100 -r "$RATE_KIND")" server_cpu_pct)
CPU[ws-json]=$(field "$(lcbench kind-ws-json --addr 127.0.0.1:7401 --proto ws-json -n 100 -r "$RATE_KIND")" server_cpu_pct)
stop_server

SIZE_FAST=$(stat -c %s "$ROOT/target/release/linechat")
SIZE_SMALL=$(stat -c %s "$ROOT/target/release-small/linechat")

# --- table ---------------------------------------------------------------------
cat <<EOF

## Results ($(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r), trial ${DURATION} s)

| measurement | limit.c | linechat | ngircd | linechat / limit.c | linechat / ngircd |
|---|---:|---:|---:|---:|---:|
| find-max deliveries/s, N=100, all send | ${MAX[limit,100]} | ${MAX[linechat,100]} | ${MAX[ngircd,100]} | $(ratio "${MAX[linechat,100]}" "${MAX[limit,100]}") | $(ratio "${MAX[linechat,100]}" "${MAX[ngircd,100]}") |
| find-max deliveries/s, N=1000, S=100 | ${MAX[limit,1000]} | ${MAX[linechat,1000]} | ${MAX[ngircd,1000]} | $(ratio "${MAX[linechat,1000]}" "${MAX[limit,1000]}") | $(ratio "${MAX[linechat,1000]}" "${MAX[ngircd,1000]}") |
| RSS bytes per idle joined client, K=$IDLE_K | ${IDLE[limit]} | ${IDLE[linechat]} | ${IDLE[ngircd]} | $(ratio "${IDLE[linechat]}" "${IDLE[limit]}") | $(ratio "${IDLE[linechat]}" "${IDLE[ngircd]}") |
| idle server RSS (KiB) | $IDLE_RSS_LIMIT | $IDLE_RSS_LINECHAT (PSS $IDLE_PSS_LINECHAT) | | | |

linechat at half its max rate (N=100, $half_rate msg/s): peerbench p50 $(field "$HALF" p50_us) us,
p99 $(field "$HALF" p99_us) us, p99.9 $(field "$HALF" p999_us) us; lcbench (sends on time to the
microsecond) p50 $(field "$HALF_LC" p50_us) us, p99 $(field "$HALF_LC" p99_us) us, p99.9 $(field "$HALF_LC" p999_us) us.

Server CPU per client kind (lcbench, N=100, $RATE_KIND msg/s = $((RATE_KIND * 100)) deliveries/s):

| client kind | server CPU % | vs text |
|---|---:|---:|
| text (chat port) | ${CPU[text]} | 1.00x |
| JSON (chat port) | ${CPU[json]} | $(ratio "${CPU[json]}" "${CPU[text]}") |
| WebSocket, text lines | ${CPU[ws-text]} | $(ratio "${CPU[ws-text]}" "${CPU[text]}") |
| WebSocket, JSON | ${CPU[ws-json]} | $(ratio "${CPU[ws-json]}" "${CPU[text]}") |

Binary (stripped): release $SIZE_FAST bytes, release-small $SIZE_SMALL bytes.
EOF
fi

# --- rooms: 10 000 clients in 1 000 rooms of 10, each sender talking in its own room
if want rooms; then
  ROOMS_N=${ROOMS_N:-10000}; ROOMS_R=${ROOMS_R:-1000}
  start_linechat
  ROOMS_MAX=$(maxdel "$(lcbench "rooms-find-max" --addr 127.0.0.1:7400 --proto text -n "$ROOMS_N" --rooms "$ROOMS_R" --find-max -r 10000)")
  half=$(( ROOMS_MAX / (ROOMS_N / ROOMS_R) / 2 ))
  ROOMS_HALF=$(lcbench "rooms-half" --addr 127.0.0.1:7400 --proto text -n "$ROOMS_N" --rooms "$ROOMS_R" -r "$half")
  stop_server
  cat <<EOF

Rooms (lcbench, text clients): $ROOMS_N clients in $ROOMS_R rooms of $((ROOMS_N / ROOMS_R)), every client sending in its own room.

| measurement | linechat |
|---|---:|
| find-max deliveries/s | $ROOMS_MAX |
| at half that rate ($half msg/s): deliveries/s | $(field "$ROOMS_HALF" delivered_per_s) |
| at half that rate: server CPU %, p99 us | $(field "$ROOMS_HALF" server_cpu_pct), $(field "$ROOMS_HALF" p99_us) |

Command: \`lcbench --proto text -n $ROOMS_N --rooms $ROOMS_R --find-max -r 10000\`, then \`-r $half\`.
EOF
fi

# --- IRC face against ngircd: the same generator speaking IRC to both, same run
if want irc; then
  declare -A IRC
  for shape in "100 100 1" "1000 100 1" "1000 1000 100"; do
    set -- $shape; n=$1; s=$2; r=$3
    start_linechat
    IRC[linechat,$n,$r]=$(maxdel "$(peerbench "irc-linechat-n$n-r$r" irc 7403 --find-max -n "$n" -s "$s" --rooms "$r")")
    stop_server
    start_ngircd
    IRC[ngircd,$n,$r]=$(maxdel "$(peerbench "irc-ngircd-n$n-r$r" irc 6667 --find-max -n "$n" -s "$s" --rooms "$r" || true)")
    stop_server
  done
  # The project's own generator, for a second opinion at N=100.
  start_linechat
  IRC[linechat,lc]=$(maxdel "$(lcbench "irc-lcbench-linechat" --addr 127.0.0.1:7403 --proto irc -n 100 --find-max)")
  stop_server
  start_ngircd
  IRC[ngircd,lc]=$(maxdel "$(lcbench "irc-lcbench-ngircd" --addr 127.0.0.1:6667 --proto irc -n 100 --find-max || true)")
  stop_server
  IRC_IDLE_K=${IRC_IDLE_K:-1000}
  start_linechat
  IRC[linechat,idle]=$(field "$(peerbench "irc-linechat-idle" irc 7403 --idle -n "$IRC_IDLE_K")" bytes_per_conn)
  stop_server
  start_ngircd
  IRC[ngircd,idle]=$(field "$(peerbench "irc-ngircd-idle" irc 6667 --idle -n "$IRC_IDLE_K" --setup-timeout 120 || true)" bytes_per_conn)
  stop_server
  cat <<EOF

IRC face against ngircd (peerbench --proto irc against both: no echo to the sender, as IRC servers do):

| measurement | linechat IRC | ngircd | linechat / ngircd |
|---|---:|---:|---:|
| find-max deliveries/s, one room, N=100, all send | ${IRC[linechat,100,1]} | ${IRC[ngircd,100,1]} | $(ratio "${IRC[linechat,100,1]}" "${IRC[ngircd,100,1]}") |
| find-max deliveries/s, one room, N=1000, S=100 | ${IRC[linechat,1000,1]} | ${IRC[ngircd,1000,1]} | $(ratio "${IRC[linechat,1000,1]}" "${IRC[ngircd,1000,1]}") |
| find-max deliveries/s, 100 rooms of 10, all send | ${IRC[linechat,1000,100]} | ${IRC[ngircd,1000,100]} | $(ratio "${IRC[linechat,1000,100]}" "${IRC[ngircd,1000,100]}") |
| lcbench --proto irc find-max deliveries/s, N=100 | ${IRC[linechat,lc]} | ${IRC[ngircd,lc]} | $(ratio "${IRC[linechat,lc]}" "${IRC[ngircd,lc]}") |
| RSS bytes per idle registered client in a room, K=$IRC_IDLE_K | ${IRC[linechat,idle]} | ${IRC[ngircd,idle]} | $(ratio "${IRC[linechat,idle]}" "${IRC[ngircd,idle]}") |
EOF
fi

# --- TLS: linechat's own TLS against plain linechat and plain linechat behind stunnel4
if want tls; then
  if ! command -v stunnel4 >/dev/null; then
    log "installing stunnel4"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq stunnel4 >/dev/null 2>&1 \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq stunnel4 >/dev/null; }
  fi
  CERTS=$OUT/certs; mkdir -p "$CERTS"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$CERTS/key.pem" \
    -out "$CERTS/cert.pem" -subj /CN=localhost -days 2 2>/dev/null
  cat > "$OUT/stunnel.conf" <<EOT
foreground = yes
pid =
[linechat]
accept = 127.0.0.1:7410
connect = 127.0.0.1:7400
cert = $CERTS/cert.pem
key = $CERTS/key.pem
EOT
  start_linechat_tls() {
    start_server linechat 7404 "$LINECHAT" --listen 127.0.0.1:7400 --http-listen off --log-level warn \
      --tls-listen 127.0.0.1:7404 --tls-cert "$CERTS/cert.pem" --tls-key "$CERTS/key.pem"
  }
  declare -A TLS
  for shape in "100 100" "1000 100"; do
    set -- $shape; n=$1; s=$2
    start_linechat_tls
    TLS[plain,$n]=$(maxdel "$(lcbench "tls-plain-n$n" --addr 127.0.0.1:7400 -n "$n" -s "$s" --find-max)")
    TLS[tls,$n]=$(maxdel "$(lcbench "tls-linechat-n$n" --addr 127.0.0.1:7404 --tls -n "$n" -s "$s" --find-max)")
    stop_server
    # stunnel4 in front of plain linechat, both on the server's core.
    start_server linechat 7400 "$LINECHAT" --listen 127.0.0.1:7400 --http-listen off --log-level warn
    LC_PID=$SERVER_PID
    taskset -c 0 stunnel4 "$OUT/stunnel.conf" >"$OUT/stunnel.log" 2>&1 &
    STUNNEL_PID=$!
    for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/7410) 2>/dev/null && break; sleep 0.05; done
    SERVER_PID=$STUNNEL_PID
    TLS[stunnel,$n]=$(maxdel "$(lcbench "tls-stunnel-n$n" --addr 127.0.0.1:7410 --tls -n "$n" -s "$s" --find-max || true)")
    kill "$STUNNEL_PID" 2>/dev/null || true; wait "$STUNNEL_PID" 2>/dev/null || true
    SERVER_PID=$LC_PID; stop_server
  done
  TLS_IDLE_K=${TLS_IDLE_K:-2000}
  start_linechat_tls
  TLS[idle,tls]=$(field "$(lcbench "tls-idle" --addr 127.0.0.1:7404 --tls --idle -n "$TLS_IDLE_K")" bytes_per_client)
  stop_server
  start_linechat_tls
  TLS[idle,plain]=$(field "$(lcbench "plain-idle" --addr 127.0.0.1:7400 --idle -n "$TLS_IDLE_K")" bytes_per_client)
  stop_server
  cat <<EOF2

TLS (lcbench for all three, TLS clients with --tls; stunnel4 and linechat share the server's core):

| measurement | plain linechat | linechat TLS | linechat behind stunnel4 | TLS / plain | TLS / stunnel |
|---|---:|---:|---:|---:|---:|
| find-max deliveries/s, N=100, all send | ${TLS[plain,100]} | ${TLS[tls,100]} | ${TLS[stunnel,100]} | $(ratio "${TLS[tls,100]}" "${TLS[plain,100]}") | $(ratio "${TLS[tls,100]}" "${TLS[stunnel,100]}") |
| find-max deliveries/s, N=1000, S=100 | ${TLS[plain,1000]} | ${TLS[tls,1000]} | ${TLS[stunnel,1000]} | $(ratio "${TLS[tls,1000]}" "${TLS[plain,1000]}") | $(ratio "${TLS[tls,1000]}" "${TLS[stunnel,1000]}") |
| RSS bytes per idle joined client, K=$TLS_IDLE_K | ${TLS[idle,plain]} | ${TLS[idle,tls]} | | $(ratio "${TLS[idle,tls]}" "${TLS[idle,plain]}") | |
EOF2
fi

# --- script handlers: examples/handlers/echo.lua against the built-in echo,
# in alternating rounds (the machine's noise hits both alike); JSON clients,
# each message an echo packet delivered to all N. A larger --max-outbuf for
# both, so find-max's overload trials slow clients down instead of dropping them.
if want handlers; then
  HANDLER_ROUNDS=${HANDLER_ROUNDS:-3}; HANDLER_RATE=${HANDLER_RATE:-1000}
  declare -a H_BUILTIN H_LUA C_BUILTIN C_LUA
  for round in $(seq 1 "$HANDLER_ROUNDS"); do
    for kind in builtin lua; do
      extra=(); [ "$kind" = lua ] && extra=(--handlers "$ROOT/examples/handlers")
      start_server linechat 7400 "$LINECHAT" --listen 127.0.0.1:7400 --http-listen off --log-level warn \
        --max-outbuf 64MiB "${extra[@]}"
      max=$(maxdel "$(lcbench "echo-$kind-$round" --addr 127.0.0.1:7400 --proto json --packet echo -n 100 --find-max)")
      cpu=$(field "$(lcbench "echo-$kind-cpu-$round" --addr 127.0.0.1:7400 --proto json --packet echo -n 100 -r "$HANDLER_RATE")" server_cpu_pct)
      stop_server
      if [ "$kind" = lua ]; then H_LUA+=("$max"); C_LUA+=("$cpu"); else H_BUILTIN+=("$max"); C_BUILTIN+=("$cpu"); fi
    done
  done
  median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
  cat <<EOF3

Script handlers (lcbench --proto json --packet echo, N=100, every echo to all 100; $HANDLER_ROUNDS alternating rounds, median):

| measurement | built-in echo | echo.lua | echo.lua / built-in |
|---|---:|---:|---:|
| find-max deliveries/s | $(median "${H_BUILTIN[@]}") | $(median "${H_LUA[@]}") | $(ratio "$(median "${H_LUA[@]}")" "$(median "${H_BUILTIN[@]}")") |
| server CPU % at $HANDLER_RATE msg/s ($((HANDLER_RATE * 100)) deliveries/s) | $(median "${C_BUILTIN[@]}") | $(median "${C_LUA[@]}") | $(ratio "$(median "${C_LUA[@]}")" "$(median "${C_BUILTIN[@]}")") |

Rounds: built-in ${H_BUILTIN[*]}; echo.lua ${H_LUA[*]} (find-max deliveries/s).
EOF3
fi
