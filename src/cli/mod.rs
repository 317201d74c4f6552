//! The command line as one table: each option's name, value, default,
//! meaning and parser are written once, in [`OPTIONS`] (`table.rs`).
//! `--help` and the README's options table are made from it here, and the
//! defaults are the table's own strings run through the parsers, so none
//! can disagree. The parsers of sizes, times, counts and rates are
//! `crate::units`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use log::LevelFilter;

use crate::cluster::RedisUrl;

pub mod config;
mod table;

pub use config::Settings;

/// The largest --max-line accepted: output offsets are 32-bit, and no chat
/// line needs more.
pub const MAX_LINE_CEILING: usize = 16 << 20;

/// Everything the command line sets.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub listen: SocketAddr,
    pub http_listen: Option<SocketAddr>,
    pub irc_listen: Option<SocketAddr>,
    pub tls_listen: Option<SocketAddr>,
    pub https_listen: Option<SocketAddr>,
    pub ircs_listen: Option<SocketAddr>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub server_name: String,
    pub ws_origin: Option<String>,
    pub max_clients: usize,
    pub max_per_ip: usize,
    pub rate: Option<f64>,
    pub burst: f64,
    pub join_rate: Option<f64>,
    pub join_burst: f64,
    pub max_line: usize,
    pub max_outbuf: usize,
    pub default_room: String,
    pub max_rooms: usize,
    pub max_rooms_per_client: usize,
    pub nick_timeout: Duration,
    pub idle_timeout: Option<Duration>,
    pub handlers: Option<PathBuf>,
    pub handler_budget: u64,
    pub handler_memory: usize,
    pub handler_max_output: usize,
    pub history: usize,
    pub history_age: Duration,
    pub history_memory: usize,
    pub history_page: usize,
    pub join_replay: usize,
    pub db: Option<PathBuf>,
    pub db_sync: crate::store::DbSync,
    pub db_backlog: usize,
    pub min_password: usize,
    pub login_rate: Option<crate::net::Rate>,
    pub allow_plain_auth: bool,
    pub jwt_secret: Option<PathBuf>,
    pub oper_file: Option<PathBuf>,
    pub redis: Option<RedisUrl>,
    pub node_id: Option<String>,
    pub reuse_port: bool,
    pub presence_ttl: Duration,
    pub redis_max_outbuf: usize,
    pub log_level: LevelFilter,
    pub log_format: crate::logs::LogFormat,
    pub motd: Option<PathBuf>,
    pub lang: crate::words::Lang,
    pub irc_password: Option<PathBuf>,
    pub sts_duration: Option<Duration>,
    pub monitor_max: usize,
    pub whowas: usize,
}

/// An option's default.
#[derive(Debug, Clone, Copy)]
pub enum Default {
    /// This value, as it would be written on the command line.
    Value(&'static str),
    /// Worked out at start-up (shown as said here).
    Described(&'static str),
    /// None: unset unless given.
    Unset,
}

/// One row of the table.
pub struct Opt {
    /// Without the dashes.
    pub name: &'static str,
    /// What follows it (empty for a flag).
    pub value: &'static str,
    pub default: Default,
    /// What it means, in one paragraph.
    pub help: &'static str,
    /// Sets it from a value as written (a flag gets "").
    pub set: fn(&mut Options, &str) -> Result<(), String>,
}

pub use table::OPTIONS;

impl std::default::Default for Options {
    /// The table's defaults, parsed as if given.
    fn default() -> Self {
        let mut o = Options {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            http_listen: None,
            irc_listen: None,
            tls_listen: None,
            https_listen: None,
            ircs_listen: None,
            tls_cert: None,
            tls_key: None,
            server_name: String::new(),
            ws_origin: None,
            max_clients: 0,
            max_per_ip: 0,
            rate: None,
            burst: 0.0,
            join_rate: None,
            join_burst: 0.0,
            max_line: 0,
            max_outbuf: 0,
            default_room: String::new(),
            max_rooms: 0,
            max_rooms_per_client: 0,
            nick_timeout: Duration::ZERO,
            idle_timeout: None,
            handlers: None,
            handler_budget: 0,
            handler_memory: 0,
            handler_max_output: 0,
            history: 0,
            history_age: Duration::ZERO,
            history_memory: 0,
            history_page: 0,
            join_replay: 0,
            db: None,
            db_sync: crate::store::DbSync::Normal,
            db_backlog: 0,
            min_password: 0,
            login_rate: None,
            allow_plain_auth: false,
            jwt_secret: None,
            oper_file: None,
            redis: None,
            node_id: None,
            reuse_port: false,
            presence_ttl: Duration::ZERO,
            redis_max_outbuf: 0,
            log_level: LevelFilter::Info,
            log_format: crate::logs::LogFormat::Auto,
            motd: None,
            lang: crate::words::Lang::EN,
            irc_password: None,
            sts_duration: None,
            monitor_max: 0,
            whowas: 0,
        };
        for opt in OPTIONS {
            if let Default::Value(v) = opt.default {
                (opt.set)(&mut o, v).unwrap_or_else(|e| panic!("--{}'s default: {e}", opt.name));
            }
        }
        o
    }
}

/// What the command line asks for.
pub enum Command {
    Run(Box<Settings>),
    /// `--print-config`: the settings as a config file.
    PrintConfig(Box<Settings>),
    Help,
    Version,
}

/// Reads the command line (without the program's name), and the config
/// file it names.
pub fn parse_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> Result<Command, String> {
    use lexopt::prelude::*;
    let mut given = Vec::new();
    let mut config = None;
    let mut print = false;
    let mut parser = lexopt::Parser::from_args(args);
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        let name = match arg {
            Short('h') | Long("help") => return Ok(Command::Help),
            Short('V') | Long("version") => return Ok(Command::Version),
            Long("print-config") => {
                print = true;
                continue;
            }
            Long(name) => name.to_string(),
            Short(c) => return Err(format!("unknown option -{c}; see --help")),
            Value(v) => return Err(format!("unexpected argument {v:?}; see --help")),
        };
        let Some(opt) = OPTIONS.iter().find(|o| o.name == name) else {
            return Err(format!("invalid option '--{name}'; see --help"));
        };
        let value = if opt.value.is_empty() {
            String::new()
        } else {
            let v = parser.value().map_err(|e| e.to_string())?;
            v.into_string().map_err(|v| format!("--{name}: {v:?} is not valid UTF-8"))?
        };
        if opt.name == "config" {
            config = Some(PathBuf::from(value));
        } else {
            given.push((opt, value));
        }
    }
    let settings = Box::new(Settings::load(config.as_deref(), given)?);
    Ok(if print { Command::PrintConfig(settings) } else { Command::Run(settings) })
}

fn default_text(opt: &Opt) -> Option<&'static str> {
    match opt.default {
        Default::Value(v) | Default::Described(v) => Some(v),
        Default::Unset => None,
    }
}

