//! `git verify [REV] [--base REF]`: for pull requests and CI, with no key. The vault at REV
//! parses, its policy is signed by an owner this clone trusts (pins or
//! `MPVAULT_TRUSTED_OWNERS`), every value is signed by a reader of its level, and the history
//! from the base to REV breaks none of `vault::transition`'s rules (through `audit`'s walk).
//! Without REV, the vault file as commands read it (the work tree) is checked on top of HEAD.
//! `history_for_ci` is the same check for `run`, `export` and `get` in CI.

use std::path::Path;

use super::super::audit;
use super::{Context, Outcome};
use crate::cli::GitVerifyArgs;
use crate::error::{Error, Result};
use crate::trust::Memory;
use crate::vault::{policy, transition, Vault};
use crate::{git, output, store};

/// One thing wrong, where it happened.
struct Found {
    /// A commit's hash, or "the work tree".
    at: String,
    problem: String,
}

/// What the walk saw.
struct Report {
    found: Vec<Found>,
    /// The last good state before the first problem: a commit to restore the vault from.
    way_back: Option<String>,
    commits: usize,
}

pub fn run(ctx: &Context, args: &GitVerifyArgs) -> Result<Outcome> {
    let path = ctx.vault_path()?;
    let (top, rel) = repository_of(&path)?;
    let rev = args.rev.as_deref().unwrap_or("HEAD");
    let commit = git::commit_of(&top, rev).ok_or_else(|| {
        Error::invalid(
            format!("'{}' names no commit in this repository", clean(rev)),
            "give a branch, tag or commit (`git log --oneline` lists them), or no revision for HEAD",
        )
    })?;
    let work = match &args.rev {
        Some(_) => None,
        None => Some(store::load(&path, &crate::vault::Scope::All)?),
    };
    let target = match &work {
        Some(v) => v.clone(),
        None => committed(&top, &rel, &commit)?,
    };
    let base = base_of(&top, args.base.as_deref(), &commit)?;
    let signer = trusted_signer(&path, &target)?;
    let mut report = history(&top, &rel, &commit, base.as_deref(), work.as_ref())?;
    if report.found.is_empty() {
        report.found.extend(
            transition::unauthorized(&target)
                .into_iter()
                .map(|problem| Found {
                    at: short(&commit),
                    problem,
                }),
        );
    }
    if let Err(e) = &signer {
        report.found.push(Found {
            at: short(&commit),
            problem: e.clone(),
        });
    }
    let since = base
        .as_deref()
        .map_or("the first commit".to_string(), short);
    match (report.found.is_empty(), signer) {
        (true, Ok(signer)) => {
            output::line(&format!(
                "{rel} at {} verifies: policy revision {} signed by {signer}; {} commit(s) checked since {since}",
                short(&commit),
                target.revision,
                report.commits
            ))?;
            Ok(Outcome::Done)
        }
        _ => {
            refuse(&rel, &report);
            Ok(Outcome::Unauthorized)
        }
    }
}

/// Where the walk starts: `--base`, or else the merge base with the default branch.
fn base_of(top: &Path, base: Option<&str>, commit: &str) -> Result<Option<String>> {
    let Some(base) = base else {
        return Ok(git::default_base(top, commit));
    };
    git::commit_of(top, base).map(Some).ok_or_else(|| {
        Error::invalid(
            format!(
                "--base '{}' names no commit in this repository",
                clean(base)
            ),
            "give the branch the pull request goes into, for example origin/main",
        )
    })
}

/// Prints each problem and the way back.
fn refuse(rel: &str, report: &Report) {
    for f in &report.found {
        output::note(&format!("  {}: {rel}: {}", f.at, f.problem));
    }
    let back = match &report.way_back {
        Some(good) => format!("restore it from {} (`git checkout {good} -- {rel}`) and redo the changes after it with mpvault; `mpvault git setup` makes mpvault merge the vault next time; a problem an owner has already repaired in a later commit is checked no more with `--base <that commit>`", short(good)),
        None => format!("no earlier commit of {rel} verifies: restore it from a copy an owner trusts"),
    };
    output::note(&format!(
        "mpvault: git verify refused {rel}: {} problem(s); {back}.",
        report.found.len()
    ));
}

