//! The vault's history as git holds it: where the vault sits in its repository, the commits
//! that touched it (every parent of a merge, `--full-history`), the vault at each, and the walk
//! that judges each commit against its parents with the owners whose signature counted then.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::{Commit, Context, Entry};
use crate::error::{Error, Result};
use crate::git;
use crate::vault::policy::{self, Policy};
use crate::vault::Vault;

/// The repository's top folder and the vault's path in it, as git names it.
pub(crate) fn vault_in_repository(ctx: &Context) -> Result<(PathBuf, String)> {
    let path = ctx.vault_path()?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let top = git::top_level(dir).ok_or_else(|| {
        Error::not_found(
            "the vault is not in a git repository, so it has no history to audit",
            "run `mpvault audit` inside the repository that holds mpvault.json",
        )
    })?;
    let canonical = std::fs::canonicalize(&path).map_err(|e| Error::io_at("find", &path, e))?;
    let rel = canonical
        .strip_prefix(std::fs::canonicalize(&top).unwrap_or(top.clone()))
        .unwrap_or(Path::new(crate::store::FILE_NAME))
        .to_string_lossy()
        .to_string();
    Ok((top, rel))
}

/// Every commit of `range` (git revisions: `HEAD`, or `BASE..REV`) that touched the vault on
/// any parent, oldest first, each judged against every parent. A parent outside the range is
/// read from git; a root commit in a range with a base, or after the first root, began another
/// history of the vault and was merged in.
pub(crate) fn audit_history(top: &Path, rel: &str, range: &[&str]) -> Result<Vec<Entry>> {
    Ok(walk(top, rel, range)?.0)
}

/// The vault in every commit of `range` that passed every check: signed by an owner, every
/// value signed by a reader, nothing gone back from its parents. What CI compares the vault it
/// serves with: a bad commit an owner later repaired is not among them, and blocks nothing.
pub(crate) fn sound_states(top: &Path, rel: &str, range: &[&str]) -> Result<Vec<Vault>> {
    let (entries, mut states) = walk(top, rel, range)?;
    Ok(entries
        .iter()
        .filter(|e| e.problems.is_empty())
        .filter_map(|e| states.remove(&e.commit.hash)?.ok())
        .collect())
}

type States = BTreeMap<String, std::result::Result<Vault, String>>;

/// Every entry of `range`, with the vault of each commit read on the way.
pub(super) fn walk(top: &Path, rel: &str, range: &[&str]) -> Result<(Vec<Entry>, States)> {
    let commits = log(top, rel, range)?;
    let mut roots_allowed = usize::from(!range.iter().any(|r| r.contains("..")));
    let mut states = States::new();
    // The owners whose signature counts at each commit: those of the last signed policy on
    // the way there, never what an unsigned file claims.
    let mut owners_at: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut entries = Vec::new();
    for commit in commits {
        let state = state_at(top, rel, &commit.hash)
            .unwrap_or_else(|| Err("the vault file was deleted".to_string()));
        for p in &commit.parents {
            if !states.contains_key(p) {
                if let Some(s) = state_at(top, rel, p) {
                    states.insert(p.clone(), s);
                }
            }
        }
        let root = commit.parents.is_empty();
        let parents: Vec<&Vault> = commit
            .parents
            .iter()
            .filter_map(|p| states.get(p).and_then(|s| s.as_ref().ok()))
            .collect();
        let owners: BTreeSet<String> = commit
            .parents
            .iter()
            .filter_map(|p| owners_at.get(p))
            .flatten()
            .cloned()
            .collect();
        let mut entry = super::commit::audit_commit(commit, &state, &parents, &owners);
        if root && roots_allowed == 0 {
            entry.problems.push(
                "a second root commit: a history of the vault with another beginning was merged in"
                    .to_string(),
            );
        }
        roots_allowed = roots_allowed.saturating_sub(usize::from(root));
        let signed = state.as_ref().ok().filter(|v| policy::verify(v).is_some());
        let owners = match signed {
            Some(v) if entry.problems.is_empty() => Policy::of(v).owners().into_values().collect(),
            _ => owners,
        };
        owners_at.insert(entry.commit.hash.clone(), owners);
        states.insert(entry.commit.hash.clone(), state);
        entries.push(entry);
    }
    Ok((entries, states))
}

/// The vault as committed at `commit`: None when the commit has no vault file.
fn state_at(top: &Path, rel: &str, commit: &str) -> Option<std::result::Result<Vault, String>> {
    let bytes = git::output(top, &["show", &format!("{commit}:{rel}")])?;
    Some(Vault::parse(&bytes).map_err(|e| e.to_string()))
}

/// Commits touching the vault, oldest first, with their parents in the file's own history.
/// `--full-history`: git's default follows only the parent a merge's result matches, and would
/// hide the side a merge threw away.
fn log(top: &Path, rel: &str, range: &[&str]) -> Result<Vec<Commit>> {
    let mut args = vec![
        "log",
        "--full-history",
        "--reverse",
        "--topo-order",
        "--parents",
        "--format=%H %P%x1f%an%x1f%aI%x1f%s",
    ];
    args.extend(range);
    args.extend(["--", rel]);
    let text = git::run(top, &args, "read the vault's history")?;
    Ok(text
        .lines()
        .filter_map(|line| {
            let mut parts = line.split('\u{1f}');
            let mut ids = parts.next()?.split_whitespace().map(str::to_string);
            let hash = ids.next()?;
            let parents: Vec<String> = ids.collect();
            Some(Commit {
                hash,
                parents,
                author: parts.next()?.to_string(),
                date: parts.next()?.into(),
                subject: parts.next().unwrap_or("").to_string(),
            })
        })
        .collect())
}
