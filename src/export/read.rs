//! Readers: what each dialect's real reader takes out of a dotenv file, modelled on the same
//! sources as the writers (so `export` then `import` gives the values back):
//!
//! * `node`: npm `dotenv` 16.4.7 `parse` (the `LINE` regex, trimming, quote stripping, `\n`/`\r`
//!   in double quotes);
//! * `expand`: that, then the value every dotenv-expand version (11, 12, 13) agrees on, and
//!   only values the `expand` writer can carry for every reader;
//! * `python`: `python-dotenv` 1.2.4 `parser.py` (quoting, escapes, comments), refusing the
//!   `${…}` it would interpolate.
//!
//! A value that the readers of a dialect would not all read the same way, or that depends on
//! the environment of the build that reads it, is refused with the reason; never guessed.

use std::sync::LazyLock;

use regex::Regex;
use zeroize::Zeroizing;

use super::dotenv::{self, is_js_space};
use super::Dialect;

/// One `NAME=value` read from a file, in file order.
pub struct Read {
    pub name: String,
    /// The value, or why the dialect's readers do not give one value for it.
    pub value: Result<Zeroizing<String>, &'static str>,
}

/// Why a whole file cannot be read.
#[derive(Debug, PartialEq, Eq)]
pub enum FileProblem {
    /// A CR without LF: a line break for dotenv, dropped inside quotes by Node's parser.
    LoneCarriageReturn,
    /// From this name on, Node's built-in parser (Vite 8) reads the file differently from
    /// dotenv: a quote inside quotes, a `:` line, a stray line, blanks other than spaces.
    BuiltinDiverges { at: String },
}

/// Reads `text` as `dialect`'s reader would. A byte-order mark at the start is dropped (npm
/// dotenv skips it as blank; python-dotenv would make it part of the first name). A name
/// given twice keeps its last value, as every reader does.
pub fn read(dialect: Dialect, text: &str) -> Result<Vec<Read>, FileProblem> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let raw: Vec<(String, Option<Zeroizing<String>>)> = match dialect {
        Dialect::Node | Dialect::Expand => {
            let lone_cr = text.replace("\r\n", "").contains('\r');
            if dialect == Dialect::Expand && lone_cr {
                return Err(FileProblem::LoneCarriageReturn);
            }
            let (bindings, diverges) = parse_node(text);
            match diverges {
                Some(at) if dialect == Dialect::Expand => {
                    return Err(FileProblem::BuiltinDiverges { at })
                }
                _ => bindings,
            }
        }
        Dialect::Python => parse_python(text),
    };
    let mut out: Vec<Read> = Vec::new();
    for (name, value) in raw {
        let value = match (dialect, value) {
            (_, None) => Err(NO_EQUALS),
            (Dialect::Node, Some(v)) => Ok(v),
            (Dialect::Expand, Some(p)) => dotenv::expand_unescape(&p).and_then(|v| {
                // what only some of the readers carry is not one value
                dotenv::expand_spelling(&v).map(|_| v)
            }),
            (Dialect::Python, Some(v)) => {
                if dotenv::has_posix_variable(v.as_bytes()) {
                    Err(PY_REFERENCE)
                } else {
                    Ok(v)
                }
            }
        };
        out.retain(|r| r.name != name);
        out.push(Read { name, value });
    }
    Ok(out)
}

const NO_EQUALS: &str = "the line has a name but no `=`, so python-dotenv gives it no value";
const PY_REFERENCE: &str =
    "python-dotenv replaces the ${…} in it with another variable's value, which depends on the build's environment";

// ---------------------------------------------------------------- node ---

/// JavaScript `\s` (WhiteSpace and LineTerminator), as a regex class.
const JS_SPACE: &str = r"[\t\n\x0B\x0C\r \x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}\x{feff}]";

/// dotenv 16.4.7 `lib/main.js` line 9, `LINE`, with `\s` spelled out as JavaScript has it and
/// `\w` as ASCII. The regex crate's leftmost-first matching is the backtracking order
/// JavaScript uses, lazy quantifiers included. JavaScript's `m` flag also ends lines at
/// U+2028/U+2029, so the regex runs on a copy where they are CR (the text has no CR of its
/// own by then) under the regex crate's CRLF mode, where `^`, `$` and `.` treat CR as a line
/// end; `[^#\r\n]` becomes `[^#\n]`, which lets the CR stand-ins through as JavaScript does.
static LINE: LazyLock<Regex> = LazyLock::new(|| {
    let s = JS_SPACE;
    Regex::new(&format!(
        r#"(?mR)^({s}*(?:export{s}+)?)([A-Za-z0-9_.-]+)({s}*={s}*?|:{s}+?)({s}*'(?:\\'|[^'])*'|{s}*"(?:\\"|[^"])*"|{s}*`(?:\\`|[^`])*`|[^#\n]+)?{s}*(?:#.*)?$"#
    ))
    .expect("LINE is a valid regex")
});

