//! IRC's line parser: at most 15 parameters, none but the last empty or
//! holding a space, and a parsed line written back out parses the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linechat::faces::irc::parse::{parse, LineError};

fuzz_target!(|input: &[u8]| {
    let Ok(line) = std::str::from_utf8(input) else { return };
    let parsed = match parse(line) {
        Ok(p) => p,
        Err(LineError::Empty | LineError::TooLong) => return,
    };
    assert!(!parsed.command.is_empty());
    assert!(!parsed.command.contains(' '));
    assert!(parsed.params.len() <= 15);
    if let Some(label) = parsed.tag("label") {
        assert!(label.len() <= parsed.tags.len());
    }
    // A "command" that starts like a prefix or tags is garbage the server
    // answers with 421; it cannot be written back as the same line.
    if parsed.command.starts_with([':', '@']) {
        return;
    }
    if let Some((last, middle)) = parsed.params.split_last() {
        for p in middle {
            assert!(!p.is_empty() && !p.contains(' ') && !p.starts_with(':'), "middle parameter {p:?}");
        }
        let mut again = parsed.command.clone();
        for p in middle {
            again.push(' ');
            again.push_str(p);
        }
        again.push_str(" :");
        again.push_str(last);
        if let Ok(reparsed) = parse(&again) {
            assert_eq!(reparsed.command, parsed.command);
            assert_eq!(reparsed.params, parsed.params, "{again:?}");
        }
    }
});
