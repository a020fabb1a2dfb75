//! Trust: the signed roster, pinned owners, and offboarding. Each test is an attack or a flow
//! from the threat model in docs/FORMAT.md.

use crate::common;

use common::*;
use serde_json::Value;

#[test]
fn a_tester_who_makes_themselves_a_developer_by_hand_gains_nothing() {
    let w = World::new();
    let (alice, bob, carol) = team(&w);
    let original = w.vault_text();
    edit(&w, |v| {
        v["apps"]["shop"]["roster"]["carol"] = serde_json::json!(["developer"]);
        v["apps"]["shop"]["keys"]["developer"]["readers"] =
            serde_json::json!(["alice", "bob", "carol"]);
    });
    let says = "carol's role on shop changed to developer but the change is not signed by an owner";
    refused(&w, &alice, &["config", "set", "shop", "A=1"], says);
    refused(&w, &bob, &["rotate-secret", "shop", "--stdin"], says);
    refused(
        &w,
        &alice,
        &["member", "add", "dave", "--key", &w.public_line(&carol)],
        says,
    );
    // Her own key, outside mpvault, opens nothing of the file she edited.
    assert_unreadable_by(&w, &carol, "shop", "WECHAT_APPSECRET");

    // Restored from git, the next rotation is still out of carol's reach. (An attacker who
    // did hold the developer key: promises.rs, a revoked developer.)
    std::fs::write(w.vault_path(), original).unwrap();
    w.ok_stdin(&bob, &["rotate-secret", "shop", "--stdin"], &"b".repeat(32));
    refused_as(
        &w,
        &carol,
        &["get", "shop", "WECHAT_APPSECRET"],
        exit::DENIED,
        "carol cannot read developer-level values of 'shop'",
    );
    assert_unreadable_by(&w, &carol, "shop", "WECHAT_APPSECRET");
}

#[test]
fn a_developer_cannot_grant_themselves_admin() {
    let w = World::new();
    let (alice, bob, _) = team(&w);
    let (code, err) = w.fails(&bob, &["role", "grant", "bob", "shop", "admin"]);
    assert_eq!(code, exit::DENIED);
    assert!(err.contains("only a vault owner can change roles"), "{err}");
    edit(&w, |v| {
        v["apps"]["shop"]["roster"]["bob"] = serde_json::json!(["admin", "developer"]);
    });
    refused(
        &w,
        &alice,
        &["app", "show", "shop"],
        "bob's role on shop changed to admin, developer but the change is not signed",
    );
}

#[test]
fn owner_only_commands_are_refused_to_others() {
    let w = World::new();
    let (_, bob, carol) = team(&w);
    let key = w.public_line(&carol);
    for args in [
        &["app", "add", "blog", "--appid", "wx00000000000000aa"][..],
        &["app", "remove", "shop"],
        &["member", "add", "dave", "--key", &key],
        &["member", "remove", "carol"],
        &["role", "revoke", "carol", "shop", "tester"],
        &["rekey"],
    ] {
        let before = w.vault_text();
        let (code, err) = w.fails(&bob, args);
        assert_eq!(code, exit::DENIED, "{args:?}: {err}");
        assert!(err.contains("only a vault owner"), "{args:?}: {err}");
        assert_eq!(w.vault_text(), before);
    }
}

#[test]
fn a_non_members_key_added_by_hand_is_refused() {
    let w = World::new();
    let (alice, bob, _) = team(&w);
    let eve = w.person("eve");
    let key = w.public_line(&eve);
    let age_key = key.split_whitespace().next().unwrap().to_string();
    edit(&w, |v| {
        v["members"]["eve"] = serde_json::json!({"key": age_key, "added_by": "alice", "added_at": "2026-01-01T00:00:00Z"});
        v["apps"]["shop"]["roster"]["eve"] = serde_json::json!(["developer"]);
    });
    refused(
        &w,
        &alice,
        &["rotate-secret", "shop", "--stdin"],
        "member 'eve' was added but the change is not signed by an owner",
    );
    refused(
        &w,
        &bob,
        &["get", "shop", "WECHAT_APPSECRET"],
        "member 'eve' was added",
    );
}

