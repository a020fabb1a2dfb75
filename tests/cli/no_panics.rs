//! No input makes mpvault panic: damaged vault files and odd arguments end in a clear error:
//! one sentence with a hint, and a documented exit code.

use crate::common;

use common::*;
use proptest::prelude::*;

fn vector() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/format-2/mpvault.json"
    ))
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parsing_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        clear(mpvault::vault::Vault::parse(&bytes))?;
    }

    #[test]
    fn parsing_a_damaged_vault_never_panics(cut in 0usize..8000, splice in "[\\[\\]{}\":,0-9a-z\\\\]{0,8}") {
        let text = vector();
        let cut = cut.min(text.len());
        let cut = (0..=cut).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
        let damaged = format!("{}{}{}", &text[..cut], splice, &text[cut..]);
        clear(mpvault::vault::Vault::parse(damaged.as_bytes()))?;
    }
}

/// Regression: a backslash spliced before a name's last letter (`"admi\n"`) made serde's
/// message carry a real line break into the one-line error; a handle with an escaped line
/// break did the same through the model's own message.
#[test]
fn a_decoded_line_break_in_a_malformed_file_stays_on_one_line() {
    let text = vector();
    let spliced = format!("{}\\{}", &text[..4824], &text[4824..]);
    let handle = text.replacen("\"bob\": {", "\"bo\\nb\": {", 1);
    assert_ne!(handle, text);
    for damaged in [spliced, handle] {
        let err = mpvault::vault::Vault::parse(damaged.as_bytes()).unwrap_err();
        clear(Err(err)).unwrap();
    }
}

/// A refusal says what is wrong and what to do, and calls the file damaged.
fn clear(parsed: mpvault::Result<mpvault::vault::Vault>) -> Result<(), TestCaseError> {
    if let Err(e) = parsed {
        let what = e.to_string();
        prop_assert!(!what.is_empty() && !what.contains('\n'), "{:?}", what);
        prop_assert!(
            e.hint().is_some_and(|h| !h.is_empty()),
            "{} has no hint",
            what
        );
        prop_assert_eq!(e.exit_code(), exit::CORRUPT, "{}", what);
    }
    Ok(())
}

/// A vault edited so that its JSON is valid but its model is not.
struct Odd {
    what: &'static str,
    edit: fn(&mut serde_json::Value),
    /// What the error (or, for `status`, the report) says.
    says: &'static str,
    /// Only a ciphertext is damaged: commands that decrypt nothing work, and `status` reports
    /// the damage as its answer.
    in_ciphertext: bool,
}

fn odd_vaults() -> Vec<Odd> {
    let unsigned = "the vault's roster signature does not verify";
    let altered =
        "the value at secrets/WECHAT_APPSECRET of 'shop' does not belong there or was altered";
    vec![
        Odd {
            what: "no data keys",
            edit: |v| v["apps"]["shop"]["keys"].as_object_mut().unwrap().clear(),
            says: "app 'shop' has no team data key in the vault file",
            in_ciphertext: false,
        },
        Odd {
            what: "a secret without versions",
            edit: |v| {
                v["apps"]["shop"]["secrets"]["WECHAT_APPSECRET"]["versions"] =
                    serde_json::json!([]);
            },
            says: "secret WECHAT_APPSECRET of app 'shop' has a malformed history",
            in_ciphertext: false,
        },
        Odd {
            what: "a value that is not base64",
            edit: |v| {
                v["apps"]["shop"]["secrets"]["WECHAT_APPSECRET"]["versions"][0]["value"] =
                    "!!!".into();
            },
            says: altered,
            in_ciphertext: true,
        },
        Odd {
            what: "a value too short to be a ciphertext",
            edit: |v| {
                v["apps"]["shop"]["secrets"]["WECHAT_APPSECRET"]["versions"][0]["value"] =
                    "AAAA".into();
            },
            says: altered,
            in_ciphertext: true,
        },
        Odd {
            what: "a wrapped key that is not age",
            edit: |v| v["apps"]["shop"]["keys"]["developer"]["wrapped"] = "bm90IGFnZQ==".into(),
            says: "a wrapped data key in the vault is damaged",
            in_ciphertext: true,
        },
        Odd {
            what: "a roster name that is not a member",
            edit: |v| v["apps"]["shop"]["roster"]["ghost"] = serde_json::json!(["developer"]),
            says: "app 'shop' lists 'ghost' on its roster, who is not a member",
            in_ciphertext: false,
        },
        Odd {
            what: "a member key that is not a key",
            edit: |v| v["members"]["bob"]["key"] = "age1notakey".into(),
            says: unsigned,
            in_ciphertext: false,
        },
        Odd {
            what: "an unknown access level",
            edit: |v| v["apps"]["shop"]["secrets"]["WECHAT_APPSECRET"]["access"] = "root".into(),
            says: "unknown variant `root`",
            in_ciphertext: false,
        },
        Odd {
            what: "a short signature",
            edit: |v| v["signature"]["ed25519"] = "short".into(),
            says: unsigned,
            in_ciphertext: false,
        },
        Odd {
            what: "members as a list",
            edit: |v| v["members"] = serde_json::json!([]),
            says: "the vault file is malformed: invalid type: sequence, expected a map",
            in_ciphertext: false,
        },
    ]
}

