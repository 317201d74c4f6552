//! RESP2, the Redis protocol, as the cluster link speaks it: commands go out
//! as arrays of bulk strings; replies and pub/sub messages come back as
//! frames, decoded incrementally from whatever the socket gave. Bounded:
//! a bulk string or array past the decoder's limit, or nesting deeper than
//! [`MAX_DEPTH`], is a protocol error (the link then reconnects), never an
//! allocation the peer chose.

use std::fmt;

/// Deepest nesting of arrays accepted (Redis replies nest two or three deep).
pub const MAX_DEPTH: usize = 16;

/// One RESP2 value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// `+OK`
    Simple(String),
    /// `-ERR ...`
    Error(String),
    /// `:42`
    Integer(i64),
    /// `$3\r\nfoo`, or `$-1` (nil)
    Bulk(Option<Vec<u8>>),
    /// `*2\r\n...`, or `*-1` (nil)
    Array(Option<Vec<Frame>>),
}

impl Frame {
    /// The bytes of a bulk or simple string.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Frame::Bulk(Some(b)) => Some(b),
            Frame::Simple(s) => Some(s.as_bytes()),
            _ => None,
        }
    }

    /// Appends the frame's wire form.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Frame::Simple(s) => line(out, b'+', s.as_bytes()),
            Frame::Error(s) => line(out, b'-', s.as_bytes()),
            Frame::Integer(i) => line(out, b':', i.to_string().as_bytes()),
            Frame::Bulk(None) => out.extend_from_slice(b"$-1\r\n"),
            Frame::Bulk(Some(b)) => bulk(out, b),
            Frame::Array(None) => out.extend_from_slice(b"*-1\r\n"),
            Frame::Array(Some(items)) => {
                line(out, b'*', items.len().to_string().as_bytes());
                for item in items {
                    item.encode(out);
                }
            }
        }
    }
}

fn line(out: &mut Vec<u8>, kind: u8, body: &[u8]) {
    out.push(kind);
    out.extend_from_slice(body);
    out.extend_from_slice(b"\r\n");
}

fn bulk(out: &mut Vec<u8>, b: &[u8]) {
    line(out, b'$', b.len().to_string().as_bytes());
    out.extend_from_slice(b);
    out.extend_from_slice(b"\r\n");
}

/// Appends a command: an array of bulk strings (Redis refuses anything
/// else in a command, integers included).
pub fn command<A: AsRef<[u8]>>(out: &mut Vec<u8>, args: &[A]) {
    line(out, b'*', args.len().to_string().as_bytes());
    for arg in args {
        bulk(out, arg.as_ref());
    }
}

/// Why the byte stream is not RESP2 (or not one this link accepts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RespError(pub String);

impl fmt::Display for RespError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RESP protocol error: {}", self.0)
    }
}

/// Decodes frames from a byte stream that arrives in pieces.
pub struct Decoder {
    buf: Vec<u8>,
    /// Bytes of `buf` already decoded.
    at: usize,
    /// The largest frame, in bytes, accepted (and so the most any bulk
    /// string or array may declare).
    max: usize,
}

impl Decoder {
    pub fn new(max: usize) -> Decoder {
        Decoder { buf: Vec::new(), at: 0, max }
    }

    /// Adds bytes read from the socket.
    pub fn feed(&mut self, data: &[u8]) {
        if self.at > 0 && self.at == self.buf.len() {
            self.buf.clear();
            self.at = 0;
        } else if self.at > 4096 && self.at * 2 > self.buf.len() {
            self.buf.drain(..self.at);
            self.at = 0;
        }
        self.buf.extend_from_slice(data);
    }

    /// Bytes held for a frame not yet complete.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.at
    }

    /// The next complete frame, `Ok(None)` until one is.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, RespError> {
        let mut at = self.at;
        let frame = parse(&self.buf, &mut at, self.max, 0)?;
        // Whole or in pieces, no frame may pass the limit: the bytes held
        // for an incomplete one are bounded as well as the declared sizes.
        let size = if frame.is_some() { at - self.at } else { self.pending() };
        if size > self.max {
            return Err(RespError(format!("a frame over {} bytes", self.max)));
        }
        if frame.is_some() {
            self.at = at;
        }
        Ok(frame)
    }
}

/// The line starting at `*at` (without CRLF), advancing past it.
fn read_line<'a>(buf: &'a [u8], at: &mut usize) -> Option<&'a [u8]> {
    let rest = &buf[*at..];
    let end = rest.windows(2).position(|w| w == b"\r\n")?;
    *at += end + 2;
    Some(&rest[..end])
}

fn number(b: &[u8]) -> Result<i64, RespError> {
    std::str::from_utf8(b)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| RespError(format!("not a number: {:?}", String::from_utf8_lossy(b))))
}

