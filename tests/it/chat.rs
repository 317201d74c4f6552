//! The text protocol, line by line, over real sockets.

use crate::support::*;

#[test]
fn greeting_join_and_chat_reach_everyone_including_the_sender() {
    let s = Server::start(&[]);
    let mut alice = s.connect();
    alice.send("alice");
    alice.expect("* alice joined (1 online)");
    let mut bob = s.connect();
    bob.send("bob");
    bob.expect("* bob joined (2 online)");
    alice.expect("* bob joined (2 online)");
    alice.send("hello");
    alice.expect("[alice] hello");
    bob.expect("[alice] hello");
}

#[test]
fn who_lists_everyone_sorted_without_regard_to_case() {
    let s = Server::start(&[]);
    let _c = s.join("carol");
    let _b = s.join("Bob");
    let mut a = s.join("alice");
    a.send("/who");
    a.expect("* online (3): alice, Bob, carol");
}

#[test]
fn private_message_reaches_only_target_and_sender() {
    let s = Server::start(&[]);
    let mut alice = s.join("alice");
    let mut bob = s.join("bob");
    let mut carol = s.join("carol");
    alice.skip_until("* carol joined");
    bob.skip_until("* carol joined");
    alice.send("/msg BOB hi there");
    alice.expect("[alice -> bob] hi there");
    bob.expect("[alice -> bob] hi there");
    assert_eq!(carol.sync(), Vec::<String>::new(), "carol must not see the private message");
    alice.send("/msg alice note to self");
    alice.expect("[alice -> alice] note to self");
    assert!(alice.sync().is_empty(), "a message to oneself arrives once");
}

#[test]
fn nick_change_is_announced_and_frees_the_old_name() {
    let s = Server::start(&[]);
    let mut alice = s.join("alice");
    let mut bob = s.join("bob");
    alice.skip_until("* bob joined");
    alice.send("/nick ally");
    alice.expect("* alice is now known as ally");
    bob.expect("* alice is now known as ally");
    alice.send("hi");
    bob.expect("[ally] hi");
    let mut newcomer = s.connect();
    newcomer.send("alice");
    newcomer.expect("* alice joined (3 online)");
    bob.skip_until("* alice joined (3 online)");
    bob.send("/nick ALLY");
    bob.expect("! nick-taken: 'ALLY' is already in use; choose another");
    alice.skip_until("* alice joined");
    alice.send("/nick Ally");
    alice.expect("* ally is now known as Ally");
    alice.send("/nick Ally");
    assert!(alice.sync().is_empty(), "keeping one's own nickname changes nothing");
}

#[test]
fn help_lists_the_commands() {
    let s = Server::start(&[]);
    let mut a = s.join("alice");
    a.send("/help");
    let lines = a.sync();
    assert!(lines.len() >= 6, "{lines:?}");
    assert!(lines.iter().all(|l| l.starts_with("* ")), "{lines:?}");
    for cmd in ["/who", "/msg NICK TEXT", "/nick NAME", "/help", "/bye", "/ping", "//TEXT"] {
        assert!(lines.iter().any(|l| l.contains(cmd)), "{cmd} missing from {lines:?}");
    }
}

#[test]
fn double_slash_sends_a_literal_slash() {
    let s = Server::start(&[]);
    let mut a = s.join("alice");
    a.send("//x marks the spot");
    a.expect("[alice] /x marks the spot");
}

#[test]
fn bye_and_quit_close_and_announce_the_leave() {
    for cmd in ["/bye", "/quit", "/BYE"] {
        let s = Server::start(&[]);
        let mut stay = s.join("stay");
        let mut ally = s.join("ally");
        stay.skip_until("* ally joined");
        ally.send(cmd);
        ally.expect("* bye");
        ally.expect_closed();
        stay.expect("* ally left (1 online)");
    }
}

#[test]
fn abrupt_disconnect_announces_the_leave() {
    let s = Server::start(&[]);
    let mut stay = s.join("stay");
    let gone = s.join("gone");
    stay.skip_until("* gone joined");
    drop(gone);
    stay.expect("* gone left (1 online)");
    stay.send("/who");
    stay.expect("* online (1): stay");
}

#[test]
fn nickname_errors_keep_waiting_for_a_nickname() {
    let s = Server::start(&[]);
    let _taken = s.join("Alice");
    let mut c = s.connect();
    c.send("aLiCe");
    c.expect("! nick-taken: 'aLiCe' is already in use; choose another");
    c.send("al ice");
    c.expect("! nick-invalid: ' ' is not allowed in a nickname; use letters, digits, '_', '-' and '.'");
    c.send(&"x".repeat(25));
    c.expect("! nick-invalid: a nickname has at most 24 characters");
    c.send("/nick");
    c.expect("! bad-args: usage: /nick NAME");
    c.send("hello!");
    assert!(c.line().starts_with("! nick-invalid: '!' is not allowed"));
    c.send("  민수_2  ");
    c.expect("* 민수_2 joined (2 online)");
    c.send("/who");
    c.expect("* online (2): Alice, 민수_2");
}

