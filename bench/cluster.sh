#!/usr/bin/env bash
# One room of 1 000 clients spread over 1, 2 and 4 linechat nodes sharing a
# redis-server, against one standalone node, measured in the same run:
# deliveries/s (peerbench find-max), latency at a fixed rate, and the CPU
# each process spends per message (from /proc), which feeds the model in
# bench/README.md ("Several nodes").
#
#   bash bench/cluster.sh            # about 10 minutes on 2 cores
#   DURATION=2 bash bench/cluster.sh # shorter trials
#
# Nodes share one port with --reuse-port, so the kernel spreads peerbench's
# clients over them. Servers (nodes and Redis) run on core 0, peerbench on
# core 1: every configuration gets the same CPU, so the ratios show what
# clustering costs, not what more cores would give (see the README).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SHARED=${SHARED:-$ROOT/../shared}
OUT=$ROOT/target/bench/cluster
mkdir -p "$OUT"
: > "$OUT/results.jsonl"
DURATION=${DURATION:-4}
CLIENTS=${CLIENTS:-1000}
SENDERS=${SENDERS:-100}
FIXED_RATE=${FIXED_RATE:-200}
PORT=7450
REDIS_PORT=7459
log() { printf '%s\n' "$*" >&2; }

command -v redis-server >/dev/null || {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null 2>&1 \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }
}
cargo build --release -q -p linechat
LINECHAT=$ROOT/target/release/linechat
CARGO_TARGET_DIR=$ROOT/target/bench/peerbench-target cargo build --release -q --manifest-path "$SHARED/peerbench/Cargo.toml"
PEERBENCH=$ROOT/target/bench/peerbench-target/release/peerbench
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

