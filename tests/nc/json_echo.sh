# The original echo client: JSON echo packets, broadcast to every JSON client.
. "$(dirname "$0")/lib.sh"
start_client listener
say listener '{"type":"ping","payload":"ready"}'
wait_for listener '{"type":"pong","payload":"ready"}'
printf '%s\n' '{"type":"echo","payload":{"msg":"hi","n":1}}' '{"type":"bye"}' | client > "$WORK/echoer.out"
wait_for listener '{"type":"echo","payload":{"msg":"hi","n":1}}'
say listener '{"type":"bye"}'
finish_client listener
wait
expect_lines "$WORK/echoer.out" <<'END'
* welcome to linechat - enter a nickname
{"type":"echo","payload":{"msg":"hi","n":1}}
{"type":"bye"}
END
expect_lines "$WORK/listener.out" <<'END'
* welcome to linechat - enter a nickname
{"type":"pong","payload":"ready"}
{"type":"echo","payload":{"msg":"hi","n":1}}
{"type":"bye"}
END
