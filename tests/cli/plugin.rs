//! Hardware keys through age plugins: a member whose key is an age plugin recipient
//! (`age1yubikey1…` and the like) reads with the plugin's identity file, and never writes.
//! `age-plugin-mpvtest` (tests/plugin/age_plugin_mpvtest.rs, built from the `age-plugin`
//! crate) stands in for the hardware plugin and is put on PATH for the people who need it.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// The test plugin binary, built with cargo if this test run did not build it yet.
fn plugin_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().unwrap().parent().unwrap();
    let binary = profile_dir.join("examples").join("age-plugin-mpvtest");
    if !binary.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--example", "age-plugin-mpvtest"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .unwrap();
        assert!(status.success(), "cannot build the test plugin");
    }
    binary
}

/// A folder holding `age-plugin-mpvtest`, to put on PATH.
fn plugin_dir(w: &World) -> PathBuf {
    let dir = w.path("plugin-bin");
    std::fs::create_dir_all(&dir).unwrap();
    let target = dir.join("age-plugin-mpvtest");
    if !target.exists() {
        std::fs::copy(plugin_binary(), &target).unwrap();
    }
    dir
}

fn path_with(dir: &Path) -> String {
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// A new plugin identity file (the plugin's own --generate), and its recipient.
fn hardware_identity(w: &World, file: &str) -> (PathBuf, String) {
    let out = Command::new(plugin_binary())
        .arg("--generate")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let recipient = text
        .split_whitespace()
        .find(|w| w.starts_with("age1mpvtest1"))
        .unwrap()
        .to_string();
    let path = w.path(file);
    std::fs::write(&path, &text).unwrap();
    (path, recipient)
}

struct Setup {
    w: World,
    alice: Person,
    bob: Person,
    bob_identity: PathBuf,
    recipient: String,
    plugins: PathBuf,
}

/// alice (owner, plugin installed) adds bob, whose key is a hardware key, as a developer.
fn setup() -> Setup {
    let w = World::new();
    let plugins = plugin_dir(&w);
    let alice = w.owner_with_app();
    let bob = w.stranger("bob");
    let (bob_identity, recipient) = hardware_identity(&w, "bob-yubikey.txt");
    let ok = |person: &Person, args: &[&str], stdin: Option<&str>| {
        let mut cmd = w.cmd(person);
        cmd.env("PATH", path_with(&plugins)).args(args);
        if let Some(input) = stdin {
            cmd.write_stdin(input);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    ok(&alice, &["add-secret", "shop", "--stdin"], Some(APPSECRET));
    let note = w
        .cmd(&alice)
        .env("PATH", path_with(&plugins))
        .args(["member", "add", "bob", "--key", &recipient])
        .output()
        .unwrap();
    assert!(note.status.success());
    assert!(String::from_utf8_lossy(&note.stderr).contains("A hardware key reads but never writes"));
    ok(&alice, &["role", "grant", "bob", "shop", "developer"], None);
    ok(
        &alice,
        &["config", "set", "shop", "API_BASE=https://api.example.com"],
        None,
    );
    Setup {
        w,
        alice,
        bob,
        bob_identity,
        recipient,
        plugins,
    }
}

impl Setup {
    fn bob(&self, args: &[&str], with_plugin: bool) -> std::process::Output {
        let mut cmd = self.w.cmd(&self.bob);
        if with_plugin {
            cmd.env("PATH", path_with(&self.plugins));
        }
        cmd.arg("--identity")
            .arg(&self.bob_identity)
            .args(args)
            .output()
            .unwrap()
    }
}

#[test]
fn a_hardware_key_member_reads_through_the_plugin() {
    use base64::Engine;
    let s = setup();
    let out = s.bob(&["identity", "show"], true);
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), s.recipient);

    let out = s.bob(&["get", "shop", "WECHAT_APPSECRET"], true);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), APPSECRET);
    let out = s.bob(
        &["export", "shop", "--format", "json", "--include-secrets"],
        true,
    );
    let values: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(values["API_BASE"], "https://api.example.com");
    assert_eq!(values["WECHAT_APPSECRET"], APPSECRET);

    // bob's copy of the data keys really is wrapped by the plugin: its stanza is there
    let vault: serde_json::Value = serde_json::from_str(&s.w.vault_text()).unwrap();
    let wrapped = base64::engine::general_purpose::STANDARD
        .decode(
            vault["apps"]["shop"]["keys"]["developer"]["wrapped"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    assert!(
        String::from_utf8_lossy(&wrapped).contains("-> mpvtest "),
        "no plugin stanza in the developer key"
    );
}

#[test]
fn a_hardware_key_cannot_write() {
    let s = setup();
    let before = s.w.vault_text();
    for args in [
        &["config", "set", "shop", "X=1"][..],
        &["rotate-secret", "shop", "--stdin"][..],
        &["add-secret", "shop", "OTHER", "--stdin"][..],
        &["remove-secret", "shop", "WECHAT_APPSECRET"][..],
        &["app", "set", "shop", "--title", "T"][..],
    ] {
        let out = s.bob(args, true);
        assert_eq!(out.status.code(), Some(exit::DENIED), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.contains("is a hardware key (age-plugin-mpvtest), which can read the vault but not change it"),
            "{err}"
        );
        assert_eq!(
            err.lines().filter(|l| l.starts_with("mpvault:")).count(),
            1,
            "{err}"
        );
    }
    assert_eq!(s.w.vault_text(), before);

    // nor can it be an owner
    let carol = hardware_identity(&s.w, "carol.txt").1;
    let (code, err) = s.w.fails(
        &s.alice,
        &["member", "add", "carol", "--key", &carol, "--owner"],
    );
    assert_eq!(code, exit::USAGE);
    assert!(
        err.contains("an owner signs the roster, which a hardware key (age plugin) cannot do"),
        "{err}"
    );
    assert_eq!(s.w.vault_text(), before);
}

#[test]
fn a_missing_plugin_is_named() {
    let s = setup();
    let out = s.bob(&["get", "shop", "WECHAT_APPSECRET"], false);
    assert_eq!(out.status.code(), Some(exit::NOT_FOUND));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(
            "reading with this identity needs the program age-plugin-mpvtest, which is not on PATH"
        ),
        "{err}"
    );
    // re-wrapping to bob needs the plugin on the owner's machine too; nothing changes without it
    let before = s.w.vault_text();
    let (code, err) = s.w.fails(&s.alice, &["rekey", "shop"]);
    assert_eq!(code, exit::NOT_FOUND, "{err}");
    assert!(
        err.contains("encrypting to a member's hardware key needs the program age-plugin-mpvtest"),
        "{err}"
    );
    assert_eq!(s.w.vault_text(), before);
}

