//! The soak's short version under `cargo test`: lcsoak for 20 s with ten
//! well-behaved clients of each kind (text, JSON, WebSocket, TLS, IRC)
//! beside every kind of misbehaving one. `bash bench/soak.sh MINUTES` is
//! the long one.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn a_short_soak_loses_nothing() {
    let soak = PathBuf::from(env!("CARGO_BIN_EXE_lcsoak"));
    let linechat = soak.with_file_name("linechat");
    if !linechat.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let ok = Command::new(cargo).args(["build", "-q", "-p", "linechat"]).status().unwrap().success();
        assert!(ok, "could not build linechat");
    }
    let dir = std::env::temp_dir().join(format!("lcsoak-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "2",
        ])
        .args(["-subj", "/CN=localhost", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl (apt-get install openssl, or run .ci/run)");
    assert!(made.status.success(), "openssl: {}", String::from_utf8_lossy(&made.stderr));
    let out = Command::new(&soak)
        .arg("--server")
        .arg(&linechat)
        .arg("--cert")
        .arg(&cert)
        .arg("--key")
        .arg(&key)
        .args(["--seconds", "20", "--per-kind", "10"])
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let report = String::from_utf8_lossy(&out.stdout);
    eprintln!("{report}");
    assert!(
        out.status.success() && report.trim_end().ends_with("PASS"),
        "{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
