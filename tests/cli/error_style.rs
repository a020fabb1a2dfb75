//! One error style through the real binary: each failure's category decides its exit code
//! (`mpvault::error::exit`), and its hint fits what failed.

use crate::common;

use common::*;
use mpvault::error::exit;

const PATH_HINT: &str = "check the path and its permissions";

/// An identity that cannot sign is refused the same way wherever it is caught: `init` (the
/// roster), a policy change and a value write all say Denied, because the identity in use
/// may not do it, not because the user typed something wrong.
#[test]
fn an_identity_that_cannot_sign_is_denied_at_init() {
    let w = World::new();
    let dave = w.stranger("dave");
    let key = ssh_key(&dave);
    let out = w
        .cmd(&dave)
        .arg("--identity")
        .arg(&key)
        .args(["init", "--owner", "dave"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(exit::DENIED), "{err}");
    assert!(err.contains("cannot sign the vault's roster"), "{err}");
    assert!(!w.vault_path().exists(), "no vault may be left behind");
}

/// A failed read of standard input is an I/O failure (exit 1) whose hint speaks of the
/// input, not of a path.
#[test]
fn a_failed_stdin_read_has_its_own_hint() {
    let w = World::new();
    let alice = w.owner_with_app();
    let before = w.vault_text();
    // A folder as standard input: opening it works, reading it fails (EISDIR).
    let folder = std::fs::File::open(w.project()).unwrap();
    let out = w
        .std_cmd(&alice)
        .args(["add-secret", "shop", "WECHAT_APPSECRET", "--stdin"])
        .stdin(folder)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(exit::FAILURE), "{err}");
    assert!(err.contains("cannot read standard input"), "{err}");
    assert!(err.contains("check what is piped into mpvault"), "{err}");
    assert!(!err.contains(PATH_HINT), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(w.vault_text(), before);
}

/// An I/O failure on a named file keeps the path hint.
#[test]
fn a_failed_read_of_a_path_names_it_and_hints_at_it() {
    let w = World::new();
    let alice = w.owner_with_app();
    let out = w
        .cmd(&alice)
        .arg("--identity")
        .arg(w.project())
        .args(["app", "list"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(exit::FAILURE), "{err}");
    assert!(err.contains("cannot read the identity"), "{err}");
    assert!(err.contains(PATH_HINT), "{err}");
}

/// An export refusal prints its sentence, then its hint, on one line, and exits as bad input.
#[test]
fn an_export_refusal_is_sentence_then_hint() {
    let w = World::new();
    let alice = w.owner_with_app();
    w.ok_stdin(
        &alice,
        &["add-secret", "shop", "WECHAT_APPSECRET", "--stdin"],
        APPSECRET,
    );
    w.ok(&alice, &["config", "set", "shop", "GREETING=x${Y}"]);
    let (code, err) = w.fails(
        &alice,
        &[
            "export",
            "shop",
            "--format",
            "dotenv",
            "--dialect",
            "python",
        ],
    );
    assert_eq!(code, exit::USAGE, "{err}");
    assert!(
        err.contains("GREETING cannot be written losslessly for the python dialect (python-dotenv expands ${...} and has no escape for it); use the expand dialect"),
        "{err}"
    );
    assert!(err.trim_end().ends_with("instead."), "{err}");
}
