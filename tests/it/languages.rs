//! The server's words in Korean and English: chosen per client, rendered
//! once per (format, language) in use; codes and payloads never change.

use serde_json::json;

use crate::support::ws::*;
use crate::support::*;

#[test]
fn two_text_users_in_one_room_read_their_own_language() {
    let s = Server::start(&[]);
    let mut ko = s.connect();
    ko.send("/lang ko");
    ko.expect("* 언어: 한국어 (ko)");
    ko.send("철수");
    ko.expect("* [철수]님이 입장했습니다. (현재 1명 참여 중)");
    let mut en = s.join("bob");
    ko.expect("* [bob]님이 입장했습니다. (현재 2명 참여 중)");
    // What people say is theirs, the same for everyone.
    en.send("안녕하세요");
    ko.expect("[bob] 안녕하세요");
    en.expect("[bob] 안녕하세요");
    ko.send("/join #rust");
    ko.expect("* [철수]님이 #rust에 입장했습니다. (현재 1명 참여 중)");
    en.expect("* 철수 left (1 online)");
    ko.send("/topic 러스트 이야기");
    ko.expect("* [철수]님이 #rust의 주제를 정했습니다: 러스트 이야기");
    // Errors keep their codes; only the words after them change.
    ko.send("/msg nobody hi");
    ko.expect("! no-such-nick: 'nobody'(이)라는 사람은 접속해 있지 않습니다.");
    en.send("/msg nobody hi");
    en.expect("! no-such-nick: nobody called 'nobody' is online");
    ko.send("/lang");
    ko.expect("* 사용할 수 있는 언어: en (English), ko (한국어); 지금 언어: ko");
    ko.send("/kick");
    ko.expect("! bad-args: 사용법: /kick NICK [REASON]");
    ko.send("/lang fr");
    ko.expect("! bad-args: 'fr'은(는) 모르는 언어입니다. 쓸 수 있는 언어: en (English), ko (한국어)");
    ko.send("/help");
    ko.expect("* 명령:");
    ko.expect("*   /who [#ROOM] - 내 대화방(또는 #ROOM)에 누가 있는지 보기");
    ko.skip_until("*   //TEXT - '/'로 시작하는 TEXT 보내기");
    ko.send("/history");
    ko.expect("* #rust의 지난 대화 (1줄):");
    ko.skip_until("* #rust의 지난 대화 끝");
    ko.send("/lang en");
    ko.expect("* language: English (en)");
    en.send("/join #rust");
    ko.expect("* bob joined #rust (2 online)");
}

#[test]
fn the_server_default_language_greets_and_answers() {
    let s = Server::start(&["--lang", "ko"]);
    let mut a = Client::connect(s.addr);
    a.expect("* linechat에 오신 것을 환영합니다 - 채팅 닉네임을 입력하세요.");
    a.send("영희");
    a.expect("* [영희]님이 입장했습니다. (현재 1명 참여 중)");
    let mut b = Client::connect(s.addr);
    b.expect("* linechat에 오신 것을 환영합니다 - 채팅 닉네임을 입력하세요.");
    b.send("영희");
    b.expect("! nick-taken: '영희'은(는) 이미 쓰이고 있는 닉네임입니다. 다른 닉네임을 고르세요.");
    // A client may still read English.
    b.send("/lang en");
    b.expect("* language: English (en)");
    b.send("영희");
    b.expect("! nick-taken: '영희' is already in use; choose another");
    b.send("/me waves");
    b.expect("! not-joined: choose a nickname first");
    a.send("/bye");
    a.expect("* 안녕히 가세요.");
    // Refused at the door in the server's language.
    drop(b);
    let limited = Server::start(&["--lang", "ko", "--max-per-ip", "1"]);
    let mut first = Client::connect(limited.addr);
    first.expect("* linechat에 오신 것을 환영합니다 - 채팅 닉네임을 입력하세요.");
    let mut second = Client::connect(limited.addr);
    second.expect("! too-many-connections: 이 주소에서 접속이 너무 많습니다. 나중에 다시 시도하세요.");
}

