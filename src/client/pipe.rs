//! The client with a pipe instead of a terminal: like nc, stdin lines go
//! out and server lines come out on stdout; no reconnecting.

use std::io::{self, Read};
use std::os::fd::AsRawFd;

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll};

use super::{set_nonblocking, Session, SOCK, STDIN};

impl Session {
    /// nc-like: stdin lines go out, server lines come out on stdout.
    pub(super) fn run_pipe(self) -> io::Result<()> {
        use std::io::Write;
        let mut poll = Poll::new()?;
        let mut link = self.connect(&poll)?;
        let stdin_fd = io::stdin().as_raw_fd();
        // A regular file cannot be polled: read it whole, then go on with the socket.
        let mut pending = Vec::new();
        let mut stdin_open =
            poll.registry().register(&mut SourceFd(&stdin_fd), STDIN, Interest::READABLE).is_ok();
        if !stdin_open {
            io::stdin().read_to_end(&mut pending)?;
        }
        let _blocking_again = set_nonblocking(stdin_fd, stdin_open)?;
        let mut events = Events::with_capacity(16);
        let mut out = io::stdout().lock();
        let mut partial = String::new();
        let mut sent_pending = false;
        let mut finished = false;
        loop {
            if !sent_pending && link.sock.peer_addr().is_ok() {
                sent_pending = true;
                if let Some(first) = self.lang_line() {
                    link.send_line(&first)?;
                }
                if let Some(nick) = self.opts.nick.clone() {
                    link.send_line(&self.nick_line(&nick))?;
                }
                for line in String::from_utf8_lossy(&pending).lines() {
                    link.send_line(line)?;
                }
            }
            if sent_pending && !stdin_open && !finished && link.settled() {
                finished = true;
                link.finish();
            }
            if let Err(e) = poll.poll(&mut events, None) {
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            for ev in events.iter() {
                match ev.token() {
                    STDIN => {
                        let mut buf = [0u8; 16384];
                        loop {
                            match io::stdin().lock().read(&mut buf) {
                                Ok(0) => {
                                    stdin_open = false;
                                    break;
                                }
                                Ok(n) => partial.push_str(&String::from_utf8_lossy(&buf[..n])),
                                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                                Err(e) => return Err(e),
                            }
                        }
                        // Until connected (and the nickname sent), input waits its turn.
                        if !sent_pending {
                            pending.extend_from_slice(partial.as_bytes());
                            partial.clear();
                            continue;
                        }
                        while let Some(nl) = partial.find('\n') {
                            let line: String = partial.drain(..=nl).collect();
                            link.send_line(line.trim_end_matches(['\n', '\r']))?;
                        }
                        if !stdin_open && !partial.is_empty() {
                            link.send_line(&std::mem::take(&mut partial))?;
                        }
                    }
                    SOCK => {
                        link.flush()?;
                        let (lines, over) = link.read_lines()?;
                        for line in lines {
                            writeln!(out, "{line}")?;
                        }
                        out.flush()?;
                        if over {
                            return Ok(());
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}
