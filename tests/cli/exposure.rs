//! Issue 18, parts 3 and 4: no secret value ships as config, and a value keeps its exposure.
//! Bundle config is prefixed by a preset and compiled into the Mini Program; build config is
//! named as is, for build scripts, and never prefixed.

use crate::common;

use common::*;

/// A Pay APIv3 key's shape: 32 letters and digits.
const PAY_KEY: &str = "Zx8Qm3VtR7pLk2Nw9Hs4Jd6Fg1Bc5Ya0";
/// A secret without a known shape, which only equality can catch.
const SENTRY_TOKEN: &str = "sntrys-team-upload-value";

fn export(w: &World, who: &Person, args: &[&str]) -> String {
    let mut all = vec!["export", "shop"];
    all.extend(args);
    w.ok(who, &all)
}

/// Issue 18, case 1: the AppSecret under a harmless name.
#[test]
fn config_set_refuses_the_appsecret_under_a_harmless_name() {
    let w = World::new();
    let (alice, bob, _) = team(&w);
    w.add_blog(&alice);
    let pair = format!("PAY_SIGN={APPSECRET}");
    for who in [&alice, &bob] {
        for args in [
            vec!["config", "set", "blog", &pair],
            vec!["config", "set", "blog", &pair, "--mode", "production"],
            vec!["config", "set", "blog", &pair, "--build"],
        ] {
            refused_as(&w, who, &args, exit::USAGE, "PAY_SIGN");
            let (_, err) = w.fails(who, &args);
            assert!(
                !err.contains(APPSECRET),
                "the value is never repeated: {err}"
            );
        }
    }
}

#[test]
fn config_set_refuses_the_shapes_of_secrets() {
    let w = World::new();
    let alice = w.owner_with_app();
    for pair in [
        format!("SIGN_SEED={PAY_KEY}"),
        format!("UPLOAD={PEM}"),
        "CHECK=fedcba9876543210fedcba9876543210".to_string(),
    ] {
        refused_as(
            &w,
            &alice,
            &["config", "set", "shop", &pair],
            exit::USAGE,
            "has the shape of a secret",
        );
    }
}

#[test]
fn config_set_takes_32_hex_digits_under_a_name_known_to_be_public() {
    let w = World::new();
    let alice = w.owner_with_app();
    w.ok(
        &alice,
        &[
            "config",
            "set",
            "shop",
            "SENTRY_PUBLIC_KEY=fedcba9876543210fedcba9876543210",
            "TEMPLATE_ID=0123456789abcdef0123456789abcdef",
        ],
    );
}

#[test]
fn config_set_refuses_a_value_equal_to_a_stored_secret() {
    let w = World::new();
    let (alice, bob, _) = team(&w);
    w.ok_stdin(
        &alice,
        &["add-secret", "shop", "SENTRY_AUTH", "--stdin"],
        SENTRY_TOKEN,
    );
    let pair = format!("LABEL={SENTRY_TOKEN}");
    refused_as(
        &w,
        &bob,
        &["config", "set", "shop", &pair, "--mode", "staging"],
        exit::USAGE,
        "LABEL has the value of a secret",
    );
}

#[test]
fn import_refuses_a_config_value_equal_to_a_stored_secret() {
    let w = World::new();
    let (alice, _, _) = team(&w);
    w.ok_stdin(
        &alice,
        &["add-secret", "shop", "SENTRY_AUTH", "--stdin"],
        SENTRY_TOKEN,
    );
    std::fs::write(w.path(".env"), format!("VITE_LABEL={SENTRY_TOKEN}\n")).unwrap();
    refused_as(
        &w,
        &alice,
        &["import", "shop", ".env"],
        exit::USAGE,
        "LABEL has the value of a secret",
    );
    std::fs::write(w.path(".env"), format!("CHECK={APPSECRET}\n")).unwrap();
    refused_as(
        &w,
        &alice,
        &["import", "shop", ".env", "--config", "CHECK"],
        exit::USAGE,
        "CHECK has the value of a secret",
    );
}

