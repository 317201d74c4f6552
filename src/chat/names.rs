//! Names: what a valid nickname (and, after its `#`, room name) is, and
//! when two are the same. Nothing here does I/O.

/// Longest nickname, in characters.
pub const MAX_NICK_CHARS: usize = 24;

/// Why a nickname was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NickError {
    Empty,
    TooLong,
    BadChar(char),
}

impl std::fmt::Display for NickError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NickError::Empty => f.write_str("a nickname needs at least one character"),
            NickError::TooLong => write!(f, "a nickname has at most {MAX_NICK_CHARS} characters"),
            NickError::BadChar(c) => {
                write!(f, "{c:?} is not allowed in a nickname; use letters, digits, '_', '-' and '.'")
            }
        }
    }
}

/// Checks a proposed nickname and returns it trimmed.
/// Letters and digits of any script are allowed, plus `_`, `-` and `.`.
pub fn parse_nick(raw: &str) -> Result<&str, NickError> {
    let nick = raw.trim();
    check_name(nick, MAX_NICK_CHARS)?;
    Ok(nick)
}

/// The rule nicknames and room names (after their `#`) share: 1 to `max`
/// letters and digits of any script, `_`, `-` and `.`.
pub fn check_name(name: &str, max: usize) -> Result<(), NickError> {
    if name.is_empty() {
        return Err(NickError::Empty);
    }
    if let Some(bad) = name.chars().find(|&c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))) {
        return Err(NickError::BadChar(bad));
    }
    if name.chars().count() > max {
        return Err(NickError::TooLong);
    }
    Ok(())
}

/// The key under which nicknames are unique: case folded, in any script.
pub fn fold_nick(nick: &str) -> String {
    nick.chars().flat_map(char::to_lowercase).collect()
}

/// Nicknames nobody may take: the services clients talk to (`/msg NickServ`).
pub const SERVICES: &[&str] = &["nickserv", "chanserv"];

/// Is `nick` a service's name?
pub fn is_service(nick: &str) -> bool {
    SERVICES.contains(&fold_nick(nick).as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_letters_digits_and_marks_of_any_script() {
        assert_eq!(parse_nick("  alice \t"), Ok("alice"));
        assert_eq!(parse_nick("bob_2-x.y"), Ok("bob_2-x.y"));
        assert_eq!(parse_nick("민수"), Ok("민수"));
        assert_eq!(parse_nick("Ünïcødé"), Ok("Ünïcødé"));
        assert_eq!(parse_nick(&"é".repeat(24)), Ok("é".repeat(24).as_str()));
    }

    #[test]
    fn refuses_empty_long_and_odd_characters() {
        assert_eq!(parse_nick("   "), Err(NickError::Empty));
        assert_eq!(parse_nick(&"a".repeat(25)), Err(NickError::TooLong));
        assert_eq!(parse_nick("al ice"), Err(NickError::BadChar(' ')));
        assert_eq!(parse_nick("/who"), Err(NickError::BadChar('/')));
        assert_eq!(parse_nick("a\u{1b}[31m"), Err(NickError::BadChar('\u{1b}')));
    }

    #[test]
    fn folding_ignores_case_in_any_script() {
        assert_eq!(fold_nick("Alice"), fold_nick("aLICE"));
        assert_eq!(fold_nick("ÄRGER"), fold_nick("ärger"));
        assert_ne!(fold_nick("alice"), fold_nick("alice2"));
    }
}
