//! The IRCv3 capabilities and classic commands modern clients (The Lounge,
//! gamja, Goguma, senpai) rely on, over raw sockets: away-notify,
//! invite-notify, setname, userhost-in-names, cap-notify and sts, MONITOR
//! and extended-monitor, WHOX, WHOWAS, user modes, NAMES and LIST forms,
//! the server's own questions, KNOCK and the server password.

use crate::support::*;

fn join(c: &mut Client, room: &str) {
    c.send(&format!("JOIN {room}"));
    c.irc_skip_until(" 366 ");
}

#[test]
fn away_notify_tells_those_sharing_a_room_and_joiners_show_their_away() {
    let s = Server::start_irc(&[]);
    let mut watcher = s.irc_join_with_caps("watcher", "away-notify");
    let mut plain = s.irc_join("plain");
    let mut walker = s.irc_join("walker");
    for c in [&mut watcher, &mut plain, &mut walker] {
        join(c, "#cafe");
    }
    walker.send("AWAY :out for lunch");
    walker.irc_skip_until(" 306 ");
    assert_eq!(watcher.irc_skip_until("AWAY"), ":walker!~walker@linechat AWAY :out for lunch");
    walker.send("AWAY");
    walker.irc_skip_until(" 305 ");
    assert_eq!(watcher.irc_skip_until("AWAY"), ":walker!~walker@linechat AWAY");
    // Without the capability: nothing.
    assert!(plain.irc_sync().iter().all(|l| !l.contains("AWAY")));

    // Someone away joins: its AWAY follows its JOIN.
    let mut sleeper = s.irc_join("sleeper");
    sleeper.send("AWAY :zzz");
    sleeper.irc_skip_until(" 306 ");
    join(&mut sleeper, "#cafe");
    assert_eq!(watcher.irc_skip_until("sleeper"), ":sleeper!~sleeper@linechat JOIN #cafe");
    assert_eq!(watcher.irc_line(), ":sleeper!~sleeper@linechat AWAY :zzz");
    let seen = plain.irc_sync();
    assert!(seen.iter().any(|l| l.ends_with("JOIN #cafe")) && seen.iter().all(|l| !l.contains("AWAY")));
}

#[test]
fn invite_notify_setname_and_userhost_in_names() {
    let s = Server::start_irc(&[]);
    let mut op = s.irc_join("op");
    join(&mut op, "#club");
    op.send("MODE #club +i");
    op.irc_skip_until("MODE #club +i");
    let mut member = s.irc_join_with_caps("member", "invite-notify setname userhost-in-names multi-prefix");
    op.send("INVITE member #club");
    op.irc_skip_until(" 341 ");
    member.irc_skip_until("INVITE member #club");
    join(&mut member, "#club");
    let mut plain = s.irc_join("plain");
    op.send("INVITE plain #club");
    op.irc_skip_until(" 341 ");
    plain.irc_skip_until("INVITE plain #club");
    // The member with invite-notify sees the invitation sent to another.
    assert_eq!(member.irc_skip_until("INVITE"), ":op!~op@linechat INVITE plain #club");

    member.send("NAMES #club");
    assert_eq!(member.irc_line(), ":linechat 353 member = #club :member!~member@linechat @op!~op@linechat");

    // SETNAME: the sender and setname clients sharing a room hear it;
    // WHOIS and WHO show it.
    op.send("SETNAME :The Operator");
    assert_eq!(op.irc_line(), ":op!~op@linechat SETNAME :The Operator");
    assert_eq!(member.irc_skip_until("SETNAME"), ":op!~op@linechat SETNAME :The Operator");
    member.send("WHOIS op");
    assert_eq!(member.irc_line(), ":linechat 311 member op ~op linechat * :The Operator");
    member.irc_skip_until(" 318 ");
    member.send("WHO op");
    assert_eq!(member.irc_line(), ":linechat 352 member * ~op linechat linechat op H :0 The Operator");
    member.irc_line();
    op.send("SETNAME :");
    assert_eq!(op.irc_line(), "FAIL SETNAME INVALID_REALNAME :Realname is not valid: it may not be empty");
    assert!(op.irc_sync().is_empty());

    // USER needs a realname.
    let mut empty = Client::connect(s.irc_addr());
    empty.send("USER e 0 * :");
    assert_eq!(empty.irc_line(), ":linechat 461 * USER :Not enough parameters");
}

