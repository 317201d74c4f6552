//! linechat's command line: reads the options (`cli.rs`), binds the
//! listener table, builds the chat core with its faces, and runs the loop.

use linechat::chat::accounts::AccountsConfig;
use linechat::chat::opers::OperFile;
use linechat::chat::tokens::TokenKey;
use linechat::chat::ChatConfig;
use linechat::cli::{self, Command, Options};
#[cfg(feature = "client")]
use linechat::client;
use linechat::faces::{self, irc, lines, web, FacesConfig, Server};
use linechat::net::tls::CertFiles;
use linechat::net::{self, Bound, Face, Rate, Reactor, ReactorLimits, Start};
use linechat::store::history::HistoryConfig;
use linechat::store::passwords::HashCost;
use linechat::store::{Store, StoreConfig};
use linechat::{cluster, script};

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use log::{error, info, warn};

/// One row of the listener table: which option binds it, its name, the face
/// its connections speak, how they start, and whether it is TLS.
struct Row {
    addr: fn(&Options) -> Option<SocketAddr>,
    name: &'static str,
    face: Face,
    start: Start,
    tls: bool,
    /// What the log says once it is bound.
    announce: &'static str,
}

/// Every listener linechat can run (a new face adds its rows here).
const LISTENERS: &[Row] = &[
    Row {
        addr: |o| Some(o.listen),
        name: "chat",
        face: faces::LINES,
        start: Start::Lines,
        tls: false,
        announce: "listening on ",
    },
    Row {
        addr: |o| o.http_listen,
        name: "web",
        face: faces::WEB,
        start: Start::Http,
        tls: false,
        announce: "web page at http://",
    },
    Row {
        addr: |o| o.irc_listen,
        name: "irc",
        face: faces::IRC,
        start: Start::Lines,
        tls: false,
        announce: "irc listening on ",
    },
    Row {
        addr: |o| o.tls_listen,
        name: "chat",
        face: faces::LINES,
        start: Start::Lines,
        tls: true,
        announce: "tls listening on ",
    },
    Row {
        addr: |o| o.https_listen,
        name: "web",
        face: faces::WEB,
        start: Start::Http,
        tls: true,
        announce: "web page at https://",
    },
    Row {
        addr: |o| o.ircs_listen,
        name: "irc",
        face: faces::IRC,
        start: Start::Lines,
        tls: true,
        announce: "ircs listening on ",
    },
];

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

/// Binds every listener the options ask for.
fn bind_listeners(opts: &Options) -> Result<Vec<Bound>, String> {
    let mut bound = Vec::new();
    for row in LISTENERS {
        let Some(addr) = (row.addr)(opts) else { continue };
        let tls = match (row.tls, &opts.tls_cert, &opts.tls_key) {
            (true, Some(cert), Some(key)) => {
                let files = CertFiles { cert: cert.clone(), key: key.clone() };
                let config = net::listen::tls_config(&files, row.start)?;
                Some((files, config))
            }
            _ => None,
        };
        let max_line = if row.face == faces::IRC { irc::MAX_INPUT_LINE } else { opts.max_line };
        let sock = net::bind(addr, opts.reuse_port)
            .map_err(|e| format!("cannot listen on {addr} ({}): {e}", row.name))?;
        bound.push(Bound { sock, name: row.name, face: row.face, start: row.start, max_line, tls });
    }
    Ok(bound)
}

