"""Python's ssl and websockets on wss:// against linechat's TLS web port,
with a plain line client (as nc would be) on the chat port.

Usage: python3 wss_client.py HTTPS_PORT CHAT_PORT CA_FILE
"""
import json
import socket
import ssl
import sys

from websockets.sync.client import connect

https_port, chat_port, ca_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
context = ssl.create_default_context(cafile=ca_file)

nc = socket.create_connection(("127.0.0.1", chat_port), timeout=10)
nc_lines = nc.makefile("r", encoding="utf-8", newline="\n")


def nc_expect(line):
    got = nc_lines.readline().rstrip("\n")
    assert got == line, f"nc expected {line!r}, got {got!r}"


nc_expect("* welcome to linechat - enter a nickname")
nc.sendall(b"ncuser\n")
nc_expect("* ncuser joined (1 online)")

with connect(f"wss://localhost:{https_port}/ws", ssl=context, open_timeout=10) as ws:
    assert ws.recv(timeout=10) == "* welcome to linechat - enter a nickname"
    ws.send(json.dumps({"type": "nick", "payload": "pyws"}))
    assert json.loads(ws.recv(timeout=10)) == {
        "type": "join", "payload": {"nick": "pyws", "online": 2, "room": "#lobby"}}
    nc_expect("* pyws joined (2 online)")
    ws.send(json.dumps({"type": "chat", "payload": "über TLS"}))
    assert json.loads(ws.recv(timeout=10))["payload"]["text"] == "über TLS"
    nc_expect("[pyws] über TLS")
    nc.sendall(b"hello wss\n")
    nc_expect("[ncuser] hello wss")
    assert json.loads(ws.recv(timeout=10)) == {
        "type": "chat", "payload": {"from": "ncuser", "text": "hello wss", "room": "#lobby"}}
nc_expect("* pyws left (1 online)")
print("ok: Python ssl + websockets chatted over wss:// with an nc user")
