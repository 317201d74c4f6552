//! Several linechat processes sharing rooms through a real redis-server:
//! text, JSON, WebSocket and IRC clients spread over the nodes; a node and
//! Redis killed with SIGKILL; Redis restarted, paused, or started after a
//! node; a slow consumer on one node.

use crate::support::redis::Redis;
use crate::support::ws::*;
use crate::support::*;
use serde_json::{json, Value};
use std::net::TcpStream;
use tungstenite::Message;

/// Short leases, so a dead node is noticed within a test's read timeout.
const TTL: &str = "3s";

fn node(redis: &Redis, id: &str, extra: &[&str]) -> Server {
    let url = redis.url();
    let mut args =
        vec!["--redis", &url, "--node-id", id, "--presence-ttl", TTL, "--http-listen", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    Server::start(&args)
}

fn connected(s: &Server) {
    s.wait_log("cluster: connected to Redis");
}

/// Three nodes on one Redis, each linked, and aware of the others.
fn three_nodes(redis: &Redis) -> (Server, Server, Server) {
    let a = node(redis, "n1", &[]);
    let b = node(redis, "n2", &[]);
    let c = node(redis, "n3", &["--irc-listen", "127.0.0.1:0"]);
    for s in [&a, &b, &c] {
        connected(s);
    }
    (a, b, c)
}

/// Two nodes on one Redis, each linked.
fn two_nodes(redis: &Redis) -> (Server, Server) {
    let (a, b) = (node(redis, "n1", &[]), node(redis, "n2", &[]));
    connected(&a);
    connected(&b);
    (a, b)
}

/// Waits until `s` mirrors `n` users of other nodes (so the next join's
/// count includes them: notes and claim replies travel on different
/// Redis connections).
fn await_remote(s: &Server, n: usize) {
    eventually(&format!("{n} remote users known"), || metric(s, "linechat_cluster_remote_users") == n as f64);
}

fn healthz(s: &Server) -> String {
    let resp = http_get(s.web_addr(), "/healthz");
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    resp.split("\r\n\r\n").nth(1).unwrap_or_default().to_string()
}

fn ws_join(s: &Server, nick: &str) -> Ws {
    let stream = TcpStream::connect(s.web_addr()).unwrap();
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    let (mut ws, _) = tungstenite::client(format!("ws://{}/ws", s.web_addr()), stream).expect("handshake");
    assert_eq!(ws_text(&mut ws), WELCOME);
    ws.send(Message::text(json!({"type": "nick", "payload": nick}).to_string())).unwrap();
    loop {
        let v = ws_json(&mut ws);
        if v["type"] == "join" && v["payload"]["nick"] == nick {
            return ws;
        }
    }
}

/// Reads JSON events until one of `kind` arrives.
fn ws_until(ws: &mut Ws, kind: &str) -> Value {
    loop {
        let v = ws_json(ws);
        if v["type"] == kind {
            return v;
        }
    }
}

fn json_until(c: &mut Client, kind: &str) -> Value {
    loop {
        let v = c.json();
        if v["type"] == kind {
            return v;
        }
    }
}

#[test]
fn one_room_across_three_nodes_for_text_json_websocket_and_irc_clients() {
    let redis = Redis::start();
    let (a, b, c) = three_nodes(&redis);

    let mut alice = a.join("alice");
    await_remote(&b, 1);
    let mut bob = b.join_json("bob");
    alice.expect("* bob joined (2 online)");
    await_remote(&c, 2);
    let mut carol = ws_join(&c, "carol");
    alice.expect("* carol joined (3 online)");
    let v = json_until(&mut bob, "join");
    assert_eq!(v["payload"], json!({"nick": "carol", "online": 3, "room": "#lobby"}));

    // Chat and actions reach every node in the order sent.
    for i in 0..50 {
        alice.send(&format!("line {i}"));
    }
    alice.send("/me waves");
    for i in 0..50 {
        assert_eq!(json_until(&mut bob, "chat")["payload"]["text"], format!("line {i}"));
        let v = ws_until(&mut carol, "chat");
        assert_eq!(v["payload"], json!({"from": "alice", "text": format!("line {i}"), "room": "#lobby"}));
    }
    assert_eq!(json_until(&mut bob, "me")["payload"]["text"], "waves");

    // Cluster-wide who, rooms, and NAMES / LIST for an IRC user.
    let _ = alice.sync();
    alice.send("/who");
    assert_eq!(alice.line(), "* online (3): alice, bob, carol");
    let mut dave = Client::connect(c.irc_addr());
    dave.send("NICK dave");
    dave.send("USER dave 0 * :Dave");
    dave.irc_skip_until(" 376 ");
    dave.send("JOIN #lobby");
    let names = dave.irc_skip_until(" 353 ");
    assert!(names.ends_with(":alice bob carol dave"), "{names}");
    alice.expect("* dave joined (4 online)");
    dave.send("WHOIS alice");
    assert!(dave.irc_skip_until(" 311 ").contains(" 311 dave alice alice "));
    dave.irc_skip_until(" 318 ");
    dave.send("WHO #lobby");
    let mut who = Vec::new();
    loop {
        let l = dave.irc_line();
        if l.contains(" 315 ") {
            break;
        }
        who.push(l.split(' ').nth(7).unwrap_or_default().to_string());
    }
    who.sort();
    assert_eq!(who, ["alice", "bob", "carol", "dave"]);
    await_remote(&b, 3);

    // Rooms: a JSON user creates #rust on n2; the text user on n1 joins it.
    bob.send_json(&json!({"type": "join", "payload": "#rust"}));
    json_until(&mut bob, "join");
    bob.send_json(&json!({"type": "topic", "payload": {"room": "#rust", "text": "ownership"}}));
    json_until(&mut bob, "topic");
    // Both travel through Redis: wait until n1 knows the room and its topic.
    eventually("#rust reaches n1", || {
        alice.send("/rooms");
        alice.skip_until("* rooms") == "* rooms (2): #lobby (4), #rust (1)"
    });
    let mut asker = a.connect();
    eventually("the topic reaches n1", || {
        asker.send_json(&json!({"type": "rooms"}));
        let v = json_until(&mut asker, "rooms");
        v["payload"]["rooms"][1]["topic"] == "ownership"
    });
    alice.send("/join #rust");
    alice.expect("* alice joined #rust (2 online)");
    alice.expect("* topic for #rust: ownership");
    let v = json_until(&mut bob, "join");
    assert_eq!(v["payload"], json!({"nick": "alice", "online": 2, "room": "#rust"}));
    dave.send("LIST");
    let list = dave.irc_skip_until(" 322 ");
    assert!(list.contains(" #lobby 3 :"), "alice moved out of #lobby: {list}");
    assert!(dave.irc_skip_until(" 322 ").contains(" #rust 2 :ownership"));

    // Private messages reach a nick on any node; renames are seen by sharers.
    alice.send("/msg carol psst");
    alice.expect("[alice -> carol] psst");
    let v = ws_until(&mut carol, "msg");
    assert_eq!(v["payload"], json!({"from": "alice", "to": "carol", "text": "psst"}));
    bob.send_json(&json!({"type": "nick", "payload": "robert"}));
    alice.expect("* bob is now known as robert");
    dave.send("PRIVMSG robert :hello from irc");
    let v = json_until(&mut bob, "msg");
    assert_eq!(v["payload"], json!({"from": "dave", "to": "robert", "text": "hello from irc"}));

    // echo reaches JSON clients on every node.
    bob.send_json(&json!({"type": "echo", "payload": {"n": [1, "two"]}}));
    assert_eq!(ws_until(&mut carol, "echo")["payload"], json!({"n": [1, "two"]}));

    // Leaving: a part, then a disconnect, each seen on the other nodes.
    alice.send("/part");
    alice.expect("* alice joined (4 online)");
    let v = json_until(&mut bob, "leave");
    assert_eq!(v["payload"], json!({"nick": "alice", "online": 1, "room": "#rust"}));
    drop(carol);
    alice.expect("* carol left (3 online)");
    assert!(dave.irc_skip_until(" QUIT ").starts_with(":carol!"));
    for s in [&a, &b, &c] {
        assert_eq!(metric(s, "linechat_cluster_nodes"), 3.0);
        assert_eq!(metric(s, "linechat_cluster_up"), 1.0);
    }
}

#[test]
fn a_nickname_is_unique_across_nodes_and_a_loser_never_sees_its_join() {
    let redis = Redis::start();
    let (a, b, c) = three_nodes(&redis);
    let mut watcher = a.join("watcher");
    // Three clients on three nodes ask for the same nick at once.
    let mut clients: Vec<Client> = [&a, &b, &c].iter().map(|s| s.connect()).collect();
    for cl in &mut clients {
        cl.send_raw(b"Zed\n");
    }
    let mut winners = 0;
    for (i, cl) in clients.iter_mut().enumerate() {
        let l = cl.line();
        if l.starts_with("* Zed joined (") {
            winners += 1;
        } else {
            assert_eq!(l, "! nick-taken: 'Zed' is already in use; choose another");
            // A loser may go on with another nick: nothing was announced for it.
            cl.send(&format!("zed{i}"));
            cl.skip_until(&format!("* zed{i} joined ("));
        }
    }
    assert_eq!(winners, 1);
    let seen = watcher.sync();
    assert_eq!(seen.iter().filter(|l| l.starts_with("* Zed joined")).count(), 1, "{seen:?}");
    // Case does not make another nick, on any node.
    let mut late = b.connect();
    late.send("ZED");
    assert_eq!(late.line(), "! nick-taken: 'ZED' is already in use; choose another");
    // A freed nick can be taken on another node.
    watcher.send("/nick ally");
    watcher.skip_until("* watcher is now known as ally");
    // The rename reaches n2 through Redis: until it does, n2 still sees the nick in use.
    eventually("the freed nick is taken on n2", || {
        late.send("watcher");
        let l = late.skip_until("");
        assert!(l.starts_with("* watcher joined (") || l.starts_with("! nick-taken"), "{l}");
        l.starts_with("* watcher joined (")
    });
}

#[test]
fn a_killed_node_s_users_leave_and_their_nicks_free_within_the_ttl() {
    let redis = Redis::start();
    let (a, mut b, _c) = three_nodes(&redis);
    let mut alice = a.join("alice");
    await_remote(&b, 1);
    let _bob = b.join("bob");
    alice.expect("* bob joined (2 online)");
    b.signal(libc::SIGKILL);
    b.wait_exit();
    // No goodbye from n2: the others notice its silence.
    alice.expect("* bob left (1 online)");
    let mut again = a.connect();
    again.send("bob");
    again.skip_until("* bob joined (2 online)");
    eventually("n1 forgets n2", || metric(&a, "linechat_cluster_nodes") == 2.0);
}

#[test]
fn redis_killed_and_restarted_nodes_serve_alone_then_resync_and_settle_collisions() {
    let mut redis = Redis::start();
    let (a, b) = two_nodes(&redis);
    let mut alice = a.join("alice");
    await_remote(&b, 1);
    let mut bob = b.join("bob");
    alice.expect("* bob joined (2 online)");

    redis.kill();
    a.wait_log("serving local clients alone");
    assert!(healthz(&a).starts_with("degraded: redis unreachable"), "{}", healthz(&a));
    assert_eq!(metric(&a, "linechat_cluster_up"), 0.0);
    // Local service goes on: a local join and chat work at once.
    let mut amy = a.join("amy");
    amy.send("still here");
    assert_eq!(amy.skip_until("[amy]"), "[amy] still here");
    // Both sides take the same nick while apart; n1's claim is the older.
    // n2's claim comes after n1's has been granted: never older, and a claim
    // of the same millisecond goes to the smaller node name, n1.
    let mut dup1 = a.join("dup");
    let mut dup2 = b.join("dup");

    redis.restart();
    eventually("n1 back", || healthz(&a) == "ok\n");
    eventually("n2 back", || healthz(&b) == "ok\n");
    // The later claim (n2's) is renamed, as IRC servers do after a netsplit.
    dup2.skip_until("* dup is now known as dup-1");
    eventually("n1 sees both", || {
        dup1.send("/who");
        dup1.skip_until("* online").contains(" alice, amy, bob, dup, dup-1")
    });
    // Cross-node chat resumes.
    let mut n = 0;
    eventually("bob hears alice again", || {
        n += 1;
        alice.send(&format!("ping {n}"));
        bob.sync().iter().any(|l| l.starts_with("[alice] ping"))
    });
    assert_eq!(metric(&b, "linechat_cluster_nick_collisions_total"), 1.0);
    assert_eq!(metric(&a, "linechat_cluster_nick_collisions_total"), 0.0);
}

#[test]
fn a_node_started_before_redis_serves_alone_and_joins_when_redis_comes() {
    let mut redis = Redis::not_started();
    let a = node(&redis, "n1", &[]);
    a.wait_log("serving local clients alone");
    assert!(healthz(&a).starts_with("degraded"));
    let mut alice = a.join("alice");
    alice.send("alone");
    assert_eq!(alice.line(), "[alice] alone");
    redis.restart();
    connected(&a);
    let b = node(&redis, "n2", &[]);
    connected(&b);
    await_remote(&b, 1);
    let mut bob = b.join("bob");
    alice.skip_until("* bob joined (2 online)");
    bob.send("/who");
    assert_eq!(bob.skip_until("* online"), "* online (2): alice, bob");
    bob.send("hi alice");
    assert_eq!(alice.skip_until("[bob]"), "[bob] hi alice");
}

#[test]
fn a_slow_consumer_on_one_node_is_dropped_alone_and_nothing_else_is_lost() {
    let redis = Redis::start();
    let a = node(&redis, "n1", &["--max-outbuf", "64MiB"]);
    let b = node(&redis, "n2", &[]);
    connected(&a);
    connected(&b);
    let mut talker = a.join("talker");
    let mut reader = b.join_json("reader");
    let slow = b.join("slow");
    let _ = talker.sync();
    let text = "x".repeat(1000);
    let lines = 10_000;
    // The reader reads while the talker talks; the slow one never reads.
    let sender = {
        let (text, mut talker) = (text.clone(), talker);
        std::thread::spawn(move || {
            for i in 0..lines {
                talker.send(&format!("{i} {text}"));
            }
            talker
        })
    };
    for i in 0..lines {
        let v = json_until(&mut reader, "chat");
        assert_eq!(v["payload"]["text"], format!("{i} {text}"));
    }
    let mut talker = sender.join().unwrap();
    talker.skip_until("* slow left (2 online)");
    assert_eq!(metric(&b, "linechat_slow_consumers_dropped_total"), 1.0);
    drop(slow);
}

#[test]
fn a_stalled_redis_drops_the_oldest_publications_not_local_delivery() {
    let redis = Redis::start();
    let a = node(&redis, "n1", &["--redis-max-outbuf", "64KiB", "--max-outbuf", "64MiB"]);
    let b = node(&redis, "n2", &[]);
    connected(&a);
    connected(&b);
    let mut talker = a.join("talker");
    let mut local = a.join_json("local");
    redis.pause(true);
    let text = "y".repeat(1000);
    let lines = 20_000;
    for i in 0..lines {
        talker.send(&format!("{i} {text}"));
    }
    for i in 0..lines {
        assert_eq!(json_until(&mut local, "chat")["payload"]["text"], format!("{i} {text}"));
    }
    assert!(metric(&a, "linechat_cluster_publications_dropped_total{reason=\"backlog\"}") > 0.0);
    redis.pause(false);
    // The link recovers (the stalled one is dropped at its reply deadline).
    eventually("n1 linked again", || healthz(&a) == "ok\n");
}

#[test]
fn bad_cluster_options_are_refused() {
    for args in [
        &["--redis", "http://x"][..],
        &["--redis", "redis://h:port"],
        &["--node-id", "a b"],
        &["--presence-ttl", "0s"],
        &["--redis-max-outbuf", "lots"],
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_linechat")).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(args[0]), "{args:?}");
    }
}

#[test]
fn reuse_port_lets_two_nodes_share_a_port() {
    let redis = Redis::start();
    let port = crate::support::redis::free_port();
    let listen = format!("127.0.0.1:{port}");
    let a = node(&redis, "n1", &["--listen", &listen, "--reuse-port"]);
    let b = node(&redis, "n2", &["--listen", &listen, "--reuse-port"]);
    assert_eq!(a.addr, b.addr);
    connected(&a);
    connected(&b);
    // Without it, a second process is refused.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_linechat"))
        .args(["--listen", &listen, "--http-listen", "off"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    // Clients spread over both processes still share one room.
    let mut users: Vec<Client> = (0..8).map(|i| a.join(&format!("u{i}"))).collect();
    eventually("everyone sees all eight", || {
        users.iter_mut().all(|u| {
            u.send("/who");
            u.skip_until("* online") == "* online (8): u0, u1, u2, u3, u4, u5, u6, u7"
        })
    });
    let served_by_b = metric(&b, "linechat_users_joined");
    assert_eq!(served_by_b + metric(&a, "linechat_users_joined"), 8.0);
}

/// Each node also keeps its rooms' lines in its own memory, those said on
/// other nodes included (with the ids Redis gave them): what it answers
/// from while Redis is away.
#[test]
fn each_node_remembers_what_was_said_on_the_others() {
    let redis = Redis::start();
    let (a, b) = two_nodes(&redis);
    let mut alice = a.join("alice");
    await_remote(&b, 1);
    let mut bob = b.join("bob");
    alice.skip_until("* bob joined");
    alice.send("said on n1");
    alice.send("/me waves from n1");
    alice.send("/topic set on n1");
    bob.skip_until("* alice set the topic for #lobby: set on n1");
    let mut redis = redis;
    redis.kill();
    eventually("n2 degraded", || healthz(&b).starts_with("degraded"));
    bob.send("/history");
    bob.skip_until("* history for #lobby (3 lines):");
    let items: Vec<String> = (0..3).map(|_| bob.line()).collect();
    assert!(items[0].ends_with(" [alice] said on n1"), "{items:?}");
    assert!(items[1].ends_with(" * alice waves from n1"), "{items:?}");
    assert!(items[2].ends_with(" * alice set the topic for #lobby: set on n1"), "{items:?}");
    assert_eq!(bob.line(), "* end of history for #lobby");
}

/// Reads chat events of `c` until one says `text`.
fn chat_saying(c: &mut Client, text: &str) -> Value {
    loop {
        let v = json_until(c, "chat");
        if v["payload"]["text"] == text {
            return v;
        }
    }
}

/// A JSON client with the `ids` capability.
fn json_with_ids(s: &Server, nick: &str) -> Client {
    let mut c = s.join_json(nick);
    c.send_json(&json!({"type": "caps", "payload": ["ids"]}));
    json_until(&mut c, "caps");
    c
}

#[test]
fn history_is_shared_by_every_node_with_one_id_per_line() {
    let redis = Redis::start();
    let (a, b, c) = three_nodes(&redis);
    let mut ja = json_with_ids(&a, "ja");
    let mut jb = json_with_ids(&b, "jb");
    let mut talker = a.join("talker");
    await_remote(&b, 2);
    talker.send("hello cluster");
    talker.send("/me waves");
    // The talker gets its line back once Redis has stored it.
    talker.skip_until("[talker] hello cluster");
    let va = chat_saying(&mut ja, "hello cluster");
    let vb = chat_saying(&mut jb, "hello cluster");
    let id = va["payload"]["id"].as_str().unwrap().to_string();
    assert_eq!(vb["payload"]["id"], id.as_str(), "one id on every node");
    assert_eq!(vb["payload"]["time"], va["payload"]["time"]);

    // A node that joins later answers from Redis.
    let d = node(&redis, "n4", &[]);
    connected(&d);
    let mut jd = json_with_ids(&d, "jd");
    jd.send_json(&json!({"type": "history", "payload": {"room": "#lobby", "limit": 10}}));
    let page = json_until(&mut jd, "history");
    let items = page["payload"]["items"].as_array().unwrap();
    let texts: Vec<&str> = items.iter().map(|i| i["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["hello cluster", "waves"]);
    assert_eq!(items[0]["id"], id.as_str());
    assert_eq!(items[1]["type"], "me");
    jd.send_json(&json!({"type": "history", "payload": {"room": "#lobby", "after": id}}));
    let page = json_until(&mut jd, "history");
    assert_eq!(page["payload"]["items"][0]["text"], "waves");
    assert_eq!(page["payload"]["complete"], true);

    // IRC on a third node: the same lines, with the same msgid.
    let mut irc = Client::connect(c.irc_addr());
    irc.send("CAP REQ :server-time message-tags batch draft/chathistory");
    irc.send("NICK ircy");
    irc.send("USER i 0 * :I");
    irc.send("CAP END");
    irc.irc_skip_until(" 376 ");
    irc.send("JOIN #lobby");
    irc.irc_skip_until(" 366 ");
    irc.send("CHATHISTORY LATEST #lobby * 10");
    let start = irc.irc_skip_until(" BATCH +");
    assert!(start.ends_with(" chathistory #lobby"), "{start}");
    let first = irc.irc_line();
    assert!(
        first.contains(&format!("msgid={id}")) && first.ends_with("PRIVMSG #lobby :hello cluster"),
        "{first}"
    );
    assert!(irc.irc_line().ends_with("PRIVMSG #lobby :\u{1}ACTION waves\u{1}"));
    assert!(irc.irc_line().contains(" BATCH -"));
}

#[test]
fn history_outlives_a_redis_restart_with_persistence_and_nodes_serve_alone_meanwhile() {
    let mut redis = Redis::start_persistent();
    let a = node(&redis, "n1", &[]);
    connected(&a);
    let mut t = a.join("talker");
    t.send("stored in redis");
    t.skip_until("[talker] stored in redis");
    redis.kill();
    eventually("n1 degraded", || healthz(&a).starts_with("degraded"));
    // Alone: delivered at once, kept in this node's memory, answered from it.
    t.send("said while redis was away");
    t.skip_until("[talker] said while redis was away");
    t.send("/history");
    let block: Vec<String> = (0..4).map(|_| t.line()).collect();
    assert_eq!(block[0], "* history for #lobby (2 lines):", "{block:?}");
    assert!(block[2].ends_with("[talker] said while redis was away"), "{block:?}");
    redis.restart();
    eventually("n1 linked again", || healthz(&a) == "ok\n");
    // Redis kept what it stored (its append-only file); a new node reads it there.
    let b = node(&redis, "n2", &[]);
    connected(&b);
    let mut j = b.join_json("j");
    j.send_json(&json!({"type": "history", "payload": {"room": "#lobby"}}));
    let page = json_until(&mut j, "history");
    let texts: Vec<&str> =
        page["payload"]["items"].as_array().unwrap().iter().map(|i| i["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["stored in redis"], "lines said while Redis was away stay on their node");
    t.send("after redis came back");
    t.skip_until("[talker] after redis came back");
    j.send_json(&json!({"type": "history", "payload": {"room": "#lobby"}}));
    let page = json_until(&mut j, "history");
    assert_eq!(page["payload"]["items"].as_array().unwrap().len(), 2);
}

#[test]
fn accounts_registered_on_one_node_sign_in_on_another() {
    let redis = Redis::start();
    let (a, b) = two_nodes(&redis);
    let mut alice = a.join("alice");
    alice.send("/register correct-horse");
    alice.expect("* registered the account alice; you are signed in");
    drop(alice);
    eventually("node 2 to know the account", || metric(&b, "linechat_accounts") == 1.0);
    await_remote(&b, 0);
    let mut guest = b.connect();
    guest.send("alice");
    guest.expect("! nick-registered: 'alice' is a registered name: /login alice PASSWORD, or choose another");
    // The nickname is claimed in Redis after the sign-in: the join follows it.
    guest.send("/login alice correct-horse");
    guest.expect("* signed in as alice");
    guest.expect("* alice joined (1 online)");

    // A node that starts later reads the accounts from Redis.
    let c = node(&redis, "n3", &[]);
    c.wait_log("cluster: 1 accounts read from Redis");
    await_remote(&c, 1);
    // Removed on node 2: gone everywhere.
    guest.send("/unregister correct-horse");
    guest.expect("* removed the account alice; you are signed out");
    eventually("node 1 to forget the account", || metric(&a, "linechat_accounts") == 0.0);
    eventually("node 3 to forget the account", || metric(&c, "linechat_accounts") == 0.0);
    assert_eq!(redis.command("HLEN linechat:accounts:0\r\n").as_deref(), Some(":0\r\n"));
}

#[test]
fn registered_rooms_and_klines_hold_on_every_node() {
    let redis = Redis::start();
    let opers = oper_file("cluster-opers");
    let a = node(&redis, "n1", &["--oper-file", &opers]);
    let b = node(&redis, "n2", &[]);
    connected(&a);
    connected(&b);
    let mut alice = a.join("alice");
    alice.send("/register correct-horse");
    alice.skip_until("* registered the account alice; you are signed in");
    alice.send("/join #rust");
    alice.skip_until("* alice joined #rust (1 online)");
    alice.send("/claim");
    alice.skip_until("* #rust is now registered to alice");
    alice.send("/mode +m");
    alice.skip_until("* alice set mode +m on #rust");
    eventually("node 2 to know the registered room", || metric(&b, "linechat_registered_rooms") == 1.0);

    // A member on node 2 lives by the room's rules, and follows their changes.
    let mut bob = b.join("bob");
    bob.send("/join #rust");
    bob.skip_until("* bob joined #rust (2 online)");
    // The claim and the +m after it are two notes: node 2 may hold the
    // first before the second.
    eventually("node 2 to apply +m", || {
        bob.send("/mode");
        bob.skip_until("* modes of #rust: ") == "* modes of #rust: +mn"
    });
    bob.send("may I?");
    bob.expect("! cannot-speak: you cannot speak in #rust (it is moderated, or you are muted)");
    alice.send("/mode -m");
    alice.skip_until("* alice set mode -m on #rust");
    eventually("node 2 to apply -m", || {
        bob.send("/mode");
        bob.skip_until("* modes of #rust: ") == "* modes of #rust: +n"
    });
    bob.send("now I may");
    bob.expect("[bob] now I may");
    alice.skip_until("[bob] now I may");
    assert_eq!(redis.command("HLEN linechat:rooms:0\r\n").as_deref(), Some(":1\r\n"));

    // A K-line set on node 1 cuts and refuses that address on node 2.
    let other: std::net::IpAddr = "127.0.0.2".parse().unwrap();
    let mut far = Client::connect_from(b.addr, other);
    far.expect(WELCOME);
    far.send("far");
    far.skip_until("* far joined");
    alice.send("/oper admin operator-pw");
    alice.skip_until("* you are now a server operator (admin)");
    alice.send("/kline 127.0.0.2 1h abuse");
    alice.skip_until("* K-line on 127.0.0.2");
    far.expect("! killed: disconnected by alice: K-lined: abuse");
    far.expect_closed();
    let mut again = Client::connect_from(b.addr, other);
    again.expect("! banned: you are banned from this server (abuse)");
    again.expect_closed();

    // A node started later reads both from Redis.
    let c = node(&redis, "n3", &[]);
    c.wait_log("cluster: 1 registered rooms read from Redis");
    c.wait_log("cluster: 1 K-lines read from Redis");
    let mut late = Client::connect_from(c.addr, other);
    late.expect("! banned: you are banned from this server (abuse)");
    // Dropped on node 1: no longer registered anywhere.
    alice.send("/unclaim");
    alice.skip_until("* #rust is no longer registered");
    eventually("node 2 to drop the registration", || metric(&b, "linechat_registered_rooms") == 0.0);
    eventually("node 3 to drop the registration", || metric(&c, "linechat_registered_rooms") == 0.0);
    assert_eq!(redis.command("HLEN linechat:rooms:0\r\n").as_deref(), Some(":0\r\n"));
}

#[test]
fn kicks_bans_and_modes_hold_on_every_node() {
    let redis = Redis::start();
    let (a, b) = two_nodes(&redis);
    let mut alice = a.join("alice");
    alice.send("/join #rust");
    alice.skip_until("* alice joined #rust (1 online)");
    await_remote(&b, 1);
    let mut bob = b.join("bob");
    bob.send("/join #rust");
    bob.skip_until("* bob joined #rust (2 online)");
    let mut carol = b.join("carol");
    carol.send("/join #rust");
    carol.skip_until("* carol joined #rust (3 online)");
    alice.skip_until("* carol joined #rust (3 online)");

    // Modes set on node 1 hold, and show, on node 2; a voice for a user of node 2 works there.
    alice.send("/mode +m");
    alice.skip_until("* alice set mode +m on #rust");
    carol.skip_until("* alice set mode +m on #rust");
    eventually("node 2 to hold +m", || {
        carol.send("/mode");
        carol.skip_until("* modes of #rust: ") == "* modes of #rust: +mn"
    });
    carol.send("hello?");
    carol.expect("! cannot-speak: you cannot speak in #rust (it is moderated, or you are muted)");
    alice.send("/voice carol");
    alice.skip_until("* alice set mode +v carol on #rust");
    carol.skip_until("* alice set mode +v carol on #rust");
    carol.send("voiced");
    carol.expect("[carol] voiced");
    alice.skip_until("[carol] voiced");
    alice.send("/mode -m");
    alice.skip_until("* alice set mode -m on #rust");
    carol.skip_until("* alice set mode -m on #rust");

    // A kick of a node-2 user: shown on both nodes, carried out on node 2.
    alice.send("/kick bob off-topic");
    alice.expect("* alice kicked bob from #rust (off-topic)");
    bob.skip_until("* alice kicked bob from #rust (off-topic)");
    bob.expect("* bob joined (1 online)");
    carol.expect("* alice kicked bob from #rust (off-topic)");
    // Its nodes agree it left: nobody shows it twice.
    alice.send("/names");
    alice.skip_until("* members of #rust (2): @alice, carol");
    // A ban set on node 1 keeps bob out on node 2.
    alice.send("/ban bob 1h spam");
    alice.skip_until("* alice banned bob!*@* in #rust");
    carol.skip_until("* alice banned bob!*@* in #rust");
    eventually("node 2 to hold the ban", || {
        bob.send("/join #rust");
        bob.line() == "! banned: you are banned from #rust"
    });
    alice.send("/unban bob");
    alice.skip_until("* alice lifted the ban on bob!*@* in #rust");
    carol.skip_until("* alice lifted the ban on bob!*@* in #rust");
    eventually("node 2 to lift the ban", || {
        bob.send("/join #rust");
        bob.line().starts_with("* bob joined #rust")
    });
    // A node started later holds the room's rules too.
    alice.send("/mode +t");
    alice.skip_until("* alice set mode +t on #rust");
    let c = node(&redis, "n3", &[]);
    connected(&c);
    await_remote(&c, 3);
    let mut dave = c.join("dave");
    dave.send("/join #rust");
    dave.skip_until("* dave joined #rust");
    eventually("node 3 to hold +t", || {
        dave.send("/mode");
        dave.skip_until("* modes of #rust: ") == "* modes of #rust: +nt"
    });
    dave.send("/topic mine");
    dave.expect("! not-operator: only operators of #rust may do that");
}

#[test]
fn changes_made_while_redis_was_away_reach_it_and_every_node() {
    let mut redis = Redis::start_persistent();
    let (a, b) = two_nodes(&redis);
    let mut alice = a.join("alice");
    alice.send("/register correct-horse");
    alice.skip_until("* registered the account alice");
    alice.send("/join #keep");
    alice.skip_until("* alice joined #keep");
    alice.send("/claim");
    alice.skip_until("* #keep is now registered to alice");
    eventually("node 2 to know alice", || metric(&b, "linechat_accounts") == 1.0);
    eventually("node 2 to know #keep", || metric(&b, "linechat_registered_rooms") == 1.0);
    redis.kill();
    eventually("node 1 degraded", || healthz(&a).starts_with("degraded"));
    // The room given up, the account removed, two others registered, on
    // node 1 while Redis is away.
    alice.send("/unclaim");
    alice.skip_until("* #keep is no longer registered");
    alice.send("/unregister correct-horse");
    alice.skip_until("* removed the account alice");
    for (nick, password) in [("bob", "battery-staple"), ("carol", "staple-battery")] {
        let mut c = a.join(nick);
        c.send(&format!("/register {password}"));
        c.skip_until(&format!("* registered the account {nick}"));
    }
    redis.restart();
    eventually("node 1 linked again", || healthz(&a) == "ok\n");
    eventually("Redis to hold bob and carol, not alice", || {
        let has = |k: &str| redis.command(&format!("HEXISTS linechat:accounts:0 {k}\r\n"));
        has("alice").as_deref() == Some(":0\r\n")
            && has("bob").as_deref() == Some(":1\r\n")
            && has("carol").as_deref() == Some(":1\r\n")
    });
    // Node 2 holds the same two (alice's removal reached it: else three).
    eventually("node 2 to hold bob and carol only", || metric(&b, "linechat_accounts") == 2.0);
    eventually("Redis and node 2 to drop #keep", || {
        redis.command("HLEN linechat:rooms:0\r\n").as_deref() == Some(":0\r\n")
            && metric(&b, "linechat_registered_rooms") == 0.0
    });
}