fn text(b: &[u8]) -> Result<String, RespError> {
    String::from_utf8(b.to_vec()).map_err(|_| RespError("a simple string that is not UTF-8".into()))
}

fn parse(buf: &[u8], at: &mut usize, max: usize, depth: usize) -> Result<Option<Frame>, RespError> {
    if depth > MAX_DEPTH {
        return Err(RespError("arrays nested too deeply".into()));
    }
    let Some(&kind) = buf.get(*at) else { return Ok(None) };
    let mut pos = *at + 1;
    let Some(head) = read_line(buf, &mut pos) else { return Ok(None) };
    let frame = match kind {
        b'+' => Frame::Simple(text(head)?),
        b'-' => Frame::Error(text(head)?),
        b':' => Frame::Integer(number(head)?),
        b'$' => match number(head)? {
            -1 => Frame::Bulk(None),
            n if n < 0 || n as u64 > max as u64 => {
                return Err(RespError(format!("a bulk string of {n} bytes (limit {max})")));
            }
            n => {
                let n = n as usize;
                if buf.len() < pos + n + 2 {
                    return Ok(None);
                }
                if &buf[pos + n..pos + n + 2] != b"\r\n" {
                    return Err(RespError("a bulk string not ended by CRLF".into()));
                }
                let data = buf[pos..pos + n].to_vec();
                pos += n + 2;
                Frame::Bulk(Some(data))
            }
        },
        b'*' => match number(head)? {
            -1 => Frame::Array(None),
            n if n < 0 || n as u64 > max as u64 => {
                return Err(RespError(format!("an array of {n} items (limit {max})")));
            }
            n => {
                // Each item takes at least 3 bytes: do not reserve for more
                // than the buffer could hold.
                let mut items = Vec::with_capacity((n as usize).min((buf.len() - pos) / 3 + 1));
                for _ in 0..n {
                    match parse(buf, &mut pos, max, depth + 1)? {
                        Some(item) => items.push(item),
                        None => return Ok(None),
                    }
                }
                Frame::Array(Some(items))
            }
        },
        other => return Err(RespError(format!("unknown frame type {:?}", other as char))),
    };
    *at = pos;
    Ok(Some(frame))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(bytes: &[u8], step: usize) -> Result<Vec<Frame>, RespError> {
        let mut d = Decoder::new(1024);
        let mut frames = Vec::new();
        for chunk in bytes.chunks(step) {
            d.feed(chunk);
            while let Some(f) = d.next_frame()? {
                frames.push(f);
            }
        }
        Ok(frames)
    }

    #[test]
    fn commands_are_arrays_of_bulk_strings() {
        let mut out = Vec::new();
        command::<&[u8]>(&mut out, &[b"SET", b"k", b"5"]);
        assert_eq!(out, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\n5\r\n");
    }

    #[test]
    fn replies_decode_whatever_the_reads() {
        let wire = b"+OK\r\n-ERR no\r\n:42\r\n$-1\r\n$5\r\nhe\r\no\r\n*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$0\r\n\r\n*-1\r\n";
        let want = vec![
            Frame::Simple("OK".into()),
            Frame::Error("ERR no".into()),
            Frame::Integer(42),
            Frame::Bulk(None),
            Frame::Bulk(Some(b"he\r\no".to_vec())),
            Frame::Array(Some(vec![
                Frame::Bulk(Some(b"message".to_vec())),
                Frame::Bulk(Some(b"ch".to_vec())),
                Frame::Bulk(Some(Vec::new())),
            ])),
            Frame::Array(None),
        ];
        for step in 1..wire.len() {
            assert_eq!(all(wire, step).unwrap(), want, "reads of {step}");
        }
        let mut again = Vec::new();
        for f in &want {
            f.encode(&mut again);
        }
        assert_eq!(again, wire);
    }

    #[test]
    fn oversized_and_malformed_input_is_an_error() {
        assert!(all(b"$2000\r\n", 64).is_err());
        assert!(all(b"*2000\r\n", 64).is_err());
        assert!(all(b"?what\r\n", 64).is_err());
        assert!(all(b"$3\r\nabcd\r\n", 64).is_err());
        assert!(all(b":x\r\n", 64).is_err());
        assert!(all(&b"*1\r\n".repeat(40), 64).is_err());
        assert!(all(&[b'+'; 2000], 64).is_err());
        // Found by the resp fuzz target: an incomplete array of long simple
        // strings, every line ended, grew past the limit unnoticed.
        let mut long = b"*6\r\n".to_vec();
        for _ in 0..5 {
            long.extend_from_slice(b"+");
            long.extend_from_slice(&[b'x'; 300]);
            long.extend_from_slice(b"\r\n");
        }
        assert!(all(&long, 7).is_err());
    }
}
