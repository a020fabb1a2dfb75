//! npm `dotenv-expand` 11, 12 and 13 after dotenv (Taro, Vite 5-8): one spelling that every
//! version in use gives back unchanged, and the value they all agree on when reading.

use std::collections::HashMap;

use zeroize::Zeroizing;

use super::is_plain;
use super::node::{fits_quoted, fits_unquoted, write_form, NodeForm};
use crate::export::Buf;

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

pub(super) fn write(name: &str, v: &str, out: &mut Buf) -> Result<(), &'static str> {
    let (p, form) = expand_spelling(v)?;
    write_form(name, &p, form, out);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::render1;
    use super::*;
    use crate::export::Dialect;

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
}
