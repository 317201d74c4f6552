//! The message catalogue: every word linechat writes for people, one file
//! per language in `lang/` (`en.toml`, `ko.toml`), keyed by message id with
//! named `{placeholders}`. Built into the binary and parsed once. Codes,
//! JSON keys and event payloads never come from here: only words do.

use std::collections::HashMap;
use std::fmt::Display;
use std::sync::OnceLock;

/// A language: its index in [`LANGS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Lang(pub u8);

impl Lang {
    pub const EN: Lang = Lang(0);

    /// By its code (`en`, `ko`), as a client asks for it.
    pub fn from_code(code: &str) -> Option<Lang> {
        let code = code.trim().to_ascii_lowercase();
        // `ko-KR` and `en_US` mean the language.
        let base = code.split(['-', '_']).next().unwrap_or("");
        LANGS.iter().position(|(c, _)| *c == base).map(|i| Lang(i as u8))
    }

    pub fn code(self) -> &'static str {
        LANGS[self.0 as usize].0
    }

    /// Its own name for itself (`한국어`).
    pub fn name(self) -> &'static str {
        &catalogue().tables[self.0 as usize].language
    }

    pub fn all() -> impl Iterator<Item = Lang> {
        (0..LANGS.len() as u8).map(Lang)
    }
}

/// Every language: its code and its catalogue file.
pub const LANGS: &[(&str, &str)] =
    &[("en", include_str!("../lang/en.toml")), ("ko", include_str!("../lang/ko.toml"))];

/// One message: literal text and placeholders in order.
#[derive(Debug)]
pub struct Template {
    pieces: Vec<Piece>,
}

#[derive(Debug, PartialEq)]
enum Piece {
    Text(String),
    Arg(String),
}

impl Template {
    fn parse(s: &str) -> Result<Template, String> {
        let mut pieces = Vec::new();
        let mut rest = s;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                pieces.push(Piece::Text(rest[..open].to_string()));
            }
            let close = rest[open..].find('}').ok_or_else(|| format!("an unclosed '{{' in {s:?}"))? + open;
            let name = &rest[open + 1..close];
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                return Err(format!("a bad placeholder {{{name}}} in {s:?}"));
            }
            pieces.push(Piece::Arg(name.to_string()));
            rest = &rest[close + 1..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.to_string()));
        }
        Ok(Template { pieces })
    }

    /// The message as written, `{placeholders}` and all.
    pub fn source(&self) -> String {
        self.pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.clone(),
                Piece::Arg(n) => format!("{{{n}}}"),
            })
            .collect()
    }

    /// The values of its placeholders if `line` is this message (each
    /// placeholder takes the shortest text that lets the rest match in
    /// order): how the terminal client follows the server in any language.
    pub fn matches<'l>(&self, line: &'l str) -> Option<Vec<(&str, &'l str)>> {
        let mut found = Vec::new();
        let mut rest = line;
        let mut pieces = self.pieces.iter().peekable();
        while let Some(piece) = pieces.next() {
            match piece {
                Piece::Text(t) => rest = rest.strip_prefix(t.as_str())?,
                Piece::Arg(name) => {
                    let end = match pieces.peek() {
                        Some(Piece::Text(next)) => rest.find(next.as_str())?,
                        _ => rest.len(),
                    };
                    found.push((name.as_str(), &rest[..end]));
                    rest = &rest[end..];
                }
            }
        }
        rest.is_empty().then_some(found)
    }

    /// The placeholders it names, sorted.
    pub fn args(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .pieces
            .iter()
            .filter_map(|p| if let Piece::Arg(n) = p { Some(n.as_str()) } else { None })
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// Appends the message with `args` filled in (a placeholder without a
    /// value is left as written).
    pub fn put(&self, b: &mut Vec<u8>, args: &[(&str, &dyn Display)]) {
        use std::io::Write;
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => b.extend_from_slice(t.as_bytes()),
                Piece::Arg(name) => match args.iter().find(|(n, _)| n == name) {
                    Some((_, v)) => {
                        let _ = write!(b, "{v}");
                    }
                    None => {
                        let _ = write!(b, "{{{name}}}");
                    }
                },
            }
        }
    }
}

/// One language's messages.
pub struct Table {
    language: String,
    messages: HashMap<&'static str, Template>,
}

impl Table {
    fn parse(file: &'static str) -> Result<Table, String> {
        let mut language = String::new();
        let mut messages = HashMap::new();
        // `key = "text"` lines: the files are TOML of plain strings only.
        for (n, line) in file.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (key, value) =
                line.split_once(" = ").ok_or_else(|| format!("line {}: not key = \"text\"", n + 1))?;
            let value =
                value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).and_then(unescape).ok_or_else(
                    || format!("line {}: {key}: a string, with \\\" and \\\\ its only escapes", n + 1),
                )?;
            if key == "language" {
                language = value;
            } else if messages.insert(key, Template::parse(&value)?).is_some() {
                return Err(format!("line {}: {key} twice", n + 1));
            }
        }
        Ok(Table { language, messages })
    }
}

