//! Ban masks: who a room's ban or mute is about. A mask is a nickname
//! (`bob`, meaning `bob!*@*`), a `nick!user@host` pattern with `*` and `?`
//! (matched ignoring case against the mask every user shows,
//! `nick!user@SERVER`, the user being the nickname for faces that give no
//! username), or `~a:ACCOUNT` (whoever is signed in to that
//! account). Nothing here does I/O.

use super::names::fold_nick;

/// Longest mask accepted, in bytes.
pub const MAX_MASK: usize = 100;

/// What a ban matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mask {
    /// Whoever is signed in to this account (folded).
    Account(String),
    /// A `nick!user@host` pattern, folded.
    Pattern(String),
}

impl Mask {
    /// Parses a mask as written; returns it and how it is shown.
    pub fn parse(raw: &str) -> Result<(Mask, String), String> {
        let raw = raw.trim();
        if raw.is_empty() || raw.len() > MAX_MASK {
            return Err(format!("a mask is 1 to {MAX_MASK} bytes"));
        }
        if raw.chars().any(|c| c.is_whitespace() || c.is_control() || c == ',') {
            return Err("a mask has no spaces, commas or control characters".into());
        }
        if let Some(account) = raw.strip_prefix("~a:") {
            if super::names::check_name(account, super::names::MAX_NICK_CHARS).is_err() {
                return Err(format!("'{account}' is not an account name"));
            }
            return Ok((Mask::Account(fold_nick(account)), raw.to_string()));
        }
        let (nick, rest) = match raw.split_once('!') {
            Some((nick, rest)) => (nick, rest),
            None if raw.contains('@') => ("*", raw),
            None => (raw, "*@*"),
        };
        let (user, host) = rest.split_once('@').unwrap_or((rest, "*"));
        if [nick, user, host].iter().any(|p| p.is_empty() || p.contains(['!', '@'])) {
            return Err(format!("'{raw}' is not a mask like nick, nick!user@host or ~a:account"));
        }
        let shown = format!("{nick}!{user}@{host}");
        if shown.chars().all(|c| matches!(c, '*' | '?' | '!' | '@')) {
            return Err("that mask matches everyone; use +i or +R to close a room".into());
        }
        Ok((Mask::Pattern(fold_nick(&shown)), shown))
    }

    /// Does it match a user with this nickname, username (`None`: its
    /// nickname stands there), mask host, and account?
    pub fn matches(&self, nick: &str, user: Option<&str>, server: &str, account: Option<&str>) -> bool {
        match self {
            Mask::Account(a) => account.is_some_and(|mine| fold_nick(mine) == *a),
            Mask::Pattern(p) => {
                let me = fold_nick(&format!("{nick}!{}@{server}", user.unwrap_or(nick)));
                glob(p, &me)
            }
        }
    }
}

/// `*` (any run) and `?` (any one character) over characters.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_parse_to_patterns_or_accounts() {
        assert_eq!(Mask::parse("Bob").unwrap(), (Mask::Pattern("bob!*@*".into()), "Bob!*@*".into()));
        assert_eq!(Mask::parse("*@linechat").unwrap().1, "*!*@linechat");
        assert_eq!(Mask::parse("b?b!*").unwrap().1, "b?b!*@*");
        assert_eq!(Mask::parse("~a:Alice").unwrap().0, Mask::Account("alice".into()));
        for bad in ["", "a b", "*", "*!*@*", "a!!b", "@", "~a:", "~a:bad name", &"x".repeat(101), "a,b"] {
            assert!(Mask::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn masks_match_users() {
        let (m, _) = Mask::parse("bo*").unwrap();
        assert!(m.matches("Bobby", None, "linechat", None));
        assert!(!m.matches("alice", None, "linechat", None));
        let (m, _) = Mask::parse("*!*@other").unwrap();
        assert!(!m.matches("bob", None, "linechat", None));
        let (m, _) = Mask::parse("~a:alice").unwrap();
        assert!(m.matches("anyone", None, "linechat", Some("Alice")));
        assert!(!m.matches("alice", None, "linechat", None));
        // An IRC user's username stands in its mask.
        let (m, _) = Mask::parse("*!~bob@*").unwrap();
        assert!(m.matches("bobby", Some("~bob"), "linechat", None));
        assert!(!m.matches("bob", None, "linechat", None));
        assert!(glob("a*b?c", "axxxbyc") && glob("*", "") && !glob("a?", "a") && glob("*a*a", "banana"));
    }
}
