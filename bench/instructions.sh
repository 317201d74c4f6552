#!/usr/bin/env bash
# Instructions two linechat builds spend on the same fixed one-room load,
# counted by callgrind: unlike throughput, a count does not depend on what
# else the machine runs, except through how many lines each loop turn
# batches (a busy machine batches more, and spends fewer instructions per
# delivery), so run it on a quiet machine, more than once.
#
#   bash bench/instructions.sh OLD_LINECHAT [NEW_LINECHAT]
#
# Two shapes, each run once per build under valgrind: N=100 clients all
# sending (1 000 messages, 100 000 deliveries) and N=1000 with 100 senders
# (400 messages, 400 000 deliveries). Prints each build's instruction count
# and the new/old ratio; start-up and the connections are included (the
# same for both).
set -euo pipefail
cd "$(dirname "$0")/.."
OLD=${1:?usage: bench/instructions.sh OLD_LINECHAT [NEW_LINECHAT]}
NEW=${2:-}
if [ -z "$NEW" ]; then
  cargo build --release -q -p linechat
  NEW=$PWD/target/release/linechat
fi
cargo build --release -q -p lcbench
LCBENCH=$PWD/target/release/lcbench
OUT=$PWD/target/bench/instructions
mkdir -p "$OUT"
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }

# count BINARY LABEL PORT CLIENTS SENDERS RATE -> instructions
count() {
  local bin=$1 label=$2 port=$3 n=$4 s=$5 rate=$6
  valgrind --tool=callgrind --callgrind-out-file="$OUT/$label.cg" \
    "$bin" --listen 127.0.0.1:"$port" --http-listen off --log-level warn >"$OUT/$label.log" 2>&1 &
  local vpid=$!
  for _ in $(seq 1 200); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done
  "$LCBENCH" --addr 127.0.0.1:"$port" -n "$n" -s "$s" -r "$rate" --warmup 0 --duration 4 --drain 10 \
    >"$OUT/$label.json" 2>/dev/null
  kill -TERM "$vpid"; wait "$vpid" || true
  local delivered
  delivered=$(grep -o '"delivered":[0-9]*' "$OUT/$label.json" | head -1 | cut -d: -f2)
  echo "$(grep -E '^(summary|totals):' "$OUT/$label.cg" | head -1 | awk '{print $2}') $delivered"
}

echo "| shape | older build: instructions (deliveries) | current build | current / older |"
echo "|---|---:|---:|---:|"
for shape in "100 100 250" "1000 100 100"; do
  set -- $shape
  read -r old_ir old_d < <(count "$OLD" "old-$1" 7701 "$1" "$2" "$3")
  read -r new_ir new_d < <(count "$NEW" "new-$1" 7702 "$1" "$2" "$3")
  ratio=$(awk -v a="$new_ir" -v b="$old_ir" 'BEGIN { printf "%.3f", a / b }')
  echo "| N=$1, $2 sending | $old_ir ($old_d) | $new_ir ($new_d) | ${ratio}x |"
done
