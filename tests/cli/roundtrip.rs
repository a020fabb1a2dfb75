//! Round trips in the normal suite: every writer's output, read back by the crate's models of
//! the readers (`mpvault::export::read`), gives back every value byte for byte, or the
//! writer refused it. `tests/cli/export_interop.rs` checks the same against the real readers, and
//! `fuzz/` runs these properties for longer.

use mpvault::export::read::{bindings, Bindings};
use mpvault::export::{render, Dialect, Entry, ExportError, Format};
use proptest::prelude::*;

/// Characters the readers treat specially, and some that are merely unusual.
fn value() -> impl Strategy<Value = String> {
    let special = prop::sample::select(vec![
        "$",
        "{",
        "}",
        "(",
        ")",
        "\\",
        "'",
        "\"",
        "`",
        "#",
        "=",
        ":",
        "-",
        " ",
        "\t",
        "\n",
        "\r",
        "\r\n",
        "\u{2028}",
        "\u{a0}",
        "\u{feff}",
        "\u{1c}",
        "\u{85}",
        "a",
        "Z",
        "_",
        ".",
        "é",
        "商",
        "${A}",
        "$A",
        "\\$",
        "${A:-b}",
        "\\n",
        "\\r",
        "%",
        "<<",
        "EOF",
        "ghadelimiter_",
    ]);
    prop::collection::vec(special, 0..12).prop_map(|parts| parts.concat())
}

const FORMATS: [Format; 6] = [
    Format::Dotenv(Dialect::Expand),
    Format::Dotenv(Dialect::Node),
    Format::Dotenv(Dialect::Python),
    Format::Shell,
    Format::Json,
    Format::Github,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn every_writer_round_trips_through_its_reader_model(values in prop::collection::vec(value(), 1..4)) {
        for format in FORMATS {
            let entries: Vec<Entry> = values
                .iter()
                .enumerate()
                .map(|(i, v)| Entry::new(format!("K{i}"), v.clone(), i % 2 == 0))
                .collect();
            match render(format, &entries) {
                Ok(text) => {
                    let got = bindings(format, &text).map_err(|e| TestCaseError::fail(format!("{format:?}: {e}\n{}", *text)))?;
                    let want: Bindings = values.iter().enumerate().map(|(i, v)| (format!("K{i}"), v.clone())).collect();
                    prop_assert_eq!(got, want, "{:?} wrote {:?}", format, &*text);
                }
                Err(ExportError::Unrepresentable { .. }) => {
                    prop_assert!(matches!(format, Format::Dotenv(_)), "{:?} refused", format);
                }
                Err(e) => prop_assert!(false, "{:?}: {}", format, e),
            }
        }
    }
}

#[test]
fn shell_json_and_github_carry_every_value() {
    let nasty = "a'b\"c`d$e${F}\\g\n\r\u{2028}#h ";
    for format in [Format::Shell, Format::Json, Format::Github] {
        let text = render(format, &[Entry::new("K", nasty, true)]).unwrap();
        assert_eq!(
            bindings(format, &text).unwrap(),
            vec![("K".to_string(), nasty.to_string())]
        );
    }
}
