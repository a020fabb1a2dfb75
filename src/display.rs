//! Safe display. Text from the vault file (names, who set a value, reasons, decrypted config
//! and contacts) and text from arguments can carry terminal control sequences: ESC, OSC, BEL
//! or C1 bytes that clear the screen, retitle the terminal or fake table rows. Everything
//! `output` writes for people, every error, `git textconv`'s rendering and an age plugin's
//! messages go through [`escape`] or [`escape_lines`]: one escaper, so a character is shown
//! the same way wherever it comes from.

use std::borrow::Cow;
use std::fmt::Write;

/// Escapes every control character (C0, DEL, C1, and line or paragraph separators) as `\n`,
/// `\t`, `\e`, `\xHH` or `\u{HHHH}`, so the text shows as one inert line: for a field
/// placed inside a line mpvault writes (a name, a handle, a commit's author or subject).
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push(&mut out, c);
    }
    Cow::Owned(out)
}

/// Like [`escape`], but keeps line breaks: for multi-line text mpvault lays out itself.
pub fn escape_lines(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && needs_escape(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c == '\n' {
            out.push(c);
        } else {
            push(&mut out, c);
        }
    }
    Cow::Owned(out)
}

/// Escapes control characters inside JSON text as `\uXXXX`. serde_json already escapes C0;
/// this catches DEL, C1 (U+009B is a one-byte CSI) and the Unicode line separators. Outside
/// strings pretty JSON holds only `\n` and spaces, which are kept.
pub fn escape_json(json: &str) -> Cow<'_, str> {
    if !json.chars().any(|c| c != '\n' && needs_escape(c)) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 8);
    for c in json.chars() {
        if c != '\n' && needs_escape(c) {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn push(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{1b}' => out.push_str("\\e"),
        c if needs_escape(c) && (c as u32) < 0x100 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if needs_escape(c) => {
            let _ = write!(out, "\\u{{{:04x}}}", c as u32);
        }
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_visible_text() {
        assert_eq!(escape("plain 商城"), "plain 商城");
        assert_eq!(escape("a\u{1b}]0;x\u{7}b"), "a\\e]0;x\\x07b");
        assert_eq!(escape("\u{9b}31m\u{7f}"), "\\x9b31m\\x7f");
        assert_eq!(escape("l1\nl2\r\t"), "l1\\nl2\\r\\t");
        assert_eq!(escape("rtl\u{202e}x"), "rtl\\u{202e}x");
        assert_eq!(escape_lines("l1\nl2\u{1b}"), "l1\nl2\\e");
    }

    #[test]
    fn no_control_character_survives_and_one_line_stays_one_line() {
        for c in (0..=u32::from(char::MAX))
            .filter_map(char::from_u32)
            .filter(|c| needs_escape(*c))
        {
            let text = format!("a{c}b");
            let one = escape(&text);
            assert!(!one.chars().any(needs_escape), "{c:?} → {one:?}");
            let many = escape_lines(&text);
            assert!(
                !many.chars().any(|c| c != '\n' && needs_escape(c)),
                "{c:?} → {many:?}"
            );
        }
    }

    #[test]
    fn json_stays_json() {
        let v = serde_json::json!({"k": "a\u{1b}b\u{9b}c\u{2028}d"});
        let text = serde_json::to_string_pretty(&v).unwrap();
        let safe = escape_json(&text);
        assert!(!safe.chars().any(|c| c != '\n' && needs_escape(c)));
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, v);
    }
}
