//! The shell, JSON and GitHub writers against the crate's models of their readers: they
//! carry every value (but NUL, outside JSON), byte for byte.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mpvault::export::read;
use mpvault::export::{render, Entry, ExportError, Format};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let values: Vec<&str> = text.split('\u{1}').take(4).collect();
    let entries: Vec<Entry> = values
        .iter()
        .enumerate()
        .map(|(i, v)| Entry::new(format!("K{i}"), *v, i % 2 == 0))
        .collect();
    let format = match selector % 3 {
        0 => Format::Shell,
        1 => Format::Json,
        _ => Format::Github,
    };
    match render(format, &entries) {
        Ok(file) => {
            let got = read::bindings(format, &file)
                .unwrap_or_else(|e| panic!("{format:?}: {e}: {:?}", &*file));
            let want: Vec<(String, String)> = values
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("K{i}"), v.to_string()))
                .collect();
            assert_eq!(got, want, "{format:?} wrote {:?}", &*file);
        }
        Err(ExportError::NulByte { .. }) if format != Format::Json => {
            assert!(text.contains('\0'));
        }
        Err(e) => panic!("{format:?}: unexpected refusal: {e}"),
    }
});
