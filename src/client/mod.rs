//! `linechat client`: a terminal client in the same binary, with no
//! threads: one mio loop over stdin and the socket.
//!
//! On a terminal it keeps a typing line at the bottom (raw mode, a line
//! editor with history) and prints messages above it, so incoming lines
//! never tear through what is being typed; it reconnects when the server
//! goes away and rejoins with the same nickname and room. When stdin is not
//! a terminal it behaves like nc: lines in, lines out.

mod catchup;
mod editor;
mod link;
mod pipe;
mod screen;

use std::io::{self, IsTerminal, Read};
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::AsRawFd;
use std::process::ExitCode;
use std::time::Instant;

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};

use link::{Link, Security, BACKOFF_FIRST, BACKOFF_MAX};

use crate::words::{self, Lang};

const USAGE: &str = "\
linechat client - chat with a linechat server from a terminal

usage: linechat client [OPTIONS] [ADDR]

  ADDR            the server's chat port (host:port) [default: 127.0.0.1:7000]
  --nick NAME     join with this nickname at once
  --json          speak JSON packets: typed lines are sent as they are, received
                  packets are printed raw (for scripting)
  --tls           connect with TLS (the server's --tls-listen port); needs --ca or --insecure
  --ca FILE       trust the server certificate signed by this CA (PEM)
  --insecure      do not check the server's certificate
  --lang CODE     read the server and this client in CODE (en, ko); by default the
                  language of $LANG when the server speaks it
  -h, --help      print this help

On a terminal: Enter sends, Up/Down browse the history, Left/Right/Home/End move,
Backspace/Delete, Ctrl-W deletes a word, Ctrl-U the line before the cursor;
Ctrl-C or Ctrl-D leave (sending /bye). When stdin is not a terminal, lines are
sent and received as with nc.
";

const STDIN: Token = Token(0);
const SOCK: Token = Token(1);
const WINCH: Token = Token(2);

struct Options {
    addr: String,
    nick: Option<String>,
    json: bool,
    security: Security,
    /// The language asked of the server (`--lang`, or `$LANG`'s).
    lang: Option<Lang>,
}

/// The language of `$LANG` (`ko_KR.UTF-8`: Korean), if linechat speaks it
/// and it is not English (which needs no asking).
fn lang_from_env() -> Option<Lang> {
    let env = std::env::var("LC_ALL").or_else(|_| std::env::var("LANG")).ok()?;
    Lang::from_code(env.split('.').next()?).filter(|l| *l != Lang::EN)
}

fn parse(args: Vec<std::ffi::OsString>) -> Result<Option<Options>, String> {
    use lexopt::prelude::*;
    let mut p = lexopt::Parser::from_args(args);
    let mut o = Options {
        addr: "127.0.0.1:7000".into(),
        nick: None,
        json: false,
        security: Security::Plain,
        lang: None,
    };
    let mut lang = None;
    let (mut tls, mut ca, mut insecure) = (false, None, false);
    let e = |e: lexopt::Error| e.to_string();
    while let Some(arg) = p.next().map_err(e)? {
        match arg {
            Short('h') | Long("help") => return Ok(None),
            Long("nick") => o.nick = Some(p.value().map_err(e)?.string().map_err(e)?),
            Long("json") => o.json = true,
            Long("tls") => tls = true,
            Long("ca") => ca = Some(std::path::PathBuf::from(p.value().map_err(e)?)),
            Long("insecure") => insecure = true,
            Long("lang") => {
                let code = p.value().map_err(e)?.string().map_err(e)?;
                let chosen = Lang::from_code(&code)
                    .ok_or_else(|| format!("--lang {code}: these are spoken: {}", words::spoken()))?;
                lang = Some(chosen);
            }
            Value(v) => o.addr = v.string().map_err(e)?,
            _ => return Err(arg.unexpected().to_string()),
        }
    }
    if tls {
        #[cfg(feature = "tls")]
        {
            if ca.is_none() && !insecure {
                return Err("--tls needs --ca FILE or --insecure".into());
            }
            let name = o.addr.rsplit_once(':').map_or(o.addr.as_str(), |(h, _)| h);
            let name = name.trim_start_matches('[').trim_end_matches(']').to_string();
            o.security = Security::Tls { ca, insecure, name };
        }
        #[cfg(not(feature = "tls"))]
        return Err("this linechat was built without TLS".into());
    } else if ca.is_some() || insecure {
        return Err("--ca and --insecure go with --tls".into());
    }
    o.lang = lang.or_else(lang_from_env);
    Ok(Some(o))
}

/// Runs `linechat client ARGS...`.
pub fn main(args: Vec<std::ffi::OsString>) -> ExitCode {
    let opts = match parse(args) {
        Ok(Some(o)) => o,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("linechat client: {e}");
            return ExitCode::from(2);
        }
    };
    let addr = match opts.addr.to_socket_addrs().ok().and_then(|mut a| a.next()) {
        Some(a) => a,
        None => {
            eprintln!("linechat client: cannot resolve {}", opts.addr);
            return ExitCode::from(2);
        }
    };
    let result = if io::stdin().is_terminal() && io::stdout().is_terminal() {
        screen::with_terminal(|screen| Session::new(opts, addr).run_terminal(screen))
    } else {
        Session::new(opts, addr).run_pipe()
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("linechat client: {e}");
            ExitCode::from(1)
        }
    }
}