/// `--help`.
pub fn usage() -> String {
    let mut u = String::from(
        "linechat - a small, fast chat server for nc, scripts, JSON clients, browsers and IRC clients\n\n\
         usage: linechat [OPTIONS]\n       \
         linechat client [ADDR] [--nick NAME] [--tls ...]   (a terminal client; --help)\n       \
         echo PASSWORD | linechat hash-password   (a hash for --oper-file)\n\noptions:\n",
    );
    const INDENT: usize = 25;
    const WIDTH: usize = 96;
    for opt in OPTIONS {
        let head = format!("  --{}{}{}", opt.name, if opt.value.is_empty() { "" } else { " " }, opt.value);
        let mut words: Vec<String> = opt.help.split(' ').map(str::to_string).collect();
        if let Some(d) = default_text(opt) {
            words.push(format!("[default: {d}]"));
        }
        let mut line = head.clone();
        if line.len() + 1 > INDENT {
            u.push_str(&line);
            u.push('\n');
            line = String::new();
        }
        for word in &words {
            if line.len() < INDENT {
                line.push_str(&" ".repeat(INDENT - line.len()));
            } else if line.len() + 1 + word.len() > WIDTH {
                u.push_str(&line);
                u.push('\n');
                line = " ".repeat(INDENT);
            } else {
                line.push(' ');
            }
            line.push_str(word);
        }
        u.push_str(&line);
        u.push('\n');
    }
    u.push_str(
        "  --print-config         print the settings in force as a config file, and exit\n  \
         -h, --help             print this help\n  -V, --version          print the version and the features built in\n\n\
         BYTES take a suffix K, KiB, M or MiB (1K = 1KiB = 1024); TIME takes ms, s, m or h\n\
         (a bare number is seconds). Logs go to stderr. SIGINT or SIGTERM stops the server:\n\
         clients get '* server shutting down' and up to 2 s to receive their last lines.\n",
    );
    u
}

