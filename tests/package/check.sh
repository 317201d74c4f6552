#!/usr/bin/env bash
# The Debian package, checked on this machine (as root): installed with
# dpkg -i, linechat started from the installed files as the unit starts it
# (user linechat, the unit's ExecStart with its /etc/linechat/linechat.toml),
# a client served and history kept in /var/lib/linechat, a clean stop, then
# the package purged (user and state gone). No systemd runs here as PID 1,
# so the unit itself is read, not started.
set -euo pipefail
deb=${1:?usage: tests/package/check.sh target/debian/linechat_VERSION_ARCH.deb}
[ "$(id -u)" = 0 ] || { echo "check.sh installs a package: run it as root"; exit 1; }
if dpkg -s linechat >/dev/null 2>&1; then
  echo "a linechat package is already installed here; not touching it"
  exit 1
fi
work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  dpkg --purge linechat >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "package check FAILED: $*"; [ -f "$work/log" ] && cat "$work/log"; exit 1; }
# Waits (up to 20 s) until the command succeeds.
eventually() {
  for _ in $(seq 200); do "$@" && return 0; sleep 0.1; done
  fail "still not true: $*"
}

dpkg -i "$deb" >/dev/null
unit=/usr/lib/systemd/system/linechat.service
for f in /usr/bin/linechat /etc/linechat/linechat.toml "$unit" /usr/share/doc/linechat/README.md; do
  [ -e "$f" ] || fail "$f not installed"
done
dpkg-query -W -f='${Conffiles}' linechat | grep -q /etc/linechat/linechat.toml || fail "the settings are not a conffile"
getent passwd linechat >/dev/null || fail "no linechat user"
[ "$(stat -c %U:%a /var/lib/linechat)" = linechat:750 ] || fail "/var/lib/linechat is not linechat's"
grep -qx 'Type=notify' "$unit" || fail "the unit is not Type=notify"
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
[ "$exec_start" = "/usr/bin/linechat --config /etc/linechat/linechat.toml" ] || fail "ExecStart is $exec_start"
user=$(sed -n 's/^User=//p' "$unit")
/usr/bin/linechat --version | grep -q '^linechat ' || fail "--version"

# Started as the unit starts it; free ports instead of 7000/7080, which may
# be taken on a test machine.
cd /var/lib/linechat
# shellcheck disable=SC2086
setpriv --reuid "$user" --regid "$user" --init-groups $exec_start \
  --listen 127.0.0.1:0 --http-listen 127.0.0.1:0 2>"$work/log" &
pid=$!
eventually grep -q 'listening on ' "$work/log"
port=$(sed -n 's/.*\] listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$work/log" | head -1)
[ -n "$port" ] || fail "no chat port in the log"
[ "$(ps -o user= -p "$pid")" = linechat ] || fail "not running as linechat"
python3 - "$port" <<'PY' || fail "the client was not served"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
f = s.makefile("rwb")
assert f.readline() == b"* welcome to linechat - enter a nickname\n"
f.write(b"alice\nhello from the package\n/history\n"); f.flush()
assert f.readline().startswith(b"* alice joined (1 online)")
lines = [f.readline() for _ in range(3)]
assert any(b"hello from the package" in l for l in lines), lines
PY
[ "$(stat -c %U /var/lib/linechat/linechat.db)" = linechat ] || fail "no database in /var/lib/linechat"
kill -TERM "$pid"
wait "$pid" || fail "linechat did not stop cleanly"
pid=
dpkg --purge linechat >/dev/null
[ ! -e /usr/bin/linechat ] && [ ! -e /var/lib/linechat ] || fail "files left after purge"
getent passwd linechat >/dev/null && fail "the linechat user is left after purge"
echo "package check passed: $deb"