/// Edits that keep the JSON valid but break the model: every command that needs the broken
/// part refuses with exit code CORRUPT and one sentence with a hint, and the file is left as
/// it was; `status` reports damage it can see past as its answer.
#[test]
fn structurally_odd_vaults_end_in_errors_not_panics() {
    let vectors = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/format-2");
    for odd in odd_vaults() {
        // A World each, so that no case inherits the trust memory of another.
        let w = World::new();
        let mut v: serde_json::Value = serde_json::from_str(&vector()).unwrap();
        (odd.edit)(&mut v);
        let text = serde_json::to_string_pretty(&v).unwrap();
        std::fs::write(w.vault_path(), &text).unwrap();
        let bob = w.stranger("bob");
        for args in [
            &["get", "shop", "WECHAT_APPSECRET"][..],
            &["app", "show", "shop"],
            &["status"],
            &["rotate-secret", "shop", "--stdin"],
        ] {
            let case = format!("{}, {args:?}", odd.what);
            let out = w
                .cmd(&bob)
                .arg("--identity")
                .arg(vectors.join("bob.key"))
                .args(args)
                .write_stdin("f".repeat(32))
                .output()
                .unwrap();
            let stdout = String::from_utf8(out.stdout).unwrap();
            let err = String::from_utf8(out.stderr).unwrap();
            assert!(!err.contains("panicked"), "{case}: {err}");
            assert_eq!(w.vault_text(), text, "{case} changed the vault");
            match (odd.in_ciphertext, args[0]) {
                (true, "app") => assert!(out.status.success(), "{case}: {err}"),
                (true, "status") => {
                    assert_eq!(out.status.code(), Some(exit::BROKEN), "{case}: {err}");
                    // the table wraps its cells
                    let report = stdout.split_whitespace().collect::<Vec<_>>().join(" ");
                    assert!(report.contains(odd.says), "{case}: {stdout}");
                }
                _ => {
                    assert_eq!(out.status.code(), Some(exit::CORRUPT), "{case}: {err}");
                    // Notes (first use, trust) may come first; the error is the last line.
                    let errors: Vec<&str> =
                        err.lines().filter(|l| l.starts_with("mpvault: ")).collect();
                    assert_eq!(errors.len(), 1, "{case}: one error: {err}");
                    let last = err.trim_end().lines().last().unwrap_or_default();
                    assert_eq!(last, errors[0], "{case}: the error comes last: {err}");
                    assert!(last.contains(odd.says), "{case}: {err}");
                    assert!(
                        last.ends_with('.') && last.contains("; "),
                        "{case}: not one sentence with a hint: {err}"
                    );
                }
            }
        }
    }
}
