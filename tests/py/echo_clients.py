"""The original echo server's clients, with Python's websockets library.

Usage: python3 echo_clients.py WEB_PORT
Three clients connect to ws://127.0.0.1:WEB_PORT/ws; each sends JSON
echo packets, and every client must receive every packet, its own
included, exactly as sent. A strict RFC 6455 client: masking, UTF-8,
close codes and pings are all checked by the library. Exits non-zero
on any mismatch.
"""

import json
import sys

from websockets.sync.client import connect

PORT = int(sys.argv[1])
URL = f"ws://127.0.0.1:{PORT}/ws"
WELCOME = "* welcome to linechat - enter a nickname"
CLIENTS = 3
EACH = 20


def main() -> None:
    clients = [connect(URL, open_timeout=10, close_timeout=5) for _ in range(CLIENTS)]
    for c in clients:
        assert c.recv(timeout=10) == WELCOME
        # JSON mode starts with the first line; a ping proves the client is in.
        c.send(json.dumps({"type": "ping", "payload": "ready"}))
        assert json.loads(c.recv(timeout=10)) == {"type": "pong", "payload": "ready"}

    sent = []
    for k in range(EACH):
        for i, c in enumerate(clients):
            payload = {"from": i, "k": k, "text": f"héllo {i}/{k}"}
            c.send(json.dumps({"type": "echo", "payload": payload}))
            sent.append(payload)

    for i, c in enumerate(clients):
        got = []
        while len(got) < len(sent):
            packet = json.loads(c.recv(timeout=10))
            assert packet["type"] == "echo", packet
            got.append(packet["payload"])
        # Every packet arrives; each sender's packets arrive in order.
        assert sorted(map(json.dumps, got)) == sorted(map(json.dumps, sent)), f"client {i}"
        for sender in range(CLIENTS):
            ks = [p["k"] for p in got if p["from"] == sender]
            assert ks == list(range(EACH)), f"client {i}: order from {sender}: {ks}"

    for c in clients:
        c.send(json.dumps({"type": "bye"}))
        assert json.loads(c.recv(timeout=10)) == {"type": "bye"}
        c.close()
    print(f"ok: {CLIENTS} clients each received {len(sent)} echo packets")


if __name__ == "__main__":
    main()
