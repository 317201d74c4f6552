//! Token buckets: `--rate`/`--burst` for lines (the reactor reads no more
//! than a connection's bucket allows) and `--join-rate`/`--join-burst` for
//! nicknames and joins (the chat core charges them). Pure arithmetic on the
//! instants it is given, so it is tested to the microsecond without a clock.

use std::time::{Duration, Instant};

/// A rate: so many per second, and so many at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: f64,
}

/// One connection's bucket: tokens left, as of when.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bucket {
    tokens: f64,
    at: Option<Instant>,
}

impl Bucket {
    /// Lines it may take now.
    pub fn lines_allowed(&self) -> u32 {
        self.tokens.max(0.0) as u32
    }
}

impl Rate {
    /// Adds the tokens earned since the bucket was last counted (a new
    /// bucket starts full).
    pub fn refill(&self, bucket: &mut Bucket, now: Instant) {
        let since = bucket.at.map_or(f64::INFINITY, |at| now.saturating_duration_since(at).as_secs_f64());
        bucket.tokens = (bucket.tokens + since * self.per_second).min(self.burst);
        bucket.at = Some(now);
    }

    /// When the bucket will hold a whole token again, if it does not now.
    pub fn resume_at(&self, bucket: &Bucket, now: Instant) -> Option<Instant> {
        (bucket.tokens < 1.0).then(|| now + Duration::from_secs_f64((1.0 - bucket.tokens) / self.per_second))
    }

    /// Takes a token per line or join (one read may take it below zero:
    /// those lines were already in hand and are handled; reading waits longer).
    pub fn spend(&self, bucket: &mut Bucket, count: u32) {
        bucket.tokens -= f64::from(count);
    }

    /// Refills `bucket` and says how many lines may be read now, or (none)
    /// when reading may go on.
    pub fn allowance(&self, bucket: &mut Bucket, now: Instant) -> Result<u32, Instant> {
        self.refill(bucket, now);
        match self.resume_at(bucket, now) {
            Some(at) => Err(at),
            None => Ok(bucket.lines_allowed()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_new_bucket_is_full_and_refills_at_the_rate() {
        let rate = Rate { per_second: 20.0, burst: 5.0 };
        let t0 = Instant::now();
        let mut b = Bucket::default();
        assert_eq!(rate.allowance(&mut b, t0), Ok(5));
        // 40 lines read at once: 5 allowed, the other 35 were already in hand.
        rate.spend(&mut b, 40);
        // 36 tokens owed at 20 a second: readable again 1.8 s later, not before.
        assert_eq!(rate.allowance(&mut b, t0), Err(t0 + 1800 * MS));
        assert_eq!(rate.allowance(&mut b, t0 + 1799 * MS).map_err(|at| at - t0), Err(1800 * MS));
        assert_eq!(rate.allowance(&mut b, t0 + 1801 * MS), Ok(1));
        // A long pause refills only up to the burst.
        assert_eq!(rate.allowance(&mut b, t0 + 60_000 * MS), Ok(5));
    }

    #[test]
    fn joins_past_the_burst_wait_one_interval_each() {
        let rate = Rate { per_second: 2.0, burst: 2.0 };
        let t0 = Instant::now();
        let mut b = Bucket::default();
        let mut resumes = Vec::new();
        let mut now = t0;
        for _ in 0..5 {
            rate.refill(&mut b, now);
            rate.spend(&mut b, 1);
            if let Some(at) = rate.resume_at(&b, now) {
                resumes.push(at - t0);
                now = at;
            }
        }
        // Two at once, then one every half second.
        assert_eq!(resumes, [500 * MS, 1000 * MS, 1500 * MS, 2000 * MS]);
    }
}
