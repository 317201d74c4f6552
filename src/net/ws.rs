//! RFC 6455 framing for the server side: encoding (unmasked, built once per
//! broadcast) and a decoder that checks everything a client may get wrong.

/// Frame opcodes.
pub const OP_CONT: u8 = 0x0;
pub const OP_TEXT: u8 = 0x1;
pub const OP_BINARY: u8 = 0x2;
pub const OP_CLOSE: u8 = 0x8;
pub const OP_PING: u8 = 0x9;
pub const OP_PONG: u8 = 0xA;

/// Close codes used here (RFC 6455 section 7.4.1).
pub const CLOSE_NORMAL: u16 = 1000;
pub const CLOSE_GOING_AWAY: u16 = 1001;
pub const CLOSE_PROTOCOL: u16 = 1002;
pub const CLOSE_UNSUPPORTED: u16 = 1003;
pub const CLOSE_BAD_DATA: u16 = 1007;
pub const CLOSE_TOO_BIG: u16 = 1009;

/// The GUID of RFC 6455 section 1.3.
const ACCEPT_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// `Sec-WebSocket-Accept` for a client's `Sec-WebSocket-Key`.
pub fn accept_key(client_key: &str) -> String {
    use base64::Engine;
    let mut sha = sha1_smol::Sha1::new();
    sha.update(client_key.as_bytes());
    sha.update(ACCEPT_GUID.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(sha.digest().bytes())
}

/// A final, unmasked server frame: identical bytes for every recipient.
pub fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(payload.len() + 10);
    write_frame(&mut f, opcode, payload);
    f
}

