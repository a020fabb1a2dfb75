//! Read commands that name one app decode that app's values alone (`vault::Scope`), so a big
//! vault reads fast. What they may not give up for it: the owner's signature still covers every
//! app's roster and readers, a rollback of the app read is still caught, what this clone
//! remembers of the other apps is kept for when they are read, and a value damaged in another
//! app is still named by the commands that read it.

use crate::common;

use common::*;

/// alice (owner) and bob (developer on shop and blog) with shop's and blog's AppSecrets; bob
/// has read both, so he has pinned alice and remembers both secrets.
fn two_apps(w: &World) -> (Person, Person) {
    let (alice, bob, _) = team(w);
    w.add_blog(&alice);
    w.ok_stdin(&alice, &["add-secret", "blog", "--stdin"], APPSECRET);
    w.ok(&alice, &["role", "grant", "bob", "blog", "developer"]);
    w.ok(&bob, &["get", "shop", "WECHAT_APPSECRET"]);
    w.ok(&bob, &["get", "blog", "WECHAT_APPSECRET"]);
    (alice, bob)
}

const NEW_SECRET: &str = "fedcba9876543210fedcba9876543210";

#[test]
fn reading_one_app_still_refuses_an_unsigned_change_to_another_apps_roster() {
    let w = World::new();
    let (_, bob) = two_apps(&w);
    edit(&w, |v| {
        v["apps"]["blog"]["roster"]["bob"] = serde_json::json!(["admin"]);
    });
    refused(
        &w,
        &bob,
        &["get", "shop", "WECHAT_APPSECRET"],
        "not signed by an owner",
    );
    refused(&w, &bob, &["app", "list"], "not signed by an owner");
    refused(&w, &bob, &["member", "list"], "not signed by an owner");
}

#[test]
fn reading_one_app_of_a_rolled_back_policy_warns_and_keeps_the_newer_revision() {
    let w = World::new();
    let (alice, bob) = two_apps(&w);
    let old = w.vault_text();
    w.ok(&alice, &["role", "grant", "bob", "blog", "tester"]);
    w.ok(&bob, &["roster", "blog"]);
    std::fs::write(w.vault_path(), &old).unwrap();
    // Twice: the first read must not have lowered the revision bob remembers.
    for _ in 0..2 {
        let out = w
            .cmd(&bob)
            .args(["get", "shop", "WECHAT_APPSECRET"])
            .output()
            .unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), APPSECRET);
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains("older than revision"), "{err}");
    }
}

#[test]
fn a_rolled_back_secret_of_the_app_read_is_still_caught() {
    let w = World::new();
    let (alice, bob) = two_apps(&w);
    w.ok_stdin(&alice, &["rotate-secret", "shop", "--stdin"], NEW_SECRET);
    assert_eq!(w.ok(&bob, &["get", "shop", "WECHAT_APPSECRET"]), NEW_SECRET);
    drop_newest_appsecret(&w);
    refused(
        &w,
        &bob,
        &["get", "shop", "WECHAT_APPSECRET"],
        "a newer value was dropped",
    );
}

#[test]
fn reading_one_app_keeps_what_this_clone_remembers_of_the_others() {
    let w = World::new();
    let (alice, bob) = two_apps(&w);
    // bob sees blog's AppSecret at version 2.
    w.ok_stdin(&alice, &["rotate-secret", "blog", "--stdin"], NEW_SECRET);
    assert_eq!(w.ok(&bob, &["get", "blog", "WECHAT_APPSECRET"]), NEW_SECRET);
    // shop moves on, so bob's read of shop has something new to remember and rewrites his
    // memory; meanwhile someone rolls blog's AppSecret back.
    w.ok_stdin(&alice, &["rotate-secret", "shop", "--stdin"], NEW_SECRET);
    edit(&w, |v| {
        v["apps"]["blog"]["secrets"]["WECHAT_APPSECRET"]["versions"]
            .as_array_mut()
            .unwrap()
            .remove(0);
    });
    assert_eq!(w.ok(&bob, &["get", "shop", "WECHAT_APPSECRET"]), NEW_SECRET);
    refused(
        &w,
        &bob,
        &["get", "blog", "WECHAT_APPSECRET"],
        "a newer value was dropped",
    );
    refused(&w, &bob, &["status"], "a newer value was dropped");
}

#[test]
fn a_damaged_value_of_another_app_stops_only_the_commands_that_read_it() {
    let w = World::new();
    let (_, bob) = two_apps(&w);
    edit(&w, |v| {
        v["apps"]["blog"]["secrets"]["WECHAT_APPSECRET"]["versions"] = serde_json::json!([]);
    });
    assert_eq!(w.ok(&bob, &["get", "shop", "WECHAT_APPSECRET"]), APPSECRET);
    assert!(w.ok(&bob, &["roster", "shop"]).contains("bob"));
    let damage = "secret WECHAT_APPSECRET of app 'blog' has a malformed history";
    refused(&w, &bob, &["get", "blog", "WECHAT_APPSECRET"], damage);
    refused(&w, &bob, &["history", "blog"], damage);
    refused(&w, &bob, &["status"], damage);
}

