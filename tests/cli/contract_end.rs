//! The end of a contract (issue 25, item 5): `app remove` lists every secret kind to reset and
//! the order (`verify` after the client resets, then remove), says which pending rotations it
//! drops, and keeps a signed tombstone, so `audit --app APP` prints an access history to hand
//! the client, for a removed app and a live one.

use crate::common;

use common::*;
use serde_json::Value;

const PAY_V3: &str = "abcdefghijklmnopqrstuvwxyz012345";

/// alice (owner) and bob (developer) on shop, client acme, holding an AppSecret, an upload
/// key, a Pay key and a BaaS secret; committed in git, bob's arrival in its own commit.
fn contract(w: &World) -> (Person, Person) {
    let alice = w.owner_with_app();
    w.ok(&alice, &["app", "set", "shop", "--client", "acme"]);
    w.git_with_vault();
    let bob = w.person("bob");
    w.join(&alice, &bob, &["developer"]);
    for (name, value) in [
        ("WECHAT_APPSECRET", APPSECRET),
        ("WECHAT_UPLOAD_KEY", PEM),
        ("WECHAT_PAY_API_V3_KEY", PAY_V3),
        ("BAAS_CLIENT_SECRET", "s3cr3t-baas-client"),
    ] {
        w.ok_stdin(&alice, &["add-secret", "shop", name, "--stdin"], value);
    }
    w.git(&["commit", "-qam", "bob joins; secrets"]);
    (alice, bob)
}

fn stderr_of(w: &World, who: &Person, args: &[&str]) -> String {
    let out = w.cmd(who).args(args).output().unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{args:?}: {err}");
    err
}

#[test]
fn a_contract_ends_with_every_reset_named_and_an_access_history_kept() {
    let w = World::new();
    let (alice, _bob) = contract(&w);
    w.ok(&alice, &["role", "revoke", "bob", "shop", "developer"]);
    w.git(&["commit", "-qam", "bob off shop"]);
    let said = stderr_of(&w, &alice, &["app", "remove", "shop", "--yes"]);
    for line in [
        "Removing 'shop' (AppID wx0123456789abcdef, client acme) at the end of a contract:",
        "- WECHAT_APPSECRET: reset the AppSecret at 开发管理 → 开发设置 in the WeChat console",
        "- WECHAT_UPLOAD_KEY: regenerate the code upload key",
        "- WECHAT_PAY_API_V3_KEY: reset it on the WeChat Pay merchant platform (商户平台",
        "- BAAS_CLIENT_SECRET: reset it where it was issued",
        "2. `mpvault verify shop`: once the AppSecret is reset, WeChat rejects the stored one",
        "3. Then `mpvault app remove shop`.",
        "Pending rotations dropped with it: BAAS_CLIENT_SECRET (bob could read it until",
        "`mpvault audit --app shop` prints its access history",
    ] {
        assert!(said.contains(line), "expected '{line}' in:\n{said}");
    }
    // The Pay key was admin-level: bob never read it, so it is not among the dropped.
    assert!(!said.contains("WECHAT_PAY_API_V3_KEY (bob"), "{said}");
    w.git(&["commit", "-qam", "contract with acme ended"]);

    // The tombstone: signed with the policy, at the removal's revision.
    let vault: Value = serde_json::from_str(&w.vault_text()).unwrap();
    let t = &vault["tombstones"][0];
    assert_eq!(t["app"], "shop");
    assert_eq!(t["appid"], APPID);
    assert_eq!(t["client"], "acme");
    assert_eq!(t["by"], "alice");
    assert_eq!(t["revision"], vault["revision"]);
    assert_eq!(
        t["readers"],
        serde_json::json!([{
            "handle": "alice", "level": "admin", "since": t["readers"][0]["since"].clone()
        }])
    );

    let history = w.ok(&alice, &["audit", "--app", "shop"]);
    assert!(
        history.starts_with("Access history of 'shop' (AppID wx0123456789abcdef), client acme, from the vault's git history:"),
        "{history}"
    );
    let bob_line = history
        .lines()
        .find(|l| l.trim_start().starts_with("bob"))
        .unwrap();
    assert!(
        bob_line.contains("developer") && bob_line.contains("→ 20"),
        "{history}"
    );
    assert!(history.contains("Removed at "), "{history}");
    assert!(
        history.contains("by alice (signed, policy revision"),
        "{history}"
    );
    let report: Value =
        serde_json::from_str(&w.ok(&alice, &["audit", "--app", "shop", "--json"])).unwrap();
    let readers = report["readers"].as_array().unwrap();
    let bob = readers.iter().find(|r| r["handle"] == "bob").unwrap();
    assert_eq!(bob["level"], "developer");
    assert!(bob["until"].is_string(), "{report}");
    assert_eq!(report["removed"]["appid"], APPID);
    // status no longer lists the app or its dropped rotations.
    assert!(rotations_due(&w, &alice).is_empty());
}

