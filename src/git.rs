//! Running git: where the repository is, its config, and what it stored. mpvault only ever asks
//! git questions and sets this clone's own config; it never commits or changes branches.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Error, Result};

/// The line `.gitattributes` carries for the vault.
pub const ATTRIBUTES: &str = "mpvault.json diff=mpvault merge=mpvault";

/// Runs git in `dir`; returns its standard output, or None when git fails or is missing.
pub fn output(dir: &Path, args: &[&str]) -> Option<Vec<u8>> {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env_remove("GIT_EXTERNAL_DIFF")
        .output()
        .ok()?;
    out.status.success().then_some(out.stdout)
}

fn text(dir: &Path, args: &[&str]) -> Option<String> {
    let out = output(dir, args)?;
    Some(String::from_utf8_lossy(&out).trim_end().to_string())
}

/// Runs git and fails with a sentence naming what it was doing.
pub fn run(dir: &Path, args: &[&str], doing: &str) -> Result<String> {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .map_err(|e| Error::io("cannot run git", e))?;
    if !out.status.success() {
        let why = String::from_utf8_lossy(&out.stderr);
        let why = why.lines().next().unwrap_or("").trim();
        return Err(Error::invalid(
            format!("git could not {doing}: {why}"),
            "run it inside the repository that holds the vault",
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_string())
}

/// The top of the work tree that holds `dir`.
pub fn top_level(dir: &Path) -> Option<PathBuf> {
    text(dir, &["rev-parse", "--show-toplevel"]).map(PathBuf::from)
}

fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Whether a merge is under way in the repository holding `file`.
pub fn merging(file: &Path) -> bool {
    text(
        folder_of(file),
        &["rev-parse", "-q", "--verify", "MERGE_HEAD"],
    )
    .is_some()
}

/// Whether `.gitattributes` in the vault's folder or above asks for mpvault's merge driver,
/// while this clone's git config does not define it.
pub fn driver_missing(vault: &Path) -> bool {
    let dir = folder_of(vault);
    let asks = dir.ancestors().any(|d| {
        std::fs::read_to_string(d.join(".gitattributes"))
            .is_ok_and(|t| t.lines().any(|l| l.contains("merge=mpvault")))
    });
    asks && text(dir, &["config", "--get", "merge.mpvault.driver"]).is_none()
}

/// What to say when a vault looks broken and git may be why, in words that work mid-merge.
pub fn way_back(vault: &Path) -> String {
    let name = vault
        .file_name()
        .map_or("mpvault.json".into(), |n| n.to_string_lossy().to_string());
    if merging(vault) {
        format!("a merge without mpvault's merge driver broke it: `git merge --abort`, or `git checkout --theirs {name}` and redo your change with mpvault; then run `mpvault git setup` so mpvault merges the vault next time")
    } else {
        format!("if a merge without mpvault's merge driver did this, restore the vault from before it (`git log -p {name}` shows the commits; `git checkout <commit> -- {name}`) and redo the other side's change with mpvault; `mpvault git setup` makes mpvault merge the vault next time")
    }
}

/// How many of the newest commits that touched the vault are read to learn what git still
/// holds (each one is parsed; older history than that is not consulted).
pub const HELD_COMMITS: usize = 200;

/// At most this many bytes of those commits' vault files are read in all, newest first: a
/// long history of a large vault must not make one command hold gigabytes.
pub const HELD_BYTES: usize = 64 << 20;

/// The contents of `file` in the newest commits (at most `HELD_COMMITS`) that changed it and that
/// a ref (branch, tag, remote-tracking branch, stash) or HEAD reaches, each at most `max_bytes`
/// long (longer ones are left out), newest first until `HELD_BYTES` are read. None outside a
/// git work tree or when git fails.
pub fn committed_versions(file: &Path, max_bytes: usize) -> Option<Vec<Vec<u8>>> {
    let top = std::fs::canonicalize(top_level(folder_of(file))?).ok()?;
    let full = std::fs::canonicalize(file).ok()?;
    let rel = full.strip_prefix(&top).ok()?.to_str()?.replace('\\', "/");
    let count = HELD_COMMITS.to_string();
    let list = text(
        &top,
        &["rev-list", "--all", "--max-count", &count, "--", &rel],
    )?;
    let requests: Vec<String> = list.lines().map(|c| format!("{c}:{rel}")).collect();
    if requests.is_empty() {
        return Some(Vec::new());
    }
    let sizes = input(
        &top,
        &["cat-file", "--batch-check=%(objectsize)"],
        lines(requests.iter()),
    )?;
    let sizes = String::from_utf8_lossy(&sizes);
    let mut budget = HELD_BYTES;
    let wanted = requests
        .iter()
        .zip(sizes.lines())
        .filter_map(|(request, size)| Some((request, size.parse::<usize>().ok()?)))
        .filter(|(_, size)| *size <= max_bytes)
        .take_while(|(_, size)| {
            let fits = *size <= budget;
            budget = budget.saturating_sub(*size);
            fits
        })
        .map(|(request, _)| request);
    let out = input(&top, &["cat-file", "--batch"], lines(wanted))?;
    Some(split_batch(&out))
}

/// Each item on a line of its own.
fn lines<'a>(items: impl Iterator<Item = &'a String>) -> String {
    items.fold(String::new(), |mut text, item| {
        text.push_str(item);
        text.push('\n');
        text
    })
}

/// Runs git with `stdin` written to it from another thread (so a full pipe never blocks both).
fn input(dir: &Path, args: &[&str], stdin: String) -> Option<Vec<u8>> {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new("git")
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut pipe = child.stdin.take()?;
    let writer = std::thread::spawn(move || pipe.write_all(stdin.as_bytes()));
    let out = child.wait_with_output().ok()?;
    writer.join().ok()?.ok()?;
    out.status.success().then_some(out.stdout)
}

/// The objects of `git cat-file --batch` output: `<oid> <type> <size>\n<bytes>\n` each.
fn split_batch(mut out: &[u8]) -> Vec<Vec<u8>> {
    let mut objects = Vec::new();
    while let Some(end) = out.iter().position(|b| *b == b'\n') {
        let header = String::from_utf8_lossy(&out[..end]).to_string();
        out = &out[end + 1..];
        // "<object> missing" has no size, and is skipped.
        let Some(size) = header
            .rsplit(' ')
            .next()
            .and_then(|s| s.parse::<usize>().ok())
        else {
            continue;
        };
        if out.len() < size {
            continue;
        }
        objects.push(out[..size].to_vec());
        out = out.get(size + 1..).unwrap_or_default();
    }
    objects
}

/// The commit `rev` names, in full; None when it names none.
pub fn commit_of(top: &Path, rev: &str) -> Option<String> {
    text(
        top,
        &["rev-parse", "-q", "--verify", &format!("{rev}^{{commit}}")],
    )
}

/// Where a pull request's own commits begin: the merge base of `rev` with the default branch
/// (`origin/HEAD`). None when there is no default branch or `rev` is on it (then the whole
/// history is the one to check).
pub fn default_base(top: &Path, rev: &str) -> Option<String> {
    let default = text(top, &["symbolic-ref", "-q", "refs/remotes/origin/HEAD"])?;
    let base = text(top, &["merge-base", rev, &default])?;
    (Some(&base) != commit_of(top, rev).as_ref()).then_some(base)
}

/// Whether the clone is shallow: its history stops at a commit whose parents it lacks.
pub fn shallow(top: &Path) -> bool {
    text(top, &["rev-parse", "--is-shallow-repository"]).as_deref() == Some("true")
}

/// The path of `file` inside the work tree `top`, as git names it.
pub fn path_in(top: &Path, file: &Path) -> Option<String> {
    let top = std::fs::canonicalize(top).ok()?;
    let full = std::fs::canonicalize(file).ok()?;
    Some(full.strip_prefix(&top).ok()?.to_str()?.replace('\\', "/"))
}
