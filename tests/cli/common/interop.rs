//! The real readers of exported files (npm dotenv / dotenv-expand / Vite, python-dotenv, sh),
//! as installed by `tests/interop/install.sh`, for tests that read output back through them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::succeeded;

pub const INSTALL: &str = "run `tests/interop/install.sh` (npm ci in tests/interop and pip install python-dotenv), or set MPVAULT_SKIP_INTEROP=1 to skip";

pub fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop")
}

/// Returns false (after printing why) when interop tests are skipped; panics
/// when a reader is missing and skipping was not asked for.
pub fn readers_ready(what: &str) -> bool {
    if skipped(what) {
        return false;
    }
    let nm = interop_dir().join("node_modules");
    for pkg in [
        "dotenv",
        "dotenv-17",
        "dotenv-expand",
        "dotenv-expand-12",
        "dotenv-expand-13",
        "vite",
        "vite-8",
    ] {
        assert!(
            nm.join(pkg).join("package.json").is_file(),
            "reader missing: {}/{pkg}; {INSTALL}",
            nm.display()
        );
    }
    let py = Command::new("python3")
        .args(["-c", "import dotenv"])
        .output();
    assert!(
        matches!(&py, Ok(o) if o.status.success()),
        "reader missing: python3 with python-dotenv; {INSTALL}"
    );
    for sh in ["sh", "dash", "bash", "node"] {
        assert!(
            Command::new(sh).arg("--version").output().is_ok()
                || Command::new(sh).args(["-c", "true"]).output().is_ok(),
            "{sh} is not installed; {INSTALL}"
        );
    }
    true
}

pub fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}; {INSTALL}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

pub fn run_json(cmd: &mut Command) -> serde_json::Value {
    let out = run(cmd);
    serde_json::from_slice(&out).unwrap_or_else(|e| {
        panic!(
            "{cmd:?} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out)
        )
    })
}

pub fn node(args: &[&str]) -> serde_json::Value {
    run_json(Command::new("node").current_dir(interop_dir()).args(args))
}

pub fn python(args: &[&str]) -> serde_json::Value {
    let script = interop_dir().join("read_python.py");
    run_json(Command::new("python3").arg(script).args(args))
}

/// True (after saying so) when `MPVAULT_SKIP_INTEROP=1` asks to skip the tests that need the
/// real readers; under `CI=true` a skip fails instead.
pub fn skipped(what: &str) -> bool {
    let skip = std::env::var("MPVAULT_SKIP_INTEROP").as_deref() == Ok("1");
    if skip {
        // CI proves the promises; a skip there would turn these tests into green no-ops.
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "MPVAULT_SKIP_INTEROP=1 under CI=true would skip the {what} interop test; {INSTALL}"
        );
        println!("MPVAULT_SKIP_INTEROP=1: skipped the {what} interop test");
    }
    skip
}

/// What every dotenv + dotenv-expand pair in use (Taro's, Vite 6 and 7's, Vite 8's built-in
/// parser with dotenv-expand 13) reads from `text`, the expand dialect's file; they must all
/// read the same.
pub fn read_expand(text: &str) -> BTreeMap<String, String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(".env");
    std::fs::write(&file, text).unwrap();
    let out = node(&["read_expand.js", file.to_str().unwrap()]);
    let labels: Vec<String> = serde_json::from_value(out["readers"].clone()).unwrap();
    let mut reads = labels.iter().map(|label| {
        let read: BTreeMap<String, String> = serde_json::from_value(out["read"][label].clone())
            .unwrap_or_else(|e| panic!("{label} read no object of strings ({e}): {out}"));
        (label, read)
    });
    let (first_label, first) = reads.next().expect("at least one reader");
    for (label, read) in reads {
        assert_eq!(
            read, first,
            "{label} and {first_label} read {text:?} differently"
        );
    }
    first
}

/// Sources a shell file with a real `sh` and returns the environment it made.
pub fn source_sh(text: &str) -> BTreeMap<String, String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("env.sh");
    std::fs::write(&file, text).unwrap();
    let out = succeeded(
        Command::new("sh")
            .args(["-c", ". \"$1\" && exec env -0", "sh"])
            .arg(&file)
            .env_clear()
            .output()
            .unwrap(),
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .split('\0')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// What docs/recover.py (the recovery the format documents, with nothing of mpvault) reads
/// from `vault` with `identity`: app name -> field path -> value.
pub fn recover(vault: &Path, identity: &Path) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/recover.py");
    let out = std::process::Command::new("python3")
        .arg(&script)
        .arg(vault)
        .arg(identity)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "docs/recover.py failed (run tests/interop/install.sh first): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// What `identity` gets out of `app` in `vault` with docs/recover.py, leaving out values whose
/// level key it holds but that do not open (an attacker's file). None when interop is skipped.
pub fn recover_as_attacker(vault: &Path, identity: &Path, app: &str) -> Option<serde_json::Value> {
    if skipped("recovery with an attacker's key") {
        return None;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/recover.py");
    let out = std::process::Command::new("python3")
        .arg(&script)
        .arg("--skip-unopened")
        .arg(vault)
        .arg(identity)
        .arg(app)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "docs/recover.py failed (run tests/interop/install.sh first): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}
