//! CI asks for everything or nothing: `export --strict` and `run --strict` fail, exit 4, when
//! anything requested would be left out, and name it (issue 25, item 7).

use crate::common;

use common::{exit, refused_as, World, APPSECRET};

const PAY_V3: &str = "Abcdefghijklmnopqrstuvwxyz012345";

/// alice (owner) keeps shop's AppSecret (developer level) and a Pay key (admin level); ci is a
/// developer on shop, so it reads the first and not the second.
fn with_ci(w: &World) -> (common::Person, common::Person) {
    let alice = w.owner_with_app();
    let ci = w.person("ci");
    w.join(&alice, &ci, &["developer"]);
    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], APPSECRET);
    w.ok_stdin(
        &alice,
        &["add-secret", "shop", "WECHAT_PAY_API_V3_KEY", "--stdin"],
        PAY_V3,
    );
    w.ok(&ci, &["app", "list"]);
    (alice, ci)
}

#[test]
fn strict_export_fails_naming_the_secret_it_would_leave_out() {
    let w = World::new();
    let (_alice, ci) = with_ci(&w);
    refused_as(
        &w,
        &ci,
        &["export", "shop", "--include-secrets", "--strict", "-o", "ci.env"],
        exit::DENIED,
        "--strict refuses to leave out WECHAT_PAY_API_V3_KEY (ci cannot read the admin level) of 'shop'",
    );
    assert!(!w.path("ci.env").exists(), "nothing is written");
    // Without --strict the same export succeeds and leaves it out, as partial readers do.
    let out = w.ok(&ci, &["export", "shop", "--include-secrets"]);
    assert!(out.contains("WECHAT_APPSECRET=") && !out.contains("WECHAT_PAY_API_V3_KEY"));
}

#[test]
fn strict_export_with_nothing_left_out_succeeds() {
    let w = World::new();
    let (alice, ci) = with_ci(&w);
    let out = w.ok(
        &ci,
        &[
            "export",
            "shop",
            "--include-secrets",
            "--strict",
            "--only",
            "WECHAT_APPID,WECHAT_APPSECRET",
        ],
    );
    assert!(out.contains(APPSECRET), "{out}");
    // An owner reads every level: everything, nothing left out.
    let out = w.ok(&alice, &["export", "shop", "--include-secrets", "--strict"]);
    assert!(out.contains("WECHAT_PAY_API_V3_KEY="), "{out}");
}

#[test]
fn strict_run_fails_before_the_command_runs() {
    let w = World::new();
    let (_alice, ci) = with_ci(&w);
    let (code, err) = w.fails(
        &ci,
        &[
            "run",
            "shop",
            "--include-secrets",
            "--strict",
            "--",
            "touch",
            "built",
        ],
    );
    assert_eq!(code, exit::DENIED, "{err}");
    assert!(
        err.contains("WECHAT_PAY_API_V3_KEY (ci cannot read the admin level)"),
        "{err}"
    );
    assert!(!w.path("built").exists(), "the build did not run");
    let out = w.ok(
        &ci,
        &[
            "run",
            "shop",
            "--include-secrets",
            "--strict",
            "--only",
            "WECHAT_APPSECRET",
            "--",
            "sh",
            "-c",
            "printf %s \"$WECHAT_APPSECRET\"",
        ],
    );
    assert_eq!(out, APPSECRET);
}

#[test]
fn strict_fails_for_a_member_who_lost_the_level_ci_relied_on() {
    let w = World::new();
    let (alice, ci) = with_ci(&w);
    w.ok(&alice, &["role", "set", "ci", "shop", "tester"]);
    refused_as(
        &w,
        &ci,
        &["export", "shop", "--include-secrets", "--strict", "--format", "json"],
        exit::DENIED,
        "WECHAT_APPSECRET (ci cannot read the developer level), WECHAT_PAY_API_V3_KEY (ci cannot read the admin level)",
    );
}
