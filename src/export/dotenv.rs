//! dotenv writers for three readers. See the comments on each rule for the
//! reader source it follows:
//!
//! * npm `dotenv` 16.4.7 `lib/main.js` (`LINE` regex and `parse`),
//! * npm `dotenv-expand` 11.0.7 `lib/main.js` (`DOTENV_SUBSTITUTION_REGEX`,
//!   `interpolate`, `_resolveEscapeSequences`) and 12.0.3 / 13.0.0 (the same
//!   `lib/main.js` in both: `expandValue`'s `(?<!\\)` regex),
//! * Node's built-in `util.parseEnv` (`src/node_dotenv.cc`), which Vite 8's
//!   `loadEnv` parses with before its bundled dotenv-expand 13,
//! * `python-dotenv` 1.2.4 `dotenv/parser.py` and `dotenv/variables.py`.
//!
//! Summary of what each dialect refuses (everything else is written):
//!
//! * node: dotenv has no escapes except `\n`/`\r` inside double quotes, and
//!   turns every CR/CRLF of the file into LF. A value is refused when no
//!   spelling survives: a CR together with literal `\n`/`\r` text (or with a
//!   `#`/U+2028 next to a bare `"` or a trailing backslash), or a mix of all
//!   three quote characters with `#`, line breaks, outer blanks or a
//!   trailing backslash that fits no quoting form (see [`node_form`]).
//! * expand: written for every reader in use at once (dotenv 16/17 with
//!   dotenv-expand 11, 12 and 13, Vite 5 and Vite 8), so it refuses what any
//!   of them cannot carry: a `$NAME`/`${NAME` after a backslash (11 and 12+
//!   unescape it differently, see [`expand_escape`]), a carriage return (Node's
//!   parser drops it in every quoting), and quote mixes that have no spelling
//!   both dotenv and Node's parser read the same (see [`expand_form`]).
//! * python: any `${...}` that python-dotenv's `_posix_variable` matches,
//!   since it is interpolated after unescaping, in every quoting; CR, quotes
//!   and backslashes are all escapable inside double quotes.

use std::collections::HashMap;

use secrecy::ExposeSecret;
use zeroize::Zeroizing;

use super::{Buf, Dialect, Entry, ExportError};

pub(super) fn render(
    dialect: Dialect,
    entries: &[Entry],
    out: &mut Buf,
) -> Result<(), ExportError> {
    out.push_str(super::header(entries));
    for e in entries {
        let value = e.value.expose_secret();
        let result = match dialect {
            Dialect::Node => write_node(&e.name, value, out),
            Dialect::Expand => write_expand(&e.name, value, out),
            Dialect::Python => write_python(&e.name, value, out),
        };
        if let Err(reason) = result {
            return Err(ExportError::Unrepresentable {
                name: e.name.clone(),
                dialect,
                reason,
                alternatives: alternatives(dialect, value),
            });
        }
    }
    Ok(())
}

/// Whether `dialect` can carry `value` losslessly (NUL aside).
pub(crate) fn can_carry(dialect: Dialect, value: &str) -> bool {
    match dialect {
        Dialect::Expand => expand_spelling(value).is_ok(),
        Dialect::Node => node_form(value).is_ok(),
        Dialect::Python => !has_posix_variable(value.as_bytes()),
    }
}

fn alternatives(refused: Dialect, value: &str) -> String {
    let mut alts: Vec<String> = [Dialect::Expand, Dialect::Node, Dialect::Python]
        .into_iter()
        .filter(|d| *d != refused && can_carry(*d, value))
        .map(|d| format!("the {d} dialect"))
        .collect();
    alts.push("--format shell".into());
    alts.push("--format json".into());
    let last = alts.pop().unwrap_or_default();
    format!("{} or {}", alts.join(", "), last)
}

/// Characters that need no quoting in any dialect (kept conservative: the
/// unquoted form is only for readability of ordinary values).
fn is_plain(v: &str) -> bool {
    !v.is_empty()
        && v.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'_' | b'-' | b'.' | b'/' | b':' | b'@' | b'+' | b',' | b'=' | b'%' | b'~'
                )
        })
}

