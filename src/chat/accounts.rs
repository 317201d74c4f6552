//! Accounts in the chat: registering one's nickname, signing in and out,
//! changing the password, removing the account, and keeping registered
//! names for their owners. The table is the store's (`store/accounts.rs`);
//! passwords are hashed and checked on the store's password thread, and
//! while a client's job is there its next lines wait, strictly in order
//! (SASL clients pipeline). How each request ended reaches the face as a
//! [`Signed`] (`Hub::take_signed`), which says it in the face's words.
//!
//! Sign-in attempts are limited per account and per address
//! (`--login-rate`); a wrong password and an unknown account get the same
//! answer, after the same work; no password reaches a log.

use std::collections::HashMap;
use std::net::IpAddr;

use log::{info, warn};

use super::command::Outcome;
pub use super::command::{AccountCommand, Password, Via};
pub use super::event::AccountAction;
use super::fault::Fault;
pub use super::names::{is_service, SERVICES};
use super::session::fold_nick;
use super::Hub;
use crate::net::{Bucket, ConnId, Outbox, Rate};
use crate::store::accounts::Account;
use crate::store::passwords::{Answer, Job, Secret, Ticket};

/// Longest password accepted, in bytes.
pub const MAX_PASSWORD: usize = 1024;

/// Rate-limit buckets kept at most, per kind; past it, the full ones are forgotten.
const MAX_BUCKETS: usize = 4096;

/// How an account request ended, for the face to say.
#[derive(Debug, Clone)]
pub struct Signed {
    pub id: ConnId,
    pub via: Via,
    /// The action and the account's name, or why not.
    pub result: Result<(AccountAction, String), Fault>,
    /// Signing in gave the client its first nickname (the face greets it
    /// as after a nickname).
    pub registered: bool,
}

/// Account settings.
#[derive(Debug, Clone, Copy)]
pub struct AccountsConfig {
    /// Shortest password, in bytes (`--min-password`).
    pub min_password: usize,
    /// Sign-in attempts per account and per address (`--login-rate`).
    pub login_rate: Option<Rate>,
}

/// Tokens are checked with this (`--jwt-secret`); none: not accepted.
pub type TokenSecret = Option<super::tokens::TokenKey>;

impl Default for AccountsConfig {
    fn default() -> Self {
        AccountsConfig { min_password: 8, login_rate: Some(Rate { per_second: 5.0 / 60.0, burst: 5.0 }) }
    }
}

/// A job on the password thread, and whose it is.
#[derive(Debug)]
struct Pending {
    id: ConnId,
    serial: u64,
    via: Via,
    what: Waiting,
}

#[derive(Debug)]
enum Waiting {
    Register { key: String, name: String },
    Login { key: String, take_nick: bool },
    Password { key: String },
    Unregister { key: String },
    Oper { name: String },
}

/// The chat's side of accounts: jobs in flight, answers for the faces,
/// sign-in buckets.
#[derive(Debug, Default)]
pub struct SignIns {
    pub cfg: AccountsConfig,
    pub token_key: TokenSecret,
    pending: HashMap<Ticket, Pending>,
    signed: Vec<Signed>,
    by_account: HashMap<String, Bucket>,
    by_address: HashMap<IpAddr, Bucket>,
    /// Sign-ins refused (wrong password, unknown account, too many tries).
    pub failures: u64,
}

