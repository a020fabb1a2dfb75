//! Hand-offs: after someone leaves, each client's 管理员 gets what to do in the console, per
//! app, with its AppID and the 管理员's contacts, as text, markdown or JSON (issue 25, item 4).

use crate::common;

use common::{exit, refused_as, World, APPID, APPSECRET, BLOG_APPID, PEM};
use serde_json::Value;

const PAY_V3: &str = "Abcdefghijklmnopqrstuvwxyz012345";

/// alice (owner) runs shop for acme (AppSecret, upload key, Pay key; its 管理员 张三 recorded)
/// and blog for beta (AppSecret; no contact); bob holds `bob_shop` on shop and developer on
/// blog; carol is a tester on blog only.
fn agency(w: &World, bob_shop: &str) -> (common::Person, common::Person, common::Person) {
    let alice = w.owner_with_app();
    w.add_blog(&alice);
    let bob = w.person("bob");
    let carol = w.person("carol");
    w.join(&alice, &bob, &[bob_shop]);
    w.ok(&alice, &["role", "grant", "bob", "blog", "developer"]);
    w.ok(
        &alice,
        &["member", "add", "carol", "--key", &w.public_line(&carol)],
    );
    w.ok(&alice, &["role", "grant", "carol", "blog", "tester"]);
    w.ok(&alice, &["app", "set", "shop", "--client", "acme"]);
    w.ok(&alice, &["app", "set", "blog", "--client", "beta"]);
    for app in ["shop", "blog"] {
        w.ok_stdin(&alice, &["add-secret", app, "--stdin"], APPSECRET);
    }
    w.ok_stdin(
        &alice,
        &["add-secret", "shop", "WECHAT_UPLOAD_KEY", "--stdin"],
        PEM,
    );
    w.ok_stdin(
        &alice,
        &["add-secret", "shop", "WECHAT_PAY_API_V3_KEY", "--stdin"],
        PAY_V3,
    );
    w.ok(
        &alice,
        &[
            "app",
            "contact",
            "shop",
            "--name",
            "张三",
            "--wechat",
            "zhangsan01",
            "--email",
            "zhang@acme.example",
            "--phone",
            "+86 138 0000 0000",
        ],
    );
    w.ok(&bob, &["app", "list"]);
    w.ok(&carol, &["app", "list"]);
    (alice, bob, carol)
}

/// The part of a markdown hand-off from `start` up to the next heading of the same level.
fn section<'t>(text: &'t str, start: &str) -> &'t str {
    let at = text
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in {text}"));
    let level = start.split(' ').next().unwrap();
    let rest = &text[at + start.len()..];
    let end = rest
        .find(&format!("\n{level} "))
        .map_or(rest.len(), |e| e + 1);
    &text[at..at + start.len() + end]
}

#[test]
fn member_remove_prints_a_markdown_handoff_per_client() {
    let w = World::new();
    let (alice, _bob, _carol) = agency(&w, "developer");
    let out = w.ok(
        &alice,
        &["member", "remove", "bob", "--yes", "--format", "markdown"],
    );
    // One block per client, in order, ready to paste: no table or box-drawing.
    let acme = out.find("## Client acme").expect(&out);
    let beta = out.find("## Client beta").expect(&out);
    assert!(acme < beta, "{out}");
    assert!(!out.contains('│') && !out.contains('─'), "{out}");
    let shop = section(&out, "### shop");
    assert!(shop.contains(APPID), "{shop}");
    assert!(
        shop.contains("张三")
            && shop.contains("WeChat zhangsan01")
            && shop.contains("zhang@acme.example"),
        "{shop}"
    );
    assert!(
        shop.contains("在「成员管理」中移除 bob（开发者）"),
        "{shop}"
    );
    assert!(
        shop.contains("Remove bob (developer) from 成员管理"),
        "{shop}"
    );
    assert!(shop.contains("开发管理 → 开发设置"), "{shop}");
    assert!(shop.contains("Reset the AppSecret"), "{shop}");
    assert!(shop.contains("Regenerate the code upload key"), "{shop}");
    // bob read the developer level, never the admin one that holds the Pay key.
    assert!(!shop.contains("商户平台"), "{shop}");
    let blog = section(&out, "### blog");
    assert!(blog.contains(BLOG_APPID), "{blog}");
    assert!(blog.contains("no contact recorded"), "{blog}");
    assert!(!blog.contains("upload key"), "{blog}");
    // The person leaves 成员管理 before the secrets are reset, so they cannot read the new ones.
    assert!(
        blog.find("成员管理").unwrap() < blog.find("AppSecret").unwrap(),
        "{blog}"
    );
    assert!(!out.contains(APPSECRET) && !out.contains(PAY_V3), "{out}");
}

