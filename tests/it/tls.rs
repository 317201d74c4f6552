//! TLS on every listener, in the same loop: the chat port, https/wss and
//! ircs, with a rustls client, certificates made by openssl for each test,
//! and plain clients beside them.

#![cfg(feature = "tls")]

use crate::support::tls::{client_config_for, TestCerts, TlsClient};
use crate::support::*;
use std::io::{Read, Write};
use std::net::TcpStream;

fn start(certs: &TestCerts, extra: &[&str]) -> Server {
    let mut args = vec!["--tls-listen", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    crate::support::tls::start_with_certs(certs, &args)
}

fn tls_addr(s: &Server) -> std::net::SocketAddr {
    s.secure.tls.expect("tls listener")
}

#[test]
fn tls_chat_port_speaks_the_line_protocol_with_plain_users() {
    let certs = TestCerts::new("chat");
    let s = start(&certs, &[]);
    let mut plain = s.join("plain");
    let mut secure = TlsClient::connect(tls_addr(&s), certs.client_config(&[])).expect("handshake");
    secure.expect(WELCOME);
    secure.send("secure");
    secure.expect("* secure joined (2 online)");
    plain.expect("* secure joined (2 online)");
    plain.send("hello over tcp");
    plain.expect("[plain] hello over tcp");
    secure.expect("[plain] hello over tcp");
    secure.send("/join #vault");
    secure.expect("* secure joined #vault (1 online)");
    secure.send(&"ü".repeat(2000));
    secure.expect(&format!("[secure] {}", "ü".repeat(2000)));
    // JSON mode over TLS too.
    let mut json = TlsClient::connect(tls_addr(&s), certs.client_config(&[])).unwrap();
    json.expect(WELCOME);
    json.send(r##"{"type":"nick","payload":"jay"}"##);
    assert_eq!(json.line(), r##"{"type":"join","payload":{"nick":"jay","online":2,"room":"#lobby"}}"##);
    assert!(s.log_lines().iter().any(|l| l.contains("tls listening on ")));
}

#[test]
fn https_serves_the_page_health_and_metrics_with_alpn() {
    let certs = TestCerts::new("https");
    let s = crate::support::tls::start_with_certs(&certs, &["--https-listen", "127.0.0.1:0"]);
    let https = s.secure.https.expect("https listener");
    let get = |path: &str, alpn: &[&[u8]]| {
        let mut c = TlsClient::connect(https, certs.client_config(alpn)).unwrap();
        let negotiated = c.alpn();
        c.send_raw(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes());
        (negotiated, c.read_to_end().expect("a clean TLS close after the response"))
    };
    let (alpn, health) = get("/healthz", &[b"h2", b"http/1.1"]);
    assert_eq!(alpn.as_deref(), Some(&b"http/1.1"[..]));
    assert!(health.starts_with("HTTP/1.1 200 OK\r\n") && health.ends_with("ok\n"), "{health}");
    let (_, page) = get("/", &[]);
    assert!(page.contains("<title>linechat</title>"));
    let (_, metrics) = get("/metrics", &[]);
    assert!(metrics.contains("linechat_tls_connections{listener=\"web\"} 1\n"), "{metrics}");
    assert!(s.log_lines().iter().any(|l| l.contains("web page at https://")));
}

#[test]
fn ircs_registers_irc_clients_over_tls() {
    let certs = TestCerts::new("ircs");
    let s = crate::support::tls::start_with_certs(&certs, &["--ircs-listen", "127.0.0.1:0"]);
    let mut plain = s.join("plain");
    let mut irc = TlsClient::connect(s.secure.ircs.unwrap(), certs.client_config(&[])).unwrap();
    irc.send("NICK bob\r\nUSER bob 0 * :Bob\r\nJOIN #lobby");
    assert_eq!(irc.irc_line(), ":linechat 001 bob :Welcome to linechat, bob!bob@linechat");
    irc.irc_skip_until(":bob!~bob@linechat JOIN #lobby");
    plain.expect("* bob joined (2 online)");
    plain.send("hi bob");
    irc.irc_skip_until(":plain!plain@linechat PRIVMSG #lobby :hi bob");
    assert!(s.log_lines().iter().any(|l| l.contains("ircs listening on ")));
}

#[test]
fn plain_clients_on_tls_ports_and_tls_clients_on_plain_ports_are_refused_alone() {
    let certs = TestCerts::new("mixup");
    let s = start(&certs, &["--http-listen", "127.0.0.1:0"]);
    let mut bystander = s.join("bystander");
    // nc on the TLS port: its line is not a TLS record; it gets an alert and is closed.
    let mut nc = Client::connect(tls_addr(&s));
    nc.send("alice");
    let mut rest = Vec::new();
    let _ = nc.stream.read_to_end(&mut rest);
    assert!(!String::from_utf8_lossy(&rest).contains("welcome"), "no plaintext leaks: {rest:?}");
    // A TLS client on the plain chat and web ports: closed, no handshake.
    for addr in [s.addr, s.web_addr()] {
        let refused = TlsClient::connect(addr, certs.client_config(&[]));
        assert!(refused.is_err(), "a TLS handshake on a plain port must fail");
    }
    bystander.send("still here");
    bystander.expect("[bystander] still here");
    let mut m = Client::connect(s.web_addr());
    m.send_raw(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut body = String::new();
    m.stream.read_to_string(&mut body).unwrap();
    assert!(body.contains("linechat_tls_handshake_failures_total 1\n"), "{body}");
    assert!(body.contains("linechat_tls_on_plain_port_total 2\n"), "{body}");
}

#[test]
fn handshakes_that_never_finish_are_closed_at_the_nick_timeout() {
    let certs = TestCerts::new("slowhello");
    // 3 s of slack for the good handshake; the timeout itself is tested in-process.
    let s = start(&certs, &["--nick-timeout", "3s"]);
    let mut silent = TcpStream::connect(tls_addr(&s)).unwrap();
    silent.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    // Half a ClientHello, then nothing.
    silent.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01]).unwrap();
    let mut got = Vec::new();
    silent.read_to_end(&mut got).expect("closed, not left hanging");
    // At most a TLS alert (close_notify): no plaintext reached it.
    assert!(got.is_empty() || got[0] == 0x15, "only an alert record: {got:?}");
    // Garbage inside a handshake closes that connection alone.
    let mut garbage = TcpStream::connect(tls_addr(&s)).unwrap();
    garbage.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    garbage.write_all(&[0x16, 0x03, 0x01, 0x00, 0x05, 0xde, 0xad, 0xbe, 0xef, 0x00]).unwrap();
    let mut rest = Vec::new();
    let _ = garbage.read_to_end(&mut rest);
    let mut fine = TlsClient::connect(tls_addr(&s), certs.client_config(&[])).unwrap();
    fine.expect(WELCOME);
}

#[test]
fn an_https_connection_that_never_says_hello_is_closed_at_the_nick_timeout() {
    let certs = TestCerts::new("httpshello");
    let s = start(&certs, &["--https-listen", "127.0.0.1:0", "--nick-timeout", "2s"]);
    let https = s.secure.https.expect("https listener");
    // Nothing at all, then half a ClientHello: both are closed at the
    // handshake timeout (2 s), long before the 10 s allowed a request head
    // (the read below would time out at 8 s).
    for first in [&[][..], &[0x16, 0x03, 0x01, 0x02, 0x00, 0x01][..]] {
        let mut silent = TcpStream::connect(https).unwrap();
        silent.set_read_timeout(Some(std::time::Duration::from_secs(8))).unwrap();
        silent.write_all(first).unwrap();
        let mut got = Vec::new();
        silent.read_to_end(&mut got).expect("closed at the handshake timeout");
        assert!(got.is_empty() || got[0] == 0x15, "only an alert record: {got:?}");
    }
    // A client that does say hello has its 10 s for the request head.
    let mut fine = TlsClient::connect(https, certs.client_config(&[])).unwrap();
    fine.send_raw(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let page = fine.read_to_end().expect("a clean TLS close after the response");
    assert!(page.starts_with("HTTP/1.1 200 OK\r\n") && page.ends_with("ok\n"), "{page}");
}

#[test]
fn sighup_reloads_the_certificate_and_keeps_sessions() {
    let certs = TestCerts::new("reload");
    let s = start(&certs, &[]);
    let first_ca = certs.dir.join("first-ca.pem");
    std::fs::copy(&certs.ca, &first_ca).unwrap();
    let mut old = TlsClient::connect(tls_addr(&s), certs.client_config(&[])).unwrap();
    old.expect(WELCOME);
    old.send("old");
    old.expect("* old joined (1 online)");
    // Renewal: a new pair from a new CA, then SIGHUP.
    certs.issue("renewed");
    s.signal(libc::SIGHUP);
    s.wait_log("reloaded the TLS certificate for the chat port");
    let mut new = TlsClient::connect(tls_addr(&s), certs.client_config(&[])).expect("new CA trusted");
    new.expect(WELCOME);
    assert!(
        TlsClient::connect(tls_addr(&s), client_config_for(&first_ca, &[])).is_err(),
        "new handshakes use the new certificate"
    );
    new.send("new");
    new.expect("* new joined (2 online)");
    old.expect("* new joined (2 online)");
    // A broken pair is refused and the current one kept.
    std::fs::write(&certs.key, "not a key").unwrap();
    s.signal(libc::SIGHUP);
    s.wait_log("the chat port keeps its current certificate");
    let mut again = TlsClient::connect(tls_addr(&s), certs.client_config(&[])).expect("still serving");
    again.expect(WELCOME);
    old.send("still talking");
    old.expect("[old] still talking");
}

#[test]
fn shutdown_says_goodbye_and_sends_close_notify() {
    let certs = TestCerts::new("shutdown");
    let mut s = start(&certs, &[]);
    let mut c = TlsClient::connect(tls_addr(&s), certs.client_config(&[])).unwrap();
    c.expect(WELCOME);
    c.send("alice");
    c.expect("* alice joined (1 online)");
    s.signal(libc::SIGTERM);
    c.expect("* server shutting down");
    assert_eq!(c.read_to_end().expect("close_notify, not a bare EOF"), "");
    assert!(s.wait_exit().success());
}

#[test]
fn tls_slow_consumers_are_dropped_and_count_against_max_clients() {
    let certs = TestCerts::new("slow");
    let s = start(&certs, &["--max-outbuf", "64K", "--max-clients", "3", "--max-line", "64K"]);
    let mut reader = s.join("reader");
    let mut sleeper = TlsClient::connect(tls_addr(&s), certs.client_config(&[])).unwrap();
    sleeper.expect(WELCOME);
    sleeper.send("sleeper");
    sleeper.expect("* sleeper joined (2 online)");
    reader.expect("* sleeper joined (2 online)");
    // The third connection fills the server: a fourth, TLS or not, is refused.
    let _third = TlsClient::connect(tls_addr(&s), certs.client_config(&[])).unwrap();
    let mut fourth = Client::connect(s.addr);
    assert!(fourth.line().starts_with("! server-full:"));
    // sleeper never reads; the room keeps talking.
    let line = "z".repeat(60_000);
    // The sleeper's leave may come before or after any echo of reader's.
    let mut left = false;
    for i in 0..1000 {
        reader.send(&format!("{i} {line}"));
        let echo = format!("[reader] {i} {line}");
        loop {
            let l = reader.line();
            if l == "* sleeper left (1 online)" {
                left = true;
            } else {
                assert_eq!(l, echo);
                break;
            }
        }
        if left || s.log_lines().iter().any(|l| l.contains("slow consumer")) {
            break;
        }
    }
    s.wait_log("dropped: slow consumer");
    if !left {
        reader.expect("* sleeper left (1 online)");
    }
    reader.send("after");
    reader.expect("[reader] after");
}

#[test]
fn a_missing_or_broken_certificate_is_a_start_up_error_naming_it() {
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_linechat"))
            .args(["--listen", "127.0.0.1:0", "--http-listen", "off", "--tls-listen", "127.0.0.1:0"])
            .args(args)
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (code, err) = run(&["--tls-cert", "/nonexistent/cert.pem", "--tls-key", "/nonexistent/key.pem"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("cannot read the TLS certificate /nonexistent/cert.pem"), "{err}");
    let certs = TestCerts::new("broken");
    let other = TestCerts::new("other");
    let (code, err) =
        run(&["--tls-cert", certs.cert.to_str().unwrap(), "--tls-key", other.key.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert!(err.contains("do not make a pair"), "{err}");
    let (code, err) = run(&[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("need --tls-cert and --tls-key"), "{err}");
}

/// A TLS client that reads the raw records itself, to count them.
struct RecordCounter {
    sock: TcpStream,
    tls: rustls::ClientConnection,
    raw: Vec<u8>,
    /// (content type, length) of every record read.
    records: Vec<(u8, usize)>,
    plaintext: String,
}

impl RecordCounter {
    fn connect(s: &Server, certs: &TestCerts) -> RecordCounter {
        use rustls::pki_types::ServerName;
        let sock = TcpStream::connect(tls_addr(s)).unwrap();
        sock.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        let tls = rustls::ClientConnection::new(certs.client_config(&[]), name).unwrap();
        RecordCounter { sock, tls, raw: Vec::new(), records: Vec::new(), plaintext: String::new() }
    }

    fn send(&mut self, line: &str) {
        self.tls.writer().write_all(format!("{line}\n").as_bytes()).unwrap();
    }

    /// Reads until the plaintext contains `text`.
    fn pump_until(&mut self, text: &str) {
        while !self.plaintext.contains(text) {
            while self.tls.wants_write() {
                self.tls.write_tls(&mut self.sock).unwrap();
            }
            let mut buf = [0u8; 65536];
            let n = self.sock.read(&mut buf).expect("server data");
            assert!(n > 0, "closed early");
            self.raw.extend_from_slice(&buf[..n]);
            // Whole records only: count them, then give them to rustls.
            let mut used = 0;
            while self.raw.len() - used >= 5 {
                let len = u16::from_be_bytes([self.raw[used + 3], self.raw[used + 4]]) as usize;
                if self.raw.len() - used < 5 + len {
                    break;
                }
                self.records.push((self.raw[used], len));
                used += 5 + len;
            }
            let whole: Vec<u8> = self.raw.drain(..used).collect();
            let mut rd = &whole[..];
            while !rd.is_empty() {
                self.tls.read_tls(&mut rd).unwrap();
                self.tls.process_new_packets().unwrap();
            }
            let mut chunk = Vec::new();
            let _ = self.tls.reader().read_to_end(&mut chunk);
            self.plaintext.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

#[test]
fn a_ticks_output_reaches_a_tls_client_as_one_record() {
    let certs = TestCerts::new("records");
    let s = start(&certs, &[]);
    let mut plain = s.join("plain");
    let mut counter = RecordCounter::connect(&s, &certs);
    counter.send("secure");
    counter.pump_until("* secure joined (2 online)");
    plain.expect("* secure joined (2 online)");
    let before = counter.records.len();
    // 50 lines in one write are handled in one tick: one record carries them all.
    let burst: String = (0..50).map(|i| format!("line {i}\n")).collect();
    plain.send_raw(burst.as_bytes());
    counter.pump_until("[plain] line 49\n");
    let data: Vec<&(u8, usize)> = counter.records[before..].iter().filter(|(kind, _)| *kind == 23).collect();
    assert!(
        !data.is_empty() && data.len() <= 2,
        "50 lines of one tick came as {} application-data records: {data:?}",
        data.len()
    );
    for i in 0..50 {
        assert!(counter.plaintext.contains(&format!("[plain] line {i}\n")));
    }
}

#[test]
fn sasl_external_signs_in_with_a_certificate_the_account_lists() {
    let certs = TestCerts::new("external");
    let s = crate::support::tls::start_with_certs(
        &certs,
        &["--tls-listen", "127.0.0.1:0", "--ircs-listen", "127.0.0.1:0"],
    );
    let (fp, with_cert) = certs.client_identity("alice");
    let hex = fp.replace(':', "").to_lowercase();
    // Over the chat TLS port: register, then add this connection's certificate.
    let mut text = TlsClient::connect(tls_addr(&s), with_cert.clone()).expect("handshake with a certificate");
    text.expect(WELCOME);
    text.send("alice");
    text.skip_until("* alice joined");
    text.send("/certfp add");
    text.expect("! needs-account: sign in first (/login NAME PASSWORD)");
    text.send("/register correct-horse");
    text.skip_until("* registered the account alice");
    text.send("/certfp");
    text.skip_until("* certificate fingerprints of alice (0):");
    text.expect(&format!("* this connection's certificate: {hex}"));
    text.send("/certfp add");
    text.expect("* certificate fingerprints of alice (1):");
    text.expect(&format!("* {hex}"));
    text.expect(&format!("* this connection's certificate: {hex}"));
    text.send("/certfp add 12:34");
    text.expect("! bad-args: '12:34' is not a certificate fingerprint: 64 hex digits (SHA-256)");
    text.send(&format!("/certfp add {fp}"));
    text.expect("* certificate fingerprints of alice (1):");
    text.send("/bye");
    text.skip_until("* bye");

    // IRC over TLS with that certificate: SASL EXTERNAL signs in.
    let mut irc = TlsClient::connect(s.secure.ircs.unwrap(), with_cert.clone()).unwrap();
    irc.send("CAP LS 302");
    assert!(irc.irc_line().contains("sasl=PLAIN,EXTERNAL"));
    irc.send("CAP REQ :sasl");
    irc.irc_skip_until(" ACK :sasl");
    irc.send("NICK alice");
    irc.send("USER alice 0 * :Alice");
    irc.send("AUTHENTICATE EXTERNAL");
    assert_eq!(irc.irc_line(), "AUTHENTICATE +");
    irc.send("AUTHENTICATE +");
    // Before CAP END the nickname is not yet taken: `*`, as with PLAIN.
    assert_eq!(irc.irc_line(), ":linechat 900 * *!~alice@linechat alice :You are now logged in as alice");
    assert_eq!(irc.irc_line(), ":linechat 903 * :SASL authentication successful");
    irc.send("CAP END");
    irc.irc_skip_until(" 001 alice ");
    irc.send("PRIVMSG NickServ :CERT LIST");
    irc.irc_skip_until("certificate fingerprints of alice (1)");
    irc.irc_skip_until(&hex);

    // No certificate, or one no account lists: 904; an authorization identity must match.
    let mut bare = TlsClient::connect(s.secure.ircs.unwrap(), certs.client_config(&[])).unwrap();
    let mut other = TlsClient::connect(s.secure.ircs.unwrap(), certs.client_identity("mallory").1).unwrap();
    let mut claims = TlsClient::connect(s.secure.ircs.unwrap(), with_cert).unwrap();
    let b64 = |s: &str| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(s)
    };
    for (c, response) in
        [(&mut bare, "+".to_string()), (&mut other, "+".to_string()), (&mut claims, b64("bob"))]
    {
        c.send("CAP REQ :sasl");
        c.irc_skip_until(" ACK :sasl");
        c.send("AUTHENTICATE EXTERNAL");
        assert_eq!(c.irc_line(), "AUTHENTICATE +");
        c.send(&format!("AUTHENTICATE {response}"));
        assert_eq!(c.irc_line(), ":linechat 904 * :SASL authentication failed");
    }
    // JSON clients list and change them with `certfp` packets.
    let mut json = TlsClient::connect(tls_addr(&s), certs.client_config(&[])).unwrap();
    json.expect(WELCOME);
    json.send_json(
        &serde_json::json!({"type": "login", "payload": {"account": "alice", "password": "correct-horse"}}),
    );
    json.json_skip_until("account");
    json.send_json(&serde_json::json!({"type": "certfp"}));
    let list = json.json_skip_until("certfp");
    assert_eq!(
        list["payload"],
        serde_json::json!({"account": "alice", "fingerprints": [hex], "yours": null})
    );
    json.send_json(&serde_json::json!({"type": "certfp", "payload": {"action": "add"}}));
    assert_eq!(json.json_skip_until("error")["payload"]["code"], "bad-args");

    // Removed: the certificate signs nobody in any more.
    irc.send(&format!("PRIVMSG NickServ :CERT DEL {hex}"));
    irc.irc_skip_until("certificate fingerprints of alice (0)");
    claims.send("AUTHENTICATE EXTERNAL");
    claims.irc_line();
    claims.send("AUTHENTICATE +");
    assert_eq!(claims.irc_line(), ":linechat 904 * :SASL authentication failed");
}
