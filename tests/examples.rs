//! The examples do what their READMEs say: the uni-app project's scripts, run as npm would run
//! them, write .env.development and .env.production that Vite's own `loadEnv` (Vite 5, which
//! uni-app pins, and the current Vite) reads in each mode.

mod common;

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
