//! Server operators: the operator file (`--oper-file`: lines `NAME HASH`,
//! the hash an argon2id PHC string from `linechat hash-password`), signing
//! in as an operator (`/oper`, IRC `OPER`; checked on the password thread
//! like any password), and what operators do beyond moderating every
//! room: `/kill` a client, and K-lines (`/kline`, `/unkline`, `/klines`)
//! that refuse addresses at the door and cut those connected, kept in the
//! store (`--db`, and Redis in a cluster, where every node holds them).

use std::collections::HashMap;

use log::{info, warn};

use super::command::{OperCommand, Outcome};
use super::event::Event;
use super::fault::Fault;
pub use super::rules::{AddressMask, Kline};
use super::Hub;
use crate::net::{ConnId, Outbox};
use crate::store::rules::{RuleChange, SavedKline};

/// K-lines the server holds, at most.
pub const MAX_KLINES: usize = 1000;

/// The operator file: names and their password hashes.
#[derive(Debug, Default, Clone)]
pub struct OperFile {
    hashes: HashMap<String, String>,
}

impl OperFile {
    /// Parses the file's text: `NAME HASH` per line; `#` comments and
    /// blank lines are skipped; anything else is an error naming its line.
    pub fn parse(text: &str) -> Result<OperFile, String> {
        let mut hashes = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut words = line.split_whitespace();
            let (Some(name), Some(hash), None) = (words.next(), words.next(), words.next()) else {
                return Err(format!("line {}: expected NAME HASH", n + 1));
            };
            if !hash.starts_with("$argon2id$") {
                return Err(format!(
                    "line {}: the hash is not argon2id (make one with linechat hash-password)",
                    n + 1
                ));
            }
            hashes.insert(name.to_string(), hash.to_string());
        }
        Ok(OperFile { hashes })
    }

    /// Reads and parses the file at `path` (errors name the file and line).
    pub fn read(path: &std::path::Path) -> Result<OperFile, String> {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("--oper-file {}: {e}", path.display()))?;
        OperFile::parse(&text).map_err(|e| format!("--oper-file {}: {e}", path.display()))
    }

    pub fn hash(&self, name: &str) -> Option<&str> {
        self.hashes.get(name).map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }
}

/// Server operators' state: the file and the K-lines.
#[derive(Debug, Default)]
pub struct Opers {
    pub file: OperFile,
    pub klines: Vec<Kline>,
}

impl Hub {
    pub(super) fn oper(&mut self, id: ConnId, cmd: OperCommand, out: &mut Outbox) -> Result<Outcome, Fault> {
        if let OperCommand::Up { name, password } = cmd {
            return self.oper_up(id, name, password, out);
        }
        if !self.session(id).is_some_and(|s| s.oper) {
            return Err(Fault::NotServerOperator);
        }
        let by = self.nick_of(id).unwrap_or("*").to_string();
        match cmd {
            OperCommand::Kill { nick, reason } => {
                let target = self.user(nick)?;
                let reason = if reason.trim().is_empty() { "no reason" } else { reason.trim() };
                self.kill(target, &by, reason, out);
            }
            OperCommand::Kline { mask, duration, reason } => {
                let mask = AddressMask::parse(mask).map_err(Fault::usage)?;
                let now = crate::clock::unix_ms();
                let klines = &mut self.opers.klines;
                klines.retain(|k| k.active(now) && k.mask != mask);
                if klines.len() >= MAX_KLINES {
                    return Err(Fault::refused("too-many-klines", &[("max", &MAX_KLINES)]));
                }
                let (until_ms, reason) = (super::rules::until(now, duration), super::rules::reason(reason));
                let kline = Kline { mask, by: by.clone(), set_ms: now, until_ms, reason: reason.clone() };
                info!("{by} added a K-line on {mask} ({reason})");
                let shown = mask.to_string();
                self.rules_changed(RuleChange::Kline { mask: shown.clone(), kline: Some(saved(&kline)) });
                self.reply(id, &Event::Kline { mask: &shown, set: true, until_ms, reason: &reason }, out);
                self.add_kline(kline, out);
            }
            OperCommand::Unkline { mask } => {
                let mask = AddressMask::parse(mask).map_err(Fault::usage)?;
                let before = self.opers.klines.len();
                self.opers.klines.retain(|k| k.mask != mask);
                if self.opers.klines.len() == before {
                    return Err(Fault::refused("no-kline", &[("mask", &mask)]));
                }
                info!("{by} removed the K-line on {mask}");
                let shown = mask.to_string();
                self.rules_changed(RuleChange::Kline { mask: shown.clone(), kline: None });
                self.reply(id, &Event::Kline { mask: &shown, set: false, until_ms: None, reason: "" }, out);
            }
            OperCommand::Klines => {
                let now = crate::clock::unix_ms();
                self.opers.klines.retain(|k| k.active(now));
                let all: Vec<&Kline> = self.opers.klines.iter().collect();
                self.reply(id, &Event::KlineList { klines: &all }, out);
            }
            OperCommand::Up { .. } => {}
        }
        Ok(Outcome::Done)
    }

