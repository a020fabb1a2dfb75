//! `audit` reads every commit of the vault file: each rule it judges history by, tested
//! through a real git history, with its `UNAUTHORIZED <hash>: <sentence>` line and exit 5.

mod common;

use common::repo::*;
use common::*;

/// Runs `audit` in `c`; asserts exit 5 and that the commit `hash` is flagged with `says`.
fn flagged(c: &Clone, hash: &str, says: &str) {
    let out = c.run(&["audit"], None);
    let report = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(
        out.status.code(),
        Some(exit::CORRUPT),
        "{report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = report
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("UNAUTHORIZED {hash}:")))
        .unwrap_or_else(|| panic!("{hash} is not flagged:\n{report}"));
    assert!(line.contains(says), "expected '{says}' in: {line}");
}

fn head(c: &Clone) -> String {
    c.git(&["rev-parse", "HEAD"]).trim().to_string()
}

/// An owner erases bob's departure by hand and signs the result: the signature verifies and
/// the revision goes up, but the departure is gone.
#[test]
fn audit_flags_an_erased_departure() {
    let t = Team::new(&[]);
    let alice = t.clone_of("alice");
    alice.mp(&["member", "remove", "bob", "--yes"]);
    alice.commit("bob leaves");
    let out = alice.run(&["audit"], None);
    assert_eq!(
        out.status.code(),
        Some(exit::SUCCESS),
        "positive control: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let mut v = alice.json();
    v.as_object_mut().unwrap().remove("departures");
    std::fs::write(
        alice.dir.join("mpvault.json"),
        serde_json::to_string_pretty(&v).unwrap() + "\n",
    )
    .unwrap();
    // (`sign` shows the erasure and an owner may sign it; audit is where it is caught.)
    alice.mp(&["sign", "--yes"]);
    alice.commit("erase");
    let erased = head(&alice);
    flagged(&alice, &erased, "it erased the record that bob was removed");
}

/// The newest version of a secret dropped by hand: the policy is untouched and still signed.
#[test]
fn audit_flags_a_dropped_version() {
    let t = Team::new(&[]);
    let alice = t.clone_of("alice");
    alice.mp_in(&["rotate-secret", "shop", "--stdin"], Some(&"a".repeat(32)));
    alice.commit("rotate");
    let out = alice.run(&["audit"], None);
    assert_eq!(out.status.code(), Some(exit::SUCCESS), "positive control");
    let mut v = alice.json();
    v["apps"]["shop"]["secrets"]["WECHAT_APPSECRET"]["versions"]
        .as_array_mut()
        .unwrap()
        .remove(0);
    std::fs::write(
        alice.dir.join("mpvault.json"),
        serde_json::to_string_pretty(&v).unwrap() + "\n",
    )
    .unwrap();
    alice.commit("drop");
    let dropped = head(&alice);
    flagged(
        &alice,
        &dropped,
        "it dropped version 2 of WECHAT_APPSECRET of 'shop' (now version 1)",
    );
}