#[test]
fn a_roster_re_signed_by_someone_who_is_not_a_pinned_owner_is_refused() {
    let w = World::new();
    let (alice, bob, _) = team(&w);
    // Mallory makes herself an owner and signs the result with her own key.
    let mut vault = mpvault::vault::Vault::parse(w.vault_text().as_bytes()).unwrap();
    let mallory_key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let eve = w.person("mallory");
    let line = w.public_line(&eve);
    vault.members.insert(
        "mallory".into(),
        mpvault::vault::Member {
            key: line.split_whitespace().next().unwrap().into(),
            signing_key: Some(mpvault::key::encode_signing_key(
                &mallory_key.verifying_key(),
            )),
            owner: true,
            service: false,
            added_by: "mallory".into(),
            added_at: "2026-01-01T00:00:00Z".into(),
        },
    );
    mpvault::vault::policy::sign(&mut vault, "mallory", &mallory_key).unwrap();
    std::fs::write(w.vault_path(), vault.to_json()).unwrap();
    assert!(
        mpvault::vault::policy::verify(&vault).is_some(),
        "the forgery is self-consistent"
    );

    let says = "signed by 'mallory', who is not an owner you trusted";
    refused(&w, &alice, &["config", "set", "shop", "A=1"], says);
    refused(&w, &bob, &["rotate-secret", "shop", "--stdin"], says);

    // `trust` shows the difference; re-pinning is a deliberate act.
    let report: Value = serde_json::from_str(&w.ok(&bob, &["trust", "--json"])).unwrap();
    assert_eq!(report["signed_by"], "mallory");
    assert_eq!(report["pinned_owners"].as_array().unwrap().len(), 1);
    assert_eq!(report["owners_in_vault"].as_array().unwrap().len(), 2);
    w.ok(&bob, &["trust", "--repin"]);
    w.ok(&bob, &["app", "list"]);
}

#[test]
fn a_swapped_wrapped_key_is_detected() {
    let w = World::new();
    let (alice, bob, _) = team(&w);
    w.add_blog(&alice);
    w.ok(&alice, &["role", "grant", "bob", "blog", "developer"]);
    // Both blobs open for bob; only the signed commitment tells them apart.
    edit(&w, |v| {
        v["apps"]["shop"]["keys"]["developer"]["wrapped"] =
            v["apps"]["blog"]["keys"]["developer"]["wrapped"].clone();
    });
    refused(
        &w,
        &bob,
        &["get", "shop", "WECHAT_APPSECRET"],
        "a wrapped key was swapped",
    );
    refused(
        &w,
        &bob,
        &["rotate-secret", "shop", "--stdin"],
        "a wrapped key was swapped",
    );
}

#[test]
fn an_edited_access_level_cannot_steer_a_rotation_to_a_wider_audience() {
    let w = World::new();
    let (_, bob, carol) = team(&w);
    edit(&w, |v| {
        v["apps"]["shop"]["secrets"]["WECHAT_APPSECRET"]["access"] = "team".into();
    });
    let before = w.vault_text();
    let out = w
        .cmd(&bob)
        .args(["rotate-secret", "shop", "--stdin"])
        .write_stdin("c".repeat(32))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(exit::CORRUPT), "{err}");
    assert!(out.stdout.is_empty());
    assert!(
        err.contains("stored at the team level, below its minimum, developer"),
        "{err}"
    );
    assert_eq!(w.vault_text(), before);
    // carol holds the team key: had the rotation gone through, it would open for her.
    assert_unreadable_by(&w, &carol, "shop", "WECHAT_APPSECRET");
}

#[test]
fn a_stripped_signature_is_refused_once_pinned() {
    let w = World::new();
    let (_, bob, _) = team(&w);
    edit(&w, |v| {
        v.as_object_mut().unwrap().remove("signature");
        v["format"] = 1.into();
    });
    refused(
        &w,
        &bob,
        &["get", "shop", "WECHAT_APPSECRET"],
        "roster is not signed, but the vault this clone trusts in this repository",
    );
}

#[test]
fn owner_changes_signed_by_a_pinned_owner_move_the_pin() {
    let w = World::new();
    let (alice, bob, _) = team(&w);
    let dave = w.person("dave");
    let key = w.public_line(&dave);
    w.ok(&alice, &["member", "add", "dave", "--key", &key, "--owner"]);
    w.ok(&bob, &["app", "list"]);
    w.ok(&dave, &["member", "remove", "alice", "--yes"]);
    // bob trusted dave through alice's signature, so dave's change is accepted.
    assert_eq!(w.ok(&bob, &["get", "shop", "WECHAT_APPSECRET"]), APPSECRET);
    let report: Value = serde_json::from_str(&w.ok(&bob, &["trust", "--json"])).unwrap();
    assert_eq!(report["pinned_owners"][0]["handle"], "dave");
}

#[test]
fn first_use_pins_and_says_so_with_fingerprints() {
    let w = World::new();
    let alice = w.owner_with_app();
    let bob = w.person("bob");
    let out = w.cmd(&bob).args(["app", "list"]).output().unwrap();
    let note = String::from_utf8(out.stderr).unwrap();
    assert!(note.contains("for the first time"), "{note}");
    let shown = w.cmd(&alice).args(["identity", "show"]).output().unwrap();
    let fingerprint = String::from_utf8(shown.stderr)
        .unwrap()
        .trim()
        .rsplit(": ")
        .next()
        .unwrap()
        .to_string();
    assert!(
        note.contains(&format!("alice  {fingerprint}")),
        "{note} / {fingerprint}"
    );
    let again = w.cmd(&bob).args(["app", "list"]).output().unwrap();
    assert!(!String::from_utf8(again.stderr)
        .unwrap()
        .contains("first time"));
}