#[test]
fn a_value_of_another_app_altered_by_hand_is_named_when_that_app_is_read() {
    let w = World::new();
    let (_, bob) = two_apps(&w);
    edit(&w, |v| {
        v["apps"]["blog"]["secrets"]["WECHAT_APPSECRET"]["versions"][0]["value"] = 5.into();
    });
    assert_eq!(w.ok(&bob, &["get", "shop", "WECHAT_APPSECRET"]), APPSECRET);
    refused(
        &w,
        &bob,
        &["get", "blog", "WECHAT_APPSECRET"],
        "the vault file is malformed",
    );
}

#[test]
fn app_list_shows_every_apps_secrets_without_reading_their_values() {
    let w = World::new();
    let (_, bob) = two_apps(&w);
    let list: serde_json::Value =
        serde_json::from_str(&w.ok(&bob, &["app", "list", "--json"])).unwrap();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["blog", "shop"]);
    for app in list.as_array().unwrap() {
        assert_eq!(app["secrets"], serde_json::json!(["WECHAT_APPSECRET"]));
    }
    assert_eq!(list[1]["title"], "Shop");
}

/// A bundle preset ships config, which is checked against every secret the exporter can read:
/// an export that names one app still reads the others for it.
#[test]
fn a_shipping_export_still_refuses_config_holding_another_apps_secret() {
    let w = World::new();
    let (alice, _) = two_apps(&w);
    // Set while no secret held that value, so `config set` had nothing to refuse.
    w.ok(
        &alice,
        &[
            "config",
            "set",
            "shop",
            "API_BASE=https://api.example.com/v1",
        ],
    );
    w.ok_stdin(
        &alice,
        &["add-secret", "blog", "BLOG_ENDPOINT", "--stdin"],
        "https://api.example.com/v1",
    );
    refused_as(
        &w,
        &alice,
        &["export", "shop", "--preset", "taro"],
        exit::USAGE,
        "holds the value of a secret",
    );
}

/// A clone that verified the owner's signature remembers a digest of the policy, the signature
/// and the signer's key, and skips verifying the same again. Anything else is verified anew:
/// another policy under the same signature, or the same signature credited to another owner.
#[test]
fn a_remembered_signature_stands_only_for_the_same_policy_signature_and_signer() {
    let w = World::new();
    let (alice, bob) = two_apps(&w);
    let dave = w.person("dave");
    let key = w.public_line(&dave);
    w.ok(&alice, &["member", "add", "dave", "--key", &key, "--owner"]);
    assert_eq!(w.ok(&bob, &["get", "shop", "WECHAT_APPSECRET"]), APPSECRET);
    assert_eq!(w.ok(&bob, &["get", "shop", "WECHAT_APPSECRET"]), APPSECRET);
    let signed = w.vault_text();
    edit(&w, |v| v["signature"]["signer"] = "dave".into());
    refused(
        &w,
        &bob,
        &["get", "shop", "WECHAT_APPSECRET"],
        "signature does not verify",
    );
    std::fs::write(w.vault_path(), &signed).unwrap();
    edit(&w, |v| {
        v["apps"]["blog"]["keys"]["admin"]["readers"]
            .as_array_mut()
            .unwrap()
            .push("bob".into());
    });
    refused(
        &w,
        &bob,
        &["get", "shop", "WECHAT_APPSECRET"],
        "not signed by an owner",
    );
    std::fs::write(w.vault_path(), &signed).unwrap();
    assert_eq!(w.ok(&bob, &["get", "shop", "WECHAT_APPSECRET"]), APPSECRET);
}

/// Regression: a clone's first command pins the vault and remembers every secret it holds,
/// even a command that reads one app; otherwise a rollback of another app before that app's
/// first read here would go unnoticed.
#[test]
fn the_first_read_in_a_clone_remembers_every_app() {
    let w = World::new();
    let (alice, _bob) = two_apps(&w);
    w.ok_stdin(&alice, &["rotate-secret", "blog", "--stdin"], NEW_SECRET);
    let dave = w.person("dave");
    w.ok(
        &alice,
        &["member", "add", "dave", "--key", &w.public_line(&dave)],
    );
    w.ok(&alice, &["role", "grant", "dave", "shop", "developer"]);
    w.ok(&alice, &["role", "grant", "dave", "blog", "developer"]);
    // dave's first command in this clone reads shop alone.
    assert_eq!(w.ok(&dave, &["get", "shop", "WECHAT_APPSECRET"]), APPSECRET);
    edit(&w, |v| {
        v["apps"]["blog"]["secrets"]["WECHAT_APPSECRET"]["versions"]
            .as_array_mut()
            .unwrap()
            .remove(0);
    });
    refused(
        &w,
        &dave,
        &["get", "blog", "WECHAT_APPSECRET"],
        "a newer value was dropped",
    );
}
