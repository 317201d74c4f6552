# One user pipes a whole session into nc: join, chat, /who, /bye.
. "$(dirname "$0")/lib.sh"
printf 'alice\nhello world\n/who\n/bye\n' | client > "$WORK/alice.out"
expect_lines "$WORK/alice.out" <<'END'
* welcome to linechat - enter a nickname
* alice joined (1 online)
[alice] hello world
* online (1): alice
* bye
END
