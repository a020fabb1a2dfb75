//! `git setup`: `.gitattributes`, this clone's textconv and merge driver config, and the
//! pre-commit hook; idempotent, and `--check` only reports.

use std::path::{Path, PathBuf};

use super::{cwd, Outcome};
use crate::cli::GitSetupArgs;
use crate::error::{Error, Result};
use crate::{git, output};

/// A path as one shell word (git runs drivers through the shell).
fn shell_word(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

struct Wanted {
    top: PathBuf,
    attributes: PathBuf,
    config: Vec<(&'static str, String)>,
    hook: PathBuf,
    hook_text: String,
}

fn wanted() -> Result<Wanted> {
    let here = cwd()?;
    let top = git::top_level(&here).ok_or_else(|| {
        Error::not_found(
            "this folder is not inside a git repository",
            "run `git init` first, or run this inside the repository that holds mpvault.json",
        )
    })?;
    let exe =
        std::env::current_exe().map_err(|e| Error::io("cannot find the mpvault program", e))?;
    let exe = shell_word(&exe);
    let hooks = git::run(
        &top,
        &["rev-parse", "--git-path", "hooks"],
        "find the hooks folder",
    )?;
    Ok(Wanted {
        attributes: top.join(".gitattributes"),
        config: vec![
            ("diff.mpvault.textconv", format!("{exe} git textconv")),
            ("merge.mpvault.name", "mpvault vault merge".to_string()),
            (
                "merge.mpvault.driver",
                format!("{exe} git merge %O %A %B %P"),
            ),
        ],
        hook: top.join(hooks).join("pre-commit"),
        hook_text: format!(
            "#!/bin/sh\n# Installed by `mpvault git setup --hook`.\nexec {exe} git check\n"
        ),
        top,
    })
}

pub fn run(GitSetupArgs { hook, check }: GitSetupArgs) -> Result<Outcome> {
    let w = wanted()?;
    let found = inspect(&w, hook);
    if check {
        return Ok(report_check(&found.missing));
    }
    if hook && !found.hook_ours && found.hook_exists {
        return Err(Error::exists(
            format!("a pre-commit hook already exists at {}", w.hook.display()),
            format!(
                "add this line to it: {}",
                w.hook_text
                    .lines()
                    .last()
                    .unwrap_or_default()
                    .trim_start_matches("exec ")
            ),
        ));
    }
    set_up(&w, found, hook)?;
    output::note(&format!(
        "mpvault.json now diffs readably and merges with mpvault in this clone{}. Commit .gitattributes; every clone runs `mpvault git setup` once.",
        if hook { ", and commits are checked for secrets" } else { "" }
    ));
    Ok(Outcome::Done)
}

/// What this clone has of the setup, and in words what it lacks.
struct Found {
    attributes: String,
    has_attributes: bool,
    config_missing: Vec<(&'static str, String)>,
    hook_exists: bool,
    hook_ours: bool,
    missing: Vec<String>,
}

/// Reads what is set up; the hook counts only when `hook` asks for it.
fn inspect(w: &Wanted, hook: bool) -> Found {
    let mut missing = Vec::new();
    let attributes = std::fs::read_to_string(&w.attributes).unwrap_or_default();
    let has_attributes = attributes.lines().any(|l| l.trim() == git::ATTRIBUTES);
    if !has_attributes {
        missing.push(format!(
            "{} lacks `{}`",
            w.attributes.display(),
            git::ATTRIBUTES
        ));
    }
    let config_missing = config_missing(w);
    for (name, _) in &config_missing {
        missing.push(format!("git config {name} is not set for mpvault"));
    }
    let hook_now = std::fs::read_to_string(&w.hook).ok();
    let hook_ours = hook_now
        .as_deref()
        .is_some_and(|t| t.contains("git check") && t.contains("mpvault"));
    if hook && !hook_ours {
        missing.push(format!(
            "the pre-commit hook {} does not run `mpvault git check`",
            w.hook.display()
        ));
    }
    Found {
        attributes,
        has_attributes,
        config_missing,
        hook_exists: hook_now.is_some(),
        hook_ours,
        missing,
    }
}

/// Writes what is missing: the attributes line, the config entries, and the hook if asked.
fn set_up(w: &Wanted, found: Found, hook: bool) -> Result<()> {
    if !found.has_attributes {
        let mut text = found.attributes;
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(git::ATTRIBUTES);
        text.push('\n');
        std::fs::write(&w.attributes, text).map_err(|e| Error::io_at("write", &w.attributes, e))?;
    }
    for (name, value) in &found.config_missing {
        git::run(
            &w.top,
            &["config", "--local", name, value],
            "set its config",
        )?;
    }
    if hook && !found.hook_ours {
        write_hook(&w.hook, &w.hook_text)?;
    }
    Ok(())
}

/// The config entries this clone lacks or has with another value.
fn config_missing(w: &Wanted) -> Vec<(&'static str, String)> {
    w.config
        .iter()
        .filter(|(name, value)| {
            let current = git::output(&w.top, &["config", "--local", "--get", name]);
            current
                .as_deref()
                .map(|c| String::from_utf8_lossy(c).trim_end().to_string())
                .as_ref()
                != Some(value)
        })
        .cloned()
        .collect()
}

/// `--check`: says what is missing, if anything.
fn report_check(missing: &[String]) -> Outcome {
    if missing.is_empty() {
        output::note("mpvault's textconv and merge driver are set up in this clone.");
        return Outcome::Done;
    }
    for m in missing {
        output::note(&format!("missing: {m}"));
    }
    output::note("Run `mpvault git setup` to set them up.");
    Outcome::NotSetUp
}

fn write_hook(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io_at("create", dir, e))?;
    }
    std::fs::write(path, text).map_err(|e| Error::io_at("write", path, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| Error::io_at("make executable", path, e))?;
    }
    Ok(())
}
