//! The listener table: each listening socket with the face its connections
//! speak and its security (plain or TLS), and accepting from them, including
//! the refusals when the server is full or the process is out of file
//! descriptors. TLS certificates are reloaded here on SIGHUP.
//!
//! A face says how a connection starts and frames its input; what its lines
//! mean is the service's business.

use std::io::{self, Write};
use std::net::{Shutdown, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use log::{debug, error, info, warn};
use mio::net::{TcpListener, TcpStream};
use mio::{Interest, Token};

use crate::conn::{Conn, Framing, LineSplitter, Transport};
use crate::reactor::{Reactor, Service};
use crate::tls::{self, CertFiles, ServerConfig, Tls};
use crate::web::{self, HttpHead};

/// Why a connection is refused at the door.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `--max-clients` reached, or no file descriptors left.
    Full,
    /// `--max-per-ip` reached for the client's address.
    PerAddress,
}

/// What a listener's connections speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    /// The chat port: text or JSON lines.
    Lines,
    /// The web port: HTTP, and the chat's lines over WebSocket.
    Web,
    /// IRC client protocol lines.
    Irc,
}

impl Face {
    pub fn name(self) -> &'static str {
        match self {
            Face::Lines => "chat",
            Face::Web => "web",
            Face::Irc => "irc",
        }
    }
}

/// A listening socket.
pub struct Listener {
    pub sock: TcpListener,
    pub face: Face,
    /// Longest input line its connections may send.
    pub max_line: usize,
    /// On a TLS listener: the certificate files and the configuration
    /// new connections start with.
    pub tls: Option<(CertFiles, Arc<ServerConfig>)>,
}

/// A listener as `main` binds it, for [`Reactor::new`].
pub struct Bound {
    pub sock: std::net::TcpListener,
    pub face: Face,
    pub max_line: usize,
    pub tls: Option<(CertFiles, Arc<ServerConfig>)>,
}

/// The TLS configuration for a listener of `face`: the web listener offers
/// ALPN `http/1.1`.
pub fn tls_config(files: &CertFiles, face: Face) -> Result<Arc<ServerConfig>, String> {
    let alpn: &[&[u8]] = if face == Face::Web { &[b"http/1.1"] } else { &[] };
    tls::load_config(files, alpn)
}

/// Listener `i` polls under this token; connections use the low tokens.
pub fn token(i: usize) -> Token {
    Token(usize::MAX - 2 - i)
}

/// The listener index behind `token`, if it is one.
pub fn index(token: Token, listeners: usize) -> Option<usize> {
    let i = (usize::MAX - 2).checked_sub(token.0)?;
    (i < listeners).then_some(i)
}

/// When descriptors run out, how long to wait before accepting again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

impl<S: Service> Reactor<S> {
    /// SIGHUP: reads every TLS listener's certificate and key again. New
    /// handshakes use the new pair; a pair that fails to load is logged and
    /// the old one kept; open sessions are not touched.
    pub(crate) fn reload_tls(&mut self) {
        for l in &mut self.listeners {
            let Some((files, config)) = l.tls.as_mut() else { continue };
            match tls_config(files, l.face) {
                Ok(fresh) => {
                    *config = fresh;
                    info!("reloaded the TLS certificate for the {} port", l.face.name());
                }
                Err(e) => error!("{e}; the {} port keeps its current certificate", l.face.name()),
            }
        }
    }

