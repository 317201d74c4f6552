//! Values as written on the command line: addresses, `off`, counts, rates
//! (`5/s`), sizes (`64KiB`) and times (`500ms`).

use std::net::SocketAddr;
use std::time::Duration;

pub fn addr(v: &str) -> Result<SocketAddr, String> {
    v.parse().map_err(|_| format!("'{v}' is not an address like 127.0.0.1:7000 or [::1]:7000"))
}

/// `off`, or a value.
pub fn optional<T>(v: &str, parse: impl Fn(&str) -> Result<T, String>) -> Result<Option<T>, String> {
    if v == "off" {
        Ok(None)
    } else {
        parse(v).map(Some)
    }
}

pub fn count(v: &str) -> Result<usize, String> {
    match v.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("'{v}' is not a whole number above 0")),
    }
}

/// `5`, `5/s`, or `off`.
pub fn rate(v: &str) -> Result<Option<f64>, String> {
    match v.trim_end_matches("/s") {
        "off" => Ok(None),
        n => match n.parse::<f64>() {
            Ok(r) if r > 0.0 && r.is_finite() => Ok(Some(r)),
            _ => Err(format!("'{v}' is not a rate like 5 or 5/s (or off)")),
        },
    }
}

/// `5/m`: so many per second, minute (`m`, `min`) or hour (`h`); returns
/// (how many, per how many seconds).
pub fn per_period(v: &str) -> Result<(f64, f64), String> {
    let bad = || format!("'{v}' is not a rate like 5/m, 10/h or 1/s");
    let (n, period) = v.split_once('/').ok_or_else(bad)?;
    let secs = match period {
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        _ => return Err(bad()),
    };
    match n.parse::<u32>() {
        Ok(n) if n > 0 => Ok((f64::from(n), secs)),
        _ => Err(bad()),
    }
}

/// `4096`, `64K`, `64KiB`, `1M`, `1MiB` (binary multiples).
pub fn bytes(v: &str) -> Result<usize, String> {
    let digits = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (num, unit) = v.split_at(digits);
    let scale = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" | "kb" => 1024,
        "m" | "mib" | "mb" => 1024 * 1024,
        _ => return Err(format!("'{v}': unknown unit '{unit}' (use K, KiB, M or MiB)")),
    };
    match num.parse::<usize>().ok().and_then(|n| n.checked_mul(scale)) {
        Some(n) if n > 0 => Ok(n),
        _ => Err(format!("'{v}' is not a size above 0")),
    }
}

/// `60`, `60s`, `1500ms`, `2m`, `1h`, `7d`.
pub fn duration(v: &str) -> Result<Duration, String> {
    let digits = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (num, unit) = v.split_at(digits);
    let n: u64 = num.parse().map_err(|_| format!("'{v}' is not a duration like 60s or 500ms"))?;
    let scale: u64 = match unit {
        "ms" => return nonzero(v, Duration::from_millis(n)),
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("'{v}': unknown unit '{unit}' (use ms, s, m, h or d)")),
    };
    let secs = n.checked_mul(scale).filter(|&s| s <= 100 * 365 * 86_400);
    let d = Duration::from_secs(secs.ok_or_else(|| format!("'{v}' is longer than a hundred years"))?);
    nonzero(v, d)
}

fn nonzero(v: &str, d: Duration) -> Result<Duration, String> {
    if d.is_zero() {
        return Err(format!("'{v}' must be above 0"));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_counts_per_second_minute_or_hour() {
        assert_eq!(per_period("5/m"), Ok((5.0, 60.0)));
        assert_eq!(per_period("10/h"), Ok((10.0, 3600.0)));
        assert_eq!(per_period("1/s"), Ok((1.0, 1.0)));
        for bad in ["5", "0/m", "x/m", "5/d", "-1/s"] {
            assert!(per_period(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes_times_and_rates() {
        assert_eq!(bytes("64KiB"), Ok(65536));
        assert_eq!(bytes("1M"), Ok(1 << 20));
        assert!(bytes("3GB").unwrap_err().contains("unknown unit"));
        assert!(bytes("0").is_err());
        assert_eq!(duration("1500ms"), Ok(Duration::from_millis(1500)));
        assert_eq!(duration("2m"), Ok(Duration::from_secs(120)));
        assert!(duration("0s").is_err());
        assert_eq!(rate("5/s"), Ok(Some(5.0)));
        assert_eq!(rate("off"), Ok(None));
        assert!(rate("-1").is_err());
        assert_eq!(optional("off", addr), Ok(None));
        assert!(count("0").is_err());
    }
}
