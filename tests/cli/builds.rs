//! Builds: the miniprogram-ci upload key, the .gitignore guard on exported files, and the
//! promise that no preset puts a secret into a variable the bundle ships.

use crate::common;

use std::collections::BTreeMap;

use common::*;
use mpvault::preset::{bundle_prefix, Preset};

const KEY_FILE: &str = "private.wx0123456789abcdef.key";

/// Runs and returns (exit code, stdout, stderr) whatever the outcome.
fn run(w: &World, person: &Person, args: &[&str]) -> (i32, String, String) {
    let out = w.cmd(person).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn owner_with_upload_key(w: &World) -> Person {
    let alice = w.owner_with_app();
    w.ok_stdin(
        &alice,
        &["add-secret", "shop", "WECHAT_UPLOAD_KEY", "--stdin"],
        PEM,
    );
    alice
}

// ------------------------------------------------------------ upload key ---

#[test]
fn upload_key_file_writes_the_pem_byte_for_byte_and_prints_the_ci_line() {
    let w = World::new();
    let alice = owner_with_upload_key(&w);
    let (code, out, err) = run(&w, &alice, &["export", "shop", "--upload-key-file"]);
    assert_eq!(code, exit::SUCCESS, "{err}");
    assert_eq!(
        out,
        format!("miniprogram-ci upload --pp ./ --pkp {KEY_FILE} --appid {APPID} --uv <version>\n"),
        "standard output is the line to run, and no env output"
    );
    assert!(!out.contains("BEGIN") && !err.contains("BEGIN"));
    let path = w.path(KEY_FILE);
    assert_eq!(std::fs::read(&path).unwrap(), PEM.as_bytes());
    assert_eq!(mode(&path), 0o600);
    assert_eq!(
        std::fs::read_dir(w.project()).unwrap().count(),
        2,
        "only the vault and the key"
    );
}

#[test]
fn upload_key_file_takes_a_path_and_never_overwrites_without_force() {
    let w = World::new();
    let alice = owner_with_upload_key(&w);
    std::fs::create_dir(w.path("keys")).unwrap();
    let out = w.ok(
        &alice,
        &["export", "shop", "--upload-key-file", "keys/upload key.pem"],
    );
    assert_eq!(
        out,
        format!(
            "miniprogram-ci upload --pp ./ --pkp 'keys/upload key.pem' --appid {APPID} --uv <version>\n"
        )
    );
    let path = w.path("keys/upload key.pem");
    assert_eq!(std::fs::read(&path).unwrap(), PEM.as_bytes());

    std::fs::write(&path, "old").unwrap();
    let (code, err) = w.fails(
        &alice,
        &["export", "shop", "--upload-key-file", "keys/upload key.pem"],
    );
    assert_eq!(code, exit::EXISTS);
    assert!(
        err.contains("already exists") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), b"old");

    w.ok(
        &alice,
        &[
            "export",
            "shop",
            "--upload-key-file",
            "keys/upload key.pem",
            "--force",
        ],
    );
    assert_eq!(std::fs::read(&path).unwrap(), PEM.as_bytes());
}

#[test]
fn upload_key_file_without_an_upload_key_says_how_to_store_one() {
    let w = World::new();
    let alice = w.owner_with_app();
    let (code, err) = w.fails(&alice, &["export", "shop", "--upload-key-file"]);
    assert_eq!(code, exit::NOT_FOUND);
    assert!(
        err.contains("'shop' has no upload key (WECHAT_UPLOAD_KEY)"),
        "{err}"
    );
    assert!(
        err.contains("mpvault add-secret shop WECHAT_UPLOAD_KEY --stdin < private.key"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(!w.path(KEY_FILE).exists());
}

#[test]
fn a_tester_cannot_export_the_upload_key() {
    let w = World::new();
    let alice = owner_with_upload_key(&w);
    let carol = w.person("carol");
    w.join(&alice, &carol, &["tester"]);
    let (code, err) = w.fails(&carol, &["export", "shop", "--upload-key-file"]);
    assert_eq!(code, exit::DENIED);
    assert!(
        err.contains("carol cannot read developer-level values of 'shop'"),
        "{err}"
    );
    assert!(!w.path(KEY_FILE).exists());
}

#[test]
fn upload_key_file_conflicts_with_output_and_format() {
    let w = World::new();
    let alice = owner_with_upload_key(&w);
    for extra in [["-o", ".env"], ["--format", "json"]] {
        let mut args = vec!["export", "shop", "--upload-key-file", "k.pem"];
        args.extend(extra);
        let (code, err) = w.fails(&alice, &args);
        assert_eq!(code, exit::USAGE, "{err}");
        assert!(err.contains("cannot be used with"), "{err}");
    }
    assert!(!w.path("k.pem").exists() && !w.path(".env").exists());
}

// ------------------------------------------------------- .gitignore guard ---

/// An owner whose app has a config value and an AppSecret.
fn owner_with_values(w: &World) -> Person {
    let alice = w.owner_with_app();
    w.ok(
        &alice,
        &["config", "set", "shop", "API_BASE=https://api.example.com"],
    );
    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], APPSECRET);
    alice
}