/// The README's options table, made from [`OPTIONS`].
pub fn markdown_table() -> String {
    let mut t = String::from("| option | default | meaning |\n|---|---|---|\n");
    for opt in OPTIONS {
        let value = if opt.value.is_empty() { String::new() } else { format!(" {}", opt.value) };
        let default = match opt.default {
            Default::Value(v) if v.chars().any(|c| c.is_ascii_digit()) || v.starts_with('#') => {
                format!("`{v}`")
            }
            Default::Value(v) | Default::Described(v) => v.to_string(),
            Default::Unset => String::new(),
        };
        t.push_str(&format!("| `--{}{value}` | {default} | {} |\n", opt.name, opt.help.replace('|', "\\|")));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Options, String> {
        match parse_args(args.iter().map(Into::into))? {
            Command::Run(s) => Ok(s.opts),
            _ => Err("not a run".into()),
        }
    }

    #[test]
    fn the_defaults_are_the_tables_and_the_help_shows_them() {
        let o = run(&[]).unwrap();
        assert_eq!(o, Options::default());
        assert_eq!(o.listen.to_string(), "127.0.0.1:7000");
        assert_eq!(o.http_listen.map(|a| a.to_string()).as_deref(), Some("127.0.0.1:7080"));
        assert_eq!((o.max_clients, o.max_line, o.max_outbuf), (10_000, 4096, 1 << 20));
        assert_eq!((o.nick_timeout, o.idle_timeout), (Duration::from_secs(60), None));
        assert_eq!((o.default_room.as_str(), o.max_rooms, o.max_rooms_per_client), ("#lobby", 10_000, 20));
        assert_eq!((o.server_name.as_str(), o.max_per_ip, o.rate, o.burst), ("linechat", 0, None, 10.0));
        assert_eq!((o.join_rate, o.join_burst, o.irc_listen), (None, 5.0, None));
        assert_eq!(
            (o.handler_budget, o.handler_memory, o.handler_max_output),
            (1_000_000, 16 << 20, 1 << 20)
        );
        assert_eq!(
            (o.presence_ttl, o.redis_max_outbuf, o.log_level),
            (Duration::from_secs(15), 16 << 20, LevelFilter::Info)
        );
        let help = usage();
        for opt in OPTIONS {
            let shown = help.lines().position(|l| l.trim_start().starts_with(&format!("--{}", opt.name)));
            assert!(shown.is_some(), "--{} is in --help", opt.name);
            if let Some(d) = default_text(opt) {
                let rest: String = help.lines().skip(shown.unwrap()).take(4).collect::<Vec<_>>().join("\n");
                assert!(rest.contains(&format!("[default: {d}]")), "--{}: {rest}", opt.name);
            }
        }
        assert!(help.lines().all(|l| l.len() <= 100), "{help}");
    }

    #[test]
    fn the_readme_lists_the_tables_options() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
        assert!(
            readme.contains(&markdown_table()),
            "README's options table is not the table's:\n{}",
            markdown_table()
        );
    }

    #[test]
    fn options_parse_in_both_gnu_forms() {
        let o = run(&[
            "--listen=0.0.0.0:0",
            "--max-line",
            "64",
            "--max-outbuf=64KiB",
            "--idle-timeout",
            "1500ms",
        ])
        .unwrap();
        assert_eq!(o.listen.port(), 0);
        assert_eq!(o.max_line, 64);
        assert_eq!(o.max_outbuf, 65536);
        assert_eq!(o.idle_timeout, Some(Duration::from_millis(1500)));
        assert_eq!(run(&["--nick-timeout", "2m"]).unwrap().nick_timeout, Duration::from_secs(120));
        assert_eq!(run(&["--rate", "5/s", "--burst", "3"]).map(|o| (o.rate, o.burst)), Ok((Some(5.0), 3.0)));
        assert!(run(&["--reuse-port"]).unwrap().reuse_port);
    }

    #[test]
    fn bad_values_are_explained() {
        assert!(run(&["--rate", "fast"]).unwrap_err().contains("--rate"));
        assert!(run(&["--max-line", "0"]).unwrap_err().contains("--max-line"));
        assert!(run(&["--max-outbuf", "3GB"]).unwrap_err().contains("unknown unit"));
        assert!(run(&["--listen", "nowhere"]).unwrap_err().contains("not an address"));
        assert!(run(&["--bogus"]).unwrap_err().contains("--bogus"));
        assert!(run(&["--nick-timeout", "0"]).is_err());
        assert!(run(&["--max-line", "17MiB"]).unwrap_err().contains("at most 16MiB"));
        assert!(run(&["--default-room", "lobby"]).unwrap_err().contains("starts with '#'"));
        assert_eq!(run(&["--default-room", "#Hall"]).unwrap().default_room, "#Hall");
        assert!(run(&["--server-name", "a b"]).unwrap_err().contains("--server-name"));
        assert!(run(&["--tls-listen", "127.0.0.1:0"]).unwrap_err().contains("need --tls-cert and --tls-key"));
        let o = run(&["--ircs-listen", "127.0.0.1:0", "--tls-cert", "c.pem", "--tls-key", "k.pem"]).unwrap();
        assert_eq!(o.tls_cert.unwrap().to_str(), Some("c.pem"));
        assert_eq!(run(&["--irc-listen", "127.0.0.1:0"]).unwrap().irc_listen.unwrap().port(), 0);
        assert!(run(&["--node-id", "a b"]).unwrap_err().contains("--node-id"));
        assert!(run(&["--presence-ttl", "500ms"]).unwrap_err().contains("at least 1s"));
    }
}
