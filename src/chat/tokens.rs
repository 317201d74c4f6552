//! Sign-in tokens minted by the site that embeds linechat (`--jwt-secret`):
//! JSON Web Tokens signed with HS256, checked here in the loop (an HMAC,
//! about two microseconds). Only `{"alg":"HS256"}` is accepted (never
//! `none`), the signature is compared in constant time, and `exp` is
//! required. Claims: `sub` (the account), `exp`, optional `nbf`, `nick`,
//! `rooms` (joined on sign-in) and `oper`.

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;

/// Longest token accepted, in bytes.
pub const MAX_TOKEN: usize = 4096;

/// Rooms a token may name, at most.
pub const MAX_TOKEN_ROOMS: usize = 32;

/// What a valid token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// The account (`sub`).
    pub account: String,
    /// The nickname to take (`nick`; else the account's).
    pub nick: Option<String>,
    /// Rooms to join on sign-in.
    pub rooms: Vec<String>,
    /// A server operator.
    pub oper: bool,
}

/// Why a token was refused (for the log; the client hears only `auth-failed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    Malformed,
    Algorithm,
    Signature,
    Expired,
    NotYet,
    Claims,
}

/// The secret tokens are signed with. Never printed.
#[derive(Clone)]
pub struct TokenKey(Vec<u8>);

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(..)")
    }
}

impl TokenKey {
    /// The secret as a file holds it (a trailing newline is not part of it).
    pub fn from_file_bytes(bytes: &[u8]) -> Result<TokenKey, String> {
        let secret = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        let secret = secret.strip_suffix(b"\r").unwrap_or(secret);
        if secret.len() < 16 {
            return Err("the secret is shorter than 16 bytes".into());
        }
        Ok(TokenKey(secret.to_vec()))
    }

    /// A token with this header and these claims (JSON texts), signed
    /// with this secret: what the site does (for tests and tools).
    pub fn sign(&self, header: &str, claims: &str) -> String {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let signed = format!("{}.{}", b64.encode(header), b64.encode(claims));
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key");
        mac.update(signed.as_bytes());
        format!("{signed}.{}", b64.encode(mac.finalize().into_bytes()))
    }

    /// Checks `token` at `now` (Unix seconds) and returns its claims.
    pub fn verify(&self, token: &str, now: u64) -> Result<Claims, TokenError> {
        if token.len() > MAX_TOKEN {
            return Err(TokenError::Malformed);
        }
        let token = token.trim();
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header: Value = serde_json::from_slice(&b64.decode(header).map_err(|_| TokenError::Malformed)?)
            .map_err(|_| TokenError::Malformed)?;
        if header.get("alg").and_then(Value::as_str) != Some("HS256") {
            return Err(TokenError::Algorithm);
        }
        let signature = b64.decode(signature).map_err(|_| TokenError::Malformed)?;
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).map_err(|_| TokenError::Signature)?;
        let signed = token.rsplit_once('.').map_or("", |(signed, _)| signed);
        mac.update(signed.as_bytes());
        mac.verify_slice(&signature).map_err(|_| TokenError::Signature)?;
        let claims: Value = serde_json::from_slice(&b64.decode(payload).map_err(|_| TokenError::Malformed)?)
            .map_err(|_| TokenError::Malformed)?;
        let exp = claims.get("exp").and_then(Value::as_f64).ok_or(TokenError::Claims)?;
        if exp <= now as f64 {
            return Err(TokenError::Expired);
        }
        if claims.get("nbf").and_then(Value::as_f64).is_some_and(|nbf| nbf > now as f64) {
            return Err(TokenError::NotYet);
        }
        let account = claims.get("sub").and_then(Value::as_str).filter(|s| !s.trim().is_empty());
        let account = account.ok_or(TokenError::Claims)?.trim().to_string();
        let nick = match claims.get("nick") {
            None | Some(Value::Null) => None,
            Some(Value::String(n)) => Some(n.clone()),
            Some(_) => return Err(TokenError::Claims),
        };
        let rooms = match claims.get("rooms") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(rooms)) if rooms.len() <= MAX_TOKEN_ROOMS => rooms
                .iter()
                .map(|r| r.as_str().map(str::to_string).ok_or(TokenError::Claims))
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(TokenError::Claims),
        };
        let oper = claims.get("oper").and_then(Value::as_bool).unwrap_or(false);
        Ok(Claims { account, nick, rooms, oper })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mint(key: &[u8], header: &str, claims: &str) -> String {
        TokenKey(key.to_vec()).sign(header, claims)
    }

    const KEY: &[u8] = b"a secret of sixteen bytes or more";
    const HS256: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

    #[test]
    fn good_tokens_give_their_claims() {
        let key = TokenKey::from_file_bytes(b"a secret of sixteen bytes or more\n").unwrap();
        let token =
            mint(KEY, HS256, r##"{"sub":"alice","exp":2000,"nick":"ally","rooms":["#a"],"oper":true}"##);
        let claims = key.verify(&token, 1000).unwrap();
        assert_eq!(
            claims,
            Claims {
                account: "alice".into(),
                nick: Some("ally".into()),
                rooms: vec!["#a".into()],
                oper: true
            }
        );
        let plain = key.verify(&mint(KEY, HS256, r#"{"sub":"bob","exp":2000}"#), 1999).unwrap();
        assert_eq!((plain.nick, plain.rooms.len(), plain.oper), (None, 0, false));
        assert_eq!(format!("{key:?}"), "TokenKey(..)");
    }

    #[test]
    fn bad_tokens_are_refused() {
        let key = TokenKey::from_file_bytes(KEY).unwrap();
        let ok = r#"{"sub":"alice","exp":2000}"#;
        let cases = [
            (mint(b"another secret, sixteen+", HS256, ok), TokenError::Signature),
            (mint(KEY, r#"{"alg":"none"}"#, ok), TokenError::Algorithm),
            (mint(KEY, r#"{"alg":"HS512"}"#, ok), TokenError::Algorithm),
            (mint(KEY, HS256, r#"{"sub":"alice","exp":1000}"#), TokenError::Expired),
            (mint(KEY, HS256, r#"{"sub":"alice"}"#), TokenError::Claims),
            (mint(KEY, HS256, r#"{"sub":"","exp":2000}"#), TokenError::Claims),
            (mint(KEY, HS256, r#"{"sub":"a","exp":2000,"nbf":1500}"#), TokenError::NotYet),
            (mint(KEY, HS256, r##"{"sub":"a","exp":2000,"rooms":"#x"}"##), TokenError::Claims),
            (mint(KEY, HS256, r#"{"sub":"a","exp":2000,"nick":5}"#), TokenError::Claims),
            ("a.b".to_string(), TokenError::Malformed),
            ("x.y.z.w".to_string(), TokenError::Malformed),
            ("!!.??.**".to_string(), TokenError::Malformed),
            ("e".repeat(MAX_TOKEN + 1), TokenError::Malformed),
        ];
        for (token, why) in cases {
            assert_eq!(key.verify(&token, 1000), Err(why), "{token}");
        }
        // A signature from the right key over other claims does not verify.
        let good = mint(KEY, HS256, ok);
        let other = mint(KEY, HS256, r#"{"sub":"mallory","exp":2000}"#);
        let forged = format!("{}.{}", other.rsplit_once('.').unwrap().0, good.rsplit_once('.').unwrap().1);
        assert_eq!(key.verify(&forged, 1000), Err(TokenError::Signature));
        assert!(TokenKey::from_file_bytes(b"short\n").is_err());
    }
}
