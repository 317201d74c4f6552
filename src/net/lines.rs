//! Line framing: a byte stream cut into lines ending in `\n`, each at most
//! the listener's longest line, without copying complete lines.

/// A fault in the input that the service should hear about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineFault {
    /// A line grew past `max_line` before its newline; the rest of it is discarded.
    TooLong,
}

/// Receives each line (or fault); returns false to stop (the connection is closing).
pub type LineSink<'a> = dyn FnMut(Result<&[u8], LineFault>) -> bool + 'a;

/// Splits a byte stream into lines ending in `\n`, dropping one trailing `\r`.
/// Complete lines inside a read are handed out without copying; only a
/// partial line at the end of a read is kept, and its buffer is freed as soon
/// as the line completes.
#[derive(Default)]
pub struct LineSplitter {
    /// The start of a line whose newline has not arrived yet.
    partial: Vec<u8>,
    /// Inside an over-long line: drop bytes up to the next newline.
    discarding: bool,
}

impl LineSplitter {
    /// Feeds `data`, calling `on_line` for every complete line or fault, in order.
    /// `on_line` returns false to stop early (the connection is closing).
    /// Returns how many bytes of `data` were left unread because the sink
    /// asked to stop (0 when all was taken).
    pub fn feed(&mut self, mut data: &[u8], max_line: usize, on_line: &mut LineSink<'_>) -> usize {
        // Finish the line carried over from an earlier read first.
        if self.discarding || !self.partial.is_empty() {
            match memchr::memchr(b'\n', data) {
                None => {
                    if !self.discarding {
                        // One byte of slack: it may be the `\r` of a `\r\n`.
                        if self.partial.len() + data.len() > max_line + 1 {
                            self.partial = Vec::new();
                            self.discarding = true;
                            if !on_line(Err(LineFault::TooLong)) {
                                return 0;
                            }
                        } else {
                            self.partial.extend_from_slice(data);
                        }
                    }
                    return 0;
                }
                Some(nl) => {
                    let go_on = if self.discarding {
                        self.discarding = false;
                        true
                    } else if self.joined_len(&data[..nl]) > max_line {
                        self.partial = Vec::new();
                        on_line(Err(LineFault::TooLong))
                    } else {
                        self.partial.extend_from_slice(&data[..nl]);
                        let line = std::mem::take(&mut self.partial);
                        on_line(Ok(trim_cr(&line)))
                    };
                    data = &data[nl + 1..];
                    if !go_on {
                        return data.len();
                    }
                }
            }
        }
        while !data.is_empty() {
            match memchr::memchr(b'\n', data) {
                Some(nl) => {
                    let go_on = if content_len(&data[..nl]) > max_line {
                        on_line(Err(LineFault::TooLong))
                    } else {
                        on_line(Ok(trim_cr(&data[..nl])))
                    };
                    data = &data[nl + 1..];
                    if !go_on {
                        return data.len();
                    }
                }
                None => {
                    if data.len() > max_line + 1 {
                        self.discarding = true;
                        on_line(Err(LineFault::TooLong));
                    } else {
                        self.partial.extend_from_slice(data);
                    }
                    return 0;
                }
            }
        }
        0
    }

    /// Length of the kept partial line completed by `tail`, without a final `\r`.
    fn joined_len(&self, tail: &[u8]) -> usize {
        let ends_in_cr = match tail.last() {
            Some(&last) => last == b'\r',
            None => self.partial.last() == Some(&b'\r'),
        };
        self.partial.len() + tail.len() - usize::from(ends_in_cr)
    }

    /// Bytes held for an incomplete line.
    #[cfg(test)]
    pub fn pending(&self) -> usize {
        self.partial.len()
    }
}

/// A line's length without the `\r` of a `\r\n` ending.
fn content_len(line: &[u8]) -> usize {
    trim_cr(line).len()
}

fn trim_cr(line: &[u8]) -> &[u8] {
    match line.last() {
        Some(b'\r') => &line[..line.len() - 1],
        _ => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_all(chunks: &[&[u8]], max: usize) -> Vec<Result<Vec<u8>, LineFault>> {
        let mut s = LineSplitter::default();
        let mut got = Vec::new();
        for c in chunks {
            s.feed(c, max, &mut |r| {
                got.push(r.map(|l| l.to_vec()));
                true
            });
        }
        got
    }

    #[test]
    fn lines_split_identically_at_every_byte_offset() {
        let input: &[u8] = b"alice\r\nhello world\n\n/who\r\nlast";
        let whole = split_all(&[input], 64);
        assert_eq!(
            whole,
            vec![Ok(b"alice".to_vec()), Ok(b"hello world".to_vec()), Ok(b"".to_vec()), Ok(b"/who".to_vec())]
        );
        for cut in 0..=input.len() {
            assert_eq!(split_all(&[&input[..cut], &input[cut..]], 64), whole, "cut {cut}");
        }
    }

    #[test]
    fn overlong_line_is_reported_once_and_discarded_at_every_offset() {
        let input: &[u8] = b"ok\n0123456789abcdef\nnext\n";
        for cut in 0..=input.len() {
            let got = split_all(&[&input[..cut], &input[cut..]], 8);
            assert_eq!(
                got,
                vec![Ok(b"ok".to_vec()), Err(LineFault::TooLong), Ok(b"next".to_vec())],
                "cut {cut}"
            );
        }
    }

    #[test]
    fn line_of_exactly_max_is_accepted() {
        assert_eq!(split_all(&[b"12345678\n"], 8), vec![Ok(b"12345678".to_vec())]);
        assert_eq!(split_all(&[b"1234", b"5678\r\n"], 8), vec![Ok(b"12345678".to_vec())]);
    }

    #[test]
    fn partial_line_keeps_no_memory_after_completion() {
        let mut s = LineSplitter::default();
        s.feed(b"abc", 64, &mut |_| true);
        assert_eq!(s.pending(), 3);
        s.feed(b"d\n", 64, &mut |_| true);
        assert_eq!(s.pending(), 0);
        assert_eq!(s.partial.capacity(), 0);
    }
}