/// A TOML basic string's inside with `\"` and `\\` (the only escapes the
/// catalogue uses); `None` for a bare quote or any other escape.
fn unescape(v: &str) -> Option<String> {
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return None,
            '\\' => match chars.next()? {
                e @ ('"' | '\\') => out.push(e),
                _ => return None,
            },
            c => out.push(c),
        }
    }
    Some(out)
}

/// Every language's table.
pub struct Catalogue {
    tables: Vec<Table>,
}

/// The catalogue, parsed on first use (the files are part of the binary,
/// and a test parses them, so this cannot fail in a release).
pub fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| Catalogue {
        tables: LANGS
            .iter()
            .map(|(code, file)| Table::parse(file).unwrap_or_else(|e| panic!("lang/{code}.toml: {e}")))
            .collect(),
    })
}

impl Catalogue {
    /// Message `key` in `lang` (English where a language lacks it; a test
    /// keeps every language complete).
    pub fn get(&self, lang: Lang, key: &str) -> &Template {
        self.tables[lang.0 as usize]
            .messages
            .get(key)
            .or_else(|| self.tables[0].messages.get(key))
            .unwrap_or_else(|| panic!("no message '{key}' in lang/en.toml"))
    }
}

impl Catalogue {
    /// Every message whose key starts with `prefix`, in `lang`, as written
    /// (placeholders unfilled): the chat page fills them itself.
    pub fn with_prefix(&self, lang: Lang, prefix: &str) -> std::collections::BTreeMap<&'static str, String> {
        self.tables[lang.0 as usize]
            .messages
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(k, t)| (*k, t.source()))
            .collect()
    }
}

/// Appends message `key` in `lang` to `b`.
pub fn put(b: &mut Vec<u8>, lang: Lang, key: &str, args: &[(&str, &dyn Display)]) {
    catalogue().get(lang, key).put(b, args);
}

/// Message `key` in `lang`, as a string.
pub fn say(lang: Lang, key: &str, args: &[(&str, &dyn Display)]) -> String {
    let mut b = Vec::new();
    put(&mut b, lang, key, args);
    String::from_utf8(b).expect("the catalogue and the arguments are UTF-8")
}

/// The placeholders' values if `line` is message `key` in any language.
pub fn matches_any<'l>(key: &str, line: &'l str) -> Option<Vec<(&'static str, &'l str)>> {
    Lang::all().find_map(|lang| catalogue().get(lang, key).matches(line))
}

/// The value of placeholder `name` among `found`.
pub fn arg<'l>(found: &[(&str, &'l str)], name: &str) -> Option<&'l str> {
    found.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

/// The languages spoken here, as `en (English), ko (한국어)`.
pub fn spoken() -> String {
    Lang::all().map(|l| format!("{} ({})", l.code(), l.name())).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_message_with_the_same_placeholders() {
        let c = catalogue();
        let en = &c.tables[0];
        for (i, (code, _)) in LANGS.iter().enumerate() {
            let t = &c.tables[i];
            assert!(!t.language.is_empty(), "lang/{code}.toml names its language");
            for (key, template) in &en.messages {
                let other = t.messages.get(key).unwrap_or_else(|| panic!("lang/{code}.toml lacks '{key}'"));
                assert_eq!(other.args(), template.args(), "lang/{code}.toml: '{key}' has other placeholders");
            }
            for key in t.messages.keys() {
                assert!(en.messages.contains_key(key), "lang/{code}.toml has '{key}', which English lacks");
            }
        }
    }

    #[test]
    fn placeholders_are_filled_by_name() {
        let t = Template::parse("* [{nick}]님이 입장했습니다. (현재 {online}명 참여 중)").unwrap();
        let mut b = Vec::new();
        t.put(&mut b, &[("online", &2), ("nick", &"alice")]);
        assert_eq!(String::from_utf8(b).unwrap(), "* [alice]님이 입장했습니다. (현재 2명 참여 중)");
        assert!(Template::parse("{open").is_err());
        assert_eq!(Lang::from_code("ko-KR"), Some(Lang(1)));
        assert_eq!(Lang::from_code("EN"), Some(Lang::EN));
        assert_eq!(Lang::from_code("fr"), None);
        assert_eq!(spoken(), "en (English), ko (한국어)");
        let join = matches_any("join-room", "* [철수]님이 #rust에 입장했습니다. (현재 2명 참여 중)").unwrap();
        assert_eq!((arg(&join, "nick"), arg(&join, "room")), (Some("철수"), Some("#rust")));
        let join = matches_any("join-room", "* bob joined #a (3 online)").unwrap();
        assert_eq!(arg(&join, "online"), Some("3"));
        assert!(matches_any("join", "* bob joined #a (3 online)").is_none());
        assert!(matches_any("welcome", "* welcome to linechat - enter a nickname").is_some());
    }
}
