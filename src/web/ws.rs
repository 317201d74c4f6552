//! RFC 6455 framing for the server side.

/// Frame opcodes used here.
pub const OP_CONT: u8 = 0x0;
pub const OP_TEXT: u8 = 0x1;
pub const OP_BINARY: u8 = 0x2;
pub const OP_CLOSE: u8 = 0x8;
pub const OP_PING: u8 = 0x9;
pub const OP_PONG: u8 = 0xA;

/// A final, unmasked server frame: identical bytes for every recipient.
pub fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(payload.len() + 10);
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
    f
}

/// A text frame carrying `text` (already valid UTF-8).
pub fn text_frame(text: &[u8]) -> Vec<u8> {
    frame(OP_TEXT, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6455_unmasked_hello_example() {
        // RFC 6455 section 5.7: a single-frame unmasked text message "Hello".
        assert_eq!(
            text_frame(b"Hello"),
            [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]
        );
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
}
