//! IRC client lines: `[@tags ][:prefix ]COMMAND [params] [:trailing]`.
//! Prefixes from clients are ignored; of their tags, only `label` is read
//! (labeled-response).

/// Most parameters a line may carry (RFC 2812).
const MAX_PARAMS: usize = 15;

/// A parsed client line.
#[derive(Debug, PartialEq, Eq)]
pub struct Line<'a> {
    /// Upper-cased command or numeric.
    pub command: String,
    pub params: Vec<&'a str>,
    /// The tags, as sent (without the `@`; empty when there are none).
    pub tags: &'a str,
}

impl Line<'_> {
    /// The value of the client's tag `key`, unescaped (IRCv3 message-tags).
    pub fn tag(&self, key: &str) -> Option<String> {
        let raw = self.tags.split(';').find_map(|t| match t.split_once('=') {
            Some((k, v)) if k == key => Some(v),
            None if t == key => Some(""),
            _ => None,
        })?;
        let mut value = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                value.push(c);
                continue;
            }
            match chars.next() {
                Some(':') => value.push(';'),
                Some('s') => value.push(' '),
                Some('r') => value.push('\r'),
                Some('n') => value.push('\n'),
                Some(other) => value.push(other),
                None => {}
            }
        }
        Some(value)
    }
}

/// Why a line could not be taken.
#[derive(Debug, PartialEq, Eq)]
pub enum LineError {
    /// Only tags, a prefix, or spaces.
    Empty,
    /// The line without its tags is over 510 bytes.
    TooLong,
}

/// Parses one line (without its CRLF).
pub fn parse(line: &str) -> Result<Line<'_>, LineError> {
    let mut rest = line;
    let mut tags = "";
    if let Some(tagged) = rest.strip_prefix('@') {
        (tags, rest) = tagged.split_once(' ').unwrap_or((tagged, ""));
    }
    if rest.len() > super::render::MAX_LINE {
        return Err(LineError::TooLong);
    }
    rest = rest.trim_start_matches(' ');
    if rest.starts_with(':') {
        rest = rest.split_once(' ').map_or("", |(_, r)| r).trim_start_matches(' ');
    }
    let (command, mut rest) = rest.split_once(' ').unwrap_or((rest, ""));
    if command.is_empty() {
        return Err(LineError::Empty);
    }
    let mut params = Vec::new();
    loop {
        rest = rest.trim_start_matches(' ');
        if rest.is_empty() {
            break;
        }
        if let Some(trailing) = rest.strip_prefix(':') {
            params.push(trailing);
            break;
        }
        if params.len() == MAX_PARAMS - 1 {
            // The last parameter takes the rest of the line, spaces and all.
            params.push(rest);
            break;
        }
        let (param, more) = rest.split_once(' ').unwrap_or((rest, ""));
        params.push(param);
        rest = more;
    }
    Ok(Line { command: command.to_ascii_uppercase(), params, tags })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: &str) -> (String, Vec<&str>) {
        let l = parse(line).unwrap();
        (l.command, l.params)
    }

    #[test]
    fn lines_split_into_command_and_params() {
        assert_eq!(p("privmsg #rust :hello there"), ("PRIVMSG".into(), vec!["#rust", "hello there"]));
        assert_eq!(p("NICK alice"), ("NICK".into(), vec!["alice"]));
        assert_eq!(p("USER a 0 * :Alice Liddell"), ("USER".into(), vec!["a", "0", "*", "Alice Liddell"]));
        assert_eq!(p("@time=x;y :nick!u@h  JOIN   #a,#b  "), ("JOIN".into(), vec!["#a,#b"]));
        assert_eq!(p("PRIVMSG #r ::-)"), ("PRIVMSG".into(), vec!["#r", ":-)"]));
        assert_eq!(p("TOPIC #r :"), ("TOPIC".into(), vec!["#r", ""]));
        assert_eq!(p("PING"), ("PING".into(), vec![]));
        let many = "CMD 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16";
        assert_eq!(p(many).1.len(), 15);
        assert_eq!(p(many).1[14], "15 16");
    }

    #[test]
    fn empty_and_long_lines_are_refused() {
        assert_eq!(parse(""), Err(LineError::Empty));
        assert_eq!(parse("   "), Err(LineError::Empty));
        assert_eq!(parse(":prefix.only"), Err(LineError::Empty));
        assert_eq!(parse("@tags-only"), Err(LineError::Empty));
        let long = format!("PRIVMSG #r :{}", "x".repeat(500));
        assert_eq!(parse(&long), Err(LineError::TooLong));
        let tagged = format!("@{} PRIVMSG #r :hi", "t".repeat(3000));
        assert_eq!(p(&tagged).0, "PRIVMSG", "tags have their own budget");
    }

    #[test]
    fn tags_are_read_and_unescaped() {
        let line = parse(r"@label=a\sb\:c;+typing;x=1 PING :t").unwrap();
        assert_eq!(line.tag("label").as_deref(), Some("a b;c"));
        assert_eq!(line.tag("+typing").as_deref(), Some(""));
        assert_eq!(line.tag("y"), None);
        assert_eq!(parse("PING x").unwrap().tag("label"), None);
    }
}
