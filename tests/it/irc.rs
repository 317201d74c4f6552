//! The IRC face over real sockets: registration, every command, and
//! messages crossing between IRC, nc-style text, JSON and WebSocket users.

use crate::support::*;
use serde_json::json;

/// Registers by hand and returns the welcome burst (through 376).
fn register_raw(c: &mut Client, nick: &str) -> Vec<String> {
    c.send(&format!("NICK {nick}"));
    c.send(&format!("USER {nick} 0 * :Real Name"));
    let mut burst = Vec::new();
    loop {
        let l = c.irc_line();
        let end = l.contains(" 376 ");
        burst.push(l);
        if end {
            return burst;
        }
    }
}

#[test]
fn registration_sends_the_welcome_burst_in_order() {
    let s = Server::start_irc(&[]);
    let mut c = Client::connect(s.irc_addr());
    c.send("PASS ignored");
    let burst = register_raw(&mut c, "bob");
    let codes: Vec<&str> = burst.iter().map(|l| l.split(' ').nth(1).unwrap()).collect();
    assert_eq!(
        codes,
        ["001", "002", "003", "004", "005", "251", "254", "255", "265", "266", "375", "372", "372", "376"]
    );
    assert_eq!(burst[0], ":linechat 001 bob :Welcome to linechat, bob!bob@linechat");
    assert!(
        burst[3].starts_with(":linechat 004 bob linechat linechat-") && burst[3].ends_with(" Bi biklmnostvR")
    );
    for token in [
        "CHANTYPES=#",
        "NICKLEN=24",
        "CASEMAPPING=ascii",
        "UTF8ONLY",
        "NETWORK=linechat",
        "CHANLIMIT=#:20",
        "PREFIX=(ov)@+",
        "CHANMODES=b,k,l,imnstR",
    ] {
        assert!(burst[4].contains(&format!(" {token} ")), "{token} missing from {}", burst[4]);
    }
    assert!(burst[4].ends_with(":are supported by this server"));
    assert_eq!(burst[5], ":linechat 251 bob :There are 1 users and 0 invisible on 1 servers");
    // An IRC client starts in no room.
    c.send("WHOIS bob");
    assert_eq!(c.irc_line(), ":linechat 311 bob bob ~bob linechat * :Real Name");
}

#[test]
fn user_before_nick_and_server_name_option() {
    let s = Server::start_irc(&["--server-name", "chat.example.org"]);
    let mut c = Client::connect(s.irc_addr());
    c.send("USER x 0 * :X");
    c.send("NICK carol");
    assert_eq!(
        c.irc_line(),
        ":chat.example.org 001 carol :Welcome to chat.example.org, carol!carol@chat.example.org"
    );
}

#[test]
fn cap_negotiation_suspends_registration_until_cap_end() {
    let s = Server::start_irc(&[]);
    let mut c = Client::connect(s.irc_addr());
    c.send("CAP LS 302");
    c.send("NICK bob");
    c.send("USER bob 0 * :Bob");
    assert_eq!(
        c.irc_line(),
        ":linechat CAP * LS :account-notify account-tag away-notify batch cap-notify draft/account-registration draft/chathistory draft/languages=2,en,ko draft/message-redaction draft/read-marker echo-message extended-join extended-monitor invite-notify labeled-response message-tags multi-prefix sasl=PLAIN,EXTERNAL server-time setname userhost-in-names"
    );
    c.send("CAP REQ :echo-message no-such-cap");
    assert_eq!(c.irc_line(), ":linechat CAP * NAK :echo-message no-such-cap");
    c.send("CAP REQ :echo-message");
    assert_eq!(c.irc_line(), ":linechat CAP * ACK :echo-message");
    c.send("CAP LIST");
    assert_eq!(c.irc_line(), ":linechat CAP * LIST :echo-message");
    c.send("CAP FROB");
    assert_eq!(c.irc_line(), ":linechat 410 * FROB :Invalid CAP command");
    c.send("CAP END");
    assert!(c.irc_line().starts_with(":linechat 001 bob "));
    c.irc_skip_until(" 376 ");
    c.send("CAP END");
    assert_eq!(c.irc_sync(), Vec::<String>::new(), "CAP END after registration is ignored");
}

