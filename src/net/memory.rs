//! Giving heap back after a burst: thousands joining a big room at once,
//! each getting its member list, leave the allocator holding the burst's
//! high-water mark. Once the loop is about to sleep (never while it is
//! busy), free pages go back to the system, at most once a second.

use std::time::{Duration, Instant};

use log::debug;

/// Output since the last trim after which an idle moment returns free heap
/// to the system, and the least time between two trims (a trim walks the
/// heap: under steady load this bounds its cost to a fraction of a percent).
pub const TRIM_AFTER_BYTES: usize = 1 << 20;
const TRIM_INTERVAL: Duration = Duration::from_secs(1);

/// When the heap was last trimmed, and whether a burst's output, still
/// queued then, calls for another trim once it has drained.
pub struct Trimmer {
    last: Instant,
    again_when_drained: bool,
}

impl Trimmer {
    pub fn new(now: Instant) -> Trimmer {
        Trimmer { last: now, again_when_drained: false }
    }

    /// Is a trim owed (`burst_bytes` queued since the last one)?
    fn owed(&self, burst_bytes: usize) -> bool {
        burst_bytes >= TRIM_AFTER_BYTES || self.again_when_drained
    }

    /// When the loop should wake for an owed trim, if one is owed.
    pub fn wake_at(&self, burst_bytes: usize) -> Option<Instant> {
        self.owed(burst_bytes).then_some(self.last + TRIM_INTERVAL)
    }

    /// About to sleep: trims if owed and due. `queued` is the output still
    /// queued to clients (part of the burst: trim again once it has gone).
    /// Returns true when it trimmed (the caller resets its byte count).
    pub fn maybe_trim(&mut self, burst_bytes: usize, queued: impl FnOnce() -> usize, now: Instant) -> bool {
        if !self.owed(burst_bytes) || now.saturating_duration_since(self.last) < TRIM_INTERVAL {
            return false;
        }
        debug!("returning free heap after {burst_bytes} bytes of output");
        self.last = now;
        self.again_when_drained = queued() >= TRIM_AFTER_BYTES / 16;
        #[cfg(target_env = "gnu")]
        // SAFETY: malloc_trim only returns free heap pages to the system.
        unsafe {
            libc::malloc_trim(0);
        }
        true
    }
}
