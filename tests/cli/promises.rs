//! Promises of the form "X can no longer read Y", proven with X's own key outside mpvault
//! (docs/recover.py: age and libsodium, nothing of mpvault's code) against the file after the
//! change, together with the data key's commitment changing: a refusal by mpvault proves
//! nothing about what the attacker's key opens.

use crate::common;

use common::*;
use serde_json::Value;

const NEW_SECRET: &str = "dddddddddddddddddddddddddddddddd";

fn json(w: &World) -> Value {
    serde_json::from_str(&w.vault_text()).unwrap()
}

/// Writes `vault` over the file.
fn put(w: &World, vault: &Value) {
    std::fs::write(w.vault_path(), serde_json::to_string_pretty(vault).unwrap()).unwrap();
}

/// Positive control: the helper does fail when the key does open the value, so every test
/// that uses it can fail.
#[test]
fn assert_unreadable_by_fails_for_a_reader() {
    if interop::skipped("recovery with an attacker's key") {
        return;
    }
    let w = World::new();
    let (_, bob, carol) = team(&w);
    w.ok(
        &bob,
        &["config", "set", "shop", "API_BASE=https://api.example.com"],
    );
    for (who, name) in [(&bob, "WECHAT_APPSECRET"), (&carol, "config/API_BASE")] {
        let caught = std::panic::catch_unwind(|| assert_unreadable_by(&w, who, "shop", name));
        assert!(
            caught.is_err(),
            "{} reads {name}, yet the helper passed",
            who.name
        );
    }
}

#[test]
fn member_remove_leaves_the_removed_key_nothing_to_open() {
    let w = World::new();
    let (alice, bob, _) = team(&w);
    w.ok(
        &alice,
        &["config", "set", "shop", "API_BASE=https://api.example.com"],
    );
    let saved = json(&w);
    let (team_key, dev_key) = (
        commitment(&w, "shop", "team"),
        commitment(&w, "shop", "developer"),
    );
    w.ok(&alice, &["member", "remove", "bob", "--yes"]);
    next_second();
    w.ok_stdin(&alice, &["rotate-secret", "shop", "--stdin"], NEW_SECRET);
    assert_ne!(
        commitment(&w, "shop", "team"),
        team_key,
        "the team key was kept"
    );
    assert_ne!(
        commitment(&w, "shop", "developer"),
        dev_key,
        "the developer key was kept"
    );
    assert_unreadable_by(&w, &bob, "shop", "WECHAT_APPSECRET");
    assert_unreadable_by(&w, &bob, "shop", "config/API_BASE");
    // bob kept the keys wrapped to him before: spliced into today's file they open nothing.
    let mut spliced = json(&w);
    spliced["apps"]["shop"]["keys"] = saved["apps"]["shop"]["keys"].clone();
    put(&w, &spliced);
    assert_unreadable_by(&w, &bob, "shop", "WECHAT_APPSECRET");
    assert_unreadable_by(&w, &bob, "shop", "config/API_BASE");
}

#[test]
fn role_revoke_leaves_the_revoked_key_nothing_to_open() {
    let w = World::new();
    let (alice, bob, _) = team(&w);
    w.ok(&alice, &["role", "grant", "bob", "shop", "tester"]);
    let dev_key = commitment(&w, "shop", "developer");
    w.ok(&alice, &["role", "revoke", "bob", "shop", "developer"]);
    assert_ne!(
        commitment(&w, "shop", "developer"),
        dev_key,
        "the developer key was kept"
    );
    next_second();
    w.ok_stdin(&alice, &["rotate-secret", "shop", "--stdin"], NEW_SECRET);
    assert_unreadable_by(&w, &bob, "shop", "WECHAT_APPSECRET");
    refused_as(
        &w,
        &bob,
        &["get", "shop", "WECHAT_APPSECRET"],
        exit::DENIED,
        "bob cannot read developer-level values of 'shop'",
    );
}

