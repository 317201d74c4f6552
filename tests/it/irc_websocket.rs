//! IRC over WebSocket on the web port (`/irc`): the IRCv3 subprotocols
//! `text.ircv3.net` and `binary.ircv3.net`, one IRC line per frame without
//! its CRLF, in the same rooms as IRC clients on the IRC port and chat
//! clients; also over TLS on the https port.

use crate::support::*;
use std::io::{Read, Write};
use std::net::SocketAddr;
use tungstenite::client::IntoClientRequest;
use tungstenite::{Message, WebSocket};

/// An IRC client speaking through a WebSocket: every frame must be one
/// IRC line without CR or LF, and is handed to the line helpers with the
/// CRLF the IRC port would have sent, so the same helpers read both.
pub struct IrcWs<S: Read + Write> {
    ws: WebSocket<S>,
    binary: bool,
    /// The subprotocol the server chose, if any.
    pub protocol: Option<String>,
}

impl<S: Read + Write> IrcWs<S> {
    pub fn over(stream: S, url: &str, protocols: &str) -> IrcWs<S> {
        let mut req = url.into_client_request().unwrap();
        if !protocols.is_empty() {
            req.headers_mut().insert("Sec-WebSocket-Protocol", protocols.parse().unwrap());
        }
        let (ws, resp) = tungstenite::client(req, stream).expect("handshake");
        assert_eq!(resp.status(), 101);
        let protocol = resp.headers().get("Sec-WebSocket-Protocol").map(|v| v.to_str().unwrap().to_string());
        let binary = protocol.as_deref() == Some("binary.ircv3.net");
        IrcWs { ws, binary, protocol }
    }

    /// The next data frame's bytes, and whether it was binary.
    pub fn frame(&mut self) -> (Vec<u8>, bool) {
        loop {
            match self.ws.read().expect("read a frame") {
                Message::Text(t) => return (t.as_bytes().to_vec(), false),
                Message::Binary(b) => return (b.to_vec(), true),
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("expected a data frame, got {other:?}"),
            }
        }
    }

    pub fn send_frame(&mut self, bytes: &[u8]) {
        let message = if self.binary {
            Message::binary(bytes.to_vec())
        } else {
            Message::text(String::from_utf8(bytes.to_vec()).unwrap())
        };
        self.ws.send(message).expect("send a frame");
    }
}

impl<S: Read + Write> Lines for IrcWs<S> {
    fn read_until_newline(&mut self, buf: &mut Vec<u8>) -> std::io::Result<usize> {
        let (bytes, binary) = self.frame();
        assert_eq!(binary, self.binary, "a frame of the other kind: {:?}", String::from_utf8_lossy(&bytes));
        assert!(
            !bytes.contains(&b'\n') && !bytes.contains(&b'\r'),
            "one IRC line per frame, without CRLF: {:?}",
            String::from_utf8_lossy(&bytes)
        );
        buf.extend_from_slice(&bytes);
        buf.extend_from_slice(b"\r\n");
        Ok(bytes.len() + 2)
    }

    fn write_bytes(&mut self, bytes: &[u8]) {
        // Each line its own frame, as IRC-over-WebSocket clients send them.
        for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            self.send_frame(line);
        }
    }
}

fn connect(addr: SocketAddr, protocols: &str) -> IrcWs<std::net::TcpStream> {
    let stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    IrcWs::over(stream, &format!("ws://{addr}/irc"), protocols)
}

fn register(c: &mut impl Lines, nick: &str) {
    c.send(&format!("NICK {nick}"));
    c.send(&format!("USER {nick} 0 * :{nick} on the web"));
    c.irc_skip_until(" 376 ");
}

