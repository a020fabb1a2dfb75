//! Models of the readers the writers write for, so round trips can be checked in-process by
//! property tests and fuzzing (`tests/roundtrip.rs`, `fuzz/`); `tests/export_interop.rs`
//! checks the same writers against the real readers. Each model follows its reader's source:
//!
//! * npm `dotenv` 16.4.7 `parse`: the `LINE` regex, searched globally, with JavaScript's
//!   backtracking order, then `trim`, the quote-stripping regex and `\n`/`\r` in `"`;
//! * npm `dotenv-expand` 11.0.7 `expand` with an empty `process.env`: a value the writer left
//!   open to substitution is reported as an error rather than guessed at;
//! * `python-dotenv` 1.x `parse_stream` and `dotenv_values` (universal newlines; a value it
//!   would interpolate is reported as an error);
//! * POSIX `sh` for the `export NAME='…'` lines the shell writer uses;
//! * the GitHub Actions runner's `$GITHUB_ENV` reader (`FileCommandManager.cs`).
//!
//! Each returns the bindings in file order (a later binding of a name wins, as in the reader).

use super::dotenv::{has_posix_variable, is_js_space, Matcher};

pub type Bindings = Vec<(String, String)>;

/// Where JavaScript's multiline `^`/`$` and `.` stop.
fn js_terminator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

/// npm `dotenv` 16.4.7 `parse`.
pub fn dotenv_node(text: &str) -> Bindings {
    let src: Vec<char> = text
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .collect();
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some((end, key, raw)) = (pos..=src.len()).find_map(|p| line_match(&src, p)) {
        out.push((key, node_value(&raw)));
        pos = end;
    }
    out
}

/// `LINE` at `p`: the end of the match, the key, and the raw value group.
fn line_match(s: &[char], p: usize) -> Option<(usize, String, String)> {
    if p > 0 && !js_terminator(s[p - 1]) {
        return None;
    }
    let n = s.len();
    let skip = |mut i: usize| {
        while i < n && is_js_space(s[i]) {
            i += 1;
        }
        i
    };
    let q = skip(p);
    for with_export in [true, false] {
        let mut r = q;
        if with_export {
            if !s[r..].starts_with(&['e', 'x', 'p', 'o', 'r', 't']) {
                continue;
            }
            r = skip(r + 6);
            if r == q + 6 {
                continue;
            }
        }
        let k0 = r;
        while r < n && (s[r].is_ascii_alphanumeric() || matches!(s[r], '_' | '.' | '-')) {
            r += 1;
        }
        if r == k0 {
            continue;
        }
        // `\s*=\s*?` (lazy after `=`), then `:\s+?`: value starts in the order tried.
        let mut starts = Vec::new();
        let a = skip(r);
        if a < n && s[a] == '=' {
            starts.extend(a + 1..=skip(a + 1));
        }
        if r < n && s[r] == ':' {
            starts.extend(r + 2..=skip(r + 1));
        }
        for vs in starts {
            for ge in value_ends(s, vs) {
                if let Some(end) = line_tail(s, ge.unwrap_or(vs)) {
                    let raw = ge.map(|ge| s[vs..ge].iter().collect()).unwrap_or_default();
                    return Some((end, s[k0..r].iter().collect(), raw));
                }
            }
        }
    }
    None
}

/// Ends of the optional value group from `vs`, in backtracking order; `None` skips it.
fn value_ends(s: &[char], vs: usize) -> Vec<Option<usize>> {
    let n = s.len();
    let mut ends = Vec::new();
    for q in ['\'', '"', '`'] {
        let mut a = vs;
        while a < n && is_js_space(s[a]) {
            a += 1;
        }
        if a >= n || s[a] != q {
            continue;
        }
        // `(?:\\q|[^q])*q`: the greedy path, then each `\q` taken as `\` and a closing `q`.
        let mut i = a + 1;
        let mut escapes = Vec::new();
        loop {
            if i + 1 < n && s[i] == '\\' && s[i + 1] == q {
                escapes.push(i + 1);
                i += 2;
            } else if i < n && s[i] != q {
                i += 1;
            } else {
                break;
            }
        }
        if i < n {
            ends.push(Some(i + 1));
        }
        ends.extend(escapes.iter().rev().map(|e| Some(e + 1)));
    }
    let mut e = vs;
    while e < n && !matches!(s[e], '#' | '\r' | '\n') {
        e += 1;
    }
    ends.extend((vs + 1..=e).rev().map(Some));
    ends.push(None);
    ends
}