#[test]
fn secrets_are_not_written_where_git_would_commit_them() {
    let w = World::new();
    let alice = owner_with_values(&w);
    w.git(&["init", "-q"]);
    let (code, err) = w.fails(
        &alice,
        &["export", "shop", "--include-secrets", "-o", ".env"],
    );
    assert_eq!(code, exit::USAGE);
    assert!(
        err.contains(".env is not ignored by git, so the secrets written to it could be committed"),
        "{err}"
    );
    assert!(
        err.contains("add it to .gitignore, or pass --force to write it anyway"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(!w.path(".env").exists());
}

#[test]
fn force_writes_secrets_into_a_committable_file_and_warns() {
    let w = World::new();
    let alice = owner_with_values(&w);
    w.git(&["init", "-q"]);
    let (code, _, err) = run(
        &w,
        &alice,
        &[
            "export",
            "shop",
            "--include-secrets",
            "-o",
            ".env",
            "--force",
        ],
    );
    assert_eq!(code, exit::SUCCESS, "{err}");
    assert!(
        err.contains("Warning: .env is not ignored by git, so its secrets could be committed"),
        "{err}"
    );
    assert!(std::fs::read_to_string(w.path(".env"))
        .unwrap()
        .contains(APPSECRET));
    assert_eq!(mode(&w.path(".env")), 0o600);
}

#[test]
fn files_git_ignores_get_secrets_without_a_warning() {
    let w = World::new();
    let alice = owner_with_values(&w);
    w.git(&["init", "-q"]);
    std::fs::write(w.path(".gitignore"), ".env*\nprivate.*.key\n").unwrap();
    std::fs::create_dir(w.path("web")).unwrap();
    for file in [".env", "web/.env.production"] {
        let (code, _, err) = run(
            &w,
            &alice,
            &["export", "shop", "--include-secrets", "-o", file],
        );
        assert_eq!(code, exit::SUCCESS, "{err}");
        assert!(!err.contains("Warning"), "{err}");
        assert!(std::fs::read_to_string(w.path(file))
            .unwrap()
            .contains(APPSECRET));
    }

    w.ok_stdin(
        &alice,
        &["add-secret", "shop", "WECHAT_UPLOAD_KEY", "--stdin"],
        PEM,
    );
    let (code, _, err) = run(&w, &alice, &["export", "shop", "--upload-key-file"]);
    assert_eq!(code, exit::SUCCESS, "{err}");
    assert!(!err.contains("Warning"), "{err}");
    assert_eq!(std::fs::read(w.path(KEY_FILE)).unwrap(), PEM.as_bytes());
}

#[test]
fn a_tracked_file_is_committable_even_when_gitignore_lists_it() {
    let w = World::new();
    let alice = owner_with_values(&w);
    w.git(&["init", "-q"]);
    std::fs::write(w.path(".env"), "OLD=1\n").unwrap();
    w.git(&["add", ".env"]);
    std::fs::write(w.path(".gitignore"), ".env\n").unwrap();
    let (code, err) = w.fails(
        &alice,
        &["export", "shop", "--include-secrets", "-o", ".env"],
    );
    assert_eq!(code, exit::USAGE, "{err}");
    assert!(err.contains(".env is not ignored by git"), "{err}");
    assert_eq!(std::fs::read_to_string(w.path(".env")).unwrap(), "OLD=1\n");
}

#[test]
fn a_committable_file_without_secrets_is_written_with_a_warning() {
    let w = World::new();
    let alice = owner_with_values(&w);
    w.git(&["init", "-q"]);
    let (code, _, err) = run(&w, &alice, &["export", "shop", "-o", ".env"]);
    assert_eq!(code, exit::SUCCESS, "{err}");
    assert!(
        err.contains(
            "Warning: .env is not ignored by git, so it could be committed; add it to .gitignore."
        ),
        "{err}"
    );
    let text = std::fs::read_to_string(w.path(".env")).unwrap();
    assert!(
        text.contains("API_BASE=") && !text.contains(APPSECRET),
        "{text}"
    );
}

#[test]
fn the_upload_key_is_guarded_like_any_secret() {
    let w = World::new();
    let alice = owner_with_upload_key(&w);
    w.git(&["init", "-q"]);
    let (code, err) = w.fails(&alice, &["export", "shop", "--upload-key-file"]);
    assert_eq!(code, exit::USAGE);
    assert!(
        err.contains(&format!("{KEY_FILE} is not ignored by git")),
        "{err}"
    );
    assert!(!w.path(KEY_FILE).exists());

    let (code, out, err) = run(
        &w,
        &alice,
        &["export", "shop", "--upload-key-file", "--force"],
    );
    assert_eq!(code, exit::SUCCESS, "{err}");
    assert!(out.starts_with("miniprogram-ci upload "), "{out}");
    assert!(err.contains("Warning"), "{err}");
    assert_eq!(std::fs::read(w.path(KEY_FILE)).unwrap(), PEM.as_bytes());
}

#[test]
fn outside_a_git_repository_there_is_no_guard() {
    let w = World::new();
    let alice = owner_with_upload_key(&w);
    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], APPSECRET);
    let inside = git_command(&w.project(), &alice.home, "alice")
        .args(["rev-parse", "--is-inside-work-tree"])
        .output()
        .unwrap();
    assert!(
        !inside.status.success(),
        "the test's temporary folder is inside a git work tree"
    );
    for args in [
        &["export", "shop", "--include-secrets", "-o", ".env"][..],
        &["export", "shop", "--upload-key-file"][..],
    ] {
        let (code, _, err) = run(&w, &alice, args);
        assert_eq!(code, exit::SUCCESS, "{err}");
        assert!(!err.contains("Warning"), "{err}");
    }
    assert!(w.path(".env").exists() && w.path(KEY_FILE).exists());
}

