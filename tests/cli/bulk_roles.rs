//! Bulk roster changes (issue 25, item 2): an agency moves a developer off one client's apps and
//! onto another's in two commands, each one confirmed question and one signed revision, all or
//! nothing.

use crate::common;

use common::{exit, refused_as, Person, World, APPSECRET};
use serde_json::Value;

/// alice (owner) with five apps: acme-shop and acme-blog for client acme, beta-shop for client
/// beta, gamma-a and gamma-b for client gamma; zhao is a developer on the acme and beta apps,
/// and acme-shop holds an AppSecret.
fn agency(w: &World) -> (Person, Person) {
    let alice = w.person("alice");
    w.ok(&alice, &["init", "--owner", "alice"]);
    for (i, (app, client)) in [
        ("acme-shop", "acme"),
        ("acme-blog", "acme"),
        ("beta-shop", "beta"),
        ("gamma-a", "gamma"),
        ("gamma-b", "gamma"),
    ]
    .into_iter()
    .enumerate()
    {
        let appid = format!("wx{i:016x}");
        w.ok(&alice, &["app", "add", app, "--appid", &appid]);
        w.ok(&alice, &["app", "set", app, "--client", client]);
    }
    let zhao = w.person("zhao");
    w.ok(
        &alice,
        &["member", "add", "zhao", "--key", &w.public_line(&zhao)],
    );
    for app in ["acme-shop", "acme-blog", "beta-shop"] {
        w.ok(&alice, &["role", "grant", "zhao", app, "developer"]);
    }
    w.ok_stdin(&alice, &["add-secret", "acme-shop", "--stdin"], APPSECRET);
    w.ok(&zhao, &["app", "list"]);
    (alice, zhao)
}

fn vault(w: &World) -> Value {
    serde_json::from_str(&w.vault_text()).unwrap()
}

fn roles(w: &World, app: &str, handle: &str) -> Value {
    vault(w)["apps"][app]["roster"][handle].clone()
}

/// Runs and expects success; returns stderr, where writes say what they did.
fn said(w: &World, who: &Person, args: &[&str]) -> String {
    let out = w.cmd(who).args(args).output().unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{args:?}: {err}");
    err
}

#[test]
fn a_staff_move_across_clients_takes_two_commands_each_one_signed_revision() {
    let w = World::new();
    let (alice, zhao) = agency(&w);
    let revision = vault(&w)["revision"].as_u64().unwrap();
    let departures = vault(&w)["departures"].as_array().map_or(0, Vec::len);

    let off = said(
        &w,
        &alice,
        &[
            "role",
            "revoke",
            "zhao",
            "developer",
            "--client",
            "acme",
            "--yes",
        ],
    );
    assert!(off.contains("on 2 app(s) in one signed revision"), "{off}");
    assert!(
        off.contains(
            "acme-shop: lost developer; holds no role; reads nothing (was team, developer)"
        ),
        "{off}"
    );
    assert!(off.contains("acme-blog: lost developer"), "{off}");
    assert!(off.contains("acme-shop: WECHAT_APPSECRET"), "{off}");
    let after_off = vault(&w);
    assert_eq!(after_off["revision"].as_u64().unwrap(), revision + 1);
    let new_departures = &after_off["departures"].as_array().unwrap()[departures..];
    assert_eq!(new_departures.len(), 1, "one departure for the whole move");
    assert_eq!(
        new_departures[0]["lost"],
        serde_json::json!([
            "acme-blog/developer",
            "acme-blog/team",
            "acme-shop/developer",
            "acme-shop/team"
        ])
    );
    assert_eq!(
        roles(&w, "beta-shop", "zhao"),
        serde_json::json!(["developer"])
    );

    let on = said(
        &w,
        &alice,
        &[
            "role",
            "grant",
            "zhao",
            "developer",
            "--apps",
            "gamma-a,gamma-b",
            "--yes",
        ],
    );
    assert!(
        on.contains(
            "gamma-a: gained developer; holds developer; reads team, developer (was nothing)"
        ),
        "{on}"
    );
    assert_eq!(vault(&w)["revision"].as_u64().unwrap(), revision + 2);
    for app in ["gamma-a", "gamma-b"] {
        assert_eq!(roles(&w, app, "zhao"), serde_json::json!(["developer"]));
    }
    // What zhao may read follows: the new apps open, the old one is sealed against them.
    w.ok(&zhao, &["app", "show", "gamma-a"]);
    common::assert_unreadable_by(&w, &zhao, "acme-shop", "WECHAT_APPSECRET");
    assert_eq!(common::rotations_due(&w, &alice), ["WECHAT_APPSECRET"]);
}

