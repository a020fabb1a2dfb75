//! Service members (issue 25, item 7): CI reads the apps of two clients without a console role,
//! is listed apart from people, can never be an owner and never writes.

use crate::common;

use common::*;
use serde_json::Value;

/// alice (owner) runs acme-shop and acme-blog for client acme and gamma-shop for gamma, each
/// with an AppSecret; bob is a developer on acme-shop; ci is a service member reading the
/// developer level of every acme app.
fn agency(w: &World) -> (Person, Person, Person) {
    let alice = w.person("alice");
    w.ok(&alice, &["init", "--owner", "alice"]);
    for (i, (app, client)) in [
        ("acme-shop", "acme"),
        ("acme-blog", "acme"),
        ("gamma-shop", "gamma"),
    ]
    .into_iter()
    .enumerate()
    {
        let appid = format!("wx{i:016x}");
        w.ok(&alice, &["app", "add", app, "--appid", &appid]);
        w.ok(&alice, &["app", "set", app, "--client", client]);
        w.ok_stdin(&alice, &["add-secret", app, "--stdin"], APPSECRET);
    }
    let bob = w.person("bob");
    w.ok(
        &alice,
        &["member", "add", "bob", "--key", &w.public_line(&bob)],
    );
    w.ok(&alice, &["role", "grant", "bob", "acme-shop", "developer"]);
    let ci = w.person("ci");
    let said = w
        .cmd(&alice)
        .args([
            "member",
            "add",
            "ci",
            "--key",
            &w.public_line(&ci),
            "--service",
            "--client",
            "acme",
        ])
        .output()
        .unwrap();
    let said = String::from_utf8(said.stderr).unwrap();
    assert!(
        said.contains("It reads acme-blog (developer), acme-shop (developer); it holds no console role, is never an owner and never writes."),
        "{said}"
    );
    w.ok(&bob, &["app", "list"]);
    w.ok(&ci, &["app", "list"]);
    (alice, bob, ci)
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

#[test]
fn ci_reads_its_clients_apps_without_a_console_role() {
    let w = World::new();
    let (_alice, _bob, ci) = agency(&w);
    assert_eq!(
        w.ok(&ci, &["get", "acme-shop", "WECHAT_APPSECRET"]),
        APPSECRET
    );
    assert_eq!(
        w.ok(&ci, &["get", "acme-blog", "WECHAT_APPSECRET"]),
        APPSECRET
    );
    let (code, err) = w.fails(&ci, &["get", "gamma-shop", "WECHAT_APPSECRET"]);
    assert_eq!(code, exit::DENIED, "{err}");
    // Not only refused: the file gives ci's key nothing of the other client.
    assert_unreadable_by(&w, &ci, "gamma-shop", "WECHAT_APPSECRET");
    let env = w.ok(
        &ci,
        &[
            "export",
            "acme-shop",
            "--include-secrets",
            "--format",
            "json",
        ],
    );
    assert_eq!(json(&env)["WECHAT_APPSECRET"], APPSECRET);
    // The signed policy says so; the file is format 6.
    let vault = json(&w.vault_text());
    assert_eq!(vault["format"], 6);
    assert_eq!(vault["members"]["ci"]["service"], true);
    assert_eq!(vault["apps"]["acme-shop"]["services"]["ci"], "developer");
    assert_eq!(vault["apps"]["acme-shop"]["roster"].get("ci"), None);
    // What `git diff` shows without a key names it as a service, apart from the roles.
    let text = w.ok(&ci, &["git", "textconv", "mpvault.json"]);
    assert!(text.contains("  ci (service): age key"), "{text}");
    assert!(
        text.contains("  service ci: reads up to developer"),
        "{text}"
    );
}

/// Two owners add service readers on two branches; the merge driver keeps both.
#[test]
fn the_merge_driver_keeps_both_sides_service_readers() {
    use common::repo::Team;
    let t = Team::new(&[("dave", &[], true)]);
    let alice = t.clone_of("alice");
    alice.mp(&["app", "add", "blog", "--appid", BLOG_APPID]);
    alice.commit("blog");
    alice.git(&["push", "-q"]);
    let dave = t.join("dave", true);
    let ci = t.w.person("ci");
    let bot = t.w.person("bot");
    dave.git(&["checkout", "-q", "-b", "ci"]);
    dave.mp(&[
        "member",
        "add",
        "ci",
        "--key",
        &t.w.public_line(&ci),
        "--service",
        "--read",
        "shop=developer",
    ]);
    dave.commit("ci reads shop");
    dave.git(&["push", "-q", "-u", "origin", "ci"]);
    alice.mp(&[
        "member",
        "add",
        "bot",
        "--key",
        &t.w.public_line(&bot),
        "--service",
        "--read",
        "blog=team",
    ]);
    alice.commit("bot reads blog");
    alice.git(&["fetch", "-q"]);
    let out = alice.git_output(&["merge", "--no-edit", "origin/ci"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let merged = alice.json();
    assert_eq!(merged["apps"]["shop"]["services"]["ci"], "developer");
    assert_eq!(merged["apps"]["blog"]["services"]["bot"], "team");
    assert_eq!(merged["signature"]["signer"], "alice");
    assert_eq!(alice.get("WECHAT_APPSECRET"), APPSECRET);
}

#[test]
fn service_members_are_listed_apart_and_hold_no_console_role() {
    let w = World::new();
    let (alice, _bob, _ci) = agency(&w);
    let list = w.ok(&alice, &["member", "list"]);
    let (people, services) = list
        .split_once("Service members (read without a console role, never write):")
        .unwrap_or_else(|| panic!("{list}"));
    assert!(people.contains("bob") && !people.contains("ci "), "{list}");
    assert!(services.contains("acme-shop: developer"), "{list}");
    let listed = json(&w.ok(&alice, &["member", "list", "--json"]));
    let ci = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["handle"] == "ci")
        .unwrap();
    assert_eq!(ci["service"], true);
    assert_eq!(ci["roles"], serde_json::json!({}));
    assert_eq!(ci["reads"]["acme-blog"], "developer");

    let roster = w.ok(&alice, &["roster", "acme-shop"]);
    let (people, services) = roster
        .split_once("Service members (no console role; they read, never write):")
        .unwrap_or_else(|| panic!("{roster}"));
    assert!(!people.contains("ci"), "{roster}");
    assert!(services.contains("ci"), "{roster}");
    let roster = json(&w.ok(&alice, &["roster", "acme-shop", "--json"]));
    let ci = roster
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["handle"] == "ci")
        .unwrap();
    assert_eq!(ci["roles"], serde_json::json!([]));
    assert_eq!(ci["service"], true);
    // In what the WeChat console sees (roles, per app), ci is nobody.
    let status = json(
        &String::from_utf8(
            w.cmd(&alice)
                .args(["status", "--json"])
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap(),
    );
    let shop = status["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["app"] == "acme-shop")
        .unwrap();
    assert_eq!(shop["people"]["roles"], serde_json::json!({"developer": 1}));
    refused_as(
        &w,
        &alice,
        &["role", "grant", "ci", "acme-shop", "developer"],
        exit::USAGE,
        "'ci' is a service member, which holds no console role",
    );
    refused_as(
        &w,
        &alice,
        &["role", "grant", "ci", "tester", "--client", "acme", "--yes"],
        exit::USAGE,
        "'ci' is a service member, which holds no console role",
    );
}

#[test]
fn a_service_member_is_never_an_owner() {
    let w = World::new();
    let (alice, _bob, _ci) = agency(&w);
    let bot = w.person("bot");
    let key = w.public_line(&bot);
    refused_as(
        &w,
        &alice,
        &[
            "member",
            "add",
            "bot",
            "--key",
            &key,
            "--service",
            "--owner",
            "--read",
            "acme-shop=team",
        ],
        exit::USAGE,
        "a service member reads but never signs, so it cannot be an owner",
    );
    refused_as(
        &w,
        &alice,
        &["member", "add", "bot", "--key", &key, "--service"],
        exit::USAGE,
        "a service member reads only what it is given, and nothing was given",
    );
    refused_as(
        &w,
        &alice,
        &[
            "member",
            "add",
            "bot",
            "--key",
            &key,
            "--service",
            "--client",
            "nobody",
        ],
        exit::NOT_FOUND,
        "no app in this vault is run for a client named 'nobody'",
    );
}

/// CI's identity could leak: whoever holds it still cannot change anything.
#[test]
fn a_service_member_never_writes() {
    let w = World::new();
    let (_alice, _bob, ci) = agency(&w);
    let says = "'ci' is a service member, which reads but never changes the vault";
    for args in [
        &[
            "config",
            "set",
            "acme-shop",
            "API_BASE=https://evil.example",
        ][..],
        &["app", "contact", "acme-shop", "--name", "x"],
        &["app", "set", "acme-shop", "--title", "x"],
        &["rekey", "acme-shop"],
    ] {
        let before = w.vault_text();
        let (code, err) = w.fails(&ci, args);
        assert_eq!(code, exit::DENIED, "{args:?}: {err}");
        assert!(
            err.contains(says) || err.contains("owner"),
            "{args:?}: {err}"
        );
        assert_eq!(w.vault_text(), before, "{args:?}");
    }
    let (code, err) = run_stdin(
        &w,
        &ci,
        &["rotate-secret", "acme-shop", "--stdin"],
        "fedcba9876543210fedcba9876543210",
    );
    assert_eq!(code, exit::DENIED, "{err}");
    assert!(err.contains(says), "{err}");
}

/// The attack: bob, a developer with push access, writes a service member with his own second
/// key into the file, reading every app. The policy is signed: everyone refuses it.
#[test]
fn a_writer_cannot_add_a_service_member() {
    let w = World::new();
    let (alice, bob, ci) = agency(&w);
    let mallory = w.person("mallory");
    let key = w.public_line(&mallory);
    let age_key = key.split_whitespace().next().unwrap().to_string();
    edit(&w, |v| {
        v["members"]["bot"] = serde_json::json!({
            "key": age_key,
            "service": true,
            "added_by": "alice",
            "added_at": "2026-01-01T00:00:00Z",
        });
        v["apps"]["gamma-shop"]["services"] = serde_json::json!({"bot": "admin"});
    });
    let forged = w.vault_text();
    for who in [&alice, &bob, &ci] {
        let (code, err) = w.fails(who, &["app", "list"]);
        assert_eq!(code, exit::CORRUPT, "{}: {err}", who.name);
        assert!(err.contains("not signed by an owner"), "{err}");
    }
    assert_eq!(w.vault_text(), forged);
}

/// The attack's quieter form: a writer widens what the existing CI reads (gamma's admin level),
/// to have the next honest write wrap gamma's keys to CI. What a service reads is signed too.
#[test]
fn a_writer_cannot_widen_what_a_service_member_reads() {
    let w = World::new();
    let (alice, bob, _ci) = agency(&w);
    edit(&w, |v| {
        v["apps"]["gamma-shop"]["services"] = serde_json::json!({"ci": "admin"});
    });
    for who in [&alice, &bob] {
        let (code, err) = w.fails(who, &["config", "set", "gamma-shop", "A=1"]);
        assert_eq!(code, exit::CORRUPT, "{}: {err}", who.name);
        assert!(
            err.contains("service member ci reads gamma-shop up to the admin level"),
            "{err}"
        );
        assert!(err.contains("not signed by an owner"), "{err}");
    }
}

/// The honest move when CI's key leaks or CI is retired: remove it like a person. Its reads
/// are a departure, so what it could read is due for rotation.
#[test]
fn removing_a_service_member_makes_its_secrets_due() {
    let w = World::new();
    let (alice, _bob, ci) = agency(&w);
    let said = w
        .cmd(&alice)
        .args(["member", "remove", "ci", "--yes"])
        .output()
        .unwrap();
    let said = String::from_utf8(said.stderr).unwrap();
    assert!(said.contains("acme-blog: WECHAT_APPSECRET"), "{said}");
    assert!(!said.contains("gamma-shop"), "{said}");
    let mut due = rotations_due(&w, &alice);
    due.sort();
    assert_eq!(due, ["WECHAT_APPSECRET", "WECHAT_APPSECRET"]);
    assert_unreadable_by(&w, &ci, "acme-shop", "WECHAT_APPSECRET");
}

/// The attack with a leaked CI key and a patched mpvault (the library, not the binary): a config
/// value that steers acme-shop's build, encrypted with the data key CI reads and signed with
/// CI's own key. A service member never writes, so no reader accepts it.
#[test]
fn a_value_signed_by_a_service_member_is_refused() {
    use mpvault::vault::{Field, Keyring, Sealed};
    let w = World::new();
    let (alice, bob, ci) = agency(&w);
    let identity = ci.home.join(".config/mpvault/identity.txt");
    let identity = mpvault::identity::resolve(Some(&identity)).unwrap();
    mpvault::store::update(&w.vault_path(), |vault| {
        let mut keyring = Keyring::open_to_read(vault, &identity)?;
        let unsealed = Sealed {
            version: None,
            revision: Some(vault.revision),
            restored: None,
            set_by: "ci".into(),
            set_at: "2026-01-01T00:00:00Z".into(),
            sealed_by: None,
            value: String::new(),
            sig: None,
        };
        let field = Field::Config("API_BASE".into());
        let sealed = keyring.reseal_copy(
            vault,
            "acme-shop",
            &field,
            unsealed,
            None,
            b"https://evil.example",
        )?;
        vault
            .app_mut("acme-shop")?
            .config
            .insert("API_BASE".into(), sealed);
        Ok(())
    })
    .unwrap();
    for who in [&alice, &bob] {
        let (code, err) = w.fails(who, &["export", "acme-shop"]);
        assert_eq!(code, exit::CORRUPT, "{}: {err}", who.name);
        assert!(
            err.contains("names 'ci' as its writer, who is not a member who can sign"),
            "{err}"
        );
    }
}
