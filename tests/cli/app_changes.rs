//! Issue 20, item 2: the app changes a team makes in its first month. `app rename` and
//! `app set --appid` keep every value, version, role and due rotation; clap never suggests a
//! destructive subcommand for one it does not know.

use crate::common;

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

/// Issue 20, item 4: the verification expiry and ICP number are public, signed facts, so
/// `status` exits the same for the owner, a CI identity with no team-level access and a
/// reviewer with no key at all, on the same vault and date.
#[test]
fn status_exits_the_same_for_owner_ci_and_a_reviewer_without_a_key() {
    let w = World::new();
    let (alice, bob, _carol) = team(&w);
    make_compliant(&w, &alice, "2099-01-01");
    let ci = w.person("ci");
    w.join(&alice, &ci, &[]);
    let reviewer = w.stranger("reviewer");
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let exits = |expected: i32| {
        for who in [&alice, &ci, &reviewer] {
            let out = w
                .cmd(who)
                .args(["status", "--as-of", &today])
                .output()
                .unwrap();
            assert_eq!(
                out.status.code(),
                Some(expected),
                "{}: {}{}",
                who.name,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    };
    exits(0);
    w.ok(&alice, &["member", "remove", "bob", "--yes"]);
    exits(exit::DUE);
    let _ = bob;
    let v: serde_json::Value = serde_json::from_str(&w.vault_text()).unwrap();
    assert_eq!(v["apps"]["shop"]["public"]["verified_until"], "2099-01-01");
    assert_eq!(v["format"], 5);
}

/// Public facts are signed with the policy: only an owner sets them, and an edit by hand
/// breaks the signature.
#[test]
fn public_facts_are_set_by_owners_and_signed() {
    let w = World::new();
    let (alice, bob, _carol) = team(&w);
    refused_as(
        &w,
        &bob,
        &["app", "set", "shop", "--icp", "京ICP备00000000号"],
        exit::DENIED,
        "only a vault owner can set an app's public verification expiry or ICP number",
    );
    w.ok(
        &alice,
        &["app", "set", "shop", "--icp", "京ICP备00000000号"],
    );
    edit(&w, |v| {
        v["apps"]["shop"]["public"]["icp"] = "京ICP备99999999号".into();
    });
    let (code, err) = w.fails(&bob, &["app", "list"]);
    assert_eq!(code, exit::CORRUPT, "{err}");
}

/// An earlier vault keeps the dates encrypted: a runner that cannot open them is told so (a
/// problem, exit 7) unless it asks to judge only what it can read.
#[test]
fn an_encrypted_fact_the_runner_cannot_read_is_a_problem_unless_readable_only() {
    let w = World::new();
    let vectors = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/format-1");
    std::fs::copy(vectors.join("mpvault.json"), w.vault_path()).unwrap();
    let nobody = w.stranger("nobody");
    let report = |extra: &[&str]| -> String {
        let out = w
            .cmd(&nobody)
            .args(["status", "shop", "--json"])
            .args(extra)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let judged = report(&[]);
    assert!(
        judged.contains("its verification (认证) expiry is encrypted, so it cannot be judged"),
        "{judged}"
    );
    assert!(!report(&["--readable-only"]).contains("cannot be judged"));
}

/// Issue 25, item 1: an agency groups apps by client. The client is a signed public fact: an
/// owner sets and clears it, anyone reads it without a key, a writer cannot set it, and an
/// edit to the file is caught by the policy signature.
#[test]
fn an_owner_sets_and_clears_an_apps_client_and_nobody_else_can() {
    let w = World::new();
    let (alice, bob, _carol) = team(&w);
    w.ok(&alice, &["app", "set", "shop", "--client", "acme"]);
    let shown = w.ok(&bob, &["app", "show", "shop", "--json"]);
    let shown: serde_json::Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(shown["client"], "acme", "{shown}");
    assert!(w
        .ok(&bob, &["app", "show", "shop"])
        .contains("Client: acme"));
    refused_as(
        &w,
        &alice,
        &["app", "set", "shop", "--client", "Acme Co"],
        exit::USAGE,
        "'Acme Co' is not a valid client name",
    );
    refused_as(
        &w,
        &bob,
        &["app", "set", "shop", "--client", "other"],
        exit::DENIED,
        "only a vault owner can set an app's client",
    );
    let signed = w.vault_text();
    edit(&w, |v| {
        v["apps"]["shop"]["public"]["client"] = "mallory-corp".into();
    });
    let (code, err) = w.fails(&bob, &["app", "list"]);
    assert_eq!(code, exit::CORRUPT, "{err}");
    std::fs::write(w.vault_path(), signed).unwrap();
    w.ok(&alice, &["app", "set", "shop", "--client", ""]);
    assert!(!w.ok(&bob, &["app", "show", "shop"]).contains("Client:"));
}

/// Regression: an app's client and an app's own verification window came with format 6. A
/// file holding either is written as format 6, so an earlier binary calls it newer rather
/// than damaged or forged; clearing them writes format 5 again.
#[test]
fn a_client_or_an_app_window_is_written_as_format_6() {
    let w = World::new();
    let (alice, _bob, _carol) = team(&w);
    let format = |w: &World| -> u64 {
        let v: serde_json::Value = serde_json::from_str(&w.vault_text()).unwrap();
        v["format"].as_u64().unwrap()
    };
    w.ok(
        &alice,
        &["app", "set", "shop", "--icp", "京ICP备00000000号"],
    );
    assert_eq!(format(&w), 5);
    w.ok(&alice, &["app", "set", "shop", "--client", "acme"]);
    assert_eq!(format(&w), 6);
    w.ok(&alice, &["app", "set", "shop", "--client", ""]);
    assert_eq!(format(&w), 5);
    w.ok(&alice, &["policy", "set", "--app-window", "shop=30"]);
    assert_eq!(format(&w), 6);
}
