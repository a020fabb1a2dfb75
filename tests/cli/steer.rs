//! Issue 18, parts 1 and 2: config steers builds, so only developers, admins and owners write
//! it, and names that steer how tools start or where they read their configuration never come
//! out of a vault.

use crate::common;

use common::*;
use mpvault::vault::{Field, Keyring, Sealed};

/// What carol, a tester with push access, could write with her own key and a patched mpvault:
/// a config value she signs herself (the team key is hers to use).
fn hand_signed_by(w: &World, who: &Person, field: Field, value: &str) {
    let identity = who.home.join(".config/mpvault/identity.txt");
    let identity = mpvault::identity::resolve(Some(&identity)).unwrap();
    mpvault::store::update(&w.vault_path(), |vault| {
        let mut keyring = Keyring::open_to_read(vault, &identity)?;
        let unsealed = Sealed {
            version: None,
            revision: Some(vault.revision),
            restored: None,
            set_by: who.name.clone(),
            set_at: "2026-01-01T00:00:00Z".into(),
            sealed_by: None,
            value: String::new(),
            sig: None,
        };
        let sealed =
            keyring.reseal_copy(vault, "shop", &field, unsealed, None, value.as_bytes())?;
        let app = vault.app_mut("shop")?;
        match field {
            Field::Config(key) => app.config.insert(key, sealed),
            Field::ModeConfig(mode, key) => app.modes.entry(mode).or_default().insert(key, sealed),
            Field::Build(key) => app.build.insert(key, sealed),
            Field::ModeBuild(mode, key) => {
                app.build_modes.entry(mode).or_default().insert(key, sealed)
            }
            _ => unreachable!("only config steers builds"),
        };
        Ok(())
    })
    .unwrap();
}

fn stdout_of(w: &World, who: &Person, args: &[&str]) -> (String, String) {
    let out = w.cmd(who).args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{args:?}: {err}");
    (String::from_utf8_lossy(&out.stdout).to_string(), err)
}

// ------------------------------------------------------------ 1. who steers a build ---

#[test]
fn a_tester_cannot_set_or_unset_config() {
    let w = World::new();
    let (alice, _bob, carol) = team(&w);
    w.ok(
        &alice,
        &["config", "set", "shop", "API_BASE=https://api.example.com"],
    );
    for args in [
        &["config", "set", "shop", "API_BASE=https://evil.example.com"][..],
        &[
            "config",
            "set",
            "shop",
            "CDN=https://evil.example.com",
            "--mode",
            "production",
        ],
        &["config", "unset", "shop", "API_BASE"],
    ] {
        refused_as(
            &w,
            &carol,
            args,
            exit::DENIED,
            "only developers, admins and owners",
        );
    }
}

#[test]
fn config_a_tester_signed_is_refused_on_read_naming_the_key() {
    let w = World::new();
    let (_alice, bob, carol) = team(&w);
    hand_signed_by(
        &w,
        &carol,
        Field::Config("API_BASE".into()),
        "https://evil.example.com",
    );
    for args in [
        &["export", "shop"][..],
        &["run", "shop", "--include-secrets", "--", "true"],
        &["get", "shop", "API_BASE"],
    ] {
        refused(
            &w,
            &bob,
            args,
            "config/API_BASE of 'shop' was written by 'carol'",
        );
        let (_, err) = w.fails(&bob, args);
        assert!(err.contains("mpvault config set shop API_BASE="), "{err}");
        assert!(err.contains("mpvault config unset shop API_BASE"), "{err}");
    }
}

#[test]
fn mode_config_a_tester_signed_is_refused_on_read() {
    let w = World::new();
    let (_alice, bob, carol) = team(&w);
    let field = Field::ModeConfig("production".into(), "CDN".into());
    hand_signed_by(&w, &carol, field, "https://evil.example.com");
    let args = &["export", "shop", "--mode", "production"];
    refused(
        &w,
        &bob,
        args,
        "modes/production/config/CDN of 'shop' was written by 'carol'",
    );
    let (_, err) = w.fails(&bob, args);
    assert!(err.contains("--mode production"), "{err}");
}

#[test]
fn config_a_tester_wrote_before_the_upgrade_is_replaced_or_removed_by_a_developer() {
    let w = World::new();
    let (_alice, bob, carol) = team(&w);
    hand_signed_by(
        &w,
        &carol,
        Field::Config("API_BASE".into()),
        "https://api.example.com",
    );
    hand_signed_by(
        &w,
        &carol,
        Field::Config("CDN".into()),
        "https://cdn.example.com",
    );
    w.ok(
        &bob,
        &["config", "set", "shop", "API_BASE=https://api.example.com"],
    );
    w.ok(&bob, &["config", "unset", "shop", "CDN"]);
    let (env, _) = stdout_of(&w, &bob, &["export", "shop"]);
    assert!(env.contains("API_BASE=https://api.example.com"), "{env}");
    assert!(!env.contains("CDN"), "{env}");
}

