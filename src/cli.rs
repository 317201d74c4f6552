//! The command line as one table: each option's name, value, default,
//! meaning and parser are written once, in [`OPTIONS`]. `--help` and the
//! README's options table are made from it, and the defaults are the
//! table's own strings run through the parsers, so none can disagree.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use log::LevelFilter;

use crate::chat::rooms::parse_room;
use crate::cluster::{valid_node_id, RedisUrl};

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
    pub redis: Option<RedisUrl>,
    pub node_id: Option<String>,
    pub reuse_port: bool,
    pub presence_ttl: Duration,
    pub redis_max_outbuf: usize,
    pub log_level: LevelFilter,
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

/// Every option, in the order `--help` lists them.
pub static OPTIONS: &[Opt] = &[
    Opt {
        name: "listen",
        value: "ADDR",
        default: Default::Value("127.0.0.1:7000"),
        help: "chat port (text and JSON lines); port 0 picks a free port, logged as 'listening on ADDR'",
        set: |o, v| {
            o.listen = addr(v)?;
            Ok(())
        },
    },
    Opt {
        name: "http-listen",
        value: "ADDR",
        default: Default::Value("127.0.0.1:7080"),
        help: "web port: chat page at /, /metrics, /healthz, WebSocket at /ws; 'off' disables it",
        set: |o, v| {
            o.http_listen = optional(v, addr)?;
            Ok(())
        },
    },
    Opt {
        name: "irc-listen",
        value: "ADDR",
        default: Default::Value("off"),
        help: "IRC port for IRC clients (irssi, WeeChat, HexChat); port 0 picks a free port",
        set: |o, v| {
            o.irc_listen = optional(v, addr)?;
            Ok(())
        },
    },
    Opt {
        name: "tls-listen",
        value: "ADDR",
        default: Default::Value("off"),
        help: "the chat port's protocol over TLS",
        set: |o, v| {
            o.tls_listen = optional(v, addr)?;
            Ok(())
        },
    },
    Opt {
        name: "https-listen",
        value: "ADDR",
        default: Default::Value("off"),
        help: "the web port over TLS: https:// page, /metrics, wss://",
        set: |o, v| {
            o.https_listen = optional(v, addr)?;
            Ok(())
        },
    },
    Opt {
        name: "ircs-listen",
        value: "ADDR",
        default: Default::Value("off"),
        help: "the IRC port over TLS",
        set: |o, v| {
            o.ircs_listen = optional(v, addr)?;
            Ok(())
        },
    },
    Opt {
        name: "tls-cert",
        value: "FILE",
        default: Default::Unset,
        help: "PEM certificate chain for the TLS listeners (e.g. Let's Encrypt's fullchain.pem); SIGHUP reloads it and the key",
        set: |o, v| {
            o.tls_cert = Some(v.into());
            Ok(())
        },
    },
    Opt {
        name: "tls-key",
        value: "FILE",
        default: Default::Unset,
        help: "PEM private key (PKCS#8, RSA or EC; e.g. privkey.pem)",
        set: |o, v| {
            o.tls_key = Some(v.into());
            Ok(())
        },
    },
    Opt {
        name: "server-name",
        value: "NAME",
        default: Default::Value("linechat"),
        help: "the server's name in IRC replies and user masks (nick!nick@NAME)",
        set: |o, v| {
            if v.is_empty() || v.len() > 63 || !v.chars().all(|c| c.is_ascii_alphanumeric() || "-.".contains(c)) {
                return Err(format!("'{v}': use 1 to 63 ASCII letters, digits, '-' and '.'"));
            }
            o.server_name = v.to_string();
            Ok(())
        },
    },
    Opt {
        name: "ws-origin",
        value: "ORIGIN",
        default: Default::Described("any"),
        help: "accept WebSocket upgrades only from this Origin (e.g. https://chat.example.org)",
        set: |o, v| {
            o.ws_origin = Some(v.to_string());
            Ok(())
        },
    },
    Opt {
        name: "max-clients",
        value: "N",
        default: Default::Value("10000"),
        help: "connections at once; the next one gets '! server-full'",
        set: |o, v| {
            o.max_clients = count(v)?;
            Ok(())
        },
    },
    Opt {
        name: "max-per-ip",
        value: "N",
        default: Default::Value("0"),
        help: "connections at once from one address; the next gets '! too-many-connections' (HTTP 503 on the web port); 0: no limit",
        set: |o, v| {
            o.max_per_ip = v.parse().map_err(|_| format!("'{v}' is not a whole number (0: no limit)"))?;
            Ok(())
        },
    },
    Opt {
        name: "rate",
        value: "LINES/S",
        default: Default::Value("off"),
        help: "lines per second each connection may send (e.g. 5 or 5/s); a client over it is not read until its rate allows (TCP back-pressure: nothing is lost, nobody else slows down)",
        set: |o, v| {
            o.rate = rate(v)?;
            Ok(())
        },
    },
    Opt {
        name: "burst",
        value: "N",
        default: Default::Value("10"),
        help: "lines a connection may send at once before --rate applies",
        set: |o, v| {
            o.burst = count(v)? as f64;
            Ok(())
        },
    },
    Opt {
        name: "join-rate",
        value: "N/S",
        default: Default::Value("off"),
        help: "nickname attempts and room joins per second per connection; past it the connection is not read until its rate allows",
        set: |o, v| {
            o.join_rate = rate(v)?;
            Ok(())
        },
    },
    Opt {
        name: "join-burst",
        value: "N",
        default: Default::Value("5"),
        help: "nickname attempts and joins at once before --join-rate applies",
        set: |o, v| {
            o.join_burst = count(v)? as f64;
            Ok(())
        },
    },
    Opt {
        name: "max-line",
        value: "BYTES",
        default: Default::Value("4096"),
        help: "longest input line (at most 16MiB); longer gets '! line-too-long'",
        set: |o, v| {
            o.max_line = bytes(v)?;
            if o.max_line > MAX_LINE_CEILING {
                return Err("at most 16MiB".into());
            }
            Ok(())
        },
    },
    Opt {
        name: "max-outbuf",
        value: "BYTES",
        default: Default::Value("1MiB"),
        help: "unsent output a client may hold before it is dropped as a slow consumer",
        set: |o, v| {
            o.max_outbuf = bytes(v)?;
            Ok(())
        },
    },
    Opt {
        name: "default-room",
        value: "NAME",
        default: Default::Value("#lobby"),
        help: "the room clients are in once they choose a nickname; it always exists",
        set: |o, v| {
            o.default_room = parse_room(v).map_err(|e| format!("'{v}': {e}"))?.to_string();
            Ok(())
        },
    },
    Opt {
        name: "max-rooms",
        value: "N",
        default: Default::Value("10000"),
        help: "rooms at once, the default one not counted; creating one more gets '! too-many-rooms'",
        set: |o, v| {
            o.max_rooms = count(v)?;
            Ok(())
        },
    },
    Opt {
        name: "max-rooms-per-client",
        value: "N",
        default: Default::Value("20"),
        help: "rooms a JSON client may hold besides the default one",
        set: |o, v| {
            o.max_rooms_per_client = count(v)?;
            Ok(())
        },
    },
    Opt {
        name: "nick-timeout",
        value: "TIME",
        default: Default::Value("60s"),
        help: "time to choose a nickname (and to finish a TLS handshake) before being disconnected",
        set: |o, v| {
            o.nick_timeout = duration(v)?;
            Ok(())
        },
    },
    Opt {
        name: "idle-timeout",
        value: "TIME",
        default: Default::Value("off"),
        help: "disconnect joined clients silent this long (IRC clients are pinged first); 'off' to keep them",
        set: |o, v| {
            o.idle_timeout = if v == "0" { None } else { optional(v, duration)? };
            Ok(())
        },
    },
    Opt {
        name: "handlers",
        value: "DIR",
        default: Default::Value("off"),
        help: "every DIR/NAME.lua handles packet type NAME and the text command /NAME (docs/HANDLERS.md); SIGHUP reloads the folder",
        set: |o, v| {
            o.handlers = optional(v, |v| Ok(PathBuf::from(v)))?;
            Ok(())
        },
    },
    Opt {
        name: "handler-budget",
        value: "N",
        default: Default::Value("1000000"),
        help: "Lua instructions one handler call (or the loading of one file) may run",
        set: |o, v| {
            o.handler_budget = count(v)? as u64;
            Ok(())
        },
    },
    Opt {
        name: "handler-memory",
        value: "BYTES",
        default: Default::Value("16MiB"),
        help: "memory each handler file's Lua state may hold",
        set: |o, v| {
            o.handler_memory = bytes(v)?;
            Ok(())
        },
    },
    Opt {
        name: "handler-max-output",
        value: "BYTES",
        default: Default::Value("1MiB"),
        help: "bytes of events one handler call may send",
        set: |o, v| {
            o.handler_max_output = bytes(v)?;
            Ok(())
        },
    },
    Opt {
        name: "redis",
        value: "URL",
        default: Default::Value("off"),
        help: "share rooms with other linechat nodes through Redis: redis://[user:password@]host:port[/db] (README, 'Running several nodes'); unreachable Redis never stops local service",
        set: |o, v| {
            o.redis = optional(v, RedisUrl::parse)?;
            Ok(())
        },
    },
    Opt {
        name: "node-id",
        value: "NAME",
        default: Default::Described("host name and pid"),
        help: "this node's name in the cluster (1 to 64 of A-Z a-z 0-9 . _ -)",
        set: |o, v| {
            if !valid_node_id(v) {
                return Err(format!("'{v}': use 1 to 64 ASCII letters, digits, '.', '_' and '-'"));
            }
            o.node_id = Some(v.to_string());
            Ok(())
        },
    },
    Opt {
        name: "reuse-port",
        value: "",
        default: Default::Described("off"),
        help: "let several linechat processes on one machine listen on the same ports (SO_REUSEPORT; the kernel spreads new clients among them)",
        set: |o, _| {
            o.reuse_port = true;
            Ok(())
        },
    },
    Opt {
        name: "presence-ttl",
        value: "TIME",
        default: Default::Value("15s"),
        help: "how long a node's nickname claims live without refresh; a node silent this long is gone and its users leave",
        set: |o, v| {
            let ttl = duration(v)?;
            if ttl < Duration::from_secs(1) {
                return Err("at least 1s".into());
            }
            o.presence_ttl = ttl;
            Ok(())
        },
    },
    Opt {
        name: "redis-max-outbuf",
        value: "BYTES",
        default: Default::Value("16MiB"),
        help: "publications queued for a slow Redis; past it the oldest are dropped (counted in /metrics)",
        set: |o, v| {
            o.redis_max_outbuf = bytes(v)?;
            Ok(())
        },
    },
    Opt {
        name: "log-level",
        value: "LEVEL",
        default: Default::Value("info"),
        help: "off, error, warn, info, debug or trace (logs go to stderr)",
        set: |o, v| {
            o.log_level = v.parse().map_err(|_| "use off, error, warn, info, debug or trace".to_string())?;
            Ok(())
        },
    },
];

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
            redis: None,
            node_id: None,
            reuse_port: false,
            presence_ttl: Duration::ZERO,
            redis_max_outbuf: 0,
            log_level: LevelFilter::Info,
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
    Run(Box<Options>),
    Help,
    Version,
}

