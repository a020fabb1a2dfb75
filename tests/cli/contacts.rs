//! A new administrator at the client: `app contact --replace` sets the whole contact at once,
//! `--email ""` clears one field, and the prompt can clear one too (issue 25, item 6).

use crate::common;

use common::{exit, refused_as, World};
use serde_json::Value;

fn contact(w: &World, who: &common::Person) -> Value {
    let show: Value = serde_json::from_str(&w.ok(who, &["app", "show", "shop", "--json"])).unwrap();
    show["contact"].clone()
}

/// alice records the old administrator, 王小明, with every field.
fn with_old_admin(w: &World) -> common::Person {
    let alice = w.owner_with_app();
    w.ok(
        &alice,
        &[
            "app",
            "contact",
            "shop",
            "--name",
            "王小明",
            "--wechat",
            "wxid_old01",
            "--email",
            "old@client.example",
            "--phone",
            "+86 138 0000 0001",
        ],
    );
    alice
}

#[test]
fn an_admin_change_with_replace_keeps_nothing_of_the_old_admin() {
    let w = World::new();
    let alice = with_old_admin(&w);
    let out = w
        .cmd(&alice)
        .args([
            "app",
            "contact",
            "shop",
            "--replace",
            "--name",
            "张新",
            "--phone",
            "+86 139 0000 0002",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let said = String::from_utf8(out.stderr).unwrap();
    assert!(
        said.contains("Updated the administrator's contact for 'shop': Name, Phone; cleared WeChat ID, Email."),
        "{said}"
    );
    let c = contact(&w, &alice);
    assert_eq!(c["name"], "张新");
    assert_eq!(c["phone"], "+86 139 0000 0002");
    assert_eq!(c["wechat"], Value::Null, "the old WeChat ID is gone");
    assert_eq!(c["email"], Value::Null, "the old email is gone");
    // The cleared fields are gone from the file, not stored as empty values.
    let vault: Value = serde_json::from_str(&w.vault_text()).unwrap();
    let fields = vault["apps"]["shop"]["contact"].as_object().unwrap();
    assert!(
        !fields.contains_key("wechat") && !fields.contains_key("email"),
        "{fields:?}"
    );
}

#[test]
fn an_empty_value_clears_one_field_and_keeps_the_rest() {
    let w = World::new();
    let alice = with_old_admin(&w);
    w.ok(&alice, &["app", "contact", "shop", "--email", ""]);
    let c = contact(&w, &alice);
    assert_eq!(c["email"], Value::Null);
    assert_eq!(c["wechat"], "wxid_old01");
    assert_eq!(c["name"], "王小明");
}

#[test]
fn the_prompt_clears_a_field_with_a_dash() {
    let w = World::new();
    let alice = with_old_admin(&w);
    // Name kept (Enter), WeChat ID cleared (-), email replaced, phone kept.
    let out = w.at_terminal(
        &alice,
        "app contact shop",
        "\\n-\\nnew@client.example\\n\\n",
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let c = contact(&w, &alice);
    assert_eq!(c["name"], "王小明");
    assert_eq!(c["wechat"], Value::Null);
    assert_eq!(c["email"], "new@client.example");
    assert_eq!(c["phone"], "+86 138 0000 0001");
}

#[test]
fn clearing_is_refused_to_someone_without_a_role_on_the_app() {
    let w = World::new();
    let alice = with_old_admin(&w);
    let bob = w.person("bob");
    w.ok(
        &alice,
        &["member", "add", "bob", "--key", &w.public_line(&bob)],
    );
    w.ok(&bob, &["app", "list"]);
    let (code, _) = w.fails(
        &bob,
        &["app", "contact", "shop", "--replace", "--name", "Mallory"],
    );
    assert_eq!(code, exit::DENIED);
    refused_as(
        &w,
        &bob,
        &["app", "contact", "shop", "--email", ""],
        exit::DENIED,
        "bob cannot",
    );
    assert_eq!(contact(&w, &alice)["email"], "old@client.example");
}

#[test]
fn nothing_given_without_a_terminal_says_how_to_clear() {
    let w = World::new();
    let alice = with_old_admin(&w);
    refused_as(
        &w,
        &alice,
        &["app", "contact", "shop"],
        exit::USAGE,
        "no contact details given; pass --name, --wechat, --email or --phone (\"\" clears one, --replace sets them all)",
    );
}
