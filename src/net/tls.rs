//! TLS as a byte layer: rustls between a connection's socket and its
//! framing. Ciphertext read from the socket comes out as plaintext for the
//! framing; queued plaintext goes out as records, one `write_vectored` (so
//! one record) per batch. Nothing above this file knows a connection is
//! encrypted.
//!
//! Also the server configurations: certificate chain and key from PEM
//! files, loaded at start-up and again on SIGHUP.

use std::path::PathBuf;

pub use layer::*;

/// Where the certificate chain and key are, for loading and reloading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[cfg(feature = "tls")]
mod layer {
    use std::io::{self, IoSlice, Read, Write};
    use std::path::Path;
    use std::sync::Arc;

    use mio::net::TcpStream;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use rustls::ServerConnection;

    pub use rustls::ServerConfig;

    use super::CertFiles;

    /// Builds a server configuration from the PEM files; `alpn` lists the
    /// protocols to offer (`http/1.1` on the web listener, none elsewhere).
    pub fn load_config(
        files: &CertFiles,
        alpn: &[&[u8]],
        client_certs: bool,
    ) -> Result<Arc<ServerConfig>, String> {
        let chain = read_chain(&files.cert)?;
        let key = PrivateKeyDer::from_pem_file(&files.key)
            .map_err(|e| format!("cannot read the TLS key {}: {}", files.key.display(), pem_error(e)))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS set-up: {e}"))?;
        let builder = if client_certs {
            builder.with_client_cert_verifier(Arc::new(super::any_client::AnyClientCert(provider)))
        } else {
            builder.with_no_client_auth()
        };
        let mut config = builder.with_single_cert(chain, key).map_err(|e| {
            format!(
                "the TLS certificate {} and key {} do not make a pair: {e}",
                files.cert.display(),
                files.key.display()
            )
        })?;
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(Arc::new(config))
    }

    fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
        let read = |e| format!("cannot read the TLS certificate {}: {}", path.display(), e);
        let chain = CertificateDer::pem_file_iter(path)
            .map_err(|e| read(pem_error(e)))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| read(pem_error(e)))?;
        if chain.is_empty() {
            return Err(read("no certificate in it".into()));
        }
        Ok(chain)
    }

    fn pem_error(e: rustls::pki_types::pem::Error) -> String {
        use rustls::pki_types::pem::Error;
        match e {
            Error::Io(e) => e.to_string(),
            Error::NoItemsFound => "no PEM section of the right kind in it".into(),
            other => format!("{other:?}"),
        }
    }

    /// One connection's TLS state.
    pub struct Tls {
        conn: ServerConnection,
        /// The handshake failed or the peer sent garbage: nothing more is read.
        failed: bool,
        /// The last read stopped before the socket said `WouldBlock`.
        more_input: bool,
    }

    impl Tls {
        pub fn new(config: Arc<ServerConfig>) -> io::Result<Tls> {
            let conn = ServerConnection::new(config).map_err(io::Error::other)?;
            Ok(Tls { conn, failed: false, more_input: false })
        }

        pub fn is_handshaking(&self) -> bool {
            self.conn.is_handshaking()
        }

        /// The SHA-256 fingerprint of the client's certificate (lowercase
        /// hex), if it sent one.
        pub fn client_certfp(&self) -> Option<String> {
            use sha2::Digest;
            let cert = self.conn.peer_certificates()?.first()?;
            Some(sha2::Sha256::digest(cert.as_ref()).iter().map(|b| format!("{b:02x}")).collect())
        }

        /// Input may be left on the socket (edge-triggered: read again).
        pub fn more_input(&self) -> bool {
            self.more_input
        }

        /// Has the layer records to send (handshake, alerts, data)?
        pub fn wants_write(&self) -> bool {
            self.conn.wants_write()
        }

        /// Reads plaintext into `buf`: `Ok(Some(0))` at the end of the stream,
        /// `Ok(None)` when the socket has nothing more now. A protocol error is
        /// `InvalidData`, after the alert has been queued for sending. (Any
        /// byte stream will do for `sock`: the fuzz target feeds it from memory.)
        pub fn read<S: Read + Write>(&mut self, sock: &mut S, buf: &mut [u8]) -> io::Result<Option<usize>> {
            self.more_input = false;
            loop {
                match self.conn.reader().read(buf) {
                    Ok(n) => {
                        // Plaintext handed out before the socket was drained.
                        self.more_input = n > 0;
                        return Ok(Some(n));
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    // The peer closed without close_notify: a plain end for a line protocol.
                    Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(Some(0)),
                    Err(e) => return Err(e),
                }
                if self.failed {
                    return Ok(Some(0));
                }
                match self.conn.read_tls(sock) {
                    Ok(0) => {
                        // EOF: whatever it completed has been processed; end the stream.
                        return Ok(Some(0));
                    }
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        self.failed = true;
                        return Err(io::Error::new(io::ErrorKind::InvalidData, e));
                    }
                }
                if let Err(e) = self.conn.process_new_packets() {
                    // The alert is queued: one last write sends it.
                    self.failed = true;
                    let _ = self.conn.write_tls(sock);
                    return Err(io::Error::new(io::ErrorKind::InvalidData, e));
                }
            }
        }

        /// Sends queued records until done or the socket is full. Returns the
        /// bytes written and whether everything went.
        pub fn write_records<S: Write>(&mut self, sock: &mut S) -> io::Result<(bool, usize)> {
            let mut written = 0;
            while self.conn.wants_write() {
                match self.conn.write_tls(sock) {
                    Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                    Ok(n) => written += n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok((false, written)),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            Ok((true, written))
        }

        /// Queues a close_notify (sent by the next [`Tls::write_records`]).
        pub fn close_notify(&mut self) {
            self.conn.send_close_notify();
        }

        /// A writer for the output queue: each `write_vectored` turns the slices
        /// into one record, once earlier records have gone.
        pub fn writer<'a>(&'a mut self, sock: &'a mut TcpStream) -> RecordWriter<'a> {
            RecordWriter { tls: self, sock, wire: 0 }
        }
    }

    /// See [`Tls::writer`].
    pub struct RecordWriter<'a> {
        tls: &'a mut Tls,
        sock: &'a mut TcpStream,
        /// Ciphertext bytes that reached the socket.
        pub wire: usize,
    }

    impl Write for RecordWriter<'_> {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.write_vectored(&[IoSlice::new(buf)])
        }

        fn write_vectored(&mut self, slices: &[IoSlice<'_>]) -> io::Result<usize> {
            // rustls holds at most one batch: the queue stays the measure of
            // what a slow client has not taken.
            let (done, n) = self.tls.write_records(self.sock)?;
            self.wire += n;
            if !done {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let taken = self.tls.conn.writer().write_vectored(slices)?;
            let (_, n) = self.tls.write_records(self.sock)?;
            self.wire += n;
            if taken == 0 {
                // The handshake is not done and its buffer is full: wait.
                return Err(io::ErrorKind::WouldBlock.into());
            }
            Ok(taken)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
}

/// Built without the `tls` feature: the types exist so that the rest of the
/// server compiles unchanged, but no value of them can be made.
#[cfg(not(feature = "tls"))]
mod layer {
    use std::convert::Infallible;
    use std::io::{self, IoSlice, Write};
    use std::sync::Arc;

    use mio::net::TcpStream;

    use super::CertFiles;

    pub enum ServerConfig {}

    pub fn load_config(_files: &CertFiles, _alpn: &[&[u8]], _: bool) -> Result<Arc<ServerConfig>, String> {
        Err("this linechat was built without TLS (cargo feature `tls`)".into())
    }

    pub struct Tls(Infallible);

    impl Tls {
        pub fn new(config: Arc<ServerConfig>) -> io::Result<Tls> {
            match *config {}
        }
        pub fn client_certfp(&self) -> Option<String> {
            match self.0 {}
        }

        pub fn is_handshaking(&self) -> bool {
            match self.0 {}
        }
        pub fn more_input(&self) -> bool {
            match self.0 {}
        }
        pub fn wants_write(&self) -> bool {
            match self.0 {}
        }
        pub fn read<S: io::Read + Write>(&mut self, _: &mut S, _: &mut [u8]) -> io::Result<Option<usize>> {
            match self.0 {}
        }
        pub fn write_records<S: Write>(&mut self, _: &mut S) -> io::Result<(bool, usize)> {
            match self.0 {}
        }
        pub fn close_notify(&mut self) {
            match self.0 {}
        }
        pub fn writer<'a>(&'a mut self, _: &'a mut TcpStream) -> RecordWriter<'a> {
            match self.0 {}
        }
    }

    pub struct RecordWriter<'a> {
        never: Infallible,
        pub wire: usize,
        _life: std::marker::PhantomData<&'a ()>,
    }

    impl Write for RecordWriter<'_> {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            match self.never {}
        }
        fn write_vectored(&mut self, _: &[IoSlice<'_>]) -> io::Result<usize> {
            match self.never {}
        }
        fn flush(&mut self) -> io::Result<()> {
            match self.never {}
        }
    }
}

