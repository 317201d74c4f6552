//! HTTP/1.1 request heads as a framing layer: reading a head across reads
//! (bounded), parsing it with httparse, and building `Connection: close`
//! responses. What a path means is the service's.

/// Largest request head accepted (431 past it).
pub const MAX_HEAD: usize = 8 * 1024;

/// A request head being read.
#[derive(Default)]
pub struct HttpHead {
    buf: Vec<u8>,
}

/// What reading the head produced.
pub enum HeadProgress {
    /// Needs more bytes.
    Incomplete,
    /// The head is complete; `rest` is what followed it.
    Done { head: Vec<u8>, rest: Vec<u8> },
    /// The head passed [`MAX_HEAD`] without ending.
    TooLarge,
}

impl HttpHead {
    pub fn feed(&mut self, data: &[u8]) -> HeadProgress {
        let start = self.buf.len().saturating_sub(3);
        self.buf.extend_from_slice(data);
        let end = memchr::memmem::find(&self.buf[start..], b"\r\n\r\n").map(|i| start + i + 4);
        match end {
            Some(end) if end <= MAX_HEAD => {
                let mut head = std::mem::take(&mut self.buf);
                let rest = head.split_off(end);
                HeadProgress::Done { head, rest }
            }
            Some(_) => HeadProgress::TooLarge,
            None if self.buf.len() > MAX_HEAD => HeadProgress::TooLarge,
            None => HeadProgress::Incomplete,
        }
    }
}

/// Most headers a request may carry.
pub const MAX_HEADERS: usize = 64;

/// A parsed request head.
#[derive(Debug)]
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// What follows `?` in the target (empty when nothing does).
    pub query: &'a str,
    headers: Vec<(&'a str, &'a str)>,
}

impl<'a> Request<'a> {
    /// Parses a complete head with httparse; `None` when it is not a
    /// well-formed HTTP/1.x request for a path (or has over
    /// [`MAX_HEADERS`] headers).
    pub fn parse(head: &'a [u8]) -> Option<Request<'a>> {
        let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut req = httparse::Request::new(&mut slots);
        if !matches!(req.parse(head), Ok(httparse::Status::Complete(_))) {
            return None;
        }
        let (method, target) = (req.method?, req.path?);
        if !target.starts_with('/') {
            return None;
        }
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let mut headers = Vec::with_capacity(req.headers.len());
        for h in req.headers.iter() {
            headers.push((h.name, std::str::from_utf8(h.value).ok()?.trim()));
        }
        Some(Request { method, path, query, headers })
    }

    /// The value of query parameter `name` (as sent: not percent-decoded).
    pub fn query_param(&self, name: &str) -> Option<&'a str> {
        self.query.split('&').find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
    }

    /// The value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| *v)
    }

    /// Does a comma-separated header contain `token` (case-insensitive)?
    pub fn header_has(&self, name: &str, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }
}

/// A complete response with `Connection: close`.
pub fn response(status: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    response_with(status, "", content_type, body)
}

/// A response with extra header lines (each ending in `\r\n`).
pub fn response_with(status: &str, extra_headers: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 {status}\r\n{extra_headers}Content-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

/// The response to a head that is not HTTP.
pub fn bad_request() -> Vec<u8> {
    response("400 Bad Request", "text/plain; charset=utf-8", b"malformed request\n")
}

/// The response to a head over [`MAX_HEAD`].
pub fn head_too_large() -> Vec<u8> {
    response("431 Request Header Fields Too Large", "text/plain; charset=utf-8", b"request head over 8 KiB\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(s: &str) -> Vec<u8> {
        s.replace('\n', "\r\n").into_bytes()
    }

    #[test]
    fn head_is_found_across_reads_and_keeps_what_follows() {
        let req = head("GET /ws HTTP/1.1\nHost: x\n\n");
        let mut all = req.clone();
        all.extend_from_slice(b"\x81\x80");
        for cut in 0..all.len() {
            let mut h = HttpHead::default();
            let (head, mut rest) = match h.feed(&all[..cut]) {
                HeadProgress::Done { head, rest } => (head, [rest.as_slice(), &all[cut..]].concat()),
                HeadProgress::Incomplete => match h.feed(&all[cut..]) {
                    HeadProgress::Done { head, rest } => (head, rest),
                    _ => panic!("cut {cut}: head not found"),
                },
                HeadProgress::TooLarge => panic!("cut {cut}: too large"),
            };
            assert_eq!(head, req, "cut {cut}");
            assert_eq!(std::mem::take(&mut rest), b"\x81\x80", "cut {cut}");
        }
    }

    #[test]
    fn oversized_head_is_refused() {
        let mut h = HttpHead::default();
        let big = format!("GET / HTTP/1.1\r\nX: {}\r\n", "a".repeat(MAX_HEAD));
        assert!(matches!(h.feed(big.as_bytes()), HeadProgress::TooLarge));
    }
}

#[cfg(test)]
mod request_tests {
    use super::*;

    #[test]
    fn heads_parse_with_httparse() {
        let r = Request::parse(b"GET /ws?x=1 HTTP/1.1\r\nHost: a\r\nUpgrade:  websocket \r\n\r\n").unwrap();
        assert_eq!((r.method, r.path, r.query), ("GET", "/ws", "x=1"));
        assert_eq!((r.query_param("x"), r.query_param("y")), (Some("1"), None));
        assert_eq!(r.header("upgrade"), Some("websocket"));
        assert!(r.header_has("Upgrade", "WebSocket"));
        assert!(Request::parse(b"GET / HTTP/2.0\r\n\r\n").is_none());
        assert!(Request::parse(b"GET http://x/ HTTP/1.1\r\n\r\n").is_none());
        assert!(Request::parse(b"GARBAGE\r\n\r\n").is_none());
        assert!(Request::parse(b"GET / HTTP/1.1\r\nBad Header: x\r\n\r\n").is_none());
        let many: String = (0..=MAX_HEADERS).map(|i| format!("X-{i}: y\r\n")).collect();
        assert!(Request::parse(format!("GET / HTTP/1.1\r\n{many}\r\n").as_bytes()).is_none());
    }
}
