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

/// A civil date and time (UTC) from Unix milliseconds: (year, month, day,
/// hour, minute, second, millisecond). Howard Hinnant's days-to-civil.
fn civil(ms: u64) -> (i64, u32, u32, u32, u32, u32, u32) {
    let secs = (ms / 1000) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400) as u32);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, rem / 3600, rem / 60 % 60, rem % 60, (ms % 1000) as u32)
}

/// `2026-12-06T10:03:00.123Z` (IRCv3 server-time, JSON `time`).
pub fn iso_ms(ms: u64) -> String {
    let (y, mo, d, h, mi, s, milli) = civil(ms);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z")
}

/// `2026-12-06 10:03:00` (text history).
pub fn text_time(ms: u64) -> String {
    let (y, mo, d, h, mi, s, _) = civil(ms);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
}

/// Reads `2026-12-06T10:03:00.123Z` (fraction and `Z` optional, as
/// clients send IRCv3 timestamps) back into Unix milliseconds.
pub fn parse_iso_ms(s: &str) -> Option<u64> {
    let s = s.strip_suffix('Z').unwrap_or(s);
    let (date, time) = s.split_once('T')?;
    let mut d = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, mo, day) = (d.next()??, d.next()??, d.next()??);
    let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
    let mut t = hms.splitn(3, ':').map(|p| p.parse::<i64>().ok());
    let (h, mi, sec) = (t.next()??, t.next()??, t.next()??);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&day) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    if frac.is_empty() || frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let milli: i64 = format!("{frac:0<3}")[..3].parse().ok()?;
    // Days from civil (the inverse of `civil`).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2.rem_euclid(400);
    let mp = if mo > 2 { mo - 3 } else { mo + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let ms = ((days * 86_400 + h * 3600 + mi * 60 + sec) * 1000 + milli).max(0);
    Some(ms as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_and_write() {
        assert_eq!(iso_ms(0), "1970-01-01T00:00:00.000Z");
        let ms = 1_796_551_380_123; // 2026-12-06T10:03:00.123Z
        assert_eq!(iso_ms(ms), "2026-12-06T10:03:00.123Z");
        assert_eq!(text_time(ms), "2026-12-06 10:03:00");
        assert_eq!(parse_iso_ms("2026-12-06T10:03:00.123Z"), Some(ms));
        assert_eq!(parse_iso_ms("2026-12-06T10:03:00Z"), Some(ms - 123));
        assert_eq!(
            parse_iso_ms("2024-02-29T23:59:59.5Z").map(iso_ms).as_deref(),
            Some("2024-02-29T23:59:59.500Z")
        );
        for bad in ["", "2026-12-06", "2026-13-01T00:00:00Z", "x-1-1T0:0:0Z", "2026-12-06T10:03:00.Z"] {
            assert_eq!(parse_iso_ms(bad), None, "{bad}");
        }
    }
}
