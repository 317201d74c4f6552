//! The listener table: each listening socket with the face its connections
//! speak, how they start (lines, or an HTTP head), their longest line and
//! their security (plain or TLS); accepting from them, with the refusals
//! when the server is full, an address has its share, or the process is
//! out of descriptors. TLS certificates are reloaded here on SIGHUP.

use std::collections::HashMap;
use std::io::{self, Write};
use std::net::{IpAddr, Shutdown, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use log::{debug, error, info, warn};
use mio::net::{TcpListener, TcpStream};
use mio::{Interest, Registry, Token};

use super::conn::Conn;
use super::framing::{Framing, Start};
use super::kinds::{Face, Refusal};
use super::outbox::{ConnId, Outbox};
use super::outq::Transport;
use super::service::Service;
use super::tls::{self, CertFiles, ServerConfig, Tls};

/// One row of the listener table, as the command line sets it.
pub struct Bound {
    pub sock: std::net::TcpListener,
    /// Its name in logs and errors: `chat`, `web`, `irc`.
    pub name: &'static str,
    pub face: Face,
    pub start: Start,
    /// Longest input line its connections may send.
    pub max_line: usize,
    /// On a TLS listener: the certificate files and the configuration new
    /// connections start with (reloaded on SIGHUP).
    pub tls: Option<(CertFiles, Arc<ServerConfig>)>,
}

/// The TLS configuration for a listener whose connections start so: an
/// HTTP listener offers ALPN `http/1.1`; the others ask for a client
/// certificate, which clients may send (SASL EXTERNAL signs in with it;
/// browsers would show a picker, so the web port does not ask).
pub fn tls_config(files: &CertFiles, start: Start) -> Result<Arc<ServerConfig>, String> {
    let http = start == Start::Http;
    let alpn: &[&[u8]] = if http { &[b"http/1.1"] } else { &[] };
    tls::load_config(files, alpn, !http)
}

/// Binds `addr` with a deep accept backlog: std's 128 drops connections
/// when thousands of clients (or a load generator) arrive at once; Linux
/// caps the value at net.core.somaxconn. With `reuse_port`, several
/// processes may bind the same address (SO_REUSEPORT): the kernel spreads
/// new connections among them.
pub fn bind(addr: SocketAddr, reuse_port: bool) -> io::Result<std::net::TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    if reuse_port {
        socket.set_reuse_port(true)?;
    }
    socket.bind(&addr.into())?;
    socket.listen(4096)?;
    Ok(socket.into())
}

/// Limits enforced at the door.
#[derive(Debug, Clone)]
pub struct DoorLimits {
    /// Connections at once, counting every listener.
    pub max_clients: usize,
    /// Connections at once from one address (0: no limit).
    pub max_per_address: usize,
    /// How long a TLS handshake may take; on an HTTP listener the request
    /// head then has [`HTTP_HEAD_TIMEOUT`] (or the close grace, if longer).
    pub tls_handshake_timeout: Duration,
    pub close_grace: Duration,
}

/// How long a request head may take to arrive (after the TLS handshake).
pub const HTTP_HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// When descriptors run out, how long to wait before accepting again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// A listening socket, registered.
struct Listener {
    sock: TcpListener,
    name: &'static str,
    face: Face,
    start: Start,
    max_line: usize,
    tls: Option<(CertFiles, Arc<ServerConfig>)>,
}

/// Every listener, and the state of the door.
pub struct Listeners {
    table: Vec<Listener>,
    limits: DoorLimits,
    /// A spare descriptor, given up to accept and refuse a client when the
    /// process has none left, so the backlog never wedges the listener.
    reserve_fd: Option<std::fs::File>,
    /// Accepting is paused until then (descriptors ran out).
    pub paused_until: Option<Instant>,
    /// Stopping: accept no more.
    pub closed: bool,
    /// Open connections per client address.
    per_address: HashMap<IpAddr, u32>,
}

/// Listener `i` polls under this token; connections use the low tokens.
pub fn token(i: usize) -> Token {
    Token(usize::MAX - 2 - i)
}

/// The listener index behind `token`, if it is one.
fn index(token: Token, listeners: usize) -> Option<usize> {
    let i = (usize::MAX - 2).checked_sub(token.0)?;
    (i < listeners).then_some(i)
}