#[test]
fn nick_errors_use_linechat_rules_and_let_the_client_retry() {
    let s = Server::start_irc(&[]);
    let _alice = s.join("alice");
    let mut c = Client::connect(s.irc_addr());
    c.send("NICK");
    assert_eq!(c.irc_line(), ":linechat 431 * :No nickname given");
    c.send("NICK bad[nick]");
    assert!(c.irc_line().starts_with(":linechat 432 * bad[nick] :Erroneous nickname"));
    c.send("NICK ALICE");
    assert_eq!(c.irc_line(), ":linechat 433 * ALICE :Nickname is already in use");
    c.send("USER x 0 * :X");
    c.send("NICK 민수");
    assert_eq!(c.irc_line(), ":linechat 001 민수 :Welcome to linechat, 민수!민수@linechat");
}

#[test]
fn commands_before_registration_unknown_and_short_are_refused() {
    let s = Server::start_irc(&[]);
    let mut c = Client::connect(s.irc_addr());
    c.send("JOIN #lobby");
    assert_eq!(c.irc_line(), ":linechat 451 * :You have not registered");
    c.send("FROB");
    assert_eq!(c.irc_line(), ":linechat 451 * :You have not registered");
    c.send("PING early");
    assert_eq!(c.irc_line(), ":linechat PONG linechat :early");
    register_raw(&mut c, "bob");
    c.send("FROB x");
    assert_eq!(c.irc_line(), ":linechat 421 bob FROB :Unknown command");
    c.send("JOIN");
    assert_eq!(c.irc_line(), ":linechat 461 bob JOIN :Not enough parameters");
    c.send("USER a b c d");
    assert_eq!(c.irc_line(), ":linechat 462 bob :You may not reregister");
    c.send("PRIVMSG");
    assert_eq!(c.irc_line(), ":linechat 411 bob :No recipient given (PRIVMSG)");
    c.send("PRIVMSG #lobby");
    assert_eq!(c.irc_line(), ":linechat 412 bob :No text to send");
}

#[test]
fn registration_that_never_completes_is_closed() {
    let s = Server::start_irc(&["--nick-timeout", "300ms"]);
    let mut c = Client::connect(s.irc_addr());
    c.send("NICK slow");
    assert_eq!(c.irc_line(), "ERROR :Closing Link: registration timed out");
    c.expect_closed();
}