#[test]
fn member_remove_prints_a_json_handoff_with_pay_steps_only_where_pay_keys_were_readable() {
    let w = World::new();
    let (alice, _bob, _carol) = agency(&w, "admin");
    let out = w.ok(
        &alice,
        &["member", "remove", "bob", "--yes", "--format", "json"],
    );
    let handoff: Value = serde_json::from_str(&out).unwrap();
    let clients = handoff["clients"].as_array().unwrap();
    assert_eq!(clients[0]["client"], "acme");
    assert_eq!(clients[1]["client"], "beta");
    let shop = &clients[0]["apps"][0];
    assert_eq!(shop["app"], "shop");
    assert_eq!(shop["appid"], APPID);
    assert_eq!(shop["admin_contact"], "recorded");
    assert_eq!(shop["admin"]["name"], "张三");
    assert_eq!(shop["admin"]["wechat"], "zhangsan01");
    assert_eq!(shop["admin"]["phone"], "+86 138 0000 0000");
    let kinds = |app: &Value| -> Vec<String> {
        app["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["kind"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        kinds(shop),
        ["team_member", "appsecret", "upload_key", "pay_keys"]
    );
    let team = &shop["steps"][0];
    assert_eq!(team["person"], "bob");
    assert_eq!(team["roles"], serde_json::json!(["admin"]));
    assert!(team["zh"].as_str().unwrap().contains("管理员"), "{team}");
    let pay = &shop["steps"][3];
    assert_eq!(pay["secrets"], serde_json::json!(["WECHAT_PAY_API_V3_KEY"]));
    assert!(pay["zh"].as_str().unwrap().contains("APIv3密钥"), "{pay}");
    assert!(pay["en"].as_str().unwrap().contains("商户平台"), "{pay}");
    let blog = &clients[1]["apps"][0];
    assert_eq!(blog["appid"], BLOG_APPID);
    assert_eq!(blog["admin_contact"], "missing");
    assert!(blog.get("admin").is_none(), "{blog}");
    assert_eq!(kinds(blog), ["team_member", "appsecret"]);
}

#[test]
fn status_due_hands_off_for_a_runner_who_cannot_read_the_contacts() {
    let w = World::new();
    let (alice, _bob, carol) = agency(&w, "developer");
    w.ok(&alice, &["member", "remove", "bob", "--yes"]);
    // carol reads blog's team level, not shop's: shop's contacts are out of her reach, and
    // she still gets the hand-off, with the exit code `status` always has.
    let out = w
        .cmd(&carol)
        .args(["status", "--due", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(exit::DUE));
    let handoff: Value = serde_json::from_slice(&out.stdout).unwrap();
    let shop = &handoff["clients"][0]["apps"][0];
    assert_eq!(shop["app"], "shop");
    assert_eq!(shop["admin_contact"], "unreadable");
    assert!(shop.get("admin").is_none());
    // Removed from the vault: the roles they held are no longer known, every one goes.
    assert_eq!(shop["steps"][0]["person"], "bob");
    assert!(shop["steps"][0]["en"]
        .as_str()
        .unwrap()
        .contains("every role"));
    let text = w.cmd(&carol).args(["status", "--due"]).output().unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains("contacts not readable with your identity"),
        "{text}"
    );
    assert!(text.contains(&format!("shop (AppID {APPID})")), "{text}");
    assert!(text.contains("== Client beta"), "{text}");
}

#[test]
fn status_due_for_one_client_and_a_revoked_role_that_keeps_another() {
    let w = World::new();
    let (alice, _bob, _carol) = agency(&w, "developer");
    w.ok(&alice, &["role", "grant", "bob", "shop", "tester"]);
    w.ok(&alice, &["role", "revoke", "bob", "shop", "developer"]);
    let out = w
        .cmd(&alice)
        .args(["status", "--due", "--client", "acme"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("== Client acme"), "{text}");
    assert!(!text.contains("beta") && !text.contains("blog"), "{text}");
    assert!(
        text.contains("In 成员管理 (Team Management), leave bob only these roles: tester."),
        "{text}"
    );
    assert!(
        text.contains("在「成员管理」中只保留 bob 的以下角色：体验者。"),
        "{text}"
    );
}

#[test]
fn status_due_with_nothing_due_says_so() {
    let w = World::new();
    let (alice, _bob, _carol) = agency(&w, "developer");
    let out = w
        .cmd(&alice)
        .args([
            "status", "--due", "--client", "beta", "--format", "markdown",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Nothing to hand off"), "{text}");
    // The exit code is still the app's health: blog has no verification date recorded.
    assert_eq!(out.status.code(), Some(exit::DUE));
}

#[test]
fn an_unknown_client_is_refused_in_one_sentence() {
    let w = World::new();
    let (alice, _bob, _carol) = agency(&w, "developer");
    refused_as(
        &w,
        &alice,
        &["status", "--due", "--client", "acne"],
        exit::NOT_FOUND,
        "no app in this vault is run for a client named 'acne'; did you mean 'acme'?",
    );
}

/// A team member who writes the 管理员's name cannot make it a link or markup in the markdown
/// an agency pastes to its client.
#[test]
fn a_contact_cannot_inject_markdown_into_a_handoff() {
    let w = World::new();
    let (alice, _bob, _carol) = agency(&w, "developer");
    w.ok(
        &alice,
        &[
            "app",
            "contact",
            "shop",
            "--name",
            "[重置密钥](https://evil.example) <b>*urgent*</b>",
        ],
    );
    let out = w.ok(
        &alice,
        &["member", "remove", "bob", "--yes", "--format", "markdown"],
    );
    let shop = section(&out, "### shop");
    assert!(
        shop.contains(r"\[重置密钥\](https://evil.example) \<b\>\*urgent\*\</b\>"),
        "{shop}"
    );
    assert!(!shop.contains("[重置密钥]("), "{shop}");
}

/// Someone removed and added back as a tester keeps that role: the hand-off narrows their
/// roles in 成员管理 instead of removing them.
#[test]
fn a_person_added_back_keeps_their_new_role_in_the_handoff() {
    let w = World::new();
    let (alice, bob, _carol) = agency(&w, "developer");
    w.ok(&alice, &["member", "remove", "bob", "--yes"]);
    let key = w.public_line(&bob);
    w.ok(&alice, &["member", "add", "bob", "--key", &key, "--yes"]);
    w.ok(&alice, &["role", "grant", "bob", "shop", "tester", "--yes"]);
    let out = w
        .cmd(&alice)
        .args(["status", "--due", "--client", "acme"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("leave bob only these roles: tester."),
        "{text}"
    );
}