#[test]
fn monitor_follows_nicknames_of_every_face() {
    let s = Server::start_irc(&["--monitor-max", "3"]);
    let mut m = s.irc_join("mon");
    let _present = s.irc_join("present");
    m.send("MONITOR + Present,absent");
    assert_eq!(m.irc_line(), ":linechat 730 mon :present!~present@linechat");
    assert_eq!(m.irc_line(), ":linechat 731 mon :absent");
    // A text user takes the nickname, renames, comes back, leaves.
    let mut text = s.join("absent");
    assert_eq!(m.irc_line(), ":linechat 730 mon :absent!absent@linechat");
    text.send("/nick elsewhere");
    text.skip_until("* absent is now known as elsewhere");
    assert_eq!(m.irc_line(), ":linechat 731 mon :absent");
    text.send("/nick absent");
    text.skip_until("* elsewhere is now known as absent");
    assert_eq!(m.irc_line(), ":linechat 730 mon :absent!absent@linechat");
    text.send("/bye");
    assert_eq!(m.irc_line(), ":linechat 731 mon :absent");

    m.send("MONITOR + a,b,c");
    // Two already watched, room for one more: c does not fit.
    assert_eq!(m.irc_line(), ":linechat 734 mon 3 b,c :Monitor list is full");
    assert_eq!(m.irc_line(), ":linechat 731 mon :a");
    m.send("MONITOR L");
    assert_eq!(m.irc_line(), ":linechat 732 mon :present,absent,a");
    assert_eq!(m.irc_line(), ":linechat 733 mon :End of MONITOR list");
    m.send("MONITOR - present");
    m.send("MONITOR S");
    assert_eq!(m.irc_line(), ":linechat 731 mon :absent,a");
    m.send("MONITOR C");
    m.send("MONITOR L");
    assert_eq!(m.irc_line(), ":linechat 733 mon :End of MONITOR list");
    let _a = s.irc_join("a");
    assert!(m.irc_sync().is_empty(), "a cleared list hears nothing");
    m.send("MONITOR");
    assert_eq!(m.irc_line(), ":linechat 461 mon MONITOR :Not enough parameters");
}

#[test]
fn extended_monitor_hears_away_and_realname_changes_without_a_shared_room() {
    let s = Server::start_irc(&[]);
    let mut m = s.irc_join_with_caps("mon", "extended-monitor away-notify setname");
    let mut far = s.irc_join("far");
    m.send("MONITOR + far");
    m.irc_skip_until(" 730 ");
    far.send("AWAY :gone fishing");
    assert_eq!(m.irc_line(), ":far!~far@linechat AWAY :gone fishing");
    far.send("SETNAME :Far Away");
    assert_eq!(m.irc_line(), ":far!~far@linechat SETNAME :Far Away");
    // Plain MONITOR (no extended-monitor) hears only 730/731.
    let mut plain = s.irc_join_with_caps("plainmon", "away-notify");
    plain.send("MONITOR + far");
    plain.irc_skip_until(" 730 ");
    far.send("AWAY");
    far.irc_skip_until(" 305 ");
    assert!(plain.irc_sync().is_empty());
    assert_eq!(m.irc_line(), ":far!~far@linechat AWAY");
}

#[test]
fn whox_whowas_user_modes_and_lusers() {
    let s = Server::start_irc(&[]);
    let mut q = s.irc_join("asker");
    let mut bot = s.irc_join("botty");
    join(&mut bot, "#den");
    join(&mut q, "#den");
    bot.send("MODE botty +Bi");
    assert_eq!(bot.irc_skip_until("MODE botty"), ":botty!~botty@linechat MODE botty :+Bi");
    bot.send("MODE botty +x");
    assert_eq!(bot.irc_line(), ":linechat 501 botty :Unknown MODE flag");

    q.send("WHO #den %tcnfar,42");
    assert_eq!(q.irc_line(), ":linechat 354 asker 42 #den botty HB@ 0 :botty test");
    assert_eq!(q.irc_line(), ":linechat 354 asker 42 #den asker H 0 :asker test");
    assert_eq!(q.irc_line(), ":linechat 315 asker #den :End of WHO list");
    q.send("WHO botty %nuhs");
    assert_eq!(q.irc_line(), ":linechat 354 asker ~botty linechat linechat botty");
    q.irc_line();
    q.send("WHOIS botty");
    q.irc_skip_until(" 312 ");
    assert_eq!(q.irc_line(), ":linechat 335 asker botty :is a bot");
    q.irc_skip_until(" 318 ");

    // +i: counted apart in LUSERS.
    q.send("LUSERS");
    assert_eq!(q.irc_line(), ":linechat 251 asker :There are 1 users and 1 invisible on 1 servers");
    q.irc_skip_until(" 266 ");

    // WHOWAS: the realname and the time it left, newest first.
    bot.send("NICK robot");
    bot.irc_skip_until("NICK :robot");
    bot.send("QUIT :done");
    q.irc_skip_until("QUIT");
    q.send("WHOWAS botty");
    assert_eq!(q.irc_line(), ":linechat 314 asker botty botty linechat * :botty test");
    assert!(q.irc_line().starts_with(":linechat 312 asker botty linechat :20"));
    assert_eq!(q.irc_line(), ":linechat 369 asker botty :End of WHOWAS");
    q.send("WHOWAS nobody");
    assert_eq!(q.irc_line(), ":linechat 406 asker nobody :There was no such nickname");
    assert_eq!(q.irc_line(), ":linechat 369 asker nobody :End of WHOWAS");
}

