//! What the settings build: the listener table (bound here, or passed in
//! by systemd), the chat core with its faces, the loop's limits, and the
//! SIGHUP reload that reads the settings again and applies what can change
//! while clients stay connected.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use log::{error, info, warn};

use crate::chat::accounts::AccountsConfig;
use crate::chat::opers::OperFile;
use crate::chat::tokens::TokenKey;
use crate::chat::ChatConfig;
use crate::cli::{Options, Settings};
use crate::faces::{self, irc, lines, web, FacesConfig, Server};
use crate::net::tls::CertFiles;
use crate::net::{self, Bound, Face, LoopSettings, Rate, ReactorLimits, Reloader, Start};
use crate::store::history::HistoryConfig;
use crate::store::passwords::HashCost;
use crate::store::passwords::Secret;
use crate::store::{Store, StoreConfig};
use crate::{cluster, script};

/// One row of the listener table: the option that binds it (and names a
/// socket systemd passes in), its name, the face its connections speak,
/// how they start, and whether it is TLS.
pub struct Row {
    pub option: &'static str,
    addr: fn(&Options) -> Option<SocketAddr>,
    pub name: &'static str,
    pub face: Face,
    pub start: Start,
    pub tls: bool,
    /// What the log says once it is bound.
    pub announce: &'static str,
}

/// Every listener linechat can run (a new face adds its rows here).
pub const LISTENERS: &[Row] = &[
    Row {
        option: "listen",
        addr: |o| Some(o.listen),
        name: "chat",
        face: faces::LINES,
        start: Start::Lines,
        tls: false,
        announce: "listening on ",
    },
    Row {
        option: "http-listen",
        addr: |o| o.http_listen,
        name: "web",
        face: faces::WEB,
        start: Start::Http,
        tls: false,
        announce: "web page at http://",
    },
    Row {
        option: "irc-listen",
        addr: |o| o.irc_listen,
        name: "irc",
        face: faces::IRC,
        start: Start::Lines,
        tls: false,
        announce: "irc listening on ",
    },
    Row {
        option: "tls-listen",
        addr: |o| o.tls_listen,
        name: "chat",
        face: faces::LINES,
        start: Start::Lines,
        tls: true,
        announce: "tls listening on ",
    },
    Row {
        option: "https-listen",
        addr: |o| o.https_listen,
        name: "web",
        face: faces::WEB,
        start: Start::Http,
        tls: true,
        announce: "web page at https://",
    },
    Row {
        option: "ircs-listen",
        addr: |o| o.ircs_listen,
        name: "irc",
        face: faces::IRC,
        start: Start::Lines,
        tls: true,
        announce: "ircs listening on ",
    },
];

/// Binds every listener the options ask for. A socket in `passed` (from
/// systemd, by option name) is served instead of binding that option's
/// address, also when the option is off; the rest are bound as configured.
pub fn bind_listeners(
    opts: &Options,
    mut passed: HashMap<String, Vec<std::net::TcpListener>>,
) -> Result<Vec<Bound>, String> {
    let mut bound = Vec::new();
    for row in LISTENERS {
        let given = passed.remove(row.option).unwrap_or_default();
        let addr = (row.addr)(opts);
        if given.is_empty() && addr.is_none() {
            continue;
        }
        let tls = match (row.tls, &opts.tls_cert, &opts.tls_key) {
            (true, Some(cert), Some(key)) => {
                let files = CertFiles { cert: cert.clone(), key: key.clone() };
                let config = net::listen::tls_config(&files, row.start)?;
                Some((files, config))
            }
            (true, _, _) => {
                return Err(format!("the {} socket passed in needs --tls-cert and --tls-key", row.option))
            }
            _ => None,
        };
        let max_line = if row.face == faces::IRC { irc::MAX_INPUT_LINE } else { opts.max_line };
        let socks = if given.is_empty() {
            let addr = addr.expect("checked above");
            vec![net::bind(addr, opts.reuse_port)
                .map_err(|e| format!("cannot listen on {addr} ({}): {e}", row.name))?]
        } else {
            info!("serving {} socket(s) passed in for --{}", given.len(), row.option);
            given
        };
        for sock in socks {
            bound.push(Bound {
                sock,
                name: row.name,
                face: row.face,
                start: row.start,
                max_line,
                tls: tls.clone(),
            });
        }
    }
    for name in passed.keys() {
        warn!("a socket named {name:?} was passed in, but no listener has that name; it is closed");
    }
    Ok(bound)
}

