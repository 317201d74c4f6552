//! Where Redis is: the URL form redis.io documents, shown without its
//! password in logs.

/// Where Redis is: `redis://[user:password@]host:port[/db]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisUrl {
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    pub password: Option<String>,
    pub db: u32,
}

impl RedisUrl {
    /// Parses the URL form redis.io documents (userinfo percent-decoded).
    pub fn parse(url: &str) -> Result<RedisUrl, String> {
        let rest = url.strip_prefix("redis://").ok_or("a Redis URL starts with redis://")?;
        let (auth, rest) = match rest.rsplit_once('@') {
            Some((auth, rest)) => (Some(auth), rest),
            None => (None, rest),
        };
        let (hostport, db) = match rest.split_once('/') {
            Some((hp, "")) => (hp, 0),
            Some((hp, db)) => (hp, db.parse().map_err(|_| format!("'{db}' is not a database number"))?),
            None => (rest, 0),
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => {
                (h, p.parse().map_err(|_| format!("'{p}' is not a port"))?)
            }
            _ => (hostport, 6379),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let host = if host.is_empty() { "127.0.0.1" } else { host };
        let (user, password) = match auth {
            None => (None, None),
            Some(a) => match a.split_once(':') {
                Some((u, p)) => ((!u.is_empty()).then(|| percent_decode(u)), Some(percent_decode(p))),
                None => ((!a.is_empty()).then(|| percent_decode(a)), None),
            },
        };
        Ok(RedisUrl { host: host.to_string(), port, user, password, db })
    }
}

impl std::fmt::Display for RedisUrl {
    /// The URL without its password, for logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "redis://")?;
        if let Some(user) = &self.user {
            write!(f, "{user}@")?;
        }
        write!(f, "{}:{}/{}", self.host, self.port, self.db)
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = RedisUrl::parse("redis://127.0.0.1:6390").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.db, u.user, u.password), ("127.0.0.1", 6390, 0, None, None));
        let u = RedisUrl::parse("redis://bob:p%40ss@redis.example:7000/3").unwrap();
        assert_eq!(u.user.as_deref(), Some("bob"));
        assert_eq!(u.password.as_deref(), Some("p@ss"));
        assert_eq!((u.host.as_str(), u.port, u.db), ("redis.example", 7000, 3));
        assert_eq!(u.to_string(), "redis://bob@redis.example:7000/3", "no password in logs");
        let u = RedisUrl::parse("redis://:secret@localhost").unwrap();
        assert_eq!((u.user, u.password.as_deref(), u.port), (None, Some("secret"), 6379));
        assert!(RedisUrl::parse("http://x").is_err());
        assert!(RedisUrl::parse("redis://h:notaport").is_err());
        assert!(RedisUrl::parse("redis://h:1/x").is_err());
    }
}