#[test]
fn member_remove_offboards_in_one_step_and_tracks_rotations_due() {
    let w = World::new();
    let (alice, bob, _) = team(&w);
    w.ok_stdin(
        &alice,
        &["add-secret", "shop", "WECHAT_PAY_API_V3_KEY", "--stdin"],
        &"P".repeat(32),
    );
    let saved = w.vault_text();
    let out = w
        .cmd(&alice)
        .args(["member", "remove", "bob", "--yes"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let note = String::from_utf8(out.stderr).unwrap();
    assert!(
        note.contains("shop: WECHAT_APPSECRET") && !note.contains("WECHAT_PAY"),
        "{note}"
    );

    // `status` exits DUE while anything is due (here also the unrecorded verification and ICP).
    let status = |w: &World| {
        let out = w.cmd(&alice).args(["status", "--json"]).output().unwrap();
        assert_eq!(out.status.code(), Some(exit::DUE));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    assert_eq!(
        status(&w)["apps"][0]["rotations_due"][0]["name"],
        "WECHAT_APPSECRET"
    );
    // Timestamps have whole seconds, and a value set in the second someone left is due.
    common::next_second();
    w.ok_stdin(
        &alice,
        &["rotate-secret", "shop", "--stdin"],
        &"d".repeat(32),
    );
    assert_eq!(
        status(&w)["apps"][0]["rotations_due"],
        serde_json::json!([])
    );

    // bob's identity reads nothing; nor does his saved copy of the old file's data keys.
    assert_eq!(w.fails(&bob, &["get", "shop", "WECHAT_APPSECRET"]).0, 4);
    let current: Value = serde_json::from_str(&w.vault_text()).unwrap();
    let mut old: Value = serde_json::from_str(&saved).unwrap();
    let old_key = old["apps"]["shop"]["keys"]["developer"].clone();
    let mut spliced = current.clone();
    spliced["apps"]["shop"]["keys"]["developer"] = old_key;
    old["apps"]["shop"]["secrets"] = current["apps"]["shop"]["secrets"].clone();
    for file in [spliced, old] {
        std::fs::write(w.vault_path(), serde_json::to_string_pretty(&file).unwrap()).unwrap();
        let (code, err) = w.fails(&bob, &["get", "shop", "WECHAT_APPSECRET"]);
        assert!(code == exit::DENIED || code == exit::CORRUPT, "{err}");
        assert!(!err.contains(&"d".repeat(32)));
    }
}

#[test]
fn rekey_replaces_every_data_key() {
    let w = World::new();
    let (alice, bob, _) = team(&w);
    let before: Value = serde_json::from_str(&w.vault_text()).unwrap();
    w.ok(&alice, &["rekey", "shop"]);
    let after: Value = serde_json::from_str(&w.vault_text()).unwrap();
    for level in ["team", "developer", "admin"] {
        assert_ne!(
            before["apps"]["shop"]["keys"][level]["commitment"],
            after["apps"]["shop"]["keys"][level]["commitment"]
        );
    }
    assert_ne!(
        before["apps"]["shop"]["secrets"],
        after["apps"]["shop"]["secrets"]
    );
    assert_eq!(w.ok(&bob, &["get", "shop", "WECHAT_APPSECRET"]), APPSECRET);
}

#[test]
fn granting_a_role_rewraps_only_the_keys_whose_readers_changed() {
    let w = World::new();
    let (alice, _, _) = team(&w);
    let dave = w.person("dave");
    w.join(&alice, &dave, &[]);
    let key = |v: &Value, level: &str| v["apps"]["shop"]["keys"][level].clone();
    let before: Value = serde_json::from_str(&w.vault_text()).unwrap();
    w.ok(&alice, &["role", "grant", "dave", "shop", "data-analyst"]);
    let after: Value = serde_json::from_str(&w.vault_text()).unwrap();
    assert_ne!(
        key(&before, "team")["wrapped"],
        key(&after, "team")["wrapped"]
    );
    assert_eq!(
        key(&before, "team")["commitment"],
        key(&after, "team")["commitment"],
        "same key, re-wrapped"
    );
    assert_eq!(key(&before, "developer"), key(&after, "developer"));
    assert_eq!(key(&before, "admin"), key(&after, "admin"));
    assert_eq!(
        before["apps"]["shop"]["secrets"],
        after["apps"]["shop"]["secrets"]
    );
}
