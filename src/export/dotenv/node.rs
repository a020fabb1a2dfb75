//! npm `dotenv` 16.4.7: how a value is spelled for it (the expand dialect starts from the same
//! spellings, since its readers parse with dotenv first) and how it reads a file back.

use std::sync::LazyLock;

use regex::Regex;
use zeroize::Zeroizing;

use super::is_plain;
use crate::export::Buf;

/// How a value is spelled for npm `dotenv` 16.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NodeForm {
    /// `NAME=value`
    Unquoted,
    /// `NAME=<q>value<q>` with `q` one of `'`, `"`, `` ` ``; inside `"` a CR
    /// is written `\r` and a LF `\n`.
    Quoted(u8),
}

const REASON_CR: &str = "a carriage return survives dotenv only as \\r inside double quotes, which this value rules out with a literal \\n or \\r, or with a # or U+2028 next to a double quote or a trailing backslash";
const REASON_QUOTES: &str = "dotenv has no escapes, and this value's mix of quote characters, #, line breaks, outer spaces and a trailing backslash fits none of its quoting forms";

/// JavaScript `\s`, which is also what `String.prototype.trim` strips:
/// WhiteSpace (TAB, VT, FF, SP, U+FEFF, category Zs) and LineTerminator.
pub(crate) fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// Does `v` hold a `q` that is not right after a backslash?
fn has_bare(v: &str, q: u8) -> bool {
    let b = v.as_bytes();
    b.iter()
        .enumerate()
        .any(|(i, &c)| c == q && (i == 0 || b[i - 1] != b'\\'))
}

/// Can `v` be written as `q v q`? (For `"`, CR and LF become `\r`/`\n`; the
/// checks below are the same on the encoded text.)
///
/// The `LINE` regex of dotenv 16.4.7 `lib/main.js` line 9 tries, for the
/// value, `\s*'(?:\\'|[^'])*'` (same for `"` and `` ` ``) before the
/// unquoted `[^#\r\n]+`; `parse` then trims and strips one pair of outer
/// quotes with `/^(['"`])([\s\S]*)\1$/mg` (line 35) and, only when the value
/// began with `"`, turns `\n`/`\r` text into LF/CR (lines 38-41). The file
/// was normalised with `/\r\n?/mg -> \n` first (line 20). Two ways work:
///
/// * the quoted alternative matches: every `q` inside is right after a
///   backslash (kept as is) and the value does not end in a backslash (which
///   would make `\q` eat the closing quote and run into later lines);
/// * the quoted alternative cannot match, because a bare `q` inside is never
///   followed by an end of line: then the unquoted alternative takes the
///   whole line, `trim` keeps everything between the outer quotes, and the
///   strip removes them. That needs no `#`, no line break and no
///   U+2028/U+2029 (line terminators for `$` with the `m` flag).
pub(super) fn fits_quoted(v: &str, q: u8) -> bool {
    let has_cr = v.contains('\r');
    if q == b'"' {
        if v.contains("\\n") || v.contains("\\r") {
            return false;
        }
    } else if has_cr {
        return false;
    }
    if !has_bare(v, q) {
        return !v.ends_with('\\');
    }
    let lf_ok = q == b'"' || !v.contains('\n');
    lf_ok && !v.contains('#') && !quote_ends_line(v, q)
}

/// Can the quoted alternative close at a `q` inside `v`? It can reach the
/// `q`s up to the first bare one (escaped ones by backtracking), and closes
/// if one is followed by `\s*(?:#.*)?$`; with no `#` and no line break in
/// the line, that means blanks up to a U+2028/U+2029 (line terminators for
/// `$` under the `m` flag).
fn quote_ends_line(v: &str, q: u8) -> bool {
    let b = v.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c != q {
            continue;
        }
        let ends = v[i + 1..]
            .chars()
            .take_while(|&c| is_js_space(c) && c != '\r' && c != '\n')
            .any(|c| c == '\u{2028}' || c == '\u{2029}');
        if ends {
            return true;
        }
        if i == 0 || b[i - 1] != b'\\' {
            return false; // first bare q: nothing after it is reachable
        }
    }
    false
}

/// Would `/^(['"`])([\s\S]*)\1$/mg` (dotenv `parse`, quote stripping) match
/// inside an unquoted value? With the `m` flag a line starts at 0 and after
/// U+2028/U+2029, and ends before them or at the end.
fn strip_applies(v: &str) -> bool {
    let b: Vec<(usize, char)> = v.char_indices().collect();
    let is_sep = |c: char| matches!(c, '\u{2028}' | '\u{2029}');
    (0..b.len()).any(|s| {
        let starts_line = s == 0 || is_sep(b[s - 1].1);
        let q = b[s].1;
        starts_line
            && matches!(q, '\'' | '"' | '`')
            && (s + 1..b.len()).any(|j| b[j].1 == q && (j + 1 == b.len() || is_sep(b[j + 1].1)))
    })
}

