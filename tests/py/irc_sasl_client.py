"""SASL PLAIN with a real IRC client library (jaraco's `irc` from PyPI):
an account registered by a line client on the chat port, then the library
signs in with SASL while connecting and keeps the registered nickname; a
wrong password fails with `login_failed` and the library connects as a
guest under another nickname.

Usage: python3 irc_sasl_client.py IRC_PORT CHAT_PORT
Exits 0 when every step was seen, 1 with the missing step otherwise.
"""
import socket
import sys
import time

import irc.client

irc_port, chat_port = int(sys.argv[1]), int(sys.argv[2])
DEADLINE = time.monotonic() + 20

nc = socket.create_connection(("127.0.0.1", chat_port))
nc.settimeout(0.05)
nc_lines, nc_buf = [], b""


def nc_poll():
    global nc_buf
    try:
        nc_buf += nc.recv(65536)
    except socket.timeout:
        return
    while b"\n" in nc_buf:
        line, nc_buf = nc_buf.split(b"\n", 1)
        nc_lines.append(line.decode())


seen = []  # (connection name, event type, target, arguments)
reactor = irc.client.Reactor()


def record(kind):
    def handler(connection, event):
        seen.append((connection.real_nickname, kind, event.target, list(event.arguments)))
    return handler


for kind in ("welcome", "login_failed", "nicknameinuse", "loggedin", "saslsuccess", "saslfail", "join"):
    reactor.add_global_handler(kind, record(kind))


def wait(what, test):
    while time.monotonic() < DEADLINE:
        reactor.process_once(timeout=0.02)
        nc_poll()
        if test():
            return
    print(f"FAIL: never saw {what}\nirc events: {seen}\nnc lines: {nc_lines}")
    sys.exit(1)


nc.sendall(b"owner\n/register correct-horse\n")
wait("the registration", lambda: "* registered the account owner; you are signed in" in nc_lines)
nc.sendall(b"/nick someone-else\n")
wait("the rename", lambda: "* owner is now known as someone-else" in nc_lines)

# The registered nickname, kept through SASL.
good = reactor.server().connect("127.0.0.1", irc_port, "owner", password="correct-horse", sasl_login="owner")
wait("903 and the welcome as owner", lambda: any(k == "welcome" and t == "owner" for _, k, t, _ in seen))
assert any(k == "saslsuccess" for _, k, _, _ in seen), seen
assert any(k == "loggedin" and a[1] == "owner" for _, k, _, a in seen), seen
good.join("#lobby")
wait("nc sees owner join", lambda: "* owner joined (2 online)" in nc_lines)

# A wrong password: login_failed, then registration goes on as a guest.
bad = reactor.server().connect("127.0.0.1", irc_port, "guest", password="wrong-horse", sasl_login="owner")
wait("login_failed", lambda: any(k == "login_failed" for _, k, _, _ in seen))
wait("the guest's welcome", lambda: any(k == "welcome" and t == "guest" for _, k, t, _ in seen))
good.quit("done")
bad.quit("done")
print("ok: the irc library signed in with SASL PLAIN, kept its registered nickname, and failed with a wrong password")
