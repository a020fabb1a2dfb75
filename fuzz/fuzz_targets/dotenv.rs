//! The dotenv writers against the crate's models of their readers: every value a dialect
//! accepts reads back byte for byte, and a refused value is one the dialect cannot carry.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mpvault::export::read;
use mpvault::export::{render, Dialect, Entry, ExportError, Format};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    // Up to four values, separated by U+0000 (which dotenv refuses anyway).
    let values: Vec<&str> = text.split('\0').take(4).collect();
    let entries: Vec<Entry> = values
        .iter()
        .enumerate()
        .map(|(i, v)| Entry::new(format!("K{i}"), *v, i % 2 == 0))
        .collect();
    let dialect = match selector % 3 {
        0 => Dialect::Expand,
        1 => Dialect::Node,
        _ => Dialect::Python,
    };
    match render(Format::Dotenv(dialect), &entries) {
        Ok(file) => {
            let got = read::bindings(Format::Dotenv(dialect), &file)
                .unwrap_or_else(|e| panic!("{dialect:?}: {e}: {:?}", &*file));
            let want: Vec<(String, String)> = values
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("K{i}"), v.to_string()))
                .collect();
            assert_eq!(got, want, "{dialect:?} wrote {:?}", &*file);
        }
        Err(ExportError::Unrepresentable { .. }) => {}
        Err(e) => panic!("{dialect:?}: unexpected refusal: {e}"),
    }
});
