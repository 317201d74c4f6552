# The shipped example handlers (examples/handlers/), driven with nc: the
# README's `/roll 2d6`, /time, /karma with its state kept between calls,
# and echo.lua standing in for the built-in echo.
. "$(dirname "$0")/lib.sh"
start_client alice
say alice alice
wait_for alice "* alice joined (1 online)"
start_client bob
say bob bob
wait_for bob "* bob joined (2 online)"
say alice "/roll 2d6"
# Dice are random: check the line's shape and its sum.
for _ in $(seq 1 500); do grep -q "^\* alice rolls 2d6: " "$WORK/bob.out" && break; sleep 0.01; done
line=$(grep "^\* alice rolls 2d6: " "$WORK/bob.out") || { echo "FAIL: bob saw no roll"; cat "$WORK/bob.out"; exit 1; }
[[ $line =~ ^\*\ alice\ rolls\ 2d6:\ ([1-6])\ \+\ ([1-6])\ =\ ([0-9]+)$ ]] || { echo "FAIL: roll line: $line"; exit 1; }
(( BASH_REMATCH[1] + BASH_REMATCH[2] == BASH_REMATCH[3] )) || { echo "FAIL: wrong sum: $line"; exit 1; }
say alice "/roll 0d6"
wait_for alice "! bad-args: usage: /roll NdS with N 1-100 and S 2-1000"
say bob "/karma alice++"
wait_for alice "* bob gives alice ++: alice now has karma 1"
say bob "/karma alice++"
wait_for alice "* bob gives alice ++: alice now has karma 2"
say alice "/karma alice++"
wait_for alice "! bad-args: no karma for yourself"
say alice "/karma bob--"
wait_for bob "* alice gives bob --: bob now has karma -1"
say alice "/karma alice"
wait_for bob "* alice has karma 2"
say bob "/time"
for _ in $(seq 1 500); do grep -q "^\* server time: " "$WORK/bob.out" && break; sleep 0.01; done
line=$(grep "^\* server time: " "$WORK/bob.out") || { echo "FAIL: no time"; cat "$WORK/bob.out"; exit 1; }
[[ $line =~ ^\*\ server\ time:\ ([0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9]{2}:[0-9]{2}:[0-9]{2})\ UTC\ \(unix\ ([0-9]+)\)$ ]] \
  || { echo "FAIL: time line: $line"; exit 1; }
[[ "$(date -u -d "@${BASH_REMATCH[2]}" '+%Y-%m-%d %H:%M:%S')" == "${BASH_REMATCH[1]}" ]] \
  || { echo "FAIL: the date does not match the Unix time: $line"; exit 1; }
# echo.lua, as the seed's echo: to every JSON client.
start_client jay
say jay '{"type":"ping","payload":"ready"}'
wait_for jay '{"type":"pong","payload":"ready"}'
printf '%s\n' '{"type":"echo","payload":{"msg":"hi","n":1}}' '{"type":"bye"}' | client > "$WORK/echoer.out"
wait_for jay '{"type":"echo","payload":{"msg":"hi","n":1}}'
say alice /bye
wait_for bob "* alice left (1 online)"
finish_client alice
say bob /bye
say jay '{"type":"bye"}'
for c in bob jay; do finish_client $c; done
wait
expect_lines "$WORK/echoer.out" <<'END'
* welcome to linechat - enter a nickname
{"type":"echo","payload":{"msg":"hi","n":1}}
{"type":"bye"}
END
grep -v -e "^\* alice rolls" -e "^\* server time" "$WORK/bob.out" > "$WORK/bob.fixed"
expect_lines "$WORK/bob.fixed" <<'END'
* welcome to linechat - enter a nickname
* bob joined (2 online)
* bob gives alice ++: alice now has karma 1
* bob gives alice ++: alice now has karma 2
* alice gives bob --: bob now has karma -1
* alice has karma 2
* alice left (1 online)
* bye
END