/// `\s*(?:#.*)?(?:$|$)` from `t`: where the match ends, if it does.
fn line_tail(s: &[char], t: usize) -> Option<usize> {
    let n = s.len();
    let mut w = t;
    while w < n && is_js_space(s[w]) {
        w += 1;
    }
    (t..=w).rev().find_map(|x| {
        if x < n && s[x] == '#' {
            let mut y = x + 1;
            while y < n && !js_terminator(s[y]) {
                y += 1;
            }
            return Some(y);
        }
        (x == n || js_terminator(s[x])).then_some(x)
    })
}

fn node_value(raw: &str) -> String {
    let trimmed = raw.trim_matches(is_js_space);
    let double = trimmed.starts_with('"');
    // value.replace(/^(['"`])([\s\S]*)\1$/mg, '$2')
    let s: Vec<char> = trimmed.chars().collect();
    let n = s.len();
    let mut value = String::new();
    let mut p = 0;
    while p < n {
        if (p == 0 || js_terminator(s[p - 1])) && matches!(s[p], '\'' | '"' | '`') {
            let q = s[p];
            if let Some(e) = (p + 1..n)
                .rev()
                .find(|&e| s[e] == q && (e + 1 == n || js_terminator(s[e + 1])))
            {
                value.extend(&s[p + 1..e]);
                p = e + 1;
                continue;
            }
        }
        value.push(s[p]);
        p += 1;
    }
    if double {
        value = value.replace("\\n", "\n").replace("\\r", "\r");
    }
    value
}

/// npm `dotenv` then `dotenv-expand` 11.0.7 with an empty `process.env`. Errors name a value
/// that would be substituted (the writer must escape every substitution).
pub fn dotenv_expand(text: &str) -> Result<Bindings, String> {
    dotenv_node(text)
        .into_iter()
        .map(|(key, value)| {
            let s = value.as_bytes();
            let mut m = Matcher::new(s);
            let mut out = Vec::with_capacity(s.len());
            let mut i = 0;
            while i < s.len() {
                if s[i] == b'\\' && s.get(i + 1) == Some(&b'$') && m.substitutable(i + 1) {
                    // An escaped match: `match.slice(1)`, nothing inside it looked at again.
                    let end = m.match_end(i + 1);
                    out.extend_from_slice(&s[i + 1..end]);
                    i = end;
                } else if s[i] == b'$' && m.substitutable(i) {
                    return Err(format!("{key} would be substituted by dotenv-expand"));
                } else {
                    out.push(s[i]);
                    i += 1;
                }
            }
            // `_resolveEscapeSequences`; only ASCII was removed between whole characters.
            let text = String::from_utf8(out).map_err(|_| format!("{key}: broken UTF-8"))?;
            Ok((key, text.replace("\\$", "$")))
        })
        .collect()
}

/// Python's `\s` (`str.isspace`): Rust's White_Space plus the information separators.
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// `[^\S\r\n]`.
fn py_blank(c: char) -> bool {
    py_space(c) && c != '\r' && c != '\n'
}