impl Listeners {
    /// Registers every bound socket with the poll.
    pub fn new(bound: Vec<Bound>, limits: DoorLimits, registry: &Registry) -> io::Result<Listeners> {
        let mut table = Vec::with_capacity(bound.len());
        for (i, b) in bound.into_iter().enumerate() {
            b.sock.set_nonblocking(true)?;
            let mut sock = TcpListener::from_std(b.sock);
            registry.register(&mut sock, token(i), Interest::READABLE)?;
            let (name, face, start, max_line, tls) = (b.name, b.face, b.start, b.max_line, b.tls);
            table.push(Listener { sock, name, face, start, max_line, tls });
        }
        Ok(Listeners {
            table,
            limits,
            reserve_fd: std::fs::File::open("/dev/null").ok(),
            paused_until: None,
            closed: false,
            per_address: HashMap::new(),
        })
    }

    /// The listener behind `token`, if it is one.
    pub fn index(&self, token: Token) -> Option<usize> {
        index(token, self.table.len())
    }

    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Each listener's name, face, address and security (true: TLS), in order.
    pub fn addrs(&self) -> Vec<(&'static str, Face, io::Result<SocketAddr>, bool)> {
        self.table.iter().map(|l| (l.name, l.face, l.sock.local_addr(), l.tls.is_some())).collect()
    }

    /// Longest line of listener `i`'s connections.
    pub fn max_line(&self, i: u8) -> usize {
        self.table[i as usize].max_line
    }

