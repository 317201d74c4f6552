//! TLS client certificates as a way to sign in: an account lists the
//! SHA-256 fingerprints of certificates that stand for it (`/certfp`,
//! JSON `certfp`, `NickServ CERT`), and a client that connected with one
//! of them signs in by it alone (IRC SASL EXTERNAL). The TLS layer asks
//! for a certificate on the chat and IRC TLS ports and proves the client
//! holds its key; which authority issued it does not matter.

use log::{info, warn};

use super::command::{CertFpCommand, Outcome, Via};
use super::event::Event;
use super::fault::Fault;
use super::session::fold_nick;
use super::Hub;
use crate::net::{ConnId, Outbox};

/// Fingerprints one account lists, at most.
pub const MAX_CERTFPS: usize = 16;

/// A fingerprint as typed (hex, any case, maybe with colons) as stored:
/// 64 lowercase hex digits.
pub fn normalize(raw: &str) -> Result<String, Fault> {
    let fp: String = raw.trim().chars().filter(|&c| c != ':').map(|c| c.to_ascii_lowercase()).collect();
    if fp.len() != 64 || !fp.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Fault::refused("certfp-invalid", &[("fingerprint", &raw.trim())]));
    }
    Ok(fp)
}

impl Hub {
    /// SASL EXTERNAL: the account whose fingerprints list `id`'s client
    /// certificate (and, if `claimed`, that one) signs `id` in.
    pub(super) fn certificate_login(
        &mut self,
        id: ConnId,
        claimed: Option<&str>,
        via: Via,
        out: &mut Outbox,
    ) -> Result<Outcome, Fault> {
        let found = out.certfp(id).and_then(|fp| {
            let (key, account) = self.store.accounts.by_certfp(&fp)?;
            Some((key.to_string(), account.name.clone()))
        });
        let Some((key, name)) = found.filter(|(key, _)| claimed.is_none_or(|c| fold_nick(c) == *key)) else {
            self.signins.failures += 1;
            warn!("conn={id}: certificate sign-in refused");
            return Err(Fault::AuthFailed("auth-certificate"));
        };
        if self.account_of(id).is_some_and(|a| fold_nick(a) == key) {
            return Err(Fault::refused("already-signed-in", &[("account", &name)]));
        }
        info!("conn={id} signed in as {name} with a certificate");
        self.signed_in_without_password(id, name, via);
        Ok(Outcome::Done)
    }

    /// `/certfp`: the signed-in account's fingerprints, listed, or one
    /// added (the connection's own when none is named) or removed; the
    /// list is the answer.
    pub(super) fn certfp(
        &mut self,
        id: ConnId,
        cmd: CertFpCommand,
        out: &mut Outbox,
    ) -> Result<Outcome, Fault> {
        let name = self.account_of(id).ok_or(Fault::NeedsAccount)?.to_string();
        let key = fold_nick(&name);
        let mut account = self.store.accounts.get(&key).cloned().ok_or(Fault::NeedsAccount)?;
        let yours = out.certfp(id);
        match cmd {
            CertFpCommand::List => {}
            CertFpCommand::Add(raw) => {
                let fp = match raw {
                    Some(raw) => normalize(raw)?,
                    None => yours.clone().ok_or_else(|| Fault::refused("certfp-none", &[]))?,
                };
                if let Some((other, _)) = self.store.accounts.by_certfp(&fp).filter(|(k, _)| *k != key) {
                    warn!("conn={id}: a certificate of {other} offered to {name}");
                    return Err(Fault::refused("certfp-taken", &[("fingerprint", &fp)]));
                }
                if !account.certfps.contains(&fp) {
                    if account.certfps.len() >= MAX_CERTFPS {
                        return Err(Fault::refused("too-many-certfps", &[("max", &MAX_CERTFPS)]));
                    }
                    account.certfps.push(fp);
                }
            }
            CertFpCommand::Del(raw) => {
                let fp = normalize(raw)?;
                let before = account.certfps.len();
                account.certfps.retain(|f| *f != fp);
                if account.certfps.len() == before {
                    return Err(Fault::refused("no-certfp", &[("account", &name), ("fingerprint", &fp)]));
                }
            }
        }
        let fingerprints = account.certfps.clone();
        if !matches!(cmd, CertFpCommand::List) {
            info!("conn={id} changed the certificate fingerprints of {name}");
            let change = self.store.accounts.save(&key, account);
            self.account_changed(change);
        }
        let event = Event::CertFps { account: &name, fingerprints: &fingerprints, yours: yours.as_deref() };
        self.reply(id, &event, out);
        Ok(Outcome::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_read_in_any_common_spelling() {
        let hex = "AB".repeat(32);
        assert_eq!(normalize(&hex), Ok("ab".repeat(32)));
        let colons = vec!["Ab"; 32].join(":");
        assert_eq!(normalize(&colons), Ok("ab".repeat(32)));
        assert!(normalize("abc").is_err());
        assert!(normalize(&"zz".repeat(32)).is_err());
    }
}
