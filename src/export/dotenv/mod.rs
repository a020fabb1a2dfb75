//! dotenv for three reader families, one module each: how a value is written for them, and
//! how they read a file back (for `import` and the round-trip checks in [`super::read`]).
//! See the comments on each rule for the reader source it follows:
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
//!   trailing backslash that fits no quoting form (see [`node::node_form`]).
//! * expand: written for every reader in use at once (dotenv 16/17 with
//!   dotenv-expand 11, 12 and 13, Vite 5 and Vite 8), so it refuses what any
//!   of them cannot carry: a `$NAME`/`${NAME` after a backslash (11 and 12+
//!   unescape it differently, see [`expand::expand_escape`]), a carriage return (Node's
//!   parser drops it in every quoting), and quote mixes that have no spelling
//!   both dotenv and Node's parser read the same (see [`expand::expand_form`]).
//! * python: any `${...}` that python-dotenv's `_posix_variable` matches,
//!   since it is interpolated after unescaping, in every quoting; CR, quotes
//!   and backslashes are all escapable inside double quotes.
//!
//! This module holds what the families share: dispatch by dialect, the alternatives a refusal
//! names, and the plain spelling every dialect writes unquoted.

mod expand;
mod node;
mod python;

use secrecy::ExposeSecret;

use super::{Buf, Dialect, Entry, ExportError};

pub(super) use expand::{expand_spelling, expand_unescape};
#[cfg(test)]
pub(super) use expand::{READ_DISAGREE, READ_REFERENCE};
pub(super) use node::parse_node;
pub(super) use python::{has_posix_variable, parse_python};

pub(super) fn render(
    dialect: Dialect,
    entries: &[Entry],
    out: &mut Buf,
) -> Result<(), ExportError> {
    out.push_str(super::header(entries));
    for e in entries {
        let value = e.value.expose_secret();
        let result = match dialect {
            Dialect::Node => node::write(&e.name, value, out),
            Dialect::Expand => expand::write(&e.name, value, out),
            Dialect::Python => python::write(&e.name, value, out),
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
        Dialect::Node => node::node_form(value).is_ok(),
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

/// The file `render` writes for one secret `K` = `v`, without the header.
#[cfg(test)]
fn render1(d: Dialect, v: &str) -> Result<String, ExportError> {
    let mut b = Buf::with_capacity(8);
    render(d, &[Entry::new("K", v, true)], &mut b)?;
    Ok(b.as_str().strip_prefix(super::HEADER).unwrap().to_string())
}
