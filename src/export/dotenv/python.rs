//! `python-dotenv` 1.2.4 `dotenv_values`: how a value is written for it and how it reads a
//! file back.

use zeroize::Zeroizing;

use super::is_plain;
use crate::export::Buf;

const REASON_PY: &str = "python-dotenv expands ${...} and has no escape for it";

/// `_posix_variable` of python-dotenv `variables.py`:
/// `\$\{(?P<name>[^\}:]*)(?::-(?P<default>[^\}]*))?\}`.
pub(crate) fn has_posix_variable(s: &[u8]) -> bool {
    (0..s.len()).any(|i| {
        if !s[i..].starts_with(b"${") {
            return false;
        }
        let mut j = i + 2;
        while j < s.len() && s[j] != b'}' && s[j] != b':' {
            j += 1;
        }
        match s.get(j) {
            Some(b'}') => true,
            Some(b':') => s[j..].starts_with(b":-") && s[j + 2..].contains(&b'}'),
            _ => false,
        }
    })
}

/// python-dotenv: the file is opened in text mode (universal newlines turn
/// CR and CRLF into LF), so a CR must be the `\r` escape of a double-quoted
/// value; double quotes decode `\\[\\'"abfnrtv]` and keep any other text.
/// Interpolation (`resolve_variables`) runs on the decoded value in every
/// quoting, so `${...}` cannot be written at all.
pub(super) fn write(name: &str, v: &str, out: &mut Buf) -> Result<(), &'static str> {
    if has_posix_variable(v.as_bytes()) {
        return Err(REASON_PY);
    }
    out.push_str(name);
    out.push('=');
    if is_plain(v) {
        out.push_str(v);
    } else {
        out.push('"');
        for c in v.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\r' => out.push_str("\\r"),
                _ => out.push(c),
            }
        }
        out.push('"');
    }
    out.push('\n');
    Ok(())
}

// ------------------------------------------------------------- reading ---

/// Python's `str.isspace()`, which `\s` in a `str` pattern follows.
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// `[^\S\r\n]`: a blank that does not end a line.
fn is_py_blank(c: char) -> bool {
    is_py_space(c) && c != '\r' && c != '\n'
}

struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }
    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }
    fn skip_while(&mut self, f: impl Fn(char) -> bool) -> &'a str {
        let start = self.pos;
        let len = self
            .rest()
            .char_indices()
            .find(|&(_, c)| !f(c))
            .map_or(self.rest().len(), |(i, _)| i);
        self.pos += len;
        &self.text[start..self.pos]
    }
    /// `'((?:\\.|[^'\\])*)'` (or with `"`): a backslash takes the next character along
    /// (any, line breaks too), the first other quote closes. The body, or None when it does
    /// not close.
    fn quoted(&mut self, q: char) -> Option<&'a str> {
        let body = &self.rest()[1..];
        let mut chars = body.char_indices();
        while let Some((i, c)) = chars.next() {
            if c == '\\' {
                chars.next()?;
            } else if c == q {
                self.pos += 1 + i + 1;
                return Some(&body[..i]);
            }
        }
        None
    }

    /// `_rest_of_line`: skips to after the next line end.
    fn skip_line(&mut self) {
        self.skip_while(|c| c != '\n');
        if self.peek() == Some('\n') {
            self.pos += 1;
        }
    }
}

/// `decode_escapes` with `\\[\\'"abfnrtv]` (double quotes) or `\\[\\']` (single quotes).
fn decode_escapes(body: &str, double: bool) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(body.len()));
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        let decoded = match (c, next) {
            ('\\', Some(n @ ('\\' | '\''))) => Some(n),
            ('\\', Some(n)) if double => match n {
                '"' => Some('"'),
                'a' => Some('\u{7}'),
                'b' => Some('\u{8}'),
                'f' => Some('\u{c}'),
                'n' => Some('\n'),
                'r' => Some('\r'),
                't' => Some('\t'),
                'v' => Some('\u{b}'),
                _ => None,
            },
            _ => None,
        };
        match decoded {
            Some(d) => {
                out.push(d);
                chars.next();
            }
            None => out.push(c),
        }
    }
    out
}

/// python-dotenv 1.2.4 `parse_stream` as `dotenv_values` uses it. The file is read in text
/// mode, so CRLF and CR are LF first.
pub(in crate::export) fn parse_python(text: &str) -> Vec<(String, Option<Zeroizing<String>>)> {
    let text = Zeroizing::new(text.replace("\r\n", "\n").replace('\r', "\n"));
    let mut cur = Cursor {
        text: &text,
        pos: 0,
    };
    let mut out = Vec::new();
    while cur.pos < text.len() {
        match python_binding(&mut cur) {
            Some(Line::Binding(name, value)) => out.push((name, value)),
            Some(Line::Nothing) => {}
            // python-dotenv skips the rest of the line from where parsing failed (and warns)
            None => cur.skip_line(),
        }
    }
    out
}