    /// Called when listener `i` is readable: accept until its backlog is empty.
    pub(crate) fn accept_ready(&mut self, i: usize) {
        if self.stopping_until.is_some() || self.accept_paused_until.is_some() {
            return;
        }
        loop {
            match self.listeners[i].sock.accept() {
                Ok((sock, peer)) => self.admit(sock, peer, i),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e)
                    if matches!(e.kind(), io::ErrorKind::Interrupted | io::ErrorKind::ConnectionAborted) => {}
                Err(e) if matches!(e.raw_os_error(), Some(libc::EMFILE) | Some(libc::ENFILE)) => {
                    // Linux reports EMFILE before it looks at the backlog, so
                    // this does not even mean anyone is waiting.
                    match self.refuse_with_reserve(i) {
                        Some(true) => {}
                        Some(false) => return,
                        None => {
                            // No spare descriptor either: try again shortly.
                            self.accept_paused_until = Some(self.out.now + ACCEPT_BACKOFF);
                            return;
                        }
                    }
                }
                Err(e) => {
                    error!("accept failed: {e}");
                    self.accept_paused_until = Some(self.out.now + ACCEPT_BACKOFF);
                    return;
                }
            }
        }
    }

    /// Out of descriptors: free the spare one, accept a waiting client only
    /// to tell it the server is full, and take the spare back.
    /// Returns whether one was refused (`Some(false)`: nobody was waiting),
    /// or `None` when there is no spare to use.
    fn refuse_with_reserve(&mut self, i: usize) -> Option<bool> {
        self.reserve_fd.take()?;
        let refused = match self.listeners[i].sock.accept() {
            Ok((sock, peer)) => {
                self.out.stats.accept_fd_exhausted += 1;
                warn!("out of file descriptors: refusing {peer}");
                self.refuse(sock, i, Refusal::Full);
                true
            }
            Err(_) => false,
        };
        self.reserve_fd = std::fs::File::open("/dev/null").ok();
        self.reserve_fd.as_ref()?;
        Some(refused)
    }

    /// Tells a client it cannot come in, in its face's words, and hangs up.
    /// On a TLS listener there is no session to say it in: it is just closed.
    fn refuse(&mut self, mut sock: TcpStream, i: usize, why: Refusal) {
        match why {
            Refusal::Full => self.out.stats.rejected_full += 1,
            Refusal::PerAddress => self.out.stats.rejected_per_address += 1,
        }
        let face = self.listeners[i].face;
        if self.listeners[i].tls.is_none() {
            // Best effort: a fresh socket's buffer takes one short reply.
            let reply = match face {
                Face::Web => web::response(
                    "503 Service Unavailable",
                    "text/plain",
                    self.service.refusal(Face::Lines, why),
                ),
                face => self.service.refusal(face, why).to_vec(),
            };
            let _ = sock.write(&reply);
        }
        let _ = sock.shutdown(Shutdown::Write);
    }

    fn admit(&mut self, mut sock: TcpStream, peer: SocketAddr, i: usize) {
        let face = self.listeners[i].face;
        if self.out.conns.len() >= self.limits.max_clients {
            warn!("server full ({} connections): refusing {peer}", self.out.conns.len());
            self.refuse(sock, i, Refusal::Full);
            return;
        }
        let ip = peer.ip();
        let counted = self.limits.max_per_address > 0;
        if counted {
            let open = self.per_address.get(&ip).copied().unwrap_or(0);
            if open as usize >= self.limits.max_per_address {
                debug!("{peer}: {open} connections from this address already; refused");
                self.refuse(sock, i, Refusal::PerAddress);
                return;
            }
        }
        let _ = sock.set_nodelay(true);
        let entry = self.out.conns.vacant_entry();
        let id = entry.key();
        if let Err(e) =
            self.poll.registry().register(&mut sock, Token(id), Interest::READABLE | Interest::WRITABLE)
        {
            error!("register {peer}: {e}");
            return;
        }
        let tls = match &self.listeners[i].tls {
            None => None,
            Some((_, config)) => match Tls::new(config.clone()) {
                Ok(tls) => Some(Box::new(tls)),
                Err(e) => {
                    error!("TLS for {peer}: {e}");
                    return;
                }
            },
        };
        if tls.is_some() {
            self.out.stats.open_tls[face as usize] += 1;
        }
        if counted {
            *self.per_address.entry(ip).or_insert(0) += 1;
        }
        let ip = counted.then_some(ip);
        self.next_serial += 1;
        self.out.stats.accepted += 1;
        if face == Face::Web {
            let framing = Framing::Http(HttpHead::default());
            let conn = entry.insert(Conn::new(sock, Transport::Http, i as u8, framing, self.next_serial));
            (conn.tls, conn.ip) = (tls, ip);
            self.out.stats.open_http += 1;
            // Over TLS the handshake must end within --nick-timeout, as on
            // the other TLS ports; then (or at once on the plain port) the
            // request head must arrive within 10 s (or the close grace).
            let head = self.limits.close_grace.max(crate::reactor::HTTP_HEAD_TIMEOUT);
            let conn = &mut self.out.conns[id];
            conn.awaiting_handshake = conn.tls.is_some();
            let wait = if conn.awaiting_handshake { self.limits.tls_handshake_timeout } else { head };
            self.out.set_close_deadline(id, self.out.now + wait);
            debug!("conn={id} peer={peer} open (web)");
            return;
        }
        let framing = Framing::Lines(LineSplitter::default());
        let conn = entry.insert(Conn::new(sock, Transport::Tcp, i as u8, framing, self.next_serial));
        (conn.tls, conn.ip) = (tls, ip);
        match face {
            Face::Irc => self.out.stats.open_irc += 1,
            _ => self.out.stats.open_tcp += 1,
        }
        debug!("conn={id} peer={peer} open ({})", face.name());
        self.out.conns[id].in_service = true;
        self.service.on_open(id, face, &mut self.out);
    }
}

