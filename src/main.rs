//! linechat's command line: options, logging, start-up. The server itself
//! is the library (`lib.rs`), which the fuzz targets link too.

#[cfg(feature = "client")]
use linechat::client;
use linechat::{cluster, irc, listen, proto, reactor, script, tls};

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use log::{error, info, warn, LevelFilter};

use listen::Face;
use proto::{Hub, HubConfig};
use reactor::{Reactor, ReactorLimits};

const USAGE: &str = "\
linechat - a small, fast chat server for nc, scripts, JSON clients and browsers

usage: linechat [OPTIONS]
       linechat client [ADDR] [--nick NAME] [--tls ...]   (a terminal client; --help)

options:
  --listen ADDR          chat port (text and JSON lines) [default: 127.0.0.1:7000]
                         port 0 picks a free port; the log line 'listening on ADDR' names it
  --http-listen ADDR     web port: chat page at /, /metrics, /healthz, WebSocket at /ws;
                         'off' disables it [default: 127.0.0.1:7080]
  --irc-listen ADDR      IRC port for IRC clients (irssi, WeeChat, HexChat); 'off'
                         disables it; port 0 picks a free port [default: off]
  --tls-listen ADDR      the chat port's protocol over TLS [default: off]
  --https-listen ADDR    the web port over TLS: https:// page, /metrics, wss:// [default: off]
  --ircs-listen ADDR     the IRC port over TLS [default: off]
  --tls-cert FILE        PEM certificate chain for the TLS listeners (e.g. Let's Encrypt's
                         fullchain.pem); SIGHUP reloads it and the key
  --tls-key FILE         PEM private key (PKCS#8, RSA or EC; e.g. privkey.pem)
  --server-name NAME     the server's name in IRC replies and user masks
                         (nick!nick@NAME) [default: linechat]
  --ws-origin ORIGIN     accept WebSocket upgrades only from this Origin
                         (e.g. https://chat.example.org) [default: any]
  --max-clients N        connections at once; the next one gets '! server-full' [default: 10000]
  --max-per-ip N         connections at once from one address; the next gets
                         '! too-many-connections' (HTTP 503 on the web port); 0: no limit
                         [default: 0]
  --rate LINES/S         lines per second each connection may send (e.g. 5 or 5/s); a client
                         over it is not read until its rate allows (TCP back-pressure: nothing
                         is lost, nobody else slows down) [default: off]
  --burst N              lines a connection may send at once before --rate applies
                         [default: 10]
  --join-rate N/S        nickname attempts and room joins per second per connection; past
                         it the connection is not read until its rate allows [default: off]
  --join-burst N         nickname attempts and joins at once before --join-rate applies
                         [default: 5]
  --max-line BYTES       longest input line (at most 16MiB); longer gets '! line-too-long'
                         [default: 4096]
  --max-outbuf BYTES     unsent output a client may hold before it is dropped as a
                         slow consumer [default: 1MiB]
  --default-room NAME    the room clients are in once they choose a nickname; it always
                         exists [default: #lobby]
  --max-rooms N          rooms at once, the default one not counted; creating one more
                         gets '! too-many-rooms' [default: 10000]
  --max-rooms-per-client N
                         rooms a JSON client may hold besides the default one
                         [default: 20]
  --nick-timeout TIME    time to choose a nickname before being disconnected [default: 60s]
  --idle-timeout TIME    disconnect joined clients silent this long; 'off' to keep them
                         [default: off]
  --handlers DIR         every DIR/NAME.lua handles packet type NAME and the text
                         command /NAME (docs/HANDLERS.md); SIGHUP reloads the folder
                         [default: off]
  --handler-budget N     Lua instructions one handler call may run [default: 1000000]
  --handler-memory BYTES memory each handler file's Lua state may hold [default: 16MiB]
  --handler-max-output BYTES
                         bytes of events one handler call may send [default: 1MiB]
  --redis URL            share rooms with other linechat nodes through Redis:
                         redis://[user:password@]host:port[/db] (see README, 'Running
                         several nodes'); unreachable Redis never stops local service
                         [default: off]
  --node-id NAME         this node's name in the cluster [default: host name and pid]
  --reuse-port           let several linechat processes on one machine listen on the same
                         ports (SO_REUSEPORT; the kernel spreads new clients among them)
  --presence-ttl TIME    how long a node's nickname claims live without refresh; a node
                         silent this long is gone and its users leave [default: 15s]
  --redis-max-outbuf BYTES
                         publications queued for a slow Redis; past it the oldest are
                         dropped (counted in /metrics) [default: 16MiB]
  --log-level LEVEL      off, error, warn, info, debug or trace [default: info]
  -h, --help             print this help
  -V, --version          print the version

BYTES take a suffix K, KiB, M or MiB (1K = 1KiB = 1024); TIME takes ms, s, m or h
(a bare number is seconds). Logs go to stderr. SIGINT or SIGTERM stops the server:
clients get '* server shutting down' and up to 2 s to receive their last lines.
";

/// The largest --max-line accepted: output offsets are 32-bit, and no chat
/// line needs more.
const MAX_LINE_CEILING: usize = 16 << 20;

/// Everything the command line sets.
#[derive(Debug, Clone, PartialEq)]
struct Options {
    listen: SocketAddr,
    http_listen: Option<SocketAddr>,
    irc_listen: Option<SocketAddr>,
    tls_listen: Option<SocketAddr>,
    https_listen: Option<SocketAddr>,
    ircs_listen: Option<SocketAddr>,
    tls_cert: Option<std::path::PathBuf>,
    tls_key: Option<std::path::PathBuf>,
    server_name: String,
    ws_origin: Option<String>,
    max_clients: usize,
    max_per_ip: usize,
    rate: Option<f64>,
    burst: f64,
    join_rate: Option<f64>,
    join_burst: f64,
    max_line: usize,
    max_outbuf: usize,
    nick_timeout: Duration,
    idle_timeout: Option<Duration>,
    default_room: String,
    max_rooms: usize,
    max_rooms_per_client: usize,
    handlers: Option<std::path::PathBuf>,
    handler_budget: u64,
    handler_memory: usize,
    handler_max_output: usize,
    redis: Option<cluster::RedisUrl>,
    node_id: Option<String>,
    reuse_port: bool,
    presence_ttl: Duration,
    redis_max_outbuf: usize,
    log_level: LevelFilter,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            listen: SocketAddr::from(([127, 0, 0, 1], 7000)),
            http_listen: Some(SocketAddr::from(([127, 0, 0, 1], 7080))),
            irc_listen: None,
            tls_listen: None,
            https_listen: None,
            ircs_listen: None,
            tls_cert: None,
            tls_key: None,
            server_name: "linechat".to_string(),
            ws_origin: None,
            max_clients: 10_000,
            max_per_ip: 0,
            rate: None,
            burst: 10.0,
            join_rate: None,
            join_burst: 5.0,
            max_line: 4096,
            max_outbuf: 1024 * 1024,
            nick_timeout: Duration::from_secs(60),
            idle_timeout: None,
            default_room: "#lobby".to_string(),
            max_rooms: 10_000,
            max_rooms_per_client: 20,
            handlers: None,
            handler_budget: 1_000_000,
            handler_memory: 16 << 20,
            handler_max_output: 1 << 20,
            redis: None,
            node_id: None,
            reuse_port: false,
            presence_ttl: Duration::from_secs(15),
            redis_max_outbuf: 16 << 20,
            log_level: LevelFilter::Info,
        }
    }
}

enum Command {
    Run(Box<Options>),
    Help,
    Version,
}

fn parse_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> Result<Command, String> {
    use lexopt::prelude::*;
    let mut opts = Options::default();
    let mut parser = lexopt::Parser::from_args(args);
    let err = |e: lexopt::Error| e.to_string();
    while let Some(arg) = parser.next().map_err(err)? {
        let name = match &arg {
            Long(n) => format!("--{n}"),
            Short(c) => format!("-{c}"),
            Value(v) => return Err(format!("unexpected argument {v:?}; see --help")),
        };
        match arg {
            Short('h') | Long("help") => return Ok(Command::Help),
            Short('V') | Long("version") => return Ok(Command::Version),
            Long("listen") => {
                opts.listen =
                    parse_addr(&next_value(&mut parser, &name)?).map_err(|e| format!("{name}: {e}"))?
            }
            Long("http-listen") => {
                opts.http_listen = match next_value(&mut parser, &name)?.as_str() {
                    "off" => None,
                    v => Some(parse_addr(v).map_err(|e| format!("{name}: {e}"))?),
                }
            }
            Long("irc-listen") => {
                opts.irc_listen = match next_value(&mut parser, &name)?.as_str() {
                    "off" => None,
                    v => Some(parse_addr(v).map_err(|e| format!("{name}: {e}"))?),
                }
            }
            Long("tls-listen") | Long("https-listen") | Long("ircs-listen") => {
                let addr = match next_value(&mut parser, &name)?.as_str() {
                    "off" => None,
                    v => Some(parse_addr(v).map_err(|e| format!("{name}: {e}"))?),
                };
                match name.as_str() {
                    "--tls-listen" => opts.tls_listen = addr,
                    "--https-listen" => opts.https_listen = addr,
                    _ => opts.ircs_listen = addr,
                }
            }
            Long("tls-cert") => opts.tls_cert = Some(next_value(&mut parser, &name)?.into()),
            Long("tls-key") => opts.tls_key = Some(next_value(&mut parser, &name)?.into()),
            Long("server-name") => {
                let v = next_value(&mut parser, &name)?;
                if v.is_empty()
                    || v.len() > 63
                    || !v.chars().all(|c| c.is_ascii_alphanumeric() || "-.".contains(c))
                {
                    return Err(format!("{name}: '{v}': use 1 to 63 ASCII letters, digits, '-' and '.'"));
                }
                opts.server_name = v;
            }
            Long("ws-origin") => opts.ws_origin = Some(next_value(&mut parser, &name)?),
            Long("max-clients") => {
                opts.max_clients =
                    parse_count(&next_value(&mut parser, &name)?).map_err(|e| format!("{name}: {e}"))?
            }
            Long("max-per-ip") => {
                let v = next_value(&mut parser, &name)?;
                opts.max_per_ip =
                    v.parse().map_err(|_| format!("{name}: '{v}' is not a whole number (0: no limit)"))?;
            }
            Long("rate") | Long("join-rate") => {
                let v = next_value(&mut parser, &name)?;
                let rate = match v.trim_end_matches("/s") {
                    "off" => None,
                    n => match n.parse::<f64>() {
                        Ok(r) if r > 0.0 && r.is_finite() => Some(r),
                        _ => return Err(format!("{name}: '{v}' is not a rate like 5 or 5/s (or off)")),
                    },
                };
                if name == "--rate" {
                    opts.rate = rate;
                } else {
                    opts.join_rate = rate;
                }
            }
            Long("join-burst") => {
                opts.join_burst =
                    parse_count(&next_value(&mut parser, &name)?).map_err(|e| format!("{name}: {e}"))? as f64
            }
            Long("burst") => {
                opts.burst =
                    parse_count(&next_value(&mut parser, &name)?).map_err(|e| format!("{name}: {e}"))? as f64
            }
            Long("max-line") => {
                opts.max_line =
                    parse_bytes(&next_value(&mut parser, &name)?).map_err(|e| format!("{name}: {e}"))?;
                if opts.max_line > MAX_LINE_CEILING {
                    return Err(format!("{name}: at most 16MiB"));
                }
            }
            Long("max-outbuf") => {
                opts.max_outbuf =
                    parse_bytes(&next_value(&mut parser, &name)?).map_err(|e| format!("{name}: {e}"))?
            }
            Long("nick-timeout") => {
                opts.nick_timeout =
                    parse_duration(&next_value(&mut parser, &name)?).map_err(|e| format!("{name}: {e}"))?
            }
            Long("idle-timeout") => {
                let v = next_value(&mut parser, &name)?;
                opts.idle_timeout = match v.as_str() {
                    "off" | "0" => None,
                    v => Some(parse_duration(v).map_err(|e| format!("{name}: {e}"))?),
                }
            }
            Long("default-room") => {
                let v = next_value(&mut parser, &name)?;
                opts.default_room =
                    proto::rooms::parse_room(&v).map_err(|e| format!("{name}: '{v}': {e}"))?.to_string();
            }
            Long("max-rooms") => {
                opts.max_rooms =
                    parse_count(&next_value(&mut parser, &name)?).map_err(|e| format!("{name}: {e}"))?
            }
            Long("max-rooms-per-client") => {
                opts.max_rooms_per_client =
                    parse_count(&next_value(&mut parser, &name)?).map_err(|e| format!("{name}: {e}"))?
            }
            Long("handlers") => {
                opts.handlers = match next_value(&mut parser, &name)?.as_str() {
                    "off" => None,
                    v => Some(v.into()),
                }
            }
            Long("handler-budget") => {
                opts.handler_budget =
                    parse_count(&next_value(&mut parser, &name)?).map_err(|e| format!("{name}: {e}"))? as u64
            }
            Long("handler-memory") => {
                opts.handler_memory =
                    parse_bytes(&next_value(&mut parser, &name)?).map_err(|e| format!("{name}: {e}"))?
            }
            Long("redis") => {
                opts.redis = match next_value(&mut parser, &name)?.as_str() {
                    "off" => None,
                    v => Some(cluster::RedisUrl::parse(v).map_err(|e| format!("{name}: {e}"))?),
                }
            }
            Long("node-id") => {
                let v = next_value(&mut parser, &name)?;
                if !cluster::valid_node_id(&v) {
                    return Err(format!(
                        "{name}: '{v}': use 1 to 64 ASCII letters, digits, '.', '_' and '-'"
                    ));
                }
                opts.node_id = Some(v);
            }
            Long("reuse-port") => opts.reuse_port = true,
            Long("presence-ttl") => {
                let ttl =
                    parse_duration(&next_value(&mut parser, &name)?).map_err(|e| format!("{name}: {e}"))?;
                if ttl < Duration::from_secs(1) {
                    return Err(format!("{name}: at least 1s"));
                }
                opts.presence_ttl = ttl;
            }
            Long("redis-max-outbuf") => {
                opts.redis_max_outbuf =
                    parse_bytes(&next_value(&mut parser, &name)?).map_err(|e| format!("{name}: {e}"))?
            }
            Long("handler-max-output") => {
                opts.handler_max_output =
                    parse_bytes(&next_value(&mut parser, &name)?).map_err(|e| format!("{name}: {e}"))?
            }
            Long("log-level") => {
                opts.log_level = next_value(&mut parser, &name)?
                    .parse()
                    .map_err(|_| format!("{name}: use off, error, warn, info, debug or trace"))?
            }
            _ => return Err(arg.unexpected().to_string() + "; see --help"),
        }
    }
    let wants_tls = opts.tls_listen.is_some() || opts.https_listen.is_some() || opts.ircs_listen.is_some();
    if wants_tls && (opts.tls_cert.is_none() || opts.tls_key.is_none()) {
        return Err("--tls-listen, --https-listen and --ircs-listen need --tls-cert and --tls-key".into());
    }
    Ok(Command::Run(Box::new(opts)))
}

fn next_value(parser: &mut lexopt::Parser, name: &str) -> Result<String, String> {
    let v = parser.value().map_err(|e| e.to_string())?;
    v.into_string().map_err(|v| format!("{name}: {v:?} is not valid UTF-8"))
}

fn parse_addr(v: &str) -> Result<SocketAddr, String> {
    v.parse().map_err(|_| format!("'{v}' is not an address like 127.0.0.1:7000 or [::1]:7000"))
}

fn parse_count(v: &str) -> Result<usize, String> {
    match v.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("'{v}' is not a whole number above 0")),
    }
}

