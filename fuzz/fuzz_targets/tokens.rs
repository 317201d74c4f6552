//! Sign-in tokens (`--jwt-secret`): any bytes as a token, and any claims
//! signed with the right key (so the claims parser is reached), must give
//! claims or a refusal, never a panic.
//!
//! Input: a selector byte (even: the rest is a token as sent; odd: the
//! rest is a claims text, signed), then the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linechat::chat::tokens::TokenKey;

fuzz_target!(|input: &[u8]| {
    let key = TokenKey::from_file_bytes(b"the fuzzer's secret, sixteen+").unwrap();
    let Some((&selector, rest)) = input.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let token = if selector % 2 == 0 { text.into_owned() } else { key.sign(r#"{"alg":"HS256"}"#, &text) };
    if let Ok(claims) = key.verify(&token, 1_000_000) {
        assert!(!claims.account.trim().is_empty());
        assert!(claims.rooms.len() <= linechat::chat::tokens::MAX_TOKEN_ROOMS);
    }
});