#[test]
fn names_without_a_room_and_list_with_elist_conditions() {
    let s = Server::start_irc(&[]);
    let mut a = s.irc_join("anna");
    let mut b = s.irc_join("bert");
    join(&mut a, "#big");
    join(&mut b, "#big");
    join(&mut a, "#small");
    a.send("TOPIC #small :tiny room");
    a.irc_skip_until("TOPIC #small");
    join(&mut a, "#secret");
    a.send("MODE #secret +s");
    a.irc_skip_until("MODE #secret +s");

    b.send("NAMES");
    assert_eq!(b.irc_line(), ":linechat 353 bert = #big :@anna bert");
    assert_eq!(b.irc_line(), ":linechat 353 bert = #small :@anna");
    assert_eq!(b.irc_line(), ":linechat 366 bert * :End of /NAMES list");
    b.send("NAMES #big,#secret");
    assert_eq!(b.irc_line(), ":linechat 353 bert = #big :@anna bert");
    assert_eq!(b.irc_line(), ":linechat 366 bert #big :End of /NAMES list");
    assert_eq!(b.irc_line(), ":linechat 366 bert #secret :End of /NAMES list");

    let list = |b: &mut Client, args: &str| -> Vec<String> {
        b.send(&format!("LIST {args}"));
        b.irc_line();
        let mut rooms = Vec::new();
        loop {
            let l = b.irc_line();
            if l.contains(" 323 ") {
                return rooms;
            }
            rooms.push(l.split(' ').nth(3).unwrap().to_string());
        }
    };
    assert_eq!(list(&mut b, ">1"), ["#big"]);
    assert_eq!(list(&mut b, "<2"), ["#lobby", "#small"]);
    assert_eq!(list(&mut b, "*s*"), ["#small"]);
    assert_eq!(list(&mut b, "!*b*"), ["#small"]);
    assert_eq!(list(&mut b, "T<60"), ["#small"]);
    assert_eq!(list(&mut b, "C<60,>0"), ["#big", "#small"]);
    assert_eq!(list(&mut b, "C>60"), Vec::<String>::new());
    assert_eq!(list(&mut a, "*e*"), ["#secret"]);
    b.send("VERSION");
    let version = b.irc_line();
    assert!(
        version.starts_with(":linechat 351 bert linechat-")
            && version.ends_with("linechat :linechat: one chat for IRC, nc, JSON and web users"),
        "{version}"
    );
    let isupport = b.irc_line();
    for token in ["MONITOR=100", "WHOX", "ELIST=CMNTU", "BOT=B"] {
        assert!(isupport.contains(&format!(" {token} ")), "{token} in {isupport}");
    }
}

