//! Departures bind older copies, not the future: at the newest revision an owner gives a role
//! back, or re-adds someone who left, after saying what that gives back. What this clone saw only
//! in states that no git ref holds any longer (discarded work) is forgotten when it would refuse
//! something; what a ref holds is remembered as before.

use crate::common;

use common::*;
use serde_json::Value;

fn roles_of(w: &World, who: &Person, handle: &str) -> Value {
    let out = w.ok(who, &["roster", "shop", "--json"]);
    let rows: Value = serde_json::from_str(&out).unwrap();
    rows.as_array()
        .unwrap()
        .iter()
        .find(|r| r["handle"] == handle)
        .map_or(Value::Null, |r| r["roles"].clone())
}

/// Regression (Trust 3, case 1): a revoked role could never be given back, not even by the only
/// owner on the newest revision ("this copy of the vault is older; merge the newer roster").
#[test]
fn an_owner_gives_a_revoked_role_back_on_the_newest_revision() {
    let w = World::new();
    let (alice, bob, carol) = team(&w);
    w.git_with_vault();
    w.ok(&alice, &["role", "revoke", "bob", "shop", "developer"]);
    w.git(&["commit", "-qam", "bob leaves shop"]);
    assert_eq!(rotations_due(&w, &alice), ["WECHAT_APPSECRET"]);

    // Moving bob to tester gives back the team level he lost: asked, and refused without a yes.
    refused_as(
        &w,
        &alice,
        &["role", "grant", "bob", "shop", "tester"],
        exit::USAGE,
        "Giving 'bob' back",
    );
    let out = w
        .cmd(&alice)
        .args(["role", "grant", "bob", "shop", "tester", "--yes"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("shop/team"), "says what it gives back: {err}");
    assert_eq!(roles_of(&w, &alice, "bob"), serde_json::json!(["tester"]));
    // The return is signed with the policy, and shown without a key.
    let vault: Value = serde_json::from_str(&w.vault_text()).unwrap();
    assert_eq!(vault["returns"][0]["handle"], "bob");
    assert_eq!(vault["returns"][0]["by"], "alice");
    assert_eq!(
        vault["returns"][0]["regained"],
        serde_json::json!(["shop/team"])
    );
    assert_eq!(vault["returns"][0]["revision"], vault["revision"]);
    let diff = w.ok(&alice, &["git", "textconv", "mpvault.json"]);
    assert!(diff.contains("bob given back shop/team"), "{diff}");
    // Erasing it by hand breaks the owner's signature.
    let signed = w.vault_text();
    edit(&w, |v| {
        v.as_object_mut().unwrap().remove("returns");
    });
    refused(&w, &alice, &["roster", "shop"], "was erased");
    std::fs::write(w.vault_path(), signed).unwrap();
    w.ok(&bob, &["roster", "shop"]);

    // Undoing the mistake: developer again; bob reads the AppSecret under the new key.
    w.ok(
        &alice,
        &["role", "grant", "bob", "shop", "developer", "--yes"],
    );
    assert_eq!(w.ok(&bob, &["get", "shop", "WECHAT_APPSECRET"]), APPSECRET);
    // The rotation the departure made due stays due: bob saw the old value.
    assert_eq!(rotations_due(&w, &alice), ["WECHAT_APPSECRET"]);
    w.ok(&carol, &["app", "list"]);
}

/// Regression (Trust 3, case 1): removing bob and adding him again with the same key was
/// refused for good.
#[test]
fn a_removed_member_can_be_added_again_with_the_same_key() {
    let w = World::new();
    let (alice, bob, _) = team(&w);
    w.ok(&alice, &["member", "remove", "bob", "--yes"]);
    let key = w.public_line(&bob);
    w.ok(&alice, &["member", "add", "bob", "--key", &key]);
    w.ok(
        &alice,
        &["role", "grant", "bob", "shop", "developer", "--yes"],
    );
    assert_eq!(w.ok(&bob, &["get", "shop", "WECHAT_APPSECRET"]), APPSECRET);
    assert_eq!(rotations_due(&w, &alice), ["WECHAT_APPSECRET"]);
}

/// A rollback to a copy older than the departure still never encrypts to the departed key,
/// even for the owner, and even with --yes: giving carol the developer level there would
/// re-wrap its key to bob too.
#[test]
fn a_departure_still_binds_copies_older_than_it() {
    let w = World::new();
    let (alice, _, _) = team(&w);
    w.git_with_vault();
    let before = w.vault_text();
    w.ok(&alice, &["role", "revoke", "bob", "shop", "developer"]);
    w.git(&["commit", "-qam", "bob leaves shop"]);
    // The old file is pushed back on top: a state git still holds is remembered.
    std::fs::write(w.vault_path(), &before).unwrap();
    w.git(&["commit", "-qam", "rollback"]);
    let says = "this write would encrypt to 'bob', whom this clone saw lose";
    refused_as(
        &w,
        &alice,
        &["config", "set", "shop", "A=1"],
        exit::DENIED,
        says,
    );
    refused_as(
        &w,
        &alice,
        &["role", "grant", "carol", "shop", "developer", "--yes"],
        exit::DENIED,
        says,
    );
}

/// `role set` replaces a member's roles in one step: what it takes is a departure, what it gives
/// back is a return.
#[test]
fn role_set_replaces_roles_in_one_step() {
    let w = World::new();
    let (alice, bob, carol) = team(&w);
    w.ok(
        &alice,
        &["role", "set", "carol", "shop", "operator", "data-analyst"],
    );
    assert_eq!(
        roles_of(&w, &alice, "carol"),
        serde_json::json!(["operator", "data-analyst"])
    );
    // Taking developer away from bob in favour of tester is a departure from the developer level.
    w.ok(&alice, &["role", "set", "bob", "shop", "tester"]);
    assert_eq!(roles_of(&w, &alice, "bob"), serde_json::json!(["tester"]));
    assert_eq!(rotations_due(&w, &alice), ["WECHAT_APPSECRET"]);
    w.fails(&bob, &["get", "shop", "WECHAT_APPSECRET"]);
    // Giving it back asks first.
    refused_as(
        &w,
        &alice,
        &["role", "set", "bob", "shop", "developer"],
        exit::USAGE,
        "Giving 'bob' back",
    );
    w.ok(
        &alice,
        &["role", "set", "bob", "shop", "developer", "--yes"],
    );
    assert_eq!(w.ok(&bob, &["get", "shop", "WECHAT_APPSECRET"]), APPSECRET);
    w.ok(&carol, &["app", "list"]);
}

/// Regression (Trust 3, case 2): a removal that was never committed, then discarded with git,
/// locked the owner out of adding the same person again.
#[test]
fn discarded_local_work_is_forgotten_when_it_would_refuse() {
    let w = World::new();
    let alice = w.owner_with_app();
    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], APPSECRET);
    w.git_with_vault();
    let zed = w.person("zed");
    w.join(&alice, &zed, &["developer"]);
    w.ok(&alice, &["member", "remove", "zed", "--yes"]);
    // An experiment, thrown away: nothing committed, no branch, no stash.
    w.git(&["reset", "-q", "--hard"]);

    w.join(&alice, &zed, &[]);
    let out = w
        .cmd(&alice)
        .args(["role", "grant", "zed", "shop", "developer"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(w.ok(&zed, &["get", "shop", "WECHAT_APPSECRET"]), APPSECRET);
}

/// Regression (Trust 3, case 2): after a revocation that was thrown away, the owner's next
/// rotation on the committed vault was refused as encrypting to someone who left.
#[test]
fn a_discarded_revocation_does_not_refuse_the_next_rotation() {
    let w = World::new();
    let (alice, bob, _) = team(&w);
    w.git_with_vault();
    w.ok(&alice, &["role", "revoke", "bob", "shop", "developer"]);
    w.git(&["checkout", "-q", "--", "mpvault.json"]);
    let (code, err) = run_stdin(
        &w,
        &alice,
        &["rotate-secret", "shop", "--stdin"],
        &"c".repeat(32),
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("no git branch, tag or stash holds"), "{err}");
    assert_eq!(
        w.ok(&bob, &["get", "shop", "WECHAT_APPSECRET"]),
        "c".repeat(32)
    );
}

/// A pusher cannot keep a discarded state remembered with a forged one: a branch holding the
/// vault at a high revision counts only when an owner this clone trusts signed it.
#[test]
fn a_forged_branch_does_not_keep_discarded_work_remembered() {
    let w = World::new();
    let (alice, bob, _) = team(&w);
    w.git_with_vault();
    w.git(&["checkout", "-q", "-b", "evil"]);
    edit(&w, |v| v["revision"] = 999.into());
    w.git(&["commit", "-qam", "a forged revision"]);
    w.git(&["checkout", "-q", "main"]);
    w.ok(&alice, &["role", "revoke", "bob", "shop", "developer"]);
    w.git(&["checkout", "-q", "--", "mpvault.json"]);
    let (code, err) = run_stdin(
        &w,
        &alice,
        &["rotate-secret", "shop", "--stdin"],
        &"c".repeat(32),
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("no git branch, tag or stash holds"), "{err}");
    assert_eq!(
        w.ok(&bob, &["get", "shop", "WECHAT_APPSECRET"]),
        "c".repeat(32)
    );
}

/// Regression (Trust 3, case 2): a rotation that was never committed, then discarded, made
/// every later command refuse the vault as a dropped version.
#[test]
fn a_discarded_rotation_is_forgotten() {
    let w = World::new();
    let (alice, bob, _) = team(&w);
    w.git_with_vault();
    w.ok_stdin(&bob, &["rotate-secret", "shop", "--stdin"], &"b".repeat(32));
    w.git(&["checkout", "-q", "--", "mpvault.json"]);
    let out = w
        .cmd(&bob)
        .args(["get", "shop", "WECHAT_APPSECRET"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("no git branch, tag or stash holds"), "{err}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), APPSECRET);
    w.ok(&alice, &["get", "shop", "WECHAT_APPSECRET"]);
}

/// What a branch or stash still holds is remembered: a rotation stashed away is not dropped.
#[test]
fn a_stashed_rotation_is_still_remembered() {
    let w = World::new();
    let (_, bob, _) = team(&w);
    w.git_with_vault();
    w.ok_stdin(&bob, &["rotate-secret", "shop", "--stdin"], &"b".repeat(32));
    w.git(&["stash", "-q"]);
    refused(
        &w,
        &bob,
        &["get", "shop", "WECHAT_APPSECRET"],
        "a newer value was dropped",
    );
    w.git(&["stash", "pop", "-q"]);
    w.ok(&bob, &["get", "shop", "WECHAT_APPSECRET"]);
}

/// Outside git there are no refs to consult: the memory stays as it is.
#[test]
fn outside_git_a_dropped_version_is_still_refused() {
    let w = World::new();
    let (_, bob, _) = team(&w);
    let before = w.vault_text();
    w.ok_stdin(&bob, &["rotate-secret", "shop", "--stdin"], &"b".repeat(32));
    std::fs::write(w.vault_path(), before).unwrap();
    refused(
        &w,
        &bob,
        &["get", "shop", "WECHAT_APPSECRET"],
        "a newer value was dropped",
    );
}