#[test]
fn role_set_with_apps_replaces_the_roles_on_each() {
    let w = World::new();
    let (alice, _zhao) = agency(&w);
    let out = said(
        &w,
        &alice,
        &[
            "role",
            "set",
            "zhao",
            "tester",
            "--apps",
            "acme-shop,gamma-a",
            "--yes",
        ],
    );
    assert!(out.contains("acme-shop: gained tester, lost developer; holds tester; reads team (was team, developer)"), "{out}");
    assert!(
        out.contains("gamma-a: gained tester; holds tester; reads team (was nothing)"),
        "{out}"
    );
    assert_eq!(
        roles(&w, "acme-shop", "zhao"),
        serde_json::json!(["tester"])
    );
    assert_eq!(
        roles(&w, "acme-blog", "zhao"),
        serde_json::json!(["developer"])
    );
}

/// Regression (issue 25): `role revoke zhao a b developer` said only "'b' is not a console role".
#[test]
fn two_apps_without_apps_flag_are_refused_with_the_bulk_form_named() {
    let w = World::new();
    let (alice, _zhao) = agency(&w);
    refused_as(
        &w,
        &alice,
        &["role", "revoke", "zhao", "acme-shop", "acme-blog", "developer"],
        exit::USAGE,
        "'acme-blog' is not a console role; to change roles on several apps at once, name them with --apps: `mpvault role revoke zhao developer --apps acme-shop,acme-blog`",
    );
    // The one-app form works as it always did, without a question.
    let out = said(
        &w,
        &alice,
        &["role", "revoke", "zhao", "acme-shop", "developer"],
    );
    assert!(
        out.contains("Revoked developer from zhao on 'acme-shop'."),
        "{out}"
    );
}

