//! The config file (`--config FILE`, TOML) and the settings it makes with
//! the command line: each key is an option of [`OPTIONS`] without its
//! dashes, written as on the command line (`"1MiB"`, `"off"`, `"5/s"`;
//! plain numbers where a number is meant; `true`/`false` for switches).
//! The command line wins over the file, also when SIGHUP reads it again.
//! `--print-config` writes the effective settings back as such a file.

use std::path::{Path, PathBuf};

use super::{Opt, Options, OPTIONS};

/// Options that take effect only at start-up: a reload that changes one
/// logs that it needs a restart and keeps what is running.
pub const NEEDS_RESTART: &[&str] = &[
    "listen",
    "http-listen",
    "irc-listen",
    "tls-listen",
    "https-listen",
    "ircs-listen",
    "server-name",
    "default-room",
    "max-line",
    "history",
    "history-age",
    "history-memory",
    "db",
    "db-sync",
    "db-backlog",
    "redis",
    "node-id",
    "reuse-port",
    "presence-ttl",
    "redis-max-outbuf",
    "log-format",
    "config",
];

/// The settings in force: the options, where they came from, and each
/// option's value as written.
#[derive(Clone)]
pub struct Settings {
    pub opts: Options,
    /// `--config`, if given.
    pub config: Option<PathBuf>,
    /// The options given on the command line, as written, in order.
    pub given: Vec<(&'static Opt, String)>,
    /// Each option's value as written (by [`OPTIONS`] index); `None`: unset.
    pub written: Vec<Option<String>>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings").field("opts", &self.opts).field("config", &self.config).finish()
    }
}

impl Settings {
    /// The defaults, then `config` (if any), then the command line's `given`.
    pub fn load(config: Option<&Path>, given: Vec<(&'static Opt, String)>) -> Result<Settings, String> {
        let mut s = Settings {
            opts: Options::default(),
            config: config.map(Path::to_path_buf),
            given: Vec::new(),
            written: OPTIONS
                .iter()
                .map(|o| match o.default {
                    super::Default::Value(v) => Some(v.to_string()),
                    _ => None,
                })
                .collect(),
        };
        if let Some(path) = config {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            s.apply_text(&text).map_err(|e| format!("{}:{e}", path.display()))?;
        }
        for (opt, value) in &given {
            s.set(opt, value).map_err(|e| format!("--{}: {e}", opt.name))?;
        }
        s.given = given;
        let o = &s.opts;
        let wants_tls = o.tls_listen.is_some() || o.https_listen.is_some() || o.ircs_listen.is_some();
        if wants_tls && (o.tls_cert.is_none() || o.tls_key.is_none()) {
            return Err("--tls-listen, --https-listen and --ircs-listen need --tls-cert and --tls-key".into());
        }
        Ok(s)
    }

    /// The settings a config file's `text` makes on its own (no command
    /// line); an error is `LINE: ...`.
    pub fn from_text(text: &str) -> Result<Settings, String> {
        let mut s = Settings::load(None, Vec::new())?;
        s.apply_text(text)?;
        Ok(s)
    }

    fn apply_text(&mut self, text: &str) -> Result<(), String> {
        for entry in parse(text)? {
            self.set(entry.opt, &entry.value)
                .map_err(|e| format!("{}: {}: {e}", entry.line, entry.opt.name))?;
        }
        Ok(())
    }

    fn set(&mut self, opt: &'static Opt, value: &str) -> Result<(), String> {
        (opt.set)(&mut self.opts, value)?;
        let i = OPTIONS.iter().position(|o| std::ptr::eq(o, opt)).expect("an option of the table");
        self.written[i] = Some(if opt.value.is_empty() { "true".into() } else { value.to_string() });
        Ok(())
    }

    /// The file and command line read again (SIGHUP).
    pub fn reload(&self) -> Result<Settings, String> {
        Settings::load(self.config.as_deref(), self.given.clone())
    }

    /// The options whose written values differ between `self` and `new`.
    pub fn changes<'a>(&'a self, new: &'a Settings) -> Vec<Change<'a>> {
        OPTIONS
            .iter()
            .enumerate()
            .filter(|(i, _)| self.written[*i] != new.written[*i])
            .map(|(i, opt)| Change {
                opt,
                old: self.written[i].as_deref(),
                new: new.written[i].as_deref(),
                needs_restart: NEEDS_RESTART.contains(&opt.name),
            })
            .collect()
    }

    /// `new`, with what needs a restart kept as it is in `self` (the
    /// settings in force after a reload).
    pub fn keep_restart_only(&self, mut new: Settings) -> Settings {
        for (i, opt) in OPTIONS.iter().enumerate() {
            if NEEDS_RESTART.contains(&opt.name) {
                new.written[i] = self.written[i].clone();
            }
        }
        let mut opts = Options::default();
        for (opt, value) in OPTIONS.iter().zip(&new.written) {
            if let Some(v) = value {
                let v = if opt.value.is_empty() { "" } else { v };
                (opt.set)(&mut opts, v).expect("a value that parsed before parses again");
            }
        }
        new.opts = opts;
        new
    }

    /// The settings as a config file: every option, its value and what it
    /// means (`--print-config`).
    pub fn to_file(&self) -> String {
        let mut f = String::from(
            "# linechat's settings (TOML). Each key is a command-line option without its dashes,\n\
             # its value written as on the command line; options given on the command line win.\n\
             # SIGHUP reads this file again; listen addresses and the other settings marked\n\
             # 'restart' only change when linechat restarts.\n",
        );
        for (i, opt) in OPTIONS.iter().enumerate() {
            if opt.name == "config" {
                continue;
            }
            let restart = if NEEDS_RESTART.contains(&opt.name) { " (restart)" } else { "" };
            f.push_str(&format!("\n# {}{restart}\n", opt.help));
            match (&self.written[i], opt.value.is_empty()) {
                (Some(_), true) => f.push_str(&format!("{} = true\n", opt.name)),
                (None, true) => f.push_str(&format!("{} = false\n", opt.name)),
                (Some(v), false) => f.push_str(&format!("{} = {}\n", opt.name, toml_value(v))),
                (None, false) => {
                    let default = match opt.default {
                        super::Default::Described(d) => format!(" (default: {d})"),
                        _ => String::new(),
                    };
                    f.push_str(&format!("# {} = \"{}\"{default}\n", opt.name, opt.value));
                }
            }
        }
        f
    }
}

/// One option that a reload changes.
pub struct Change<'a> {
    pub opt: &'static Opt,
    pub old: Option<&'a str>,
    pub new: Option<&'a str>,
    pub needs_restart: bool,
}

