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
        out.push_str("='");
        for c in e.value.expose_secret().chars() {
            if c == '\'' {
                out.push_str("'\\''");
            } else {
                out.push(c);
            }
        }
        out.push_str("'\n");
    }
}

#[cfg(test)]
mod tests {
    use super::super::{render as render_all, Entry, Format, HEADER};

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
