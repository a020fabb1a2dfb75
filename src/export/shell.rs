//! POSIX `sh` file: `export NAME='value'`, safe to `source` and `eval`.
//! Inside single quotes every byte is literal (newlines and CR included);
//! a `'` is written as `'\''`. NUL is refused by the caller.

use secrecy::ExposeSecret;

use super::{Buf, Entry};

pub(super) fn render(entries: &[Entry], out: &mut Buf) {
    out.push_str(super::header(entries));
    for e in entries {
        out.push_str("export ");
        out.push_str(&e.name);
        out.push('=');
        push_quoted(e.value.expose_secret(), out);
        out.push('\n');
    }
}

/// Appends `text` single-quoted: the one place mpvault quotes for the shell.
fn push_quoted(text: &str, out: &mut Buf) {
    out.push('\'');
    for c in text.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
}

/// `text` as one POSIX shell word for a command line shown to the user (a path), quoted only
/// when it needs to be.
pub fn shell_word(text: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "._-/+@%:,=".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        return text.to_string();
    }
    let mut out = Buf::with_capacity(text.len() + 2);
    push_quoted(text, &mut out);
    out.into_inner().to_string()
}

#[cfg(test)]
mod tests {
    use super::super::{render as render_all, Entry, Format, HEADER};
    use super::shell_word;

    #[test]
    fn words() {
        assert_eq!(shell_word("keys/private.wx1.key"), "keys/private.wx1.key");
        assert_eq!(shell_word("my keys/it's"), "'my keys/it'\\''s'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn quoting() {
        let e = [
            Entry::new("A", "it's $HOME `x` \\", true),
            Entry::new("B", "", false),
            Entry::new("C", "l1\nl2\r", false),
        ];
        let s = render_all(Format::Shell, &e).unwrap();
        assert_eq!(
            s.strip_prefix(HEADER).unwrap(),
            "export A='it'\\''s $HOME `x` \\'\nexport B=''\nexport C='l1\nl2\r'\n"
        );
    }
}
