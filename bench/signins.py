"""Sign-ins against a busy loop: while chatters keep the loop turning, a
client signs in with a password RATE times a second (argon2id on the
password thread) for SECONDS. Prints the sign-in latency (p50, p99, max),
the loop's turns over 1 ms and 5 ms and its longest turn (from /metrics),
and the server's CPU per sign-in (CPU during the run, less the CPU of the
same run without sign-ins, per sign-in).

    python3 bench/signins.py target/release/linechat [SECONDS] [RATE]
"""
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request

BINARY = sys.argv[1]
SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 20
RATE = float(sys.argv[3]) if len(sys.argv) > 3 else 20
CHATTERS, CHAT_RATE = 20, 50  # lines a second each, in one room


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start():
    chat, web = free_port(), free_port()
    proc = subprocess.Popen(
        [BINARY, "--listen", f"127.0.0.1:{chat}", "--http-listen", f"127.0.0.1:{web}",
         "--login-rate", "off", "--log-level", "warn"],
        stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", chat)).close()
            return proc, chat, web
        except OSError:
            time.sleep(0.02)
    raise SystemExit("linechat did not start")


class Line:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.buf = b""

    def send(self, text):
        self.sock.sendall(text.encode() + b"\n")

    def until(self, prefix):
        while True:
            while b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                if line.decode().startswith(prefix):
                    return line.decode()
            data = self.sock.recv(65536)
            if not data:
                raise SystemExit(f"closed while waiting for {prefix!r}")
            self.buf += data


def chatter(port, n, stop):
    c = Line(port)
    c.until("* welcome")
    c.send(f"chatter{n}")
    c.sock.setblocking(False)
    i = 0
    while not stop.is_set():
        try:
            c.sock.sendall(f"line {i}\n".encode())
            while c.sock.recv(1 << 16):
                pass
        except BlockingIOError:
            pass
        i += 1
        time.sleep(1 / CHAT_RATE)


def metrics(web):
    text = urllib.request.urlopen(f"http://127.0.0.1:{web}/metrics").read().decode()
    get = lambda name: float(re.search(rf"^linechat_{name} (\S+)$", text, re.M).group(1))
    return {
        "turns": get("loop_turns_total"),
        "over1": get('loop_turns_over_total{over="1ms"}'),
        "over5": get('loop_turns_over_total{over="5ms"}'),
        "max": get("loop_turn_max_seconds"),
    }


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(sign_ins):
    proc, chat, web = start()
    stop = threading.Event()
    threads = [threading.Thread(target=chatter, args=(chat, n, stop), daemon=True) for n in range(CHATTERS)]
    owner = Line(chat)
    owner.until("* welcome")
    owner.send("benchuser")
    owner.until("* benchuser joined")
    owner.send("/register bench-password")
    owner.until("* registered the account")
    for t in threads:
        t.start()
    time.sleep(1)
    before, cpu0 = metrics(web), cpu_seconds(proc.pid)
    latencies = []
    t_end = time.monotonic() + SECONDS
    next_at = time.monotonic()
    while time.monotonic() < t_end:
        if sign_ins:
            c = Line(chat)
            c.until("* welcome")
            t0 = time.monotonic()
            c.send("/login benchuser bench-password")
            c.until("* signed in as")
            latencies.append(time.monotonic() - t0)
            c.sock.close()
        next_at += 1 / RATE
        time.sleep(max(0, next_at - time.monotonic()))
    after, cpu1 = metrics(web), cpu_seconds(proc.pid)
    stop.set()
    proc.terminate()
    proc.wait()
    turns = after["turns"] - before["turns"]
    return {
        "latencies": sorted(latencies),
        "turns": turns,
        "over1": (after["over1"] - before["over1"]) / max(turns, 1),
        "over5": after["over5"] - before["over5"],
        "max_ms": after["max"] * 1000,
        "cpu": cpu1 - cpu0,
    }


quiet = run(False)
busy = run(True)
lat = busy["latencies"]
pct = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000
print(f"{len(lat)} sign-ins at {RATE:g}/s for {SECONDS:g} s, {CHATTERS} chatters at {CHAT_RATE}/s each in one room")
print(f"sign-in latency: p50 {pct(0.5):.1f} ms, p99 {pct(0.99):.1f} ms, max {lat[-1] * 1000:.1f} ms")
for name, r in (("without sign-ins", quiet), ("with sign-ins", busy)):
    print(f"loop {name}: {r['turns']:.0f} turns, {r['over1'] * 100:.2f}% over 1 ms, "
          f"{r['over5']:.0f} over 5 ms, longest {r['max_ms']:.2f} ms (since start); server CPU {r['cpu']:.2f} s")
print(f"server CPU per sign-in: {(busy['cpu'] - quiet['cpu']) / max(len(lat), 1) * 1000:.1f} ms")