    /// The name of listener `i`, for logs.
    pub fn name(&self, i: u8) -> &'static str {
        self.table[i as usize].name
    }

    /// Stops listening (shutdown).
    pub fn close(&mut self, registry: &Registry) {
        self.closed = true;
        for l in &mut self.table {
            let _ = registry.deregister(&mut l.sock);
        }
    }

    /// New limits at the door (SIGHUP); connections already in stay.
    pub fn set_limits(&mut self, limits: DoorLimits) {
        self.limits = limits;
    }

    /// Points every TLS listener at other certificate files (SIGHUP),
    /// loaded by the [`Listeners::reload_tls`] that follows.
    pub fn set_cert_files(&mut self, files: &CertFiles) {
        for l in &mut self.table {
            if let Some((f, _)) = l.tls.as_mut() {
                f.clone_from(files);
            }
        }
    }

    /// SIGHUP: reads every TLS listener's certificate and key again. New
    /// handshakes use the new pair; a pair that fails to load is logged and
    /// the old one kept; open sessions are not touched.
    pub fn reload_tls(&mut self) {
        for l in &mut self.table {
            let Some((files, config)) = l.tls.as_mut() else { continue };
            match tls_config(files, l.start) {
                Ok(fresh) => {
                    *config = fresh;
                    info!("reloaded the TLS certificate for the {} port", l.name);
                }
                Err(e) => error!("{e}; the {} port keeps its current certificate", l.name),
            }
        }
    }

    /// A connection is gone: its address has one fewer.
    pub fn forget(&mut self, ip: Option<IpAddr>) {
        let Some(ip) = ip else { return };
        if let Some(open) = self.per_address.get_mut(&ip) {
            *open -= 1;
            if *open == 0 {
                self.per_address.remove(&ip);
            }
        }
    }

    /// Listener `i` is readable: accept until its backlog is empty.
    pub fn accept_ready<S: Service>(
        &mut self,
        i: usize,
        registry: &Registry,
        out: &mut Outbox,
        service: &mut S,
    ) {
        if self.closed || self.paused_until.is_some() {
            return;
        }
        loop {
            match self.table[i].sock.accept() {
                Ok((sock, peer)) => self.admit(sock, peer, i, registry, out, service),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e)
                    if matches!(e.kind(), io::ErrorKind::Interrupted | io::ErrorKind::ConnectionAborted) => {}
                Err(e) if matches!(e.raw_os_error(), Some(libc::EMFILE) | Some(libc::ENFILE)) => {
                    // Linux reports EMFILE before it looks at the backlog, so
                    // this does not even mean anyone is waiting.
                    match self.refuse_with_reserve(i, out, service) {
                        Some(true) => {}
                        Some(false) => return,
                        None => {
                            // No spare descriptor either: try again shortly.
                            self.paused_until = Some(out.now() + ACCEPT_BACKOFF);
                            return;
                        }
                    }
                }
                Err(e) => {
                    error!("accept failed: {e}");
                    self.paused_until = Some(out.now() + ACCEPT_BACKOFF);
                    return;
                }
            }
        }
    }

    /// Out of descriptors: free the spare one, accept a waiting client only
    /// to tell it the server is full, and take the spare back.
    /// Returns whether one was refused (`Some(false)`: nobody was waiting),
    /// or `None` when there is no spare to use.
    fn refuse_with_reserve<S: Service>(&mut self, i: usize, out: &mut Outbox, service: &S) -> Option<bool> {
        self.reserve_fd.take()?;
        let refused = match self.table[i].sock.accept() {
            Ok((sock, peer)) => {
                out.stats.accept_fd_exhausted += 1;
                warn!("out of file descriptors: refusing {peer}");
                self.refuse(sock, i, Refusal::Full, out, service);
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
    fn refuse<S: Service>(&self, mut sock: TcpStream, i: usize, why: Refusal, out: &mut Outbox, service: &S) {
        match why {
            Refusal::Full => out.stats.rejected_full += 1,
            Refusal::PerAddress => out.stats.rejected_per_address += 1,
        }
        if self.table[i].tls.is_none() {
            // Best effort: a fresh socket's buffer takes one short reply.
            let _ = sock.write(&service.refusal(self.table[i].face, why));
        }
        let _ = sock.shutdown(Shutdown::Write);
    }

    fn admit<S: Service>(
        &mut self,
        mut sock: TcpStream,
        peer: SocketAddr,
        i: usize,
        registry: &Registry,
        out: &mut Outbox,
        service: &mut S,
    ) {
        let l = &self.table[i];
        if out.conns.len() >= self.limits.max_clients {
            warn!("server full ({} connections): refusing {peer}", out.conns.len());
            return self.refuse(sock, i, Refusal::Full, out, service);
        }
        let ip = peer.ip();
        // Every connection is counted by address (not only under a limit),
        // so a limit set by a reload counts those already in.
        if self.limits.max_per_address > 0 {
            let open = self.per_address.get(&ip).copied().unwrap_or(0);
            if open as usize >= self.limits.max_per_address {
                debug!("{peer}: {open} connections from this address already; refused");
                return self.refuse(sock, i, Refusal::PerAddress, out, service);
            }
        }
        let _ = sock.set_nodelay(true);
        let serial = out.next_serial();
        let entry = out.conns.vacant_entry();
        let id: ConnId = entry.key();
        if let Err(e) = registry.register(&mut sock, Token(id), Interest::READABLE | Interest::WRITABLE) {
            error!("register {peer}: {e}");
            return;
        }
        let tls = match &l.tls {
            None => None,
            Some((_, config)) => match Tls::new(config.clone()) {
                Ok(tls) => Some(Box::new(tls)),
                Err(e) => {
                    error!("TLS for {peer}: {e}");
                    return;
                }
            },
        };
        let face = l.face;
        if tls.is_some() {
            out.stats.open_tls[face.0 as usize] += 1;
        }
        *self.per_address.entry(ip).or_insert(0) += 1;
        out.stats.accepted += 1;
        let transport = if l.start == Start::Http { Transport::Http } else { Transport::Tcp };
        let conn = entry.insert(Conn::new(Some(sock), transport, face, Framing::new(l.start), serial));
        (conn.tls, conn.ip, conn.listener) = (tls, Some(ip), i as u8);
        debug!("conn={id} peer={peer} open ({})", l.name);
        if l.start == Start::Http {
            out.stats.open_http += 1;
            // Over TLS the handshake must end within its timeout, as on the
            // other TLS listeners; then (at once on a plain listener) the
            // request head has its own.
            conn.awaiting_handshake = conn.tls.is_some();
            let deadline = match conn.awaiting_handshake {
                true => out.now() + self.limits.tls_handshake_timeout,
                false => self.head_deadline(out.now()),
            };
            out.set_close_deadline(id, deadline);
            return;
        }
        out.stats.open_lines[face.0 as usize] += 1;
        conn.in_service = true;
        service.on_open(id, face, out);
    }

    /// The request head's deadline, once an https connection's handshake is done.
    pub fn head_deadline(&self, now: Instant) -> Instant {
        now + self.limits.close_grace.max(HTTP_HEAD_TIMEOUT)
    }
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

    #[test]
    fn binding_twice_needs_reuse_port() {
        let first = bind("127.0.0.1:0".parse().unwrap(), true).unwrap();
        let addr = first.local_addr().unwrap();
        assert!(bind(addr, true).is_ok(), "SO_REUSEPORT lets a second socket bind");
        let plain = bind("127.0.0.1:0".parse().unwrap(), false).unwrap();
        assert!(bind(plain.local_addr().unwrap(), false).is_err());
    }
}