/// dotenv 16.4.7 `parse`: CRLF and CR become LF, then each `LINE` match gives a name and a
/// value that is trimmed, loses one pair of outer quotes per line (`/^(['"`])([\s\S]*)\1$/mg`)
/// and, when it began with `"`, has `\n` and `\r` turned into LF and CR.
///
/// Also returns the first name from which Node's built-in parser (Vite 8) would read the file
/// differently (see [`builtin_agrees`]).
#[allow(clippy::type_complexity)]
fn parse_node(text: &str) -> (Vec<(String, Option<Zeroizing<String>>)>, Option<String>) {
    let lines = Zeroizing::new(text.replace("\r\n", "\n").replace('\r', "\n"));
    // The copy the regex runs on, and where each of its bytes is in `lines`.
    let mut probe = Zeroizing::new(String::with_capacity(lines.len()));
    let mut at = Vec::with_capacity(lines.len() + 1);
    for (i, c) in lines.char_indices() {
        let c = if matches!(c, '\u{2028}' | '\u{2029}') {
            '\r'
        } else {
            c
        };
        at.extend(std::iter::repeat_n(i, c.len_utf8()));
        probe.push(c);
    }
    at.push(lines.len());
    let span = |m: regex::Match| (at[m.start()], at[m.end()]);
    // Node's parser takes everything up to the next `=` as the name, trimming only spaces and
    // skipping only empty lines and lines that start with `#`; it stops at a line that starts
    // with `=`, and an open quote runs over later lines. So once it sees anything else (a line
    // of blanks, an indented comment, a `NAME: value` line, blanks other than spaces before a
    // name or more than one after `export`, a value it reads differently), nothing after that
    // point can be trusted. `end` is where the previous value ended: the rest of that line is
    // its own business.
    let mut end: Option<usize> = None;
    let mut lost = false;
    let mut diverges = None;
    let bindings = LINE
        .captures_iter(&probe)
        .map(|caps| {
            let name_at = at[caps.get(2).expect("the name always matches").start()];
            let mut between = lines[end.unwrap_or(0)..name_at].split('\n');
            if end.is_some() {
                between.next();
            }
            let last = between.next_back().unwrap_or_default();
            lost |= between.any(|l| !l.is_empty() && !l.starts_with('#'));
            lost |= !matches!(last.trim_start_matches(' '), "" | "export ");
            let (sep_start, sep_end) = span(caps.get(3).expect("the separator always matches"));
            let (raw_start, raw_end) = caps.get(4).map_or((sep_end, sep_end), span);
            end = Some(raw_end);
            let name = caps[2].to_string();
            let raw = &lines[raw_start..raw_end];
            let agrees = builtin_agrees(&lines[sep_start..sep_end], raw);
            lost |= !agrees;
            if lost && diverges.is_none() {
                diverges = Some(name.clone());
            }
            let trimmed = raw.trim_matches(is_js_space);
            let double = trimmed.starts_with('"');
            let mut value = strip_quotes(trimmed);
            if double {
                value = Zeroizing::new(value.replace("\\n", "\n").replace("\\r", "\r"));
            }
            (name, Some(value))
        })
        .collect();
    (bindings, diverges)
}

/// Whether Node's `util.parseEnv` reads this spelling as dotenv does: an `=` (it has no `:`
/// form), only spaces around the value (it trims nothing else), and a quoted value that holds
/// no quote of its kind (it closes at the first one, escaped or not) and, in double quotes, no
/// `\r` (it expands only `\n`). A value that starts with a quote but is not closed by it is
/// read as unquoted by dotenv and as quoted by Node.
fn builtin_agrees(separator: &str, raw: &str) -> bool {
    let blanks_ok = |s: &str| s.chars().all(|c| c == ' ');
    let sep_ok = separator.trim_matches(' ') == "=";
    let lead = &raw[..raw.len() - raw.trim_start_matches(is_js_space).len()];
    let trail = &raw[raw.trim_end_matches(is_js_space).len()..];
    let value = raw.trim_matches(is_js_space);
    let quoted_ok = match value.chars().next() {
        Some(q @ ('\'' | '"' | '`')) => {
            let inner = value
                .strip_prefix(q)
                .and_then(|v| v.strip_suffix(q))
                .filter(|_| value.len() >= 2);
            let unread = |inner: &str| inner.contains(q) || (q == '"' && inner.contains("\\r"));
            inner.is_some_and(|inner| !unread(inner))
        }
        _ => true,
    };
    sep_ok && blanks_ok(lead) && blanks_ok(trail) && quoted_ok
}