#[test]
fn json_and_websocket_clients_choose_a_language_and_payloads_stay_the_same() {
    let s = Server::start_web(&[]);
    let mut j = s.connect();
    j.send_json(&json!({"type": "lang", "payload": "ko"}));
    assert_eq!(j.json(), json!({"type": "lang", "payload": {"langs": ["en", "ko"], "lang": "ko"}}));
    j.send_json(&json!({"type": "nick", "payload": "jo"}));
    assert_eq!(j.json(), json!({"type": "join", "payload": {"nick": "jo", "online": 1, "room": "#lobby"}}));
    j.send_json(&json!({"type": "part", "payload": "#nowhere"}));
    assert_eq!(
        j.json(),
        json!({"type": "error", "payload": {"code": "not-in-room", "message": "#nowhere에 참여하고 있지 않습니다."}})
    );
    j.send_json(&json!({"type": "login", "payload": {"account": "nobody", "password": "wrong-password"}}));
    assert_eq!(
        j.json(),
        json!({"type": "error", "payload": {"code": "auth-failed", "message": "계정이나 비밀번호가 틀렸습니다."}})
    );
    j.send_json(&json!({"type": "msg", "payload": 5}));
    assert_eq!(
        j.json(),
        json!({"type": "error", "payload": {"code": "bad-args", "message": "payload는 이런 모양이어야 합니다: {\"to\": NICK, \"text\": TEXT}"}})
    );
    j.send_json(&json!({"type": "lang", "payload": "xx"}));
    assert_eq!(j.json()["payload"]["code"], "bad-args");
    j.send_json(&json!({"type": "lang"}));
    assert_eq!(j.json(), json!({"type": "lang", "payload": {"langs": ["en", "ko"], "lang": "ko"}}));
    // Over WebSocket, the same.
    let (mut ws, _) = tungstenite::client(
        format!("ws://{}/ws", s.web_addr()),
        std::net::TcpStream::connect(s.web_addr()).unwrap(),
    )
    .unwrap();
    ws.get_mut().set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    assert_eq!(ws_text(&mut ws), "* welcome to linechat - enter a nickname");
    ws.send(tungstenite::Message::text(r#"{"type":"lang","payload":"ko"}"#)).unwrap();
    assert_eq!(ws_json(&mut ws)["payload"]["lang"], "ko");
    ws.send(tungstenite::Message::text(r#"{"type":"nick","payload":"jo"}"#)).unwrap();
    assert_eq!(
        ws_json(&mut ws),
        json!({"type": "error", "payload": {"code": "nick-taken", "message": "'jo'은(는) 이미 쓰이고 있는 닉네임입니다. 다른 닉네임을 고르세요."}})
    );
}

#[test]
fn irc_clients_choose_korean_with_language_and_numerics_follow() {
    let s = Server::start_irc(&[]);
    let mut c = Client::connect(s.irc_addr());
    c.send("CAP LS 302");
    let ls = c.irc_line();
    assert!(ls.contains(" draft/languages=2,en,ko "), "{ls}");
    c.send("CAP REQ :draft/languages");
    assert_eq!(c.irc_line(), ":linechat CAP * ACK :draft/languages");
    c.send("LANGUAGE fr de xx");
    assert_eq!(c.irc_line(), ":linechat 981 * 2 :You specified too many languages");
    c.send("LANGUAGE fr ko");
    assert_eq!(c.irc_line(), ":linechat 982 * fr :Languages are not supported by this server");
    c.send("LANGUAGE ko en");
    assert_eq!(c.irc_line(), ":linechat 687 * ko en :언어를 설정했습니다");
    c.send("CAP END");
    c.send("NICK 민수");
    c.send("USER minsu 0 * :Minsu");
    assert_eq!(c.irc_line(), ":linechat 001 민수 :linechat에 오신 것을 환영합니다, 민수!민수@linechat");
    assert_eq!(c.irc_skip_until(" 375 "), ":linechat 375 민수 :- linechat 오늘의 메시지 -");
    c.irc_skip_until(" 376 ");
    // Codes and parameters stay; only the words change.
    c.send("PART #nowhere");
    assert_eq!(c.irc_line(), ":linechat 403 민수 #nowhere :그런 채널은 없습니다");
    c.send("PRIVMSG nobody :hi");
    assert_eq!(c.irc_line(), ":linechat 401 민수 nobody :그런 닉네임이나 채널은 없습니다");
    c.send("CHATHISTORY TARGETS * * 10");
    assert_eq!(c.irc_line(), "FAIL CHATHISTORY INVALID_PARAMS TARGETS * :잘못된 메시지 참조입니다");
    c.send("PRIVMSG NickServ :HELP");
    assert_eq!(
        c.irc_line(),
        ":NickServ!NickServ@services NOTICE 민수 :NickServ는 등록된 닉네임을 관리합니다. 명령:"
    );
    // An English IRC client on the same server is unchanged.
    let mut en = s.irc_join("eve");
    en.send("PART #nowhere");
    assert_eq!(en.irc_line(), ":linechat 403 eve #nowhere :No such channel");
}

#[test]
fn with_lang_ko_irc_clients_start_in_korean_and_may_switch_back() {
    let s = Server::start_irc(&["--lang", "ko"]);
    let mut c = Client::connect(s.irc_addr());
    c.send("NICK 지수");
    c.send("USER jisu 0 * :Jisu");
    assert_eq!(c.irc_line(), ":linechat 001 지수 :linechat에 오신 것을 환영합니다, 지수!지수@linechat");
    c.irc_skip_until(" 376 ");
    c.send("LANGUAGE en");
    assert_eq!(c.irc_line(), ":linechat 687 지수 en :Language preferences have been set");
    c.send("MOTD");
    assert_eq!(c.irc_line(), ":linechat 375 지수 :- linechat Message of the day -");
}
