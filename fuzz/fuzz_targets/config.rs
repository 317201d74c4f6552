//! Config files (`--config`): any text is refused with a line number or
//! gives settings, and settings printed as a file (`--print-config`) read
//! back as the same settings. Also the terminal client's matching of
//! server lines against the catalogue's messages.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linechat::cli::Settings;

fuzz_target!(|input: &[u8]| {
    let Ok(text) = std::str::from_utf8(input) else { return };
    match Settings::from_text(text) {
        Ok(settings) => {
            let printed = settings.to_file();
            let back = Settings::from_text(&printed).expect("printed settings read back");
            assert_eq!(back.opts, settings.opts, "{printed}");
        }
        Err(e) => assert!(e.split(':').next().is_some_and(|l| l.parse::<usize>().is_ok()), "{e}"),
    }
    for key in ["welcome", "join", "join-room", "nick", "history", "history-end"] {
        if let Some(found) = linechat::words::matches_any(key, text) {
            assert!(found.iter().all(|(_, v)| text.contains(v)));
        }
    }
});
