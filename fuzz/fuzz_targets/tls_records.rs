//! TLS record input through the server's TLS layer (`tls::Tls`, rustls as
//! linechat drives it): arbitrary client bytes, in arbitrary reads, never
//! panic, never yield more plaintext than was sent, and once the layer has
//! failed it reads nothing more. The certificate in `fuzz/tls/` exists for
//! this target only.
#![no_main]

use std::io::{self, Read, Write};
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use linechat::net::tls::{load_config, CertFiles, ServerConfig, Tls};

/// A socket in memory: reads take the current chunk, then would block.
struct Wire<'a> {
    input: &'a [u8],
    sent: Vec<u8>,
}

impl Read for Wire<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.input.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = buf.len().min(self.input.len());
        buf[..n].copy_from_slice(&self.input[..n]);
        self.input = &self.input[n..];
        Ok(n)
    }
}

impl Write for Wire<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.sent.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn config() -> Arc<ServerConfig> {
    static CONFIG: OnceLock<Arc<ServerConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tls");
            let files = CertFiles { cert: dir.join("cert.pem"), key: dir.join("key.pem") };
            load_config(&files, &[b"http/1.1"], true).expect("the fuzz certificate loads")
        })
        .clone()
}

fuzz_target!(|input: &[u8]| {
    let Some((&step, data)) = input.split_first() else { return };
    let step = 1 + step as usize * 8;
    let mut tls = Tls::new(config()).unwrap();
    let mut plaintext = 0;
    let mut failed = false;
    let mut buf = [0u8; 4096];
    for chunk in data.chunks(step) {
        let mut wire = Wire { input: chunk, sent: Vec::new() };
        loop {
            match tls.read(&mut wire, &mut buf) {
                Ok(Some(0)) => break,
                Ok(Some(n)) => {
                    assert!(!failed, "plaintext after the layer failed");
                    plaintext += n;
                }
                Ok(None) => break,
                Err(e) => {
                    assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{e}");
                    failed = true;
                    break;
                }
            }
        }
        let _ = tls.write_records(&mut wire);
        assert!(wire.input.is_empty() || failed, "input left unread on a healthy layer");
    }
    assert!(plaintext <= data.len(), "{plaintext} bytes of plaintext from {} bytes", data.len());
});
