//! Accounts on IRC: SASL PLAIN and EXTERNAL (`CAP sasl`, `AUTHENTICATE`, as IRCv3
//! sasl-3.1/3.2 says: 400-byte chunks, `+`, `*` to abort, 900/903/904/
//! 905/906/907/908), and `NickServ` for clients that only know services
//! (`PRIVMSG NickServ :IDENTIFY ...`, or the `NICKSERV`/`NS` verbs),
//! answered as NOTICEs from NickServ. The chat core does the work; lines
//! the client sends while its password is checked wait, in order.

use base64::Engine;

use super::{client_name, fail, say, send, IrcFace};
use crate::chat::accounts::{AccountAction, AccountCommand, Password, Signed, Via};
use crate::chat::command::{CertFpCommand, Command};
use crate::chat::fault::Fault;
use crate::chat::Hub;
use crate::net::{ConnId, Outbox};
use crate::store::passwords::Secret;
use crate::words;

/// Requests made through SASL.
pub const VIA_SASL: Via = Via(1);
/// Requests made through NickServ.
pub const VIA_NICKSERV: Via = Via(2);
/// Requests made with REGISTER (draft/account-registration).
pub const VIA_REGISTER: Via = Via(3);

/// `REGISTER <account> <email|*> <password>` (draft/account-registration):
/// registers the client's nickname (`account` is `*` or that nickname; no
/// email is asked or kept). Answered `REGISTER SUCCESS` and 900 once the
/// password is hashed, or `FAIL REGISTER <code>`.
pub(super) fn register(_: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let (account, password) = (params[0], params[2]);
    let Some(nick) = hub.nick_of(id).map(str::to_string) else {
        let words = words::say(hub.lang_of(id), "irc-register-connect-first", &[]);
        return fail(out, id, "REGISTER", "COMPLETE_CONNECTION_REQUIRED", &[account], &words);
    };
    if account != "*" && crate::chat::session::fold_nick(account) != crate::chat::session::fold_nick(&nick) {
        let words = words::say(hub.lang_of(id), "irc-register-account-is-nick", &[]);
        return fail(out, id, "REGISTER", "ACCOUNT_NAME_MUST_BE_NICK", &[account], &words);
    }
    let cmd = AccountCommand::Register(Password(password.as_bytes()));
    if let Err(fault) = hub.run(id, Command::Account { cmd, via: VIA_REGISTER }, out) {
        register_failed(hub, id, &nick, &fault, out);
    }
}

/// `FAIL REGISTER <code> <account> :<words>` for `fault`.
fn register_failed(hub: &Hub, id: ConnId, account: &str, fault: &Fault, out: &mut Outbox) {
    let code = match fault {
        Fault::NickRegistered(_) => "ACCOUNT_EXISTS",
        Fault::Refused("already-signed-in" | "logout-first", _) => "ALREADY_AUTHENTICATED",
        Fault::Refused("password-length" | "password-too-long", _) => "WEAK_PASSWORD",
        Fault::Busy | Fault::AuthFailed("auth-too-many") => "TEMPORARILY_UNAVAILABLE",
        _ => "UNACCEPTABLE_PASSWORD",
    };
    let words = fault.message_in(hub.lang_of(id));
    fail(out, id, "REGISTER", code, &[account], &words);
}

/// `VERIFY <account> <code>`: nothing here is ever waiting for a code.
pub(super) fn verify(_: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let words = words::say(hub.lang_of(id), "irc-verify-nothing", &[]);
    fail(out, id, "VERIFY", "INVALID_CODE", &[params[0]], &words);
}

/// The SASL mechanisms offered.
pub const MECHANISMS: &str = "PLAIN,EXTERNAL";

/// Longest SASL response, in base64 bytes, across its chunks (a name, a
/// 1024-byte password and their separators fit well within it).
pub const MAX_SASL_RESPONSE: usize = 4096;

/// A SASL exchange in progress: the response's chunks so far (they hold
/// the password: zeroed when the exchange ends, however it ends).
#[derive(Debug, Default)]
pub struct SaslState {
    pub buffer: String,
    /// EXTERNAL (the TLS client certificate), else PLAIN.
    pub external: bool,
}

impl Drop for SaslState {
    fn drop(&mut self) {
        drop(Secret::from_vec(std::mem::take(&mut self.buffer).into_bytes()));
    }
}