// ---------------------------------------------------------------- node ---

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
fn fits_quoted(v: &str, q: u8) -> bool {
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
fn fits_unquoted(v: &str) -> bool {
    let first = match v.chars().next() {
        Some(c) => c,
        None => return false,
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

fn write_node(name: &str, v: &str, out: &mut Buf) -> Result<(), &'static str> {
    let form = node_form(v)?;
    write_form(name, v, form, out);
    Ok(())
}

fn write_form(name: &str, v: &str, form: NodeForm, out: &mut Buf) {
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

// -------------------------------------------------------------- expand ---

/// `[\w.]` of `DOTENV_SUBSTITUTION_REGEX` (no `u` flag: ASCII only).
fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.'
}

/// Extents of `DOTENV_SUBSTITUTION_REGEX` matches:
/// `(\\)?(\$)(?!\()(\{?)([\w.]+)(?::?-((?:\$\{(?:\$\{(?:\$\{[^}]*\}|[^}])*}|[^}])*}|[^}])+))?(\}?)`
/// A backtracking search over the nested `${...}` default, memoised.
pub(crate) struct Matcher<'a> {
    s: &'a [u8],
    memo: HashMap<(u8, usize), Vec<usize>>,
}

impl<'a> Matcher<'a> {
    pub(crate) fn new(s: &'a [u8]) -> Self {
        Matcher {
            s,
            memo: HashMap::new(),
        }
    }

    /// Ends of nesting level `level` (1..=3) `\$\{ ... \}` at `p`, in the
    /// order a backtracking engine would find them.
    fn nested_ends(&mut self, level: u8, p: usize) -> Vec<usize> {
        let s = self.s;
        if s.get(p) != Some(&b'$') || s.get(p + 1) != Some(&b'{') {
            return Vec::new();
        }
        if level >= 3 {
            return s[p + 2..]
                .iter()
                .position(|&c| c == b'}')
                .map(|k| vec![p + 2 + k + 1])
                .unwrap_or_default();
        }
        self.loop_ends(level, p + 2)
    }

    /// `(?:L(level+1)|[^}])*\}` from `pos`.
    fn loop_ends(&mut self, level: u8, pos: usize) -> Vec<usize> {
        if let Some(v) = self.memo.get(&(level, pos)) {
            return v.clone();
        }
        let s = self.s;
        let mut res: Vec<usize> = Vec::new();
        let mut q = pos;
        while q < s.len() {
            if s[q] == b'$' {
                for a in self.nested_ends(level + 1, q) {
                    for e in self.loop_ends(level, a) {
                        if !res.contains(&e) {
                            res.push(e);
                        }
                    }
                }
            }
            if s[q] == b'}' {
                if !res.contains(&(q + 1)) {
                    res.push(q + 1);
                }
                break;
            }
            q += 1;
        }
        self.memo.insert((level, pos), res.clone());
        res
    }

    /// Is the `$` at `i` followed by something the regex substitutes?
    pub(crate) fn substitutable(&self, i: usize) -> bool {
        let s = self.s;
        match s.get(i + 1) {
            Some(&b) if is_key_byte(b) => true,
            Some(b'{') => s.get(i + 2).is_some_and(|&b| is_key_byte(b)),
            _ => false,
        }
    }

    /// End of the match whose `$` is at `i` (the match must exist).
    pub(crate) fn match_end(&mut self, i: usize) -> usize {
        let s = self.s;
        let mut j = i + 1;
        if s.get(j) == Some(&b'{') && s.get(j + 1).is_some_and(|&b| is_key_byte(b)) {
            j += 1;
        }
        while j < s.len() && is_key_byte(s[j]) {
            j += 1;
        }
        let d = if s[j..].starts_with(b":-") {
            Some(j + 2)
        } else if s.get(j) == Some(&b'-') {
            Some(j + 1)
        } else {
            None
        };
        if let Some(d) = d {
            // (?:L1|[^}])+ greedy; what follows (`\}?`) always matches, so
            // the first path found is the match.
            let mut q = d;
            while q < s.len() {
                if s[q] == b'$' {
                    if let Some(&e) = self.nested_ends(1, q).first() {
                        q = e;
                        continue;
                    }
                }
                if s[q] == b'}' {
                    break;
                }
                q += 1;
            }
            if q > d {
                j = q;
            }
        }
        if s.get(j) == Some(&b'}') {
            j += 1;
        }
        j
    }
}

/// Does dotenv-expand 12/13's `expandValue` regex match at the `$` at `i`
/// when no backslash precedes it: `\$\{([^{}]+)\}` or `\$([A-Za-z_]…)`?
fn e12_matches(s: &[u8], i: usize) -> bool {
    match s.get(i + 1) {
        Some(&b) if b.is_ascii_alphabetic() || b == b'_' => true,
        Some(b'{') => {
            let rest = &s[i + 2..];
            rest.iter()
                .position(|&c| c == b'{' || c == b'}')
                .is_some_and(|k| k > 0 && rest[k] == b'}')
        }
        _ => false,
    }
}

/// Spell `x` so that dotenv-expand 11, 12 and 13 all give it back unchanged,
/// or say why no spelling does.
///
/// dotenv-expand 11: `interpolate` replaces each match of the substitution
/// regex; a match starting with `\` is escaped and becomes `match.slice(1)`
/// (one backslash dropped, and nothing inside the match, including a
/// `${...}` default, is looked at again). Afterwards
/// `_resolveEscapeSequences` drops one backslash in front of every `$`.
///
/// dotenv-expand 12 and 13: `expandValue` substitutes `${[^{}]+}` and
/// `$[A-Za-z_]\w*` unless a backslash is right before the `$`
/// (`(?<!\\)`), then the same `_resolveEscapeSequences` runs.
///
/// A sound spelling substitutes nothing in any of them (a substitution would
/// make the value depend on the build machine's environment, which Vite lets
/// win). So a `$` preceded by `m` backslashes in the value is written with:
/// * outside any 11-match, `$` followed by `[\w.]` or `{[\w.]` (which 11
///   substitutes): 1 backslash if m = 0; if m > 0, 11 needs m + 2 and 12/13
///   need m + 1, so the value is refused;
/// * any other `$`: m + 1 backslashes when m > 0; when m = 0, one if 12/13's
///   regex matches there, else none.
pub(crate) fn expand_escape(x: &str) -> Result<Zeroizing<String>, &'static str> {
    let s = x.as_bytes();
    let mut m = Matcher::new(s);
    let mut out = Zeroizing::new(Vec::with_capacity(3 * s.len() + 1));
    let mut region_end = 0usize;
    let mut i = 0usize;
    while i < s.len() {
        let run_start = i;
        while i < s.len() && s[i] == b'\\' {
            i += 1;
        }
        let bs = i - run_start;
        if i < s.len() && s[i] == b'$' {
            let inside = i < region_end;
            let subst = !inside && m.substitutable(i);
            let k = match (subst, bs) {
                (true, 0) => 1,
                (true, _) => return Err(REASON_BACKSLASH),
                (false, 0) => usize::from(e12_matches(s, i)),
                (false, n) => n + 1,
            };
            out.extend(std::iter::repeat_n(b'\\', k));
            out.push(b'$');
            if subst {
                region_end = m.match_end(i);
            }
            i += 1;
        } else {
            out.extend(std::iter::repeat_n(b'\\', bs));
            if i < s.len() {
                out.push(s[i]);
                i += 1;
            }
        }
    }
    // Only ASCII backslashes were inserted between whole characters.
    let bytes = std::mem::take(&mut *out);
    Ok(Zeroizing::new(String::from_utf8(bytes).unwrap_or_default()))
}