#[cfg(feature = "tls")]
pub use accept_any::AcceptAnyCert;

#[cfg(feature = "tls")]
mod accept_any {
    /// A client-side verifier that accepts any server certificate: encryption
    /// without knowing who is at the other end. For the terminal client's
    /// `--insecure` and the benchmark tools' loopback clients, never for
    /// anything that needs to trust its peer.
    #[derive(Debug)]
    pub struct AcceptAnyCert(pub std::sync::Arc<rustls::crypto::CryptoProvider>);

    impl rustls::client::danger::ServerCertVerifier for AcceptAnyCert {
        fn verify_server_cert(
            &self,
            _: &rustls::pki_types::CertificateDer<'_>,
            _: &[rustls::pki_types::CertificateDer<'_>],
            _: &rustls::pki_types::ServerName<'_>,
            _: &[u8],
            _: rustls::pki_types::UnixTime,
        ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
            Ok(rustls::client::danger::ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &rustls::pki_types::CertificateDer<'_>,
            dss: &rustls::DigitallySignedStruct,
        ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &rustls::pki_types::CertificateDer<'_>,
            dss: &rustls::DigitallySignedStruct,
        ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }
}

#[cfg(feature = "tls")]
mod any_client {
    use rustls::pki_types::{CertificateDer, UnixTime};
    use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
    use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};

    /// Asks TLS clients for a certificate, takes any (or none), and checks
    /// only that the client holds its key (the handshake's signature): a
    /// certificate is then a key pair the client proved it owns, whose
    /// fingerprint an account may list (SASL EXTERNAL). Nothing is trusted
    /// for who issued it.
    #[derive(Debug)]
    pub struct AnyClientCert(pub std::sync::Arc<rustls::crypto::CryptoProvider>);

    impl ClientCertVerifier for AnyClientCert {
        fn offer_client_auth(&self) -> bool {
            true
        }

        fn client_auth_mandatory(&self) -> bool {
            false
        }

        fn root_hint_subjects(&self) -> &[DistinguishedName] {
            &[]
        }

        fn verify_client_cert(
            &self,
            _: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: UnixTime,
        ) -> Result<ClientCertVerified, rustls::Error> {
            Ok(ClientCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }
}
