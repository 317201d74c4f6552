//! Room history over real sockets: text `/history`, the JSON `history`
//! packet and `ids` capability, IRC CHATHISTORY with server-time, msgid,
//! batch and labeled-response, join replay on every face, retention, and
//! `--db`: a restart (and `kill -9`) keeps every line anyone received.

use crate::support::*;
use serde_json::{json, Value};

/// `* YYYY-MM-DD HH:MM:SS rest` -> `rest`, checking the time's shape.
fn untimed(line: &str) -> String {
    let rest = line.strip_prefix("* ").unwrap_or_else(|| panic!("not a history item: {line}"));
    let (date, rest) = rest.split_at(19);
    let b = date.as_bytes();
    assert!(
        b[4] == b'-' && b[7] == b'-' && b[10] == b' ' && b[13] == b':' && b[16] == b':',
        "time in {line}"
    );
    assert!(date.bytes().filter(u8::is_ascii_digit).count() == 14, "time in {line}");
    rest.strip_prefix(' ').unwrap().to_string()
}

/// The items of a text `/history` block (read up to its end line).
fn history_block(c: &mut Client, room: &str) -> (String, Vec<String>) {
    let head = c.skip_until(&format!("* history for {room} ("));
    let mut items = Vec::new();
    loop {
        let l = c.line();
        if l == format!("* end of history for {room}") {
            return (head, items);
        }
        items.push(untimed(&l));
    }
}

#[test]
fn text_history_shows_each_line_as_it_was_seen() {
    let s = Server::start(&[]);
    let mut alice = s.join("alice");
    let mut bob = s.join("bob");
    alice.send("/join #rust");
    bob.send("/join #rust");
    alice.send("ship it?");
    alice.sync();
    bob.send("/me waves");
    bob.send("/topic Rust and more");
    bob.send("/history");
    let (head, items) = history_block(&mut bob, "#rust");
    assert_eq!(head, "* history for #rust (3 lines):");
    assert_eq!(items, ["[alice] ship it?", "* bob waves", "* bob set the topic for #rust: Rust and more"]);

    // Another room, a count, and a room nobody spoke in.
    let mut carol = s.join("carol");
    carol.send("in the lobby");
    carol.sync();
    alice.send("/history #lobby 1");
    let (head, items) = history_block(&mut alice, "#lobby");
    assert_eq!(
        (head.as_str(), items.as_slice()),
        ("* history for #lobby (1 line):", &["[carol] in the lobby".to_string()][..])
    );
    alice.send("/history #empty");
    let (head, items) = history_block(&mut alice, "#empty");
    assert_eq!(head, "* history for #empty (0 lines):");
    assert!(items.is_empty());
    alice.send("/history #rust 0");
    assert_eq!(alice.line(), "! bad-args: usage: /history [#ROOM] [N]");
    alice.send("/history nope");
    assert_eq!(alice.line(), "! bad-args: usage: /history [#ROOM] [N]");
    // Joins, leaves and renames are not stored.
    alice.send("/nick ally");
    alice.send("/history");
    let (_, items) = history_block(&mut alice, "#rust");
    assert_eq!(items.len(), 3);
}

#[test]
fn history_is_cut_to_its_bounds_and_can_be_off() {
    let s = Server::start(&["--history", "5", "--history-page", "3"]);
    let mut alice = s.join("alice");
    for i in 0..8 {
        alice.send(&format!("line {i}"));
    }
    alice.send("/history 50");
    let (head, items) = history_block(&mut alice, "#lobby");
    assert_eq!(head, "* history for #lobby (3 lines):", "cut to --history-page");
    assert_eq!(items, ["[alice] line 5", "[alice] line 6", "[alice] line 7"]);

    let mut j = s.join_json("jay");
    let first_id = |v: Value| v["payload"]["items"][0]["id"].as_str().unwrap().to_string();
    j.send_json(&json!({"type": "history", "payload": {"limit": 10}}));
    let line5 = first_id(j.json());
    j.send_json(&json!({"type": "history", "payload": {"room": "#lobby", "before": line5}}));
    let page = j.json();
    assert_eq!(page["payload"]["items"].as_array().unwrap().len(), 2, "lines 3 and 4: kept");
    j.send_json(&json!({"type": "history", "payload": {"room": "#lobby", "before": first_id(page)}}));
    let page = j.json();
    assert_eq!(page["payload"]["items"], json!([]));
    assert_eq!(page["payload"]["complete"], false, "older lines were dropped (--history 5)");

    let off = Server::start(&["--history", "0"]);
    let mut bob = off.join("bob");
    bob.send("hello");
    bob.send("/history");
    assert_eq!(bob.line(), "[bob] hello");
    assert_eq!(bob.line(), "! history-off: this server keeps no history (--history 0)");
    let mut j = off.join_json("jay");
    j.send_json(&json!({"type": "caps", "payload": ["ids"]}));
    assert_eq!(j.json(), json!({"type": "caps", "payload": ["ids"]}));
    bob.send("no ids here");
    let v = j.json();
    assert_eq!(
        v,
        json!({"type": "chat", "payload": {"from": "bob", "text": "no ids here", "room": "#lobby"}})
    );
}

