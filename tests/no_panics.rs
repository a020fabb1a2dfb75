//! No input makes mpvault panic: damaged vault files and odd arguments end in a clear error:
//! one sentence with a hint, and a documented exit code.

mod common;

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

/// Edits that keep the JSON valid but break the model: every command still ends in a clear error.
#[test]
fn structurally_odd_vaults_end_in_errors_not_panics() {
    let edits: Vec<fn(&mut serde_json::Value)> = vec![
        |v| v["apps"]["shop"]["keys"].as_object_mut().unwrap().clear(),
        |v| v["apps"]["shop"]["secrets"]["WECHAT_APPSECRET"]["versions"] = serde_json::json!([]),
        |v| v["apps"]["shop"]["secrets"]["WECHAT_APPSECRET"]["versions"][0]["value"] = "!!!".into(),
        |v| {
            v["apps"]["shop"]["secrets"]["WECHAT_APPSECRET"]["versions"][0]["value"] = "AAAA".into()
        },
        |v| v["apps"]["shop"]["keys"]["developer"]["wrapped"] = "bm90IGFnZQ==".into(),
        |v| v["apps"]["shop"]["roster"]["ghost"] = serde_json::json!(["developer"]),
        |v| v["members"]["bob"]["key"] = "age1notakey".into(),
        |v| v["apps"]["shop"]["secrets"]["WECHAT_APPSECRET"]["access"] = "root".into(),
        |v| v["signature"]["ed25519"] = "short".into(),
        |v| v["members"] = serde_json::json!([]),
    ];
    let w = World::new();
    let vectors = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/format-2");
    for (i, edit) in edits.iter().enumerate() {
        let mut v: serde_json::Value = serde_json::from_str(&vector()).unwrap();
        edit(&mut v);
        std::fs::write(w.vault_path(), serde_json::to_string_pretty(&v).unwrap()).unwrap();
        for args in [
            &["get", "shop", "WECHAT_APPSECRET"][..],
            &["app", "show", "shop"],
            &["status"],
            &["rotate-secret", "shop", "--stdin"],
        ] {
            let person = w.stranger("bob");
            let out = w
                .cmd(&person)
                .arg("--identity")
                .arg(vectors.join("bob.key"))
                .args(args)
                .write_stdin("f".repeat(32))
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(!err.contains("panicked"), "edit {i}, {args:?}: {err}");
            let code = out.status.code();
            assert!(code.is_some(), "edit {i}, {args:?}: killed by a signal");
            // `status` reports what is due or broken as its answer, with exit 7 or 8.
            let answered = args[0] == "status" && matches!(code, Some(7 | 8));
            if code != Some(0) && !answered {
                // Notes (first use, trust) may come first; the error is the last line.
                let last = err.trim_end().lines().last().unwrap_or_default();
                assert!(
                    (1..=6).contains(&code.unwrap())
                        && last.starts_with("mpvault: ")
                        && last.ends_with('.')
                        && last.contains("; "),
                    "edit {i}, {args:?}: not a clear error: {err}"
                );
            }
        }
    }
}