#[test]
fn chat_commands_before_joining_say_not_joined() {
    let s = Server::start(&[]);
    let _bob = s.join("bob");
    let mut c = s.connect();
    c.send("/msg bob hi");
    c.expect("! not-joined: choose a nickname first");
    c.send("/who");
    c.expect("* online (1): bob");
    c.send("/bye");
    c.expect("* bye");
    c.expect_closed();
}

#[test]
fn empty_and_blank_lines_are_ignored() {
    let s = Server::start(&[]);
    let mut a = s.connect();
    a.send_raw(b"\n\r\n   \n\t\n");
    a.send("alice");
    a.expect("* alice joined (1 online)");
    a.send_raw(b"\n  \r\n\t\n");
    assert!(a.sync().is_empty());
}

#[test]
fn control_characters_are_stripped_from_relayed_text() {
    let s = Server::start(&[]);
    let mut a = s.join("alice");
    a.send_raw(b"\x1b[31mred\x07\tand\x7f tab\r\n");
    a.expect("[alice] [31mred\tand tab");
    a.send_raw(b"\x1b\x07\n");
    assert!(a.sync().is_empty(), "a line of only control characters relays nothing");
}

#[test]
fn invalid_utf8_is_refused_and_not_relayed() {
    let s = Server::start(&[]);
    let mut a = s.join("alice");
    let mut b = s.join("bob");
    a.skip_until("* bob joined");
    a.send_raw(b"caf\xe9\n");
    a.expect("! bad-utf8: the line is not valid UTF-8 and was not relayed");
    assert!(b.sync().is_empty());
    a.send("still here");
    b.expect("[alice] still here");
}

#[test]
fn unknown_command_and_unknown_nick_are_errors() {
    let s = Server::start(&[]);
    let mut a = s.join("alice");
    a.send("/frobnicate now");
    a.expect("! unknown-command: unknown command '/frobnicate'; /help lists the commands");
    a.send("/msg nobody hi");
    a.expect("! no-such-nick: nobody called 'nobody' is online");
    a.send("/msg bob");
    a.expect("! bad-args: usage: /msg NICK TEXT");
}

#[test]
fn ping_answers_with_its_text() {
    let s = Server::start(&[]);
    let mut a = s.connect();
    a.send("/ping");
    a.expect("* pong");
    a.send("/ping 42 x");
    a.expect("* pong 42 x");
}

#[test]
fn pipelined_lines_in_one_write_are_all_handled_in_order() {
    let s = Server::start(&[]);
    let mut a = s.connect();
    let mut batch = String::from("alice\r\n");
    for i in 0..500 {
        batch.push_str(&format!("line {i}\r\n"));
    }
    batch.push_str("/who\n");
    a.send_raw(batch.as_bytes());
    a.expect("* alice joined (1 online)");
    for i in 0..500 {
        a.expect(&format!("[alice] line {i}"));
    }
    a.expect("* online (1): alice");
}

#[test]
fn half_closed_client_still_gets_its_replies() {
    let s = Server::start(&[]);
    let mut watcher = s.join("watcher");
    let mut c = s.connect();
    c.send_raw(b"alice\nlast words\n/who\n");
    c.half_close();
    c.expect("* alice joined (2 online)");
    c.expect("[alice] last words");
    c.expect("* online (2): alice, watcher");
    c.expect_closed();
    watcher.expect("* alice joined (2 online)");
    watcher.expect("[alice] last words");
    watcher.expect("* alice left (1 online)");
}

#[test]
fn many_senders_lose_nothing_and_keep_order() {
    let s = Server::start(&[]);
    const CLIENTS: usize = 12;
    const EACH: usize = 150;
    let mut clients: Vec<Client> = (0..CLIENTS).map(|i| s.join(&format!("c{i}"))).collect();
    for (i, c) in clients.iter_mut().enumerate() {
        // Read up to the last join so the next lines are chat only.
        if i < CLIENTS - 1 {
            c.skip_until(&format!("* c{} joined", CLIENTS - 1));
        }
    }
    let senders: Vec<_> = clients
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut w = c.stream.try_clone().unwrap();
            std::thread::spawn(move || {
                use std::io::Write;
                for k in 0..EACH {
                    w.write_all(format!("m {k}\n").as_bytes()).unwrap();
                }
                i
            })
        })
        .collect();
    for t in senders {
        t.join().unwrap();
    }
    for c in clients.iter_mut() {
        let mut next = [0usize; CLIENTS];
        for _ in 0..CLIENTS * EACH {
            let l = c.line();
            let (who, k) = l.strip_prefix("[c").and_then(|r| r.split_once("] m ")).expect("chat line");
            let (who, k): (usize, usize) = (who.parse().unwrap(), k.parse().unwrap());
            assert_eq!(k, next[who], "order from c{who}");
            next[who] += 1;
        }
        assert!(next.iter().all(|&n| n == EACH));
    }
}
