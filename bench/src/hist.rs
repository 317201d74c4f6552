//! A log-linear latency histogram: exact below 2048 µs, then 1024 buckets
//! per power of two (under 0.1% error), fixed memory, O(1) recording.

const EXACT: u64 = 2048;
const SUB_BITS: u32 = 10;
const SUB: u64 = 1 << SUB_BITS;

pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max: u64,
}

fn index(v: u64) -> usize {
    if v < EXACT {
        return v as usize;
    }
    let log2 = 63 - v.leading_zeros(); // >= 11
    let shift = log2 - SUB_BITS; // >= 1
    let mantissa = (v >> shift) - SUB; // 0..SUB
    (EXACT + (shift as u64 - 1) * SUB + mantissa) as usize
}

/// The largest value that lands in bucket `i`.
fn upper(i: usize) -> u64 {
    let i = i as u64;
    if i < EXACT {
        return i;
    }
    let shift = (i - EXACT) / SUB + 1;
    let mantissa = (i - EXACT) % SUB + SUB;
    ((mantissa + 1) << shift) - 1
}

impl Histogram {
    pub fn new() -> Histogram {
        Histogram { counts: vec![0; index(u64::MAX >> 8) + 1], total: 0, max: 0 }
    }

    pub fn record(&mut self, v: u64) {
        let v = v.min(u64::MAX >> 8);
        self.counts[index(v)] += 1;
        self.total += 1;
        self.max = self.max.max(v);
    }

    pub fn max(&self) -> u64 {
        self.max
    }

    /// The value at quantile `q` (0..=1), 0 when empty.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return upper(i).min(self.max);
            }
        }
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_ordered_and_tight() {
        let mut last = 0;
        for v in (0..5_000_000u64).step_by(7) {
            let i = index(v);
            assert!(i >= last);
            last = i;
            assert!(upper(i) >= v, "{v}");
            assert!(upper(i) - v <= v / 1000 + 1, "{v} -> {}", upper(i));
        }
    }

    #[test]
    fn quantiles() {
        let mut h = Histogram::new();
        for v in 1..=1000 {
            h.record(v * 100);
        }
        assert!((49_950..=50_050).contains(&h.quantile(0.5)));
        assert!((98_900..=99_100).contains(&h.quantile(0.99)));
        assert_eq!(h.quantile(1.0), 100_000);
    }
}
