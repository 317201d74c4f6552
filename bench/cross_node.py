"""The cost of one message between two users on the same node and on two nodes.

Usage: python3 bench/cross_node.py LINECHAT REDIS_PORT [MESSAGES] [RATE]

Three placements of a sender and a receiver, each measured on fresh processes:
  standalone  one linechat without Redis, both users on it
  same-node   two clustered nodes, both users on node 1 (node 2 only hears notes)
  cross-node  two clustered nodes, the sender on node 1, the receiver on node 2
The sender sends MESSAGES lines at RATE per second; the receiver reads them
all. CPU (user + system) of every linechat and of redis-server is read from
/proc before and after, and reported in microseconds per message, with the
receiver's median and 99th-percentile latency. Prints one JSON line per
placement.
"""

import json
import os
import socket
import subprocess
import sys
import threading
import time

HZ = os.sysconf("SC_CLK_TCK")


def ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def wait_port(port):
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


def start(linechat, port, redis_port=None, node=None):
    args = [linechat, "--listen", f"127.0.0.1:{port}", "--http-listen", "off", "--log-level", "warn"]
    if redis_port:
        args += ["--redis", f"redis://127.0.0.1:{redis_port}", "--node-id", node]
    p = subprocess.Popen(["taskset", "-c", "0"] + args, stderr=subprocess.DEVNULL)
    wait_port(port)
    return p


def join(port, nick):
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(10)
    f = s.makefile("rb")
    f.readline()
    s.sendall(f"{nick}\n".encode())
    while not f.readline().startswith(f"* {nick} joined".encode()):
        pass
    return s, f


def run(label, procs, sender_port, receiver_port, messages, rate):
    time.sleep(0.5)
    tx, _ = join(sender_port, "sender")
    rx, rf = join(receiver_port, "receiver")
    time.sleep(1.0)  # the receiver's join reaches everyone
    pids = [p.pid for p in procs]
    before = [ticks(p) for p in pids]
    sent_at = {}
    lat = []

    def receive():
        got = 0
        while got < messages:
            line = rf.readline()
            if line.startswith(b"[sender] "):
                lat.append(time.perf_counter() - sent_at[int(line.split()[1])])
                got += 1

    reader = threading.Thread(target=receive)
    reader.start()
    start = time.perf_counter()
    for i in range(messages):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        sent_at[i] = time.perf_counter()
        tx.sendall(f"{i}\n".encode())
    reader.join()
    after = [ticks(p) for p in pids]
    lat.sort()
    cpu = [(a - b) / HZ * 1e6 / messages for a, b in zip(after, before)]
    out = {
        "placement": label,
        "messages": messages,
        "rate": rate,
        "cpu_us_per_msg": [round(c, 2) for c in cpu],
        "total_cpu_us_per_msg": round(sum(cpu), 2),
        "p50_us": round(lat[len(lat) // 2] * 1e6, 1),
        "p99_us": round(lat[len(lat) * 99 // 100] * 1e6, 1),
    }
    tx.close()
    rx.close()
    print(json.dumps(out), flush=True)


def main():
    linechat, redis_port = sys.argv[1], int(sys.argv[2])
    messages = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
    rate = float(sys.argv[4]) if len(sys.argv) > 4 else 2000
    redis = subprocess.Popen(
        ["taskset", "-c", "0", "redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
         "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    wait_port(redis_port)
    try:
        a = start(linechat, 7461)
        run("standalone", [a], 7461, 7461, messages, rate)
        a.kill(); a.wait()
        for label, receiver in [("same-node", 7461), ("cross-node", 7462)]:
            a = start(linechat, 7461, redis_port, "x1")
            b = start(linechat, 7462, redis_port, "x2")
            run(label, [a, b, redis], 7461, receiver, messages, rate)
            for p in (a, b):
                p.kill(); p.wait()
    finally:
        redis.kill()


if __name__ == "__main__":
    main()