#[test]
fn a_live_apps_access_history_runs_to_now() {
    let w = World::new();
    let (alice, _bob) = contract(&w);
    let report: Value =
        serde_json::from_str(&w.ok(&alice, &["audit", "--app", "shop", "--json"])).unwrap();
    let handles: Vec<&str> = report["readers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["handle"].as_str().unwrap())
        .collect();
    assert_eq!(handles, ["alice", "bob"]);
    assert!(report["readers"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["until"].is_null()));
    assert!(report["removed"].is_null());
    let text = w.ok(&alice, &["audit", "--app", "shop"]);
    assert!(text.contains("→ now"), "{text}");
    let (code, err) = w.fails(&alice, &["audit", "--app", "shpo"]);
    assert_eq!(code, exit::NOT_FOUND, "{err}");
    assert!(err.contains("did you mean 'shop'?"), "{err}");
}

/// The attack: a writer erases the tombstone (the access history the client was promised), or
/// plants one for an app that was never removed. The tombstones are part of the signed policy.
#[test]
fn a_tombstone_cannot_be_erased_or_forged() {
    let w = World::new();
    let (alice, bob) = contract(&w);
    w.add_blog(&alice);
    w.ok(&alice, &["app", "remove", "blog", "--yes"]);
    w.ok(&bob, &["app", "list"]);
    let honest = w.vault_text();
    edit(&w, |v| {
        v.as_object_mut().unwrap().remove("tombstones");
    });
    for who in [&alice, &bob] {
        let (code, err) = w.fails(who, &["app", "list"]);
        assert_eq!(code, exit::CORRUPT, "{err}");
        assert!(err.contains("not signed by an owner"), "{err}");
    }
    std::fs::write(w.vault_path(), &honest).unwrap();
    edit(&w, |v| {
        let mut fake = v["tombstones"][0].clone();
        fake["app"] = "mall".into();
        v["tombstones"].as_array_mut().unwrap().push(fake);
    });
    let (code, err) = w.fails(&alice, &["app", "list"]);
    assert_eq!(code, exit::CORRUPT, "{err}");
    assert!(err.contains("app 'mall'"), "{err}");
}

#[test]
fn only_an_owner_ends_a_contract_and_outside_git_the_record_still_says_since_when() {
    let w = World::new();
    let alice = w.owner_with_app();
    let bob = w.person("bob");
    w.join(&alice, &bob, &["developer"]);
    refused_as(
        &w,
        &bob,
        &["app", "remove", "shop", "--yes"],
        exit::DENIED,
        "owner",
    );
    let said = stderr_of(&w, &alice, &["app", "remove", "shop", "--yes"]);
    assert!(
        said.contains("it holds no secret, so nothing needs resetting."),
        "{said}"
    );
    let vault: Value = serde_json::from_str(&w.vault_text()).unwrap();
    let readers = vault["tombstones"][0]["readers"].as_array().unwrap();
    let bob = readers.iter().find(|r| r["handle"] == "bob").unwrap();
    assert_eq!(bob["level"], "developer");
    // Not in git: since when bob was a member (after the app existed).
    assert_eq!(bob["since"], vault["members"]["bob"]["added_at"]);
}
