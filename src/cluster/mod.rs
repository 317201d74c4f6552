//! The cluster link: linechat processes sharing rooms through Redis. This
//! module owns the Redis side of it; the wire format lives in `resp.rs`.

pub mod resp;