#[test]
fn join_names_topic_and_chat_cross_faces() {
    let s = Server::start_irc(&[]);
    let mut alice = s.join("alice");
    let mut jay = s.join_json("jay");
    alice.expect("* jay joined (2 online)");
    let mut bob = s.irc_join("bob");
    bob.send("JOIN #lobby");
    assert_eq!(bob.irc_line(), ":bob!~bob@linechat JOIN #lobby");
    assert_eq!(bob.irc_line(), ":linechat 353 bob = #lobby :alice bob jay");
    assert_eq!(bob.irc_line(), ":linechat 366 bob #lobby :End of /NAMES list");
    alice.expect("* bob joined (3 online)");
    assert_eq!(jay.json(), json!({"type":"join","payload":{"nick":"bob","online":3,"room":"#lobby"}}));
    // nc -> IRC and JSON
    alice.send("hi bob");
    alice.expect("[alice] hi bob");
    assert_eq!(bob.irc_line(), ":alice!alice@linechat PRIVMSG #lobby :hi bob");
    // IRC -> nc and JSON, not echoed to the IRC sender
    bob.send("PRIVMSG #lobby :hello everyone");
    alice.expect("[bob] hello everyone");
    assert_eq!(jay.json()["payload"], json!({"from":"alice","text":"hi bob","room":"#lobby"}));
    assert_eq!(
        jay.json(),
        json!({"type":"chat","payload":{"from":"bob","text":"hello everyone","room":"#lobby"}})
    );
    assert_eq!(bob.irc_sync(), Vec::<String>::new(), "no echo without echo-message");
    // JSON -> IRC
    jay.send_json(&json!({"type":"chat","payload":"beep"}));
    assert_eq!(bob.irc_line(), ":jay!jay@linechat PRIVMSG #lobby :beep");
    // A topic set on IRC reaches everyone; a new IRC joiner gets 332/333.
    bob.send("TOPIC #lobby :All welcome");
    assert_eq!(bob.irc_line(), ":bob!~bob@linechat TOPIC #lobby :All welcome");
    alice.skip_until("* bob set the topic for #lobby: All welcome");
    let mut cat = s.irc_join("cat");
    cat.send("JOIN #LOBBY,#rust");
    assert_eq!(cat.irc_line(), ":cat!~cat@linechat JOIN #lobby");
    assert_eq!(cat.irc_line(), ":linechat 332 cat #lobby :All welcome");
    assert!(cat.irc_line().starts_with(":linechat 333 cat #lobby bob "));
    assert_eq!(cat.irc_line(), ":linechat 353 cat = #lobby :alice bob cat jay");
    assert_eq!(cat.irc_line(), ":linechat 366 cat #lobby :End of /NAMES list");
    assert_eq!(cat.irc_line(), ":cat!~cat@linechat JOIN #rust");
    assert_eq!(cat.irc_line(), ":linechat 353 cat = #rust :@cat", "who creates a room is its operator");
    assert_eq!(cat.irc_line(), ":linechat 366 cat #rust :End of /NAMES list");
    assert_eq!(bob.irc_line(), ":cat!~cat@linechat JOIN #lobby");
    // nc in #rust: a topic from a text user reaches IRC as TOPIC.
    alice.send("/join #rust");
    alice.skip_until("* alice joined #rust (2 online)");
    assert_eq!(bob.irc_line(), ":alice!alice@linechat PART #lobby");
    assert_eq!(cat.irc_line(), ":alice!alice@linechat PART #lobby");
    assert_eq!(cat.irc_line(), ":alice!alice@linechat JOIN #rust");
    alice.send("/topic rusty");
    assert_eq!(cat.irc_line(), ":alice!alice@linechat TOPIC #rust :rusty");
    cat.send("TOPIC #rust");
    assert_eq!(cat.irc_line(), ":linechat 332 cat #rust :rusty");
    assert!(cat.irc_line().starts_with(":linechat 333 cat #rust alice "));
    // A topic of 300 wide characters (found by the render fuzz target: 1 200
    // bytes in one TOPIC line) reaches IRC cut to the 512-byte line limit.
    alice.send(&format!("/topic {}", "\u{1F980}".repeat(300)));
    let topic = cat.irc_line();
    let prefix = ":alice!alice@linechat TOPIC #rust :";
    assert!(topic.starts_with(prefix) && topic.len() <= 510, "{} bytes", topic.len());
    assert_eq!(topic[prefix.len()..], "\u{1F980}".repeat((510 - prefix.len()) / 4));
    alice.send("/topic rusty");
    assert_eq!(cat.irc_line(), ":alice!alice@linechat TOPIC #rust :rusty");
    cat.send("TOPIC #lobby");
    assert_eq!(cat.irc_line(), ":linechat 332 cat #lobby :All welcome");
    cat.irc_line();
    cat.send("TOPIC #nowhere");
    assert_eq!(cat.irc_line(), ":linechat 403 cat #nowhere :No such channel");
    bob.send("TOPIC #rust :mine");
    assert_eq!(bob.irc_line(), ":linechat 442 bob #rust :You're not on that channel");
    bob.send("JOIN #new");
    bob.irc_skip_until(" 366 ");
    bob.send("TOPIC #new");
    assert_eq!(bob.irc_line(), ":linechat 331 bob #new :No topic is set");
}

