//! What a session's output is rendered as: a [`Format`], an index in the
//! renderer table (`render.rs`), each a wire format in a language.

/// A wire format in a language: an index in the renderer table the server built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Format(pub u8);

/// Formats at most (each packed in a tick buffer stream of its own, so a
/// room of one format gets one contiguous range per client per tick).
pub const MAX_FORMATS: usize = crate::net::outq::STREAMS;