#[test]
fn the_servers_own_questions_and_knock() {
    let s = Server::start_irc(&[]);
    let mut c = s.irc_join("curious");
    c.send("TIME");
    let time = c.irc_line();
    assert!(time.starts_with(":linechat 391 curious linechat ") && time.ends_with('Z'), "{time}");
    c.send("INFO");
    assert!(c.irc_line().contains(" 371 curious :linechat-"));
    assert_eq!(c.irc_skip_until(" 374 "), ":linechat 374 curious :End of /INFO list");
    c.send("ADMIN");
    assert_eq!(c.irc_line(), ":linechat 256 curious linechat :Administrative info");
    c.irc_skip_until(" 259 ");
    c.send("HELP knock");
    assert_eq!(c.irc_line(), ":linechat 704 curious KNOCK :KNOCK <#room> [:<message>]");
    assert_eq!(c.irc_line(), ":linechat 706 curious KNOCK :End of /HELP");
    c.send("HELPOP nothing");
    assert_eq!(c.irc_line(), ":linechat 524 curious NOTHING :No help available on this topic");
    c.send("HELP");
    assert!(c.irc_line().starts_with(":linechat 704 curious * :"));
    assert!(c.irc_line().starts_with(":linechat 705 curious * :ADMIN AUTHENTICATE AWAY"));
    c.irc_skip_until(" 706 ");
    c.send("LINKS");
    assert!(c.irc_line().starts_with(":linechat 364 curious linechat linechat :0 linechat-"));
    assert_eq!(c.irc_line(), ":linechat 365 curious * :End of /LINKS list");
    c.send("STATS u");
    assert!(c.irc_line().starts_with(":linechat 242 curious :Server Up 0 days 00:"));
    assert_eq!(c.irc_line(), ":linechat 219 curious u :End of /STATS report");

    let mut op = s.irc_join("keeper");
    join(&mut op, "#vault");
    c.send("KNOCK #vault");
    assert_eq!(c.irc_line(), ":linechat 713 curious #vault :Channel is open");
    op.send("MODE #vault +i");
    op.irc_skip_until("MODE #vault +i");
    c.send("KNOCK #vault :let me in");
    assert_eq!(c.irc_line(), ":linechat 711 curious #vault :Your KNOCK has been delivered");
    assert_eq!(op.irc_line(), ":linechat 710 #vault curious!~curious@linechat :has asked for an invite");
    op.send("KNOCK #vault");
    assert_eq!(op.irc_line(), ":linechat 714 keeper #vault :You're already on that channel");
    c.send("KNOCK #nowhere");
    assert_eq!(c.irc_line(), ":linechat 403 curious #nowhere :No such channel");
}

