//! Build modes: config per mode (development, production, …) laid over the base config by
//! `export --mode` and `run --mode`, shown by `app show`, and guarded like every other value.

use crate::common;

use common::*;

fn owner_with_modes(w: &World) -> Person {
    let alice = w.owner_with_app();
    w.ok(
        &alice,
        &[
            "config",
            "set",
            "shop",
            "API_BASE=https://api.example.com",
            "CDN=https://cdn.example.com",
        ],
    );
    w.ok(
        &alice,
        &[
            "config",
            "set",
            "shop",
            "API_BASE=http://localhost:3000",
            "DEBUG=1",
            "--mode",
            "development",
        ],
    );
    w.ok(
        &alice,
        &[
            "config",
            "set",
            "shop",
            "API_BASE=https://api.example.com/v2",
            "--mode",
            "production",
        ],
    );
    alice
}

#[test]
fn export_lays_the_mode_over_the_base_config() {
    let w = World::new();
    let alice = owner_with_modes(&w);
    let base = w.ok(&alice, &["export", "shop", "--format", "json"]);
    let base: serde_json::Value = serde_json::from_str(&base).unwrap();
    assert_eq!(base["API_BASE"], "https://api.example.com");
    assert_eq!(base["CDN"], "https://cdn.example.com");
    assert!(base.get("DEBUG").is_none(), "{base}");

    let dev = w.ok(
        &alice,
        &[
            "export",
            "shop",
            "--format",
            "json",
            "--mode",
            "development",
        ],
    );
    let dev: serde_json::Value = serde_json::from_str(&dev).unwrap();
    assert_eq!(dev["API_BASE"], "http://localhost:3000");
    assert_eq!(dev["DEBUG"], "1");
    assert_eq!(dev["CDN"], "https://cdn.example.com");
    assert_eq!(dev["WECHAT_APPID"], APPID);

    // the preset names the overlaid values too
    let prod = w.ok(
        &alice,
        &["export", "shop", "--preset", "taro", "--mode", "production"],
    );
    assert!(
        prod.contains("TARO_APP_API_BASE=https://api.example.com/v2\n"),
        "{prod}"
    );
    assert!(
        prod.contains("TARO_APP_CDN=https://cdn.example.com\n"),
        "{prod}"
    );
    assert!(prod.contains(&format!("TARO_APP_ID={APPID}\n")), "{prod}");
    assert!(!prod.contains("DEBUG"), "{prod}");
}

#[test]
fn run_takes_the_mode() {
    let w = World::new();
    let alice = owner_with_modes(&w);
    let out = w.ok(
        &alice,
        &[
            "run",
            "shop",
            "--preset",
            "vite",
            "--mode",
            "development",
            "--",
            "sh",
            "-c",
            "printf '%s|%s' \"$VITE_API_BASE\" \"$VITE_DEBUG\"",
        ],
    );
    assert_eq!(out, "http://localhost:3000|1");
}

