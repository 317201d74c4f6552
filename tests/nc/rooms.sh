# The README's rooms example: alice and bob talk in #rust while carol stays
# in #lobby and sees nothing of it but their leaving.
. "$(dirname "$0")/lib.sh"
start_client carol
say carol carol
wait_for carol "* carol joined (1 online)"
start_client alice
say alice alice
wait_for alice "* alice joined (2 online)"
say alice "/join #rust"
wait_for alice "* alice joined #rust (1 online)"
start_client bob
say bob bob
wait_for bob "* bob joined (2 online)"
say bob "/join #rust"
wait_for alice "* bob joined #rust (2 online)"
say alice "ship it?"
wait_for bob "[alice] ship it?"
say bob "/topic Rust and more"
wait_for alice "* bob set the topic for #rust: Rust and more"
say carol "/who"
say carol "/rooms"
wait_for carol "* rooms (2): #lobby (1), #rust (2)"
say carol /bye
say bob /bye
wait_for alice "* bob left #rust (1 online)"
say alice /bye
for c in alice bob carol; do finish_client $c; done
wait
expect_lines "$WORK/carol.out" <<'END'
* welcome to linechat - enter a nickname
* carol joined (1 online)
* alice joined (2 online)
* alice left (1 online)
* bob joined (2 online)
* bob left (1 online)
* online (1): carol
* rooms (2): #lobby (1), #rust (2)
* bye
END
expect_lines "$WORK/alice.out" <<'END'
* welcome to linechat - enter a nickname
* alice joined (2 online)
* alice joined #rust (1 online)
* bob joined #rust (2 online)
[alice] ship it?
* bob set the topic for #rust: Rust and more
* bob left #rust (1 online)
* bye
END
expect_lines "$WORK/bob.out" <<'END'
* welcome to linechat - enter a nickname
* bob joined (2 online)
* bob joined #rust (2 online)
[alice] ship it?
* bob set the topic for #rust: Rust and more
* bye
END