/// The chat core and its faces, as the options set them.
fn server(opts: &Options) -> Result<Server, String> {
    let chat = ChatConfig {
        default_room: opts.default_room.clone(),
        max_rooms: opts.max_rooms,
        max_rooms_per_client: opts.max_rooms_per_client,
        join_rate: opts.join_rate.map(|per_second| Rate { per_second, burst: opts.join_burst }),
    };
    let faces = FacesConfig {
        server_name: opts.server_name.clone(),
        lines: lines::LinesConfig {
            max_line: opts.max_line,
            nick_timeout: opts.nick_timeout,
            idle_timeout: opts.idle_timeout,
        },
        irc: irc::IrcConfig {
            nick_timeout: opts.nick_timeout,
            idle_timeout: opts.idle_timeout,
            allow_plain_auth: opts.allow_plain_auth,
        },
        web: web::WebConfig { ws_origin: opts.ws_origin.clone() },
    };
    let mut server = Server::new(chat, faces);
    if opts.db.is_some() && opts.redis.is_some() {
        return Err("--db and --redis: a cluster keeps history in Redis; give one of them".into());
    }
    let store = StoreConfig {
        history: HistoryConfig {
            max_lines: opts.history,
            max_age_ms: opts.history_age.as_millis() as u64,
            max_bytes: opts.history_memory,
            page: opts.history_page,
            join_replay: opts.join_replay,
        },
        db: opts.db.clone(),
        sync: opts.db_sync,
        hash_cost: HashCost::OWASP,
    };
    server.hub.store = Store::open(&store, linechat::clock::unix_ms())?;
    server.hub.signins.cfg = AccountsConfig { min_password: opts.min_password, login_rate: opts.login_rate };
    if let Some(path) = &opts.oper_file {
        let file = OperFile::read(path)?;
        info!("--oper-file {}: {} operators", path.display(), file.len());
        server.hub.opers.file = file;
        server.oper_file = Some(path.clone());
    }
    if let Some(path) = &opts.jwt_secret {
        let bytes = std::fs::read(path).map_err(|e| format!("--jwt-secret {}: {e}", path.display()))?;
        let key =
            TokenKey::from_file_bytes(&bytes).map_err(|e| format!("--jwt-secret {}: {e}", path.display()))?;
        server.hub.signins.token_key = Some(key);
    }
    if !server.hub.store.persistent() && opts.redis.is_none() {
        info!("accounts are kept in memory only and are lost when linechat stops (--db FILE keeps them)");
    }
    if let Some(dir) = &opts.handlers {
        let cfg = script::ScriptConfig {
            dir: dir.clone(),
            budget: opts.handler_budget,
            memory: opts.handler_memory,
            max_output: opts.handler_max_output,
            builtins: lines::json::BUILTIN_TYPES,
        };
        server.lines.set_scripts(script::Scripts::load(cfg)?);
    }
    if let Some(url) = &opts.redis {
        let node_id = opts.node_id.clone().unwrap_or_else(cluster::default_node_id);
        info!("cluster: node {node_id}, Redis at {url}");
        server.hub.set_cluster(cluster::ClusterConfig {
            url: url.clone(),
            node_id,
            presence_ttl: opts.presence_ttl,
            max_outbuf: opts.redis_max_outbuf,
        });
    }
    Ok(server)
}

/// `linechat hash-password`: a password from standard input (one line)
/// as the argon2id PHC string `--oper-file` wants.
fn hash_password() -> ExitCode {
    let mut line = String::new();
    if std::io::stdin().read_line(&mut line).is_err() {
        eprintln!("linechat hash-password: cannot read standard input");
        return ExitCode::from(2);
    }
    let password = line.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        eprintln!("usage: echo PASSWORD | linechat hash-password   (prints NAME's hash for --oper-file)");
        return ExitCode::from(2);
    }
    match linechat::store::passwords::hash_now(password.as_bytes()) {
        Ok(hash) => {
            println!("{hash}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("linechat hash-password: {e}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    if std::env::args_os().nth(1).is_some_and(|a| a == "hash-password") {
        return hash_password();
    }
    #[cfg(feature = "client")]
    if std::env::args_os().nth(1).is_some_and(|a| a == "client") {
        return client::main(std::env::args_os().skip(2).collect());
    }
    let opts = match cli::parse_args(std::env::args_os().skip(1)) {
        Ok(Command::Run(opts)) => *opts,
        Ok(Command::Help) => {
            print!("{}", cli::usage());
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            let features: Vec<&str> = [
                ("client", cfg!(feature = "client")),
                ("db", cfg!(feature = "db")),
                ("lua", cfg!(feature = "lua")),
                ("tls", cfg!(feature = "tls")),
            ]
            .into_iter()
            .filter_map(|(name, on)| on.then_some(name))
            .collect();
            println!("linechat {} (features: {})", env!("CARGO_PKG_VERSION"), features.join(", "));
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
    let bound = match bind_listeners(&opts) {
        Ok(bound) => bound,
        Err(e) => {
            error!("{e}");
            return ExitCode::from(1);
        }
    };
    let server = match server(&opts) {
        Ok(server) => server,
        Err(e) => {
            error!("{e}");
            return ExitCode::from(1);
        }
    };
    let limits = ReactorLimits {
        max_clients: opts.max_clients,
        max_outbuf: opts.max_outbuf,
        max_per_address: opts.max_per_ip,
        rate: opts.rate.map(|per_second| Rate { per_second, burst: opts.burst }),
        close_grace: Duration::from_secs(2),
        tls_handshake_timeout: opts.nick_timeout,
    };
    let mut reactor = match Reactor::new(bound, server, limits) {
        Ok(r) => r,
        Err(e) => {
            error!("cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    for (name, face, addr, tls) in reactor.addrs() {
        let row = LISTENERS.iter().find(|r| r.face == face && r.tls == tls);
        match (addr, row) {
            (Ok(addr), Some(row)) if row.start == Start::Http => info!("{}{addr}/", row.announce),
            (Ok(addr), Some(row)) => info!("{}{addr}", row.announce),
            (Ok(addr), None) => info!("{name} port listening on {addr}"),
            (Err(e), _) => warn!("{name} port listening (address unknown: {e})"),
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