/// Issue 18, case 1: a file that carries a secret as config anyway (set before the secret was
/// stored, or by an older mpvault) is refused when it would ship.
#[test]
fn export_with_a_bundle_preset_refuses_config_equal_to_a_secret() {
    let w = World::new();
    let (alice, bob, _) = team(&w);
    w.ok(
        &alice,
        &["config", "set", "shop", &format!("LABEL={SENTRY_TOKEN}")],
    );
    w.ok_stdin(
        &alice,
        &["add-secret", "shop", "SENTRY_AUTH", "--stdin"],
        SENTRY_TOKEN,
    );
    for preset in ["vite", "taro", "vue-cli"] {
        let args = ["export", "shop", "--preset", preset];
        refused_as(&w, &bob, &args, exit::USAGE, "LABEL");
        let (_, err) = w.fails(&bob, &args);
        assert!(!err.contains(SENTRY_TOKEN), "{err}");
    }
    // Without a bundle preset nothing ships, and the value is named as stored.
    assert!(export(&w, &bob, &[]).contains("LABEL="));
}

/// Issue 18, case 2: a legacy .env.production with server-side names imported and exported
/// with the taro preset.
#[test]
fn import_keeps_unprefixed_names_out_of_the_bundle() {
    let w = World::new();
    let (_, bob, _) = team(&w);
    std::fs::write(
        w.path(".env.production"),
        "TARO_APP_API=https://api.example.com\nDB_HOST=db.internal\nSENTRY_AUTH=sntrys-x\n",
    )
    .unwrap();
    let plan = w.ok(
        &bob,
        &[
            "import",
            "shop",
            ".env.production",
            "--mode",
            "production",
            "--dry-run",
        ],
    );
    let row = |name: &str| {
        plan.lines()
            .find(|l| l.contains(&format!(" {name} ")))
            .unwrap_or_else(|| panic!("no row for {name}: {plan}"))
            .to_string()
    };
    assert!(plan.contains("EXPORTED AS"), "{plan}");
    assert!(
        row("DB_HOST").contains("build config (production)"),
        "{plan}"
    );
    assert!(!row("DB_HOST").contains("TARO_APP_DB_HOST"), "{plan}");
    assert!(
        row("TARO_APP_API").contains("bundle config (production)"),
        "{plan}"
    );
    w.ok(
        &bob,
        &["import", "shop", ".env.production", "--mode", "production"],
    );
    for (preset, api) in [("taro", "TARO_APP_API"), ("vite", "VITE_API")] {
        let out = export(&w, &bob, &["--preset", preset, "--mode", "production"]);
        assert!(out.contains("\nDB_HOST=db.internal\n"), "{out}");
        assert!(out.contains("\nSENTRY_AUTH=sntrys-x\n"), "{out}");
        assert!(
            out.contains(&format!("{api}=https://api.example.com")),
            "{out}"
        );
        assert!(
            !out.contains("_DB_HOST") && !out.contains("_SENTRY_AUTH"),
            "{out}"
        );
    }
}

#[test]
fn build_config_is_named_as_is_by_every_preset_and_run() {
    let w = World::new();
    let (alice, bob, _) = team(&w);
    w.ok(
        &alice,
        &["config", "set", "shop", "--build", "DB_HOST=db.internal"],
    );
    w.ok(
        &alice,
        &[
            "config",
            "set",
            "shop",
            "--build",
            "--mode",
            "production",
            "DB_HOST=db.prod",
        ],
    );
    w.ok(
        &alice,
        &["config", "set", "shop", "API=https://api.example.com"],
    );
    let vite = export(&w, &bob, &["--preset", "vite"]);
    assert!(
        vite.contains("\nDB_HOST=db.internal\n") && vite.contains("VITE_API="),
        "{vite}"
    );
    assert!(!vite.contains("VITE_DB_HOST"), "{vite}");
    let prod = export(&w, &bob, &["--preset", "taro", "--mode", "production"]);
    assert!(prod.contains("\nDB_HOST=db.prod\n"), "{prod}");
    let plain = export(&w, &bob, &["--format", "json"]);
    assert!(plain.contains("\"DB_HOST\""), "{plain}");
    let env = w.ok(&bob, &["run", "shop", "--preset", "vite", "--", "env"]);
    assert!(
        env.contains("\nDB_HOST=db.internal\n") || env.starts_with("DB_HOST=db.internal\n"),
        "{env}"
    );
    // `config unset` finds either kind.
    w.ok(&alice, &["config", "unset", "shop", "DB_HOST"]);
    w.ok(
        &alice,
        &["config", "unset", "shop", "DB_HOST", "--mode", "production"],
    );
    assert!(!export(&w, &bob, &[]).contains("DB_HOST"));
}

