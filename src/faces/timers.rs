//! Every timer of the faces, tested in-process to the millisecond with the
//! socket-free loop (`net::sim`) and a clock the test moves: the nickname
//! and idle timeouts, the IRC registration deadline and ping cycle, and
//! the join rate's pause. (The end-to-end tests keep one smoke test per
//! timer, with seconds of slack.)

use std::time::Duration;

use super::{irc, lines, web, FacesConfig, Server, IRC, LINES};
use crate::chat::ChatConfig;
use crate::net::sim::Sim;
use crate::net::Rate;

const MS: Duration = Duration::from_millis(1);

fn sim(nick_timeout: Duration, idle_timeout: Option<Duration>, join_rate: Option<Rate>) -> Sim<Server> {
    let chat =
        ChatConfig { default_room: "#lobby".into(), max_rooms: 10, max_rooms_per_client: 5, join_rate };
    let faces = FacesConfig {
        server_name: "linechat".into(),
        lines: lines::LinesConfig {
            max_line: 4096,
            nick_timeout,
            idle_timeout,
            motd: None,
            lang: crate::words::Lang::EN,
        },
        irc: irc::IrcConfig {
            nick_timeout,
            idle_timeout,
            allow_plain_auth: false,
            motd: None,
            lang: crate::words::Lang::EN,
            ..irc::IrcConfig::default()
        },
        web: web::WebConfig::default(),
    };
    Sim::new(Server::new(chat, faces), 1 << 20)
}

#[test]
fn a_newcomer_has_exactly_the_nick_timeout_to_choose() {
    let mut s = sim(300 * MS, None, None);
    let late = s.connect(LINES);
    let early = s.connect(LINES);
    assert_eq!(s.lines(late), ["* welcome to linechat - enter a nickname"]);
    s.advance(299 * MS);
    s.line(early, "early");
    assert!(s.is_open(late));
    assert_eq!(s.lines(late), Vec::<String>::new());
    s.advance(MS);
    assert_eq!(s.lines(late), ["! nick-timeout: no nickname chosen within 0.3 s"]);
    assert!(!s.is_open(late));
    s.advance(10_000 * MS);
    assert!(s.is_open(early), "a joined client is never timed out without --idle-timeout");
}

#[test]
fn the_idle_timeout_counts_from_the_last_line() {
    let mut s = sim(60_000 * MS, Some(600 * MS), None);
    let quiet = s.connect(LINES);
    s.line(quiet, "quiet");
    s.advance(400 * MS);
    s.line(quiet, "/ping still here");
    s.lines(quiet);
    s.advance(599 * MS);
    assert!(s.is_open(quiet));
    assert_eq!(s.lines(quiet), Vec::<String>::new());
    s.advance(MS);
    assert_eq!(s.lines(quiet), ["! idle-timeout: nothing received for 0.6 s"]);
    assert!(!s.is_open(quiet));
}

#[test]
fn irc_clients_register_within_the_nick_timeout() {
    let mut s = sim(1000 * MS, None, None);
    let slow = s.connect(IRC);
    s.line(slow, "NICK slow");
    s.advance(999 * MS);
    assert!(s.is_open(slow));
    s.advance(MS);
    assert_eq!(s.lines(slow), ["ERROR :Closing Link: registration timed out"]);
    assert!(!s.is_open(slow));
}

#[test]
fn irc_clients_are_pinged_after_the_idle_time_and_closed_as_long_after() {
    let mut s = sim(60_000 * MS, Some(1000 * MS), None);
    let (alice, bob) = (s.connect(IRC), s.connect(IRC));
    for (id, nick) in [(alice, "alice"), (bob, "bob")] {
        s.line(id, &format!("NICK {nick}"));
        s.line(id, &format!("USER {nick} 0 * :{nick}"));
        s.line(id, "JOIN #lobby");
    }
    s.lines(alice);
    s.lines(bob);
    s.advance(999 * MS);
    assert_eq!(s.lines(bob), Vec::<String>::new());
    s.advance(MS);
    assert_eq!(s.lines(bob), ["PING :linechat"]);
    assert_eq!(s.lines(alice), ["PING :linechat"]);
    // alice answers half-way; bob stays silent.
    s.advance(500 * MS);
    s.line(alice, "PONG :linechat");
    s.advance(499 * MS);
    assert!(s.is_open(bob));
    s.advance(MS);
    assert_eq!(s.lines(bob), ["ERROR :Closing Link: ping timeout (2 seconds)"]);
    assert!(!s.is_open(bob));
    assert_eq!(s.lines(alice), [":bob!~bob@linechat QUIT :Ping timeout: 2 seconds"]);
    // alice's PONG at 1.5 s: her next PING comes a second after it.
    s.advance(499 * MS);
    assert_eq!(s.lines(alice), Vec::<String>::new());
    s.advance(MS);
    assert_eq!(s.lines(alice), ["PING :linechat"]);
    assert!(s.is_open(alice));
}

#[test]
fn the_join_rate_pauses_reading_until_the_bucket_holds_a_token() {
    let mut s = sim(60_000 * MS, None, Some(Rate { per_second: 2.0, burst: 2.0 }));
    let j = s.connect(LINES);
    s.line(j, "j");
    assert_eq!(s.paused_until(j), None, "the nickname took one token of two");
    s.line(j, "/join #a");
    assert_eq!(
        s.paused_until(j),
        Some(s.now() + 500 * MS),
        "the second took the last; one comes back in 0.5 s"
    );
    s.advance(500 * MS);
    assert_eq!(s.paused_until(j), None);
    s.line(j, "/join #b");
    s.line(j, "/join #c");
    // Two joins read at once on one token: one is owed, so reading waits
    // until a whole token is back, a second later.
    assert_eq!(s.paused_until(j), Some(s.now() + 1000 * MS));
    assert!(s.lines(j).iter().any(|l| l == "* j joined #c (1 online)"), "lines already read are all handled");
}
