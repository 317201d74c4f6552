//! A real redis-server for cluster tests: its own port, no persistence,
//! killed (SIGKILL) and restarted on the same port when a test says so.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Redis {
    pub port: u16,
    child: Option<Child>,
    /// With persistence: the directory of its append-only file.
    dir: Option<std::path::PathBuf>,
}

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Redis {
    /// Starts redis-server on a free port and waits until it answers PING.
    pub fn start() -> Redis {
        let mut r = Redis { port: free_port(), child: None, dir: None };
        r.restart();
        r
    }

    /// Starts redis-server with an append-only file synced on every write
    /// (`appendfsync always`), so a restart finds what it held.
    pub fn start_persistent() -> Redis {
        let dir = std::env::temp_dir().join(format!("linechat-redis-{}-{}", std::process::id(), free_port()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut r = Redis { port: free_port(), child: None, dir: Some(dir) };
        r.restart();
        r
    }

    /// A server for `port`, not started yet (for nodes started before Redis).
    pub fn not_started() -> Redis {
        Redis { port: free_port(), child: None, dir: None }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// (Re)starts the server on its port; a restarted Redis holds nothing
    /// (unless started with [`Redis::start_persistent`]).
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "redis-server is already running");
        let port = self.port.to_string();
        let mut args = vec!["--port", &port, "--bind", "127.0.0.1", "--save", ""];
        let dir = self.dir.as_ref().map(|d| d.display().to_string());
        match &dir {
            Some(dir) => args.extend(["--appendonly", "yes", "--appendfsync", "always", "--dir", dir]),
            None => args.extend(["--appendonly", "no"]),
        }
        let child = Command::new("redis-server")
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed (.ci/run installs it)");
        self.child = Some(child);
        super::eventually(&format!("redis-server answering on port {}", self.port), || self.ping());
    }

    /// Does the server answer PING?
    pub fn ping(&self) -> bool {
        self.command("PING\r\n").is_some_and(|r| r.starts_with("+PONG"))
    }

    /// Sends an inline command; returns the first reply's raw text.
    pub fn command(&self, inline: &str) -> Option<String> {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(200)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        s.write_all(inline.as_bytes()).ok()?;
        let mut buf = [0u8; 4096];
        let n = s.read(&mut buf).ok()?;
        Some(String::from_utf8_lossy(&buf[..n]).into_owned())
    }

    /// SIGKILL: no goodbye, connections cut.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGSTOP / SIGCONT: connections stay open, nothing is answered.
    pub fn pause(&self, stop: bool) {
        let Some(child) = &self.child else { return };
        let sig = if stop { libc::SIGSTOP } else { libc::SIGCONT };
        // SAFETY: kill() with our child's pid.
        unsafe {
            libc::kill(child.id() as i32, sig);
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.pause(false);
        self.kill();
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
