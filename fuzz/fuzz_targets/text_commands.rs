//! Text-mode lines as packets (`proto::text::parse_line`): every line maps
//! to a known packet type or a clear fault; plain lines are chat (or the
//! nickname) word for word; `//` sends a literal `/`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linechat::proto::{handlers, text};
use serde_json::Value;

fuzz_target!(|input: &[u8]| {
    let Ok(line) = std::str::from_utf8(input) else { return };
    for joined in [false, true] {
        match text::parse_line(line, joined) {
            Ok((kind, payload)) => {
                assert!(handlers::find(kind).is_some(), "{kind} is not a packet type");
                if !line.starts_with('/') || line.starts_with("//") {
                    let expect = if joined { "chat" } else { "nick" };
                    assert_eq!(kind, expect);
                    let text = line.strip_prefix('/').filter(|_| line.starts_with("//")).unwrap_or(line);
                    assert_eq!(payload, Value::String(text.to_string()));
                }
            }
            Err(fault) => {
                assert!(line.starts_with('/'), "a plain line was refused: {fault:?}");
                assert!(matches!(fault.code, "unknown-command" | "bad-args"), "{fault:?}");
            }
        }
        if let Some((name, args)) = text::split_command(line) {
            assert!(line.len() > name.len());
            assert_eq!(args, args.trim());
        }
    }
});