impl Hub {
    /// Carries out an account request of `id`'s.
    pub(super) fn account(
        &mut self,
        id: ConnId,
        cmd: AccountCommand,
        via: Via,
        out: &mut Outbox,
    ) -> Result<Outcome, Fault> {
        match cmd {
            AccountCommand::Register(password) => {
                let nick = self.nick_of(id).ok_or(Fault::NotJoined)?.to_string();
                if let Some(account) = self.account_of(id) {
                    return Err(Fault::refused("logout-first", &[("account", &account)]));
                }
                let key = fold_nick(&nick);
                if self.store.accounts.contains(&key) {
                    return Err(Fault::NickRegistered(nick));
                }
                self.check_password(password)?;
                let job = Job::Hash(Secret::new(password.0));
                self.submit(id, via, job, Waiting::Register { key, name: nick }, out)
            }
            AccountCommand::Login { account, password, take_nick } => {
                let key = fold_nick(account.trim());
                if self.account_of(id).is_some_and(|a| fold_nick(a) == key) {
                    return Err(Fault::refused("already-signed-in", &[("account", &account.trim())]));
                }
                if password.0.len() > MAX_PASSWORD {
                    return Err(Fault::refused("password-too-long", &[("max", &MAX_PASSWORD)]));
                }
                if !self.charge_login(id, &key, out) {
                    self.signins.failures += 1;
                    warn!("conn={id}: sign-in to '{}' refused: too many attempts", account.trim());
                    return Err(Fault::AuthFailed("auth-too-many"));
                }
                let hash = self.store.accounts.get(&key).map(|a| a.hash.clone());
                let job = Job::Verify { password: Secret::new(password.0), hash };
                self.submit(id, via, job, Waiting::Login { key, take_nick }, out)
            }
            AccountCommand::Logout => {
                let name = self.session_mut(id).and_then(|s| s.account.take()).ok_or(Fault::NeedsAccount)?;
                info!("conn={id} signed out of {name}");
                self.signins.signed.push(Signed {
                    id,
                    via,
                    result: Ok((AccountAction::SignedOut, name)),
                    registered: false,
                });
                Ok(Outcome::Done)
            }
            AccountCommand::ChangePassword { old, new } => {
                let name = self.account_of(id).ok_or(Fault::NeedsAccount)?.to_string();
                let key = fold_nick(&name);
                let hash = self.store.accounts.get(&key).ok_or(Fault::NeedsAccount)?.hash.clone();
                self.check_password(new)?;
                let job = Job::Change { old: Secret::new(old.0), hash, new: Secret::new(new.0) };
                self.submit(id, via, job, Waiting::Password { key }, out)
            }
            AccountCommand::Token(token) => self.token_login(id, token, via, out),
            AccountCommand::External { account } => self.certificate_login(id, account, via, out),
            AccountCommand::CertFp(cmd) => self.certfp(id, cmd, out),
            AccountCommand::Unregister(password) => {
                let name = self.account_of(id).ok_or(Fault::NeedsAccount)?.to_string();
                let key = fold_nick(&name);
                let hash = self.store.accounts.get(&key).map(|a| a.hash.clone());
                let job = Job::Verify { password: Secret::new(password.0), hash };
                self.submit(id, via, job, Waiting::Unregister { key }, out)
            }
        }
    }

    /// A token sign-in: checked here (an HMAC), answered at once.
    fn token_login(&mut self, id: ConnId, token: &str, via: Via, out: &mut Outbox) -> Result<Outcome, Fault> {
        let Some(key) = &self.signins.token_key else {
            return Err(Fault::AuthFailed("auth-no-tokens"));
        };
        let claims = match key.verify(token, crate::clock::unix_now()) {
            Ok(claims) => claims,
            Err(why) => {
                self.signins.failures += 1;
                warn!("conn={id}: sign-in token refused ({why:?})");
                return Err(Fault::AuthFailed("auth-bad-token"));
            }
        };
        let name = claims.account.clone();
        if let Some(s) = self.session_mut(id) {
            s.account = Some(name.clone());
            s.oper |= claims.oper;
        }
        info!("conn={id} signed in as {name} with a token{}", if claims.oper { " (operator)" } else { "" });
        let nick = claims.nick.as_deref().unwrap_or(&name).to_string();
        let registered = self.nick_of(id).is_none() && self.take_account_nick(id, &nick, out);
        if self.nick_of(id).is_some() {
            for room in &claims.rooms {
                if let Err(fault) = self.join_room(id, room, None, out) {
                    warn!("conn={id}: the token's room {room}: {}", fault.message());
                }
            }
        }
        let result = Ok((AccountAction::SignedIn, name));
        self.signins.signed.push(Signed { id, via, result, registered });
        Ok(Outcome::Done)
    }

    /// Signed in by other means than a password (a token, a certificate):
    /// `name` is `id`'s account now, told to the face.
    pub(super) fn signed_in_without_password(&mut self, id: ConnId, name: String, via: Via) {
        if let Some(s) = self.session_mut(id) {
            s.account = Some(name.clone());
        }
        let result = Ok((AccountAction::SignedIn, name));
        self.signins.signed.push(Signed { id, via, result, registered: false });
    }

    /// Every session signed in to the account `key` (folded).
    pub(crate) fn sessions_of_account(&self, key: &str) -> Vec<ConnId> {
        self.sessions()
            .filter(|(_, s)| s.account.as_deref().is_some_and(|a| fold_nick(a) == key))
            .map(|(id, _)| id)
            .collect()
    }

    /// The account `id` is signed in to.
    pub fn account_of(&self, id: ConnId) -> Option<&str> {
        self.session(id)?.account.as_deref()
    }

    /// Is `nick` registered to an account `id` is not signed in to?
    pub fn nick_registered_to_other(&self, nick: &str, id: ConnId) -> bool {
        let key = fold_nick(nick);
        self.store.accounts.contains(&key) && self.account_of(id).is_none_or(|a| fold_nick(a) != key)
    }