    /// `/oper NAME PASSWORD`: checked on the password thread.
    fn oper_up(
        &mut self,
        id: ConnId,
        name: &str,
        password: super::accounts::Password,
        out: &mut Outbox,
    ) -> Result<Outcome, Fault> {
        if !self.charge_oper(id, name, out) {
            warn!("conn={id}: operator sign-in as '{name}' refused: too many attempts");
            return Err(Fault::AuthFailed("auth-too-many"));
        }
        let hash = self.opers.file.hash(name).map(str::to_string);
        let job = crate::store::passwords::Job::Verify {
            password: crate::store::passwords::Secret::new(password.0),
            hash,
        };
        self.submit_oper(id, name, job, out)
    }

    /// Holds `kline` (replacing one on the same mask) and cuts those
    /// connected from where it refuses.
    fn add_kline(&mut self, kline: Kline, out: &mut Outbox) {
        self.opers.klines.retain(|k| k.mask != kline.mask);
        let hit: Vec<ConnId> = self
            .sessions()
            .map(|(c, _)| c)
            .filter(|&c| out.peer_ip(c).is_some_and(|ip| kline.mask.matches(ip)))
            .collect();
        let (by, why) = (kline.by.clone(), format!("K-lined: {}", kline.reason));
        self.opers.klines.push(kline);
        for target in hit {
            self.kill(target, &by, &why, out);
        }
    }

    /// The K-lines the store kept (`--db`), held again at start-up.
    pub fn restore_klines(&mut self) {
        let now = crate::clock::unix_ms();
        let kept: Vec<Kline> =
            self.store.rules.klines.iter().filter_map(live).filter(|k| k.active(now)).collect();
        self.opers.klines = kept;
    }

    /// Another node set (`Some`) or lifted a K-line.
    pub(super) fn kline_noted(&mut self, mask: &str, kline: Option<&SavedKline>, out: &mut Outbox) {
        match kline.and_then(live) {
            Some(kline) => self.add_kline(kline, out),
            None => {
                if let Ok(mask) = AddressMask::parse(mask) {
                    self.opers.klines.retain(|k| k.mask != mask);
                }
            }
        }
    }

    /// The K-line refusing `ip`, if one does.
    pub fn kline_for(&self, ip: std::net::IpAddr) -> Option<&Kline> {
        let now = crate::clock::unix_ms();
        self.opers.klines.iter().find(|k| k.active(now) && k.mask.matches(ip))
    }

    /// Cuts `target` off: it is told why, and the rooms it leaves hear it.
    pub fn kill(&mut self, target: ConnId, by: &str, reason: &str, out: &mut Outbox) {
        let nick = self.nick_of(target).unwrap_or("*").to_string();
        info!("{by} killed {nick} ({reason})");
        self.fail(target, &Fault::Killed(format!("{by}: {reason}")), out);
        self.leave(target, &format!("Killed ({by} ({reason}))"), out);
        out.close_after_flush(target, crate::net::CloseReason::Requested);
    }
}

/// A K-line as the store keeps it.
fn saved(k: &Kline) -> SavedKline {
    SavedKline {
        mask: k.mask.to_string(),
        by: k.by.clone(),
        set_ms: k.set_ms,
        until_ms: k.until_ms,
        reason: k.reason.clone(),
    }
}

/// A kept K-line held again (`None`: its mask no longer reads).
fn live(k: &SavedKline) -> Option<Kline> {
    let mask = AddressMask::parse(&k.mask).ok()?;
    Some(Kline { mask, by: k.by.clone(), set_ms: k.set_ms, until_ms: k.until_ms, reason: k.reason.clone() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    #[test]
    fn oper_files_parse_or_name_the_bad_line() {
        let f = OperFile::parse("# operators\n\nadmin $argon2id$v=19$x\n").unwrap();
        assert_eq!(f.hash("admin"), Some("$argon2id$v=19$x"));
        assert_eq!(f.len(), 1);
        assert_eq!(OperFile::parse("a\n").unwrap_err(), "line 1: expected NAME HASH");
        assert!(OperFile::parse("\na plaintext\n")
            .unwrap_err()
            .starts_with("line 2: the hash is not argon2id"));
    }

    #[test]
    fn address_masks_match_addresses_and_networks() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let one = AddressMask::parse("*@10.0.0.7").unwrap();
        assert!(one.matches(ip("10.0.0.7")) && !one.matches(ip("10.0.0.8")));
        assert!(one.matches(ip("::ffff:10.0.0.7")), "IPv4-mapped IPv6");
        let net = AddressMask::parse("10.0.0.0/24").unwrap();
        assert!(net.matches(ip("10.0.0.200")) && !net.matches(ip("10.0.1.1")));
        assert_eq!(net.to_string(), "10.0.0.0/24");
        let v6 = AddressMask::parse("2001:db8::/32").unwrap();
        assert!(v6.matches(ip("2001:db8::1")) && !v6.matches(ip("2001:db9::1")));
        for bad in ["", "1.2.3", "1.2.3.4/33", "1.2.3.4/2", "host.example", "*", "1.2.3.4/x"] {
            assert!(AddressMask::parse(bad).is_err(), "{bad}");
        }
    }
}