#[test]
fn a_developers_and_an_owners_config_keep_working_and_an_operator_sets_contacts() {
    let w = World::new();
    let (alice, bob, carol) = team(&w);
    let dave = w.person("dave");
    w.join(&alice, &dave, &["operator"]);
    w.ok(
        &alice,
        &["config", "set", "shop", "API_BASE=https://api.example.com"],
    );
    w.ok(
        &bob,
        &[
            "config",
            "set",
            "shop",
            "CDN=https://cdn.example.com",
            "--mode",
            "production",
        ],
    );
    w.ok(
        &dave,
        &["app", "contact", "shop", "--phone", "+86 138 0013 8000"],
    );
    for who in [&alice, &bob, &carol, &dave] {
        let (env, _) = stdout_of(&w, who, &["export", "shop", "--mode", "production"]);
        assert!(env.contains("API_BASE=https://api.example.com"), "{env}");
        assert!(env.contains("CDN=https://cdn.example.com"), "{env}");
    }
    let (shown, _) = stdout_of(&w, &carol, &["app", "show", "shop"]);
    assert!(shown.contains("138 0013 8000"), "{shown}");
}

#[test]
fn config_written_by_a_developer_who_is_later_made_a_tester_stays_readable() {
    let w = World::new();
    let (alice, bob, carol) = team(&w);
    w.ok(
        &bob,
        &["config", "set", "shop", "API_BASE=https://api.example.com"],
    );
    w.ok(&alice, &["role", "set", "bob", "shop", "tester"]);
    for who in [&alice, &bob, &carol] {
        let (env, _) = stdout_of(&w, who, &["export", "shop"]);
        assert!(env.contains("API_BASE=https://api.example.com"), "{env}");
    }
}

// ------------------------------------------------------------ 2. names that steer tools ---

/// One name per family of `src/envnames.rs`.
const STEERING_NAMES: &[&str] = &[
    "XDG_CONFIG_HOME",
    "GNUPGHOME",
    "CARGO_HOME",
    "OPENSSL_CONF",
    "OPENSSL_MODULES",
    "DOCKER_CONFIG",
    "PIP_CONFIG_FILE",
    "PIP_INDEX_URL",
    "UV_INDEX_URL",
    "NODE_EXTRA_CA_CERTS",
    "MAVEN_OPTS",
    "CC",
    "CXX",
    "CFLAGS",
    "MAKEFLAGS",
    "RUSTC_WRAPPER",
    "COREPACK_NPM_REGISTRY",
    "HTTPS_PROXY",
    "all_proxy",
    "LESSOPEN",
    "SSLKEYLOGFILE",
    "GIT_CONFIG_GLOBAL",
    "npm_config_registry",
    "LD_AUDIT",
    "DYLD_INSERT_LIBRARIES",
    "SHELL",
    "EDITOR",
    "PAGER",
    "KUBECONFIG",
    "GOFLAGS",
];

#[test]
fn config_set_refuses_names_that_steer_tools_with_and_without_a_mode() {
    let w = World::new();
    let (alice, _bob, _carol) = team(&w);
    for name in STEERING_NAMES {
        let pair = format!("{name}=.cfg");
        for args in [
            &["config", "set", "shop", &pair][..],
            &["config", "set", "shop", &pair, "--mode", "production"],
        ] {
            refused_as(
                &w,
                &alice,
                args,
                exit::USAGE,
                &format!("{name} cannot be stored"),
            );
        }
    }
}

#[test]
fn issue_18_case_3_xdg_config_home_is_refused_by_config_set() {
    let w = World::new();
    let (_alice, bob, _carol) = team(&w);
    refused_as(
        &w,
        &bob,
        &["config", "set", "shop", "XDG_CONFIG_HOME=.cfg"],
        exit::USAGE,
        "XDG_CONFIG_HOME cannot be stored in a vault",
    );
}

#[test]
fn import_refuses_a_file_that_sets_a_name_that_steers_tools() {
    let w = World::new();
    let (alice, _bob, _carol) = team(&w);
    for (line, name) in [
        ("XDG_CONFIG_HOME=.cfg", "XDG_CONFIG_HOME"),
        ("TARO_APP_OPENSSL_CONF=x.cnf", "OPENSSL_CONF"),
        ("HTTPS_PROXY=http://evil.example.com:3128", "HTTPS_PROXY"),
    ] {
        std::fs::write(
            w.path(".env.production"),
            format!("API_BASE=https://x\n{line}\n"),
        )
        .unwrap();
        for extra in [&[][..], &["--dry-run"], &["--mode", "production"]] {
            let mut args = vec!["import", "shop", ".env.production"];
            args.extend(extra);
            refused_as(
                &w,
                &alice,
                &args,
                exit::USAGE,
                &format!("{name} cannot be stored"),
            );
        }
    }
}

