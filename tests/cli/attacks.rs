//! Attacks by someone with push access to the repository (docs/FORMAT.md, "Threat model"):
//! each writes bytes into mpvault.json, or restores an old copy, and runs the real binary as
//! the honest members would next. Each must be refused with one clear sentence, leave the file
//! as it was, and make no new value readable to the attacker.

use crate::common;

use common::*;
use serde_json::Value;

const NEW_SECRET: &str = "99999999999999999999999999999999";

fn json(w: &World) -> Value {
    serde_json::from_str(&w.vault_text()).unwrap()
}

/// Deletes a secret from the file by hand.
fn drop_secret(w: &World, name: &str) {
    edit(w, |v| {
        v["apps"]["shop"]["secrets"]
            .as_object_mut()
            .unwrap()
            .remove(name);
    });
}

/// An honest member tries to store a new value and is refused; the file stays as it was.
fn new_value_refused(w: &World, who: &Person, args: &[&str], code: i32, says: &str) {
    let before = w.vault_text();
    let (got, err) = run_stdin(w, who, args, NEW_SECRET);
    assert_eq!(got, code, "{args:?}: {err}");
    assert!(err.contains(says), "{args:?}: expected '{says}' in: {err}");
    assert!(!err.contains(NEW_SECRET));
    assert_eq!(w.vault_text(), before, "{args:?} changed the vault");
}

/// Nothing new is encrypted to the file: `adder` cannot add a secret, `rotator` cannot rotate
/// the AppSecret.
fn no_new_values(w: &World, adder: &Person, rotator: &Person, code: i32, says: &str) {
    let add = ["add-secret", "shop", "API_TOKEN", "--stdin"];
    new_value_refused(w, adder, &add, code, says);
    new_value_refused(
        w,
        rotator,
        &["rotate-secret", "shop", "--stdin"],
        code,
        says,
    );
}

#[test]
fn a_substituted_vault_is_refused_before_anything_is_encrypted_to_it() {
    let w = World::new();
    let (alice, bob, _) = team(&w);
    let fake = lookalike_vault(&w, &alice, &bob);
    std::fs::write(w.vault_path(), &fake).unwrap();
    let says = "this is not the vault you trusted here";
    no_new_values(&w, &alice, &bob, exit::CORRUPT, says);
    refused(&w, &bob, &["app", "list"], says);
}

#[test]
fn an_unsigned_vault_with_a_new_id_is_refused_and_never_signed_by_a_write() {
    let w = World::new();
    let (alice, bob, _) = team(&w);
    let mut fake: Value = serde_json::from_str(&lookalike_vault(&w, &alice, &bob)).unwrap();
    fake.as_object_mut().unwrap().remove("signature");
    fake["format"] = 1.into();
    std::fs::write(w.vault_path(), serde_json::to_string_pretty(&fake).unwrap()).unwrap();
    let says = "roster is not signed, but the vault this clone trusts in this repository";
    no_new_values(&w, &alice, &bob, exit::CORRUPT, says);
    refused(
        &w,
        &alice,
        &["sign", "--yes"],
        "this is not the vault you trusted here",
    );
}