#[test]
fn actions_notices_and_private_messages_map_both_ways() {
    let s = Server::start_irc(&[]);
    let mut alice = s.join("alice");
    let mut jay = s.join_json("jay");
    alice.expect("* jay joined (2 online)");
    let mut bob = s.irc_join("bob");
    bob.send("JOIN #lobby");
    bob.irc_skip_until(" 366 ");
    alice.expect("* bob joined (3 online)");
    jay.json();
    // /me from nc
    alice.send("/me waves");
    alice.expect("* alice waves");
    assert_eq!(bob.irc_line(), ":alice!alice@linechat PRIVMSG #lobby :\x01ACTION waves\x01");
    assert_eq!(jay.json(), json!({"type":"me","payload":{"from":"alice","text":"waves","room":"#lobby"}}));
    // CTCP ACTION from IRC, with colour codes to strip
    bob.send("PRIVMSG #lobby :\x01ACTION \x0304dances\x03 \x02wildly\x01");
    alice.expect("* bob dances wildly");
    assert_eq!(
        jay.json(),
        json!({"type":"me","payload":{"from":"bob","text":"dances wildly","room":"#lobby"}})
    );
    // JSON me packet
    jay.send_json(&json!({"type":"me","payload":"beeps"}));
    assert_eq!(bob.irc_line(), ":jay!jay@linechat PRIVMSG #lobby :\x01ACTION beeps\x01");
    // NOTICE to the room: chat for the others, NOTICE for IRC users
    let mut cat = s.irc_join("cat");
    cat.send("JOIN #lobby");
    cat.irc_skip_until(" 366 ");
    bob.irc_line();
    bob.send("NOTICE #lobby :heads up");
    alice.skip_until("[bob] heads up");
    assert_eq!(cat.irc_line(), ":bob!~bob@linechat NOTICE #lobby :heads up");
    // Private messages both ways
    alice.send("/msg bob psst");
    alice.skip_until("[alice -> bob] psst");
    assert_eq!(bob.irc_line(), ":alice!alice@linechat PRIVMSG bob :psst");
    bob.send("PRIVMSG alice :back at you");
    alice.expect("[bob -> alice] back at you");
    bob.send("NOTICE ALICE :noted");
    alice.expect("[bob -> alice] noted");
    bob.send("PRIVMSG jay :\x01ACTION nods\x01");
    assert_eq!(
        jay.sync_json().last().unwrap(),
        &json!({"type":"me","payload":{"from":"bob","text":"nods","to":"jay"}})
    );
    bob.send("PRIVMSG nobody :hello?");
    assert_eq!(bob.irc_line(), ":linechat 401 bob nobody :No such nick/channel");
    bob.send("NOTICE nobody :hello?");
    bob.send("NOTICE #nowhere :hello?");
    bob.send("PRIVMSG #nowhere :hello?");
    assert_eq!(bob.irc_line(), ":linechat 403 bob #nowhere :No such channel");
    bob.send("PRIVMSG #rust :hello?");
    assert_eq!(bob.irc_line(), ":linechat 403 bob #rust :No such channel");
    alice.send("/join #rust");
    alice.skip_until("* alice joined #rust");
    bob.irc_line();
    bob.send("PRIVMSG #rust :let me in");
    assert_eq!(bob.irc_line(), ":linechat 404 bob #rust :Cannot send to channel");
    bob.send("PRIVMSG bob :to myself");
    assert_eq!(bob.irc_line(), ":bob!~bob@linechat PRIVMSG bob :to myself");
    assert_eq!(bob.irc_sync(), Vec::<String>::new());
    bob.send("PRIVMSG alice :\x01VERSION\x01");
    assert_eq!(alice.sync(), Vec::<String>::new(), "CTCP queries reach nobody");
}