#[test]
fn a_name_is_bundle_config_build_config_or_a_secret_never_two() {
    let w = World::new();
    let (alice, _, _) = team(&w);
    w.ok(
        &alice,
        &["config", "set", "shop", "API=https://api.example.com"],
    );
    refused_as(
        &w,
        &alice,
        &[
            "config",
            "set",
            "shop",
            "--build",
            "--mode",
            "dev",
            "API=http://localhost",
        ],
        exit::EXISTS,
        "API is already bundle config of 'shop'",
    );
    w.ok(
        &alice,
        &["config", "set", "shop", "--build", "DB_HOST=db.internal"],
    );
    refused_as(
        &w,
        &alice,
        &["config", "set", "shop", "DB_HOST=db.internal"],
        exit::EXISTS,
        "DB_HOST is already build config of 'shop'",
    );
    w.ok_stdin(
        &alice,
        &["add-secret", "shop", "SENTRY_AUTH", "--stdin"],
        SENTRY_TOKEN,
    );
    refused_as(
        &w,
        &alice,
        &["config", "set", "shop", "--build", "SENTRY_AUTH=x"],
        exit::EXISTS,
        "SENTRY_AUTH is already a secret of 'shop'",
    );
    std::fs::write(w.path(".env"), "VITE_DB_HOST=db.internal\n").unwrap();
    refused_as(
        &w,
        &alice,
        &["import", "shop", ".env"],
        exit::EXISTS,
        "already has as build config",
    );
}

/// A tester who moves a build value into the bundle map breaks its signature.
#[test]
fn a_build_value_moved_into_the_bundle_is_refused() {
    let w = World::new();
    let (alice, bob, _) = team(&w);
    w.ok(
        &alice,
        &["config", "set", "shop", "--build", "DB_HOST=db.internal"],
    );
    edit(&w, |v| {
        let shop = &mut v["apps"]["shop"];
        let sealed = shop["build"]["DB_HOST"].take();
        shop.as_object_mut().unwrap().remove("build");
        shop["config"] = serde_json::json!({ "DB_HOST": sealed });
    });
    let (code, err) = w.fails(&bob, &["export", "shop", "--preset", "vite"]);
    assert_eq!(code, exit::CORRUPT, "{err}");
}

#[test]
fn a_file_with_a_name_of_two_kinds_is_refused() {
    let w = World::new();
    let (alice, bob, _) = team(&w);
    w.ok(
        &alice,
        &["config", "set", "shop", "--build", "DB_HOST=db.internal"],
    );
    w.ok(&alice, &["config", "set", "shop", "API=x"]);
    edit(&w, |v| {
        let shop = &mut v["apps"]["shop"];
        let sealed = shop["config"]["API"].clone();
        shop["build"]["API"] = sealed;
    });
    let (code, err) = w.fails(&bob, &["export", "shop"]);
    assert_eq!(code, exit::CORRUPT, "{err}");
    assert!(err.contains("API of app 'shop' is"), "{err}");
}

/// docs/recover.py reads build config at its documented paths.
#[test]
fn the_recovery_script_reads_build_config() {
    if common::interop::skipped("recovery script") {
        return;
    }
    let w = World::new();
    let alice = w.owner_with_app();
    w.ok(
        &alice,
        &["config", "set", "shop", "--build", "DB_HOST=db.internal"],
    );
    w.ok(
        &alice,
        &[
            "config",
            "set",
            "shop",
            "--build",
            "--mode",
            "production",
            "DB_HOST=db.prod",
        ],
    );
    let values = common::interop::recover(
        &w.vault_path(),
        &alice.home.join(".config/mpvault/identity.txt"),
    );
    assert_eq!(values["shop"]["build/DB_HOST"], "db.internal");
    assert_eq!(values["shop"]["modes/production/build/DB_HOST"], "db.prod");
}
