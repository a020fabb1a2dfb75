//! Per-client vaults (the private layout): `status` and `app list` read several vaults at once,
//! each labelled, a broken one named while the others are still shown, the exit status the
//! worst of them; every other command takes exactly one vault (issue 25, item 8).

use crate::common;

use common::{exit, World, APPID, BLOG_APPID};
use serde_json::Value;

/// alice owns two vaults side by side: acme/mpvault.json (shop, due: no verification date)
/// and beta/mpvault.json (blog, verified, ICP and contact recorded: healthy).
fn two_vaults(w: &World) -> common::Person {
    let alice = w.person("alice");
    for (client, app, appid) in [("acme", "shop", APPID), ("beta", "blog", BLOG_APPID)] {
        let dir = w.path(client);
        std::fs::create_dir(&dir).unwrap();
        let vault = format!("{client}/mpvault.json");
        w.cmd(&alice)
            .current_dir(&dir)
            .args(["init", "--owner", "alice"])
            .assert()
            .success();
        w.ok(
            &alice,
            &["--vault", &vault, "app", "add", app, "--appid", appid],
        );
    }
    w.ok(
        &alice,
        &[
            "--vault",
            "beta/mpvault.json",
            "app",
            "set",
            "blog",
            "--verified-until",
            "2099-01-01",
            "--icp",
            "沪ICP备2020000000号-1X",
        ],
    );
    w.ok(
        &alice,
        &[
            "--vault",
            "beta/mpvault.json",
            "app",
            "contact",
            "blog",
            "--wechat",
            "wxid_admin1",
        ],
    );
    alice
}

#[test]
fn status_across_vaults_labels_each_and_exits_with_the_worst() {
    let w = World::new();
    let alice = two_vaults(&w);
    let out = w
        .cmd(&alice)
        .args([
            "status",
            "--vault",
            "acme/mpvault.json",
            "--vault",
            "beta/mpvault.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(exit::DUE));
    let text = String::from_utf8(out.stdout).unwrap();
    let acme = text.find("== acme/mpvault.json ==").expect(&text);
    let beta = text.find("== beta/mpvault.json ==").expect(&text);
    assert!(
        text[acme..beta].contains("shop") && text[beta..].contains("All 1 app(s) are healthy.")
    );
    // In markdown, for chat, each vault is a heading.
    let out = w
        .cmd(&alice)
        .env("MPVAULT_VAULTS", "acme/mpvault.json:beta/mpvault.json")
        .args(["status", "--format", "markdown"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("# acme/mpvault.json\n"), "{text}");
    assert!(text.contains("\n# beta/mpvault.json\n"), "{text}");
    // Alone, beta is healthy.
    let out = w
        .cmd(&alice)
        .args(["status", "--vault", "beta/mpvault.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn mpvault_vaults_names_them_separated_by_colons_or_newlines() {
    let w = World::new();
    let alice = two_vaults(&w);
    for list in [
        "acme/mpvault.json:beta/mpvault.json",
        "acme/mpvault.json\nbeta/mpvault.json\n",
    ] {
        let out = w
            .cmd(&alice)
            .env("MPVAULT_VAULTS", list)
            .args(["status", "--json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(exit::DUE));
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(doc["exit"], exit::DUE);
        assert_eq!(doc["vaults"][0]["vault"], "acme/mpvault.json");
        assert_eq!(doc["vaults"][0]["report"]["apps"][0]["app"], "shop");
        assert_eq!(doc["vaults"][1]["report"]["state"], "ok");
    }
    let apps: Value = serde_json::from_str(&w.ok(
        &alice,
        &[
            "app",
            "list",
            "--json",
            "--vault",
            "acme/mpvault.json",
            "--vault",
            "beta/mpvault.json",
        ],
    ))
    .unwrap();
    assert_eq!(apps["vaults"][1]["report"][0]["appid"], BLOG_APPID);
}

#[test]
fn a_broken_vault_is_named_and_the_others_are_still_shown() {
    let w = World::new();
    let alice = two_vaults(&w);
    std::fs::write(w.path("acme/mpvault.json"), "{ not json").unwrap();
    let args = [
        "status",
        "--vault",
        "acme/mpvault.json",
        "--vault",
        "beta/mpvault.json",
        "--vault",
        "gone/mpvault.json",
    ];
    let out = w.cmd(&alice).args(args).output().unwrap();
    // A vault that cannot be read outranks every health state: nothing in it was judged.
    assert_eq!(out.status.code(), Some(exit::CORRUPT));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("All 1 app(s) are healthy."),
        "beta is still shown: {text}"
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("mpvault: acme/mpvault.json: "), "{err}");
    assert!(err.contains("mpvault: gone/mpvault.json: "), "{err}");
    let out = w.cmd(&alice).args(args).arg("--json").output().unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["vaults"][0]["exit"], exit::CORRUPT);
    assert_eq!(doc["vaults"][2]["exit"], exit::NOT_FOUND);
    assert_eq!(doc["vaults"][1]["report"]["state"], "ok");
}

#[test]
fn a_vault_that_is_refused_is_named_and_the_list_goes_on() {
    let w = World::new();
    let alice = two_vaults(&w);
    // A vault file that is a symlink is refused: it could point anywhere.
    std::fs::create_dir(w.path("link")).unwrap();
    std::os::unix::fs::symlink(w.path("beta/mpvault.json"), w.path("link/mpvault.json")).unwrap();
    let out = w
        .cmd(&alice)
        .env("MPVAULT_VAULTS", "link/mpvault.json:acme/mpvault.json")
        .args(["app", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(exit::CORRUPT));
    let text = String::from_utf8(out.stdout).unwrap();
    let link = text.find("== link/mpvault.json ==").expect(&text);
    let acme = text.find("== acme/mpvault.json ==").expect(&text);
    assert!(text[link..acme].contains("cannot be read: "), "{text}");
    assert!(text[acme..].contains(APPID), "{text}");
}

#[test]
fn writes_take_exactly_one_vault() {
    let w = World::new();
    let alice = two_vaults(&w);
    let before = std::fs::read(w.path("acme/mpvault.json")).unwrap();
    let (code, err) = w.fails(
        &alice,
        &[
            "--vault",
            "acme/mpvault.json",
            "--vault",
            "beta/mpvault.json",
            "app",
            "set",
            "shop",
            "--icp",
            "x",
        ],
    );
    assert_eq!(code, exit::USAGE);
    assert_eq!(
        err.trim(),
        "mpvault: 2 vaults were given, and only `status` and `app list` read several; name the one vault to work on with a single --vault."
    );
    assert_eq!(std::fs::read(w.path("acme/mpvault.json")).unwrap(), before);
    // MPVAULT_VAULTS is for the views: a write goes to the one vault found as usual.
    let out = w
        .cmd(&alice)
        .current_dir(w.path("acme"))
        .env(
            "MPVAULT_VAULTS",
            "../acme/mpvault.json:../beta/mpvault.json",
        )
        .args(["app", "set", "shop", "--icp", "沪ICP备2020000001号"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, err) = w.fails(
        &alice,
        &[
            "status",
            "shop",
            "--vault",
            "acme/mpvault.json",
            "--vault",
            "beta/mpvault.json",
        ],
    );
    assert_eq!(code, exit::USAGE);
    assert!(
        err.contains("`status APP` shows one app of one vault"),
        "{err}"
    );
}