#[test]
fn a_clone_without_memory_trusts_only_the_owners_ci_names() {
    let w = World::new();
    let (alice, _, _) = team(&w);
    let trust: Value = serde_json::from_str(&w.ok(&alice, &["trust", "--json"])).unwrap();
    let print = trust["owners_in_vault"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    let ci = w.stranger("ci");
    let key = std::fs::read_to_string(alice.home.join(".config/mpvault/identity.txt")).unwrap();
    let get = |owners: &str| {
        w.cmd(&ci)
            .env("MPVAULT_IDENTITY", &key)
            .env("MPVAULT_TRUSTED_OWNERS", owners)
            .args(["get", "shop", "WECHAT_APPSECRET"])
            .output()
            .unwrap()
    };
    let out = get(&format!("0000 0000 0000 0000 0000, {print}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, APPSECRET.as_bytes());
    let out = get("0000 0000 0000 0000 0000");
    assert_eq!(out.status.code(), Some(exit::CORRUPT));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("is not among the owners MPVAULT_TRUSTED_OWNERS names"));
    assert!(out.stdout.is_empty());
}

#[test]
fn a_signed_level_without_a_commitment_is_refused() {
    let w = World::new();
    let (_, bob, _) = team(&w);
    edit(&w, |v| {
        v["apps"]["shop"]["keys"]["developer"]
            .as_object_mut()
            .unwrap()
            .remove("commitment");
    });
    refused(
        &w,
        &bob,
        &["get", "shop", "WECHAT_APPSECRET"],
        "has no commitment",
    );
}

#[test]
fn a_rollback_to_before_a_removal_never_encrypts_to_the_removed_member() {
    let w = World::new();
    let (alice, _, _) = team(&w);
    let before_removal = w.vault_text();
    w.ok(&alice, &["member", "remove", "bob", "--yes"]);
    // bob pushes the file from before his removal.
    std::fs::write(w.vault_path(), &before_removal).unwrap();
    let says = "this write would encrypt to 'bob', whom this clone saw removed";
    no_new_values(&w, &alice, &alice, exit::DENIED, says);
    refused_as(
        &w,
        &alice,
        &["role", "grant", "bob", "shop", "admin"],
        exit::DENIED,
        says,
    );
    // Reading an older copy is normal in git (another branch, an old tag): it warns.
    let out = w
        .cmd(&alice)
        .args(["get", "shop", "WECHAT_APPSECRET"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("older than revision"));
}

#[test]
fn a_rollback_to_an_era_when_the_attacker_was_owner_does_not_re_pin_them() {
    let w = World::new();
    let (alice, bob, _) = team(&w);
    let mallory = w.person("mallory");
    let key = w.public_line(&mallory);
    w.ok(
        &alice,
        &["member", "add", "mallory", "--key", &key, "--owner"],
    );
    w.ok(&mallory, &["app", "list"]);
    w.ok(&bob, &["app", "list"]);
    let mallory_era = w.vault_text();
    w.ok(&alice, &["member", "remove", "mallory", "--yes"]);
    w.ok(&bob, &["app", "list"]);

    // The old file, as it was: reads warn, writes are refused, the pins do not move.
    std::fs::write(w.vault_path(), &mallory_era).unwrap();
    new_value_refused(
        &w,
        &bob,
        &["rotate-secret", "shop", "--stdin"],
        exit::DENIED,
        "whom this clone saw removed",
    );
    let trust: Value = serde_json::from_str(&w.ok(&bob, &["trust", "--json"])).unwrap();
    let pinned: Vec<&str> = trust["pinned_owners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["handle"].as_str().unwrap())
        .collect();
    assert_eq!(pinned, ["alice"]);

    // Mallory signs new revisions of her era with her old owner key, past the current one.
    for _ in 0..4 {
        w.ok(&mallory, &["rekey"]);
    }
    refused(
        &w,
        &bob,
        &["get", "shop", "WECHAT_APPSECRET"],
        "whom this clone saw removed as an owner",
    );
    refused(
        &w,
        &alice,
        &["app", "list"],
        "whom this clone saw removed as an owner",
    );
}

#[test]
fn a_secret_deleted_and_re_added_at_a_lower_level_is_never_rotated_there() {
    let w = World::new();
    let (alice, bob, carol) = team(&w);
    // The AppSecret has a fixed minimum.
    drop_secret(&w, "WECHAT_APPSECRET");
    new_value_refused(
        &w,
        &carol,
        &["add-secret", "shop", "--access", "team", "--stdin"],
        exit::USAGE,
        "never stored below the developer level",
    );

    // A custom secret bob added; alice's next change signs its level as a floor.
    w.ok_stdin(
        &bob,
        &["add-secret", "shop", "API_TOKEN", "--stdin"],
        "token-1",
    );
    w.ok(&alice, &["config", "set", "shop", "A=1"]);
    assert_eq!(json(&w)["apps"]["shop"]["floors"]["API_TOKEN"], "developer");
    drop_secret(&w, "API_TOKEN");
    new_value_refused(
        &w,
        &carol,
        &[
            "add-secret",
            "shop",
            "API_TOKEN",
            "--access",
            "team",
            "--stdin",
        ],
        exit::DENIED,
        "must be stored at the developer level or above, as its owners signed",
    );
}

#[test]
fn a_lowered_custom_secret_without_a_floor_is_not_rotated_by_a_clone_that_saw_it() {
    let w = World::new();
    let (_, bob, carol) = team(&w);
    w.ok_stdin(
        &bob,
        &["add-secret", "shop", "API_TOKEN", "--stdin"],
        "token-1",
    );
    // carol deletes it and adds her own at the team level: allowed for a new secret...
    drop_secret(&w, "API_TOKEN");
    w.ok_stdin(
        &carol,
        &[
            "add-secret",
            "shop",
            "API_TOKEN",
            "--access",
            "team",
            "--stdin",
        ],
        "carols",
    );
    // ...but bob's clone saw it at the developer level, and will not rotate it lower.
    new_value_refused(
        &w,
        &bob,
        &["rotate-secret", "shop", "API_TOKEN", "--stdin"],
        exit::DENIED,
        "was at the developer level when this clone last saw it",
    );
}

#[test]
fn a_relabelled_level_is_refused() {
    let w = World::new();
    let (_, bob, carol) = team(&w);
    w.ok_stdin(
        &bob,
        &["add-secret", "shop", "API_TOKEN", "--stdin"],
        "token-1",
    );
    edit(&w, |v| {
        v["apps"]["shop"]["secrets"]["API_TOKEN"]["access"] = "team".into();
    });
    refused(
        &w,
        &bob,
        &["get", "shop", "API_TOKEN"],
        "does not carry a valid signature of 'bob'",
    );
    new_value_refused(
        &w,
        &bob,
        &["rotate-secret", "shop", "API_TOKEN", "--stdin"],
        exit::CORRUPT,
        "does not carry a valid signature of 'bob'",
    );
    // carol holds the team key the file now names: her own key must still open nothing.
    assert_unreadable_by(&w, &carol, "shop", "API_TOKEN");
}

#[test]
fn a_dropped_newest_version_is_noticed() {
    let w = World::new();
    let (alice, bob, _) = team(&w);
    w.ok_stdin(
        &alice,
        &["rotate-secret", "shop", "--stdin"],
        &"a".repeat(32),
    );
    assert_eq!(
        w.ok(&bob, &["get", "shop", "WECHAT_APPSECRET"]),
        "a".repeat(32)
    );
    drop_newest_appsecret(&w);
    refused(
        &w,
        &bob,
        &["get", "shop", "WECHAT_APPSECRET"],
        "WECHAT_APPSECRET of 'shop' is at version 1 in this file, but this clone has seen version 2",
    );
}

#[test]
fn an_erased_departure_is_refused_and_the_same_value_does_not_clear_it() {
    let w = World::new();
    let (alice, _, _) = team(&w);
    w.ok(&alice, &["member", "remove", "bob", "--yes"]);
    let signed = w.vault_text();
    edit(&w, |v| {
        v.as_object_mut().unwrap().remove("departures");
    });
    refused(
        &w,
        &alice,
        &["status"],
        "the record that bob was removed in revision",
    );
    std::fs::write(w.vault_path(), signed).unwrap();
    let (code, err) = run_stdin(&w, &alice, &["rotate-secret", "shop", "--stdin"], APPSECRET);
    assert_eq!(code, exit::USAGE, "{err}");
    assert!(err.contains("that is the value already stored"), "{err}");
    let out = w.cmd(&alice).args(["status", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(exit::DUE), "something is due");
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        status["apps"][0]["rotations_due"][0]["name"],
        "WECHAT_APPSECRET"
    );
}

#[test]
fn a_forged_writer_is_refused() {
    let w = World::new();
    let (alice, bob, _) = team(&w);
    w.ok_stdin(&bob, &["rotate-secret", "shop", "--stdin"], &"b".repeat(32));
    edit(&w, |v| {
        v["apps"]["shop"]["secrets"]["WECHAT_APPSECRET"]["versions"][0]["set_by"] = "alice".into();
    });
    refused(
        &w,
        &alice,
        &["get", "shop", "WECHAT_APPSECRET"],
        "does not carry a valid signature of 'alice'",
    );
    // A tester's own signature does not make a developer-level value theirs to write.
    edit(&w, |v| {
        v["apps"]["shop"]["secrets"]["WECHAT_APPSECRET"]["versions"][0]["set_by"] = "carol".into();
    });
    refused(
        &w,
        &bob,
        &["get", "shop", "WECHAT_APPSECRET"],
        "written by 'carol', who cannot read developer-level values",
    );
}

#[test]
fn a_config_entry_cannot_shadow_a_secret() {
    let w = World::new();
    let (alice, bob, _) = team(&w);
    w.ok(
        &alice,
        &["config", "set", "shop", "API_BASE=https://evil.example.com"],
    );
    edit(&w, |v| {
        let entry = v["apps"]["shop"]["config"]["API_BASE"].clone();
        v["apps"]["shop"]["config"]["WECHAT_APPSECRET"] = entry;
    });
    refused(
        &w,
        &bob,
        &["get", "shop", "WECHAT_APPSECRET"],
        "is both a config value and a secret",
    );
}

#[test]
fn switching_branches_back_and_forth_keeps_working() {
    let w = World::new();
    let (alice, bob, _) = team(&w);
    w.git_with_vault();
    w.git(&["checkout", "-qb", "feature"]);
    let dave = w.person("dave");
    w.join(&alice, &dave, &["developer"]);
    w.ok_stdin(&bob, &["rotate-secret", "shop", "--stdin"], &"c".repeat(32));
    w.git(&["commit", "-qam", "dave joins"]);
    // Each branch reads its own value; the older one with a warning, once the newer was seen.
    let newer = "c".repeat(32);
    for (branch, value) in [
        ("main", APPSECRET),
        ("feature", newer.as_str()),
        ("main", APPSECRET),
        ("feature", newer.as_str()),
    ] {
        w.git(&["checkout", "-q", branch]);
        for who in [&alice, &bob] {
            let out = succeeded(
                w.cmd(who)
                    .args(["get", "shop", "WECHAT_APPSECRET"])
                    .output()
                    .unwrap(),
            );
            assert_eq!(String::from_utf8_lossy(&out.stdout), value, "{branch}");
            let err = String::from_utf8_lossy(&out.stderr);
            let warned = err.contains("older than revision 9 which this clone has seen");
            assert_eq!(warned, branch == "main", "{branch}, {}: {err}", who.name);
        }
    }
    // Work on the older branch that reaches nobody who left goes on as usual.
    w.git(&["checkout", "-q", "main"]);
    w.ok(&alice, &["config", "set", "shop", "B=2"]);
}

/// Regression: a secret removed and added again starts from version 1 without being taken for
/// a dropped version by a clone that saw version 2 and never saw it removed.
#[test]
fn a_removed_secret_can_be_added_again() {
    let w = World::new();
    let (alice, bob, _) = team(&w);
    w.ok_stdin(
        &bob,
        &["add-secret", "shop", "API_TOKEN", "--stdin"],
        "token-1",
    );
    w.ok_stdin(
        &bob,
        &["rotate-secret", "shop", "API_TOKEN", "--stdin"],
        "token-2",
    );
    w.ok(&alice, &["remove-secret", "shop", "API_TOKEN", "--yes"]);
    let fresh = w.person("erin");
    w.join(&alice, &fresh, &["developer"]);
    next_second();
    w.ok_stdin(
        &fresh,
        &["add-secret", "shop", "API_TOKEN", "--stdin"],
        "token-3",
    );
    assert_eq!(w.ok(&bob, &["get", "shop", "API_TOKEN"]), "token-3");
}