#[test]
fn echo_message_returns_the_senders_lines() {
    let s = Server::start_irc(&[]);
    let mut alice = s.join("alice");
    let mut c = Client::connect(s.irc_addr());
    c.send("CAP LS 302");
    c.send("CAP REQ :echo-message");
    c.send("NICK bob");
    c.send("USER bob 0 * :Bob");
    c.send("CAP END");
    c.irc_skip_until(" 376 ");
    c.send("JOIN #lobby");
    c.irc_skip_until(" 366 ");
    alice.expect("* bob joined (2 online)");
    c.send("PRIVMSG #lobby :\x02echo\x02 me");
    assert_eq!(c.irc_line(), ":bob!~bob@linechat PRIVMSG #lobby :echo me");
    c.send("PRIVMSG alice :private");
    assert_eq!(c.irc_line(), ":bob!~bob@linechat PRIVMSG alice :private");
    alice.expect("[bob] echo me");
    alice.expect("[bob -> alice] private");
}

#[test]
fn part_and_quit_map_to_leaves_with_reasons_for_irc_only() {
    let s = Server::start_irc(&[]);
    let mut alice = s.join("alice");
    let mut bob = s.irc_join("bob");
    let mut cat = s.irc_join("cat");
    for c in [&mut bob, &mut cat] {
        c.send("JOIN #lobby,#rust");
        c.irc_skip_until(" #rust :End of /NAMES list");
    }
    alice.expect("* bob joined (2 online)");
    alice.expect("* cat joined (3 online)");
    for l in bob.irc_sync() {
        assert!(l.starts_with(":cat!~cat@linechat JOIN "), "{l}");
    }
    cat.send("PART #lobby :see you");
    assert_eq!(cat.irc_line(), ":cat!~cat@linechat PART #lobby :see you");
    assert_eq!(bob.irc_line(), ":cat!~cat@linechat PART #lobby :see you");
    alice.expect("* cat left (2 online)");
    cat.send("PART #lobby");
    assert_eq!(cat.irc_line(), ":linechat 442 cat #lobby :You're not on that channel");
    cat.send("PART #nowhere");
    assert_eq!(cat.irc_line(), ":linechat 403 cat #nowhere :No such channel");
    cat.send("JOIN #lobby");
    cat.irc_skip_until(" 366 ");
    bob.irc_line();
    alice.expect("* cat joined (3 online)");
    // QUIT: one QUIT line for bob though he shares two rooms with cat.
    cat.send("QUIT :gone fishing");
    assert_eq!(cat.irc_line(), "ERROR :Closing Link: cat (Quit: gone fishing)");
    cat.expect_closed();
    assert_eq!(bob.irc_line(), ":cat!~cat@linechat QUIT :Quit: gone fishing");
    assert_eq!(bob.irc_sync(), Vec::<String>::new());
    alice.expect("* cat left (2 online)");
    // A dropped nc connection is a QUIT for IRC users.
    drop(alice);
    assert_eq!(bob.irc_line(), ":alice!alice@linechat QUIT :Connection closed");
    // JOIN 0 leaves every room.
    bob.send("JOIN 0");
    let mut parts = vec![bob.irc_line(), bob.irc_line()];
    parts.sort();
    assert_eq!(parts, [":bob!~bob@linechat PART #lobby", ":bob!~bob@linechat PART #rust"]);
}

#[test]
fn nick_changes_reach_everyone_sharing_a_room_once() {
    let s = Server::start_irc(&[]);
    let mut alice = s.join("alice");
    let mut bob = s.irc_join("bob");
    bob.send("JOIN #lobby,#rust");
    bob.irc_skip_until(" #rust :End of /NAMES list");
    alice.expect("* bob joined (2 online)");
    let mut cat = s.irc_join("cat");
    cat.send("JOIN #lobby,#rust");
    cat.irc_skip_until(" #rust :End of /NAMES list");
    bob.irc_sync();
    alice.expect("* cat joined (3 online)");
    bob.send("NICK bobby");
    assert_eq!(bob.irc_line(), ":bob!~bob@linechat NICK :bobby");
    assert_eq!(cat.irc_line(), ":bob!~bob@linechat NICK :bobby");
    assert_eq!(cat.irc_sync(), Vec::<String>::new());
    alice.expect("* bob is now known as bobby");
    bob.send("NICK bobby");
    bob.send("NICK alice");
    assert_eq!(bob.irc_line(), ":linechat 433 bobby alice :Nickname is already in use");
    alice.send("/nick ally");
    alice.expect("* alice is now known as ally");
    assert_eq!(bob.irc_line(), ":alice!alice@linechat NICK :ally");
}