/// Unquoted: `[^#\r\n]+` then `value.trim()`: no `#`, no line break, no
/// blank at either end, and the quote-stripping regex must not apply.
///
/// A value may even start with a quote `q` if the quoted alternative cannot
/// match it: a bare `q` further on stops it and no reachable `q` ends the
/// line. A leading `"` also turns `\n`/`\r` text into LF/CR.
pub(super) fn fits_unquoted(v: &str) -> bool {
    let Some(first) = v.chars().next() else {
        return false;
    };
    let last = v.chars().next_back().unwrap_or(first);
    if is_js_space(first) || is_js_space(last) || v.contains(['#', '\n', '\r']) || strip_applies(v)
    {
        return false;
    }
    if !matches!(first, '\'' | '"' | '`') {
        return true;
    }
    let rest = &v[1..];
    let q = first as u8;
    has_bare(rest, q)
        && !quote_ends_line(rest, q)
        && !(first == '"' && (v.contains("\\n") || v.contains("\\r")))
}

pub(crate) fn node_form(v: &str) -> Result<NodeForm, &'static str> {
    if is_plain(v) {
        return Ok(NodeForm::Unquoted);
    }
    // Prefer a quote that does not occur in the value, then the unquoted
    // form, then a quote that does occur (second way above).
    for q in [b'\'', b'"', b'`'] {
        if !has_bare(v, q) && fits_quoted(v, q) {
            return Ok(NodeForm::Quoted(q));
        }
    }
    if fits_unquoted(v) {
        return Ok(NodeForm::Unquoted);
    }
    for q in [b'\'', b'"', b'`'] {
        if fits_quoted(v, q) {
            return Ok(NodeForm::Quoted(q));
        }
    }
    Err(if v.contains('\r') {
        REASON_CR
    } else {
        REASON_QUOTES
    })
}

pub(super) fn write(name: &str, v: &str, out: &mut Buf) -> Result<(), &'static str> {
    let form = node_form(v)?;
    write_form(name, v, form, out);
    Ok(())
}

pub(super) fn write_form(name: &str, v: &str, form: NodeForm, out: &mut Buf) {
    out.push_str(name);
    out.push('=');
    match form {
        NodeForm::Unquoted => out.push_str(v),
        NodeForm::Quoted(b'"') => {
            out.push('"');
            for c in v.chars() {
                match c {
                    '\r' => out.push_str("\\r"),
                    '\n' => out.push_str("\\n"),
                    _ => out.push(c),
                }
            }
            out.push('"');
        }
        NodeForm::Quoted(q) => {
            out.push(q as char);
            out.push_str(v);
            out.push(q as char);
        }
    }
    out.push('\n');
}

// ------------------------------------------------------------- reading ---

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
pub(in crate::export) fn parse_node(
    text: &str,
) -> (Vec<(String, Option<Zeroizing<String>>)>, Option<String>) {
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

#[cfg(test)]
mod tests {
    use super::super::render1;
    use crate::export::Dialect;

    #[test]
    fn node_quoting_choices() {
        let r = |v| render1(Dialect::Node, v).unwrap();
        assert_eq!(r("abc"), "K=abc\n");
        assert_eq!(r(""), "K=''\n");
        assert_eq!(r(" a b "), "K=' a b '\n");
        assert_eq!(r("a#b"), "K='a#b'\n");
        assert_eq!(r("it's"), "K=\"it's\"\n");
        assert_eq!(r("it's \\n"), "K=`it's \\n`\n");
        assert_eq!(r("a\r\nb"), "K=\"a\\r\\nb\"\n");
        assert_eq!(r("x\\"), "K=x\\\n");
        assert_eq!(r("x'\"`"), "K=x'\"`\n");
        assert_eq!(r("a\\'b #"), "K='a\\'b #'\n");
        // the quoted alternative fails on the bare quote inside, the unquoted
        // one takes the line and the outer quotes are stripped
        assert_eq!(r("'\"`"), "K=''\"`'\n");
        assert_eq!(r(" '\"` \\"), "K=' '\"` \\'\n");
        assert_eq!(r("'\"`\n"), "K=\"'\"`\\n\"\n");
        assert_eq!(r("'\"`\r"), "K=\"'\"`\\r\"\n");
        assert_eq!(r("'\"`\u{2028}"), "K=''\"`\u{2028}'\n");
    }

    #[test]
    fn node_refusals() {
        for v in [
            "'\"` #",
            "' \u{2028}\" \u{2028}` \u{2028}",
            "a\rb\\n",
            "a\r\\#\"",
            "'\"`\n\\n",
        ] {
            let e = render1(Dialect::Node, v).unwrap_err().line();
            assert!(
                e.starts_with("K cannot be written losslessly for the node dialect"),
                "{e}"
            );
            assert!(e.contains("--format shell"), "{e}");
        }
        let e = render1(Dialect::Node, "a\rb\\n").unwrap_err().line();
        assert!(e.contains("the python dialect"), "{e}");
    }
}
