//! The examples do what their READMEs say: the uni-app project's scripts, run as npm would run
//! them, write .env.development and .env.production that Vite's own `loadEnv` (Vite 5, which
//! uni-app pins, and the current Vite) reads in each mode.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs an npm script's command line with `sh`, as `npm run` does, with mpvault on PATH.
fn run_script(w: &World, person: &Person, script: &str) {
    let bin = assert_cmd::cargo::cargo_bin("mpvault");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("sh")
        .args(["-c", script])
        .current_dir(w.project())
        .env_clear()
        .env("PATH", path)
        .env("HOME", &person.home)
        .env("XDG_CONFIG_HOME", person.home.join(".config"))
        .env("XDG_DATA_HOME", person.home.join(".local/share"))
        .env("USER", &person.name)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn vite(pkg: &str, dir: &Path, mode: &str) -> serde_json::Value {
    interop::node(&["read_vite.mjs", pkg, dir.to_str().unwrap(), mode])["env"].clone()
}

#[test]
fn the_uniapp_example_builds_each_mode_with_its_own_config() {
    if interop::skipped("uni-app example") {
        return;
    }
    let w = World::new();
    let alice = w.owner_with_app();
    // the commands of examples/uniapp-vite-project/README.md
    w.ok(
        &alice,
        &["config", "set", "shop", "CDN=https://cdn.example.com"],
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
            "API_BASE=https://api.example.com",
            "--mode",
            "production",
        ],
    );
    w.ok_stdin(&alice, &["add-secret", "shop", "--stdin"], APPSECRET);

    let example = repo().join("examples/uniapp-vite-project");
    let package: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(example.join("package.json")).unwrap())
            .unwrap();
    for (mode, api_base, debug) in [
        ("development", "http://localhost:3000", Some("1")),
        ("production", "https://api.example.com", None),
    ] {
        let script = package["scripts"][format!("env:{mode}")].as_str().unwrap();
        run_script(&w, &alice, script);
        let file = w.path(&format!(".env.{mode}"));
        assert_eq!(common::mode(&file), 0o600);
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            !text.contains(APPSECRET),
            "a secret reached the bundle file"
        );
        for pkg in ["vite", "vite-8"] {
            let env = vite(pkg, &w.project(), mode);
            assert_eq!(env["VITE_API_BASE"], api_base, "{pkg} {mode}: {env}");
            assert_eq!(env["VITE_CDN"], "https://cdn.example.com", "{pkg} {mode}");
            assert_eq!(env["VITE_DEBUG"].as_str(), debug, "{pkg} {mode}: {env}");
        }
        std::fs::remove_file(file).unwrap();
    }
}

/// The lines of a CI example that are not comments.
fn ci_steps(name: &str) -> String {
    let text = std::fs::read_to_string(repo().join("examples").join(name)).unwrap();
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Issue 19: hosted merge buttons merge the vault line by line, so each CI example runs
/// `mpvault git verify` on pull (merge) requests, with the full history it walks and the
/// owners pinned from a variable the request cannot change.
#[test]
fn each_ci_example_verifies_pull_requests_with_full_history() {
    let github = ci_steps("github-actions.yml");
    for expected in [
        "pull_request:",
        "fetch-depth: 0",
        "git verify --base \"origin/$GITHUB_BASE_REF\"",
        "MPVAULT_TRUSTED_OWNERS: ${{ vars.MPVAULT_TRUSTED_OWNERS }}",
    ] {
        assert!(
            github.contains(expected),
            "github-actions.yml lacks {expected:?}"
        );
    }
    let gitlab = ci_steps("gitlab-ci.yml");
    for expected in [
        "$CI_PIPELINE_SOURCE == \"merge_request_event\"",
        "GIT_DEPTH: \"0\"",
        "mpvault git verify --base \"origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME\"",
    ] {
        assert!(
            gitlab.contains(expected),
            "gitlab-ci.yml lacks {expected:?}"
        );
    }
    // A fingerprint written into the file is one a merge request could change.
    for (name, text) in [("github-actions.yml", &github), ("gitlab-ci.yml", &gitlab)] {
        assert!(
            !text.contains("MPVAULT_TRUSTED_OWNERS: \""),
            "{name} pins owners in the file"
        );
        assert!(
            !text.contains("depth: 1") && !text.contains("GIT_DEPTH: \"1"),
            "{name} has a shallow clone"
        );
    }
}

/// Issue 24: the GitHub example installs mpvault's prebuilt binary from npm, at this version,
/// instead of vendoring the source and compiling it with Rust on every run.
#[test]
fn the_github_example_runs_mpvault_from_npm_not_from_vendored_source() {
    let github = ci_steps("github-actions.yml");
    let pinned = format!("npx --yes mpvault@{} git verify", env!("CARGO_PKG_VERSION"));
    assert!(
        github.contains(&pinned),
        "github-actions.yml lacks {pinned:?}"
    );
    assert!(
        github.contains("run: npm ci"),
        "github-actions.yml lacks npm ci"
    );
    assert!(github.contains("npx mpvault export shop --format github"));
    for vendored in ["cargo install", "tools/mpvault", "rust-toolchain"] {
        assert!(
            !github.contains(vendored),
            "github-actions.yml still builds mpvault: {vendored:?}"
        );
    }
    let taro: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("examples/taro-project/package.json")).unwrap(),
    )
    .unwrap();
    assert!(
        taro["devDependencies"]["mpvault"].is_string(),
        "the Taro example's package.json does not install mpvault"
    );
}