/// `-o` of every format goes through the git guard, github's too (issue #8: a GITHUB_ENV
/// named inside the work tree would otherwise be committed with the secrets appended to it).
/// On a runner `$GITHUB_ENV` lives outside the work tree, so the guard stays quiet there.
#[test]
fn github_format_goes_through_the_guard() {
    let w = World::new();
    let alice = owner_with_values(&w);
    w.git(&["init", "-q"]);
    let args = [
        "export",
        "shop",
        "--format",
        "github",
        "--include-secrets",
        "-o",
        "github.env",
    ];
    let (code, out, err) = run(&w, &alice, &args);
    assert_eq!(code, exit::USAGE, "{err}");
    assert!(err.contains("not ignored by git"), "{err}");
    assert!(out.is_empty() && !w.path("github.env").exists());
    let mut forced = args.to_vec();
    forced.push("--force");
    let (code, out, err) = run(&w, &alice, &forced);
    assert_eq!(code, exit::SUCCESS, "{err}");
    assert_eq!(out, format!("::add-mask::{APPSECRET}\n"));
    assert!(err.contains("Warning"), "{err}");
}

// -------------------------------------------- presets and bundle prefixes ---

/// Secrets with default and custom names, and values that need quoting.
const SECRETS: [(&str, &str); 5] = [
    ("WECHAT_APPSECRET", APPSECRET),
    ("WECHAT_UPLOAD_KEY", PEM),
    ("MINCLOUD_CLIENT_SECRET", "mc-9f8e7d6c5b4a39281706"),
    ("API_TOKEN", "tok en \"quoted\" and 'single' #hash"),
    ("SENTRY_AUTH_TOKEN", "sntrys_0123456789abcdefABCDEF"),
];

