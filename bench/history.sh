#!/usr/bin/env bash
# What history costs, measured in one run (bench/README.md, "History"):
#
#   bash bench/history.sh [SECONDS]     # SECONDS of the sustained --db run (default 60)
#   ONLY=35 bash bench/history.sh       # sections 3 and 5 only
#
# 1. --db under load: peerbench at 20 000 lines/s across 100 rooms of 2 for 20 s, memory
#    history and then --db, each followed by the loop's longest turn and how many turns
#    passed 1 ms and 5 ms (/metrics), and the storage thread's longest commit; then --db at
#    50 000 lines/s for SECONDS: delivered share, latency, lines committed against sent.
# 2. --db-sync normal against full: deliveries/s (peerbench --find-max, one room of 100).
# 3. Memory per stored line: RSS before and after 200 000 lines in 100 rooms.
# 4. A 100-line history query: 2 000 JSON history requests against 2 000 pings.
# 5. Restart with 1 000 000 stored lines (1 000 rooms of 1 000): start-up time.
# Servers run on core 0, the generator and clients on core 1.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SHARED=${SHARED:-$ROOT/../shared}
SUSTAIN=${1:-60}
ONLY=${ONLY:-123456}
section() { [[ $ONLY == *$1* ]]; }
OUT=$ROOT/target/bench/history
mkdir -p "$OUT"
cargo build --release -q -p linechat
BIN=$ROOT/target/release/linechat
CARGO_TARGET_DIR=$ROOT/target/bench/peerbench-target cargo build --release -q --manifest-path "$SHARED/peerbench/Cargo.toml"
PEERBENCH=$ROOT/target/bench/peerbench-target/release/peerbench
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

PID=
start() { # port web-port args...
  local port=$1 web=$2; shift 2
  taskset -c 0 "$BIN" --listen 127.0.0.1:"$port" --http-listen 127.0.0.1:"$web" --log-level warn "$@" >"$OUT/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 200); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && return 0; sleep 0.05; done
  echo "server did not start: $*" >&2; cat "$OUT/server.log" >&2; return 1
}
stop() { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; sleep 0.3; }
metric() { # web-port name
  curl -s "http://127.0.0.1:$1/metrics" | awk -v n="linechat_$2" '$1 == n { print $2 }'
}
fresh_db() { rm -f "$OUT/$1" "$OUT/$1-wal" "$OUT/$1-shm"; echo "$OUT/$1"; }

if section 1; then
echo "## 1. --db under load"
for where in memory db; do
  args=()
  if [ "$where" = db ]; then args=(--db "$(fresh_db load.db)"); fi
  start 7410 7411 "${args[@]}"
  taskset -c 1 "$PEERBENCH" --proto linechat --addr 127.0.0.1:7410 --pid "$PID" -n 200 -s 200 --rooms 100 \
    -r 20000 --duration 20 2>/dev/null | tail -1 > "$OUT/20k.json"
  python3 - "$OUT/20k.json" "$where" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"{sys.argv[2]}: 20 000 lines/s, 100 rooms of 2: {r.get('measured_msgs')} lines, lost {r.get('loss_pct')}%, "
      f"latency p50 {r.get('p50_us', 0) / 1000:.2f} ms, p99 {r.get('p99_us', 0) / 1000:.2f} ms, server CPU {r.get('server_cpu_pct')}%")
PY
  echo "  loop turns: $(metric 7411 loop_turns_total), over 1 ms: $(metric 7411 'loop_turns_over_total{over="1ms"}'), over 5 ms: $(metric 7411 'loop_turns_over_total{over="5ms"}'), longest: $(metric 7411 loop_turn_max_seconds) s"
  if [ "$where" = db ]; then
    echo "  commits: $(metric 7411 db_commits_total), lines: $(metric 7411 db_lines_total), longest commit: $(metric 7411 db_commit_max_seconds) s"
  fi
  stop
done

DB=$(fresh_db sustain.db)
start 7410 7411 --db "$DB"
taskset -c 1 "$PEERBENCH" --proto linechat --addr 127.0.0.1:7410 --pid "$PID" -n 200 -s 200 --rooms 100 \
  -r 50000 --duration "$SUSTAIN" 2>/dev/null | tail -1 > "$OUT/50k.json"