/// Reads the command line (without the program's name).
pub fn parse_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> Result<Command, String> {
    use lexopt::prelude::*;
    let mut opts = Options::default();
    let mut parser = lexopt::Parser::from_args(args);
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        let name = match arg {
            Short('h') | Long("help") => return Ok(Command::Help),
            Short('V') | Long("version") => return Ok(Command::Version),
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
        (opt.set)(&mut opts, &value).map_err(|e| format!("--{name}: {e}"))?;
    }
    let wants_tls = opts.tls_listen.is_some() || opts.https_listen.is_some() || opts.ircs_listen.is_some();
    if wants_tls && (opts.tls_cert.is_none() || opts.tls_key.is_none()) {
        return Err("--tls-listen, --https-listen and --ircs-listen need --tls-cert and --tls-key".into());
    }
    Ok(Command::Run(Box::new(opts)))
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
         linechat client [ADDR] [--nick NAME] [--tls ...]   (a terminal client; --help)\n\noptions:\n",
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
        "  -h, --help             print this help\n  -V, --version          print the version\n\n\
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

fn addr(v: &str) -> Result<SocketAddr, String> {
    v.parse().map_err(|_| format!("'{v}' is not an address like 127.0.0.1:7000 or [::1]:7000"))
}

/// `off`, or a value.
fn optional<T>(v: &str, parse: impl Fn(&str) -> Result<T, String>) -> Result<Option<T>, String> {
    if v == "off" {
        Ok(None)
    } else {
        parse(v).map(Some)
    }
}

fn count(v: &str) -> Result<usize, String> {
    match v.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("'{v}' is not a whole number above 0")),
    }
}

/// `5`, `5/s`, or `off`.
fn rate(v: &str) -> Result<Option<f64>, String> {
    match v.trim_end_matches("/s") {
        "off" => Ok(None),
        n => match n.parse::<f64>() {
            Ok(r) if r > 0.0 && r.is_finite() => Ok(Some(r)),
            _ => Err(format!("'{v}' is not a rate like 5 or 5/s (or off)")),
        },
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

/// `60`, `60s`, `1500ms`, `2m`, `1h`.
pub fn duration(v: &str) -> Result<Duration, String> {
    let digits = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (num, unit) = v.split_at(digits);
    let n: u64 = num.parse().map_err(|_| format!("'{v}' is not a duration like 60s or 500ms"))?;
    let d = match unit {
        "ms" => Duration::from_millis(n),
        "" | "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n * 60),
        "h" => Duration::from_secs(n * 3600),
        _ => return Err(format!("'{v}': unknown unit '{unit}' (use ms, s, m or h)")),
    };
    if d.is_zero() {
        return Err(format!("'{v}' must be above 0"));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Options, String> {
        match parse_args(args.iter().map(Into::into))? {
            Command::Run(o) => Ok(*o),
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