const REASON_BACKSLASH: &str = "dotenv-expand 11 and dotenv-expand 12/13 unescape a backslash before $NAME or ${NAME} differently, so no spelling reads back in both";
const REASON_CR_ALL: &str =
    "Node's built-in env parser, which Vite 8 uses, drops a carriage return in every spelling";
const REASON_QUOTES_ALL: &str = "this value's mix of quote characters, #, line breaks, outer spaces and a trailing backslash has no spelling that dotenv and Node's built-in env parser (Vite 8) both read back";

/// How the escaped text `p` is spelled so that npm dotenv 16/17 and Node's
/// built-in `util.parseEnv` (Vite 8) both give it back.
///
/// Node's parser (`Dotenv::ParseContent`) closes a quoted value at the first
/// quote of its kind, escaped or not, drops a carriage return inside quotes,
/// expands only `\n` in double quotes, trims only spaces and reads a value
/// that starts with a quote as quoted. So: a quoted form only with no such
/// quote in `p`, the unquoted form only when `p` does not start with a quote,
/// and never a carriage return. dotenv's own rules are [`fits_quoted`] and
/// [`fits_unquoted`].
pub(crate) fn expand_form(p: &str) -> Result<NodeForm, &'static str> {
    if p.contains('\r') {
        return Err(REASON_CR_ALL);
    }
    if is_plain(p) {
        return Ok(NodeForm::Unquoted);
    }
    for q in [b'\'', b'"', b'`'] {
        if !p.as_bytes().contains(&q) && fits_quoted(p, q) {
            return Ok(NodeForm::Quoted(q));
        }
    }
    if !p.starts_with(['\'', '"', '`']) && fits_unquoted(p) {
        return Ok(NodeForm::Unquoted);
    }
    Err(REASON_QUOTES_ALL)
}

/// The escaped text and its form, or why the value cannot be written.
pub(crate) fn expand_spelling(v: &str) -> Result<(Zeroizing<String>, NodeForm), &'static str> {
    let p = expand_escape(v)?;
    let form = expand_form(&p)?;
    Ok((p, form))
}

pub(crate) const READ_REFERENCE: &str = "it refers to another variable ($NAME or ${NAME}), so what a build reads depends on that build's environment";
pub(crate) const READ_DISAGREE: &str =
    "dotenv-expand 11 and dotenv-expand 12/13 read the backslashes before a $ in it differently";

