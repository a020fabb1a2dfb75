//! GitHub Actions `$GITHUB_ENV` file, heredoc syntax for every entry:
//!
//! ```text
//! NAME<<ghadelimiter_<random hex>
//! value
//! ghadelimiter_<random hex>
//! ```
//!
//! The runner (actions/runner `FileCommandManager.cs`, `SetEnvFileCommand`)
//! reads lines split on `\n`, stops at the first line equal to the delimiter
//! and takes the raw text between the header line and the newline that
//! precedes the delimiter line. We always write `value + "\n" + delimiter`,
//! so exactly the newline we added is dropped: a value that itself ends in
//! `\n` keeps it (its last line is then an empty line), and an empty value
//! is one empty line. The delimiter is random and
//! regenerated until it does not occur in the value.

use secrecy::ExposeSecret;

use super::{Buf, Entry, ExportError};

const PREFIX: &str = "ghadelimiter_";

fn delimiter(name: &str) -> Result<String, ExportError> {
    let hex = crate::random::hex128().map_err(|source| ExportError::Random {
        name: name.to_string(),
        source,
    })?;
    Ok(format!("{PREFIX}{hex}"))
}

pub(super) fn render(entries: &[Entry], out: &mut Buf) -> Result<(), ExportError> {
    for e in entries {
        let value = e.value.expose_secret();
        let delim = loop {
            let d = delimiter(&e.name)?;
            if !value.contains(&d) {
                break d;
            }
        };
        out.push_str(&e.name);
        out.push_str("<<");
        out.push_str(&delim);
        out.push('\n');
        out.push_str(value);
        out.push('\n');
        out.push_str(&delim);
        out.push('\n');
    }
    Ok(())
}

/// Workflow-command data escaping (`@actions/core` `escapeData`): the runner
/// unescapes `%25`, `%0D` and `%0A`, so a literal `%` must be sent as `%25`.
fn escape_data(s: &str, out: &mut Buf) {
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
}

/// The masks repeat every line of every secret, so they are zeroized like the values.
pub(super) fn masks(entries: &[Entry]) -> zeroize::Zeroizing<String> {
    let mut out = Buf::with_capacity(64);
    for e in entries.iter().filter(|e| e.secret) {
        for line in e.value.expose_secret().split(['\n', '\r']) {
            if line.trim().is_empty() {
                continue;
            }
            out.push_str("::add-mask::");
            escape_data(line, &mut out);
            out.push('\n');
        }
    }
    out.into_inner()
}

#[cfg(test)]
mod tests {
    use super::super::{github_masks, render as render_all, Entry, Format};

    #[test]
    fn heredoc_shape() {
        let e = [Entry::new("A", "x\ny\n", true), Entry::new("B", "", false)];
        let s = render_all(Format::Github, &e).unwrap();
        let lines: Vec<&str> = s.split('\n').collect();
        let (name, d) = lines[0].split_once("<<").unwrap();
        assert_eq!(name, "A");
        assert!(d.starts_with("ghadelimiter_") && d.len() == 13 + 32);
        assert_eq!(&lines[1..5], &["x", "y", "", d]);
        let (name, d2) = lines[5].split_once("<<").unwrap();
        assert_eq!(name, "B");
        assert_ne!(d, d2);
        assert_eq!(&lines[6..], &["", d2, ""]);
    }

    #[test]
    fn masks_lines_of_secrets_only() {
        let e = [
            Entry::new("A", "-----BEGIN-----\nab%0Acd\r\n\n  \nend", true),
            Entry::new("B", "public", false),
        ];
        assert_eq!(
            github_masks(&e).as_str(),
            "::add-mask::-----BEGIN-----\n::add-mask::ab%250Acd\n::add-mask::end\n"
        );
    }
}
