//! The client's connection to the server: a non-blocking socket (TLS when
//! asked), lines in and out, and reconnecting with backoff.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

use mio::net::TcpStream;

/// How the client secures its connection.
#[derive(Debug, Clone)]
pub enum Security {
    Plain,
    /// TLS, verifying the server against this CA file (None: the system's
    /// web PKI is not bundled, so `--ca` or `--insecure` is needed).
    #[cfg(feature = "tls")]
    Tls {
        ca: Option<std::path::PathBuf>,
        insecure: bool,
        name: String,
    },
}

/// One connection attempt's state.
pub struct Link {
    pub sock: TcpStream,
    #[cfg(feature = "tls")]
    tls: Option<rustls::ClientConnection>,
    rbuf: Vec<u8>,
    wbuf: VecDeque<u8>,
}

/// First wait before reconnecting, and the longest.
pub const BACKOFF_FIRST: Duration = Duration::from_millis(500);
pub const BACKOFF_MAX: Duration = Duration::from_secs(15);

impl Link {
    pub fn connect(addr: SocketAddr, security: &Security) -> io::Result<Link> {
        let sock = TcpStream::connect(addr)?;
        #[cfg(feature = "tls")]
        let tls = match security {
            Security::Plain => None,
            Security::Tls { ca, insecure, name } => Some(tls::connection(ca.as_deref(), *insecure, name)?),
        };
        #[cfg(not(feature = "tls"))]
        let Security::Plain = security;
        Ok(Link {
            sock,
            #[cfg(feature = "tls")]
            tls,
            rbuf: Vec::new(),
            wbuf: VecDeque::new(),
        })
    }

    /// Queues a line (a newline is added) and writes what the socket takes.
    pub fn send_line(&mut self, line: &str) -> io::Result<()> {
        self.wbuf.extend(line.as_bytes());
        self.wbuf.push_back(b'\n');
        self.flush()
    }

    /// Writes queued bytes; keeps what the socket does not take.
    pub fn flush(&mut self) -> io::Result<()> {
        if self.sock.peer_addr().is_err() {
            return Ok(()); // still connecting
        }
        #[cfg(feature = "tls")]
        if let Some(tls) = self.tls.as_mut() {
            let plain: Vec<u8> = self.wbuf.drain(..).collect();
            if !plain.is_empty() {
                tls.writer().write_all(&plain)?;
            }
            while tls.wants_write() {
                match tls.write_tls(&mut self.sock) {
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            return Ok(());
        }
        while !self.wbuf.is_empty() {
            let (front, _) = self.wbuf.as_slices();
            match self.sock.write(front) {
                Ok(n) => {
                    self.wbuf.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Reads what has arrived and returns the complete lines (without line
    /// endings), and whether the connection is over (its last lines are
    /// still returned).
    pub fn read_lines(&mut self) -> io::Result<(Vec<String>, bool)> {
        let mut buf = [0u8; 16384];
        #[cfg(feature = "tls")]
        if let Some(tls) = self.tls.as_mut() {
            loop {
                match tls.read_tls(&mut self.sock) {
                    Ok(0) => return Ok((self.take_lines(), true)),
                    Ok(_) => {
                        tls.process_new_packets()
                            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                        loop {
                            match tls.reader().read(&mut buf) {
                                Ok(0) => return Ok((self.take_lines(), true)),
                                Ok(n) => self.rbuf.extend_from_slice(&buf[..n]),
                                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                                Err(e) => return Err(e),
                            }
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            self.flush()?; // handshake replies
            return Ok((self.take_lines(), false));
        }
        loop {
            match self.sock.read(&mut buf) {
                Ok(0) => return Ok((self.take_lines(), true)),
                Ok(n) => self.rbuf.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok((self.take_lines(), false))
    }

    fn take_lines(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        while let Some(nl) = self.rbuf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.rbuf.drain(..=nl).collect();
            let line = &line[..line.len() - 1];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            lines.push(String::from_utf8_lossy(line).into_owned());
        }
        lines
    }

    /// Everything queued has gone out (and the TLS handshake is over).
    pub fn settled(&self) -> bool {
        #[cfg(feature = "tls")]
        if let Some(tls) = &self.tls {
            return !tls.is_handshaking() && !tls.wants_write() && self.wbuf.is_empty();
        }
        self.wbuf.is_empty() && self.sock.peer_addr().is_ok()
    }

    /// No more input from us: half-close, so the server finishes and hangs up.
    pub fn finish(&mut self) {
        let _ = self.flush();
        #[cfg(feature = "tls")]
        if let Some(tls) = self.tls.as_mut() {
            tls.send_close_notify();
            let _ = self.flush();
        }
        let _ = self.sock.shutdown(std::net::Shutdown::Write);
    }
}

#[cfg(feature = "tls")]
mod tls {
    use std::io;
    use std::path::Path;
    use std::sync::Arc;

    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName};
    use rustls::{ClientConfig, ClientConnection, RootCertStore};

    /// `--insecure`: encryption without knowing who is at the other end.
    use crate::net::tls::AcceptAnyCert as AcceptAny;

    pub fn connection(ca: Option<&Path>, insecure: bool, name: &str) -> io::Result<ClientConnection> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(io::Error::other)?;
        let config = match (ca, insecure) {
            (_, true) => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
                .with_no_client_auth(),
            (Some(ca), false) => {
                let mut roots = RootCertStore::empty();
                for cert in CertificateDer::pem_file_iter(ca)
                    .map_err(|e| io::Error::other(format!("--ca {}: {e:?}", ca.display())))?
                {
                    let cert = cert.map_err(|e| io::Error::other(format!("--ca {}: {e:?}", ca.display())))?;
                    roots.add(cert).map_err(io::Error::other)?;
                }
                builder.with_root_certificates(roots).with_no_client_auth()
            }
            (None, false) => return Err(io::Error::other("--tls needs --ca FILE or --insecure")),
        };
        let name = ServerName::try_from(name.to_string()).map_err(io::Error::other)?;
        ClientConnection::new(Arc::new(config), name).map_err(io::Error::other)
    }
}
