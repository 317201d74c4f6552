# Bob waits in one nc, alice pipes a session through another.
. "$(dirname "$0")/lib.sh"
start_client bob
say bob bob
wait_for bob "* bob joined (1 online)"
printf 'alice\nhello bob\n/msg bob psst\n/who\n/bye\n' | client > "$WORK/alice.out"
wait_for bob "* alice left (1 online)"
say bob /quit
finish_client bob
wait
expect_lines "$WORK/alice.out" <<'END'
* welcome to linechat - enter a nickname
* alice joined (2 online)
[alice] hello bob
[alice -> bob] psst
* online (2): alice, bob
* bye
END
expect_lines "$WORK/bob.out" <<'END'
* welcome to linechat - enter a nickname
* bob joined (1 online)
* alice joined (2 online)
[alice] hello bob
[alice -> bob] psst
* alice left (1 online)
* bye
END
