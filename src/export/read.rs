//! Models of the readers the writers write for, one API for every use:
//!
//! * [`read`]: what a dialect's real readers take out of a dotenv file, value by value, with
//!   the reason where they would not all give one value; `import` reads files with it;
//! * [`bindings`]: what the reader of any [`Format`] gives for a whole file, so round trips are
//!   checked in-process by property tests (`tests/cli/roundtrip.rs`) and fuzzing (`fuzz/`), while
//!   `tests/cli/export_interop.rs` checks the same writers and this model against the real readers.
//!
//! Each model follows its reader's source, modelled on the same sources as the writers (so
//! `export` then `import` gives the values back):
//!
//! * `node`: npm `dotenv` 16.4.7 `parse` (the `LINE` regex, trimming, quote stripping, `\n`/`\r`
//!   in double quotes);
//! * `expand`: that, then the value every dotenv-expand version (11, 12, 13) agrees on, and
//!   only values the `expand` writer can carry for every reader;
//! * `python`: `python-dotenv` 1.2.4 `parser.py` (quoting, escapes, comments), refusing the
//!   `${…}` it would interpolate;
//! * `shell`: POSIX `sh` for the `export NAME='…'` lines the shell writer uses;
//! * `github`: the GitHub Actions runner's `$GITHUB_ENV` reader (`FileCommandManager.cs`);
//! * `json`: `JSON.parse` of an object of strings.
//!
//! A value that the readers of a dialect would not all read the same way, or that depends on
//! the environment of the build that reads it, is refused with the reason; never guessed.
//! The dotenv models live with their writers in `dotenv/{node,expand,python}.rs`.

use zeroize::Zeroizing;

use super::dotenv;
use super::{Dialect, Format};

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
            let (bindings, diverges) = dotenv::parse_node(text);
            match diverges {
                Some(at) if dialect == Dialect::Expand => {
                    return Err(FileProblem::BuiltinDiverges { at })
                }
                _ => bindings,
            }
        }
        Dialect::Python => dotenv::parse_python(text),
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

/// Name and value pairs in file order.
pub type Bindings = Vec<(String, String)>;

/// Every binding the reader of `format` gives for `text`, in file order (a later binding of a
/// name replaces the earlier one), or why it does not give every value: a file problem, a
/// value its readers do not agree on, a line it rejects.
pub fn bindings(format: Format, text: &str) -> Result<Bindings, String> {
    match format {
        Format::Dotenv(dialect) => read(dialect, text)
            .map_err(|problem| format!("{problem:?}"))?
            .into_iter()
            .map(|r| match r.value {
                Ok(value) => Ok((r.name, value.to_string())),
                Err(reason) => Err(format!("{}: {reason}", r.name)),
            })
            .collect(),
        Format::Shell => shell(text),
        Format::Json => json(text),
        Format::Github => github(text),
    }
}

/// POSIX `sh` for what the shell writer writes: comment lines and `export NAME=WORD` lines,
/// a word made of `'…'` runs and backslash-escaped characters.
fn shell(text: &str) -> Result<Bindings, String> {
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
fn github(text: &str) -> Result<Bindings, String> {
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
fn json(text: &str) -> Result<Bindings, String> {
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

    fn one_binding(format: Format, text: &str) -> String {
        let b = bindings(format, text).unwrap();
        assert_eq!(b.len(), 1, "{b:?}");
        b.into_iter().next().unwrap().1
    }

    #[test]
    fn bindings_of_every_format() {
        let node = |t| one_binding(Format::Dotenv(Dialect::Node), t);
        assert_eq!(node("A='x' # c\n"), "x");
        assert_eq!(node("A='a\nb'\n"), "a\nb");
        assert_eq!(node("A=`it's \"q\"`\n"), "it's \"q\"");
        // An unclosed quote is read as an unquoted value.
        assert_eq!(node("A='x\n"), "'x");
        let expand = Format::Dotenv(Dialect::Expand);
        assert_eq!(one_binding(expand, "A=\\$HOME\n"), "$HOME");
        assert_eq!(one_binding(expand, "A=a$(b)\n"), "a$(b)");
        assert!(bindings(expand, "A=$HOME\n").is_err());
        let python = Format::Dotenv(Dialect::Python);
        assert_eq!(one_binding(python, "A=\"a\\\\b\\\"c\\r\"\n"), "a\\b\"c\r");
        assert_eq!(one_binding(python, "A='x\\n'"), "x\\n");
        assert!(bindings(python, "A=${B}\n").is_err());
        assert_eq!(
            one_binding(Format::Shell, "# h\nexport A='it'\\''s'\n"),
            "it's"
        );
        assert_eq!(one_binding(Format::Github, "A<<EOF\nx\n\nEOF\n"), "x\n");
        assert!(bindings(Format::Github, "A<<EOF\nx").is_err());
        assert_eq!(one_binding(Format::Json, "{\"A\": \"1\"}"), "1");
    }
}
