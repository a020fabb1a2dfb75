//! `git check`: the pre-commit guard. Refuses staged `.env*` files that set secrets, upload keys
//! and identity files, naming each.

use std::collections::BTreeSet;
use std::path::Path;

use super::{cwd, Outcome};
use crate::error::{Error, Result};
use crate::{git, output, store};

/// The pre-commit guard: refuses staged files that hold secrets, naming each.
pub fn run() -> Result<Outcome> {
    let here = cwd()?;
    let top = git::top_level(&here).ok_or_else(|| {
        Error::not_found(
            "this folder is not inside a git repository",
            "run it inside the repository",
        )
    })?;
    let staged = git::output(
        &top,
        &[
            "diff",
            "--cached",
            "--name-only",
            "-z",
            "--diff-filter=ACMR",
        ],
    )
    .unwrap_or_default();
    let secret_names = vault_secret_names(&top);
    let mut found = Vec::new();
    for path in staged.split(|b| *b == 0).filter(|p| !p.is_empty()) {
        let path = String::from_utf8_lossy(path).to_string();
        let content = git::output(&top, &["show", &format!(":{path}")]).unwrap_or_default();
        if let Some(why) = holds_secret(&path, &content, &secret_names) {
            found.push(format!("  {path}: {why}"));
        }
    }
    if found.is_empty() {
        return Ok(Outcome::Done);
    }
    output::note(&format!(
        "mpvault: refusing to commit files that hold secrets:\n{}\nUnstage them (`git restore --staged FILE`) and add them to .gitignore; secrets belong in mpvault.json.",
        found.join("\n")
    ));
    Ok(Outcome::Refused)
}

/// The secret names the vault in this repository knows, to recognise them in env files.
fn vault_secret_names(top: &Path) -> BTreeSet<String> {
    let Ok(path) = store::locate(None, &cwd().unwrap_or_else(|_| top.to_path_buf())) else {
        return BTreeSet::new();
    };
    store::load(&path, &crate::vault::Scope::All)
        .map(|v| {
            v.apps
                .values()
                .flat_map(|a| a.secrets.keys().cloned())
                .collect()
        })
        .unwrap_or_default()
}

fn holds_secret(path: &str, content: &[u8], secret_names: &BTreeSet<String>) -> Option<String> {
    // Without case: on macOS and Windows `.ENV` opens as `.env`, and `private.….KEY` is a key.
    let file = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let text = String::from_utf8_lossy(content);
    if file.starts_with("private.") && Path::new(&file).extension().is_some_and(|e| e == "key") {
        return Some("a miniprogram-ci upload key".to_string());
    }
    // The demo's identities are published on purpose, and open only the demo vault.
    let demo = crate::key::demo_vault(&text).is_some();
    if !demo
        && (text.contains("AGE-SECRET-KEY-1")
            || (file.starts_with("identity")
                && text.contains("-----BEGIN AGE ENCRYPTED FILE-----")))
    {
        return Some("an mpvault (age) identity".to_string());
    }
    if text.contains("-----BEGIN OPENSSH PRIVATE KEY-----") {
        return Some("an SSH private key (an identity)".to_string());
    }
    if !file.starts_with(".env") {
        return None;
    }
    for line in text.lines() {
        let line = line.trim_start().trim_start_matches("export ").trim_start();
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        let name = name.trim();
        let value = value.trim().trim_matches(['"', '\'']);
        if value.is_empty() || line.starts_with('#') {
            continue;
        }
        let upper = name.to_ascii_uppercase();
        if secret_names.contains(name)
            || [
                "SECRET", "PRIVATE", "PASSWORD", "TOKEN", "API_KEY", "APIKEY",
            ]
            .iter()
            .any(|w| upper.contains(w))
        {
            return Some(format!("sets {name}, a secret"));
        }
    }
    None
}