fn parse_json(text: &str) -> BTreeMap<String, String> {
    serde_json::from_str(text).unwrap()
}

/// alice's shop with two config values and every secret of `SECRETS`.
fn shop_with_secrets(w: &World) -> Person {
    let alice = w.owner_with_app();
    w.ok(
        &alice,
        &[
            "config",
            "set",
            "shop",
            "API_BASE=https://api.example.com",
            "ENV_NAME=production",
        ],
    );
    for (name, value) in SECRETS {
        let mut args = vec!["add-secret", "shop", name, "--stdin"];
        if name == "API_TOKEN" {
            args.extend(["--access", "team"]);
        }
        w.ok_stdin(&alice, &args, value);
    }
    alice
}

/// The preset is in effect (config carries its bundle prefix), no bundle variable carries a
/// secret, and every secret is there under its own name.
fn assert_bundle_safe(preset: &str, case: &str, values: &BTreeMap<String, String>) {
    let api_base = match preset {
        "plain" => "API_BASE",
        "taro" => "TARO_APP_API_BASE",
        "vue-cli" => "VUE_APP_API_BASE",
        _ => "VITE_API_BASE",
    };
    let appid = match preset {
        "taro" => "TARO_APP_ID",
        "vue-cli" => "VUE_APP_WECHAT_APPID",
        _ => "WECHAT_APPID",
    };
    assert_eq!(
        values.get(appid).map(String::as_str),
        Some(APPID),
        "{case}: {values:?}"
    );
    assert_eq!(
        values.get(api_base).map(String::as_str),
        Some("https://api.example.com"),
        "{case}: {values:?}"
    );
    for (key, value) in values {
        if bundle_prefix(key).is_some() {
            for (secret, secret_value) in SECRETS {
                assert!(
                    !value.contains(secret_value),
                    "{case}: the bundle variable {key} carries {secret}"
                );
            }
        }
    }
    for (secret, secret_value) in SECRETS {
        assert_eq!(
            values.get(secret).map(String::as_str),
            Some(secret_value),
            "{case}: {secret} is not exported under its own name"
        );
    }
}

#[test]
fn no_preset_puts_a_secret_into_a_bundle_variable() {
    let w = World::new();
    let alice = shop_with_secrets(&w);
    // dotenv is read back by the real readers of its default dialect
    let formats = if interop::skipped("bundle variables in dotenv") {
        &["shell", "json"][..]
    } else {
        &["dotenv", "shell", "json"]
    };
    for preset in ["plain", "taro", "vite", "vue-cli"] {
        for &format in formats {
            let text = w.ok(
                &alice,
                &[
                    "export",
                    "shop",
                    "--include-secrets",
                    "--preset",
                    preset,
                    "--format",
                    format,
                ],
            );
            let values = match format {
                "dotenv" => interop::read_expand(&text),
                "shell" => interop::source_sh(&text),
                _ => parse_json(&text),
            };
            assert_bundle_safe(
                preset,
                &format!("--preset {preset} --format {format}"),
                &values,
            );
        }
    }
}

#[test]
fn add_secret_refuses_bundle_prefixed_names() {
    let w = World::new();
    let alice = w.owner_with_app();
    let before = w.vault_text();
    for (name, prefix) in [
        ("TARO_APP_SECRET", Preset::Taro.prefix()),
        ("VITE_API_KEY", Preset::Vite.prefix()),
        ("VUE_APP_TOKEN", Preset::VueCli.prefix()),
    ] {
        let out = w
            .cmd(&alice)
            .args(["add-secret", "shop", name, "--stdin"])
            .write_stdin("s3cr3t-value")
            .output()
            .unwrap();
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(exit::USAGE), "{name}: {err}");
        assert!(
            err.contains(&format!("{name} starts with {prefix}")),
            "{name}: {err}"
        );
        assert!(!err.contains("s3cr3t-value"));
    }
    assert_eq!(w.vault_text(), before, "a refused secret changed the vault");
}
