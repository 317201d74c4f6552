//! The web port's request head: `HttpHead` collects it across reads and
//! httparse parses it (`Request::parse`), then `route` picks the answer.
//! Invariants: the head found does not depend on how the bytes arrived;
//! a parsed request's path and headers come from the bytes given.
#![no_main]

use linechat::words::Lang;
use libfuzzer_sys::fuzz_target;
use linechat::faces::web::route;
use linechat::net::http::{HeadProgress, HttpHead, Request};

fn collect(data: &[u8], step: usize) -> (Option<Vec<u8>>, bool) {
    let mut head = HttpHead::default();
    for chunk in data.chunks(step.max(1)) {
        match head.feed(chunk) {
            HeadProgress::Incomplete => {}
            HeadProgress::Done { head, .. } => return (Some(head), false),
            HeadProgress::TooLarge => return (None, true),
        }
    }
    (None, false)
}

fuzz_target!(|input: &[u8]| {
    if input.is_empty() {
        return;
    }
    let step = 1 + input[0] as usize % 32;
    let data = &input[1..];
    let whole = collect(data, data.len());
    let pieces = collect(data, step);
    assert_eq!(whole, pieces, "the head depends on the read size ({step})");
    if let (Some(head), _) = whole {
        assert!(head.ends_with(b"\r\n\r\n") || head.ends_with(b"\n\n"));
        if let Some(req) = Request::parse(&head) {
            assert!(memchr_in(&head, req.path.as_bytes()));
            let _ = route(&req, Some("http://example.org"), Lang::EN, Some("test"), &mut || String::from("metrics"));
            let _ = route(&req, None, Lang(1), None, &mut String::new);
        }
    }
});

fn memchr_in(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}
