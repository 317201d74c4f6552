# Mistakes a scripting user makes get one clear error line each.
. "$(dirname "$0")/lib.sh"
printf '/who\nbad nick\nok_nick\n/frob\n/msg ghost hi\n/bye\n' | client > "$WORK/user.out"
expect_lines "$WORK/user.out" <<'END'
* welcome to linechat - enter a nickname
* online (0):
! nick-invalid: ' ' is not allowed in a nickname; use letters, digits, '_', '-' and '.'
* ok_nick joined (1 online)
! unknown-command: unknown command '/frob'; /help lists the commands
! no-such-nick: nobody called 'ghost' is online
* bye
END