/// `AUTHENTICATE`.
pub(super) fn authenticate(face: &mut IrcFace, hub: &mut Hub, id: ConnId, params: &[&str], out: &mut Outbox) {
    let arg = params[0];
    let allow_plain = face.cfg.allow_plain_auth || out.is_tls(id);
    let Some(state) = face.state(id) else { return };
    if !state.caps.sasl {
        return say(hub, id, out, "904", &[], "irc-sasl-authentication-failed-cap-req-sasl-first", &[]);
    }
    if arg == "*" {
        if state.sasl.take().is_some() {
            return say(hub, id, out, "906", &[], "irc-sasl-authentication-aborted", &[]);
        }
        return say(hub, id, out, "904", &[], "irc-sasl-authentication-failed", &[]);
    }
    let Some(sasl) = state.sasl.as_mut() else {
        // A mechanism.
        if hub.account_of(id).is_some() {
            return say(hub, id, out, "907", &[], "irc-you-have-already-authenticated-using-sasl", &[]);
        }
        let external = arg.eq_ignore_ascii_case("EXTERNAL");
        if !external && !arg.eq_ignore_ascii_case("PLAIN") {
            say(hub, id, out, "908", &[MECHANISMS], "irc-are-available-sasl-mechanisms", &[]);
            return say(hub, id, out, "904", &[], "irc-sasl-authentication-failed", &[]);
        }
        if !external && !allow_plain {
            return say(hub, id, out, "904", &[], "irc-sasl-plain-needs-tls", &[]);
        }
        state.sasl = Some(SaslState { buffer: String::new(), external });
        return send(out, id, b"AUTHENTICATE +\r\n".to_vec());
    };
    if arg != "+" {
        if arg.len() > 400 || sasl.buffer.len() + arg.len() > MAX_SASL_RESPONSE {
            state.sasl = None;
            return say(hub, id, out, "905", &[], "irc-sasl-message-too-long", &[]);
        }
        sasl.buffer.push_str(arg);
        if arg.len() == 400 {
            return; // More follows.
        }
    }
    let response = Secret::from_vec(std::mem::take(&mut sasl.buffer).into_bytes());
    let external = sasl.external;
    state.sasl = None;
    if external {
        // The response is an authorization identity, or nothing.
        let engine = base64::engine::general_purpose::STANDARD;
        let Some(authz) = engine.decode(response.as_bytes()).ok().and_then(|b| String::from_utf8(b).ok())
        else {
            return say(hub, id, out, "904", &[], "irc-sasl-authentication-failed", &[]);
        };
        let cmd = AccountCommand::External { account: Some(authz.as_str()).filter(|a| !a.is_empty()) };
        if let Err(fault) = hub.run(id, Command::Account { cmd, via: VIA_SASL }, out) {
            sasl_failed(hub, id, &fault, out);
        }
        return;
    }
    let Some((account, password)) = plain(response.as_bytes()) else {
        return say(hub, id, out, "904", &[], "irc-sasl-authentication-failed", &[]);
    };
    let cmd = AccountCommand::Login {
        account: &account,
        password: Password(password.as_bytes()),
        take_nick: false,
    };
    if let Err(fault) = hub.run(id, Command::Account { cmd, via: VIA_SASL }, out) {
        sasl_failed(hub, id, &fault, out);
    }
}

/// A PLAIN response: `authzid NUL authcid NUL password`, base64. The
/// authorization identity, if given, must be the authentication one. The
/// decoded bytes and the password are zeroed when dropped.
fn plain(response: &[u8]) -> Option<(String, Secret)> {
    let bytes = Secret::from_vec(base64::engine::general_purpose::STANDARD.decode(response).ok()?);
    let mut parts = bytes.as_bytes().splitn(3, |&b| b == 0);
    let (authz, authc, password) = (parts.next()?, parts.next()?, parts.next()?);
    let authc = std::str::from_utf8(authc).ok().filter(|a| !a.is_empty())?;
    if !authz.is_empty() && authz != authc.as_bytes() {
        return None;
    }
    Some((authc.to_string(), Secret::new(password)))
}

fn sasl_failed(hub: &Hub, id: ConnId, fault: &Fault, out: &mut Outbox) {
    let key = match fault {
        Fault::Busy => "irc-sasl-busy",
        _ => "irc-sasl-authentication-failed",
    };
    say(hub, id, out, "904", &[], key, &[]);
}

/// `PRIVMSG NickServ :TEXT`, `NICKSERV TEXT`, `NS TEXT`.
pub(super) fn nickserv(hub: &mut Hub, id: ConnId, text: &str, out: &mut Outbox) {
    let mut words = text.split_whitespace();
    let verb = words.next().unwrap_or("").to_ascii_uppercase();
    let args: Vec<&str> = words.collect();
    fn pw<'a>(s: &&'a str) -> Password<'a> {
        Password(s.as_bytes())
    }
    let nick = hub.nick_of(id).unwrap_or_default().to_string();
    let cmd = match (verb.as_str(), args.as_slice()) {
        ("REGISTER", [password, ..]) => AccountCommand::Register(pw(password)),
        ("IDENTIFY", [password]) => {
            AccountCommand::Login { account: &nick, password: pw(password), take_nick: true }
        }
        ("IDENTIFY", [account, password]) => {
            AccountCommand::Login { account, password: pw(password), take_nick: true }
        }
        ("LOGOUT", []) => AccountCommand::Logout,
        ("PASSWD", [old, new]) => AccountCommand::ChangePassword { old: pw(old), new: pw(new) },
        ("UNREGISTER" | "DROP", [password]) => AccountCommand::Unregister(pw(password)),
        ("CERT", [action, rest @ ..]) => match (action.to_ascii_uppercase().as_str(), rest) {
            ("LIST", []) => AccountCommand::CertFp(CertFpCommand::List),
            ("ADD", []) => AccountCommand::CertFp(CertFpCommand::Add(None)),
            ("ADD", [fp]) => AccountCommand::CertFp(CertFpCommand::Add(Some(fp))),
            ("DEL", [fp]) => AccountCommand::CertFp(CertFpCommand::Del(fp)),
            _ => {
                let text = words::say(hub.lang_of(id), "nickserv-unknown", &[("verb", &verb)]);
                return notice(hub, id, &text, out);
            }
        },
        ("HELP" | "", _) => return help(hub, id, out),
        _ => {
            let text = words::say(hub.lang_of(id), "nickserv-unknown", &[("verb", &verb)]);
            return notice(hub, id, &text, out);
        }
    };
    if let Err(fault) = hub.run(id, Command::Account { cmd, via: VIA_NICKSERV }, out) {
        notice(hub, id, &fault.message_in(hub.lang_of(id)), out);
    }
}

