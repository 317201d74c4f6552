//! TLS test helpers: certificates made with the openssl command line for
//! each test, and a rustls client that reads lines like [`super::Client`].

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

use super::{run_checked, READ_TIMEOUT};

/// A throwaway CA and a server certificate it signed for `localhost` and
/// 127.0.0.1, in a directory of their own.
pub struct TestCerts {
    pub dir: PathBuf,
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TestCerts {
    pub fn new(name: &str) -> TestCerts {
        let dir = std::env::temp_dir().join(format!("linechat-certs-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let certs = TestCerts {
            ca: dir.join("ca.pem"),
            cert: dir.join("fullchain.pem"),
            key: dir.join("privkey.pem"),
            dir,
        };
        certs.issue("server");
        certs
    }

    /// Makes a new CA and server pair under `prefix` and installs it as
    /// `fullchain.pem`/`privkey.pem` (as a certificate renewal would).
    pub fn issue(&self, prefix: &str) {
        let p = |f: &str| self.dir.join(format!("{prefix}-{f}"));
        let openssl = |args: &[&str], what: &str| {
            run_checked(Command::new("openssl").args(args).current_dir(&self.dir), what);
        };
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
        let (ca_key, ca, key, csr, cert) =
            (p("ca.key"), p("ca.pem"), p("key.pem"), p("csr.pem"), p("cert.pem"));
        let s = |p: &Path| p.to_str().unwrap().to_string();
        let mut args = vec!["req", "-x509"];
        args.extend(ec);
        let (ca_key_s, ca_s) = (s(&ca_key), s(&ca));
        args.extend(["-keyout", &ca_key_s, "-out", &ca_s, "-subj", "/CN=linechat test CA", "-days", "2"]);
        openssl(&args, "openssl req (CA)");
        let mut args = vec!["req"];
        args.extend(ec);
        let (key_s, csr_s) = (s(&key), s(&csr));
        args.extend(["-keyout", &key_s, "-out", &csr_s, "-subj", "/CN=localhost"]);
        openssl(&args, "openssl req (server)");
        let ext = p("ext.cnf");
        std::fs::write(&ext, "subjectAltName=DNS:localhost,IP:127.0.0.1\n").unwrap();
        let (ext_s, cert_s) = (s(&ext), s(&cert));
        openssl(
            &[
                "x509",
                "-req",
                "-in",
                &csr_s,
                "-CA",
                &ca_s,
                "-CAkey",
                &ca_key_s,
                "-CAcreateserial",
                "-out",
                &cert_s,
                "-days",
                "2",
                "-extfile",
                &ext_s,
            ],
            "openssl x509 (sign)",
        );
        std::fs::copy(&cert, &self.cert).unwrap();
        std::fs::copy(&key, &self.key).unwrap();
        std::fs::copy(&ca, &self.ca).unwrap();
    }

    /// The server options naming these files.
    pub fn args(&self) -> Vec<String> {
        vec!["--tls-cert".into(), s(&self.cert), "--tls-key".into(), s(&self.key)]
    }

    /// A client configuration trusting this CA, offering `alpn`.
    pub fn client_config(&self, alpn: &[&[u8]]) -> Arc<ClientConfig> {
        client_config_for(&self.ca, alpn)
    }

    /// A self-signed client certificate `name` (made by openssl), its
    /// SHA-256 fingerprint as openssl prints it (`AB:CD:...`), and a client
    /// configuration trusting this CA that presents it.
    pub fn client_identity(&self, name: &str) -> (String, Arc<ClientConfig>) {
        let (key, cert) =
            (self.dir.join(format!("{name}-client.key")), self.dir.join(format!("{name}-client.pem")));
        let (key_s, cert_s, subj) = (s(&key), s(&cert), format!("/CN={name}"));
        run_checked(
            Command::new("openssl").args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                &key_s,
                "-out",
                &cert_s,
                "-subj",
                &subj,
                "-days",
                "2",
            ]),
            "openssl req (client)",
        );
        let out = Command::new("openssl")
            .args(["x509", "-in", &cert_s, "-noout", "-fingerprint", "-sha256"])
            .output()
            .expect("openssl x509 -fingerprint");
        let printed = String::from_utf8(out.stdout).unwrap();
        let fp = printed.trim().rsplit('=').next().unwrap().to_string();
        let roots = roots_of(&self.ca);
        let chain = CertificateDer::pem_file_iter(&cert).unwrap().map(Result::unwrap).collect();
        let key = rustls::pki_types::PrivateKeyDer::from_pem_file(&key).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_client_auth_cert(chain, key)
            .unwrap();
        (fp, Arc::new(config))
    }
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

impl Drop for TestCerts {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The certificates of the CA file `ca`, trusted.
fn roots_of(ca: &Path) -> RootCertStore {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    roots
}

pub fn client_config_for(ca: &Path, alpn: &[&[u8]]) -> Arc<ClientConfig> {
    let roots = roots_of(ca);
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

/// A TLS line client.
pub struct TlsClient {
    reader: BufReader<StreamOwned<ClientConnection, TcpStream>>,
}

impl TlsClient {
    /// Connects and completes the handshake (or fails it).
    pub fn connect(addr: SocketAddr, config: Arc<ClientConfig>) -> std::io::Result<TlsClient> {
        let sock = TcpStream::connect(addr)?;
        sock.set_read_timeout(Some(READ_TIMEOUT))?;
        let conn = ClientConnection::new(config, ServerName::try_from("localhost").unwrap()).unwrap();
        let mut stream = StreamOwned::new(conn, sock);
        while stream.conn.is_handshaking() {
            stream.conn.complete_io(&mut stream.sock)?;
        }
        Ok(TlsClient { reader: BufReader::new(stream) })
    }

    pub fn alpn(&self) -> Option<Vec<u8>> {
        self.reader.get_ref().conn.alpn_protocol().map(<[u8]>::to_vec)
    }

    /// Reads to the end: Ok(rest) after a close_notify, Err after an
    /// unclean end.
    pub fn read_to_end(&mut self) -> std::io::Result<String> {
        let mut rest = String::new();
        self.reader.read_to_string(&mut rest).map(|_| rest)
    }
}

impl super::Lines for TlsClient {
    fn read_until_newline(&mut self, buf: &mut Vec<u8>) -> std::io::Result<usize> {
        self.reader.read_until(b'\n', buf)
    }

    fn write_bytes(&mut self, bytes: &[u8]) {
        let stream = self.reader.get_mut();
        stream.write_all(bytes).expect("tls send");
        stream.flush().unwrap();
    }
}

/// Starts linechat with `args` and the certificate options for `certs`.
pub fn start_with_certs(certs: &TestCerts, args: &[&str]) -> super::Server {
    let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    all.extend(certs.args());
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    super::Server::start(&all)
}