/// `python-dotenv` `dotenv_values` (interpolation on). Errors name a value that would be
/// interpolated, or a line it would reject.
pub fn dotenv_python(text: &str) -> Result<Bindings, String> {
    // The file is read in text mode: universal newlines.
    let s: Vec<char> = text
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .collect();
    let n = s.len();
    let mut out = Vec::new();
    let mut i = 0;
    let blanks = |mut i: usize| {
        while i < n && py_blank(s[i]) {
            i += 1;
        }
        i
    };
    loop {
        while i < n && py_space(s[i]) {
            i += 1;
        }
        if i >= n {
            return Ok(out);
        }
        let rest_of_line = |i: usize| {
            s[i..]
                .iter()
                .position(|&c| c == '\n')
                .map_or(n, |k| i + k + 1)
        };
        if s[i] == '#' {
            i = rest_of_line(i);
            continue;
        }
        let line = i;
        if s[i..].starts_with(&['e', 'x', 'p', 'o', 'r', 't']) && blanks(i + 6) > i + 6 {
            i = blanks(i + 6);
        }
        let k0 = i;
        while i < n && !(s[i] == '=' || s[i] == '#' || py_space(s[i])) {
            i += 1;
        }
        if i == k0 {
            return Err(format!("line at {line} has no key"));
        }
        let key: String = s[k0..i].iter().collect();
        i = blanks(i);
        if i >= n || s[i] != '=' {
            return Err(format!("{key} has no '='"));
        }
        i = blanks(i + 1);
        let value = match s.get(i) {
            Some(&q @ ('"' | '\'')) => {
                let mut j = i + 1;
                let mut raw = String::new();
                while j < n && s[j] != q {
                    if s[j] == '\\' && j + 1 < n {
                        raw.push(s[j]);
                        j += 1;
                    }
                    raw.push(s[j]);
                    j += 1;
                }
                if j >= n {
                    return Err(format!("{key}: unterminated quote"));
                }
                i = j + 1;
                py_unescape(&raw, q == '"')
            }
            None | Some('\n') => String::new(),
            Some(_) => {
                let end = s[i..].iter().position(|&c| c == '\n').map_or(n, |k| i + k);
                let part: Vec<char> = s[i..end].to_vec();
                i = end;
                // re.sub(r"\s+#.*", "", part).rstrip()
                let cut = (0..part.len())
                    .find(|&a| {
                        py_space(part[a]) && {
                            let mut b = a;
                            while b < part.len() && py_space(part[b]) {
                                b += 1;
                            }
                            b < part.len() && part[b] == '#'
                        }
                    })
                    .unwrap_or(part.len());
                part[..cut]
                    .iter()
                    .collect::<String>()
                    .trim_end_matches(py_space)
                    .to_string()
            }
        };
        // _comment, then _end_of_line
        i = blanks(i);
        if i < n && s[i] == '#' {
            while i < n && s[i] != '\n' {
                i += 1;
            }
        }
        if i < n && s[i] != '\n' {
            return Err(format!("{key}: text after the value"));
        }
        i = (i + 1).min(n);
        if has_posix_variable(value.as_bytes()) {
            return Err(format!("{key} would be interpolated by python-dotenv"));
        }
        out.push((key, value));
    }
}