/// For `run`, `export` and `get` in CI (pinned owners, no memory of this repository): refuses a
/// vault whose git history `git verify` refuses, or that a shallow clone cannot show.
/// `MPVAULT_VERIFY_HISTORY=off` skips it; outside git, or before a first commit, nothing to do.
pub fn history_for_ci(path: &Path, vault: &Vault) -> Result<()> {
    vault.require_whole()?;
    if std::env::var("MPVAULT_VERIFY_HISTORY").is_ok_and(|v| v == "off") {
        return Ok(());
    }
    let Ok((top, rel)) = repository_of(path) else {
        return Ok(());
    };
    let Some(head) = git::commit_of(&top, "HEAD") else {
        return Ok(());
    };
    if git::output(&top, &["cat-file", "-e", &format!("{head}:{rel}")]).is_none() {
        return Ok(());
    }
    if git::shallow(&top) {
        return Err(Error::denied(
            "this clone is shallow, so the vault's git history, the only memory CI has of it, cannot be checked",
            "fetch the whole history (actions/checkout with fetch-depth: 0, GitLab's GIT_DEPTH: 0), or set MPVAULT_VERIFY_HISTORY=off to serve it unchecked",
        ));
    }
    // What is served is judged, not every commit on the way: the vault must keep what every
    // sound earlier state had (no lower revision, no erased departure, no dropped version),
    // carry only values signed by readers, and none left under a replaced key. A bad push an
    // owner has since repaired blocks nothing; `git verify` and `audit` still name it.
    let sound = audit::sound_states(&top, &rel, &[&head])?;
    let refs: Vec<&Vault> = sound.iter().collect();
    let mut problems = transition::unauthorized(vault);
    problems.extend(transition::stale(&refs, vault));
    for earlier in &sound {
        problems.extend(transition::problems(earlier, vault, "an earlier commit"));
    }
    let Some(first) = problems.first() else {
        return Ok(());
    };
    Err(Error::corrupt(
        format!("the vault's git history does not verify, so it is not served: {first}"),
        "run `mpvault git verify` for every problem and the way back, and ask an owner to restore the vault; MPVAULT_VERIFY_HISTORY=off skips this check",
    ))
}

/// The walk from `base` (or the first commit) to `commit`, and the work tree's vault on top of
/// it when given and different.
fn history(
    top: &Path,
    rel: &str,
    commit: &str,
    base: Option<&str>,
    work: Option<&Vault>,
) -> Result<Report> {
    let range = match base {
        Some(b) => format!("{b}..{commit}"),
        None => commit.to_string(),
    };
    let entries = audit::audit_history(top, rel, &[&range])?;
    let mut report = Report {
        found: Vec::new(),
        way_back: None,
        commits: entries.len(),
    };
    let mut last_good = base.map(str::to_string);
    for e in &entries {
        if e.problems.is_empty() && report.found.is_empty() {
            last_good = Some(e.commit.hash.clone());
        }
        report.found.extend(e.problems.iter().map(|p| Found {
            at: short(&e.commit.hash),
            problem: p.clone(),
        }));
    }
    let head = committed(top, rel, commit).ok();
    if let (Some(work), Some(head)) = (work, head) {
        if report.found.is_empty() {
            last_good = Some(commit.to_string());
        }
        let mut problems = transition::problems(&head, work, "HEAD");
        problems.extend(transition::stale(&[&head], work));
        report
            .found
            .extend(problems.into_iter().map(|problem| Found {
                at: "the work tree".to_string(),
                problem,
            }));
    }
    report.way_back = last_good;
    Ok(report)
}

/// Whether the policy is signed by an owner this clone trusts, as every reader judges it;
/// Ok(the signer and fingerprint), or Err(why not) as a problem to list.
fn trusted_signer(path: &Path, vault: &Vault) -> Result<std::result::Result<String, String>> {
    let memory = Memory::load()?;
    let seen = memory.recall(&crate::trust::location(path), &vault.vault_id);
    let env = crate::trust::trusted_owners_from_env();
    if seen.is_none() && env.is_none() {
        return Err(Error::invalid(
            "there is no owner to trust yet: this clone has not pinned the vault's owners and MPVAULT_TRUSTED_OWNERS is not set",
            "set MPVAULT_TRUSTED_OWNERS to the owners' fingerprints (an owner's `mpvault trust` shows them), or check them with an owner and run `mpvault trust` here",
        ));
    }
    let verdict = crate::trust::assess(vault, seen, env.as_deref(), &super::super::now());
    Ok(match (verdict, policy::verify(vault)) {
        (Ok(_), Some(key)) => Ok(format!(
            "{} ({})",
            vault.signature.as_ref().map_or("", |s| s.signer.as_str()),
            crate::key::fingerprint(&key)
        )),
        (Ok(_), None) => Err("its policy is not signed by an owner".to_string()),
        (Err(e), _) => Err(e.to_string()),
    })
}

/// The vault committed at `commit`, parsed.
fn committed(top: &Path, rel: &str, commit: &str) -> Result<Vault> {
    let bytes = git::output(top, &["show", &format!("{commit}:{rel}")]).ok_or_else(|| {
        Error::not_found(
            format!("commit {} has no {rel}", short(commit)),
            "give a commit that holds the vault",
        )
    })?;
    Vault::parse(&bytes)
}

/// The repository's top folder and the vault's path in it.
fn repository_of(path: &Path) -> Result<(std::path::PathBuf, String)> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let not_in_git = || {
        Error::not_found(
            "the vault is not in a git repository, so it has no history to verify",
            "run `mpvault git verify` inside the repository that holds mpvault.json",
        )
    };
    let top = git::top_level(dir).ok_or_else(not_in_git)?;
    let rel = git::path_in(&top, path).ok_or_else(not_in_git)?;
    Ok((top, rel))
}

fn short(hash: &str) -> String {
    hash[..hash.len().min(10)].to_string()
}

fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}
