# A JSON client and a text client in one room.
. "$(dirname "$0")/lib.sh"
start_client jason
say jason '{"type":"nick","payload":"jason"}'
wait_for jason '{"type":"join","payload":{"nick":"jason","online":1,"room":"#lobby"}}'
printf 'texter\nhi jason\n/bye\n' | client > "$WORK/texter.out"
wait_for jason '{"type":"leave","payload":{"nick":"texter","online":1,"room":"#lobby"}}'
say jason '{"type":"bye"}'
finish_client jason
wait
expect_lines "$WORK/texter.out" <<'END'
* welcome to linechat - enter a nickname
* texter joined (2 online)
[texter] hi jason
* bye
END
expect_lines "$WORK/jason.out" <<'END'
* welcome to linechat - enter a nickname
{"type":"join","payload":{"nick":"jason","online":1,"room":"#lobby"}}
{"type":"join","payload":{"nick":"texter","online":2,"room":"#lobby"}}
{"type":"chat","payload":{"from":"texter","text":"hi jason","room":"#lobby"}}
{"type":"leave","payload":{"nick":"texter","online":1,"room":"#lobby"}}
{"type":"bye"}
END