/// Who we are on the server, to rejoin after a reconnect.
struct Session {
    opts: Options,
    addr: SocketAddr,
    /// The nickname we asked for or were confirmed in.
    nick: Option<String>,
    joined: bool,
    /// The room we are in, when not the default one.
    room: Option<String>,
    /// The user asked to leave: do not reconnect.
    leaving: bool,
    /// Connected again after being in: catch up once back in the room.
    reconnected: bool,
    catch_up: catchup::CatchUp,
}

impl Session {
    fn new(opts: Options, addr: SocketAddr) -> Session {
        let lang = opts.lang.unwrap_or(Lang::EN);
        Session {
            nick: opts.nick.clone(),
            opts,
            addr,
            joined: false,
            room: None,
            leaving: false,
            reconnected: false,
            catch_up: catchup::CatchUp::new(lang),
        }
    }

    fn connect(&self, poll: &Poll) -> io::Result<Link> {
        let mut link = Link::connect(self.addr, &self.opts.security)?;
        poll.registry().register(&mut link.sock, SOCK, Interest::READABLE | Interest::WRITABLE)?;
        Ok(link)
    }

    /// The client's own words (status lines) in its language.
    fn say(&self, key: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
        words::say(self.opts.lang.unwrap_or(Lang::EN), key, args)
    }