impl std::fmt::Display for Change<'_> {
    /// For the log: a Redis URL without its password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redis = self.opt.name == "redis";
        let shown = |v: Option<&str>| match v {
            None => "unset".to_string(),
            Some(v) if redis && v != "off" => match crate::cluster::RedisUrl::parse(v) {
                Ok(url) => format!("{:?}", url.to_string()),
                Err(_) => "(not a Redis URL)".to_string(),
            },
            Some(v) => format!("{v:?}"),
        };
        write!(f, "{}: {} -> {}", self.opt.name, shown(self.old), shown(self.new))
    }
}

/// A number as a TOML number, anything else as a TOML string.
fn toml_value(v: &str) -> String {
    if !v.is_empty() && v.len() < 19 && v.bytes().all(|b| b.is_ascii_digit()) && !v.starts_with('0') {
        return v.to_string();
    }
    let mut s = String::from("\"");
    for c in v.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            c if c.is_control() => s.push_str(&format!("\\u{:04X}", c as u32)),
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

/// One key of the file, as the option it names and the value as written.
struct Entry {
    opt: &'static Opt,
    value: String,
    line: usize,
}

/// The file's keys in order; an error is `LINE: message` (or
/// `LINE:COLUMN: message` for TOML syntax).
fn parse(text: &str) -> Result<Vec<Entry>, String> {
    use toml::de::{DeTable, DeValue};
    let line_of = |at: usize| text[..at.min(text.len())].bytes().filter(|&b| b == b'\n').count() + 1;
    let table = DeTable::parse(text).map_err(|e| {
        let at = e.span().map_or(0, |s| s.start);
        let col = at - text[..at.min(text.len())].rfind('\n').map_or(0, |n| n + 1) + 1;
        format!("{}:{col}: {}", line_of(at), e.message().trim_end())
    })?;
    let mut entries = Vec::new();
    for (key, value) in table.get_ref() {
        let line = line_of(key.span().start);
        let name: &str = key.get_ref();
        let opt = OPTIONS
            .iter()
            .find(|o| o.name == name && o.name != "config")
            .ok_or_else(|| format!("{line}: unknown key '{name}' (the keys are the options of --help)"))?;
        let value = match (value.get_ref(), opt.value.is_empty()) {
            (DeValue::Boolean(true), true) => String::new(),
            (DeValue::Boolean(false), true) => continue,
            (_, true) => return Err(format!("{line}: {name}: a switch: write true or false")),
            (DeValue::String(s), false) => s.to_string(),
            (DeValue::Integer(n), false) => n.to_string(),
            (DeValue::Float(x), false) => x.to_string(),
            (_, false) => {
                return Err(format!("{line}: {name}: write a string (as on the command line) or a number"))
            }
        };
        entries.push(Entry { opt, value, line });
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> Result<Settings, String> {
        let dir = std::env::temp_dir().join(format!("linechat-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path =
            dir.join(format!("{:x}.toml", text.len() * 31 + text.bytes().map(usize::from).sum::<usize>()));
        std::fs::write(&path, text).unwrap();
        let s = Settings::load(Some(&path), Vec::new());
        std::fs::remove_file(&path).unwrap();
        s.map_err(|e| e.rsplit(".toml:").next().unwrap().to_string())
    }

    fn opt(name: &str) -> &'static Opt {
        OPTIONS.iter().find(|o| o.name == name).unwrap()
    }

    #[test]
    fn keys_are_options_written_as_on_the_command_line() {
        let s = file("max-clients = 500\nmax-outbuf = \"64KiB\"\nrate = 2.5\nidle-timeout = \"off\"\nreuse-port = true\nallow-plain-auth = false\n").unwrap();
        assert_eq!((s.opts.max_clients, s.opts.max_outbuf, s.opts.rate), (500, 65536, Some(2.5)));
        assert!(s.opts.reuse_port && !s.opts.allow_plain_auth);
        assert_eq!(s.opts.idle_timeout, None);
    }

    #[test]
    fn mistakes_name_the_line_and_key() {
        assert_eq!(
            file("\n\nmax-clients = \"many\"\n").unwrap_err(),
            "3: max-clients: 'many' is not a whole number above 0"
        );
        assert!(file("max-clients = 5\nbogus = 1\n").unwrap_err().starts_with("2: unknown key 'bogus'"));
        assert!(file("reuse-port = \"yes\"\n").unwrap_err().starts_with("1: reuse-port: a switch"));
        assert!(file("listen = [1, 2]\n").unwrap_err().starts_with("1: listen: write a string"));
        assert!(file("[section]\nx = 1\n").unwrap_err().starts_with("1: unknown key 'section'"));
        assert!(file("config = \"other.toml\"\n").unwrap_err().starts_with("1: unknown key 'config'"));
        let syntax = file("max-clients = 5\nrate = = 3\n").unwrap_err();
        assert!(syntax.starts_with("2:"), "{syntax}");
    }

    #[test]
    fn the_command_line_wins_and_printing_round_trips() {
        let dir = std::env::temp_dir().join(format!("linechat-config-rt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.toml");
        std::fs::write(&path, "max-clients = 500\nserver-name = \"chat.example\"\n").unwrap();
        let s = Settings::load(Some(&path), vec![(opt("max-clients"), "7".into())]).unwrap();
        assert_eq!((s.opts.max_clients, s.opts.server_name.as_str()), (7, "chat.example"));
        // The printed settings, read back, are the same settings.
        std::fs::write(&path, s.to_file()).unwrap();
        let back = Settings::load(Some(&path), Vec::new()).unwrap();
        assert_eq!(back.opts, s.opts);
        assert_eq!(back.written, s.written);
        // A reload sees the file's changes, the command line still winning.
        std::fs::write(&path, "max-clients = 600\nburst = 20\nlisten = \"127.0.0.1:7777\"\n").unwrap();
        let new = s.reload().unwrap();
        assert_eq!((new.opts.max_clients, new.opts.burst), (7, 20.0));
        let changes: Vec<String> =
            s.changes(&new).iter().map(|c| format!("{c} {}", c.needs_restart)).collect();
        assert!(changes.contains(&"burst: \"10\" -> \"20\" false".to_string()), "{changes:?}");
        assert!(changes.contains(&"listen: \"127.0.0.1:7000\" -> \"127.0.0.1:7777\" true".to_string()));
        assert!(changes.contains(&"server-name: \"chat.example\" -> \"linechat\" true".to_string()));
        // A password in a Redis URL never reaches the log.
        let secret = s.reload().map(|mut with| {
            with.written[OPTIONS.iter().position(|o| o.name == "redis").unwrap()] =
                Some("redis://u:hunter2@127.0.0.1:6390/0".into());
            with
        });
        let logged: Vec<String> = s.changes(secret.as_ref().unwrap()).iter().map(|c| c.to_string()).collect();
        assert!(logged.iter().any(|l| l == "redis: \"off\" -> \"redis://u@127.0.0.1:6390/0\""), "{logged:?}");
        assert!(!logged.concat().contains("hunter2"));
        let kept = s.keep_restart_only(new);
        assert!(s.changes(&kept).iter().all(|c| !c.needs_restart));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
