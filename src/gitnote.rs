//! Reminding the user to commit: the vault is shared through git, and an uncommitted change
//! is one nobody else has.

use std::path::Path;
use std::process::{Command, Stdio};

/// A reminder when `vault` is inside a git work tree and has uncommitted changes; `None`
/// outside git, when git is not installed, or when everything is committed.
pub fn uncommitted(vault: &Path) -> Option<String> {
    let dir = vault
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = vault.file_name()?;
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["status", "--porcelain", "--"])
        .arg(name)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() || out.stdout.is_empty() {
        return None;
    }
    let name = name.to_string_lossy();
    Some(format!(
        "{name} has uncommitted changes: `git add {name} && git commit` to share them."
    ))
}