#[test]
fn a_server_password_is_asked_with_pass() {
    let dir = std::env::temp_dir().join(format!("linechat-ircpass-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("password");
    std::fs::write(&file, "open sesame\n").unwrap();
    let s = Server::start_irc(&["--irc-password", file.to_str().unwrap()]);
    let mut good = Client::connect(s.irc_addr());
    good.send("PASS :open sesame");
    good.send("NICK good");
    good.send("USER good 0 * :Good");
    assert!(good.irc_line().contains(" 001 good "));
    for pass in [Some("PASS :wrong"), None] {
        let mut bad = Client::connect(s.irc_addr());
        if let Some(pass) = pass {
            bad.send(pass);
        }
        bad.send("NICK bad");
        bad.send("USER bad 0 * :Bad");
        assert_eq!(bad.irc_line(), ":linechat 464 * :Password incorrect");
        assert_eq!(bad.irc_line(), "ERROR :Closing Link: bad server password");
        bad.expect_closed();
    }
    assert!(s.log_lines().iter().all(|l| !l.contains("open sesame")));
    // Without the option, PASS is ignored as before.
    let open = Server::start_irc(&[]);
    let mut c = Client::connect(open.irc_addr());
    c.send("PASS whatever");
    c.send("NICK free");
    c.send("USER free 0 * :Free");
    assert!(c.irc_line().contains(" 001 free "));
}

#[cfg(feature = "tls")]
#[test]
fn sts_points_plain_clients_at_tls_and_cap_notify_follows_a_reload() {
    use crate::support::tls::{TestCerts, TlsClient};
    let certs = TestCerts::new("sts");
    let dir = std::env::temp_dir().join(format!("linechat-sts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("linechat.toml");
    std::fs::write(&config, "sts-duration = \"1d\"\n").unwrap();
    let config = config.to_str().unwrap().to_string();
    let s = crate::support::tls::start_with_certs(
        &certs,
        &[
            "--irc-listen",
            "127.0.0.1:0",
            "--ircs-listen",
            "127.0.0.1:0",
            "--http-listen",
            "127.0.0.1:0",
            "--config",
            &config,
        ],
    );
    let port = s.secure.ircs.expect("ircs listener").port();
    let mut plain = Client::connect(s.irc_addr());
    plain.send("CAP LS 302");
    let ls = plain.irc_line();
    assert!(ls.contains(&format!(" sts=port={port},duration=86400 ")), "{ls}");
    // Read, never requested.
    plain.send("CAP REQ sts");
    assert_eq!(plain.irc_line(), ":linechat CAP * NAK :sts");
    // Without 302 there are no values, and so no sts.
    let mut old = Client::connect(s.irc_addr());
    old.send("CAP LS");
    assert!(!old.irc_line().contains("sts"));
    // Over a WebSocket (`/irc`) sts means nothing: a browser cannot follow it.
    let stream = std::net::TcpStream::connect(s.web_addr()).unwrap();
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    let url = format!("ws://{}/irc", s.web_addr());
    let mut web = crate::irc_websocket::IrcWs::over(stream, &url, "text.ircv3.net");
    web.send("CAP LS 302");
    let ls = web.irc_line();
    assert!(ls.contains(" LS :") && !ls.contains("sts"), "{ls}");
    let mut secure = TlsClient::connect(s.secure.ircs.unwrap(), certs.client_config(&[])).unwrap();
    secure.send("CAP LS 302");
    let ls = secure.irc_line();
    assert!(ls.contains(" sts=duration=86400 "), "{ls}");

    // Registered 302 clients hear sts go and come back with reloads.
    plain.send("CAP END");
    plain.send("NICK notified");
    plain.send("USER n 0 * :N");
    plain.irc_skip_until(" 376 ");
    std::fs::write(dir.join("linechat.toml"), "").unwrap();
    s.signal(libc::SIGHUP);
    assert_eq!(plain.irc_line(), ":linechat CAP notified DEL :sts");
    std::fs::write(dir.join("linechat.toml"), "sts-duration = \"2d\"\n").unwrap();
    s.signal(libc::SIGHUP);
    assert_eq!(plain.irc_line(), format!(":linechat CAP notified NEW :sts=port={port},duration=172800"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn account_registration_with_register() {
    let s = Server::start_irc(&[]);
    let mut early = Client::connect(s.irc_addr());
    early.send("REGISTER * * correct-horse");
    assert_eq!(
        early.irc_line(),
        "FAIL REGISTER COMPLETE_CONNECTION_REQUIRED * :Register once connected: your nickname becomes the account"
    );
    let mut c = s.irc_join_with_caps("newbie", "draft/account-registration");
    c.send("REGISTER someoneelse * correct-horse");
    assert_eq!(
        c.irc_line(),
        "FAIL REGISTER ACCOUNT_NAME_MUST_BE_NICK someoneelse :The account name must be your current nickname (or *)"
    );
    c.send("REGISTER newbie * short");
    assert!(c.irc_line().starts_with("FAIL REGISTER WEAK_PASSWORD newbie :"));
    c.send("REGISTER * newbie@example.org correct-horse");
    assert_eq!(c.irc_line(), "REGISTER SUCCESS newbie :Account newbie registered; you are signed in");
    assert!(c.irc_line().contains(" 900 newbie newbie!~newbie@linechat newbie :"));
    c.send("REGISTER * * correct-horse");
    assert!(c.irc_line().starts_with("FAIL REGISTER ALREADY_AUTHENTICATED newbie :"));
    c.send("VERIFY newbie 123456");
    assert_eq!(c.irc_line(), "FAIL VERIFY INVALID_CODE newbie :Nothing here waits for a verification code");
    // The name is now the account's: someone else cannot take it.
    c.send("QUIT");
    c.irc_skip_until("ERROR");
    let mut other = s.irc_join("other");
    other.send("NICK newbie");
    assert_eq!(
        other.irc_line(),
        ":linechat 433 other newbie :Nickname is registered: sign in with SASL, or take another and /msg NickServ IDENTIFY NICK PASSWORD"
    );
}

#[test]
fn a_bots_messages_carry_the_bot_tag() {
    let s = Server::start_irc(&[]);
    let mut reader = s.irc_join_with_caps("reader", "message-tags");
    join(&mut reader, "#den");
    let mut bot = s.irc_join("helper");
    join(&mut bot, "#den");
    reader.irc_skip_until("JOIN #den");
    bot.send("PRIVMSG #den :first words");
    let plain = reader.irc_skip_until("PRIVMSG #den");
    assert!(plain.starts_with("@msgid=") && !plain.contains("bot"), "{plain}");
    bot.send("MODE helper +B");
    bot.irc_skip_until("MODE helper");
    bot.send("PRIVMSG #den :beep");
    let line = reader.irc_skip_until("PRIVMSG #den");
    assert!(line.starts_with("@bot;msgid="), "{line}");
    assert!(line.ends_with(" :helper!~helper@linechat PRIVMSG #den :beep"), "{line}");
    bot.send("PRIVMSG reader :boop");
    assert_eq!(reader.irc_line(), "@bot :helper!~helper@linechat PRIVMSG reader :boop");
    // Renamed, still a bot; a plain client sees no tags.
    bot.send("NICK helper2");
    reader.irc_skip_until("NICK :helper2");
    bot.send("PRIVMSG #den :still here");
    assert!(reader.irc_skip_until("PRIVMSG #den").starts_with("@bot;msgid="));
    let mut plain_reader = s.irc_join("plainreader");
    join(&mut plain_reader, "#den");
    bot.send("PRIVMSG #den :hello all");
    assert_eq!(plain_reader.irc_skip_until("PRIVMSG"), ":helper2!~helper@linechat PRIVMSG #den :hello all");
}

#[test]
fn account_tag_and_extended_join_show_who_is_signed_in() {
    let s = Server::start_irc(&[]);
    let mut tagged = s.irc_join_with_caps("tagged", "account-tag");
    let mut extended = s.irc_join_with_caps("ext", "extended-join message-tags server-time");
    let mut plain = s.irc_join("plain");
    for c in [&mut tagged, &mut extended, &mut plain] {
        join(c, "#cafe");
    }
    let mut nc = s.join("ncuser");
    nc.send("/join #cafe");
    nc.skip_until("* ncuser joined #cafe");
    // A guest (an IRC client) joins: extended-join shows `*` and its realname.
    let mut guest = s.irc_join("guest");
    join(&mut guest, "#cafe");
    assert_eq!(extended.irc_skip_until(":guest!"), ":guest!~guest@linechat JOIN #cafe * :guest test");
    assert_eq!(tagged.irc_skip_until(":guest!"), ":guest!~guest@linechat JOIN #cafe");
    // A signed-in IRC user joins and speaks.
    let mut alice = s.irc_join("alice");
    alice.send("PRIVMSG NickServ :REGISTER correct-horse");
    alice.irc_skip_until(" 900 ");
    join(&mut alice, "#cafe");
    assert_eq!(extended.irc_skip_until(":alice!"), ":alice!~alice@linechat JOIN #cafe alice :alice test");
    assert_eq!(tagged.irc_skip_until(":alice!"), "@account=alice :alice!~alice@linechat JOIN #cafe");
    alice.send("PRIVMSG #cafe :hello tags");
    assert_eq!(
        tagged.irc_skip_until("hello tags"),
        "@account=alice :alice!~alice@linechat PRIVMSG #cafe :hello tags"
    );
    let line = extended.irc_skip_until("hello tags");
    assert!(line.starts_with("@time=") && line.contains(";msgid=") && !line.contains("account="), "{line}");
    alice.send("PRIVMSG tagged :psst");
    assert_eq!(tagged.irc_skip_until("psst"), "@account=alice :alice!~alice@linechat PRIVMSG tagged :psst");
    // A text user signs in: its lines carry its account too.
    nc.send("/register battery-staple");
    nc.skip_until("* registered the account ncuser");
    nc.send("from nc");
    assert_eq!(
        tagged.irc_skip_until("from nc"),
        "@account=ncuser :ncuser!ncuser@linechat PRIVMSG #cafe :from nc"
    );
    // A guest's lines are untagged; clients that asked for neither see what they always saw.
    guest.send("PRIVMSG #cafe :guest line");
    assert_eq!(tagged.irc_skip_until("guest line"), ":guest!~guest@linechat PRIVMSG #cafe :guest line");
    let seen = plain.irc_sync();
    assert!(seen.contains(&":alice!~alice@linechat JOIN #cafe".to_string()), "{seen:?}");
    assert!(seen.contains(&":alice!~alice@linechat PRIVMSG #cafe :hello tags".to_string()), "{seen:?}");
    assert!(seen.contains(&":guest!~guest@linechat JOIN #cafe".to_string()), "{seen:?}");
    assert!(seen.iter().all(|l| !l.contains("account=") && !l.contains(" * :")), "{seen:?}");
}