#[test]
fn text_frames_carry_one_irc_line_each_in_the_same_rooms() {
    let s = Server::start(&["--irc-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0"]);
    let mut web = connect(s.web_addr(), "text.ircv3.net");
    assert_eq!(web.protocol.as_deref(), Some("text.ircv3.net"));
    web.send("NICK webby");
    web.send("USER webby 0 * :Web Client");
    let welcome = web.irc_line();
    assert!(welcome.contains(" 001 webby "), "{welcome}");
    web.irc_skip_until(" 376 ");
    web.send("JOIN #deck");
    web.irc_skip_until(" 366 webby #deck ");

    let mut irc = s.irc_join("porty");
    irc.send("JOIN #deck");
    irc.irc_skip_until(" 366 ");
    assert!(web.irc_line().contains("porty") && web.irc_sync().is_empty());
    irc.send("PRIVMSG #deck :hello over tcp");
    assert!(web.irc_skip_until("PRIVMSG").ends_with("PRIVMSG #deck :hello over tcp"));
    web.send("PRIVMSG #deck :hello over websocket");
    assert!(irc.irc_skip_until("PRIVMSG").ends_with("PRIVMSG #deck :hello over websocket"));

    // A chat client in the default room, and a message split over lines:
    // each IRC line is its own frame.
    web.send("JOIN #lobby");
    web.irc_skip_until(" 366 ");
    let mut nc = s.join("lineuser");
    web.irc_skip_until("JOIN #lobby");
    nc.send(&"x".repeat(700));
    let first = web.irc_skip_until("PRIVMSG #lobby");
    let second = web.irc_line();
    assert!(first.contains(":lineuser!") && second.contains("PRIVMSG #lobby :x"), "{first} / {second}");

    // A trailing CRLF inside a frame is forgiven, as the document asks.
    web.send_frame(b"PING :crlf-forgiven\r\n");
    assert!(web.irc_line().ends_with("PONG linechat :crlf-forgiven"));
    web.send("QUIT :bye");
    assert!(web.irc_line().starts_with("ERROR :Closing Link: webby"));
    assert!(irc.irc_skip_until("QUIT").contains(":webby!~webby@"));
}

#[test]
fn binary_frames_carry_bytes_and_no_subprotocol_means_text() {
    let s = Server::start_web(&[]);
    let mut bin = connect(s.web_addr(), "binary.ircv3.net, text.ircv3.net");
    assert_eq!(bin.protocol.as_deref(), Some("binary.ircv3.net"));
    register(&mut bin, "binny");
    // Not UTF-8: refused the way the IRC port refuses it, nobody else touched.
    bin.send_frame(b"PRIVMSG #lobby :caf\xe9");
    let (reply, binary) = bin.frame();
    assert!(binary);
    assert_eq!(
        String::from_utf8(reply).unwrap(),
        "FAIL PRIVMSG INVALID_UTF8 :Message rejected: it is not valid UTF-8"
    );
    assert!(bin.irc_sync().is_empty());

    let mut plain = connect(s.web_addr(), "");
    assert_eq!(plain.protocol, None);
    register(&mut plain, "plainy");
    plain.send("JOIN #lobby");
    plain.irc_skip_until(" 366 ");
    bin.send("JOIN #lobby");
    bin.irc_skip_until(" 366 ");
    bin.send("PRIVMSG #lobby :bytes then text");
    assert!(plain.irc_skip_until("PRIVMSG").ends_with("PRIVMSG #lobby :bytes then text"));

    // Without an upgrade, `/irc` says what it speaks.
    let mut http = std::net::TcpStream::connect(s.web_addr()).unwrap();
    http.write_all(b"GET /irc HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut answer = String::new();
    http.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 426 ") && answer.contains("/irc speaks WebSocket only"), "{answer}");
}

#[cfg(feature = "tls")]
#[test]
fn irc_over_websocket_on_the_https_port_may_use_sasl_plain() {
    use crate::support::tls::TestCerts;
    use rustls::pki_types::ServerName;
    use rustls::{ClientConnection, StreamOwned};

    let certs = TestCerts::new("wssirc");
    let s = crate::support::tls::start_with_certs(&certs, &["--https-listen", "127.0.0.1:0"]);
    let https = s.secure.https.expect("https listener");
    let sock = std::net::TcpStream::connect(https).unwrap();
    sock.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    let conn =
        ClientConnection::new(certs.client_config(&[]), ServerName::try_from("localhost").unwrap()).unwrap();
    let mut web = IrcWs::over(
        StreamOwned::new(conn, sock),
        &format!("wss://localhost:{}/irc", https.port()),
        "text.ircv3.net",
    );
    // SASL PLAIN is offered over TLS without --allow-plain-auth.
    web.send("CAP LS 302");
    let ls = web.irc_line();
    assert!(ls.contains("sasl=PLAIN"), "{ls}");
    web.send("CAP REQ :sasl");
    assert!(web.irc_line().contains(" ACK :sasl"));
    web.send("AUTHENTICATE PLAIN");
    assert_eq!(web.irc_line(), "AUTHENTICATE +");
    // No such account: 904, not "PLAIN needs TLS".
    web.send(&format!("AUTHENTICATE {}", base64_plain("nobody", "secret-words")));
    let refused = web.irc_skip_until(" 904 ");
    assert!(refused.contains("904"), "{refused}");
    web.send("CAP END");
    register(&mut web, "secure");
}

#[cfg(feature = "tls")]
fn base64_plain(user: &str, password: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{password}"))
}
