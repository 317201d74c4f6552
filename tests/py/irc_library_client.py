"""A real IRC client library (jaraco's `irc` from PyPI) against linechat's
IRC port, with a plain line client (as nc would be) on the chat port.

Usage: python3 irc_library_client.py IRC_PORT CHAT_PORT
Exits 0 when every step was seen, 1 with the missing step otherwise.
"""
import socket
import sys
import time

import irc.client

irc_port, chat_port = int(sys.argv[1]), int(sys.argv[2])
DEADLINE = time.monotonic() + 20


class LineClient:
    """The chat port's text protocol, as nc speaks it."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.settimeout(0.05)
        self.buf = b""
        self.lines = []

    def send(self, line):
        self.sock.sendall(line.encode() + b"\n")

    def poll(self):
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return
        self.buf += data
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            self.lines.append(line.decode())


seen = []  # (event type, source nick, target, text)


def record(kind):
    def handler(connection, event):
        text = event.arguments[-1] if event.arguments else ""
        seen.append((kind, event.source.nick if event.source else "", event.target, text))
    return handler


reactor = irc.client.Reactor()
for kind in ("welcome", "join", "pubmsg", "privmsg", "action", "topic", "part", "quit", "nick", "namreply"):
    reactor.add_global_handler(kind, record(kind))
bot = reactor.server().connect("127.0.0.1", irc_port, "pybot")
nc = LineClient(chat_port)


def pump():
    reactor.process_once(timeout=0.02)
    nc.poll()


def wait(what, test):
    while time.monotonic() < DEADLINE:
        pump()
        if test():
            return
    print(f"FAIL: never saw {what}\nirc events: {seen}\nnc lines: {nc.lines}")
    sys.exit(1)


wait("the welcome", lambda: any(k == "welcome" for k, *_ in seen))
nc.send("ncuser")
wait("nc joined", lambda: "* ncuser joined (1 online)" in nc.lines)
bot.join("#lobby")
wait("our JOIN", lambda: ("join", "pybot", "#lobby", "") in seen)
wait("NAMES with ncuser", lambda: any(k == "namreply" and "ncuser" in text.split() for k, _, _, text in seen))
wait("nc sees pybot join", lambda: "* pybot joined (2 online)" in nc.lines)

nc.send("hello from nc")
wait("nc's line as PRIVMSG", lambda: ("pubmsg", "ncuser", "#lobby", "hello from nc") in seen)
bot.privmsg("#lobby", "hello from the library")
wait("the library's line on nc", lambda: "[pybot] hello from the library" in nc.lines)
bot.action("#lobby", "waves")
wait("the action on nc", lambda: "* pybot waves" in nc.lines)
nc.send("/me waves back")
wait("nc's action as CTCP ACTION", lambda: ("action", "ncuser", "#lobby", "waves back") in seen)
nc.send("/msg pybot psst")
wait("a private message", lambda: ("privmsg", "ncuser", "pybot", "psst") in seen)
bot.topic("#lobby", "set by a library")
wait("the topic on nc", lambda: "* pybot set the topic for #lobby: set by a library" in nc.lines)
bot.nick("pybot2")
wait("the rename on nc", lambda: "* pybot is now known as pybot2" in nc.lines)
bot.part("#lobby", "parting words")
wait("the part on nc", lambda: "* pybot2 left (1 online)" in nc.lines)
bot.join("#lobby")
wait("nc sees the rejoin", lambda: "* pybot2 joined (2 online)" in nc.lines)
nc.send("/bye")
wait("nc's quit", lambda: any(k == "quit" and s == "ncuser" for k, s, *_ in seen))
bot.quit("done")
print("ok: the irc library registered, joined, chatted, acted, renamed, parted and quit with an nc user")