/// Appends a final, unmasked server frame to `f`.
pub fn write_frame(f: &mut Vec<u8>, opcode: u8, payload: &[u8]) {
    f.push(0x80 | opcode);
    match payload.len() {
        n @ 0..=125 => f.push(n as u8),
        n @ 126..=0xFFFF => {
            f.push(126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            f.push(127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    f.extend_from_slice(payload);
}

/// A text frame carrying `text` (already valid UTF-8).
#[cfg(test)]
pub fn text_frame(text: &[u8]) -> Vec<u8> {
    frame(OP_TEXT, text)
}

/// A client's frame (masked with `mask`), first byte `first` (FIN and
/// opcode): what the tests and the fuzz target send.
#[doc(hidden)]
pub fn masked_frame(first: u8, payload: &[u8], mask: [u8; 4]) -> Vec<u8> {
    let mut f = vec![first];
    match payload.len() {
        n @ 0..=125 => f.push(0x80 | n as u8),
        n @ 126..=0xFFFF => {
            f.push(0x80 | 126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            f.push(0x80 | 127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    f.extend_from_slice(&mask);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i & 3]));
    f
}

/// A close frame with `code` and a short reason.
pub fn close_frame(code: u16, reason: &str) -> Vec<u8> {
    let mut payload = code.to_be_bytes().to_vec();
    payload.extend_from_slice(&reason.as_bytes()[..reason.len().min(123)]);
    frame(OP_CLOSE, &payload)
}

/// What a client's frames amounted to.
#[derive(Debug, PartialEq, Eq)]
pub enum WsEvent<'a> {
    /// A complete text message (or binary message, where accepted).
    Text(&'a [u8]),
    /// Answer with a pong carrying this payload.
    Ping(&'a [u8]),
    /// The client closes; echo this code (RFC 6455 section 5.5.1).
    Close(u16),
    /// The client broke the protocol: close with this code and reason.
    Fail(u16, &'static str),
}

/// Decodes client frames. Keeps only an incomplete frame and an incomplete
/// fragmented message; both buffers are freed once used.
#[derive(Default)]
pub struct WsDecoder {
    /// Bytes of a frame not yet complete.
    pending: Vec<u8>,
    /// Text fragments received so far of a fragmented message.
    message: Vec<u8>,
    /// Inside a fragmented text message.
    in_message: bool,
    /// The fragmented message in progress is binary.
    message_binary: bool,
    /// Binary messages are taken as lines too (IRC's `binary.ircv3.net`);
    /// otherwise they are refused.
    accept_binary: bool,
    /// The longest line, when not the listener's.
    pub max_line: Option<usize>,
    /// A close or failure was reported: ignore everything after it.
    done: bool,
}

/// Is `code` one a peer may send in a close frame (RFC 6455 section 7.4)?
fn valid_close_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1011 | 3000..=4999)
}

/// Invalid UTF-8 somewhere other than an incomplete sequence at the end?
fn utf8_broken(bytes: &[u8]) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(_) => false,
        Err(e) => e.error_len().is_some(),
    }
}

impl WsDecoder {
    /// A decoder that takes binary messages as lines too (`accept_binary`),
    /// with its own longest line (`max_line`) instead of the listener's.
    pub fn new(accept_binary: bool, max_line: Option<usize>) -> WsDecoder {
        WsDecoder { accept_binary, max_line, ..WsDecoder::default() }
    }

    /// Feeds bytes from the socket; calls `on_event` per complete event, in
    /// order, until it returns false or a close/failure ends the stream.
    /// `max_message` bounds a text message's payload (fragments included).
    pub fn feed(&mut self, data: &[u8], max_message: usize, on_event: &mut dyn FnMut(WsEvent<'_>) -> bool) {
        if self.done {
            return;
        }
        let mut owned = std::mem::take(&mut self.pending);
        let buf: &[u8] = if owned.is_empty() {
            data
        } else {
            owned.extend_from_slice(data);
            &owned
        };
        let mut at = 0;
        while !self.done {
            match self.next_frame(&buf[at..], max_message, on_event) {
                Some(used) => at += used,
                None => break,
            }
        }
        if !self.done && at < buf.len() {
            self.pending = buf[at..].to_vec();
        }
    }

    /// Decodes one frame at the start of `b`; returns the bytes it took, or
    /// `None` when the frame is incomplete (or the stream ended).
    fn next_frame(
        &mut self,
        b: &[u8],
        max_message: usize,
        on_event: &mut dyn FnMut(WsEvent<'_>) -> bool,
    ) -> Option<usize> {
        if b.len() < 2 {
            return None;
        }
        let fin = b[0] & 0x80 != 0;
        let rsv = b[0] & 0x70;
        let opcode = b[0] & 0x0F;
        let masked = b[1] & 0x80 != 0;
        let len7 = (b[1] & 0x7F) as usize;
        macro_rules! fail {
            ($code:expr, $why:expr) => {{
                self.done = true;
                on_event(WsEvent::Fail($code, $why));
                return None;
            }};
        }
        if rsv != 0 {
            fail!(CLOSE_PROTOCOL, "reserved bits set without an extension");
        }
        if !masked {
            fail!(CLOSE_PROTOCOL, "client frames must be masked");
        }
        let is_control = opcode & 0x08 != 0;
        if is_control && (!fin || len7 > 125) {
            fail!(CLOSE_PROTOCOL, "control frames must be final and at most 125 bytes");
        }
        if !matches!(opcode, OP_CONT | OP_TEXT | OP_BINARY | OP_CLOSE | OP_PING | OP_PONG) {
            fail!(CLOSE_PROTOCOL, "unknown opcode");
        }
        let (len, header) = match len7 {
            126 if b.len() >= 4 => (u16::from_be_bytes([b[2], b[3]]) as u64, 4),
            127 if b.len() >= 10 => (u64::from_be_bytes(b[2..10].try_into().unwrap()), 10),
            126 | 127 => return None,
            n => (n as u64, 2),
        };
        // Refuse an oversized message before buffering any of it.
        if !is_control && (self.message.len() as u64).saturating_add(len) > max_message as u64 {
            let code =
                if opcode == OP_BINARY && !self.accept_binary { CLOSE_UNSUPPORTED } else { CLOSE_TOO_BIG };
            let why =
                if code == CLOSE_TOO_BIG { "message too big" } else { "binary messages are not supported" };
            fail!(code, why);
        }
        let len = len as usize;
        let total = header + 4 + len;
        if b.len() < total {
            return None;
        }
        let mask: [u8; 4] = b[header..header + 4].try_into().unwrap();
        let mut payload = b[header + 4..total].to_vec();
        for (i, byte) in payload.iter_mut().enumerate() {
            *byte ^= mask[i & 3];
        }
        let go_on = match opcode {
            OP_PING => on_event(WsEvent::Ping(&payload)),
            OP_PONG => true,
            OP_CLOSE => {
                self.done = true;
                let code = match payload.len() {
                    0 => CLOSE_NORMAL,
                    1 => fail!(CLOSE_PROTOCOL, "close frame of one byte"),
                    _ => {
                        let code = u16::from_be_bytes([payload[0], payload[1]]);
                        if !valid_close_code(code) {
                            fail!(CLOSE_PROTOCOL, "invalid close code");
                        }
                        if std::str::from_utf8(&payload[2..]).is_err() {
                            fail!(CLOSE_BAD_DATA, "close reason is not UTF-8");
                        }
                        code
                    }
                };
                on_event(WsEvent::Close(code));
                false
            }
            OP_BINARY if !self.accept_binary => fail!(CLOSE_UNSUPPORTED, "binary messages are not supported"),
            OP_TEXT | OP_BINARY | OP_CONT => {
                if (opcode != OP_CONT) == self.in_message {
                    let why = if self.in_message {
                        "new message inside a fragmented one"
                    } else {
                        "continuation without a message"
                    };
                    fail!(CLOSE_PROTOCOL, why);
                }
                if opcode != OP_CONT {
                    self.message_binary = opcode == OP_BINARY;
                }
                // Binary messages carry bytes: whether they are UTF-8 is the service's business.
                let text = !self.message_binary;
                if fin && !self.in_message {
                    if text && std::str::from_utf8(&payload).is_err() {
                        fail!(CLOSE_BAD_DATA, "text is not valid UTF-8");
                    }
                    on_event(WsEvent::Text(&payload))
                } else {
                    self.message.extend_from_slice(&payload);
                    self.in_message = !fin;
                    if text && utf8_broken(&self.message) {
                        fail!(CLOSE_BAD_DATA, "text is not valid UTF-8");
                    }
                    if fin {
                        let message = std::mem::take(&mut self.message);
                        if text && std::str::from_utf8(&message).is_err() {
                            fail!(CLOSE_BAD_DATA, "text is not valid UTF-8");
                        }
                        on_event(WsEvent::Text(&message))
                    } else {
                        true
                    }
                }
            }
            _ => unreachable!("opcodes were checked above"),
        };
        if !go_on {
            self.done = true;
        }
        Some(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6455_accept_key_example() {
        assert_eq!(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    #[test]
    fn rfc_6455_unmasked_hello_example() {
        // RFC 6455 section 5.7: a single-frame unmasked text message "Hello".
        assert_eq!(text_frame(b"Hello"), [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
    }

    #[test]
    fn rfc_6455_length_encodings() {
        // 256 bytes: 16-bit length (RFC 6455 section 5.7, "256 bytes binary message").
        let f = frame(OP_BINARY, &[0u8; 256]);
        assert_eq!(&f[..4], &[0x82, 0x7E, 0x01, 0x00]);
        // 64 KiB: 64-bit length.
        let f = frame(OP_BINARY, &vec![0u8; 65536]);
        assert_eq!(&f[..10], &[0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0]);
        assert_eq!(f.len(), 65536 + 10);
        assert_eq!(frame(OP_TEXT, &[b'a'; 125])[1], 125);
    }

    /// Collects owned events from feeding `chunks` one after another.
    fn decode(chunks: &[&[u8]], max: usize) -> Vec<String> {
        decode_with(WsDecoder::default(), chunks, max)
    }

    fn decode_with(mut d: WsDecoder, chunks: &[&[u8]], max: usize) -> Vec<String> {
        let mut got = Vec::new();
        for c in chunks {
            d.feed(c, max, &mut |e| {
                got.push(match e {
                    WsEvent::Text(t) => format!("text:{}", String::from_utf8_lossy(t)),
                    WsEvent::Ping(p) => format!("ping:{}", String::from_utf8_lossy(p)),
                    WsEvent::Close(c) => format!("close:{c}"),
                    WsEvent::Fail(c, _) => format!("fail:{c}"),
                });
                true
            });
        }
        got
    }

    /// A masked client frame.
    fn client_frame(first: u8, payload: &[u8]) -> Vec<u8> {
        masked_frame(first, payload, [0x37, 0xfa, 0x21, 0x3d])
    }

    #[test]
    fn rfc_6455_masked_hello_example() {
        // RFC 6455 section 5.7: a single-frame masked text message "Hello".
        let f = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
        assert_eq!(decode(&[&f], 100), ["text:Hello"]);
        for cut in 0..=f.len() {
            assert_eq!(decode(&[&f[..cut], &f[cut..]], 100), ["text:Hello"], "cut {cut}");
        }
    }

    #[test]
    fn fragments_with_interleaved_ping_are_reassembled() {
        // RFC 6455 section 5.7: "Hel" + "lo" fragments, with a ping between.
        let mut bytes = client_frame(0x01, b"Hel");
        bytes.extend(client_frame(0x89, b"p"));
        bytes.extend(client_frame(0x80, b"lo"));
        for cut in 0..=bytes.len() {
            assert_eq!(decode(&[&bytes[..cut], &bytes[cut..]], 100), ["ping:p", "text:Hello"], "cut {cut}");
        }
    }

    #[test]
    fn utf8_split_across_fragments_is_fine_but_invalid_utf8_fails_with_1007() {
        let euro = "€".as_bytes();
        let mut ok = client_frame(0x01, &euro[..1]);
        ok.extend(client_frame(0x80, &euro[1..]));
        assert_eq!(decode(&[&ok], 100), ["text:€"]);
        assert_eq!(decode(&[&client_frame(0x81, b"caf\xe9")], 100), ["fail:1007"]);
        // Fails at the broken fragment, before the message ends.
        assert_eq!(decode(&[&client_frame(0x01, b"\xff\xfe")], 100), ["fail:1007"]);
    }

    #[test]
    fn protocol_violations_close_with_the_right_code() {
        let unmasked = [0x81, 0x02, b'h', b'i'];
        assert_eq!(decode(&[&unmasked], 100), ["fail:1002"]);
        assert_eq!(decode(&[&client_frame(0xC1, b"x")], 100), ["fail:1002"], "RSV1 set");
        assert_eq!(decode(&[&client_frame(0x83, b"x")], 100), ["fail:1002"], "reserved opcode");
        assert_eq!(decode(&[&client_frame(0x09, b"x")], 100), ["fail:1002"], "fragmented ping");
        assert_eq!(decode(&[&client_frame(0x89, &[0; 126])], 1000), ["fail:1002"], "long ping");
        assert_eq!(decode(&[&client_frame(0x80, b"x")], 100), ["fail:1002"], "lone continuation");
        let mut two = client_frame(0x01, b"a");
        two.extend(client_frame(0x81, b"b"));
        assert_eq!(decode(&[&two], 100), ["fail:1002"], "text inside fragmented text");
        assert_eq!(decode(&[&client_frame(0x82, b"bin")], 100), ["fail:1003"]);
        assert_eq!(decode(&[&client_frame(0x81, &[b'a'; 101])], 100), ["fail:1009"]);
        // A huge declared length fails from the header alone.
        assert_eq!(decode(&[&[0x81, 0xFF, 0, 0, 0, 1, 0, 0, 0, 0]], 100), ["fail:1009"]);
    }

    #[test]
    fn close_codes_are_checked() {
        assert_eq!(decode(&[&client_frame(0x88, b"")], 100), ["close:1000"]);
        assert_eq!(decode(&[&client_frame(0x88, &[0x03, 0xE8, b'o', b'k'])], 100), ["close:1000"]);
        assert_eq!(decode(&[&client_frame(0x88, &[0x0F, 0xA0])], 100), ["close:4000"]);
        assert_eq!(decode(&[&client_frame(0x88, &[0x03])], 100), ["fail:1002"]);
        for bad in [999u16, 1004, 1005, 1006, 1015, 2000, 5000] {
            assert_eq!(decode(&[&client_frame(0x88, &bad.to_be_bytes())], 100), ["fail:1002"], "{bad}");
        }
        let mut bad_reason = 1000u16.to_be_bytes().to_vec();
        bad_reason.push(0xff);
        assert_eq!(decode(&[&client_frame(0x88, &bad_reason)], 100), ["fail:1007"]);
        // Nothing after a close is decoded.
        let mut after = client_frame(0x88, b"");
        after.extend(client_frame(0x81, b"late"));
        assert_eq!(decode(&[&after], 100), ["close:1000"]);
    }

    #[test]
    fn binary_messages_are_lines_where_accepted() {
        let binary = || WsDecoder::new(true, None);
        assert_eq!(decode_with(binary(), &[&client_frame(0x82, b"PING x")], 100), ["text:PING x"]);
        // Bytes, not text: invalid UTF-8 reaches the service, which answers it.
        assert_eq!(decode_with(binary(), &[&client_frame(0x82, b"a\xffb")], 100), ["text:a\u{fffd}b"]);
        let mut parts = client_frame(0x02, b"PRIV");
        parts.extend(client_frame(0x80, b"MSG \xff"));
        assert_eq!(decode_with(binary(), &[&parts], 100), ["text:PRIVMSG \u{fffd}"]);
        // Text frames still have to be UTF-8, and the size limit holds.
        assert_eq!(decode_with(binary(), &[&client_frame(0x81, b"\xff")], 100), ["fail:1007"]);
        assert_eq!(decode_with(binary(), &[&client_frame(0x82, &[b'a'; 101])], 100), ["fail:1009"]);
        let mut mixed = client_frame(0x02, b"a");
        mixed.extend(client_frame(0x81, b"b"));
        assert_eq!(decode_with(binary(), &[&mixed], 100), ["fail:1002"], "text inside fragmented binary");
    }
}