/// The port of the bound TLS IRC listener, if there is one: what IRC's
/// `sts` points clients at.
pub fn tls_irc_port(bound: &[Bound]) -> Option<u16> {
    bound
        .iter()
        .find(|b| b.face == faces::IRC && b.tls.is_some())
        .and_then(|b| b.sock.local_addr().ok())
        .map(|a| a.port())
}

/// The chat core and its faces, as the options set them.
pub fn server(opts: &Options) -> Result<Server, String> {
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
            motd: None,
            lang: opts.lang,
        },
        irc: irc::IrcConfig {
            nick_timeout: opts.nick_timeout,
            idle_timeout: opts.idle_timeout,
            allow_plain_auth: opts.allow_plain_auth,
            ..irc::IrcConfig::default()
        },
        web: web::WebConfig { ws_origin: opts.ws_origin.clone(), lang: opts.lang },
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
        backlog: opts.db_backlog,
        hash_cost: HashCost::OWASP,
    };
    server.hub.store = Store::open(&store, crate::clock::unix_ms())?;
    server.hub.restore_klines();
    apply_live(&mut server, opts, None)?;
    if !server.hub.store.persistent() && opts.redis.is_none() {
        info!("accounts are kept in memory only and are lost when linechat stops (--db FILE keeps them)");
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

/// The files the settings name, read before anything changes, so a
/// reload with one unreadable file changes nothing.
struct Files {
    motd: Option<Arc<[String]>>,
    irc_password: Option<Arc<Secret>>,
    opers: Option<OperFile>,
    token_key: Option<TokenKey>,
    scripts: Option<Option<script::Scripts>>,
}

fn read_files(opts: &Options, before: Option<&Options>) -> Result<Files, String> {
    let motd = match &opts.motd {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("--motd {}: {e}", path.display()))?;
            let lines: Vec<String> = text.lines().map(|l| crate::chat::sanitize(l).into_owned()).collect();
            Some(lines.into())
        }
        None => None,
    };
    let irc_password = match &opts.irc_password {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("--irc-password {}: {e}", path.display()))?;
            let first = text.lines().next().unwrap_or("").trim_end_matches('\r');
            if first.is_empty() {
                return Err(format!("--irc-password {}: the first line is empty", path.display()));
            }
            Some(Arc::new(Secret::new(first.as_bytes())))
        }
        None => None,
    };
    let opers = match &opts.oper_file {
        Some(path) => {
            let file = OperFile::read(path)?;
            info!("--oper-file {}: {} operators", path.display(), file.len());
            Some(file)
        }
        None => None,
    };
    let token_key = match &opts.jwt_secret {
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| format!("--jwt-secret {}: {e}", path.display()))?;
            Some(
                TokenKey::from_file_bytes(&bytes)
                    .map_err(|e| format!("--jwt-secret {}: {e}", path.display()))?,
            )
        }
        None => None,
    };
    // Handlers load anew when their settings change; the same settings
    // leave them to SIGHUP's reload of the folder.
    let handler_settings =
        |o: &Options| (o.handlers.clone(), o.handler_budget, o.handler_memory, o.handler_max_output);
    let scripts = if before.is_some_and(|b| handler_settings(b) == handler_settings(opts)) {
        None
    } else {
        Some(match &opts.handlers {
            Some(dir) => Some(script::Scripts::load(script::ScriptConfig {
                dir: dir.clone(),
                budget: opts.handler_budget,
                memory: opts.handler_memory,
                max_output: opts.handler_max_output,
                builtins: lines::json::BUILTIN_TYPES,
            })?),
            None => None,
        })
    };
    Ok(Files { motd, irc_password, opers, token_key, scripts })
}