/// After `rekey`, a data key anyone saved before opens nothing written since.
#[test]
fn rekey_leaves_a_saved_data_key_nothing_to_open() {
    let w = World::new();
    let (alice, _, _) = team(&w);
    w.ok(
        &alice,
        &["config", "set", "shop", "API_BASE=https://api.example.com"],
    );
    let saved = json(&w);
    let before: Vec<String> = ["team", "developer", "admin"]
        .iter()
        .map(|l| commitment(&w, "shop", l))
        .collect();
    w.ok(&alice, &["rekey", "shop"]);
    for (level, old) in ["team", "developer", "admin"].iter().zip(&before) {
        assert_ne!(&commitment(&w, "shop", level), old, "{level} key was kept");
    }
    // alice's key unwraps the old keys; with them in place of the new, nothing opens.
    let mut spliced = json(&w);
    spliced["apps"]["shop"]["keys"] = saved["apps"]["shop"]["keys"].clone();
    put(&w, &spliced);
    assert_unreadable_by(&w, &alice, "shop", "WECHAT_APPSECRET");
    assert_unreadable_by(&w, &alice, "shop", "config/API_BASE");
}

/// A key that is no member's opens nothing, and mpvault says why.
#[test]
fn a_non_members_key_opens_nothing() {
    let w = World::new();
    let (alice, _, _) = team(&w);
    w.ok(
        &alice,
        &["config", "set", "shop", "API_BASE=https://api.example.com"],
    );
    let eve = w.person("eve");
    assert_unreadable_by(&w, &eve, "shop", "WECHAT_APPSECRET");
    assert_unreadable_by(&w, &eve, "shop", "config/API_BASE");
    w.ok(&eve, &["app", "list"]);
    refused_as(
        &w,
        &eve,
        &["get", "shop", "WECHAT_APPSECRET"],
        exit::DENIED,
        "is not a member of this vault",
    );
}

/// A tester reads team values and no secret, with their own key too.
#[test]
fn a_testers_key_opens_team_values_and_no_secret() {
    let w = World::new();
    let (_, bob, carol) = team(&w);
    w.ok(
        &bob,
        &["config", "set", "shop", "API_BASE=https://api.example.com"],
    );
    assert_unreadable_by(&w, &carol, "shop", "WECHAT_APPSECRET");
    refused_as(
        &w,
        &carol,
        &["get", "shop", "WECHAT_APPSECRET"],
        exit::DENIED,
        "carol cannot read developer-level values of 'shop'",
    );
}

/// The attacker held the developer key until an owner revoked the role; giving it back to
/// themselves by hand gets them nothing written since.
#[test]
fn a_revoked_developer_who_restores_their_role_by_hand_reads_nothing_new() {
    let w = World::new();
    let (alice, bob, _) = team(&w);
    let dave = w.person("dave");
    w.join(&alice, &dave, &["developer", "tester"]);
    w.ok(&dave, &["get", "shop", "WECHAT_APPSECRET"]);
    let dev_key = commitment(&w, "shop", "developer");
    w.ok(&alice, &["role", "revoke", "dave", "shop", "developer"]);
    assert_ne!(commitment(&w, "shop", "developer"), dev_key);
    w.ok(&bob, &["app", "list"]);
    let signed = w.vault_text();
    edit(&w, |v| {
        v["apps"]["shop"]["roster"]["dave"] = serde_json::json!(["developer", "tester"]);
        v["apps"]["shop"]["keys"]["developer"]["readers"] =
            serde_json::json!(["alice", "bob", "dave"]);
    });
    let (code, err) = run_stdin(&w, &bob, &["rotate-secret", "shop", "--stdin"], NEW_SECRET);
    assert_eq!(code, exit::CORRUPT, "{err}");
    assert!(
        err.contains("dave's role on shop changed to developer, tester but the change is not signed by an owner"),
        "{err}"
    );
    assert_unreadable_by(&w, &dave, "shop", "WECHAT_APPSECRET");
    std::fs::write(w.vault_path(), signed).unwrap();
    next_second();
    w.ok_stdin(&bob, &["rotate-secret", "shop", "--stdin"], NEW_SECRET);
    assert_unreadable_by(&w, &dave, "shop", "WECHAT_APPSECRET");
}
