//! Issue 20, item 2: the app changes a team makes in its first month. `app rename` and
//! `app set --appid` keep every value, version, role and due rotation; clap never suggests a
//! destructive subcommand for one it does not know.

mod common;

use common::*;

/// alice, bob (developer), carol (tester) on shop, with the AppSecret rotated once, config,
/// a contact and a due rotation from dave's removal.
fn busy_shop() -> (World, Person, Person) {
    let w = World::new();
    let (alice, bob, _carol) = team(&w);
    let dave = w.person("dave");
    w.join(&alice, &dave, &["developer"]);
    w.ok(
        &bob,
        &["config", "set", "shop", "API_BASE=https://api.example.com"],
    );
    w.ok(
        &alice,
        &[
            "app",
            "contact",
            "shop",
            "--name",
            "Li",
            "--wechat",
            "li_wechat",
            "--email",
            "li@example.com",
            "--phone",
            "13800138000",
        ],
    );
    w.ok_stdin(
        &bob,
        &["rotate-secret", "shop", "--stdin"],
        &APPSECRET.replace('0', "2"),
    );
    w.ok(&alice, &["member", "remove", "dave", "--yes"]);
    (w, alice, bob)
}

#[test]
fn app_rename_keeps_every_value_version_role_and_due_rotation() {
    let (w, alice, bob) = busy_shop();
    let due_before = rotations_due(&w, &alice);
    assert_eq!(due_before, vec!["WECHAT_APPSECRET"]);
    w.git_with_vault();
    w.ok(&alice, &["app", "rename", "shop", "store", "--yes"]);
    w.git(&["commit", "-qam", "rename shop"]);
    let audit = w.ok(&alice, &["audit"]);
    assert!(
        audit.contains("app 'shop' was renamed to 'store'"),
        "{audit}"
    );
    assert!(!audit.contains("UNAUTHORIZED"), "{audit}");
    assert_eq!(
        w.ok(&bob, &["get", "store", "WECHAT_APPSECRET"]),
        APPSECRET.replace('0', "2")
    );
    assert_eq!(
        w.ok(&bob, &["get", "store", "API_BASE"]),
        "https://api.example.com"
    );
    let history = w.ok(&bob, &["history", "store", "WECHAT_APPSECRET"]);
    assert_eq!(
        history
            .lines()
            .filter(|l| l.contains("bob") || l.contains("alice"))
            .count(),
        2,
        "{history}"
    );
    let roster = w.ok(&alice, &["roster", "store"]);
    assert!(
        roster.contains("bob") && roster.contains("developer") && roster.contains("carol"),
        "{roster}"
    );
    assert_eq!(
        rotations_due(&w, &alice),
        due_before,
        "the due rotation stays due"
    );
    let shown = w.ok(&alice, &["app", "show", "store"]);
    assert!(shown.contains("li@example.com"), "{shown}");
    let (code, err) = w.fails(&bob, &["get", "shop", "WECHAT_APPSECRET"]);
    assert_eq!(code, exit::NOT_FOUND, "{err}");
}

#[test]
fn app_rename_is_refused_to_non_owners_and_onto_an_existing_app() {
    let (w, alice, bob) = busy_shop();
    w.add_blog(&alice);
    refused_as(
        &w,
        &bob,
        &["app", "rename", "shop", "store", "--yes"],
        exit::DENIED,
        "only a vault owner can rename apps",
    );
    refused_as(
        &w,
        &alice,
        &["app", "rename", "shop", "blog", "--yes"],
        exit::EXISTS,
        "app 'blog' already exists",
    );
    refused_as(
        &w,
        &alice,
        &["app", "rename", "shop", "Bad Name", "--yes"],
        exit::USAGE,
        "is not a valid app name",
    );
}

/// A typo in the AppID is fixed in place: values, versions and roles stay.
#[test]
fn app_set_appid_fixes_a_typo_and_keeps_everything() {
    let (w, alice, bob) = busy_shop();
    let fixed = "wx0123456789abcdee";
    refused_as(
        &w,
        &alice,
        &["app", "set", "shop", "--appid", fixed],
        exit::USAGE,
        "needs a yes",
    );
    refused_as(
        &w,
        &bob,
        &["app", "set", "shop", "--appid", fixed, "--yes"],
        exit::DENIED,
        "only a vault owner can change an AppID",
    );
    w.ok(&alice, &["app", "set", "shop", "--appid", fixed, "--yes"]);
    let v: serde_json::Value = serde_json::from_str(&w.vault_text()).unwrap();
    assert_eq!(v["apps"]["shop"]["appid"], fixed);
    assert_eq!(
        w.ok(&bob, &["get", "shop", "WECHAT_APPSECRET"]),
        APPSECRET.replace('0', "2")
    );
    assert_eq!(rotations_due(&w, &alice), vec!["WECHAT_APPSECRET"]);
    w.add_blog(&alice);
    refused_as(
        &w,
        &alice,
        &["app", "set", "shop", "--appid", BLOG_APPID, "--yes"],
        exit::EXISTS,
        "is already in the vault as 'blog'",
    );
}

/// `mpvault app renam` must not be answered with "did you mean remove?".
#[test]
fn an_unknown_subcommand_is_never_answered_with_a_destructive_one() {
    let w = World::new();
    let alice = w.owner_with_app();
    for typo in ["renam", "remov", "rmove", "delete"] {
        let (_, err) = w.fails(&alice, &["app", typo, "shop"]);
        assert!(!err.contains("'remove'"), "{typo}: {err}");
    }
    let (_, err) = w.fails(&alice, &["remove-secre", "shop", "X"]);
    assert!(!err.contains("'remove-secret'"), "{err}");
}