#[test]
fn queries_names_list_who_whois_mode_away_userhost_ison() {
    let s = Server::start_irc(&[]);
    let mut alice = s.join("alice");
    alice.send("/join #rust");
    alice.skip_until("* alice joined #rust");
    alice.send("/topic crabs");
    let mut bob = s.irc_join("bob");
    bob.send("JOIN #rust");
    bob.irc_skip_until(" 366 ");
    bob.send("NAMES #rust");
    assert_eq!(bob.irc_line(), ":linechat 353 bob = #rust :@alice bob");
    assert_eq!(bob.irc_line(), ":linechat 366 bob #rust :End of /NAMES list");
    bob.send("NAMES #none");
    assert_eq!(bob.irc_line(), ":linechat 366 bob #none :End of /NAMES list");
    bob.send("LIST");
    assert_eq!(bob.irc_line(), ":linechat 321 bob Channel :Users  Name");
    assert_eq!(bob.irc_line(), ":linechat 322 bob #lobby 0 :");
    assert_eq!(bob.irc_line(), ":linechat 322 bob #rust 2 :crabs");
    assert_eq!(bob.irc_line(), ":linechat 323 bob :End of /LIST");
    bob.send("LIST #rust");
    bob.irc_line();
    assert_eq!(bob.irc_line(), ":linechat 322 bob #rust 2 :crabs");
    bob.irc_line();
    bob.send("WHO #rust");
    assert_eq!(bob.irc_line(), ":linechat 352 bob #rust alice linechat linechat alice H@ :0 alice");
    assert_eq!(bob.irc_line(), ":linechat 352 bob #rust ~bob linechat linechat bob H :0 bob test");
    assert_eq!(bob.irc_line(), ":linechat 315 bob #rust :End of WHO list");
    bob.send("WHO AL*");
    assert_eq!(bob.irc_line(), ":linechat 352 bob * alice linechat linechat alice H :0 alice");
    assert_eq!(bob.irc_line(), ":linechat 315 bob AL* :End of WHO list");
    bob.send("WHOIS Alice");
    assert_eq!(bob.irc_line(), ":linechat 311 bob alice alice linechat * :alice");
    assert_eq!(bob.irc_line(), ":linechat 312 bob alice linechat :linechat");
    assert_eq!(bob.irc_line(), ":linechat 318 bob Alice :End of /WHOIS list");
    bob.send("WHOIS ghost");
    assert_eq!(bob.irc_line(), ":linechat 401 bob ghost :No such nick/channel");
    assert_eq!(bob.irc_line(), ":linechat 318 bob ghost :End of /WHOIS list");
    bob.send("MODE bob");
    assert_eq!(bob.irc_line(), ":linechat 221 bob +");
    bob.send("MODE bob +i");
    assert_eq!(bob.irc_line(), ":bob!~bob@linechat MODE bob :+i");
    bob.send("MODE bob");
    assert_eq!(bob.irc_line(), ":linechat 221 bob +i");
    bob.send("MODE bob -i");
    assert_eq!(bob.irc_line(), ":bob!~bob@linechat MODE bob :-i");
    bob.send("MODE alice +i");
    assert_eq!(bob.irc_line(), ":linechat 502 bob :Can't change mode for other users");
    bob.send("MODE #rust");
    assert_eq!(bob.irc_line(), ":linechat 324 bob #rust +n");
    assert!(bob.irc_line().starts_with(":linechat 329 bob #rust "));
    bob.send("MODE #rust b");
    assert_eq!(bob.irc_line(), ":linechat 368 bob #rust :End of channel ban list");
    bob.send("MODE #rust +o alice");
    assert_eq!(bob.irc_line(), ":linechat 482 bob #rust :You're not a channel operator");
    bob.send("MODE #nowhere");
    assert_eq!(bob.irc_line(), ":linechat 403 bob #nowhere :No such channel");
    let mut cat = s.irc_join("cat");
    cat.send("AWAY :lunch");
    assert_eq!(cat.irc_line(), ":linechat 306 cat :You have been marked as being away");
    bob.send("PRIVMSG cat :there?");
    assert_eq!(bob.irc_line(), ":linechat 301 bob cat :lunch");
    assert_eq!(cat.irc_line(), ":bob!~bob@linechat PRIVMSG cat :there?");
    bob.send("USERHOST cat alice ghost");
    assert_eq!(bob.irc_line(), ":linechat 302 bob :cat=-~cat@linechat alice=+alice@linechat");
    bob.send("WHO cat");
    assert_eq!(bob.irc_line(), ":linechat 352 bob * ~cat linechat linechat cat G :0 cat test");
    bob.irc_line();
    cat.send("AWAY");
    assert_eq!(cat.irc_line(), ":linechat 305 cat :You are no longer marked as being away");
    bob.send("ISON alice ghost CAT");
    assert_eq!(bob.irc_line(), ":linechat 303 bob :alice cat");
    bob.send("LUSERS");
    assert_eq!(bob.irc_line(), ":linechat 251 bob :There are 3 users and 0 invisible on 1 servers");
    bob.irc_skip_until(" 266 ");
    bob.send("MOTD");
    bob.irc_skip_until(" 376 ");
}