/// `decode_escapes` of python-dotenv: `\\[\\'"abfnrtv]` in double quotes, `\\[\\']` in single.
fn py_unescape(raw: &str, double: bool) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let decoded = match chars.peek() {
            Some('\\') => Some('\\'),
            Some('\'') => Some('\''),
            Some('"') if double => Some('"'),
            Some('a') if double => Some('\u{7}'),
            Some('b') if double => Some('\u{8}'),
            Some('f') if double => Some('\u{c}'),
            Some('n') if double => Some('\n'),
            Some('r') if double => Some('\r'),
            Some('t') if double => Some('\t'),
            Some('v') if double => Some('\u{b}'),
            _ => None,
        };
        match decoded {
            Some(d) => {
                chars.next();
                out.push(d);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// POSIX `sh` for what the shell writer writes: comment lines and `export NAME=WORD` lines,
/// a word made of `'…'` runs and backslash-escaped characters.
pub fn shell(text: &str) -> Result<Bindings, String> {
    let s: Vec<char> = text.chars().collect();
    let n = s.len();
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        if s[i] == '\n' {
            i += 1;
            continue;
        }
        if s[i] == '#' {
            while i < n && s[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if !s[i..].starts_with(&['e', 'x', 'p', 'o', 'r', 't', ' ']) {
            return Err(format!("unexpected text at {i}"));
        }
        i += 7;
        let k0 = i;
        while i < n && (s[i].is_ascii_alphanumeric() || s[i] == '_') {
            i += 1;
        }
        let key: String = s[k0..i].iter().collect();
        if key.is_empty() || s.get(i) != Some(&'=') {
            return Err(format!("no assignment at {k0}"));
        }
        i += 1;
        let mut value = String::new();
        while i < n && s[i] != '\n' {
            match s[i] {
                '\'' => {
                    let end = s[i + 1..]
                        .iter()
                        .position(|&c| c == '\'')
                        .ok_or_else(|| format!("{key}: unterminated quote"))?;
                    value.extend(&s[i + 1..i + 1 + end]);
                    i += end + 2;
                }
                '\\' if i + 1 < n => {
                    if s[i + 1] != '\n' {
                        value.push(s[i + 1]);
                    }
                    i += 2;
                }
                c if " \t;&|<>()$`\"".contains(c) => {
                    return Err(format!("{key}: unquoted {c:?}"));
                }
                c => {
                    value.push(c);
                    i += 1;
                }
            }
        }
        out.push((key, value));
    }
    Ok(out)
}

/// The GitHub Actions runner's `$GITHUB_ENV` reader (lines end at `\n`).
pub fn github(text: &str) -> Result<Bindings, String> {
    let mut lines = text.split_inclusive('\n');
    let mut out = Vec::new();
    while let Some(line) = lines.next() {
        let line = line.strip_suffix('\n').unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        match (line.find('='), line.find("<<")) {
            (Some(e), h) if h.is_none_or(|h| e < h) => {
                out.push((line[..e].to_string(), line[e + 1..].to_string()));
            }
            (_, Some(h)) => {
                let delim = &line[h + 2..];
                let mut body: Vec<&str> = Vec::new();
                loop {
                    let l = lines
                        .next()
                        .ok_or_else(|| format!("delimiter {delim} not found"))?;
                    let (l, newline) = match l.strip_suffix('\n') {
                        Some(l) => (l, true),
                        None => (l, false),
                    };
                    if l == delim {
                        break;
                    }
                    if !newline {
                        return Err("EOF marker missing new line".into());
                    }
                    body.push(l);
                }
                out.push((line[..h].to_string(), body.join("\n")));
            }
            _ => return Err(format!("invalid line {line:?}")),
        }
    }
    Ok(out)
}

/// `JSON.parse` of the json writer's object.
pub fn json(text: &str) -> Result<Bindings, String> {
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(text).map_err(|e| e.to_string())?;
    map.into_iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => Ok((k, s)),
            _ => Err(format!("{k} is not a string")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(b: Bindings) -> String {
        assert_eq!(b.len(), 1, "{b:?}");
        b.into_iter().next().unwrap().1
    }

    #[test]
    fn node_model_follows_dotenv() {
        assert_eq!(one(dotenv_node("A=plain # comment\n")), "plain");
        assert_eq!(one(dotenv_node("A='x' # c\n")), "x");
        assert_eq!(one(dotenv_node("A=\"a\\nb\"\n")), "a\nb");
        assert_eq!(one(dotenv_node("A='a\nb'\n")), "a\nb");
        assert_eq!(one(dotenv_node("A=`it's \"q\"`\n")), "it's \"q\"");
        assert_eq!(one(dotenv_node("export A=1")), "1");
        assert_eq!(one(dotenv_node("A:  v")), "v");
        assert_eq!(dotenv_node("# only\n\nA=1\nB=2\n").len(), 2);
        // An unclosed quote is read as an unquoted value.
        assert_eq!(one(dotenv_node("A='x\n")), "'x");
    }

    #[test]
    fn expand_model_undoes_escapes_and_reports_substitutions() {
        assert_eq!(dotenv_expand("A=\\$HOME\n").unwrap()[0].1, "$HOME");
        assert_eq!(dotenv_expand("A=a$(b)\n").unwrap()[0].1, "a$(b)");
        assert!(dotenv_expand("A=$HOME\n").is_err());
    }

    #[test]
    fn python_model_follows_python_dotenv() {
        assert_eq!(
            one(dotenv_python("A=\"a\\\\b\\\"c\\r\"\n").unwrap()),
            "a\\b\"c\r"
        );
        assert_eq!(one(dotenv_python("A=v  # c\n").unwrap()), "v");
        assert_eq!(one(dotenv_python("A='x\\n'").unwrap()), "x\\n");
        assert!(dotenv_python("A=${B}\n").is_err());
    }

    #[test]
    fn shell_and_github_models() {
        assert_eq!(one(shell("# h\nexport A='it'\\''s'\n").unwrap()), "it's");
        assert_eq!(one(github("A<<EOF\nx\n\nEOF\n").unwrap()), "x\n");
        assert!(github("A<<EOF\nx").is_err());
    }
}
