//! The demo in `examples/demo/`: the committed vault opens with today's mpvault and does the
//! quick start's job, and its public identities open nothing but that vault.

use crate::common;

use std::path::{Path, PathBuf};

use common::*;

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo")
}

fn demo_identity(who: &str) -> PathBuf {
    demo().join("identities").join(format!("{who}.txt"))
}

/// mpvault in the demo folder as a newcomer runs it: a fresh home, no terminal.
fn in_demo(w: &World, who: &Person, args: &[&str]) -> std::process::Output {
    let mut cmd = w.std_cmd(who);
    cmd.current_dir(demo())
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

/// The quick start's first command ends in this: an env file on stdout, exit 0, no prompt.
#[test]
fn the_quick_start_exports_the_demo_shop_for_taro() {
    let w = World::new();
    let newcomer = w.stranger("newcomer");
    let out = succeeded(in_demo(
        &w,
        &newcomer,
        &[
            "export",
            "shop",
            "--preset",
            "taro",
            "--identity",
            "identities/bob.txt",
        ],
    ));
    let env = String::from_utf8(out.stdout).unwrap();
    assert!(env.contains("TARO_APP_ID=wx0123456789abcdef"), "{env}");
    assert!(
        env.contains("TARO_APP_CDN=https://cdn.example.com"),
        "{env}"
    );
}

/// The demo holds what its README promises: two apps, every console role, secrets by level,
/// config in two build modes; and nothing in it is broken.
#[test]
fn the_committed_demo_vault_holds_two_apps_every_role_and_two_modes() {
    let w = World::new();
    let alice = w.stranger("alice");
    let owner = demo_identity("alice");
    let owner = owner.to_str().unwrap();
    let apps = String::from_utf8(
        succeeded(in_demo(&w, &alice, &["app", "list", "--identity", owner])).stdout,
    )
    .unwrap();
    assert!(apps.contains("shop") && apps.contains("blog"), "{apps}");
    let roster = String::from_utf8(
        succeeded(in_demo(
            &w,
            &alice,
            &["roster", "shop", "--identity", owner],
        ))
        .stdout,
    )
    .unwrap();
    for role in [
        "admin",
        "operator",
        "developer",
        "data-analyst",
        "transactions-analyst",
        "tester",
    ] {
        assert!(roster.contains(role), "{role} missing from: {roster}");
    }
    for (mode, base) in [
        ("development", "http://localhost:3000"),
        ("production", "https://api.example.com"),
    ] {
        let out = succeeded(in_demo(
            &w,
            &alice,
            &["export", "shop", "--mode", mode, "--identity", owner],
        ));
        assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("API_BASE={base}")));
    }
    let secret = succeeded(in_demo(
        &w,
        &alice,
        &["get", "shop", "WECHAT_PAY_API_V3_KEY", "--identity", owner],
    ));
    assert!(!secret.stdout.is_empty());
    // Due (7) once the demo's secrets age past the rules; never broken (8).
    let status = in_demo(&w, &alice, &["status", "--identity", owner]);
    assert!(
        matches!(status.status.code(), Some(0 | 7)),
        "{}",
        String::from_utf8_lossy(&status.stdout)
    );
}

/// A tester of the demo reads the team level only: the demo's levels are real.
#[test]
fn a_demo_tester_cannot_export_the_demo_secrets() {
    let w = World::new();
    let carol = w.stranger("carol");
    let out = in_demo(
        &w,
        &carol,
        &[
            "export",
            "shop",
            "--include-secrets",
            "--only",
            "WECHAT_APPSECRET",
            "--identity",
            "identities/carol.txt",
        ],
    );
    assert_eq!(out.status.code(), Some(exit::DENIED));
}

/// The attack: a demo key (public, in every clone of mpvault) made a member of a real vault,
/// or copied as someone's own identity. The marked identity opens nothing but the demo vault.
#[test]
fn a_demo_identity_is_refused_for_any_other_vault() {
    let w = World::new();
    let alice = w.owner_with_app();
    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], APPSECRET);
    let demo_bob = demo_identity("bob");
    let demo_bob = demo_bob.to_str().unwrap();
    let key = w.ok(&alice, &["identity", "show", "--identity", demo_bob]);
    w.ok(&alice, &["member", "add", "mallory", "--key", key.trim()]);
    w.ok(&alice, &["role", "grant", "mallory", "shop", "developer"]);

    let mallory = w.stranger("mallory");
    for args in [
        vec![
            "export",
            "shop",
            "--include-secrets",
            "--identity",
            demo_bob,
        ],
        vec!["get", "shop", "WECHAT_APPSECRET", "--identity", demo_bob],
        vec!["config", "set", "shop", "X=1", "--identity", demo_bob],
    ] {
        refused_as(&w, &mallory, &args, exit::DENIED, "public demo identity");
    }
    // The same key as text in the environment, as CI would pass it.
    let text = std::fs::read_to_string(demo_identity("bob")).unwrap();
    let out = w
        .cmd(&mallory)
        .env("MPVAULT_IDENTITY", text)
        .args(["get", "shop", "WECHAT_APPSECRET"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(exit::DENIED));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("public demo identity"), "{err}");
    assert!(!err.contains(APPSECRET));
}

/// The pre-commit guard stops identity files, but the demo's marked ones are public by design:
/// committing them is how the demo ships. An unmarked identity is still refused beside them.
#[test]
fn the_pre_commit_guard_lets_the_marked_demo_identities_be_committed() {
    let w = World::new();
    let alice = w.person("alice");
    w.git(&["init", "-q", "-b", "main"]);
    let dir = w.path("examples/demo/identities");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(demo_identity("bob"), dir.join("bob.txt")).unwrap();
    w.git(&["add", "examples"]);
    w.ok(&alice, &["git", "check"]);

    let own = alice.home.join(".config/mpvault/identity.txt");
    std::fs::copy(own, w.path("identity.txt")).unwrap();
    w.git(&["add", "identity.txt"]);
    let (code, err) = w.fails(&alice, &["git", "check"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("identity.txt: an mpvault (age) identity"),
        "{err}"
    );
    assert!(!err.contains("bob.txt"), "{err}");
}
