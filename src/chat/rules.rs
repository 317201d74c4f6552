//! A room's rules and the server's refusals as plain data: ranks, bans and
//! mutes, modes (`RoomRules`), and the addresses K-lines refuse. The
//! checks that read them are `moderation.rs` and `opers.rs`; nothing here
//! does I/O.

use std::net::IpAddr;

use super::masks::Mask;

/// A member's rank in a room (bits).
pub const OP: u8 = 1;
pub const VOICE: u8 = 2;

/// Bans and mutes one room holds, at most; invitations it remembers.
pub const MAX_BANS: usize = 100;
pub const MAX_INVITES: usize = 100;

/// A ban (or, `mute`, a mute) on a room.
#[derive(Debug, Clone)]
pub struct Ban {
    pub mask: Mask,
    /// As shown (`bob!*@*`, `~a:alice`).
    pub shown: String,
    pub by: String,
    pub set_ms: u64,
    pub until_ms: Option<u64>,
    pub reason: String,
    /// Only keeps the matched from speaking.
    pub mute: bool,
}

impl Ban {
    /// Still in force at `now_ms`?
    pub fn active(&self, now_ms: u64) -> bool {
        self.until_ms.is_none_or(|until| until > now_ms)
    }

    /// Is it the ban (or, `mute`, the mute) shown as `shown` (ignoring case)?
    pub fn is(&self, shown: &str, mute: bool) -> bool {
        self.mute == mute && super::names::fold_nick(&self.shown) == super::names::fold_nick(shown)
    }
}

/// Longest reason a ban, mute or K-line keeps, in characters.
pub const MAX_REASON_CHARS: usize = 200;

/// A reason as a ban, mute or K-line keeps it: sanitised, cut.
pub fn reason(text: &str) -> String {
    super::sanitize(text.trim()).chars().take(MAX_REASON_CHARS).collect()
}

/// When something set at `now_ms` for `duration` ends (`None`: never).
pub fn until(now_ms: u64, duration: Option<std::time::Duration>) -> Option<u64> {
    duration.map(|d| now_ms + d.as_millis() as u64)
}

/// A room's modes, bans and invitations.
#[derive(Debug, Clone, Default)]
pub struct RoomRules {
    pub invite_only: bool,
    pub key: Option<String>,
    pub limit: Option<usize>,
    pub moderated: bool,
    pub no_outside: bool,
    pub topic_ops: bool,
    pub secret: bool,
    pub registered_only: bool,
    pub bans: Vec<Ban>,
    /// Invited nicknames (folded), until they join.
    pub invited: Vec<String>,
}

impl RoomRules {
    /// A new room: `+n` (no messages from outside).
    pub fn new() -> RoomRules {
        RoomRules { no_outside: true, ..RoomRules::default() }
    }

    /// The on/off mode behind letter `c` (`i m n R s t`), if it is one.
    pub fn flag(&mut self, c: char) -> Option<&mut bool> {
        Some(match c {
            'i' => &mut self.invite_only,
            'm' => &mut self.moderated,
            'n' => &mut self.no_outside,
            'R' => &mut self.registered_only,
            's' => &mut self.secret,
            't' => &mut self.topic_ops,
            _ => return None,
        })
    }

    /// The letters of the on/off modes set, in the order they are shown (`mnt`).
    pub fn flags_set(&self) -> String {
        [
            (self.invite_only, 'i'),
            (self.moderated, 'm'),
            (self.no_outside, 'n'),
            (self.registered_only, 'R'),
            (self.secret, 's'),
            (self.topic_ops, 't'),
        ]
        .into_iter()
        .filter_map(|(on, c)| on.then_some(c))
        .collect()
    }

    /// The modes as IRC's 324 and `/mode` show them (`+nt`, `+kl KEY 10`);
    /// the key only to those who may see it.
    pub fn modes(&self, show_key: bool) -> String {
        let mut flags = format!("+{}", self.flags_set());
        let mut args = Vec::new();
        if let Some(key) = &self.key {
            flags.push('k');
            args.push(if show_key { key.clone() } else { "*".into() });
        }
        if let Some(limit) = self.limit {
            flags.push('l');
            args.push(limit.to_string());
        }
        std::iter::once(flags).chain(args).collect::<Vec<_>>().join(" ")
    }
}

/// How text shows a rank before a nickname: `@` operator, `+` voice.
pub fn prefix(rank: u8) -> &'static str {
    if rank & OP != 0 {
        "@"
    } else if rank & VOICE != 0 {
        "+"
    } else {
        ""
    }
}

/// Which addresses a K-line refuses: one (`1.2.3.4`, `*@1.2.3.4`) or a
/// network (`1.2.3.0/24`, `2001:db8::/32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressMask {
    net: IpAddr,
    prefix: u8,
}

impl AddressMask {
    pub fn parse(raw: &str) -> Result<AddressMask, String> {
        let bad = || format!("'{raw}' is not an address like 1.2.3.4, *@1.2.3.4 or 1.2.3.0/24");
        let raw = raw.trim();
        let raw = raw.strip_prefix("*@").unwrap_or(raw);
        let (addr, prefix) = match raw.split_once('/') {
            Some((addr, bits)) => (addr, Some(bits.parse::<u8>().map_err(|_| bad())?)),
            None => (raw, None),
        };
        let net: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        if prefix > max || prefix < max / 4 {
            return Err(format!("'{raw}': a prefix between /{} and /{max}", max / 4));
        }
        Ok(AddressMask { net, prefix })
    }

    pub fn matches(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.net, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for AddressMask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let max = if self.net.is_ipv4() { 32 } else { 128 };
        if self.prefix == max {
            write!(f, "{}", self.net)
        } else {
            write!(f, "{}/{}", self.net, self.prefix)
        }
    }
}

/// A K-line.
#[derive(Debug, Clone)]
pub struct Kline {
    pub mask: AddressMask,
    pub by: String,
    pub set_ms: u64,
    pub until_ms: Option<u64>,
    pub reason: String,
}

impl Kline {
    /// Still in force at `now_ms`?
    pub fn active(&self, now_ms: u64) -> bool {
        self.until_ms.is_none_or(|until| until > now_ms)
    }
}