    /// The first line on every connection: the language asked for, if any
    /// (before the nickname, so the server's words are in it from the start).
    fn lang_line(&self) -> Option<String> {
        let lang = self.opts.lang?;
        Some(if self.opts.json {
            format!(r#"{{"type":"lang","payload":"{}"}}"#, lang.code())
        } else {
            format!("/lang {}", lang.code())
        })
    }

    /// The line that chooses our nickname.
    fn nick_line(&self, nick: &str) -> String {
        if self.opts.json {
            format!(r#"{{"type":"nick","payload":{}}}"#, serde_json::Value::from(nick))
        } else {
            nick.to_string()
        }
    }

    /// Follows the server's lines about us, so a reconnect can rejoin; says
    /// what to send back (our nickname after the greeting, our room after
    /// the join).
    fn observe(&mut self, line: &str) -> Option<String> {
        // The server's words may be in any language: its messages are
        // matched against the catalogue's.
        if words::matches_any("welcome", line).is_some() {
            self.reconnected = self.joined || self.reconnected;
            self.joined = false;
            return self.nick.clone().map(|n| self.nick_line(&n));
        }
        let nick = self.nick.clone()?;
        let joined = words::matches_any("join", line)
            .map(|found| (found, None))
            .or_else(|| words::matches_any("join-room", line).map(|f| (f.clone(), words::arg(&f, "room"))))
            .filter(|(found, _)| words::arg(found, "nick") == Some(nick.as_str()));
        let renamed = words::matches_any("nick", line)
            .filter(|found| words::arg(found, "old") == Some(nick.as_str()))
            .and_then(|found| words::arg(&found, "new").map(str::to_string));
        if let Some((_, room)) = joined {
            let first = !self.joined;
            self.joined = true;
            if room.is_none() {
                // Back in the default room: rejoin our own after a reconnect.
                let room = if first { self.room.clone() } else { None };
                if room.is_none() {
                    if self.room.is_some() {
                        self.catch_up.moved();
                    }
                    self.room = None;
                    return self.caught_up();
                }
                return room.map(|r| format!("/join {r}"));
            }
            let room = room.map(str::to_string);
            if room != self.room {
                self.catch_up.moved();
            }
            self.room = room;
            return self.caught_up();
        } else if let Some(new) = renamed {
            self.nick = Some(new);
        }
        None
    }

    /// Back in our room after a reconnect: ask what we missed (text mode).
    fn caught_up(&mut self) -> Option<String> {
        if !std::mem::take(&mut self.reconnected) || self.opts.json {
            return None;
        }
        self.catch_up.ask()
    }

    /// A line the user typed: before joining, a plain line is the nickname.
    fn typed(&mut self, line: &str) {
        if !self.joined && !line.starts_with('/') && !self.opts.json && !line.trim().is_empty() {
            self.nick = Some(line.trim().to_string());
        }
        if matches!(line.trim(), "/bye" | "/quit") || line.contains(r#""type":"bye""#) {
            self.leaving = true;
        }
    }

    /// On a terminal: the typing line stays at the bottom; reconnects.
    fn run_terminal(mut self, screen: &mut screen::Screen) -> io::Result<()> {
        use editor::Edit;
        use termion::event::Key;
        let mut poll = Poll::new()?;
        let stdin_fd = io::stdin().as_raw_fd();
        poll.registry().register(&mut SourceFd(&stdin_fd), STDIN, Interest::READABLE)?;
        let _blocking_again = set_nonblocking(stdin_fd, true)?;
        let mut winch = signal_hook_mio::v1_0::Signals::new([signal_hook::consts::SIGWINCH])?;
        poll.registry().register(&mut winch, WINCH, Interest::READABLE)?;
        let mut events = Events::with_capacity(16);
        let mut editor = editor::Editor::default();
        let mut link: Option<Link> = None;
        let mut retry_at = Some(Instant::now());
        let mut backoff = BACKOFF_FIRST;
        screen.status(&self.say("client-connecting", &[("addr", &self.opts.addr)]))?;
        screen.prompt(&editor, &self.prompt())?;
        loop {
            if link.is_none() && retry_at.is_some_and(|t| t <= Instant::now()) {
                retry_at = None;
                match self.connect(&poll) {
                    Ok(mut l) => {
                        if let Some(first) = self.lang_line() {
                            l.send_line(&first)?;
                        }
                        link = Some(l)
                    }
                    Err(e) => {
                        let secs = backoff.as_secs_f32();
                        screen
                            .status(&self.say("client-cannot-connect", &[("error", &e), ("secs", &secs)]))?;
                        retry_at = Some(Instant::now() + backoff);
                        backoff = (backoff * 2).min(BACKOFF_MAX);
                    }
                }
                screen.prompt(&editor, &self.prompt())?;
            }
            let timeout = retry_at.map(|t| t.saturating_duration_since(Instant::now()));
            // A resize (SIGWINCH) interrupts the wait: that is not an error.
            if let Err(e) = poll.poll(&mut events, timeout) {
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
                screen.resized()?;
            }
            let mut lost = false;
            for ev in events.iter() {
                match ev.token() {
                    SOCK => {
                        let Some(l) = link.as_mut() else { continue };
                        let (lines, over) =
                            l.flush().and_then(|()| l.read_lines()).unwrap_or((Vec::new(), true));
                        for line in lines {
                            if words::matches_any("welcome", &line).is_some() {
                                backoff = BACKOFF_FIRST;
                            }
                            if let Some(shown) = self.catch_up.filter(&line) {
                                for missed in shown {
                                    screen.message(&missed, self.nick.as_deref(), self.opts.json)?;
                                }
                                continue;
                            }
                            if let Some(reply) = self.observe(&line) {
                                let _ = l.send_line(&reply);
                            }
                            self.catch_up.seen(&line);
                            screen.message(&line, self.nick.as_deref(), self.opts.json)?;
                        }
                        lost |= over;
                    }
                    STDIN => {
                        let mut buf = [0u8; 4096];
                        let mut keys = Vec::new();
                        loop {
                            match io::stdin().lock().read(&mut buf) {
                                Ok(0) => break,
                                Ok(n) => keys.extend(screen.keys(&buf[..n])),
                                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                                Err(e) => return Err(e),
                            }
                        }
                        for key in keys {
                            let edit = match key {
                                Key::Ctrl('c' | 'd') => {
                                    self.leaving = true;
                                    if let Some(l) = link.as_mut() {
                                        let bye = if self.opts.json { r#"{"type":"bye"}"# } else { "/bye" };
                                        let _ = l.send_line(bye);
                                        l.finish();
                                    }
                                    return Ok(());
                                }
                                Key::Ctrl('w') => editor.delete_word(),
                                Key::Ctrl('u') => editor.delete_to_start(),
                                Key::Ctrl('a') => editor.home(),
                                Key::Ctrl('e') => editor.end(),
                                Key::Char('\n' | '\r') => editor.submit(),
                                Key::Char('\t') => editor.insert(' '),
                                Key::Char(c) if !c.is_control() => editor.insert(c),
                                Key::Backspace => editor.backspace(),
                                Key::Delete => editor.delete(),
                                Key::Left => editor.left(),
                                Key::Right => editor.right(),
                                Key::Home => editor.home(),
                                Key::End => editor.end(),
                                Key::Up => editor.up(),
                                Key::Down => editor.down(),
                                _ => Edit::None,
                            };
                            if let Edit::Submit(line) = edit {
                                self.typed(&line);
                                match link.as_mut() {
                                    Some(l) => l.send_line(&line)?,
                                    None => screen.status(&self.say("client-not-sent", &[]))?,
                                }
                            }
                        }
                    }
                    WINCH => {
                        for _ in winch.pending() {}
                        screen.resized()?;
                    }
                    _ => {}
                }
            }
            if lost {
                if let Some(mut l) = link.take() {
                    let _ = poll.registry().deregister(&mut l.sock);
                }
                if self.leaving {
                    return Ok(());
                }
                self.reconnected |= self.joined;
                self.joined = false;
                let secs = backoff.as_secs_f32();
                screen.status(&self.say("client-lost", &[("secs", &secs)]))?;
                retry_at = Some(Instant::now() + backoff);
                backoff = (backoff * 2).min(BACKOFF_MAX);
            }
            screen.prompt(&editor, &self.prompt())?;
        }
    }

    fn prompt(&self) -> String {
        match (&self.room, self.joined) {
            (Some(room), true) => format!("{room}> "),
            (None, true) => "> ".into(),
            _ => "nick> ".into(),
        }
    }
}

/// Makes stdin non-blocking while it is polled. The flag belongs to the
/// terminal (or pipe) the shell shares, so it is put back when the client
/// ends; see [`NonBlocking`].
fn set_nonblocking(fd: i32, on: bool) -> io::Result<Option<NonBlocking>> {
    if !on {
        return Ok(None);
    }
    // SAFETY: fcntl on our own stdin descriptor, reading and setting its flags.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags < 0 || libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Some(NonBlocking { fd, flags }))
    }
}

/// Gives stdin its blocking mode back when dropped.
struct NonBlocking {
    fd: i32,
    flags: i32,
}

impl Drop for NonBlocking {
    fn drop(&mut self) {
        // SAFETY: restores the flags read from the same descriptor.
        unsafe {
            libc::fcntl(self.fd, libc::F_SETFL, self.flags);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(nick: Option<&str>) -> Session {
        let opts = Options {
            addr: String::new(),
            nick: nick.map(str::to_string),
            json: false,
            security: Security::Plain,
            lang: None,
        };
        Session::new(opts, "127.0.0.1:1".parse().unwrap())
    }

    #[test]
    fn follows_the_server_in_korean_too() {
        let mut s = session(Some("ally"));
        assert_eq!(
            s.observe("* linechat에 오신 것을 환영합니다 - 채팅 닉네임을 입력하세요.").as_deref(),
            Some("ally")
        );
        assert_eq!(s.observe("* [ally]님이 #rust에 입장했습니다. (현재 1명 참여 중)"), None);
        assert_eq!(s.room.as_deref(), Some("#rust"));
        assert_eq!(
            s.observe("* linechat에 오신 것을 환영합니다 - 채팅 닉네임을 입력하세요.").as_deref(),
            Some("ally")
        );
        assert_eq!(
            s.observe("* [ally]님이 입장했습니다. (현재 1명 참여 중)").as_deref(),
            Some("/join #rust")
        );
        s.observe("* [ally]님의 닉네임이 [앨리](으)로 바뀌었습니다.");
        assert_eq!(s.nick.as_deref(), Some("앨리"));
    }

    #[test]
    fn rejoins_with_the_same_nick_and_room_after_a_reconnect() {
        let mut s = session(Some("alice"));
        assert_eq!(s.observe("* welcome to linechat - enter a nickname").as_deref(), Some("alice"));
        assert_eq!(s.observe("* alice joined (1 online)"), None);
        assert_eq!(s.observe("* alice joined #rust (1 online)"), None);
        assert_eq!(s.room.as_deref(), Some("#rust"));
        s.observe("* alice is now known as ally");
        // The server restarts.
        assert_eq!(s.observe("* welcome to linechat - enter a nickname").as_deref(), Some("ally"));
        assert_eq!(s.observe("* ally joined (1 online)").as_deref(), Some("/join #rust"));
        assert_eq!(s.observe("* ally joined #rust (1 online)"), None, "nothing seen to catch up from");
        s.catch_up.seen("[bob] hi");
        // Again: once back in #rust, it asks what it missed.
        s.observe("* welcome to linechat - enter a nickname");
        s.observe("* ally joined (1 online)");
        assert_eq!(s.observe("* ally joined #rust (1 online)").as_deref(), Some("/history 100"));
        // Back to the lobby by choice.
        assert_eq!(s.observe("* ally joined (2 online)"), None);
        assert_eq!(s.room, None);
    }

    #[test]
    fn a_typed_nickname_is_remembered() {
        let mut s = session(None);
        assert_eq!(s.observe("* welcome to linechat - enter a nickname"), None);
        s.typed("bob");
        s.observe("* bob joined (1 online)");
        assert!(s.joined);
        s.typed("/quit");
        assert!(s.leaving);
    }
}
