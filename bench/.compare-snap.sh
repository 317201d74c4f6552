#!/usr/bin/env bash
# Compares the current build with another linechat binary (an earlier build)
# on the one-room path, each as a ratio to limit.c measured in the same run:
#
#   bash bench/compare.sh /path/to/older/linechat [ROUNDS]
#
# Each round measures limit.c, the older build and the current build in turn
# (peerbench --find-max, N=100 all sending, and N=1000 with 100 senders), so
# slow drifts of a noisy machine hit all three alike. It prints every round
# and the medians. Servers run on core 0, the generator on core 1.
# NEW_ARGS adds options to the current build only; ALSO_ARGS measures the
# current build a second time with those options, in the same rounds
# (ALSO_ARGS="--db /tmp/b.db": history kept in SQLite, against both).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SHARED=${SHARED:-$ROOT/../shared}
OUT=$ROOT/target/bench
OLD=${1:?usage: bench/compare.sh OLD_LINECHAT [ROUNDS]}
ROUNDS=${2:-3}
DURATION=${DURATION:-3}
mkdir -p "$OUT"

true
NEW=/tmp/new-linechat
CARGO_TARGET_DIR=$OUT/peerbench-target cargo build --release -q --manifest-path "$SHARED/peerbench/Cargo.toml"
PEERBENCH=$OUT/peerbench-target/release/peerbench
gcc -O2 -o "$OUT/limit" "$SHARED/peers/limit.c"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

PID=
start() { # port, command...
  local port=$1; shift
  taskset -c 0 "$@" >/dev/null 2>&1 &
  PID=$!
  for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && return 0; sleep 0.05; done
  echo "server did not start: $*" >&2; return 1
}
stop() { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; sleep 0.5; }
findmax() { # proto port args... -> deliveries/s
  local proto=$1 port=$2; shift 2
  taskset -c 1 "$PEERBENCH" --proto "$proto" --addr 127.0.0.1:"$port" --pid "$PID" --duration "$DURATION" \
    --find-max "$@" 2>/dev/null | tail -1 \
    | python3 -c "import json,sys; print(int(json.loads(sys.stdin.read() or '{}').get('max_delivered_per_s') or 0))"
}
measure() { # name args...
  local name=$1; shift
  case $name in
    limit) start 7402 "$OUT/limit" 7402; findmax limit 7402 "$@" ;;
    old) start 7400 "$OLD" --listen 127.0.0.1:7400 --http-listen off --log-level warn; findmax linechat 7400 "$@" ;;
    new)
      # shellcheck disable=SC2086
      start 7400 "$NEW" --listen 127.0.0.1:7400 --http-listen off --log-level warn ${NEW_ARGS:-}
      findmax linechat 7400 "$@" ;;
    also)
      # shellcheck disable=SC2086
      start 7400 "$NEW" --listen 127.0.0.1:7400 --http-listen off --log-level warn ${ALSO_ARGS}
      findmax linechat 7400 "$@" ;;
  esac
  stop
}

WHO="limit old new"
[ -n "${ALSO_ARGS:-}" ] && WHO="$WHO also"
declare -A R
for shape in "100 100" "1000 100"; do
  set -- $shape; n=$1; s=$2
  for round in $(seq 1 "$ROUNDS"); do
    for who in $WHO; do
      R[$n,$who,$round]=$(measure "$who" -n "$n" -s "$s")
    done
    echo "N=$n round $round: limit.c ${R[$n,limit,$round]}  old ${R[$n,old,$round]}  new ${R[$n,new,$round]}  also ${R[$n,also,$round]:-}" >&2
  done
done

python3 - "$ROUNDS" "${ALSO_ARGS:-}" <<PY
import statistics, sys
rounds, also = int(sys.argv[1]), sys.argv[2]
r = {$(for k in "${!R[@]}"; do printf '"%s": %s, ' "$k" "${R[$k]}"; done)}
head = "| N | round | limit.c | older build | current build | older / limit.c | current / limit.c | current / older |"
if also:
    head += f" current {also} | that / older |"
print(head)
print("|---|---|---:|---:|---:|---:|---:|---:|" + ("---:|---:|" if also else ""))
for n in (100, 1000):
    ro, rn, rc, ra = [], [], [], []
    for i in range(1, rounds + 1):
        l, o, c = r[f"{n},limit,{i}"], r[f"{n},old,{i}"], r[f"{n},new,{i}"]
        ro.append(o / l if l else 0); rn.append(c / l if l else 0); rc.append(c / o if o else 0)
        row = f"| {n} | {i} | {l} | {o} | {c} | {ro[-1]:.2f}x | {rn[-1]:.2f}x | {rc[-1]:.2f}x |"
        if also:
            a = r[f"{n},also,{i}"]
            ra.append(a / o if o else 0)
            row += f" {a} | {ra[-1]:.2f}x |"
        print(row)
    row = f"| {n} | median | | | | {statistics.median(ro):.2f}x | {statistics.median(rn):.2f}x | {statistics.median(rc):.2f}x |"
    if also:
        row += f" | {statistics.median(ra):.2f}x |"
    print(row)
PY