#[test]
fn json_history_pages_by_id_and_live_lines_carry_ids_once_asked() {
    let s = Server::start(&[]);
    let mut plain = s.join_json("plain");
    let mut ids = s.join_json("ids");
    ids.send_json(&json!({"type": "caps", "payload": ["ids", "no-such-cap"]}));
    assert_eq!(ids.json(), json!({"type": "caps", "payload": ["ids"]}));
    let mut t = s.join("talker");
    for i in 0..5 {
        t.send(&format!("msg {i}"));
    }
    t.send("/me dances");
    t.send("/topic Lobby talk");
    let mut live = Vec::new();
    while live.len() < 7 {
        let v = ids.json();
        if v["type"] != "join" {
            live.push(v);
        }
    }
    // Room lines without the capability: exactly as before.
    let v = loop {
        let v = plain.json();
        if v["type"] == "chat" {
            break v;
        }
    };
    assert_eq!(v, json!({"type": "chat", "payload": {"from": "talker", "text": "msg 0", "room": "#lobby"}}));
    let id_of = |v: &Value| v["payload"]["id"].as_str().unwrap().to_string();
    for v in &live {
        assert!(v["payload"]["time"].as_str().unwrap().ends_with('Z'), "{v}");
    }
    let all: Vec<String> = live.iter().map(id_of).collect();
    assert_eq!(all.iter().collect::<std::collections::HashSet<_>>().len(), 7, "ids are unique: {live:?}");

    ids.send_json(&json!({"type": "history", "payload": {"room": "#lobby", "limit": 3}}));
    let page = ids.json();
    assert_eq!(page["type"], "history");
    assert_eq!(page["payload"]["room"], "#lobby");
    assert_eq!(page["payload"]["complete"], true);
    let items = page["payload"]["items"].as_array().unwrap();
    let kinds: Vec<&str> = items.iter().map(|i| i["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["chat", "me", "topic"]);
    assert_eq!(items[1]["text"], "dances");
    assert_eq!(items[2]["text"], "Lobby talk");
    assert_eq!(items[0]["id"].as_str().unwrap(), all[4], "the id live events carried");
    assert_eq!(items[0]["time"], live[4]["payload"]["time"]);

    // before / after an id.
    ids.send_json(&json!({"type": "history", "payload": {"room": "#lobby", "before": all[2], "limit": 10}}));
    let texts = |v: Value| -> Vec<String> {
        v["payload"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["text"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(texts(ids.json()), ["msg 0", "msg 1"]);
    ids.send_json(&json!({"type": "history", "payload": {"room": "#lobby", "after": all[2], "limit": 2}}));
    assert_eq!(texts(ids.json()), ["msg 3", "msg 4"]);
    // An id from another room, or never issued, is refused.
    t.send("/join #other");
    t.send("elsewhere");
    t.send("/history");
    let (_, _) = history_block(&mut t, "#other");
    let mut o = s.join_json("o");
    o.send_json(&json!({"type": "caps", "payload": ["ids"]}));
    o.sync_json();
    o.send_json(&json!({"type": "history", "payload": {"room": "#other"}}));
    let page = o.json();
    let other_id = page["payload"]["items"][0]["id"].as_str().unwrap_or_else(|| panic!("{page}")).to_string();
    ids.sync_json();
    ids.send_json(&json!({"type": "history", "payload": {"room": "#lobby", "after": other_id}}));
    assert_eq!(ids.json()["payload"]["code"], "bad-args");
    ids.send_json(&json!({"type": "history", "payload": {"room": "#lobby", "after": "nonsense"}}));
    assert_eq!(
        ids.json(),
        json!({"type":"error","payload":{"code":"bad-args","message":"'nonsense' is not a line id"}})
    );
}

#[test]
fn join_replay_on_every_face_but_irc_clients_that_page_themselves() {
    let s = Server::start_irc(&["--join-replay", "2"]);
    let mut t = s.join("first");
    // Nothing was said yet: no empty block.
    assert_eq!(t.sync(), Vec::<String>::new());
    for i in 0..3 {
        t.send(&format!("l{i}"));
    }
    t.sync();
    let mut late = s.connect();
    late.send("late");
    late.skip_until("* late joined (");
    let (head, items) = history_block(&mut late, "#lobby");
    assert_eq!(head, "* history for #lobby (2 lines):");
    assert_eq!(items, ["[first] l1", "[first] l2"]);

    let mut j = s.connect();
    j.send_json(&json!({"type": "nick", "payload": "jay"}));
    let v = loop {
        let v = j.json();
        if v["type"] == "history" {
            break v;
        }
    };
    let texts: Vec<&str> =
        v["payload"]["items"].as_array().unwrap().iter().map(|i| i["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["l1", "l2"]);

    let mut plain = s.irc_join("plainirc");
    plain.send("JOIN #lobby");
    plain.irc_skip_until(" 366 ");
    assert_eq!(
        plain.irc_sync(),
        [":first!first@linechat PRIVMSG #lobby :l1", ":first!first@linechat PRIVMSG #lobby :l2"]
    );
    let mut timed = Client::connect(s.irc_addr());
    timed.send("CAP REQ :server-time");
    timed.send("NICK timed");
    timed.send("USER t 0 * :T");
    timed.send("CAP END");
    timed.irc_skip_until(" 376 ");
    timed.send("JOIN #lobby");
    timed.irc_skip_until(" 366 ");
    let replayed = timed.irc_sync();
    assert_eq!(replayed.len(), 2);
    assert!(
        replayed[0].starts_with("@time=")
            && replayed[0].ends_with(" :first!first@linechat PRIVMSG #lobby :l1")
    );
    let mut pager = Client::connect(s.irc_addr());
    pager.send("CAP REQ :draft/chathistory");
    pager.send("NICK pager");
    pager.send("USER p 0 * :P");
    pager.send("CAP END");
    pager.irc_skip_until(" 376 ");
    pager.send("JOIN #lobby");
    pager.irc_skip_until(" 366 ");
    assert_eq!(pager.irc_sync(), Vec::<String>::new(), "it asks for history itself");
}

/// The value of tag `key` in an IRC line.
fn tag(line: &str, key: &str) -> Option<String> {
    let tags = line.strip_prefix('@')?.split(' ').next()?;
    tags.split(';').find_map(|t| t.strip_prefix(&format!("{key}=")).map(str::to_string))
}

#[test]
fn irc_chathistory_in_batches_with_the_ids_every_face_sees() {
    let s = Server::start_irc(&["--history-page", "50"]);
    let mut irc = s.irc_join_with_caps("ann", "server-time message-tags batch draft/chathistory");
    irc.send("JOIN #rust");
    irc.irc_skip_until(" 366 ");
    let mut t = s.join("tom");
    t.send("/join #rust");
    t.skip_until("* tom joined #rust");
    let mut j = s.join_json("jo");
    j.send_json(&json!({"type": "caps", "payload": ["ids"]}));
    j.json();
    j.send_json(&json!({"type": "join", "payload": "#rust"}));
    // In #rust before anything is said there.
    while j.json() != json!({"type": "join", "payload": {"nick": "jo", "online": 3, "room": "#rust"}}) {}
    t.send("one");
    t.send("/me two");
    t.send("/topic a topic");
    t.send("three");
    // Live lines carry time and msgid; JSON sees the same ids.
    let live = irc.irc_skip_until("PRIVMSG #rust :one");
    assert!(live.ends_with(" :tom!tom@linechat PRIVMSG #rust :one"), "{live}");
    let one_id = tag(&live, "msgid").expect("msgid");
    assert!(tag(&live, "time").unwrap().ends_with('Z'));
    let v = loop {
        let v = j.json();
        if v["type"] == "chat" {
            break v;
        }
    };
    assert_eq!(v["payload"]["id"], one_id.as_str());
    irc.irc_skip_until("PRIVMSG #rust :three");

    irc.send("CHATHISTORY LATEST #rust * 10");
    let start = irc.irc_line();
    assert!(start.starts_with(":linechat BATCH +") && start.ends_with(" chathistory #rust"), "{start}");
    let batch = start.split(' ').nth(2).unwrap()[1..].to_string();
    let mut items = Vec::new();
    loop {
        let l = irc.irc_line();
        if l == format!(":linechat BATCH -{batch}") {
            break;
        }
        assert_eq!(tag(&l, "batch").as_deref(), Some(batch.as_str()), "{l}");
        assert!(tag(&l, "time").is_some() && tag(&l, "msgid").is_some(), "{l}");
        items.push(l.split_once(' ').unwrap().1.to_string());
    }
    assert_eq!(
        items,
        [
            ":tom!tom@linechat PRIVMSG #rust :one",
            ":tom!tom@linechat PRIVMSG #rust :\u{1}ACTION two\u{1}",
            ":tom!tom@linechat PRIVMSG #rust :three",
        ],
        "topic changes stay out without event-playback"
    );

    irc.send(&format!("CHATHISTORY AFTER #rust msgid={one_id} 1"));
    irc.irc_line();
    assert!(irc.irc_line().ends_with("PRIVMSG #rust :\u{1}ACTION two\u{1}"));
    irc.irc_line();
    irc.send("CHATHISTORY BEFORE #rust timestamp=2100-01-01T00:00:00.000Z 1");
    irc.irc_line();
    assert!(irc.irc_line().ends_with("PRIVMSG #rust :three"));
    irc.irc_line();
    irc.send(&format!("CHATHISTORY BETWEEN #rust msgid={one_id} timestamp=2100-01-01T00:00:00Z 5"));
    let lines = irc.irc_sync();
    assert_eq!(lines.len(), 4, "{lines:?}");
    // An empty batch when there is nothing.
    irc.send("JOIN #quiet");
    irc.irc_skip_until(" 366 ");
    irc.send("CHATHISTORY LATEST #quiet * 10");
    let empty = irc.irc_sync();
    assert_eq!(empty.len(), 2);
    assert!(empty[0].contains(" BATCH +") && empty[1].contains(" BATCH -"));

    irc.send("CHATHISTORY LATEST #notjoined * 10");
    assert_eq!(
        irc.irc_line(),
        "FAIL CHATHISTORY INVALID_TARGET LATEST #notjoined :Messages could not be retrieved"
    );
    irc.send("CHATHISTORY LATEST #rust * zero");
    assert_eq!(irc.irc_line(), "FAIL CHATHISTORY INVALID_PARAMS LATEST zero :Invalid limit");
    irc.send("CHATHISTORY BEFORE #rust msgid=bogus 5");
    assert_eq!(
        irc.irc_line(),
        "FAIL CHATHISTORY INVALID_PARAMS BEFORE msgid=bogus :Invalid message reference"
    );
    irc.send("CHATHISTORY AROUND #rust");
    assert_eq!(irc.irc_line(), "FAIL CHATHISTORY NEED_MORE_PARAMS AROUND :Missing parameters");
    irc.send("CHATHISTORY FROB #rust x 1");
    assert_eq!(irc.irc_line(), "FAIL CHATHISTORY UNKNOWN_COMMAND FROB :Unknown subcommand");

    // Without server-time or message-tags: plain lines, as before.
    let mut old = s.irc_join("oldclient");
    old.send("JOIN #rust");
    old.irc_skip_until(" 366 ");
    t.send("four");
    assert_eq!(old.irc_line(), ":tom!tom@linechat PRIVMSG #rust :four");
}

#[test]
fn labeled_responses_come_back_labeled() {
    let s = Server::start_irc(&[]);
    let mut c = s.irc_join_with_caps("lab", "labeled-response batch echo-message message-tags");
    c.send("@label=p1 PING :x");
    assert_eq!(c.irc_line(), "@label=p1 :linechat PONG linechat :x");
    c.send("@label=j1 JOIN #lab");
    let start = c.irc_line();
    assert!(
        start.starts_with("@label=j1 :linechat BATCH +") && start.ends_with(" labeled-response"),
        "{start}"
    );
    let batch = start.split(' ').nth(3).unwrap()[1..].to_string();
    let join = c.irc_line();
    assert_eq!(join, format!("@batch={batch} :lab!~lab@linechat JOIN #lab"));
    c.irc_skip_until(&format!(":linechat BATCH -{batch}"));
    c.send("@label=m1 PRIVMSG #lab :hello");
    let echo = c.irc_line();
    assert!(
        echo.starts_with("@label=m1;msgid=") && echo.ends_with(" :lab!~lab@linechat PRIVMSG #lab :hello"),
        "{echo}"
    );
    c.send("@label=n1 NOTICE nobody :x");
    assert_eq!(c.irc_line(), "@label=n1 :linechat ACK");
    c.send("@label=a\\sb PING :y");
    assert_eq!(c.irc_line(), "@label=a\\sb :linechat PONG linechat :y");
}

#[cfg(not(feature = "db"))]
#[test]
fn db_is_refused_when_built_without_sqlite() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_linechat"))
        .args(["--db", "/tmp/x.db"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("built without SQLite"));
}

#[test]
fn an_empty_room_keeps_its_topic_and_history() {
    let s = Server::start(&[]);
    let mut a = s.join("a");
    a.send("/join #keep");
    a.send("/topic kept");
    a.send("said before");
    a.send("/part");
    a.sync();
    let mut b = s.join("b");
    b.send("/rooms");
    assert_eq!(b.line(), "* rooms (1): #lobby (2)", "the room itself is gone");
    b.send("/join #keep");
    b.skip_until("* b joined #keep");
    assert_eq!(b.line(), "* topic for #keep: kept");
    b.send("/history");
    let (_, items) = history_block(&mut b, "#keep");
    assert_eq!(items, ["* a set the topic for #keep: kept", "[a] said before"]);
}

#[cfg(feature = "db")]
#[test]
fn db_keeps_history_and_topics_across_a_restart() {
    let db = db_path("restart");
    let s = Server::start(&["--db", &db]);
    let mut a = s.join("a");
    a.send("/join #rust");
    a.send("/topic Rust and more");
    a.send("before the restart");
    a.send("/me leaves");
    a.sync();
    drop(a);
    drop(s);
    let s = Server::start(&["--db", &db, "--join-replay", "5"]);
    s.wait_log("3 lines of 1 rooms and 0 accounts read back");
    let mut b = s.join("b");
    b.send("/join #rust");
    b.skip_until("* b joined #rust");
    assert_eq!(b.line(), "* topic for #rust: Rust and more", "the topic came back with the room");
    let (_, items) = history_block(&mut b, "#rust");
    assert_eq!(items, ["* a set the topic for #rust: Rust and more", "[a] before the restart", "* a leaves"]);
    // Ids continue after the restart: a new line sorts after the old ones.
    let mut j = s.join_json("j");
    j.send_json(&json!({"type": "history", "payload": {"room": "#rust", "limit": 1}}));
    let last_old = j.json()["payload"]["items"][0]["id"].as_str().unwrap().to_string();
    b.send("after the restart");
    b.sync();
    j.send_json(&json!({"type": "history", "payload": {"room": "#rust", "after": last_old}}));
    let v = j.json();
    assert_eq!(v["payload"]["items"][0]["text"], "after the restart");
    assert_eq!(v["payload"]["complete"], true);
    // sqlite3 can read the file, as docs/PROTOCOL.md says.
    drop(s);
    if let Ok(out) = std::process::Command::new("sqlite3")
        .arg(&db)
        .arg("SELECT nick, text FROM lines ORDER BY room, seq")
        .output()
    {
        if out.status.success() {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains("a|before the restart"), "{text}");
        }
    }
}

#[cfg(feature = "db")]
#[test]
fn db_survives_kill_9_with_every_received_line() {
    let db = db_path("kill9");
    let s = Server::start(&["--db", &db, "--history", "5000", "--history-page", "5000"]);
    let mut reader = s.join("reader");
    let mut writer = s.join("writer");
    reader.skip_until("* writer joined");
    let burst: String = (0..2000).map(|i| format!("burst line {i}\n")).collect();
    writer.send_raw(burst.as_bytes());
    // Kill the server mid-burst, once the reader has seen part of it.
    let mut received = Vec::new();
    while received.len() < 300 {
        let l = reader.line();
        if let Some(text) = l.strip_prefix("[writer] ") {
            received.push(text.to_string());
        }
    }
    s.signal(libc::SIGKILL);
    // Everything the server delivered before it died counts as received.
    let mut buf = Vec::new();
    while let Ok(n) = reader.read_until_newline(&mut buf) {
        if n == 0 {
            break;
        }
        let l = String::from_utf8_lossy(&buf).trim_end().to_string();
        buf.clear();
        if let Some(text) = l.strip_prefix("[writer] ") {
            received.push(text.to_string());
        }
    }
    drop(s);
    let s = Server::start(&["--db", &db, "--history", "5000", "--history-page", "5000"]);
    let mut c = s.join("checker");
    c.send("/history 5000");
    let (_, items) = history_block(&mut c, "#lobby");
    let stored: std::collections::HashSet<String> =
        items.iter().filter_map(|i| i.strip_prefix("[writer] ")).map(str::to_string).collect();
    let lost: Vec<&String> = received.iter().filter(|r| !stored.contains(*r)).collect();
    assert!(
        lost.is_empty(),
        "{} of {} received lines lost, e.g. {:?}",
        lost.len(),
        received.len(),
        lost.first()
    );
    assert!(received.len() >= 300);
}

/// The chat page in Chromium: times, scrollback, and no hole after a
/// dropped connection or a server restart with `--db` (the script asks for
/// the restart; the lines said while the server was back but the page not
/// yet must come back to it).
#[cfg(feature = "db")]
#[test]
fn the_page_shows_times_scrolls_back_and_catches_up_after_a_restart() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};
    let dir = browser_dir();
    let db = db_path("page");
    let s = Server::start_web(&["--db", &db]);
    let (chat, web) = (s.addr, s.web_addr());
    let mut node = Command::new("node")
        .current_dir(dir)
        .args(["history_page.mjs", &web.port().to_string(), &chat.port().to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node");
    let mut said = BufReader::new(node.stdout.take().unwrap());
    let mut server = Some(s);
    let mut output = String::new();
    loop {
        let mut line = String::new();
        if said.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        output.push_str(&line);
        if line.trim() == "RESTART" {
            let old = server.take().unwrap();
            old.signal(libc::SIGKILL);
            drop(old);
            let (chat, web) = (chat.to_string(), web.to_string());
            let s = Server::start(&["--listen", &chat, "--http-listen", &web, "--db", &db]);
            let mut away = s.join("away");
            for i in 1..=3 {
                away.send(&format!("while away {i}"));
            }
            away.sync();
            server = Some(s);
            writeln!(node.stdin.as_mut().unwrap(), "restarted").unwrap();
        }
    }
    let status = node.wait().unwrap();
    assert!(status.success(), "history_page.mjs failed:\n{output}");
    assert!(output.contains("ok: "), "{output}");
}

/// A real IRC client library (Python's `irc`) negotiates the history
/// capabilities, pages with CHATHISTORY and reads the tags.
#[test]
fn python_irc_library_pages_history() {
    let s = Server::start_irc(&[]);
    let ports = [s.irc_addr().port().to_string(), s.addr.port().to_string()];
    run_python("irc.client", "irc", "irc_history_client.py", &ports);
}

#[test]
fn private_history_between_signed_in_users_and_targets() {
    let s = Server::start_irc(&[]);
    let caps = "server-time message-tags batch draft/chathistory";
    let mut ann = s.irc_join_with_caps("ann", caps);
    let mut bea = s.irc_join_with_caps("bea", caps);
    for (c, nick) in [(&mut ann, "ann"), (&mut bea, "bea")] {
        c.send("PRIVMSG NickServ :REGISTER correct-horse");
        c.irc_skip_until(&format!(" 900 {nick} "));
    }
    ann.send("JOIN #quiet");
    ann.irc_skip_until(" 366 ");
    let mut guest = s.irc_join_with_caps("gus", caps);
    ann.send("PRIVMSG bea :hello bea");
    let live = bea.irc_skip_until("hello bea");
    let first_id = tag(&live, "msgid").expect("a kept private line carries its id");
    assert!(live.ends_with(":ann!~ann@linechat PRIVMSG bea :hello bea"), "{live}");
    bea.send("PRIVMSG ann :\u{1}ACTION waves\u{1}");
    ann.irc_skip_until("ACTION waves");
    // A guest's private lines are not kept (nor tagged with an id).
    guest.send("PRIVMSG ann :from a guest");
    let unkept = ann.irc_skip_until("from a guest");
    assert_eq!(tag(&unkept, "msgid"), None, "{unkept}");

    ann.send("CHATHISTORY LATEST bea * 10");
    let start = ann.irc_line();
    let batch = start.split(' ').nth(2).unwrap().trim_start_matches('+').to_string();
    assert_eq!(start, format!(":linechat BATCH +{batch} chathistory bea"));
    let mut lines = Vec::new();
    loop {
        let l = ann.irc_line();
        if l == format!(":linechat BATCH -{batch}") {
            break;
        }
        lines.push(l);
    }
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(tag(&lines[0], "msgid").as_deref(), Some(first_id.as_str()));
    assert!(lines[0].ends_with(" :ann!ann@linechat PRIVMSG bea :hello bea"), "{lines:?}");
    assert!(lines[1].ends_with(" :bea!bea@linechat PRIVMSG ann :\u{1}ACTION waves\u{1}"), "{lines:?}");
    // The same conversation, seen from the other side.
    bea.send(&format!("CHATHISTORY AFTER ann msgid={first_id} 10"));
    bea.irc_skip_until("BATCH +");
    assert!(bea.irc_line().ends_with(":bea!bea@linechat PRIVMSG ann :\u{1}ACTION waves\u{1}"));
    bea.irc_skip_until("BATCH -");
    // A guest has no private history; nobody of that name is no target.
    guest.send("CHATHISTORY LATEST ann * 10");
    assert!(guest
        .irc_skip_until("FAIL CHATHISTORY")
        .starts_with("FAIL CHATHISTORY INVALID_TARGET LATEST ann "));
    ann.send("CHATHISTORY LATEST nobody * 10");
    assert!(ann
        .irc_skip_until("FAIL CHATHISTORY")
        .starts_with("FAIL CHATHISTORY INVALID_TARGET LATEST nobody "));

    // TARGETS: the conversation, and #quiet once something is said there.
    ann.send("PRIVMSG #quiet :a room line");
    ann.send("CHATHISTORY TARGETS timestamp=2020-01-01T00:00:00.000Z timestamp=2100-01-01T00:00:00.000Z 10");
    let start = ann.irc_skip_until("draft/chathistory-targets");
    let batch = start.split(' ').nth(2).unwrap().trim_start_matches('+').to_string();
    let bea_line = ann.irc_line();
    assert!(
        bea_line.starts_with(&format!("@batch={batch} :linechat CHATHISTORY TARGETS bea 20")),
        "{bea_line}"
    );
    let room_line = ann.irc_line();
    assert!(
        room_line.starts_with(&format!("@batch={batch} :linechat CHATHISTORY TARGETS #quiet 20")),
        "{room_line}"
    );
    assert_eq!(ann.irc_line(), format!(":linechat BATCH -{batch}"));
    ann.send("CHATHISTORY TARGETS timestamp=2020-01-01T00:00:00.000Z timestamp=2020-01-02T00:00:00.000Z 10");
    let start = ann.irc_skip_until("draft/chathistory-targets");
    let batch = start.split(' ').nth(2).unwrap().trim_start_matches('+').to_string();
    assert_eq!(ann.irc_line(), format!(":linechat BATCH -{batch}"), "nothing then");
}