fn help(hub: &Hub, id: ConnId, out: &mut Outbox) {
    for key in [
        "nickserv-help",
        "nickserv-help-register",
        "nickserv-help-identify",
        "nickserv-help-logout",
        "nickserv-help-passwd",
        "nickserv-help-unregister",
        "nickserv-help-cert",
        "nickserv-help-sasl",
    ] {
        notice(hub, id, &words::say(hub.lang_of(id), key, &[]), out);
    }
}

/// A NOTICE from NickServ.
fn notice(hub: &Hub, id: ConnId, text: &str, out: &mut Outbox) {
    let nick = client_name(hub, id);
    send(out, id, format!(":NickServ!NickServ@services NOTICE {nick} :{text}\r\n").into_bytes());
}

/// How an account request ended, in IRC's words for how it was made.
pub(super) fn signed(hub: &Hub, s: &Signed, out: &mut Outbox) {
    let id = s.id;
    match &s.result {
        Ok((action, account)) => {
            if s.via == VIA_NICKSERV {
                let key = match action {
                    AccountAction::Registered if hub.accounts_persistent() => "nickserv-registered",
                    AccountAction::Registered => "nickserv-registered-memory",
                    AccountAction::SignedIn => "nickserv-signed-in",
                    AccountAction::SignedOut => "nickserv-signed-out",
                    AccountAction::PasswordChanged => "nickserv-password-changed",
                    AccountAction::Unregistered => "nickserv-unregistered",
                    AccountAction::Operator => "nickserv-operator",
                };
                notice(hub, id, &words::say(hub.lang_of(id), key, &[("account", account)]), out);
            }
            if (s.via, *action) == (VIA_REGISTER, AccountAction::Registered) {
                let words = words::say(hub.lang_of(id), "irc-register-success", &[("account", account)]);
                send(out, id, format!("REGISTER SUCCESS {account} :{words}\r\n").into_bytes());
            }
            match action {
                AccountAction::Registered | AccountAction::SignedIn => {
                    let args: [(&str, &dyn std::fmt::Display); 1] = [("account", account)];
                    say(
                        hub,
                        id,
                        out,
                        "900",
                        &[&super::user_mask(hub, id), account],
                        "irc-logged-in-as",
                        &args,
                    );
                    if s.via == VIA_SASL {
                        say(hub, id, out, "903", &[], "irc-sasl-authentication-successful", &[]);
                    }
                }
                AccountAction::SignedOut | AccountAction::Unregistered => {
                    say(
                        hub,
                        id,
                        out,
                        "901",
                        &[&super::user_mask(hub, id)],
                        "irc-you-are-now-logged-out",
                        &[],
                    );
                }
                AccountAction::PasswordChanged => {}
                AccountAction::Operator => {
                    say(hub, id, out, "381", &[], "irc-you-are-now-an-irc-operator", &[]);
                }
            }
        }
        Err(fault) if s.via == VIA_SASL => sasl_failed(hub, id, fault, out),
        Err(fault) if s.via == VIA_REGISTER => {
            let nick = client_name(hub, id);
            register_failed(hub, id, &nick, fault, out)
        }
        Err(Fault::AuthFailed("auth-wrong-oper")) => {
            say(hub, id, out, "464", &[], "irc-password-incorrect", &[]);
        }
        Err(fault) => notice(hub, id, &fault.message_in(hub.lang_of(id)), out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn plain_responses_are_taken_apart() {
        let plain = |s: &str| plain(s.as_bytes()).map(|(a, p)| (a, p.as_bytes().to_vec()));
        assert_eq!(plain(&b64(b"\0alice\0pw pw")), Some(("alice".into(), b"pw pw".to_vec())));
        assert_eq!(plain(&b64(b"alice\0alice\0pw")), Some(("alice".into(), b"pw".to_vec())));
        assert_eq!(plain(&b64(b"bob\0alice\0pw")), None, "authzid must be authcid");
        assert_eq!(plain(&b64(b"\0\0pw")), None);
        assert_eq!(plain(&b64(b"alice")), None);
        assert_eq!(plain("not base64!"), None);
        assert_eq!(plain(&b64(b"\0alice\0pw\0more")), Some(("alice".into(), b"pw\0more".to_vec())));
    }
}