/// Sets what can change while clients stay connected: limits, rates,
/// timeouts, handlers, MOTD, operators, sign-in settings, the default
/// language and the log level. `before`: the options in force (on a reload).
pub fn apply_live(server: &mut Server, opts: &Options, before: Option<&Options>) -> Result<(), String> {
    let files = read_files(opts, before)?;
    let hub = &mut server.hub;
    hub.cfg.max_rooms = opts.max_rooms;
    hub.cfg.max_rooms_per_client = opts.max_rooms_per_client;
    hub.cfg.join_rate = opts.join_rate.map(|per_second| Rate { per_second, burst: opts.join_burst });
    hub.store.history.cfg.page = opts.history_page;
    hub.store.history.cfg.join_replay = opts.join_replay;
    hub.signins.cfg = AccountsConfig { min_password: opts.min_password, login_rate: opts.login_rate };
    hub.signins.token_key = files.token_key;
    hub.opers.file = files.opers.unwrap_or_default();
    let lines = &mut server.lines.cfg;
    (lines.nick_timeout, lines.idle_timeout, lines.motd) =
        (opts.nick_timeout, opts.idle_timeout, files.motd.clone());
    lines.lang = opts.lang;
    let irc = &mut server.irc.cfg;
    (irc.nick_timeout, irc.idle_timeout, irc.motd) = (opts.nick_timeout, opts.idle_timeout, files.motd);
    irc.allow_plain_auth = opts.allow_plain_auth;
    irc.lang = opts.lang;
    irc.password = files.irc_password;
    irc.sts_duration = opts.sts_duration;
    irc.monitor_max = opts.monitor_max;
    hub.presence.set_max_departed(opts.whowas);
    server.web.cfg.ws_origin = opts.ws_origin.clone();
    server.web.cfg.lang = opts.lang;
    if let Some(scripts) = files.scripts {
        server.lines.set_scripts(scripts.unwrap_or_default());
    }
    crate::logs::set_level(opts.log_level);
    Ok(())
}

/// The loop's share of the options.
pub fn loop_settings(opts: &Options) -> LoopSettings {
    LoopSettings {
        limits: ReactorLimits {
            max_clients: opts.max_clients,
            max_outbuf: opts.max_outbuf,
            max_per_address: opts.max_per_ip,
            rate: opts.rate.map(|per_second| Rate { per_second, burst: opts.burst }),
            close_grace: Duration::from_secs(2),
            tls_handshake_timeout: opts.nick_timeout,
        },
        certs: match (&opts.tls_cert, &opts.tls_key) {
            (Some(cert), Some(key)) => Some(CertFiles { cert: cert.clone(), key: key.clone() }),
            _ => None,
        },
    }
}

/// SIGHUP: the config file and command line read again; each change
/// logged, applied when it can be, and logged as needing a restart when it
/// cannot. A file that no longer parses, or names a file that cannot be
/// read, changes nothing.
pub fn reloader(mut current: Settings) -> Reloader<Server> {
    Box::new(move |server: &mut Server| {
        let new = match current.reload() {
            Ok(new) => new,
            Err(e) => {
                error!("reload: {e}; nothing changed");
                return None;
            }
        };
        let changes = current.changes(&new);
        let changed = !changes.is_empty();
        for change in &changes {
            if change.needs_restart {
                warn!("reload: {change}: needs a restart (kept as it is until then)");
            } else {
                info!("reload: {change}");
            }
        }
        drop(changes);
        let new = current.keep_restart_only(new);
        if let Err(e) = apply_live(server, &new.opts, Some(&current.opts)) {
            error!("reload: {e}; nothing changed");
            return None;
        }
        if !changed {
            info!("reload: no setting changed");
        }
        current = new;
        Some(loop_settings(&current.opts))
    })
}