#[test]
fn a_plugin_identity_must_name_its_recipient() {
    let s = setup();
    let text = std::fs::read_to_string(&s.bob_identity).unwrap();
    let bare: String = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&s.bob_identity, bare).unwrap();
    let out = s.bob(&["get", "shop", "WECHAT_APPSECRET"], true);
    assert_eq!(out.status.code(), Some(exit::USAGE));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("does not say which recipient it answers to"),
        "{err}"
    );
    assert!(
        !err.contains("AGE-PLUGIN-"),
        "the error shows the private key: {err}"
    );
}

/// Someone with push access plants a member whose key names a plugin, hoping an owner's next
/// re-wrap runs that plugin (and encrypts to it). The unsigned roster is refused before any
/// plugin program is started.
#[test]
fn a_planted_plugin_member_runs_no_plugin() {
    use std::os::unix::fs::PermissionsExt;
    let s = setup();
    // a plugin program that records being started
    let spy_dir = s.w.path("spy-bin");
    std::fs::create_dir_all(&spy_dir).unwrap();
    let marker = s.w.path("spy-ran");
    let spy = spy_dir.join("age-plugin-mpvtest");
    std::fs::write(
        &spy,
        format!("#!/bin/sh\ntouch '{}'\nexit 1\n", marker.display()),
    )
    .unwrap();
    std::fs::set_permissions(&spy, std::fs::Permissions::from_mode(0o755)).unwrap();

    let mallory = hardware_identity(&s.w, "mallory.txt").1;
    let mut v: serde_json::Value = serde_json::from_str(&s.w.vault_text()).unwrap();
    v["members"]["mallory"] = serde_json::json!({
        "key": mallory, "added_by": "alice", "added_at": "2026-01-01T00:00:00Z"
    });
    v["apps"]["shop"]["roster"]["mallory"] = serde_json::json!(["developer"]);
    let planted = serde_json::to_string_pretty(&v).unwrap();
    std::fs::write(s.w.vault_path(), &planted).unwrap();

    let out =
        s.w.cmd(&s.alice)
            .env("PATH", path_with(&spy_dir))
            .args(["rekey", "shop"])
            .output()
            .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("not signed by an owner"), "{err}");
    assert!(
        !marker.exists(),
        "a plugin named by an unsigned roster was started"
    );
    assert_eq!(s.w.vault_text(), planted);
}