#[test]
fn bundle_prefixed_names_are_data() {
    let w = World::new();
    let (alice, bob, _carol) = team(&w);
    w.ok(
        &alice,
        &[
            "config",
            "set",
            "shop",
            "VITE_ROUTER_PATH=/app",
            "TARO_APP_CACHE_HOME=/c",
        ],
    );
    let (env, _) = stdout_of(&w, &bob, &["export", "shop"]);
    assert!(env.contains("VITE_ROUTER_PATH=/app"), "{env}");
    assert!(env.contains("TARO_APP_CACHE_HOME=/c"), "{env}");
}

/// A hostile writer renames a config value (base or per mode) to a name that steers tools.
fn carry_by_hand(w: &World, name: &str) {
    edit(w, |v| {
        let app = &mut v["apps"]["shop"];
        let value = app["config"]["API_BASE"].clone();
        app["config"]
            .as_object_mut()
            .unwrap()
            .insert(name.into(), value.clone());
        let production = app["modes"]["production"].as_object_mut().unwrap();
        production.insert(format!("{name}_M"), value);
    });
}

#[test]
fn run_and_every_export_skip_a_name_that_steers_tools_carried_by_hand() {
    let w = World::new();
    let (alice, bob, _carol) = team(&w);
    w.ok(
        &alice,
        &["config", "set", "shop", "API_BASE=https://api.example.com"],
    );
    w.ok(
        &alice,
        &[
            "config",
            "set",
            "shop",
            "CDN=https://cdn",
            "--mode",
            "production",
        ],
    );
    carry_by_hand(&w, "XDG_CONFIG");
    // XDG_CONFIG (base) and XDG_CONFIG_M (mode) are both in the XDG_* family.
    let mut runs: Vec<Vec<&str>> = Vec::new();
    for mode in [&[][..], &["--mode", "production"]] {
        let mut run = vec!["run", "shop", "--include-secrets"];
        run.extend(mode);
        run.extend(["--", "env"]);
        runs.push(run);
        for format in ["dotenv", "json", "shell"] {
            let mut export = vec!["export", "shop", "--include-secrets", "--format", format];
            export.extend(mode);
            runs.push(export);
        }
    }
    for args in &runs {
        let (out, err) = stdout_of(&w, &bob, args);
        // `run` passes on the caller's own XDG_CONFIG_HOME; only the vault's names are checked.
        for carried in ["XDG_CONFIG=", "\"XDG_CONFIG\"", "XDG_CONFIG_M"] {
            assert!(!out.contains(carried), "{args:?}: {out}");
        }
        assert!(out.contains("API_BASE"), "{args:?}: {out}");
        assert!(err.contains("skipped XDG_CONFIG"), "{args:?}: {err}");
        if args.contains(&"production") {
            assert!(err.contains("skipped XDG_CONFIG_M"), "{args:?}: {err}");
        }
    }
}

/// Build config steers builds as much as bundle config: a tester's is refused too.
#[test]
fn build_config_a_tester_signed_is_refused_on_read() {
    let w = World::new();
    let (_alice, bob, carol) = team(&w);
    for (field, path) in [
        (Field::Build("DB_HOST".into()), "build/DB_HOST"),
        (
            Field::ModeBuild("production".into(), "CDN_HOST".into()),
            "modes/production/build/CDN_HOST",
        ),
    ] {
        hand_signed_by(&w, &carol, field, "evil.example.com");
        let args = &["export", "shop", "--mode", "production"];
        refused(
            &w,
            &bob,
            args,
            &format!("{path} of 'shop' was written by 'carol'"),
        );
        let (_, err) = w.fails(&bob, args);
        assert!(err.contains("--build"), "{err}");
        let v: serde_json::Value = serde_json::from_str(&w.vault_text()).unwrap();
        let mut v = v;
        v["apps"]["shop"].as_object_mut().unwrap().remove("build");
        v["apps"]["shop"]
            .as_object_mut()
            .unwrap()
            .remove("build_modes");
        std::fs::write(
            w.vault_path(),
            serde_json::to_string_pretty(&v).unwrap() + "\n",
        )
        .unwrap();
    }
    let (code, _) = w.fails(&carol, &["config", "set", "shop", "DB_HOST=x", "--build"]);
    assert_eq!(code, exit::DENIED);
}