/// `value.replace(/^(['"`])([\s\S]*)\1$/mg, '$2')` on a value without CR: from each line
/// start (after LF, U+2028 or U+2029), a quote and the last same quote that ends a line.
fn strip_quotes(v: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(v.len()));
    let mut rest = v;
    let mut at_line_start = true;
    while let Some(c) = rest.chars().next() {
        if at_line_start && matches!(c, '\'' | '"' | '`') {
            let body = &rest[1..];
            let close = body
                .char_indices()
                .filter(|&(i, ch)| {
                    ch == c
                        && matches!(
                            body[i + 1..].chars().next(),
                            None | Some('\n' | '\u{2028}' | '\u{2029}')
                        )
                })
                .map(|(i, _)| i)
                .next_back();
            if let Some(end) = close {
                out.push_str(&body[..end]);
                rest = &body[end + 1..];
                at_line_start = false;
                continue;
            }
        }
        out.push(c);
        at_line_start = matches!(c, '\n' | '\u{2028}' | '\u{2029}');
        rest = &rest[c.len_utf8()..];
    }
    out
}

// -------------------------------------------------------------- python ---

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
fn parse_python(text: &str) -> Vec<(String, Option<Zeroizing<String>>)> {
    let text = Zeroizing::new(text.replace("\r\n", "\n").replace('\r', "\n"));
    let mut cur = Cursor {
        text: &text,
        pos: 0,
    };
    let mut out = Vec::new();
    while cur.pos < text.len() {
        match python_binding(&mut cur) {
            Some(Some(binding)) => out.push(binding),
            Some(None) => {}
            // python-dotenv skips the rest of the line from where parsing failed (and warns)
            None => cur.skip_line(),
        }
    }
    out
}