/// What python-dotenv makes of one line it can parse.
enum Line {
    /// A name, with or without a value.
    Binding(String, Option<Zeroizing<String>>),
    /// A blank or comment line.
    Nothing,
}

/// One line, or `None` for a line python-dotenv cannot parse: `parse_binding`.
fn python_binding(cur: &mut Cursor) -> Option<Line> {
    cur.skip_while(is_py_space);
    if cur.peek().is_none() {
        return Some(Line::Nothing);
    }
    skip_export(cur);
    // A comment line has no name, and parses.
    let name = if cur.peek() == Some('#') {
        None
    } else {
        Some(python_key(cur)?)
    };
    cur.skip_while(is_py_blank);
    let value = if cur.peek() == Some('=') {
        cur.pos += 1;
        Some(python_value(cur)?)
    } else {
        None
    };
    end_of_line(cur)?;
    Some(name.map_or(Line::Nothing, |n| Line::Binding(n, value)))
}

/// `(?:export[^\S\r\n]+)?`
fn skip_export(cur: &mut Cursor) {
    if let Some(after) = cur.rest().strip_prefix("export") {
        let blanks = after.chars().take_while(|&c| is_py_blank(c)).count();
        if blanks > 0 {
            let len: usize = after.chars().take(blanks).map(char::len_utf8).sum();
            cur.pos += "export".len() + len;
        }
    }
}

/// `parse_key`: a quoted or bare name; `None` when it cannot be parsed.
fn python_key(cur: &mut Cursor) -> Option<String> {
    match cur.peek() {
        Some('\'') => {
            let body = cur.rest()[1..]
                .split('\'')
                .next()
                .filter(|b| !b.is_empty())?;
            if !cur.rest()[1 + body.len()..].starts_with('\'') {
                return None;
            }
            cur.pos += body.len() + 2;
            Some(body.to_string())
        }
        _ => {
            let key = cur.skip_while(|c| c != '=' && c != '#' && !is_py_space(c));
            if key.is_empty() {
                return None;
            }
            Some(key.to_string())
        }
    }
}

/// `parse_value`, after the `=`: quoted, empty or unquoted; `None` for a quote not closed.
fn python_value(cur: &mut Cursor) -> Option<Zeroizing<String>> {
    let blanks = cur.skip_while(is_py_blank);
    Some(match cur.peek() {
        // `KEY= # comment` is empty; `KEY=#x` is `#x`
        Some('#') if !blanks.is_empty() => Zeroizing::new(String::new()),
        Some(q @ ('\'' | '"')) => decode_escapes(cur.quoted(q)?, q == '"'),
        None | Some('\n') => Zeroizing::new(String::new()),
        Some(_) => unquoted_value(cur.skip_while(|c| c != '\n')),
    })
}

/// `parse_unquoted_value`: `re.sub(r"\s+#.*", "", part).rstrip()`.
fn unquoted_value(part: &str) -> Zeroizing<String> {
    let mut cut = part.len();
    for (i, c) in part.char_indices() {
        if c == '#' && part[..i].ends_with(is_py_space) {
            cut = part[..i].trim_end_matches(is_py_space).len();
            break;
        }
    }
    Zeroizing::new(part[..cut].trim_end_matches(is_py_space).to_string())
}

/// `_comment` then `_end_of_line`; `None` when anything else follows.
fn end_of_line(cur: &mut Cursor) -> Option<()> {
    cur.skip_while(is_py_blank);
    if cur.peek() == Some('#') {
        cur.skip_while(|c| c != '\n');
    }
    cur.skip_while(is_py_blank);
    match cur.peek() {
        None => {}
        Some('\n') => cur.pos += 1,
        Some(_) => return None,
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::super::render1;
    use super::*;
    use crate::export::Dialect;

    #[test]
    fn python_rules() {
        assert!(has_posix_variable(b"${X}"));
        assert!(has_posix_variable(b"${}"));
        assert!(has_posix_variable(b"a${X:-d}b"));
        assert!(has_posix_variable(b"${X:-}"));
        assert!(!has_posix_variable(b"${X:d}"));
        assert!(!has_posix_variable(b"${X"));
        assert!(!has_posix_variable(b"$X"));
        assert!(has_posix_variable(b"${a:b}${c}"));
        let r = |v| render1(Dialect::Python, v).unwrap();
        assert_eq!(r("abc"), "K=abc\n");
        assert_eq!(r(""), "K=\"\"\n");
        assert_eq!(r("a\\'\"\r\n"), "K=\"a\\\\'\\\"\\r\n\"\n");
        assert_eq!(r("$X $(y) ${"), "K=\"$X $(y) ${\"\n");
        let e = render1(Dialect::Python, "x${Y}").unwrap_err().line();
        assert_eq!(e, "K cannot be written losslessly for the python dialect (python-dotenv expands ${...} and has no escape for it); use the expand dialect, the node dialect, --format shell or --format json instead.");
    }
}