#[test]
fn pings_both_ways_and_silent_clients_are_closed() {
    // The smoke test of the ping cycle, with 3 s of slack for alice's
    // answers; its timing to the millisecond is tested in-process.
    let s = Server::start_irc(&["--idle-timeout", "3s"]);
    let mut alice = s.irc_join("alice");
    alice.send("JOIN #lobby");
    alice.irc_skip_until(" 366 ");
    // alice answers the server's pings (on her own thread) and stays.
    let watcher = std::thread::spawn(move || {
        let mut pings = 0;
        loop {
            let l = alice.irc_line();
            if l == "PING :linechat" {
                pings += 1;
                alice.send("PONG :linechat");
            } else if l.starts_with(":bob!") && l.contains(" QUIT ") {
                // alice is handed back, still connected: dropping her here
                // would close her before the log is checked.
                return (pings, l, alice);
            }
        }
    });
    let mut bob = s.irc_join("bob");
    bob.send("JOIN #lobby");
    bob.irc_skip_until(" 366 ");
    // bob says nothing more: pinged once, then closed.
    assert_eq!(bob.irc_line(), "PING :linechat");
    let error = bob.irc_line();
    assert!(error.starts_with("ERROR :Closing Link: ping timeout ("), "{error}");
    bob.expect_closed();
    let (pings, quit, mut alice) = watcher.join().unwrap();
    assert!(quit.starts_with(":bob!~bob@linechat QUIT :Ping timeout: "), "{quit}");
    assert!(pings >= 1, "alice was pinged and kept her place");
    assert!(s.log_lines().iter().all(|l| !l.contains("alice left")), "alice stayed: {:?}", s.log_lines());
    let before = alice.irc_sync();
    assert!(before.iter().all(|l| !l.starts_with("ERROR")), "alice was never closed: {before:?}");
}