/// The reading side of [`expand_escape`]: what dotenv-expand 11, 12 and 13 all give for the
/// parsed text `p`, or why they do not agree on one value. Text that substitutes anything is
/// refused rather than resolved, since the result depends on the reader's environment.
pub(crate) fn expand_unescape(p: &str) -> Result<Zeroizing<String>, &'static str> {
    let s = p.as_bytes();
    let mut m = Matcher::new(s);
    let mut region_end = 0usize;
    for i in 0..s.len() {
        if s[i] != b'$' {
            continue;
        }
        let after_backslash = i > 0 && s[i - 1] == b'\\';
        if !after_backslash && e12_matches(s, i) {
            return Err(READ_REFERENCE);
        }
        if i < region_end || !m.substitutable(i) {
            continue;
        }
        // 11 escapes a match only with a backslash of its own, outside the previous match
        if !after_backslash || i - 1 < region_end {
            return Err(READ_REFERENCE);
        }
        if i >= 2 && s[i - 2] == b'\\' {
            return Err(READ_DISAGREE);
        }
        region_end = m.match_end(i);
    }
    // `_resolveEscapeSequences`: one backslash before every `$` goes.
    Ok(Zeroizing::new(p.replace("\\$", "$")))
}

fn write_expand(name: &str, v: &str, out: &mut Buf) -> Result<(), &'static str> {
    let (p, form) = expand_spelling(v)?;
    write_form(name, &p, form, out);
    Ok(())
}

// -------------------------------------------------------------- python ---

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
fn write_python(name: &str, v: &str, out: &mut Buf) -> Result<(), &'static str> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn render1(d: Dialect, v: &str) -> Result<String, ExportError> {
        let mut b = Buf::with_capacity(8);
        render(d, &[Entry::new("K", v, true)], &mut b)?;
        Ok(b.as_str()
            .strip_prefix(super::super::HEADER)
            .unwrap()
            .to_string())
    }

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

    #[test]
    fn expand_escaping() {
        let esc = |v: &str| expand_escape(v).map(|p| p.to_string());
        let ok = |v: &str| esc(v).unwrap();
        assert_eq!(ok("$"), "$");
        assert_eq!(ok("a$"), "a$");
        assert_eq!(ok("$HOME"), "\\$HOME");
        assert_eq!(ok("${X}"), "\\${X}");
        assert_eq!(ok("\\$"), "\\\\$");
        assert_eq!(ok("$(cmd)"), "$(cmd)");
        assert_eq!(ok("\\$(cmd)"), "\\\\$(cmd)");
        assert_eq!(ok("$ x"), "$ x");
        // 12/13 substitute `${ x}`, which 11 leaves alone
        assert_eq!(ok("${ x}"), "\\${ x}");
        assert_eq!(ok("${}"), "${}");
        // inside an escaped match's default nothing is interpolated by 11;
        // 12/13 still need their own backslash there
        assert_eq!(ok("${A:-${B}}"), "\\${A:-\\${B}}");
        assert_eq!(ok("${A:-\\${B}}"), "\\${A:-\\\\${B}}");
        assert_eq!(ok("中$文"), "中$文");
        assert_eq!(ok("a\\"), "a\\");
        // `\$B` is inside 11's match of `$A` (its `-default`)
        assert_eq!(ok("$A-x \\$B"), "\\$A-x \\\\$B");
        // 11 needs m + 2 backslashes, 12/13 m + 1
        for v in ["\\$X", "\\\\$X", "a\\$b\\\\c", "\\${X}"] {
            assert_eq!(esc(v), Err(REASON_BACKSLASH), "{v}");
        }
    }

    #[test]
    fn expand_render() {
        let r = |v| render1(Dialect::Expand, v).unwrap();
        assert_eq!(r("abc"), "K=abc\n");
        assert_eq!(r("p$ss"), "K='p\\$ss'\n");
        assert_eq!(r("x\\"), "K=x\\\n");
        assert_eq!(r("it's \\n"), "K=`it's \\n`\n");
        let refused = |v| render1(Dialect::Expand, v).unwrap_err().line();
        assert!(refused("'\"` #").contains("Node's built-in env parser"));
        assert!(refused("a\rb").contains("drops a carriage return"));
        // dotenv alone reads a value that starts with a bare quote; Node's parser does not
        assert!(refused("'\"`").contains("both read back"));
        let e = refused("a\\$b\\\\c");
        assert!(e.starts_with("K cannot be written losslessly for the expand dialect (dotenv-expand 11 and dotenv-expand 12/13"), "{e}");
        assert!(
            e.contains("use the node dialect, the python dialect, --format shell or --format json"),
            "{e}"
        );
    }

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
