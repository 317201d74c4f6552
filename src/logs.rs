//! The log: one line per record on stderr, as text (with a UTC timestamp),
//! as journald reads it (a `<N>` priority prefix and no timestamp: the
//! journal stamps each line itself), or as one JSON object per line for log
//! shippers. The level is the `log` crate's global one, so a reload can
//! change it.

use std::io::Write;

use log::{Level, LevelFilter, Log, Metadata, Record};

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Journal when stderr is the journal's (systemd sets `JOURNAL_STREAM`),
    /// else text.
    Auto,
    Text,
    Journal,
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(LogFormat::Auto),
            "text" => Ok(LogFormat::Text),
            "journal" => Ok(LogFormat::Journal),
            "json" => Ok(LogFormat::Json),
            _ => Err(format!("'{s}': use auto, text, journal or json")),
        }
    }
}

impl LogFormat {
    /// What `Auto` means here: journal when stderr is the stream systemd
    /// named in `JOURNAL_STREAM` (device:inode), as sd_journal_stream_fd's
    /// readers check.
    pub fn resolve(self) -> LogFormat {
        if self != LogFormat::Auto {
            return self;
        }
        let Some(stream) = std::env::var_os("JOURNAL_STREAM") else { return LogFormat::Text };
        let stream = stream.to_string_lossy().into_owned();
        let Some((dev, ino)) = stream.split_once(':') else { return LogFormat::Text };
        // SAFETY: fstat writes only into the struct it is given.
        let stat = unsafe {
            let mut st = std::mem::zeroed::<libc::stat>();
            (libc::fstat(2, &mut st) == 0).then_some(st)
        };
        // dev_t and ino_t are narrower on some 32-bit boards.
        #[allow(clippy::unnecessary_cast)]
        match stat {
            Some(st)
                if dev.parse::<u64>() == Ok(st.st_dev as u64)
                    && ino.parse::<u64>() == Ok(st.st_ino as u64) =>
            {
                LogFormat::Journal
            }
            _ => LogFormat::Text,
        }
    }
}

/// syslog's priority for a level, as journald reads it from `<N>`.
fn priority(level: Level) -> u8 {
    match level {
        Level::Error => 3,
        Level::Warn => 4,
        Level::Info => 6,
        Level::Debug | Level::Trace => 7,
    }
}

/// One record as a line in `format`.
pub fn format_record(format: LogFormat, now_ms: u64, level: Level, target: &str, message: &str) -> String {
    match format {
        LogFormat::Journal => {
            // One record, one journal entry: a newline inside would split it.
            format!("<{}>{}\n", priority(level), message.replace('\n', " "))
        }
        LogFormat::Json => {
            let v = serde_json::json!({
                "time": crate::clock::iso_ms(now_ms),
                "level": level.as_str().to_ascii_lowercase(),
                "target": target,
                "message": message,
            });
            format!("{v}\n")
        }
        LogFormat::Text | LogFormat::Auto => {
            format!("{} [{}] {message}\n", crate::clock::iso_ms(now_ms), level)
        }
    }
}

struct Logger {
    format: LogFormat,
}

impl Log for Logger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let line = format_record(
            self.format,
            crate::clock::unix_ms(),
            record.level(),
            record.target(),
            &record.args().to_string(),
        );
        // One write per record, so lines from the helper threads never mix.
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }

    fn flush(&self) {}
}

/// Starts logging to stderr (once; later calls only set the level).
pub fn init(format: LogFormat, level: LevelFilter) {
    let logger = Box::new(Logger { format: format.resolve() });
    let _ = log::set_boxed_logger(logger);
    log::set_max_level(level);
}

/// Changes the level of every later record (SIGHUP).
pub fn set_level(level: LevelFilter) {
    log::set_max_level(level);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_format_writes_one_line_per_record() {
        let t = 1_765_000_000_123;
        assert_eq!(
            format_record(LogFormat::Text, t, Level::Info, "linechat", "listening on 127.0.0.1:7000"),
            "2025-12-06T05:46:40.123Z [INFO] listening on 127.0.0.1:7000\n"
        );
        assert_eq!(format_record(LogFormat::Journal, t, Level::Warn, "x", "a\nb"), "<4>a b\n");
        assert_eq!(format_record(LogFormat::Journal, t, Level::Error, "x", "e"), "<3>e\n");
        let json: serde_json::Value = serde_json::from_str(&format_record(
            LogFormat::Json,
            t,
            Level::Debug,
            "linechat::net",
            "a \"q\"\n",
        ))
        .unwrap();
        assert_eq!(json["level"], "debug");
        assert_eq!(json["message"], "a \"q\"\n");
        assert_eq!(json["time"], "2025-12-06T05:46:40.123Z");
        assert_eq!(json["target"], "linechat::net");
        assert_eq!("journal".parse(), Ok(LogFormat::Journal));
        assert!("xml".parse::<LogFormat>().is_err());
    }
}