/// `4096`, `64K`, `64KiB`, `1M`, `1MiB` (binary multiples).
fn parse_bytes(v: &str) -> Result<usize, String> {
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
fn parse_duration(v: &str) -> Result<Duration, String> {
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

/// Raises the soft descriptor limit to the hard one, as servers should:
/// the default soft limit of 1024 would cap the clients far below what the
/// machine can hold. Returns the limit in force.
fn raise_fd_limit() -> Option<u64> {
    // SAFETY: getrlimit/setrlimit only read and write the struct passed in.
    unsafe {
        let mut lim = std::mem::zeroed::<libc::rlimit>();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return None;
        }
        if lim.rlim_cur < lim.rlim_max {
            let wanted = libc::rlimit { rlim_cur: lim.rlim_max, rlim_max: lim.rlim_max };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &wanted) == 0 {
                lim.rlim_cur = lim.rlim_max;
            }
        }
        Some(lim.rlim_cur as u64)
    }
}

fn main() -> ExitCode {
    #[cfg(feature = "client")]
    if std::env::args_os().nth(1).is_some_and(|a| a == "client") {
        return client::main(std::env::args_os().skip(2).collect());
    }
    let opts = match parse_args(std::env::args_os().skip(1)) {
        Ok(Command::Run(opts)) => *opts,
        Ok(Command::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            println!("linechat {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("linechat: {e}");
            return ExitCode::from(2);
        }
    };
    let log_config = simplelog::ConfigBuilder::new().set_time_format_rfc3339().build();
    let _ = simplelog::WriteLogger::init(opts.log_level, log_config, std::io::stderr());

    if let Some(limit) = raise_fd_limit() {
        // A few descriptors go to the listeners, the poller and the spare.
        if (opts.max_clients as u64) + 16 > limit {
            warn!(
                "--max-clients {} is above the file descriptor limit {limit}; \
                 clients past it are refused as 'server full'",
                opts.max_clients
            );
        }
    }

    let mut bound = Vec::new();
    let wanted = [
        (Some(opts.listen), Face::Lines, opts.max_line, false),
        (opts.http_listen, Face::Web, opts.max_line, false),
        (opts.irc_listen, Face::Irc, irc::MAX_INPUT_LINE, false),
        (opts.tls_listen, Face::Lines, opts.max_line, true),
        (opts.https_listen, Face::Web, opts.max_line, true),
        (opts.ircs_listen, Face::Irc, irc::MAX_INPUT_LINE, true),
    ];
    for (addr, face, max_line, secure) in wanted {
        let Some(addr) = addr else { continue };
        let tls = match (secure, &opts.tls_cert, &opts.tls_key) {
            (true, Some(cert), Some(key)) => {
                let files = tls::CertFiles { cert: cert.clone(), key: key.clone() };
                match listen::tls_config(&files, face) {
                    Ok(config) => Some((files, config)),
                    Err(e) => {
                        error!("{e}");
                        return ExitCode::from(1);
                    }
                }
            }
            _ => None,
        };
        match listen::bind(addr, opts.reuse_port) {
            Ok(sock) => bound.push(listen::Bound { sock, face, max_line, tls }),
            Err(e) => {
                error!("cannot listen on {addr} ({}): {e}", face.name());
                return ExitCode::from(1);
            }
        }
    }
    let mut hub = Hub::new(HubConfig {
        max_line: opts.max_line,
        nick_timeout: opts.nick_timeout,
        idle_timeout: opts.idle_timeout,
        default_room: opts.default_room.clone(),
        max_rooms: opts.max_rooms,
        max_rooms_per_client: opts.max_rooms_per_client,
        server_name: opts.server_name.clone(),
        join_rate: opts.join_rate.map(|per_second| reactor::Rate { per_second, burst: opts.join_burst }),
    });
    if let Some(dir) = &opts.handlers {
        let cfg = script::ScriptConfig {
            dir: dir.clone(),
            budget: opts.handler_budget,
            memory: opts.handler_memory,
            max_output: opts.handler_max_output,
        };
        match script::Scripts::load(cfg) {
            Ok(scripts) => hub.set_scripts(scripts),
            Err(e) => {
                error!("{e}");
                return ExitCode::from(1);
            }
        }
    }
    if let Some(url) = &opts.redis {
        let node_id = opts.node_id.clone().unwrap_or_else(cluster::default_node_id);
        info!("cluster: node {node_id}, Redis at {url}");
        hub.set_cluster(cluster::Cluster::new(cluster::ClusterConfig {
            url: url.clone(),
            node_id,
            presence_ttl: opts.presence_ttl,
            max_outbuf: opts.redis_max_outbuf,
        }));
    }
    let limits = ReactorLimits {
        max_clients: opts.max_clients,
        max_outbuf: opts.max_outbuf,
        max_per_address: opts.max_per_ip,
        rate: opts.rate.map(|per_second| reactor::Rate { per_second, burst: opts.burst }),
        close_grace: Duration::from_secs(2),
        ws_origin: opts.ws_origin.clone(),
        tls_handshake_timeout: opts.nick_timeout,
    };
    let mut reactor = match Reactor::new(bound, hub, limits) {
        Ok(r) => r,
        Err(e) => {
            error!("cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    for (face, addr, secure) in reactor.addrs() {
        match (face, addr, secure) {
            (Face::Lines, Ok(addr), false) => info!("listening on {addr}"),
            (Face::Web, Ok(addr), false) => info!("web page at http://{addr}/"),
            (Face::Irc, Ok(addr), false) => info!("irc listening on {addr}"),
            (Face::Lines, Ok(addr), true) => info!("tls listening on {addr}"),
            (Face::Web, Ok(addr), true) => info!("web page at https://{addr}/"),
            (Face::Irc, Ok(addr), true) => info!("ircs listening on {addr}"),
            (face, Err(e), _) => warn!("{} port listening (address unknown: {e})", face.name()),
        }
    }
    if opts.http_listen.is_none() {
        info!("web port off");
    }
    match reactor.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!("event loop failed: {e}");
            ExitCode::from(1)
        }
    }
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
    fn defaults_match_the_help_text() {
        let o = run(&[]).unwrap();
        assert_eq!(o, Options::default());
        assert!(USAGE.contains("[default: 127.0.0.1:7000]") && o.listen.to_string() == "127.0.0.1:7000");
        assert!(USAGE.contains("[default: 10000]") && o.max_clients == 10_000);
        assert!(USAGE.contains("[default: 4096]") && o.max_line == 4096);
        assert!(USAGE.contains("[default: 1MiB]") && o.max_outbuf == 1 << 20);
        assert!(USAGE.contains("[default: 60s]") && o.nick_timeout == Duration::from_secs(60));
        assert!(USAGE.contains("[default: off]") && o.idle_timeout.is_none());
        assert!(USAGE.contains("[default: #lobby]") && o.default_room == "#lobby");
        assert!(USAGE.contains("[default: 10000]") && o.max_rooms == 10_000);
        assert!(USAGE.contains("[default: 20]") && o.max_rooms_per_client == 20);
        assert!(USAGE.contains("[default: linechat]") && o.server_name == "linechat");
        assert!(USAGE.contains("[default: 0]") && o.max_per_ip == 0);
        assert!(USAGE.contains("[default: off]") && o.rate.is_none());
        assert!(USAGE.contains("[default: 10]") && o.burst == 10.0);
        assert!(USAGE.contains("[default: 5]") && o.join_burst == 5.0 && o.join_rate.is_none());
        assert_eq!(run(&["--rate", "5/s", "--burst", "3"]).map(|o| (o.rate, o.burst)), Ok((Some(5.0), 3.0)));
        assert!(run(&["--rate", "fast"]).unwrap_err().contains("--rate"));
        assert!(o.irc_listen.is_none());
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
    }

    #[test]
    fn bad_values_are_explained() {
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
    }
}