    /// How account requests ended since the last call, for the faces.
    pub fn take_signed(&mut self) -> Vec<Signed> {
        std::mem::take(&mut self.signins.signed)
    }

    /// Are answers waiting for the faces?
    pub fn has_signed(&self) -> bool {
        !self.signins.signed.is_empty()
    }

    fn check_password(&self, password: Password) -> Result<(), Fault> {
        let (min, len) = (self.signins.cfg.min_password, password.0.len());
        if len < min || len > MAX_PASSWORD {
            return Err(Fault::refused("password-length", &[("min", &min), ("max", &MAX_PASSWORD)]));
        }
        Ok(())
    }

    /// Counts a sign-in attempt against `--login-rate` for the account and
    /// for `id`'s address; false when either is spent.
    fn charge_login(&mut self, id: ConnId, key: &str, out: &Outbox) -> bool {
        let Some(rate) = self.signins.cfg.login_rate else { return true };
        let now = out.now();
        let s = &mut self.signins;
        let account_ok = charge(&mut s.by_account, key.to_string(), rate, now);
        let address_ok = match out.peer_ip(id) {
            Some(ip) => charge(&mut s.by_address, ip, rate, now),
            None => true,
        };
        account_ok && address_ok
    }

    /// Counts an operator sign-in against `--login-rate` (per name and address).
    pub(super) fn charge_oper(&mut self, id: ConnId, name: &str, out: &Outbox) -> bool {
        self.charge_login(id, &format!("oper:{name}"), out)
    }

    /// An operator's password check on the password thread.
    pub(super) fn submit_oper(
        &mut self,
        id: ConnId,
        name: &str,
        job: Job,
        out: &mut Outbox,
    ) -> Result<Outcome, Fault> {
        self.submit(id, Via::default(), job, Waiting::Oper { name: name.to_string() }, out)
    }

    fn submit(
        &mut self,
        id: ConnId,
        via: Via,
        job: Job,
        what: Waiting,
        out: &mut Outbox,
    ) -> Result<Outcome, Fault> {
        let ticket = self.store.hasher.submit(job).ok_or(Fault::Busy)?;
        let serial = self.serial_of(id);
        self.signins.pending.insert(ticket, Pending { id, serial, via, what });
        self.await_answer(id, out);
        Ok(Outcome::Done)
    }

    /// The password thread answered: each job's request is finished, and
    /// its client read again.
    pub fn passwords_ready(&mut self, out: &mut Outbox) {
        if self.store.hasher.in_flight() == 0 {
            return; // Nothing asked (every loop turn looks).
        }
        for (ticket, answer) in self.store.hasher.take() {
            let Some(p) = self.signins.pending.remove(&ticket) else { continue };
            if self.serial_of(p.id) != p.serial {
                continue; // The client left meanwhile.
            }
            let (result, registered) = self.answered(p.id, p.what, answer, out);
            self.signins.signed.push(Signed { id: p.id, via: p.via, result, registered });
            self.answer_came((p.id, p.serial), out);
        }
    }