python3 - "$OUT/50k.json" "$SUSTAIN" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"50 000 lines/s for {sys.argv[2]} s: {r.get('measured_msgs')} lines, {r.get('delivered')} of {r.get('expected_deliveries')} deliveries, "
      f"lost {r.get('loss_pct')}%, latency p50 {r.get('p50_us', 0) / 1000:.2f} ms, p99 {r.get('p99_us', 0) / 1000:.2f} ms, server CPU {r.get('server_cpu_pct')}%")
PY
echo "lines committed: $(metric 7411 db_lines_total), failures: $(metric 7411 db_failures_total), longest turn: $(metric 7411 loop_turn_max_seconds) s, turns over 5 ms: $(metric 7411 'loop_turns_over_total{over="5ms"}')"
stop

fi

if section 2; then
echo "## 2. --db-sync normal and full (one room of 100, deliveries/s)"
for sync in memory normal full; do
  args=()
  if [ "$sync" != memory ]; then args=(--db "$(fresh_db sync-$sync.db)" --db-sync "$sync"); fi
  start 7410 7411 "${args[@]}"
  got=$(taskset -c 1 "$PEERBENCH" --proto linechat --addr 127.0.0.1:7410 --pid "$PID" --duration 3 --find-max -n 100 -s 100 2>/dev/null \
    | tail -1 | python3 -c "import json,sys; print(int(json.loads(sys.stdin.read() or '{}').get('max_delivered_per_s') or 0))")
  echo "$sync: $got deliveries/s"
  stop
done

fi

if section 3; then
echo "## 3. memory per stored line, 4. a 100-line query"
start 7410 7411 --history 2000 --history-memory 1000M --max-rooms-per-client 200
python3 - "$PID" <<'PY'
import json, socket, sys, time
pid = int(sys.argv[1])
def rss():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
def client(nick):
    s = socket.create_connection(("127.0.0.1", 7410))
    f = s.makefile("rb")
    f.readline()
    s.sendall(json.dumps({"type": "nick", "payload": nick}).encode() + b"\n")
    return s, f
def until(f, kind, payload=None):
    while True:
        v = json.loads(f.readline())
        if v["type"] == kind and (payload is None or v.get("payload") == payload):
            return v
s, f = client("filler")
until(f, "join")
for r in range(100):
    s.sendall(json.dumps({"type": "join", "payload": f"#r{r}"}).encode() + b"\n")
s.sendall(b'{"type":"ping","payload":"joined"}\n'); until(f, "pong", "joined")
before = rss()
text = "x" * 32
batch = []
for i in range(200_000):
    batch.append(json.dumps({"type": "chat", "payload": {"room": f"#r{i % 100}", "text": f"{i} {text}"}}).encode() + b"\n")
    if len(batch) == 1000:
        s.sendall(b"".join(batch)); batch = []
        s.sendall(b'{"type":"ping","payload":"p"}\n')
        while json.loads(f.readline())["type"] != "pong":
            pass
after = rss()
s.sendall(b'{"type":"history","payload":{"room":"#r99","limit":1}}\n')
last = until(f, "history")["payload"]["items"][0]["text"]
assert last.startswith("199999 "), last
print(f"200 000 lines of 40 bytes in 100 rooms: {(after - before) / 200_000:.0f} bytes of RSS per line")
q, qf = client("querier")
until(qf, "join")
def timed(packet, n=2000):
    t = time.perf_counter()
    q.sendall(packet * n)
    for _ in range(n):
        qf.readline()
    return (time.perf_counter() - t) / n
ping = timed(b'{"type":"ping"}\n')
hist = timed(b'{"type":"history","payload":{"room":"#r7","limit":100}}\n')
print(f"a 100-line history query: {hist * 1e6:.0f} us against {ping * 1e6:.1f} us for a ping (pipelined, JSON rendering included)")
PY
echo "held: $(metric 7411 history_lines) lines, estimated $(metric 7411 history_bytes) bytes"
stop
fi

