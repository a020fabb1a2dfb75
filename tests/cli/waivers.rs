//! Waivers (issue 25, item 3): an internal move need not force the client to reset secrets.
//! An owner records a signed waiver (`role revoke … --keep-secrets`, `rotation waive`) instead
//! of a rotation due; it covers only what was due when it was made, a writer cannot forge one,
//! and `member remove` never waives.

use crate::common;

use common::*;
use serde_json::Value;

/// alice (owner), bob (developer) and carol (tester) on shop, whose health is otherwise clean:
/// verified, ICP filed, a contact recorded, an AppSecret stored just now.
fn clean_team(w: &World) -> (Person, Person, Person) {
    let (alice, bob, carol) = team(w);
    make_compliant(w, &alice, "2099-12-31");
    let (code, out) = status(w, &alice);
    assert_eq!(code, exit::SUCCESS, "{out}");
    (alice, bob, carol)
}

/// bob leaves shop's developer role and stays on the team: the owner keeps the secrets.
const REVOKE_KEEPING: [&str; 8] = [
    "role",
    "revoke",
    "bob",
    "shop",
    "developer",
    "--keep-secrets",
    "--reason",
    MOVED,
];

fn status(w: &World, who: &Person) -> (i32, String) {
    let out = w.cmd(who).args(["status"]).output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

fn waived(w: &World, who: &Person) -> Vec<Value> {
    let out = w.cmd(who).args(["status", "--json"]).output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    report["apps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| {
            a["rotations_waived"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .collect()
}

fn stderr_of(w: &World, who: &Person, args: &[&str]) -> String {
    let out = w.cmd(who).args(args).output().unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{args:?}: {err}");
    err
}

const MOVED: &str = "moved to the blog team, still employed";

#[test]
fn a_member_who_moves_keeps_the_secrets_under_a_signed_waiver() {
    let w = World::new();
    let (alice, _bob, _carol) = clean_team(&w);
    let said = stderr_of(&w, &alice, &REVOKE_KEEPING);
    assert!(said.contains("Kept WECHAT_APPSECRET of 'shop'"), "{said}");
    assert!(!said.contains("reset each"), "{said}");
    // Nothing is due, so status passes, and shows the waiver apart.
    assert!(rotations_due(&w, &alice).is_empty());
    let (code, out) = status(&w, &alice);
    assert_eq!(code, exit::SUCCESS, "{out}");
    assert!(
        out.contains("1 rotation(s) waived by an owner (not due):"),
        "{out}"
    );
    assert!(
        out.contains("shop: WECHAT_APPSECRET kept after bob lost access; waived by alice"),
        "{out}"
    );
    let waived = waived(&w, &alice);
    assert_eq!(waived.len(), 1);
    assert_eq!(waived[0]["name"], "WECHAT_APPSECRET");
    assert_eq!(waived[0]["departed"], serde_json::json!(["bob"]));
    assert_eq!(waived[0]["waivers"][0]["by"], "alice");
    assert_eq!(waived[0]["waivers"][0]["reason"], MOVED);
    // The waiver is in the signed policy, at the revision of the revoke, in format 6.
    let vault: Value = serde_json::from_str(&w.vault_text()).unwrap();
    assert_eq!(vault["format"], 6);
    assert_eq!(vault["waivers"][0]["revision"], vault["revision"]);
    assert_eq!(vault["waivers"][0]["departed"], "bob");
    // bob lost the level all the same: the data key was replaced.
    assert_unreadable_by(&w, &_bob, "shop", "WECHAT_APPSECRET");
    // textconv (what `git diff` shows) names who waived what and why.
    let text = w.ok(&alice, &["git", "textconv", "mpvault.json"]);
    assert!(
        text.contains("WECHAT_APPSECRET of shop after bob's departure waived by alice at"),
        "{text}"
    );
    assert!(text.contains(MOVED), "{text}");
}

#[test]
fn rotation_waive_accepts_what_is_due_now_and_refuses_what_is_not() {
    let w = World::new();
    let (alice, _bob, _carol) = clean_team(&w);
    refused_as(
        &w,
        &alice,
        &["rotation", "waive", "shop", "--reason", "nothing due yet"],
        exit::USAGE,
        "nothing of 'shop' is due for rotation, so there is nothing to waive",
    );
    w.ok(&alice, &["role", "revoke", "bob", "shop", "developer"]);
    assert_eq!(rotations_due(&w, &alice), ["WECHAT_APPSECRET"]);
    assert_eq!(status(&w, &alice).0, exit::DUE);
    refused_as(
        &w,
        &alice,
        &[
            "rotation",
            "waive",
            "shop",
            "WECHAT_APPSECRT",
            "--reason",
            "x",
        ],
        exit::NOT_FOUND,
        "did you mean WECHAT_APPSECRET?",
    );
    refused_as(
        &w,
        &alice,
        &["rotation", "waive", "shop", "--reason", "  "],
        exit::USAGE,
        "a waiver needs a reason",
    );
    let said = stderr_of(
        &w,
        &alice,
        &[
            "rotation",
            "waive",
            "shop",
            "WECHAT_APPSECRET",
            "--reason",
            "client accepts the risk",
        ],
    );
    assert!(
        said.contains("Waived the rotation of WECHAT_APPSECRET of 'shop'"),
        "{said}"
    );
    assert!(rotations_due(&w, &alice).is_empty());
    assert_eq!(status(&w, &alice).0, exit::SUCCESS);
}

#[test]
fn only_an_owner_waives() {
    let w = World::new();
    let (alice, bob, carol) = clean_team(&w);
    w.ok(&alice, &["role", "revoke", "carol", "shop", "tester"]);
    w.ok(&alice, &["role", "grant", "bob", "shop", "admin"]);
    w.ok(&alice, &["role", "revoke", "bob", "shop", "admin"]);
    refused_as(
        &w,
        &bob,
        &["rotation", "waive", "shop", "--reason", "I say so"],
        exit::DENIED,
        "owner",
    );
    refused_as(
        &w,
        &carol,
        &[
            "role",
            "revoke",
            "bob",
            "shop",
            "developer",
            "--keep-secrets",
            "--reason",
            "x",
        ],
        exit::DENIED,
        "owner",
    );
}

/// The attack: a writer (bob, a developer) writes a waiver into the file so the AppSecret he
/// could read stops being due. Waivers are part of the signed policy: everyone refuses the file.
#[test]
fn a_forged_waiver_is_refused() {
    let w = World::new();
    let (alice, bob, _carol) = clean_team(&w);
    w.ok(&alice, &["role", "revoke", "bob", "shop", "developer"]);
    w.ok(&bob, &["app", "list"]);
    let revision = serde_json::from_str::<Value>(&w.vault_text()).unwrap()["revision"].clone();
    edit(&w, |v| {
        v["format"] = 6.into();
        v["waivers"] = serde_json::json!([{
            "app": "shop",
            "secret": "WECHAT_APPSECRET",
            "reason": "alice agreed on the phone",
            "by": "alice",
            "at": "2026-01-01T00:00:00Z",
            "revision": revision,
        }]);
    });
    let forged = w.vault_text();
    for who in [&alice, &bob] {
        let (code, err) = w.fails(who, &["status"]);
        assert_eq!(code, exit::CORRUPT, "{err}");
        assert!(err.contains("not signed by an owner"), "{err}");
        assert!(
            err.contains("waived the rotation of WECHAT_APPSECRET"),
            "{err}"
        );
    }
    assert_eq!(w.vault_text(), forged);
}

/// A waiver covers what was due when it was made: a later departure of someone who could read
/// the same value makes it due again, and so does the waived member's own removal.
#[test]
fn a_later_departure_makes_a_waived_secret_due_again() {
    let w = World::new();
    let (alice, bob, carol) = clean_team(&w);
    w.ok(&alice, &["role", "grant", "carol", "shop", "developer"]);
    w.ok(&alice, &REVOKE_KEEPING);
    assert!(rotations_due(&w, &alice).is_empty());
    // carol leaves the developer level later: due again, for her.
    w.ok(&alice, &["role", "revoke", "carol", "shop", "developer"]);
    assert_eq!(rotations_due(&w, &alice), ["WECHAT_APPSECRET"]);
    let (code, out) = status(&w, &alice);
    assert_eq!(code, exit::DUE, "{out}");
    assert!(out.contains("carol could read it until"), "{out}");
    let _ = (bob, carol);
}

/// "member remove never waives": the person leaves, so a waiver kept for them while they stayed
/// lapses, and what they could read is due again.
#[test]
fn member_remove_never_waives_and_ends_a_waiver_kept_for_the_member() {
    let w = World::new();
    let (alice, _bob, _carol) = clean_team(&w);
    w.ok(&alice, &["role", "grant", "carol", "shop", "developer"]);
    w.ok(
        &alice,
        &[
            "role",
            "revoke",
            "carol",
            "shop",
            "developer",
            "--keep-secrets",
            "--reason",
            MOVED,
        ],
    );
    assert!(rotations_due(&w, &alice).is_empty());
    w.ok(&alice, &["member", "remove", "carol", "--yes"]);
    assert_eq!(rotations_due(&w, &alice), ["WECHAT_APPSECRET"]);
    assert!(waived(&w, &alice).is_empty());
    // member remove has no way to waive at all.
    let (code, _) = w.fails(
        &alice,
        &["member", "remove", "bob", "--keep-secrets", "--yes"],
    );
    assert_eq!(code, exit::USAGE);
    // An owner who still accepts the risk says so explicitly, and it is recorded as such.
    w.ok(
        &alice,
        &[
            "rotation",
            "waive",
            "shop",
            "--reason",
            "carol's laptop was wiped",
        ],
    );
    assert!(rotations_due(&w, &alice).is_empty());
}

#[test]
fn keep_secrets_needs_a_reason_and_something_taken() {
    let w = World::new();
    let (alice, _bob, _carol) = clean_team(&w);
    let before = w.vault_text();
    let (code, err) = w.fails(
        &alice,
        &[
            "role",
            "revoke",
            "bob",
            "shop",
            "developer",
            "--keep-secrets",
        ],
    );
    assert_eq!(code, exit::USAGE, "{err}");
    assert!(err.contains("--reason"), "{err}");
    refused_as(
        &w,
        &alice,
        &[
            "role",
            "grant",
            "carol",
            "shop",
            "developer",
            "--keep-secrets",
            "--reason",
            "x",
        ],
        exit::USAGE,
        "role grant takes nothing away",
    );
    assert_eq!(w.vault_text(), before);
}

/// The honest move right after: the client resets the secret anyway; the new value is stored
/// and the waiver has nothing left to cover.
#[test]
fn rotating_a_waived_secret_ends_the_waiver() {
    let w = World::new();
    let (alice, _bob, _carol) = clean_team(&w);
    w.ok(&alice, &REVOKE_KEEPING);
    assert_eq!(waived(&w, &alice).len(), 1);
    w.ok_stdin(
        &alice,
        &["rotate-secret", "shop", "--stdin"],
        "fedcba9876543210fedcba9876543210",
    );
    assert!(waived(&w, &alice).is_empty());
    assert!(rotations_due(&w, &alice).is_empty());
}

/// A bulk move with --keep-secrets: one signed revision holds the departure and every waiver.
#[test]
fn a_bulk_move_keeps_secrets_in_one_revision() {
    let w = World::new();
    let (alice, _bob, _carol) = clean_team(&w);
    w.add_blog(&alice);
    w.ok(&alice, &["role", "grant", "bob", "blog", "developer"]);
    w.ok_stdin(&alice, &["add-secret", "blog", "--stdin"], APPSECRET);
    let revision = serde_json::from_str::<Value>(&w.vault_text()).unwrap()["revision"]
        .as_u64()
        .unwrap();
    let said = stderr_of(
        &w,
        &alice,
        &[
            "role",
            "revoke",
            "bob",
            "developer",
            "--apps",
            "shop,blog",
            "--keep-secrets",
            "--reason",
            MOVED,
            "--yes",
        ],
    );
    assert!(
        said.contains("Kept WECHAT_APPSECRET of 'blog', WECHAT_APPSECRET of 'shop'"),
        "{said}"
    );
    let vault: Value = serde_json::from_str(&w.vault_text()).unwrap();
    assert_eq!(vault["revision"].as_u64().unwrap(), revision + 1);
    let waivers = vault["waivers"].as_array().unwrap();
    assert_eq!(waivers.len(), 2);
    assert!(waivers.iter().all(|x| x["revision"] == revision + 1));
    assert!(rotations_due(&w, &alice).is_empty());
}

/// `audit` walks git history and says who waived what and why, in the commit that did it.
#[test]
fn audit_shows_who_waived_what_and_why() {
    let w = World::new();
    let (alice, _bob, _carol) = clean_team(&w);
    w.git_with_vault();
    w.ok(&alice, &REVOKE_KEEPING);
    w.git(&["commit", "-qam", "bob moves to blog"]);
    let out = w.ok(&alice, &["audit"]);
    assert!(
        out.contains(&format!(
            "alice waived the rotation of WECHAT_APPSECRET of 'shop' after bob's departure: \"{MOVED}\""
        )),
        "{out}"
    );
}

/// Two owners waive on two branches; mpvault's merge driver keeps both waivers, signed.
#[test]
fn the_merge_driver_keeps_the_waivers_of_both_sides() {
    use common::repo::Team;
    let t = Team::new(&[("dave", &["developer"], true)]);
    let alice = t.clone_of("alice");
    alice.mp(&["app", "add", "blog", "--appid", BLOG_APPID]);
    alice.mp(&["role", "grant", "bob", "blog", "developer"]);
    alice.mp_in(&["add-secret", "blog", "--stdin"], Some(APPSECRET));
    alice.commit("blog");
    alice.git(&["push", "-q"]);
    let dave = t.join("dave", true);
    dave.git(&["checkout", "-q", "-b", "shop-move"]);
    dave.mp(&[
        "role",
        "revoke",
        "bob",
        "shop",
        "developer",
        "--keep-secrets",
        "--reason",
        "shop",
    ]);
    dave.commit("bob off shop, kept");
    dave.git(&["push", "-q", "-u", "origin", "shop-move"]);
    alice.mp(&[
        "role",
        "revoke",
        "bob",
        "blog",
        "developer",
        "--keep-secrets",
        "--reason",
        "blog",
    ]);
    alice.commit("bob off blog, kept");
    alice.git(&["fetch", "-q"]);
    let out = alice.git_output(&["merge", "--no-edit", "origin/shop-move"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let merged = alice.json();
    let reasons: Vec<&str> = merged["waivers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(
        reasons.contains(&"shop") && reasons.contains(&"blog"),
        "{reasons:?}"
    );
    assert_eq!(merged["signature"]["signer"], "alice");
    let out = alice.run(&["status", "--json"], None);
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    let due: usize = status["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["rotations_due"].as_array().unwrap().len())
        .sum();
    assert_eq!(due, 0, "{status}");
}

/// Keeping the secrets on one revocation does not excuse an earlier one: what the first
/// revocation made due stays due, even after the role was given back and taken again.
#[test]
fn keep_secrets_covers_only_the_revocation_it_was_given_with() {
    let w = World::new();
    let (alice, _bob, _carol) = clean_team(&w);
    w.ok(&alice, &["role", "revoke", "bob", "shop", "developer"]);
    assert_eq!(rotations_due(&w, &alice), ["WECHAT_APPSECRET"]);
    w.ok(
        &alice,
        &["role", "grant", "bob", "shop", "developer", "--yes"],
    );
    let said = stderr_of(&w, &alice, &REVOKE_KEEPING);
    assert!(said.contains("reset each where it says"), "{said}");
    assert_eq!(rotations_due(&w, &alice), ["WECHAT_APPSECRET"]);
}