/// One binding: `Some(Some(..))` a name (with or without a value), `Some(None)` a blank or
/// comment line, `None` a line python-dotenv cannot parse.
#[allow(clippy::type_complexity)]
fn python_binding(cur: &mut Cursor) -> Option<Option<(String, Option<Zeroizing<String>>)>> {
    cur.skip_while(is_py_space);
    if cur.peek().is_none() {
        return Some(None);
    }
    // `(?:export[^\S\r\n]+)?`
    if let Some(after) = cur.rest().strip_prefix("export") {
        let blanks = after.chars().take_while(|&c| is_py_blank(c)).count();
        if blanks > 0 {
            let len: usize = after.chars().take(blanks).map(char::len_utf8).sum();
            cur.pos += "export".len() + len;
        }
    }
    let name = match cur.peek() {
        Some('#') => None,
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
    };
    cur.skip_while(is_py_blank);
    let value = if cur.peek() == Some('=') {
        cur.pos += 1;
        let blanks = cur.skip_while(is_py_blank);
        Some(match cur.peek() {
            // `KEY= # comment` is empty; `KEY=#x` is `#x`
            Some('#') if !blanks.is_empty() => Zeroizing::new(String::new()),
            Some(q @ ('\'' | '"')) => decode_escapes(cur.quoted(q)?, q == '"'),
            None | Some('\n') => Zeroizing::new(String::new()),
            Some(_) => {
                let part = cur.skip_while(|c| c != '\n');
                // re.sub(r"\s+#.*", "", part).rstrip()
                let mut cut = part.len();
                for (i, c) in part.char_indices() {
                    if c == '#' && part[..i].ends_with(is_py_space) {
                        cut = part[..i].trim_end_matches(is_py_space).len();
                        break;
                    }
                }
                Zeroizing::new(part[..cut].trim_end_matches(is_py_space).to_string())
            }
        })
    } else {
        None
    };
    // `_comment` then `_end_of_line`
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
    Some(name.map(|n| (n, value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(dialect: Dialect, text: &str) -> Vec<(String, Result<String, &'static str>)> {
        read(dialect, text)
            .unwrap()
            .into_iter()
            .map(|r| (r.name, r.value.map(|v| v.to_string())))
            .collect()
    }

    fn one(dialect: Dialect, text: &str) -> Result<String, &'static str> {
        let mut v = values(dialect, text);
        assert_eq!(v.len(), 1, "{text:?}: {v:?}");
        v.pop().unwrap().1
    }

    #[test]
    fn node_reads_like_dotenv() {
        let n = |t| one(Dialect::Node, t).unwrap();
        assert_eq!(n("A=plain"), "plain");
        assert_eq!(n("export A = spaced  # comment"), "spaced");
        assert_eq!(n("A='single # kept'"), "single # kept");
        assert_eq!(n("A=\"a\\nb\""), "a\nb");
        assert_eq!(n("A='a\\nb'"), "a\\nb");
        assert_eq!(n("A=`it's`"), "it's");
        assert_eq!(n("A=\"multi\nline\"\n"), "multi\nline");
        assert_eq!(n("A=x\\"), "x\\");
        assert_eq!(n("A: yaml"), "yaml");
        assert_eq!(n("\u{feff}A=bom"), "bom");
        assert_eq!(n("A=crlf\r\n"), "crlf");
        assert_eq!(n("A="), "");
        let v = values(Dialect::Node, "# c\nA=1\n\nB='2'\r\nA=3\n");
        assert_eq!(
            v,
            vec![("B".into(), Ok("2".into())), ("A".into(), Ok("3".into()))]
        );
    }

    #[test]
    fn expand_reads_what_every_version_agrees_on() {
        let e = |t| one(Dialect::Expand, t);
        assert_eq!(e("A='p\\$ss'").unwrap(), "p$ss");
        assert_eq!(e("A='$(cmd) $ x'").unwrap(), "$(cmd) $ x");
        assert_eq!(e("A='\\\\$(x)'").unwrap(), "\\$(x)");
        assert_eq!(e("A=$HOME"), Err(dotenv::READ_REFERENCE));
        assert_eq!(e("A=${X:-d}"), Err(dotenv::READ_REFERENCE));
        assert_eq!(e("A='${ x}'"), Err(dotenv::READ_REFERENCE));
        assert_eq!(e("A='\\\\$X'"), Err(dotenv::READ_DISAGREE));
        // Node's parser (Vite 8) drops the CR that dotenv keeps
        let diverges = |t| read(Dialect::Expand, t).err();
        let at_a = Some(FileProblem::BuiltinDiverges { at: "A".into() });
        assert_eq!(diverges("A=\"a\\rb\""), at_a);
        assert_eq!(e("A='a\u{2028}b'").unwrap(), "a\u{2028}b");
        assert_eq!(
            read(Dialect::Expand, "A=a\rB=b").err(),
            Some(FileProblem::LoneCarriageReturn)
        );
        assert_eq!(diverges("A='it\\'s'"), at_a);
        assert_eq!(diverges("A: yaml"), at_a);
        assert_eq!(diverges("A=\ttab"), at_a);
        assert_eq!(diverges("A='unclosed"), at_a);
        assert_eq!(e("export A = 'ok' # c\r\n").unwrap(), "ok");
        // a stray line makes everything after it unreliable, and names where that starts
        assert_eq!(
            diverges("A=1\n  \nB=2\nC=3\n"),
            Some(FileProblem::BuiltinDiverges { at: "B".into() })
        );
    }

    #[test]
    fn python_reads_like_python_dotenv() {
        let p = |t| one(Dialect::Python, t).unwrap();
        assert_eq!(p("A=plain # comment"), "plain");
        assert_eq!(p("A=a#b"), "a#b");
        assert_eq!(p("export A='it\\'s'"), "it's");
        assert_eq!(p("A=\"tab\\there\\\\ \\\"q\\\"\""), "tab\there\\ \"q\"");
        assert_eq!(p("A=\"multi\nline\""), "multi\nline");
        assert_eq!(p("A=$NOT_EXPANDED"), "$NOT_EXPANDED");
        assert_eq!(one(Dialect::Python, "A=${X}"), Err(PY_REFERENCE));
        assert_eq!(one(Dialect::Python, "A"), Err(NO_EQUALS));
        let v = values(Dialect::Python, "# c\n\nA=1\nbad line here\nB=2\n");
        assert_eq!(
            v,
            vec![("A".into(), Ok("1".into())), ("B".into(), Ok("2".into()))]
        );
    }
}