/// Binds `addr` with a deep accept backlog: std's 128 drops connections
/// when thousands of clients (or a load generator) arrive at once; Linux
/// caps the value at net.core.somaxconn. With `reuse_port`, several
/// processes may bind the same address (SO_REUSEPORT): the kernel spreads
/// new connections among them.
pub fn bind(addr: SocketAddr, reuse_port: bool) -> io::Result<std::net::TcpListener> {
    use std::os::fd::{FromRawFd, OwnedFd};
    let family = if addr.is_ipv4() { libc::AF_INET } else { libc::AF_INET6 };
    // SAFETY: a plain socket() call; the descriptor is owned at once.
    let fd = unsafe { libc::socket(family, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd is a fresh descriptor nobody else owns.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    let set = |opt: libc::c_int| -> io::Result<()> {
        let one: libc::c_int = 1;
        // SAFETY: setsockopt with a pointer to a live c_int and its size.
        let r = unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                opt,
                (&one as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if r == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    };
    set(libc::SO_REUSEADDR)?;
    if reuse_port {
        set(libc::SO_REUSEPORT)?;
    }
    let (storage, len) = sockaddr(addr);
    // SAFETY: storage holds a valid sockaddr of `len` bytes for this family.
    if unsafe { libc::bind(fd, (&storage as *const libc::sockaddr_storage).cast(), len) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: listen() on a bound socket we own.
    if unsafe { libc::listen(fd, 4096) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(std::net::TcpListener::from(owned))
}

fn sockaddr(addr: SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: sockaddr_storage is plain data; all zeroes is a valid value.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr { s_addr: u32::from_ne_bytes(a.ip().octets()) },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_in fits in sockaddr_storage.
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin) };
            std::mem::size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo(),
                sin6_addr: libc::in6_addr { s6_addr: a.ip().octets() },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: sockaddr_in6 fits in sockaddr_storage.
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin6) };
            std::mem::size_of::<libc::sockaddr_in6>()
        }
    };
    (storage, len as libc::socklen_t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listener_tokens_round_trip_and_never_meet_connections() {
        assert_eq!(index(token(0), 3), Some(0));
        assert_eq!(index(token(2), 3), Some(2));
        assert_eq!(index(token(3), 3), None);
        assert_eq!(index(Token(5), 3), None);
        assert_eq!(index(Token(usize::MAX - 1), 3), None);
    }
}
