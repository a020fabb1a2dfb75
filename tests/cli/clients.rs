//! An agency's views by client: `app list` grouped by client, and `--client NAME` on
//! `app list`, `status`, `roster` and `member list` (issue 25, item 1).

use crate::common;

use common::{exit, refused_as, World, APPID, BLOG_APPID};
use serde_json::Value;

const MALL_APPID: &str = "wx00000000000000cc";

/// alice (owner) runs shop and mall for acme and blog with no client; bob develops shop,
/// carol tests blog.
fn agency(w: &World) -> common::Person {
    let alice = w.owner_with_app();
    w.add_blog(&alice);
    w.ok(&alice, &["app", "add", "mall", "--appid", MALL_APPID]);
    for app in ["shop", "mall"] {
        w.ok(&alice, &["app", "set", app, "--client", "acme"]);
    }
    for (who, app, role) in [("bob", "shop", "developer"), ("carol", "blog", "tester")] {
        let person = w.person(who);
        w.ok(
            &alice,
            &["member", "add", who, "--key", &w.public_line(&person)],
        );
        w.ok(&alice, &["role", "grant", who, app, role]);
    }
    alice
}

#[test]
fn app_list_groups_by_client_with_the_unassigned_apps_last() {
    let w = World::new();
    let alice = agency(&w);
    let text = w.ok(&alice, &["app", "list"]);
    let acme = text.find("Client acme").expect(&text);
    let none = text.find("No client").expect(&text);
    assert!(acme < none, "{text}");
    assert!(text[acme..none].contains("mall") && text[acme..none].contains("shop"));
    assert!(text[none..].contains("blog"), "{text}");
    let json: Value = serde_json::from_str(&w.ok(&alice, &["app", "list", "--json"])).unwrap();
    let names: Vec<(&str, Value)> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["name"].as_str().unwrap(), a["client"].clone()))
        .collect();
    assert_eq!(
        names,
        [
            ("mall", Value::from("acme")),
            ("shop", Value::from("acme")),
            ("blog", Value::Null)
        ]
    );
}

#[test]
fn a_vault_without_clients_lists_its_apps_as_before() {
    let w = World::new();
    let alice = w.owner_with_app();
    let text = w.ok(&alice, &["app", "list"]);
    assert!(
        !text.contains("Client") && !text.contains("No client"),
        "{text}"
    );
}

#[test]
fn client_filters_app_list_status_roster_and_member_list() {
    let w = World::new();
    let alice = agency(&w);
    let listed = w.ok(&alice, &["app", "list", "--client", "acme"]);
    assert!(
        listed.contains(APPID) && listed.contains(MALL_APPID),
        "{listed}"
    );
    assert!(!listed.contains(BLOG_APPID), "{listed}");

    let out = w
        .cmd(&alice)
        .args(["status", "--client", "acme", "--json"])
        .output()
        .unwrap();
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    let apps: Vec<&str> = status["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["app"].as_str().unwrap())
        .collect();
    assert_eq!(apps, ["mall", "shop"]);

    let rosters: Value =
        serde_json::from_str(&w.ok(&alice, &["roster", "--client", "acme", "--json"])).unwrap();
    assert_eq!(rosters["shop"][1]["handle"], "bob", "{rosters}");
    assert!(rosters.get("blog").is_none(), "{rosters}");
    let text = w.ok(&alice, &["roster", "--client", "acme"]);
    assert!(text.contains(&format!("shop  {APPID}")), "{text}");

    let members: Value =
        serde_json::from_str(&w.ok(&alice, &["member", "list", "--client", "acme", "--json"]))
            .unwrap();
    let handles: Vec<&str> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["handle"].as_str().unwrap())
        .collect();
    // carol works only on blog, which acme does not own; alice owns the vault.
    assert_eq!(handles, ["alice", "bob"]);
}

#[test]
fn an_unknown_client_is_one_sentence_on_every_view() {
    let w = World::new();
    let alice = agency(&w);
    for args in [
        &["app", "list", "--client", "acm"][..],
        &["status", "--client", "acm"],
        &["roster", "--client", "acm"],
        &["member", "list", "--client", "acm"],
    ] {
        refused_as(
            &w,
            &alice,
            args,
            exit::NOT_FOUND,
            "no app in this vault is run for a client named 'acm'; did you mean 'acme'?",
        );
    }
}
