//! The option table: every option linechat takes, with its value, default,
//! meaning and parser. `cli::usage`, `cli::markdown_table` and
//! `Options::default` are made from it.

use std::path::PathBuf;
use std::time::Duration;

use super::{Default, Opt};
use crate::chat::rooms::parse_room;
use crate::cluster::{valid_node_id, RedisUrl};
use crate::store::DbSync;
use crate::units::{addr, bytes, count, duration, optional, per_period, rate};

use super::MAX_LINE_CEILING;

/// Every option, in the order `--help` lists them.
pub static OPTIONS: &[Opt] = &[
    Opt {
        name: "config",
        value: "FILE",
        default: Default::Unset,
        help: "read settings from this TOML file: each key is an option below without its dashes, written as here; the command line wins; SIGHUP reads it again (README, 'Config file')",
        // Read by parse_args before every other option.
        set: |_, _| Ok(()),
    },
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
        help: "web port: chat page at /, /metrics, /healthz, WebSocket at /ws, IRC over WebSocket at /irc; 'off' disables it",
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
        name: "history",
        value: "N",
        default: Default::Value("1000"),
        help: "lines each room remembers (/history, JSON history, IRC CHATHISTORY); 0 turns history, ids and times off",
        set: |o, v| {
            o.history = v.parse().map_err(|_| format!("'{v}' is not a whole number (0: off)"))?;
            Ok(())
        },
    },
    Opt {
        name: "history-age",
        value: "TIME",
        default: Default::Value("7d"),
        help: "lines older than this are forgotten",
        set: |o, v| {
            o.history_age = duration(v)?;
            Ok(())
        },
    },
    Opt {
        name: "history-memory",
        value: "BYTES",
        default: Default::Value("32MiB"),
        help: "memory for all rooms' history together; past it the oldest lines of the largest rooms go first",
        set: |o, v| {
            o.history_memory = bytes(v)?;
            Ok(())
        },
    },
    Opt {
        name: "history-page",
        value: "N",
        default: Default::Value("100"),
        help: "most lines one history request returns (IRC ISUPPORT CHATHISTORY)",
        set: |o, v| {
            o.history_page = count(v)?;
            Ok(())
        },
    },
    Opt {
        name: "join-replay",
        value: "N",
        default: Default::Value("0"),
        help: "lines of a room's history a client gets on joining it (IRC: only clients without draft/chathistory); 0: none",
        set: |o, v| {
            o.join_replay = v.parse().map_err(|_| format!("'{v}' is not a whole number (0: none)"))?;
            Ok(())
        },
    },
    Opt {
        name: "db",
        value: "FILE",
        default: Default::Unset,
        help: "keep history, topics and accounts in this SQLite file (created if missing), so they survive restarts; a line reaches its readers once it is in the file",
        set: |o, v| {
            o.db = Some(v.into());
            Ok(())
        },
    },
    Opt {
        name: "db-sync",
        value: "MODE",
        default: Default::Value("normal"),
        help: "normal: a commit survives the process dying; full: also power loss (slower; SQLite's synchronous=FULL)",
        set: |o, v| {
            o.db_sync = match v {
                "normal" => DbSync::Normal,
                "full" => DbSync::Full,
                _ => return Err(format!("'{v}': use normal or full")),
            };
            Ok(())
        },
    },
    Opt {
        name: "db-backlog",
        value: "LINES",
        default: Default::Value("10000"),
        help: "lines said while the storage thread commits; past this many the loop reads nothing new until a commit catches up (TCP back-pressure; no line is dropped)",
        set: |o, v| {
            o.db_backlog = count(v)?.max(1);
            Ok(())
        },
    },
    Opt {
        name: "min-password",
        value: "BYTES",
        default: Default::Value("8"),
        help: "shortest password an account may have (the longest is 1024 bytes)",
        set: |o, v| {
            o.min_password = count(v)?.min(crate::chat::accounts::MAX_PASSWORD);
            Ok(())
        },
    },
    Opt {
        name: "login-rate",
        value: "RATE",
        default: Default::Value("5/m"),
        help: "sign-in attempts allowed per account and per address (5/m: five a minute); past it, ! auth-failed; off: no limit",
        set: |o, v| {
            o.login_rate = optional(v, per_period)?
                .map(|(n, secs)| crate::net::Rate { per_second: n / secs, burst: n });
            Ok(())
        },
    },
    Opt {
        name: "jwt-secret",
        value: "FILE",
        default: Default::Unset,
        help: "accept sign-in tokens (JWT, HS256) signed with the secret in FILE: /login-token, a login packet's token, or ?token= on /ws",
        set: |o, v| {
            o.jwt_secret = Some(v.into());
            Ok(())
        },
    },
    Opt {
        name: "oper-file",
        value: "FILE",
        default: Default::Unset,
        help: "server operators: lines 'NAME HASH', the hash from 'linechat hash-password' (re-read on SIGHUP)",
        set: |o, v| {
            o.oper_file = Some(v.into());
            Ok(())
        },
    },
    Opt {
        name: "allow-plain-auth",
        value: "",
        default: Default::Described("off"),
        help: "accept IRC SASL PLAIN on a listener without TLS (passwords then cross the network in the clear)",
        set: |o, _| {
            o.allow_plain_auth = true;
            Ok(())
        },
    },
    Opt {
        name: "irc-password",
        value: "FILE",
        default: Default::Unset,
        help: "IRC clients must give the password in FILE (its first line) with PASS before NICK and USER, or get 464 and are closed; re-read on SIGHUP",
        set: |o, v| {
            o.irc_password = Some(v.into());
            Ok(())
        },
    },
    Opt {
        name: "sts-duration",
        value: "TIME",
        default: Default::Value("off"),
        help: "offer IRCv3 sts: IRC clients on the plain port are pointed at the TLS IRC port (--ircs-listen) and keep to TLS this long; off by default, so a self-signed certificate never locks clients out",
        set: |o, v| {
            o.sts_duration = optional(v, duration)?;
            Ok(())
        },
    },
    Opt {
        name: "monitor-max",
        value: "N",
        default: Default::Value("100"),
        help: "most nicknames one IRC client may watch with MONITOR (ISUPPORT MONITOR)",
        set: |o, v| {
            o.monitor_max = count(v)?;
            Ok(())
        },
    },
    Opt {
        name: "whowas",
        value: "N",
        default: Default::Value("200"),
        help: "how many departed nicknames are remembered for IRC's WHOWAS (0: none)",
        set: |o, v| {
            o.whowas = count(v)?;
            Ok(())
        },
    },
    Opt {
        name: "lang",
        value: "CODE",
        default: Default::Value("en"),
        help: "the language of the server's words (en, ko) for clients that choose none; each client may choose its own: /lang, a lang packet, IRC LANGUAGE, the page's menu",
        set: |o, v| {
            o.lang = crate::words::Lang::from_code(v)
                .ok_or_else(|| format!("'{v}': these are spoken here: {}", crate::words::spoken()))?;
            Ok(())
        },
    },
    Opt {
        name: "motd",
        value: "FILE",
        default: Default::Unset,
        help: "message of the day: shown to text and JSON users once they have a nickname, and as IRC's MOTD (375/372/376) instead of the built-in one; re-read on SIGHUP",
        set: |o, v| {
            o.motd = Some(v.into());
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
    Opt {
        name: "log-format",
        value: "FORMAT",
        default: Default::Value("auto"),
        help: "text (with timestamps), journal (priorities as <N> prefixes, no timestamps: journald's), json (one object per line); auto: journal when run by systemd, else text",
        set: |o, v| {
            o.log_format = v.parse()?;
            Ok(())
        },
    },
];
