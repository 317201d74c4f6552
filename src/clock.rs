//! Wall-clock time, for what clients are shown (topic and creation times,
//! IRC's 003) and for cluster claims. Deadlines never use it: they run on
//! the loop's monotonic `now` (`Outbox::now`), which tests set themselves.

/// Wall-clock time in Unix seconds.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Wall-clock time in Unix milliseconds.
pub fn unix_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}
