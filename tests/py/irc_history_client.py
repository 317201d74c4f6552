"""A real IRC client library (jaraco's `irc` from PyPI) asking linechat for
history: it negotiates server-time, message-tags, batch and
draft/chathistory, reads the ISUPPORT tokens, sends CHATHISTORY LATEST and
BEFORE, and checks that the library parses the batch, the tags and the
messages as the IRCv3 documents say; a plain line client (as nc) talks.

Usage: python3 irc_history_client.py IRC_PORT CHAT_PORT
Exits 0 when every step was seen, 1 with the missing step otherwise.
"""
import socket
import sys
import time

import irc.client

irc_port, chat_port = int(sys.argv[1]), int(sys.argv[2])
DEADLINE = time.monotonic() + 20

nc = socket.create_connection(("127.0.0.1", chat_port))
nc.sendall(b"ncuser\n/join #hist\nfirst line\n/me waves\nthird line\n/ping said\n")
buf = b""
while b"* pong said" not in buf:
    buf += nc.recv(65536)

events = []  # (type, tags as a dict, arguments)


def record(connection, event):
    tags = {t["key"]: t["value"] for t in (event.tags or [])}
    args = list(event.arguments)
    # The library takes a BATCH's first parameter (+REF / -REF) as its target.
    if event.type == "batch" and event.target:
        args = [event.target] + args
    events.append((event.type, tags, args, event.target))


reactor = irc.client.Reactor()
for kind in ("pubmsg", "action", "batch", "featurelist", "cap", "endofnames", "fail"):
    reactor.add_global_handler(kind, record)
bot = reactor.server().connect("127.0.0.1", irc_port, "histbot")
bot.cap("REQ", ":server-time message-tags batch draft/chathistory")


def wait(what, test):
    while time.monotonic() < DEADLINE:
        reactor.process_once(timeout=0.02)
        found = test()
        if found:
            return found
    print(f"FAIL: never saw {what}\nevents: {events}")
    sys.exit(1)


wait("the capabilities acknowledged", lambda: any(k == "cap" and "ACK" in a for k, _, a, _ in events))
features = wait("ISUPPORT CHATHISTORY", lambda: bot.features.__dict__.get("chathistory"))
assert str(features) == "100", features
msgref = bot.features.__dict__.get("msgreftypes")
assert "msgid" in str(msgref) and "timestamp" in str(msgref), msgref
bot.join("#hist")
wait("the JOIN's names", lambda: any(k == "endofnames" for k, *_ in events))
bot.send_raw("CHATHISTORY LATEST #hist * 10")
start = wait("the batch start", lambda: next((e for e in events if e[0] == "batch" and e[2][0].startswith("+")), None))
ref = start[2][0][1:]
assert start[2][1:] == ["chathistory", "#hist"], start
end = wait("the batch end", lambda: next((e for e in events if e[0] == "batch" and e[2][0] == "-" + ref), None))
lines = [e for e in events if e[0] in ("pubmsg", "action") and e[1].get("batch") == ref]
texts = [(k, a[-1]) for k, _, a, _ in lines]
assert texts == [("pubmsg", "first line"), ("action", "waves"), ("pubmsg", "third line")], texts
for _, tags, _, target in lines:
    assert target == "#hist"
    assert tags.get("msgid"), tags
    assert tags.get("time", "").endswith("Z") and "T" in tags["time"], tags
third_id = lines[2][1]["msgid"]
events.clear()
bot.send_raw(f"CHATHISTORY BEFORE #hist msgid={third_id} 1")
wait("the page before the third line", lambda: any(k == "action" and a[-1] == "waves" for k, _, a, _ in events))
events.clear()
nc.sendall(b"live line\n")
live = wait("a live line with tags", lambda: next((e for e in events if e[0] == "pubmsg" and e[2][-1] == "live line"), None))
assert live[1].get("msgid") and live[1].get("time"), live
assert "batch" not in live[1], live
bot.quit("done")
print("ok: the irc library negotiated history capabilities, paged CHATHISTORY in a batch, and read msgid and time tags")