#[test]
fn long_lines_bad_utf8_and_tags_are_handled_without_closing() {
    let s = Server::start_irc(&[]);
    let mut alice = s.join("alice");
    let mut bob = s.irc_join("bob");
    bob.send("JOIN #lobby");
    bob.irc_skip_until(" 366 ");
    alice.expect("* bob joined (2 online)");
    bob.send(&format!("PRIVMSG #lobby :{}", "x".repeat(600)));
    assert_eq!(bob.irc_line(), ":linechat 417 bob :Input line was too long");
    bob.send(&format!("PRIVMSG #lobby :{}", "y".repeat(10_000)));
    assert_eq!(bob.irc_line(), ":linechat 417 bob :Input line was too long");
    bob.send_raw(b"PRIVMSG #lobby :caf\xe9\r\n");
    assert_eq!(bob.irc_line(), "FAIL PRIVMSG INVALID_UTF8 :Message rejected: it is not valid UTF-8");
    // A command of invalid bytes (found by the hub fuzz target: its name,
    // made readable, tripled the reply past 512 bytes) is named `*`.
    let mut garbage = b"nnn\xab".to_vec();
    garbage.extend(std::iter::repeat_n(0xffu8, 200));
    garbage.extend_from_slice(b" x\r\n");
    bob.send_raw(&garbage);
    assert_eq!(bob.irc_line(), "FAIL * INVALID_UTF8 :Message rejected: it is not valid UTF-8");
    bob.send(&format!("@{} PRIVMSG #lobby :tagged", "+t=".repeat(1000)));
    alice.expect("[bob] tagged");
    // A long nc line reaches IRC split into lines of at most 512 bytes.
    let long: String = "한".repeat(1000);
    alice.send(&long);
    alice.expect(&format!("[alice] {long}"));
    let mut got = String::new();
    while got.len() < long.len() {
        let l = bob.irc_line();
        assert!(l.len() + 2 <= 512, "{} bytes", l.len() + 2);
        got.push_str(l.strip_prefix(":alice!alice@linechat PRIVMSG #lobby :").unwrap());
    }
    assert_eq!(got, long);
}

#[test]
fn irc_users_count_in_metrics_and_shutdown_says_error() {
    let mut s = Server::start_web(&["--irc-listen", "127.0.0.1:0"]);
    let mut bob = s.irc_join("bob");
    let mut c = Client::connect(s.web_addr());
    c.send_raw(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut body = String::new();
    std::io::Read::read_to_string(&mut c.stream, &mut body).unwrap();
    assert!(body.contains("linechat_connections{kind=\"irc\"} 1\n"), "{body}");
    s.signal(libc::SIGTERM);
    assert_eq!(bob.irc_line(), "ERROR :Closing Link: the server is shutting down");
    bob.expect_closed();
    assert!(s.wait_exit().success());
}

#[test]
fn a_full_server_refuses_irc_clients_with_an_error_line() {
    let s = Server::start_irc(&["--max-clients", "1"]);
    let _alice = s.join("alice");
    let mut c = Client::connect(s.irc_addr());
    assert_eq!(c.irc_line(), "ERROR :Closing link: the server is full; try again later");
    c.expect_closed();
}

#[test]
fn an_irc_message_reaches_irc_users_as_one_privmsg_cut_to_fit() {
    let s = Server::start_irc(&[]);
    let long_nick = "b".repeat(24);
    let mut sender = s.irc_join(&long_nick);
    let mut reader = s.irc_join("reader");
    let mut nc = s.join("ncuser");
    for c in [&mut sender, &mut reader] {
        c.send("JOIN #lobby");
        c.irc_skip_until(" 366 ");
    }
    nc.skip_until(&format!("* {long_nick} joined"));
    nc.skip_until("* reader joined");
    // 493 bytes of text fill the sender's line; with the sender's prefix
    // the relayed line would pass 512 bytes.
    let text = format!("{}한", "x".repeat(490));
    sender.send(&format!("PRIVMSG #lobby :{text}"));
    sender.send(&format!("PRIVMSG reader :{text}"));
    // The mask shows USER's name as `~` and its first nine characters.
    let prefix = format!(":{long_nick}!~{}@linechat PRIVMSG ", &long_nick[..9]);
    for target in ["#lobby", "reader"] {
        let line = reader.irc_line();
        let body = line.strip_prefix(&format!("{prefix}{target} :")).unwrap_or_else(|| panic!("{line}"));
        assert!(line.len() + 2 <= 512, "{} bytes", line.len() + 2);
        assert!(text.starts_with(body) && body.len() < text.len(), "cut at a character boundary: {body}");
    }
    let synced = reader.irc_sync();
    assert!(synced.is_empty(), "one PRIVMSG each, nothing more: {synced:?}");
    // Other faces get the whole line.
    nc.expect(&format!("[{long_nick}] {text}"));
}
