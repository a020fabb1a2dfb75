//! Undoing a mistyped rotation: `rotate-secret --restore N` stores version N again as the newest
//! version, unless a departure since then means the value must be reset in the console.

use crate::common;

use common::*;
use serde_json::Value;

const TYPO: &str = "0123456789abcdef0123456789abcdee";

fn history(w: &World, who: &Person) -> Vec<Value> {
    let out = w.ok(who, &["history", "shop", "WECHAT_APPSECRET", "--json"]);
    serde_json::from_str::<Value>(&out)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// Regression (Trust 3, case 3): re-storing the previous value after a mistyped rotation was
/// refused ("reset it in the console first"), and resetting the AppSecret breaks production.
#[test]
fn a_mistyped_rotation_is_undone_with_restore() {
    let w = World::new();
    let (alice, bob, _) = team(&w);
    // The typo is only caught later, when a build fails.
    w.ok_stdin(&bob, &["rotate-secret", "shop", "--stdin"], TYPO);
    let (code, err) = run_stdin(&w, &bob, &["rotate-secret", "shop", "--stdin"], APPSECRET);
    assert_eq!(code, exit::USAGE, "{err}");
    assert!(
        err.contains("--restore 1"),
        "the refusal names the way out: {err}"
    );

    w.ok(&bob, &["rotate-secret", "shop", "--restore", "1"]);
    assert_eq!(
        w.ok(&alice, &["get", "shop", "WECHAT_APPSECRET"]),
        APPSECRET
    );
    let versions = history(&w, &alice);
    assert_eq!(versions.len(), 3);
    assert_eq!(versions[0]["number"], 3);
    assert_eq!(versions[0]["set_by"], "bob");
    assert_eq!(
        w.ok(
            &alice,
            &["get", "shop", "WECHAT_APPSECRET", "--previous", "1"]
        ),
        TYPO
    );
}

/// A value someone who left could read must be reset in the console, not restored.
#[test]
fn restoring_a_value_a_departed_member_could_read_is_refused() {
    let w = World::new();
    let (alice, _, _) = team(&w);
    next_second();
    w.ok(&alice, &["member", "remove", "bob", "--yes"]);
    next_second();
    w.ok_stdin(
        &alice,
        &["rotate-secret", "shop", "--stdin"],
        &"d".repeat(32),
    );
    refused_as(
        &w,
        &alice,
        &["rotate-secret", "shop", "--restore", "1"],
        exit::DENIED,
        "bob could read version 1",
    );
}

#[test]
fn restore_names_a_version_that_is_not_there() {
    let w = World::new();
    let (alice, _, _) = team(&w);
    refused_as(
        &w,
        &alice,
        &["rotate-secret", "shop", "--restore", "1"],
        exit::USAGE,
        "version 1 is the current value",
    );
    refused_as(
        &w,
        &alice,
        &["rotate-secret", "shop", "--restore", "7"],
        exit::NOT_FOUND,
        "has no version 7",
    );
}

/// Only someone who may rotate the secret may restore it: a tester cannot.
#[test]
fn a_tester_cannot_restore() {
    let w = World::new();
    let (alice, _, carol) = team(&w);
    w.ok_stdin(&alice, &["rotate-secret", "shop", "--stdin"], TYPO);
    let (code, _) = w.fails(&carol, &["rotate-secret", "shop", "--restore", "1"]);
    assert_ne!(code, 0);
    assert_eq!(w.ok(&alice, &["get", "shop", "WECHAT_APPSECRET"]), TYPO);
}

/// Regression (Trust 3, case 3): `git revert` of a rotation made every clone refuse the vault,
/// with advice that did not name a way to undo a rotation.
#[test]
fn a_reverted_rotation_names_restore() {
    let w = World::new();
    let (_, bob, _) = team(&w);
    w.git_with_vault();
    w.ok_stdin(&bob, &["rotate-secret", "shop", "--stdin"], TYPO);
    w.git(&["commit", "-qam", "rotate"]);
    w.git(&["revert", "--no-edit", "HEAD"]);
    refused(
        &w,
        &bob,
        &["get", "shop", "WECHAT_APPSECRET"],
        "--restore 1",
    );
    w.git(&["revert", "--no-edit", "HEAD"]);
    w.ok(&bob, &["rotate-secret", "shop", "--restore", "1"]);
    assert_eq!(w.ok(&bob, &["get", "shop", "WECHAT_APPSECRET"]), APPSECRET);
}