PIDS=()
REDIS_PID=
wait_port() {
  for _ in $(seq 1 100); do
    (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
    sleep 0.05
  done
  log "nothing listens on $1"; return 1
}
start_redis() {
  taskset -c 0 redis-server --port $REDIS_PORT --bind 127.0.0.1 --save '' --appendonly no \
    >"$OUT/redis.log" 2>&1 &
  REDIS_PID=$!
  wait_port $REDIS_PORT
}
start_nodes() { # count (0: one standalone node, no Redis)
  local n=$1 i
  PIDS=()
  if [ "$n" = 0 ]; then
    taskset -c 0 "$LINECHAT" --listen 127.0.0.1:$PORT --http-listen off --log-level warn 2>"$OUT/node.log" &
    PIDS+=($!)
  else
    for i in $(seq 1 "$n"); do
      taskset -c 0 "$LINECHAT" --listen 127.0.0.1:$PORT --http-listen off --reuse-port \
        --redis redis://127.0.0.1:$REDIS_PORT --node-id "bench$i" --log-level warn 2>"$OUT/node$i.log" &
      PIDS+=($!)
    done
  fi
  wait_port $PORT
  sleep 0.5
}
stop_nodes() { kill "${PIDS[@]}" 2>/dev/null || true; wait "${PIDS[@]}" 2>/dev/null || true; sleep 1; }
# CPU ticks (user + system) of the given pids.
ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' /proc/"$p"/stat))); done; echo $t; }
peerbench() { # label args... -> last JSON line
  local label=$1; shift
  taskset -c 1 "$PEERBENCH" --proto linechat --addr 127.0.0.1:$PORT --duration "${DURATION}" \
    --label "$label" "$@" 2>"$OUT/$label.log" | tee -a "$OUT/results.jsonl" | tail -1
  tail -1 "$OUT/$label.log" >&2
}
field() { python3 -c "import json,sys; v=json.loads(sys.argv[1] or '{}').get(sys.argv[2]); print('n/a' if v is None else v)" "$1" "$2"; }
maxdel() { python3 -c "import json,sys; d=json.loads(sys.argv[1] or '{}'); print(int(d.get('max_delivered_per_s') or d.get('max_deliveries_per_s') or 0))" "$1"; }
ratio() { python3 -c "
import sys
try: a, b = float(sys.argv[1]), float(sys.argv[2])
except ValueError: a = b = 0
print(f'{a/b:.2f}x' if b else 'n/a')" "$1" "$2"; }

HZ=$(getconf CLK_TCK)
declare -A MAX P50 P99 NODE_US REDIS_US
start_redis
for n in 0 1 2 4; do
  start_nodes "$n"
  name=$([ "$n" = 0 ] && echo standalone || echo "nodes$n")
  log "== $name"
  MAX[$n]=$(maxdel "$(peerbench "$name-find-max" --find-max -n "$CLIENTS" -s "$SENDERS")")
  # Fixed rate: latency, and CPU per message from /proc. Two runs of
  # different lengths, differenced, so the joins of the set-up cancel out.
  n0=$(ticks "${PIDS[@]}"); r0=$(ticks "$REDIS_PID")
  short=$(DURATION=2 peerbench "$name-fixed-short" -n "$CLIENTS" -s "$SENDERS" -r "$FIXED_RATE")
  n1=$(ticks "${PIDS[@]}"); r1=$(ticks "$REDIS_PID")
  fixed=$(DURATION=8 peerbench "$name-fixed" -n "$CLIENTS" -s "$SENDERS" -r "$FIXED_RATE")
  n2=$(ticks "${PIDS[@]}"); r2=$(ticks "$REDIS_PID")
  P50[$n]=$(field "$fixed" p50_us); P99[$n]=$(field "$fixed" p99_us)
  extra=$(python3 -c "import json,sys; a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2]); print(b['measured_msgs'] - a['measured_msgs'])" "$short" "$fixed")
  NODE_US[$n]=$(python3 -c "print(round((($n2-$n1)-($n1-$n0))/$HZ*1e6/max($extra,1), 1))")
  REDIS_US[$n]=$(python3 -c "print(round((($r2-$r1)-($r1-$r0))/$HZ*1e6/max($extra,1), 1))")
  stop_nodes
done
kill "$REDIS_PID" 2>/dev/null || true

cat <<EOF

## Several nodes ($(date -u +%Y-%m-%d), $(nproc) cores, servers on core 0, peerbench on core 1, trial ${DURATION} s)

One room, $CLIENTS clients spread by SO_REUSEPORT over the nodes, $SENDERS senders.

| configuration | find-max deliveries/s | vs standalone | p50 / p99 us at $FIXED_RATE msg/s ($((FIXED_RATE * CLIENTS)) deliveries/s) | node CPU us per message (all nodes) | Redis CPU us per message |
|---|---:|---:|---:|---:|---:|
| 1 node, no Redis | ${MAX[0]} | 1.00x | ${P50[0]} / ${P99[0]} | ${NODE_US[0]} | - |
| 1 node + Redis | ${MAX[1]} | $(ratio "${MAX[1]}" "${MAX[0]}") | ${P50[1]} / ${P99[1]} | ${NODE_US[1]} | ${REDIS_US[1]} |
| 2 nodes + Redis | ${MAX[2]} | $(ratio "${MAX[2]}" "${MAX[0]}") | ${P50[2]} / ${P99[2]} | ${NODE_US[2]} | ${REDIS_US[2]} |
| 4 nodes + Redis | ${MAX[4]} | $(ratio "${MAX[4]}" "${MAX[0]}") | ${P50[4]} / ${P99[4]} | ${NODE_US[4]} | ${REDIS_US[4]} |
EOF

# --- one message between two users: same node, or two nodes (bench/cross_node.py)
log "== cross-node cost"
CROSS=$(taskset -c 1 python3 bench/cross_node.py "$LINECHAT" $REDIS_PORT 20000 2000 | tee -a "$OUT/results.jsonl")
python3 - "$CROSS" <<'PY'
import json, sys
rows = [json.loads(l) for l in sys.argv[1].splitlines() if l.strip()]
print("\nOne sender and one receiver, 20 000 messages at 2 000/s (servers on core 0):\n")
print("| placement | CPU us per message (node 1, node 2, Redis) | total | p50 / p99 us |")
print("|---|---:|---:|---:|")
for r in rows:
    print(f"| {r['placement']} | {' + '.join(str(c) for c in r['cpu_us_per_msg'])} | {r['total_cpu_us_per_msg']} | {r['p50_us']} / {r['p99_us']} |")
PY
