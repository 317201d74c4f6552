//! Text-mode lines as requests (`faces::lines::text::parse`): every line
//! is a command or a clear fault; plain lines are chat (or the nickname)
//! word for word; `//` sends a literal `/`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linechat::chat::command::Command;
use linechat::chat::event::Said;
use linechat::faces::lines::{text, Request};

fuzz_target!(|input: &[u8]| {
    let Ok(line) = std::str::from_utf8(input) else { return };
    for joined in [false, true] {
        match text::parse(line, joined) {
            Ok(request) => {
                if !line.starts_with('/') || line.starts_with("//") {
                    let text = line.strip_prefix('/').filter(|_| line.starts_with("//")).unwrap_or(line);
                    match request {
                        Request::Chat(Command::Say { room: None, text: t, said: Said::Plain }) if joined => {
                            assert_eq!(t, text)
                        }
                        Request::Chat(Command::Nick(t)) if !joined => assert_eq!(t, text),
                        other => panic!("a plain line became {other:?}"),
                    }
                }
            }
            Err(fault) => {
                assert!(line.starts_with('/'), "a plain line was refused: {fault:?}");
                assert!(matches!(fault.code(), "unknown-command" | "bad-args"), "{fault:?}");
            }
        }
        if let Some((name, args)) = text::split_command(line) {
            assert!(!name.contains(char::is_whitespace), "{name:?}");
            assert_eq!(args, args.trim());
        }
    }
});
