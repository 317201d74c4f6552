//! Script handlers (`--handlers DIR`): every ctx call from text, JSON and
//! WebSocket clients (and what IRC users see), the budget, the memory cap
//! and the sandbox's holes closed, errors at start-up and at reload,
//! replacing a built-in, and the help listing. Each test writes its own
//! handler files into a fresh folder.
#![cfg(feature = "lua")]

use crate::support::*;
use serde_json::{json, Value};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use tungstenite::{Message, WebSocket};

/// A fresh folder of handler files, removed afterwards.
struct Folder(PathBuf);

impl Folder {
    fn new(files: &[(&str, &str)]) -> Folder {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("linechat-handlers-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let f = Folder(dir);
        for (name, body) in files {
            f.write(name, body);
        }
        f
    }
    fn write(&self, name: &str, body: &str) {
        std::fs::write(self.0.join(name), body).unwrap();
    }
    fn remove(&self, name: &str) {
        std::fs::remove_file(self.0.join(name)).unwrap();
    }
    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Calls every part of ctx, chosen by the payload's first word.
const PROBE: &str = r#"
return {
  help = "try every ctx call",
  handle = function(ctx, payload)
    local cmd, arg = payload:match("^(%S+)%s*(.*)$")
    if cmd == "whoami" then
      ctx:reply({ type = "whoami", payload = { nick = ctx.nick, room = ctx.room, mode = ctx.mode },
                  text = string.format("nick=%s room=%s mode=%s", tostring(ctx.nick), tostring(ctx.room), ctx.mode) })
    elseif cmd == "all" then
      ctx:broadcast({ type = "said", payload = { from = ctx.nick, text = arg }, text = ctx.nick .. " says " .. arg })
    elseif cmd == "room" then
      local room, text = arg:match("^(%S+) (.*)$")
      local ok = ctx:to_room(room, { type = "said", payload = { text = text }, text = "to " .. room .. ": " .. text })
      ctx:reply({ type = "sent", payload = ok, text = "to_room " .. tostring(ok) })
    elseif cmd == "send" then
      local nick, text = arg:match("^(%S+) (.*)$")
      local ok = ctx:send(nick, { type = "note", payload = { from = ctx.nick, text = text }, text = ctx.nick .. " notes " .. text })
      ctx:reply({ type = "sent", payload = ok, text = "send " .. tostring(ok) })
    elseif cmd == "echo" then
      ctx:echo({ text = arg })
    elseif cmd == "who" then
      local list = ctx:who(arg ~= "" and arg or nil)
      ctx:reply({ type = "who", payload = list, text = list and ("who: " .. table.concat(list, ",")) or "who: no such room" })
    elseif cmd == "rooms" then
      local parts = {}
      for _, r in ipairs(ctx:rooms()) do parts[#parts + 1] = r.room .. "=" .. r.online .. "/" .. r.topic end
      ctx:reply({ type = "rooms", payload = ctx:rooms(), text = "rooms: " .. table.concat(parts, " ") })
    elseif cmd == "err" then
      ctx:error("no-luck", "try again")
    elseif cmd == "raw" then
      ctx:reply({ type = "raw", payload = { n = 1 } })
    elseif cmd == "lines" then
      ctx:reply({ type = "lines", text = "one\ntwo" })
    elseif cmd == "badevent" then
      ctx:reply({ payload = 1 })
    end
  end,
}
"#;

fn ws_json(ws: &mut WebSocket<TcpStream>) -> String {
    loop {
        if let Message::Text(t) = ws.read().expect("ws read") {
            return t.to_string();
        }
    }
}

fn probe_server(extra: &[&str]) -> (Folder, Server) {
    let f = Folder::new(&[("probe.lua", PROBE)]);
    let mut args = vec!["--handlers", f.path()];
    args.extend_from_slice(extra);
    let s = Server::start(&args);
    (f, s)
}

#[test]
fn text_clients_reach_every_ctx_call() {
    let (_f, s) = probe_server(&[]);
    let mut alice = s.join("alice");
    let mut bob = s.join("bob");
    alice.skip_until("* bob joined");

    alice.send("/probe whoami");
    alice.expect("* nick=alice room=#lobby mode=text");
    alice.send("/PROBE all hi there");
    alice.expect("* alice says hi there");
    bob.expect("* alice says hi there");

    bob.send("/join #rust");
    bob.skip_until("* bob joined #rust");
    alice.skip_until("* bob left");
    alice.send("/probe room #rust psst");
    bob.expect("* to #rust: psst");
    alice.expect("* to_room true");
    alice.send("/probe room #nowhere psst");
    alice.expect("* to_room false");

    alice.send("/probe send bob hello");
    bob.expect("* alice notes hello");
    alice.expect("* send true");
    alice.send("/probe send nobody hello");
    alice.expect("* send false");

    alice.send("/probe who");
    alice.expect("* who: alice");
    alice.send("/probe who #rust");
    alice.expect("* who: bob");
    alice.send("/probe who #none");
    alice.expect("* who: no such room");

    bob.send("/topic crabs");
    bob.skip_until("* bob set the topic");
    alice.send("/probe rooms");
    alice.expect("* rooms: #lobby=1/ #rust=1/crabs");

    alice.send("/probe err");
    alice.expect("! no-luck: try again");
    alice.send("/probe raw");
    alice.expect(r#"* raw: {"n":1}"#);
    alice.send("/probe lines");
    alice.expect("* one");
    alice.expect("* two");
    alice.send("/probe badevent");
    alice.expect("! handler-error: probe: an event needs a string 'type'");
    assert!(alice.sync().is_empty());
    assert!(bob.sync().is_empty());
}

#[test]
fn json_and_websocket_clients_reach_the_same_calls() {
    let (_f, s) = probe_server(&["--http-listen", "127.0.0.1:0"]);
    let mut jo = s.join_json("jo");
    let stream = TcpStream::connect(s.web_addr()).unwrap();
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    let (mut ws, _) = tungstenite::client(format!("ws://{}/ws", s.web_addr()), stream).expect("ws");
    assert_eq!(ws_json(&mut ws), WELCOME);
    ws.send(Message::text(r#"{"type":"nick","payload":"wendy"}"#)).unwrap();
    assert!(ws_json(&mut ws).contains(r#""nick":"wendy""#));
    jo.skip_until(r#"{"type":"join","payload":{"nick":"wendy""#);

    jo.send_json(&json!({"type":"probe","payload":"whoami"}));
    assert_eq!(jo.json(), json!({"type":"whoami","payload":{"nick":"jo","room":"#lobby","mode":"json"}}));

    ws.send(Message::text(r#"{"type":"probe","payload":"all from the web"}"#)).unwrap();
    let said = json!({"type":"said","payload":{"from":"wendy","text":"from the web"}});
    let got: Value = serde_json::from_str(&ws_json(&mut ws)).unwrap();
    assert_eq!(got, said);
    assert_eq!(jo.json(), said);

    jo.send_json(&json!({"type":"probe","payload":"echo hey"}));
    let echo = json!({"type":"echo","payload":{"text":"hey"}});
    assert_eq!(jo.json(), echo);
    let got: Value = serde_json::from_str(&ws_json(&mut ws)).unwrap();
    assert_eq!(got, echo);

    jo.send_json(&json!({"type":"probe","payload":"send wendy hi"}));
    let got: Value = serde_json::from_str(&ws_json(&mut ws)).unwrap();
    assert_eq!(got, json!({"type":"note","payload":{"from":"jo","text":"hi"}}));
    assert_eq!(jo.json(), json!({"type":"sent","payload":true}));

    jo.send_json(&json!({"type":"probe","payload":"who"}));
    assert_eq!(jo.json(), json!({"type":"who","payload":["jo","wendy"]}));
    jo.send_json(&json!({"type":"probe","payload":"rooms"}));
    assert_eq!(jo.json(), json!({"type":"rooms","payload":[{"room":"#lobby","online":2,"topic":""}]}));
    jo.send_json(&json!({"type":"probe","payload":"err"}));
    assert_eq!(jo.json(), json!({"type":"error","payload":{"code":"no-luck","message":"try again"}}));
    // A payload that is not a string: the handler's own error, reported as such.
    jo.send_json(&json!({"type":"probe","payload":{"not":"a string"}}));
    let e = jo.json();
    assert_eq!(e["payload"]["code"], "handler-error");
    assert!(e["payload"]["message"].as_str().unwrap().starts_with("probe: "), "{e}");

    // The help packet lists the script type beside the built-in ones.
    jo.send_json(&json!({"type":"help"}));
    let types = jo.json()["payload"]["types"].clone();
    assert!(types.as_array().unwrap().contains(&json!("probe")), "{types}");
    assert!(types.as_array().unwrap().contains(&json!("chat")), "{types}");
    assert!(jo.sync_json().is_empty());
}

#[test]
fn irc_users_get_handler_events_as_notices() {
    let (_f, s) = probe_server(&["--irc-listen", "127.0.0.1:0"]);
    let mut irc = s.irc_join("ivy");
    irc.send("JOIN #lobby");
    irc.irc_skip_until(" 366 ");
    let mut alice = s.join("alice");
    alice.send("/probe all hello irc");
    alice.expect("* alice says hello irc");
    let l = irc.irc_skip_until("NOTICE");
    assert_eq!(l, ":linechat NOTICE * :* alice says hello irc");
}

#[test]
fn help_lists_script_commands_with_their_help() {
    let (_f, s) = probe_server(&[]);
    let mut c = s.connect();
    c.send("/help");
    let lines = c.sync();
    assert!(lines.contains(&"*   /probe - try every ctx call".to_string()), "{lines:?}");
    assert!(lines.contains(&"*   /who [#ROOM] - list who is in your room (or in #ROOM)".to_string()));
    // Before a nickname, ctx.nick and ctx.room are nil.
    c.send("/probe whoami");
    c.expect("* nick=nil room=nil mode=text");
}

/// Sends `/NAME` from a fresh client, expects the handler error, and checks
/// that a bystander's chat still flows afterwards.
fn fails_alone(s: &Server, bystanders: &mut [Client], name: &str, reason: &str) {
    let mut c = s.join(&format!("{name}-caller"));
    for b in bystanders.iter_mut() {
        b.skip_until(&format!("* {name}-caller joined"));
    }
    c.send(&format!("/{name}"));
    let line = c.line();
    assert!(line.starts_with(&format!("! handler-error: {name}: ")), "{line}");
    assert!(line.contains(reason), "{line} lacks {reason}");
    c.send("still here");
    for b in bystanders.iter_mut() {
        b.expect(&format!("[{name}-caller] still here"));
    }
    c.expect(&format!("[{name}-caller] still here"));
    // The caller leaves before the next one comes: the bystanders see its
    // leave now, not at some later moment the server does not promise.
    c.send("/bye");
    c.expect("* bye");
    for b in bystanders.iter_mut() {
        b.skip_until(&format!("* {name}-caller left ("));
    }
}

#[test]
fn budgets_stop_loops_that_pcall_and_coroutines_try_to_hide() {
    let f = Folder::new(&[
        ("spin.lua", "return { handle = function() while true do end end }"),
        (
            "pcalls.lua",
            "return { handle = function() while true do pcall(function() while true do end end) end end }",
        ),
        (
            "coro.lua",
            "return { handle = function() coroutine.wrap(function() while true do end end)() end }",
        ),
        (
            "errloop.lua",
            r#"return { handle = function()
                 local e = setmetatable({}, { __tostring = function() while true do end end })
                 while true do pcall(error, e) end
               end }"#,
        ),
        ("gc.lua", "return { handle = function() setmetatable({}, { __gc = function() while true do end end }) end }"),
        (
            "close.lua",
            r#"return { handle = function()
                 local x <close> = setmetatable({}, { __close = function() while true do end end })
                 while true do end
               end }"#,
        ),
        ("strmeta.lua", "return { handle = function() getmetatable('').__close = function() end end }"),
        ("pattern.lua", "return { handle = function() return ('a'):rep(800):find('.-.-.-x') end }"),
        ("fine.lua", "local n = 0 return { handle = function(ctx) n = n + 1 ctx:reply({type='n', text='n=' .. n}) end }"),
    ]);
    let s = Server::start(&["--handlers", f.path()]);
    let mut bystander = s.join("bystander");
    fails_alone(&s, std::slice::from_mut(&mut bystander), "spin", "instruction budget of 1000000 exhausted");
    fails_alone(
        &s,
        std::slice::from_mut(&mut bystander),
        "pcalls",
        "instruction budget of 1000000 exhausted",
    );
    fails_alone(&s, std::slice::from_mut(&mut bystander), "coro", "instruction budget of 1000000 exhausted");
    fails_alone(
        &s,
        std::slice::from_mut(&mut bystander),
        "errloop",
        "instruction budget of 1000000 exhausted",
    );
    fails_alone(
        &s,
        std::slice::from_mut(&mut bystander),
        "gc",
        "__gc metamethods are not allowed in handlers",
    );
    fails_alone(&s, std::slice::from_mut(&mut bystander), "close", "__close metamethods are not allowed");
    fails_alone(&s, std::slice::from_mut(&mut bystander), "strmeta", "attempt to index a boolean value");
    fails_alone(&s, std::slice::from_mut(&mut bystander), "pattern", "could run past the instruction budget");
    // A handler that failed before runs again normally, and so do the others.
    let mut c = s.join("again");
    c.send("/fine");
    c.expect("* n=1");
    c.send("/spin");
    assert!(c.line().contains("instruction budget of 1000000 exhausted"));
    c.send("/fine");
    c.expect("* n=2");
    let log = s.wait_log("handler spin: conn=");
    assert!(log.contains("[WARN]"), "{log}");
}

#[test]
fn the_memory_cap_holds_and_the_handler_recovers() {
    let f = Folder::new(&[
        ("hog.lua", "return { handle = function() local t = {} for i = 1, 1e9 do t[i] = ('x'):rep(100) .. i end end }"),
        (
            "hoard.lua",
            // Keeps what it takes between calls: the cap still stops it.
            "local keep = {} return { handle = function(ctx) for i = 1, 2000 do keep[#keep + 1] = ('y'):rep(200) .. #keep end ctx:reply({type='n', text='kept ' .. #keep}) end }",
        ),
    ]);
    let s = Server::start(&["--handlers", f.path(), "--handler-memory", "1MiB"]);
    let mut bystander = s.join("bystander");
    fails_alone(&s, std::slice::from_mut(&mut bystander), "hog", "memory limit of 1048576 bytes reached");
    let mut c = s.join("hoarder");
    let mut failed = false;
    for _ in 0..20 {
        c.send("/hoard");
        let l = c.line();
        if l.starts_with("! handler-error: hoard: memory limit") {
            failed = true;
            break;
        }
        assert!(l.starts_with("* kept "), "{l}");
    }
    assert!(failed, "1 MiB never ran out");
    c.send("/who");
    c.expect("* online (2): bystander, hoarder");
}

#[test]
fn runtime_errors_name_the_file_and_line_and_keep_what_was_sent() {
    let f = Folder::new(&[(
        "oops.lua",
        "return {\n  handle = function(ctx)\n    ctx:reply({type='first', text='before'})\n    local t = nil\n    return t.x\n  end,\n}\n",
    )]);
    let s = Server::start(&["--handlers", f.path()]);
    let mut c = s.join("alice");
    c.send("/oops");
    c.expect("* before");
    let l = c.line();
    assert!(l.starts_with("! handler-error: oops: "), "{l}");
    assert!(l.ends_with("oops.lua:5: attempt to index a nil value (local 't')"), "{l}");
}

fn start_fails(dir: &Folder) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_linechat"))
        .args(["--listen", "127.0.0.1:0", "--http-listen", "off", "--handlers", dir.path()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "linechat should refuse to start");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_file_that_fails_to_load_stops_start_up_naming_file_and_line() {
    let f = Folder::new(&[
        ("good.lua", "return { handle = function() end }"),
        ("broken.lua", "return {\n  handle = = 1\n}\n"),
    ]);
    let err = start_fails(&f);
    assert!(err.contains("broken.lua:2: unexpected symbol near '='"), "{err}");

    let f = Folder::new(&[("nohandle.lua", "return { help = 'x' }")]);
    assert!(start_fails(&f).contains("nohandle.lua: the returned table has no function 'handle'"));
    let f = Folder::new(&[("forever.lua", "while true do end return {}")]);
    assert!(start_fails(&f).contains("forever.lua: instruction budget of 1000000 exhausted"));
    let f = Folder::new(&[("sneaky.lua", "local f = io.open('/etc/passwd') return { handle = f }")]);
    assert!(start_fails(&f).contains("sneaky.lua:1: attempt to index a nil value (global 'io')"));
    let missing = Folder::new(&[]);
    let gone = missing.path().to_string() + "/nope";
    let out = Command::new(env!("CARGO_BIN_EXE_linechat"))
        .args(["--listen", "127.0.0.1:0", "--handlers", &gone])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("--handlers {gone}: ")));
}

#[test]
fn the_sandbox_hides_files_processes_and_loaders() {
    let f = Folder::new(&[(
        "env.lua",
        r#"return { handle = function(ctx)
             local seen = {}
             for _, name in ipairs({ "io", "require", "load", "loadfile", "dofile", "debug", "package",
                                     "collectgarbage" }) do
               if _G[name] ~= nil then seen[#seen + 1] = name end
             end
             for name in pairs(os) do if name ~= "time" and name ~= "clock" then seen[#seen + 1] = "os." .. name end end
             if string.dump then seen[#seen + 1] = "string.dump" end
             ctx:reply({ type = "env", text = "exposed: " .. (#seen == 0 and "nothing" or table.concat(seen, ",")) ..
                         " time=" .. type(os.time()) })
           end }"#,
    )]);
    let s = Server::start(&["--handlers", f.path()]);
    let mut c = s.join("alice");
    c.send("/env");
    c.expect("* exposed: nothing time=number");
}

#[test]
fn replacing_and_reloading_on_sighup() {
    let f = Folder::new(&[
        ("ping.lua", "return { help = 'scripted ping', handle = function(ctx, p) ctx:reply({type='pong', text='v1 ' .. p}) end }"),
        ("nick.lua", "return { handle = function() end }"),
    ]);
    let s = Server::start(&["--handlers", f.path()]);
    s.wait_log("handler ping replaces the built-in one");
    s.wait_log("nick.lua: skipped: 'nick' is built in and cannot be replaced");
    let mut c = s.join("alice");
    c.send("/ping x");
    c.expect("* v1 x");
    c.send("/help");
    assert_eq!(c.skip_until("*   /ping"), "*   /ping [TEXT] - scripted ping");
    c.skip_until("*   //TEXT");

    // A broken version is logged; the loaded one stays.
    f.write("ping.lua", "return { handle = function( }");
    f.write("roll.lua", include_str!("../../examples/handlers/roll.lua"));
    s.signal(libc::SIGHUP);
    s.wait_log("handler ping keeps its previous version");
    s.wait_log("handler roll added");
    c.send("/ping y");
    c.expect("* v1 y");
    c.send("/roll 1d1x");
    c.expect("! bad-args: usage: /roll NdS with N 1-100 and S 2-1000");

    // A fixed version replaces it.
    f.write("ping.lua", "return { handle = function(ctx, p) ctx:reply({type='pong', text='v2 ' .. p}) end }");
    s.signal(libc::SIGHUP);
    s.wait_log("handler ping reloaded");
    c.send("/ping z");
    c.expect("* v2 z");

    // Removing the file restores the built-in.
    f.remove("ping.lua");
    f.remove("roll.lua");
    s.signal(libc::SIGHUP);
    s.wait_log("handler ping removed");
    s.wait_log("handler roll removed");
    assert!(c.sync().is_empty());
    c.send("/roll 2d6");
    c.expect("! unknown-command: unknown command '/roll'; /help lists the commands");
    c.send_json(&json!({"type":"roll"}));
    c.send("/ping back");
    // Still in text mode: the JSON line is chat.
    c.expect(r#"[alice] {"type":"roll"}"#);
    c.expect("* pong back");
}

#[test]
fn the_shipped_echo_handler_behaves_like_the_built_in_one() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/handlers");
    let scripted = Server::start(&["--handlers", examples.to_str().unwrap()]);
    scripted.wait_log("handler echo replaces the built-in one");
    let built_in = Server::start(&[]);
    let mut seen = Vec::new();
    for s in [&scripted, &built_in] {
        let mut a = s.connect();
        let mut b = s.join_json("bea");
        let mut t = s.join("tom");
        b.skip_until(r#"{"type":"join","payload":{"nick":"tom""#);
        let mut got = Vec::new();
        let ordered =
            json!({"z": 1, "a": {"y": 2, "b": [], "c": {}}, "m": null, "n": [true, "x", -7, 1.5e300]});
        for payload in [json!({"any":"json"}), ordered, json!("text"), json!([1, null, 2.5]), Value::Null] {
            // Unjoined JSON clients get echo too, and may send it.
            a.send_json(&json!({"type":"echo","payload":payload}));
            got.push(a.line());
            got.push(b.line());
        }
        b.send_json(&json!({"type":"echo"}));
        got.push(a.line());
        got.push(b.line());
        assert!(t.sync().is_empty(), "text clients get no echo");
        seen.push(got);
    }
    assert_eq!(seen[0], seen[1]);
}

#[test]
fn a_handler_named_in_hangul_answers_its_command_and_packet_type() {
    let f = Folder::new(&[
        ("주사위.lua", include_str!("../../examples/handlers/roll.lua")),
        ("Upper.lua", "return { handle = function(ctx) ctx:reply({type='u'}) end }"),
        ("a b.lua", "return { handle = function(ctx) ctx:reply({type='ab'}) end }"),
    ]);
    let s = Server::start(&["--handlers", f.path()]);
    s.wait_log("handlers from");
    assert!(s.log_lines().iter().any(|l| l.contains("Upper.lua: skipped")), "{:?}", s.log_lines());
    assert!(s.log_lines().iter().any(|l| l.contains("a b.lua: skipped")), "{:?}", s.log_lines());
    let mut text = s.join("민수");
    text.send("/주사위 2d6");
    let line = text.line();
    assert!(line.starts_with("* 민수 rolls 2d6: "), "{line}");
    let mut json = s.join_json("jay");
    text.skip_until("* jay joined");
    json.send_json(&json!({"type": "주사위", "payload": "1d6"}));
    let v = json.json();
    assert_eq!((v["type"].as_str(), v["payload"]["nick"].as_str()), (Some("roll"), Some("jay")), "{v}");
    text.skip_until("* jay rolls 1d6: ");
    json.send_json(&json!({"type": "help"}));
    let help = json.json();
    assert!(help["payload"]["types"].as_array().unwrap().contains(&json!("주사위")), "{help}");
    text.send("/help");
    let lines = text.sync();
    assert!(lines.iter().any(|l| l.starts_with("*   /주사위 - roll dice")), "{lines:?}");
}