#[test]
fn a_bulk_change_is_one_question_listing_every_app() {
    let w = World::new();
    let (alice, _zhao) = agency(&w);
    // No terminal and no --yes: the plan is shown, nothing is changed.
    let before = w.vault_text();
    let (code, err) = w.fails(
        &alice,
        &["role", "revoke", "zhao", "developer", "--client", "acme"],
    );
    assert_eq!(code, exit::USAGE, "{err}");
    assert!(err.contains("Change zhao's roles on 2 app(s):\n  acme-blog: loses developer (then holds no role)\n  acme-shop: loses developer (then holds no role)"), "{err}");
    assert!(err.contains("pass --yes to confirm"), "{err}");
    assert_eq!(w.vault_text(), before);

    // At a terminal: one question; no keeps the vault, yes changes every app at once.
    let args = "role grant zhao tester --apps acme-shop,beta-shop,gamma-a";
    let out = w.at_terminal(&alice, args, "n\\n", &[]);
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{screen}");
    assert_eq!(screen.matches("[y/N]").count(), 1, "{screen}");
    for app in ["acme-shop", "beta-shop", "gamma-a"] {
        assert!(
            screen.contains(&format!("  {app}: gains tester")),
            "{screen}"
        );
    }
    assert_eq!(w.vault_text(), before);
    let out = w.at_terminal(&alice, args, "y\\n", &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    for app in ["acme-shop", "beta-shop", "gamma-a"] {
        assert!(
            roles(&w, app, "zhao").to_string().contains("tester"),
            "{app}"
        );
    }
}

#[test]
fn a_bulk_revoke_is_all_or_nothing() {
    let w = World::new();
    let (alice, _zhao) = agency(&w);
    // zhao is not a developer on gamma-a: nothing is revoked anywhere, not even on acme-shop.
    refused_as(
        &w,
        &alice,
        &[
            "role",
            "revoke",
            "zhao",
            "developer",
            "--apps",
            "acme-shop,gamma-a",
            "--yes",
        ],
        exit::NOT_FOUND,
        "'zhao' does not hold the developer role on 'gamma-a'",
    );
    // An unknown app anywhere in the list refuses the whole change, with a suggestion.
    refused_as(
        &w,
        &alice,
        &[
            "role",
            "grant",
            "zhao",
            "tester",
            "--apps",
            "acme-shop,acme-shpo",
            "--yes",
        ],
        exit::NOT_FOUND,
        "did you mean 'acme-shop'?",
    );
    refused_as(
        &w,
        &alice,
        &[
            "role", "grant", "zhao", "tester", "--client", "nobody", "--yes",
        ],
        exit::NOT_FOUND,
        "no app in this vault is run for a client named 'nobody'",
    );
    refused_as(
        &w,
        &alice,
        &[
            "role", "revoke", "zhao", "admin", "--client", "acme", "--yes",
        ],
        exit::NOT_FOUND,
        "this changes nothing",
    );
    refused_as(
        &w,
        &alice,
        &["role", "grant", "zhao", "acme-shop"],
        exit::USAGE,
        "no role given",
    );
}

#[test]
fn only_an_owner_changes_roles_in_bulk() {
    let w = World::new();
    let (_alice, zhao) = agency(&w);
    refused_as(
        &w,
        &zhao,
        &[
            "role", "grant", "zhao", "admin", "--client", "acme", "--yes",
        ],
        exit::DENIED,
        "owner",
    );
}

/// The attack: a writer re-labels another client's app as acme in the file, so the owner's next
/// `--client acme` change would reach it. The client is part of the signed policy, so the file
/// is refused before anything is changed.
#[test]
fn a_forged_client_cannot_steer_a_bulk_grant() {
    let w = World::new();
    let (alice, _zhao) = agency(&w);
    common::edit(&w, |v| {
        v["apps"]["gamma-a"]["public"]["client"] = Value::from("acme");
    });
    let (code, err) = w.fails(
        &alice,
        &[
            "role", "grant", "zhao", "admin", "--client", "acme", "--yes",
        ],
    );
    assert_eq!(code, exit::CORRUPT, "{err}");
    assert!(err.contains("not signed by an owner"), "{err}");
    assert_eq!(roles(&w, "gamma-a", "zhao"), Value::Null);
}

/// Giving back through a bulk grant what someone lost is named in the one question and
/// recorded as a signed return, as a one-app grant does.
#[test]
fn a_bulk_grant_that_gives_back_a_lost_level_says_so_and_records_a_return() {
    let w = World::new();
    let (alice, _zhao) = agency(&w);
    w.ok(
        &alice,
        &[
            "role",
            "revoke",
            "zhao",
            "developer",
            "--client",
            "acme",
            "--yes",
        ],
    );
    let (_, err) = w.fails(
        &alice,
        &["role", "grant", "zhao", "developer", "--client", "acme"],
    );
    assert!(
        err.contains("this gives zhao back acme-blog/developer"),
        "{err}"
    );
    let out = said(
        &w,
        &alice,
        &[
            "role",
            "grant",
            "zhao",
            "developer",
            "--client",
            "acme",
            "--yes",
        ],
    );
    assert!(out.contains("Gave 'zhao' back"), "{out}");
    let returns = vault(&w)["returns"].as_array().unwrap().clone();
    assert_eq!(returns.len(), 1);
    assert_eq!(returns[0]["handle"], "zhao");
    // The departure's rotation stays due.
    assert_eq!(common::rotations_due(&w, &alice), ["WECHAT_APPSECRET"]);
}