#[test]
fn app_show_lists_each_modes_values() {
    let w = World::new();
    let alice = owner_with_modes(&w);
    let json = w.ok(&alice, &["app", "show", "shop", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["config"]["API_BASE"], "https://api.example.com");
    assert_eq!(
        json["modes"]["development"]["API_BASE"],
        "http://localhost:3000"
    );
    assert_eq!(json["modes"]["development"]["DEBUG"], "1");
    assert_eq!(
        json["modes"]["production"]["API_BASE"],
        "https://api.example.com/v2"
    );
    let text = w.ok(&alice, &["app", "show", "shop"]);
    assert!(text.contains("MODE"), "{text}");
    assert!(text.contains("development"), "{text}");
    assert!(text.contains("http://localhost:3000"), "{text}");

    // without a key, names are visible but values are not
    let stranger = w.stranger("eve");
    let json = w.ok(&stranger, &["app", "show", "shop", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(json["modes"]["development"]["API_BASE"].is_null(), "{json}");
    assert!(
        !w.vault_text().contains("localhost"),
        "a mode value is stored in the clear"
    );
}

#[test]
fn unset_in_a_mode_and_the_last_key_removes_the_mode() {
    let w = World::new();
    let alice = owner_with_modes(&w);
    w.ok(
        &alice,
        &[
            "config",
            "unset",
            "shop",
            "API_BASE",
            "--mode",
            "production",
        ],
    );
    // a build script that names a mode without values of its own gets the base config
    let out = w
        .cmd(&alice)
        .args(["export", "shop", "--mode", "production"])
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("'shop' has no config for mode 'production' (it has development), so the base config is used"),
        "{err}"
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("API_BASE=https://api.example.com\n"),
        "{text}"
    );
    assert!(!w.vault_text().contains("\"production\""));
    // the base value stays
    let base = w.ok(&alice, &["export", "shop"]);
    assert!(
        base.contains("API_BASE=https://api.example.com\n"),
        "{base}"
    );
    let (code, err) = w.fails(
        &alice,
        &["config", "unset", "shop", "CDN", "--mode", "development"],
    );
    assert_eq!(code, exit::NOT_FOUND);
    assert!(
        err.contains("app 'shop' has no config value CDN in mode 'development'"),
        "{err}"
    );
}

#[test]
fn bad_mode_names_are_refused_and_leave_the_vault_alone() {
    let w = World::new();
    let alice = owner_with_modes(&w);
    let before = w.vault_text();
    for (mode, says) in [
        ("local", "'local' cannot be a mode name"),
        ("Prod", "'Prod' is not a valid mode name"),
        ("../x", "'../x' is not a valid mode name"),
    ] {
        let (code, err) = w.fails(&alice, &["config", "set", "shop", "A=1", "--mode", mode]);
        assert_eq!(code, exit::USAGE, "{mode}: {err}");
        assert!(err.contains(says), "{mode}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
    assert_eq!(w.vault_text(), before);
    let (code, err) = w.fails(&alice, &["export", "shop", "--mode", "Staging"]);
    assert_eq!(code, exit::USAGE);
    assert!(err.contains("'Staging' is not a valid mode name"), "{err}");
}

#[test]
fn a_name_is_config_or_a_secret_in_every_mode() {
    let w = World::new();
    let alice = owner_with_modes(&w);
    let (code, err) = w.fails(
        &alice,
        &[
            "config",
            "set",
            "shop",
            "WECHAT_APPSECRET=x",
            "--mode",
            "production",
        ],
    );
    assert_eq!(code, exit::USAGE, "{err}");
    w.ok_stdin(
        &alice,
        &["add-secret", "shop", "SENTRY_DSN", "--stdin"],
        "https://k@sentry.io/1",
    );
    let (code, err) = w.fails(
        &alice,
        &[
            "config",
            "set",
            "shop",
            "SENTRY_DSN=x",
            "--mode",
            "production",
        ],
    );
    assert_eq!(code, exit::EXISTS, "{err}");
    // a name that is config only in a mode cannot become a secret either
    let out = w
        .cmd(&alice)
        .args(["add-secret", "shop", "DEBUG", "--stdin"])
        .write_stdin("1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(exit::EXISTS));
    assert!(String::from_utf8_lossy(&out.stderr).contains("DEBUG is already a config value"));
}

/// Someone with push access edits the file: a mode value moved into the base config (or to
/// another mode) fails its writer's signature there, which binds its path, and a malformed mode name is refused on load.
#[test]
fn a_moved_or_malformed_mode_value_is_refused() {
    let w = World::new();
    let alice = owner_with_modes(&w);
    let original = w.vault_text();

    let mut v: serde_json::Value = serde_json::from_str(&original).unwrap();
    let moved = v["apps"]["shop"]["modes"]["development"]["API_BASE"].clone();
    v["apps"]["shop"]["config"]["API_BASE"] = moved.clone();
    std::fs::write(w.vault_path(), serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let (code, err) = w.fails(&alice, &["export", "shop"]);
    assert_eq!(code, exit::CORRUPT, "{err}");
    assert!(
        err.contains("config/API_BASE of 'shop' does not carry a valid signature"),
        "{err}"
    );

    let mut v: serde_json::Value = serde_json::from_str(&original).unwrap();
    v["apps"]["shop"]["modes"]["production"]["API_BASE"] = moved;
    std::fs::write(w.vault_path(), serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let (code, err) = w.fails(&alice, &["export", "shop", "--mode", "production"]);
    assert_eq!(code, exit::CORRUPT, "{err}");
    assert!(
        err.contains("modes/production/config/API_BASE of 'shop' does not carry a valid signature"),
        "{err}"
    );

    for (edit, says) in [
        ("Dev/../x", "malformed mode name"),
        ("", "malformed mode name"),
    ] {
        let mut v: serde_json::Value = serde_json::from_str(&original).unwrap();
        let dev = v["apps"]["shop"]["modes"]["development"].clone();
        v["apps"]["shop"]["modes"][edit] = dev;
        std::fs::write(w.vault_path(), serde_json::to_string_pretty(&v).unwrap()).unwrap();
        let (code, err) = w.fails(&alice, &["export", "shop"]);
        assert_eq!(code, exit::CORRUPT, "{err}");
        assert!(err.contains(says), "{err}");
    }
    let mut v: serde_json::Value = serde_json::from_str(&original).unwrap();
    let api = v["apps"]["shop"]["modes"]["development"]["API_BASE"].clone();
    v["apps"]["shop"]["modes"]["development"]["BAD-NAME"] = api;
    std::fs::write(w.vault_path(), serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let (code, err) = w.fails(&alice, &["export", "shop"]);
    assert_eq!(code, exit::CORRUPT, "{err}");
    assert!(err.contains("malformed config name"), "{err}");
}

/// Mode values are team-level: a new data key re-encrypts them, and a removed member's old
/// key opens none of them afterwards.
#[test]
fn rekey_and_offboarding_reencrypt_mode_values() {
    let w = World::new();
    let alice = owner_with_modes(&w);
    let bob = w.person("bob");
    w.join(&alice, &bob, &["tester"]);
    let dev = w.ok(&bob, &["export", "shop", "--mode", "development"]);
    assert!(dev.contains("API_BASE=http://localhost:3000"), "{dev}");
    // A fresh nonce changes a ciphertext anyway: what counts is a new key and bob's key
    // opening nothing.
    let team_key = commitment(&w, "shop", "team");
    w.ok(&alice, &["member", "remove", "bob", "--yes"]);
    assert_ne!(
        commitment(&w, "shop", "team"),
        team_key,
        "the team key was kept"
    );
    assert_unreadable_by(&w, &bob, "shop", "modes/development/config/API_BASE");
    let removed_key = commitment(&w, "shop", "team");
    w.ok(&alice, &["rekey", "shop"]);
    assert_ne!(
        commitment(&w, "shop", "team"),
        removed_key,
        "rekey kept the team key"
    );
    assert_unreadable_by(&w, &bob, "shop", "modes/development/config/API_BASE");
    let dev = w.ok(&alice, &["export", "shop", "--mode", "development"]);
    assert!(dev.contains("API_BASE=http://localhost:3000"), "{dev}");
    assert!(dev.contains("DEBUG=1"), "{dev}");
}

/// docs/FORMAT.md documents mode values precisely enough for docs/recover.py to read them.
#[test]
fn the_recovery_script_reads_mode_values() {
    if interop::skipped("recovery script") {
        return;
    }
    let w = World::new();
    let alice = owner_with_modes(&w);
    let identity = alice.home.join(".config/mpvault/identity.txt");
    let values = interop::recover(&w.vault_path(), &identity);
    assert_eq!(
        values["shop"]["modes/development/config/API_BASE"],
        "http://localhost:3000"
    );
    assert_eq!(
        values["shop"]["modes/production/config/API_BASE"],
        "https://api.example.com/v2"
    );
    assert_eq!(values["shop"]["config/API_BASE"], "https://api.example.com");
}
