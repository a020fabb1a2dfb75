//! A pretty-printed JSON object in entry order. Written by hand (RFC 8259
//! escaping) so no intermediate copies of the values are made.

use secrecy::ExposeSecret;

use super::{Buf, Entry};

fn write_json_string(s: &str, out: &mut Buf) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let n = c as usize;
                out.push_str("\\u00");
                out.push(HEX[n >> 4] as char);
                out.push(HEX[n & 15] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

pub(super) fn render(entries: &[Entry], out: &mut Buf) {
    if entries.is_empty() {
        out.push_str("{}\n");
        return;
    }
    out.push_str("{\n");
    for (i, e) in entries.iter().enumerate() {
        out.push_str("  ");
        write_json_string(&e.name, out);
        out.push_str(": ");
        write_json_string(e.value.expose_secret(), out);
        if i + 1 < entries.len() {
            out.push(',');
        }
        out.push('\n');
    }
    out.push_str("}\n");
}

#[cfg(test)]
mod tests {
    use super::super::{render as render_all, Entry, Format};

    #[test]
    fn order_and_escapes() {
        let e = [
            Entry::new("Z", "a\"b\\c\n\u{1}\0中", true),
            Entry::new("A", "", false),
        ];
        let s = render_all(Format::Json, &e).unwrap();
        assert_eq!(
            s.as_str(),
            "{\n  \"Z\": \"a\\\"b\\\\c\\n\\u0001\\u0000中\",\n  \"A\": \"\"\n}\n"
        );
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["Z"], "a\"b\\c\n\u{1}\0中");
        assert_eq!(render_all(Format::Json, &[]).unwrap().as_str(), "{}\n");
    }
}
