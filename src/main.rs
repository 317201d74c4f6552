//! linechat's command line: reads the settings (`cli/`), binds the
//! listener table and builds the chat core with its faces (`setup.rs`),
//! and runs the loop.

use linechat::cli::{self, Command};
#[cfg(feature = "client")]
use linechat::client;
use linechat::net::systemd::{self, Notifier};
use linechat::net::{Reactor, Start};
use linechat::setup::{self, LISTENERS};

use std::process::ExitCode;

use log::{error, info, warn};

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
    let settings = match cli::parse_args(std::env::args_os().skip(1)) {
        Ok(Command::Run(settings)) => *settings,
        Ok(Command::PrintConfig(settings)) => {
            print!("{}", settings.to_file());
            return ExitCode::SUCCESS;
        }
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
    let opts = &settings.opts;
    linechat::logs::init(opts.log_format, opts.log_level);
    if let Some(path) = &settings.config {
        info!("settings from {}", path.display());
    }

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
    let bound = match setup::bind_listeners(opts, systemd::listen_fds()) {
        Ok(bound) => bound,
        Err(e) => {
            error!("{e}");
            return ExitCode::from(1);
        }
    };
    let mut server = match setup::server(opts) {
        Ok(server) => server,
        Err(e) => {
            error!("{e}");
            return ExitCode::from(1);
        }
    };
    server.irc.cfg.tls_port = setup::tls_irc_port(&bound);
    let mut reactor = match Reactor::new(bound, server, setup::loop_settings(opts).limits) {
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
    if !reactor.addrs().iter().any(|(_, face, _, _)| *face == linechat::faces::WEB) {
        info!("web port off");
    }
    reactor.set_reloader(setup::reloader(settings));
    reactor.set_notifier(Notifier::from_env());
    match reactor.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!("event loop failed: {e}");
            ExitCode::from(1)
        }
    }
}