    fn answered(
        &mut self,
        id: ConnId,
        what: Waiting,
        answer: Answer,
        out: &mut Outbox,
    ) -> (Result<(AccountAction, String), Fault>, bool) {
        let now_ms = crate::clock::unix_ms();
        match (what, answer) {
            (Waiting::Register { key, name }, Answer::Hashed(Ok(hash))) => {
                if self.store.accounts.contains(&key) {
                    return (Err(Fault::NickRegistered(name)), false);
                }
                let account = Account { name: name.clone(), hash, certfps: Vec::new(), created_ms: now_ms };
                let change = self.store.accounts.save(&key, account);
                self.account_changed(change);
                if let Some(s) = self.session_mut(id) {
                    s.account = Some(name.clone());
                }
                info!("conn={id} registered the account {name}");
                (Ok((AccountAction::Registered, name)), false)
            }
            (Waiting::Login { key, take_nick }, Answer::Verified(true)) => {
                let Some(name) = self.store.accounts.get(&key).map(|a| a.name.clone()) else {
                    return (Err(self.auth_failed(id, &key)), false);
                };
                if let Some(s) = self.session_mut(id) {
                    s.account = Some(name.clone());
                }
                info!("conn={id} signed in as {name}");
                let registered = take_nick && self.take_account_nick(id, &name, out);
                (Ok((AccountAction::SignedIn, name)), registered)
            }
            (Waiting::Login { key, .. }, _) => (Err(self.auth_failed(id, &key)), false),
            (Waiting::Password { key }, Answer::Changed(Some(hash))) => {
                let Some(mut account) = self.store.accounts.get(&key).cloned() else {
                    return (Err(Fault::NeedsAccount), false);
                };
                account.hash = hash;
                let name = account.name.clone();
                let change = self.store.accounts.save(&key, account);
                self.account_changed(change);
                info!("conn={id} changed the password of {name}");
                (Ok((AccountAction::PasswordChanged, name)), false)
            }
            (Waiting::Unregister { key }, Answer::Verified(true)) => {
                let Some(name) = self.store.accounts.get(&key).map(|a| a.name.clone()) else {
                    return (Err(Fault::NeedsAccount), false);
                };
                if let Some(change) = self.store.accounts.remove(&key) {
                    self.account_changed(change);
                }
                self.store.markers.forget(&key);
                self.sign_everyone_out(id, &key);
                info!("conn={id} removed the account {name}");
                (Ok((AccountAction::Unregistered, name)), false)
            }
            (Waiting::Oper { name }, Answer::Verified(true)) => {
                if let Some(s) = self.session_mut(id) {
                    s.oper = true;
                }
                info!("conn={id} is now a server operator ({name})");
                (Ok((AccountAction::Operator, name)), false)
            }
            (Waiting::Oper { name }, _) => {
                self.signins.failures += 1;
                warn!("conn={id}: operator sign-in as '{name}' failed");
                (Err(Fault::AuthFailed("auth-wrong-oper")), false)
            }
            (Waiting::Password { key } | Waiting::Unregister { key }, _) => {
                (Err(self.auth_failed(id, &key)), false)
            }
            (Waiting::Register { .. }, _) => (Err(Fault::Busy), false),
        }
    }

    fn auth_failed(&mut self, id: ConnId, key: &str) -> Fault {
        self.signins.failures += 1;
        warn!("conn={id}: sign-in to '{key}' failed");
        Fault::AuthFailed("auth-wrong")
    }

    /// `key` is no more: every session signed in to it is signed out (the
    /// one that removed it is told by its answer).
    pub(super) fn sign_everyone_out(&mut self, by: ConnId, key: &str) {
        for id in self.sessions_of_account(key) {
            let Some(name) = self.session_mut(id).and_then(|s| s.account.take()) else { continue };
            if id != by {
                let result = Ok((AccountAction::SignedOut, name));
                self.signins.signed.push(Signed { id, via: Via::default(), result, registered: false });
            }
        }
    }

    /// Signed in as `name`: `id` takes the account's nickname if nobody
    /// else has it (a first nickname, or a rename). True if that was its
    /// first nickname (and it is now registered).
    fn take_account_nick(&mut self, id: ConnId, name: &str, out: &mut Outbox) -> bool {
        // Taken, registered to another or reserved: `choose_nick` refuses.
        matches!(self.choose_nick(id, name, out), Ok(Outcome::Registered))
    }
}

/// Takes a token from `key`'s bucket; false when it has none.
fn charge<K: std::hash::Hash + Eq>(
    buckets: &mut HashMap<K, Bucket>,
    key: K,
    rate: Rate,
    now: std::time::Instant,
) -> bool {
    if buckets.len() >= MAX_BUCKETS {
        buckets.retain(|_, b| {
            rate.refill(b, now);
            b.lines_allowed() < rate.burst as u32
        });
        if buckets.len() >= MAX_BUCKETS {
            buckets.clear();
        }
    }
    let bucket = buckets.entry(key).or_default();
    rate.refill(bucket, now);
    if bucket.lines_allowed() == 0 {
        return false;
    }
    rate.spend(bucket, 1);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_refuse_past_the_rate_and_stay_bounded() {
        let rate = Rate { per_second: 5.0 / 60.0, burst: 5.0 };
        let t0 = std::time::Instant::now();
        let mut b: HashMap<&str, Bucket> = HashMap::new();
        for _ in 0..5 {
            assert!(charge(&mut b, "alice", rate, t0));
        }
        assert!(!charge(&mut b, "alice", rate, t0));
        assert!(charge(&mut b, "bob", rate, t0));
        assert!(charge(&mut b, "alice", rate, t0 + std::time::Duration::from_secs(12)));
        let mut many: HashMap<u32, Bucket> = HashMap::new();
        for i in 0..(MAX_BUCKETS as u32 * 2) {
            charge(&mut many, i, rate, t0);
        }
        assert!(many.len() <= MAX_BUCKETS);
        assert_eq!(format!("{:?}", Password(b"secret")), "Password(..)");
    }
}
