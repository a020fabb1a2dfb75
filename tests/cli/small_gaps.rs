//! The smaller gaps of issue 18 (case 5), each pinned by the behaviour a user meets.

use crate::common;

use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

use common::*;

const PAY_KEY: &str = "Zx8Qm3VtR7pLk2Nw9Hs4Jd6Fg1Bc5Ya0";

/// Runs and expects success; returns (stdout, stderr).
fn both(w: &World, who: &Person, args: &[&str]) -> (String, String) {
    let out = w.cmd(who).args(args).output().unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{args:?}: {err}");
    (String::from_utf8(out.stdout).unwrap(), err)
}

#[test]
fn export_without_a_mode_names_the_config_it_leaves_out() {
    let w = World::new();
    let alice = w.owner_with_app();
    w.ok(
        &alice,
        &["config", "set", "shop", "API_BASE=https://a.example"],
    );
    w.ok(
        &alice,
        &[
            "config",
            "set",
            "shop",
            "API_BASE=https://p.example",
            "--mode",
            "production",
        ],
    );
    w.ok(
        &alice,
        &[
            "config",
            "set",
            "shop",
            "SENTRY_ENV=prod",
            "--mode",
            "production",
        ],
    );
    w.ok(
        &alice,
        &[
            "config",
            "set",
            "shop",
            "DEBUG_PANEL=on",
            "--mode",
            "staging",
        ],
    );
    let (out, err) = both(&w, &alice, &["export", "shop"]);
    assert!(
        !out.contains("SENTRY_ENV") && !out.contains("DEBUG_PANEL"),
        "{out}"
    );
    let said: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("set only in a mode"))
        .collect();
    assert_eq!(said.len(), 1, "one line: {err}");
    assert!(
        said[0].contains("DEBUG_PANEL (staging), SENTRY_ENV (production)"),
        "{err}"
    );
    assert!(said[0].contains("--mode MODE"), "{err}");
    assert!(
        !said[0].contains("API_BASE"),
        "a base key is exported: {err}"
    );
    // With the mode named, nothing is said.
    let (out, err) = both(&w, &alice, &["export", "shop", "--mode", "production"]);
    assert!(out.contains("SENTRY_ENV"), "{out}");
    assert!(!err.contains("set only in a mode"), "{err}");
}

#[test]
fn get_wechat_appid_prints_the_appid_that_exports_use() {
    let w = World::new();
    let (_alice, _bob, carol) = team(&w);
    for name in ["WECHAT_APPID", "TARO_APP_ID", "VUE_APP_WECHAT_APPID"] {
        assert_eq!(w.ok(&carol, &["get", "shop", name]), APPID, "{name}");
    }
    refused_as(
        &w,
        &carol,
        &["get", "shop", "WECHAT_APPID", "--previous", "1"],
        exit::NOT_FOUND,
        "the AppID of 'shop' has no earlier versions",
    );
}

#[test]
fn the_offboarding_list_says_where_each_secret_is_reset() {
    let w = World::new();
    let alice = w.owner_with_app();
    let bob = w.person("bob");
    w.join(&alice, &bob, &["admin"]);
    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], APPSECRET);
    w.ok_stdin(
        &alice,
        &["add-secret", "shop", "WECHAT_PAY_API_V3_KEY", "--stdin"],
        PAY_KEY,
    );
    w.ok_stdin(
        &alice,
        &["add-secret", "shop", "TENCENT_COS_SECRET_KEY", "--stdin"],
        "cos-secret-value-1",
    );
    let (out, err) = both(&w, &alice, &["member", "remove", "bob", "--yes"]);
    let said = format!("{out}{err}");
    assert!(!said.contains("WeChat / WeChat Pay"), "{said}");
    for (name, place) in [
        ("WECHAT_APPSECRET", "in the WeChat console"),
        (
            "WECHAT_PAY_API_V3_KEY",
            "on the WeChat Pay merchant platform",
        ),
        ("TENCENT_COS_SECRET_KEY", "where it was issued"),
    ] {
        assert!(said.contains(&format!("{name} ({place}")), "{name}: {said}");
    }
    assert!(!said.contains("cos-secret-value-1"), "{said}");
}

#[test]
fn the_confirmation_without_a_terminal_reads_as_a_sentence_for_member_remove() {
    let w = World::new();
    let (alice, _bob, carol) = team(&w);
    refused_as(
        &w,
        &alice,
        &["member", "remove", "carol"],
        exit::USAGE,
        "\"Remove member 'carol' and replace every data key they could read?\" needs a yes, and standard input is not a terminal to ask on",
    );
    let _ = carol;
}

#[test]
fn a_public_export_to_dev_stdout_or_dash_writes_standard_output() {
    let w = World::new();
    let (_alice, _bob, carol) = team(&w);
    let plain = w.ok(&carol, &["export", "shop"]);
    assert!(plain.contains(APPID), "{plain}");
    for target in ["/dev/stdout", "-"] {
        let (out, _) = both(&w, &carol, &["export", "shop", "-o", target]);
        assert_eq!(out, plain, "-o {target}");
    }
    assert!(!w.path("-").exists());
    // Any other link is still refused.
    symlink("/dev/stdout", w.path("out.env")).unwrap();
    refused_as(
        &w,
        &carol,
        &["export", "shop", "-o", "out.env"],
        exit::USAGE,
        "out.env is a symbolic link",
    );
}

/// An `age-plugin-mpvtest` that never answers: it notes its pid and sleeps, holding the pipes
/// mpvault talks to it on (but not the test's stderr).
fn silent_plugin(dir: &Path) -> std::path::PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let pids = dir.join("pids");
    let script = dir.join("age-plugin-mpvtest");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nexec 2>/dev/null\necho $$ >> '{}'\nexec sleep 120\n",
            pids.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    pids
}

/// An mpvtest plugin recipient (any 32 bytes: the silent plugin never reads it).
fn plugin_recipient() -> String {
    use bech32::ToBase32;
    bech32::encode(
        "age1mpvtest",
        [7u8; 32].to_base32(),
        bech32::Variant::Bech32,
    )
    .unwrap()
}

#[test]
fn a_plugin_that_never_answers_ends_the_command_with_one_sentence() {
    let w = World::new();
    let alice = w.owner_with_app();
    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], APPSECRET);
    let plugins = w.path("silent-plugin");
    let pids = silent_plugin(&plugins);
    let path = format!(
        "{}:{}",
        plugins.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // bob's key is a hardware key; giving him a level wraps its data key to him, which asks
    // the plugin (as rekey does for every reader).
    w.cmd(&alice)
        .env("PATH", &path)
        .args(["member", "add", "bob", "--key", &plugin_recipient()])
        .timeout(Duration::from_secs(60))
        .assert()
        .success();
    let before = w.vault_text();
    let started = Instant::now();
    let out = w
        .cmd(&alice)
        .env("PATH", &path)
        .env("MPVAULT_PLUGIN_TIMEOUT_SECS", "1")
        .args(["role", "grant", "bob", "shop", "developer"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    let elapsed = started.elapsed();
    for pid in std::fs::read_to_string(&pids).unwrap_or_default().lines() {
        let _ = std::process::Command::new("kill").arg(pid).status();
    }
    assert!(!out.status.success(), "{err}");
    assert!(elapsed < Duration::from_secs(20), "took {elapsed:?}");
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("mpvault:")).collect();
    assert_eq!(errors.len(), 1, "{err}");
    assert!(
        errors[0].contains("age-plugin-mpvtest did not answer within 1 second(s)"),
        "{err}"
    );
    assert_eq!(w.vault_text(), before, "nothing written");
}
