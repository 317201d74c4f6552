//! Running under systemd: the readiness protocol (`sd_notify`: `READY=1`
//! once every listener is bound, `RELOADING=1` and `READY=1` around a
//! reload, `STOPPING=1`, and `WATCHDOG=1` at half the unit's
//! `WatchdogSec=`), and socket activation (`LISTEN_FDS`: listening
//! sockets systemd bound and passes in, named by `FileDescriptorName=`).
//! Both are plain environment variables and a datagram, so nothing here
//! needs libsystemd; without them every call does nothing.

use std::collections::HashMap;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::net::{SocketAddr as UnixAddr, UnixDatagram};
use std::time::{Duration, Instant};

use log::warn;

/// Where `sd_notify` messages go (`NOTIFY_SOCKET`), and the watchdog.
pub struct Notifier {
    socket: Option<(UnixDatagram, UnixAddr)>,
    /// Half the unit's watchdog interval, when it asks for one.
    watchdog_every: Option<Duration>,
    next_watchdog: Option<Instant>,
}

impl Notifier {
    /// Reads `NOTIFY_SOCKET` (a path, or `@name` for an abstract socket)
    /// and `WATCHDOG_USEC` (for this process when `WATCHDOG_PID` says so).
    pub fn from_env() -> Notifier {
        let socket = std::env::var("NOTIFY_SOCKET").ok().and_then(|path| {
            let addr = if let Some(name) = path.strip_prefix('@') {
                use std::os::linux::net::SocketAddrExt;
                UnixAddr::from_abstract_name(name.as_bytes())
            } else {
                UnixAddr::from_pathname(&path)
            };
            match (UnixDatagram::unbound(), addr) {
                (Ok(sock), Ok(addr)) => Some((sock, addr)),
                (Err(e), _) | (_, Err(e)) => {
                    warn!("NOTIFY_SOCKET {path}: {e}; systemd will not hear from linechat");
                    None
                }
            }
        });
        let for_us = std::env::var("WATCHDOG_PID").map_or(true, |p| p == std::process::id().to_string());
        let watchdog_every = std::env::var("WATCHDOG_USEC")
            .ok()
            .and_then(|u| u.parse::<u64>().ok())
            .filter(|&u| u > 0 && for_us)
            .map(|u| Duration::from_micros(u / 2));
        Notifier { socket, watchdog_every, next_watchdog: None }
    }

    /// A notifier that tells no one (tests, and runs without systemd).
    pub fn none() -> Notifier {
        Notifier { socket: None, watchdog_every: None, next_watchdog: None }
    }

    fn send(&self, state: &str) {
        if let Some((sock, addr)) = &self.socket {
            if let Err(e) = sock.send_to_addr(state.as_bytes(), addr) {
                warn!("cannot tell systemd {state:?}: {e}");
            }
        }
    }

    /// Every listener is bound and the loop starts.
    pub fn ready(&mut self, now: Instant) {
        self.send("READY=1\nSTATUS=serving");
        self.next_watchdog = self.watchdog_every.map(|every| now + every);
    }

    /// A reload begins (`MONOTONIC_USEC` lets systemd match it to the SIGHUP).
    pub fn reloading(&self) {
        self.send(&format!("RELOADING=1\nMONOTONIC_USEC={}", monotonic_usec()));
    }

    /// The reload is done.
    pub fn reloaded(&self) {
        self.send("READY=1\nSTATUS=serving");
    }

    pub fn stopping(&self) {
        self.send("STOPPING=1\nSTATUS=stopping");
    }

    /// When the loop must next wake to feed the watchdog.
    pub fn next_wake(&self) -> Option<Instant> {
        self.next_watchdog
    }

    /// Feeds the watchdog if it is time (called every loop turn: a loop
    /// that stops turning stops feeding it, which is the point).
    pub fn turn(&mut self, now: Instant) {
        if let (Some(at), Some(every)) = (self.next_watchdog, self.watchdog_every) {
            if now >= at {
                self.send("WATCHDOG=1");
                self.next_watchdog = Some(now + every);
            }
        }
    }
}

fn monotonic_usec() -> u64 {
    // SAFETY: clock_gettime writes only into the struct it is given.
    unsafe {
        let mut ts = std::mem::zeroed::<libc::timespec>();
        libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts);
        ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1_000
    }
}

/// The first descriptor systemd passes (`SD_LISTEN_FDS_START`).
const LISTEN_FDS_START: i32 = 3;

/// The listening sockets passed in with `LISTEN_FDS`, by name
/// (`LISTEN_FDNAMES`; `unknown` where unnamed, as systemd says). Empty when
/// none were passed to this process. The variables are removed, so nothing
/// started later takes them for its own.
pub fn listen_fds() -> HashMap<String, Vec<std::net::TcpListener>> {
    let mut passed: HashMap<String, Vec<std::net::TcpListener>> = HashMap::new();
    let for_us = std::env::var("LISTEN_PID").is_ok_and(|p| p == std::process::id().to_string());
    let count = std::env::var("LISTEN_FDS").ok().and_then(|n| n.parse::<i32>().ok()).unwrap_or(0);
    let names = std::env::var("LISTEN_FDNAMES").unwrap_or_default();
    for var in ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"] {
        std::env::remove_var(var);
    }
    if !for_us || count <= 0 {
        return passed;
    }
    let mut names = names.split(':');
    for fd in LISTEN_FDS_START..LISTEN_FDS_START + count {
        let name = names.next().filter(|n| !n.is_empty()).unwrap_or("unknown").to_string();
        // SAFETY: F_SETFD only sets a flag, and fails on a closed descriptor.
        if unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) } < 0 {
            warn!("LISTEN_FDS names descriptor {fd} ({name}), which is not open");
            continue;
        }
        // SAFETY: systemd passed descriptors 3..3+LISTEN_FDS to this
        // process (LISTEN_PID is ours) and nothing else owns them.
        let owned = unsafe { OwnedFd::from_raw_fd(fd) };
        let sock = std::net::TcpListener::from(owned);
        match sock.local_addr().and_then(|_| sock.set_nonblocking(true)) {
            Ok(()) => passed.entry(name).or_default().push(sock),
            Err(e) => warn!("socket {fd} ({name}) passed by systemd is not a TCP listener: {e}"),
        }
    }
    passed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watchdog_is_fed_at_half_its_interval() {
        let mut n = Notifier::none();
        n.watchdog_every = Some(Duration::from_secs(5));
        let t0 = Instant::now();
        n.ready(t0);
        assert_eq!(n.next_wake(), Some(t0 + Duration::from_secs(5)));
        n.turn(t0 + Duration::from_secs(4));
        assert_eq!(n.next_wake(), Some(t0 + Duration::from_secs(5)));
        n.turn(t0 + Duration::from_secs(6));
        assert_eq!(n.next_wake(), Some(t0 + Duration::from_secs(11)));
    }
}