if section 5; then
echo "## 5. restart with 1 000 000 stored lines"
DB=$(fresh_db million.db)
python3 - "$DB" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
db.executescript("""
CREATE TABLE lines (room TEXT NOT NULL, seq INTEGER NOT NULL, uniq INTEGER NOT NULL, time INTEGER NOT NULL,
  kind TEXT NOT NULL, whole INTEGER NOT NULL, nick TEXT NOT NULL, text TEXT NOT NULL, PRIMARY KEY (room, seq)) WITHOUT ROWID;
CREATE TABLE rooms (room TEXT PRIMARY KEY, name TEXT NOT NULL, topic TEXT NOT NULL DEFAULT '',
  topic_by TEXT NOT NULL DEFAULT '', topic_at INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
""")
now = int(time.time() * 1000)
uniq = now << 10
for r in range(1000):
    db.execute("INSERT INTO rooms (room, name) VALUES (?, ?)", (f"#r{r}", f"#r{r}"))
    rows = [(f"#r{r}", i + 1, uniq + r * 1000 + i, now - 60000 + i, "chat", 0, "bot", f"line {i} " + "x" * 32) for i in range(1000)]
    db.executemany("INSERT INTO lines VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
db.commit()
PY
t0=$(date +%s%N)
taskset -c 0 "$BIN" --listen 127.0.0.1:7410 --http-listen off --db "$DB" --history-memory 1000M >"$OUT/restart.log" 2>&1 &
PID=$!
# Serving: the greeting comes back (the port accepts before the file is read).
python3 - <<'PY'
import socket, time
deadline = time.time() + 60
while time.time() < deadline:
    try:
        s = socket.create_connection(("127.0.0.1", 7410), timeout=60)
        s.settimeout(60)
        if s.makefile("rb").readline().startswith(b"* welcome"):
            break
    except OSError:
        time.sleep(0.02)
PY
t1=$(date +%s%N)
echo "1 000 000 lines in 1 000 rooms: serving after $(( (t1 - t0) / 1000000 )) ms; $(grep -o '[0-9]* lines of [0-9]* rooms and [0-9]* accounts read back in [0-9]* ms' "$OUT/restart.log"); RSS $(awk '/VmRSS/ {print $2 / 1024 " MiB"}' /proc/$PID/status)"
stop
fi

if section 6; then
echo "## 6. a history query in a cluster (from the Redis stream) against one from memory"
redis-server --port 7420 --bind 127.0.0.1 --save '' --appendonly no >/dev/null 2>&1 &
RPID=$!
for _ in $(seq 1 100); do redis-cli -p 7420 ping >/dev/null 2>&1 && break; sleep 0.05; done
for where in memory redis; do
  args=()
  if [ "$where" = redis ]; then args=(--redis redis://127.0.0.1:7420 --node-id bench); fi
  start 7410 7411 "${args[@]}"
  # Linked (clustered node) before measuring: /healthz says ok.
  for _ in $(seq 1 200); do [ "$(curl -s http://127.0.0.1:7411/healthz)" = ok ] && break; sleep 0.05; done
  python3 - "$where" <<'PY'
import json, socket, sys, time
s = socket.create_connection(("127.0.0.1", 7410))
f = s.makefile("rb")
f.readline()
s.sendall(b'{"type":"nick","payload":"q"}\n')
while json.loads(f.readline())["type"] != "join":
    pass
for i in range(100):
    s.sendall(json.dumps({"type": "chat", "payload": f"line {i} " + "x" * 32}).encode() + b"\n")
s.sendall(b'{"type":"ping","payload":"filled"}\n')
while json.loads(f.readline()).get("payload") != "filled":
    pass
def timed(packet, n=1000):
    t = time.perf_counter()
    for _ in range(n):  # one at a time: each waits for its answer
        s.sendall(packet)
        f.readline()
    return (time.perf_counter() - t) / n
ping = timed(b'{"type":"ping"}\n')
hist = timed(b'{"type":"history","payload":{"room":"#lobby","limit":100}}\n')
print(f"{sys.argv[1]}: a 100-line history query {hist * 1e6:.0f} us round trip, a ping {ping * 1e6:.0f} us")
PY
  stop
done
kill "$RPID" 2>/dev/null || true
fi
