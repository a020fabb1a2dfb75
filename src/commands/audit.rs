//! `audit`: walks `git log` of the vault file, verifies every committed state and every change
//! against the state before it, and prints who changed what. Nothing needs a key: policies,
//! owners and writers are all checked by their signatures.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Context, Outcome};
use crate::cli::AuditArgs;
use crate::error::{Error, Result};
use crate::git;
use crate::output;
use crate::vault::policy::{self, Policy};
use crate::vault::{transition, Tombstone, Vault};
use crate::wechat::Level;

/// One commit that touched the vault.
pub(crate) struct Commit {
    pub(crate) hash: String,
    parents: Vec<String>,
    author: String,
    date: String,
    subject: String,
}

/// What one commit did, and what is wrong with it.
pub(crate) struct Entry {
    pub(crate) commit: Commit,
    revision: Option<u64>,
    signer: Option<String>,
    /// The signer's fingerprint, beside the handle anyone can claim.
    fingerprint: Option<String>,
    changes: Vec<String>,
    pub(crate) problems: Vec<String>,
}

/// `audit --json`: one commit, what it changed and what is wrong with it.
#[derive(Serialize)]
struct AuditRow<'e> {
    author: &'e str,
    authorized: bool,
    changes: &'e [String],
    commit: &'e str,
    date: &'e str,
    problems: &'e [String],
    revision: Option<u64>,
    signed_by: Option<&'e str>,
    signer_fingerprint: Option<&'e str>,
    subject: &'e str,
}

impl<'e> AuditRow<'e> {
    fn of(e: &'e Entry) -> Self {
        AuditRow {
            author: &e.commit.author,
            authorized: e.problems.is_empty(),
            changes: &e.changes,
            commit: &e.commit.hash,
            date: &e.commit.date,
            problems: &e.problems,
            revision: e.revision,
            signed_by: e.signer.as_deref(),
            signer_fingerprint: e.fingerprint.as_deref(),
            subject: &e.commit.subject,
        }
    }
}

pub fn run(ctx: &Context, AuditArgs { since, app, json }: AuditArgs) -> Result<Outcome> {
    let (top, rel) = vault_in_repository(ctx)?;
    if let Some(app) = app {
        return access_report(ctx, &top, &rel, &app, json);
    }
    let entries = audit_history(&top, &rel, &["HEAD"])?;
    let flagged = entries.iter().filter(|e| !e.problems.is_empty()).count();
    let shown: Vec<&Entry> = entries
        .iter()
        .filter(|e| {
            since.is_none_or(|s| e.revision.is_none_or(|r| r >= s) || !e.problems.is_empty())
        })
        .collect();
    if json {
        let rows: Vec<AuditRow> = shown.iter().map(|e| AuditRow::of(e)).collect();
        output::json(&rows)?;
    } else {
        output::line(&lines(&shown))?;
    }
    if flagged > 0 {
        output::note(&format!(
            "mpvault: {flagged} commit(s) changed the vault without authorization; `git show <commit>` shows them, and an owner decides whether to restore the vault from before them."
        ));
        return Ok(Outcome::Unauthorized);
    }
    Ok(Outcome::Done)
}

/// One stretch of time in which a member read an app, at the highest level they read.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Stretch {
    pub(crate) handle: String,
    pub(crate) level: Level,
    pub(crate) since: String,
    since_commit: String,
    /// None while it lasts.
    pub(crate) until: Option<String>,
    until_commit: Option<String>,
}

/// `audit --app APP --json`.
#[derive(Serialize)]
struct AccessReport<'a> {
    app: &'a str,
    appid: Option<&'a str>,
    client: Option<&'a str>,
    readers: &'a [Stretch],
    removed: Option<&'a Tombstone>,
}

/// Who could read `app` at which level, and when: from every sound commit on the first-parent
/// line of HEAD (a commit that fails the audit proves nothing), and the working file's signed
/// tombstone when the app was removed. Who could read is whom its data keys were wrapped to.
pub(crate) fn access_history(top: &Path, rel: &str, app: &str) -> Result<Vec<Stretch>> {
    let (entries, states) = walk(top, rel, &["HEAD"])?;
    let line: BTreeSet<String> = git::run(
        top,
        &["rev-list", "--first-parent", "HEAD"],
        "read the vault's history",
    )?
    .lines()
    .map(str::to_string)
    .collect();
    let mut stretches: Vec<Stretch> = Vec::new();
    let mut open: BTreeMap<String, usize> = BTreeMap::new();
    for e in entries
        .iter()
        .filter(|e| e.problems.is_empty() && line.contains(&e.commit.hash))
    {
        let Some(Ok(vault)) = states.get(&e.commit.hash) else {
            continue;
        };
        let now = readers_of(vault, app);
        close_changed(&mut stretches, &mut open, &now, &e.commit);
        for (handle, level) in now {
            if !open.contains_key(&handle) {
                open.insert(handle.clone(), stretches.len());
                stretches.push(Stretch {
                    handle,
                    level,
                    since: e.commit.date.clone(),
                    since_commit: e.commit.hash.clone(),
                    until: None,
                    until_commit: None,
                });
            }
        }
    }
    Ok(stretches)
}

/// Ends the open stretches whose member reads another level now, or nothing.
fn close_changed(
    stretches: &mut [Stretch],
    open: &mut BTreeMap<String, usize>,
    now: &BTreeMap<String, Level>,
    commit: &Commit,
) {
    let ended: Vec<String> = open
        .iter()
        .filter(|(h, i)| now.get(*h) != Some(&stretches[**i].level))
        .map(|(h, _)| h.clone())
        .collect();
    for handle in ended {
        let i = open.remove(&handle).expect("listed above");
        stretches[i].until = Some(commit.date.clone());
        stretches[i].until_commit = Some(commit.hash.clone());
    }
}

/// Each member a data key of `app` is wrapped to, at the highest such level.
pub(crate) fn readers_of(vault: &Vault, app: &str) -> BTreeMap<String, Level> {
    let mut out = BTreeMap::new();
    if let Some(a) = vault.apps.get(app) {
        for (level, key) in &a.data_keys {
            for handle in &key.readers {
                let slot = out.entry(handle.clone()).or_insert(*level);
                *slot = (*slot).max(*level);
            }
        }
    }
    out
}

fn access_report(ctx: &Context, top: &Path, rel: &str, app: &str, json: bool) -> Result<Outcome> {
    let stretches = access_history(top, rel, app)?;
    let vault = crate::store::load(&ctx.vault_path()?, &crate::vault::Scope::All)?;
    // Only a tombstone the policy's signature covers is shown as the record of a removal.
    let signed = policy::verify(&vault).is_some();
    let removed = vault
        .tombstones
        .iter()
        .rev()
        .find(|t| signed && t.app == app && !vault.apps.contains_key(app));
    let live = vault.apps.get(app);
    if stretches.is_empty() && removed.is_none() && live.is_none() {
        return Err(crate::suggest::unknown_app(
            app,
            vault.apps.keys().map(String::as_str),
        ));
    }
    let appid = live
        .map(|a| a.appid.as_str())
        .or(removed.map(|t| t.appid.as_str()));
    let client = live
        .and_then(|a| a.public.get("client").map(String::as_str))
        .or(removed.and_then(|t| t.client.as_deref()));
    if json {
        output::json(&AccessReport {
            app,
            appid,
            client,
            readers: &stretches,
            removed,
        })?;
    } else {
        output::line(&access_lines(app, appid, client, &stretches, removed))?;
    }
    Ok(Outcome::Done)
}

fn access_lines(
    app: &str,
    appid: Option<&str>,
    client: Option<&str>,
    stretches: &[Stretch],
    removed: Option<&Tombstone>,
) -> String {
    let mut lines = vec![format!(
        "Access history of '{app}'{}{}, from the vault's git history:",
        appid.map(|a| format!(" (AppID {a})")).unwrap_or_default(),
        client
            .map(|c| format!(", client {}", clean(c)))
            .unwrap_or_default()
    )];
    let short = |hash: &str| hash[..hash.len().min(10)].to_string();
    for s in stretches {
        let until = match (&s.until, &s.until_commit) {
            (Some(at), Some(commit)) => format!("{at} ({})", short(commit)),
            _ if removed.is_some() => "its removal".to_string(),
            _ => "now".to_string(),
        };
        lines.push(format!(
            "  {:<12} {:<9} {} ({}) → {until}",
            clean(&s.handle),
            s.level.as_str(),
            s.since,
            short(&s.since_commit)
        ));
    }
    if let Some(t) = removed {
        let readers: Vec<String> = t
            .readers
            .iter()
            .map(|r| format!("{} {} since {}", clean(&r.handle), r.level, r.since))
            .collect();
        lines.push(format!(
            "Removed at {} by {} (signed, policy revision {}); who could read it then: {}.",
            t.removed_at,
            clean(&t.by),
            t.revision,
            if readers.is_empty() {
                "nobody".to_string()
            } else {
                readers.join("; ")
            }
        ));
    }
    lines.join("\n")
}

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
fn walk(top: &Path, rel: &str, range: &[&str]) -> Result<(Vec<Entry>, States)> {
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
        let mut entry = audit_commit(commit, &state, &parents, &owners);
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

/// The audit for people: a line a commit, its changes and problems beneath it.
fn lines(shown: &[&Entry]) -> String {
    let mut lines = Vec::new();
    for e in shown {
        let signed = match (&e.revision, &e.signer) {
            (Some(r), Some(s)) => format!(
                "revision {r}, signed by {s}, fingerprint {}",
                e.fingerprint.as_deref().unwrap_or_default()
            ),
            (Some(r), None) => format!("revision {r}, not signed"),
            _ => "unreadable".to_string(),
        };
        let short = &e.commit.hash[..e.commit.hash.len().min(10)];
        lines.push(format!(
            "{short} {} {} ({signed}): {}",
            e.commit.date,
            clean(&e.commit.author),
            clean(&e.commit.subject)
        ));
        for c in &e.changes {
            lines.push(format!("    {c}"));
        }
        for p in &e.problems {
            lines.push(format!("  UNAUTHORIZED {}: {p}", e.commit.hash));
        }
    }
    lines.join("\n")
}

fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
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
                date: parts.next()?.to_string(),
                subject: parts.next().unwrap_or("").to_string(),
            })
        })
        .collect())
}

fn audit_commit(
    commit: Commit,
    state: &std::result::Result<Vault, String>,
    parents: &[&Vault],
    owners: &BTreeSet<String>,
) -> Entry {
    let mut entry = Entry {
        commit,
        revision: None,
        signer: None,
        fingerprint: None,
        changes: Vec::new(),
        problems: Vec::new(),
    };
    let vault = match state {
        Ok(v) => v,
        Err(e) => {
            entry.problems.push(format!("not a readable vault: {e}"));
            return entry;
        }
    };
    entry.revision = Some(vault.revision);
    let signer_key = policy::verify(vault);
    entry.signer = signer_key
        .as_ref()
        .and(vault.signature.as_ref())
        .map(|s| s.signer.clone());
    entry.fingerprint = signer_key.as_deref().map(crate::key::fingerprint);
    // A merge of two signed sides' policy changes by someone who is not an owner waits for
    // an owner's `sign`: readers refuse it meanwhile, and the commit that signs it is checked.
    let waiting = signer_key.is_none()
        && vault.signature.is_none()
        && vault.format >= 3
        && parents.len() >= 2
        && parents.iter().all(|p| policy::verify(p).is_some());
    if signer_key.is_none() && vault.signature.is_none() && vault.format < 2 {
        entry.changes.push(
            "format 1: nothing in this state is signed, so nothing in it can be verified"
                .to_string(),
        );
    } else if waiting {
        entry
            .changes
            .push("the merged policy waits for an owner's `mpvault sign`".to_string());
    } else if signer_key.is_none() {
        entry.problems.push(match vault.signature {
            Some(_) => "its policy signature does not verify: who may read what was edited by hand".to_string(),
            None => "its policy is not signed by an owner (a merge waiting for `mpvault sign`, or a stripped signature)".to_string(),
        });
    }
    if vault.format >= 3 {
        entry
            .problems
            .extend(transition::unauthorized_after(vault, parents));
    }
    let policy = Policy::of(vault);
    let parent = parents.first();
    if !waiting {
        entry.problems.extend(new_policy(
            parents,
            vault,
            &policy,
            signer_key.as_deref(),
            owners,
        ));
    }
    for p in parents {
        entry
            .problems
            .extend(transition::problems(p, vault, "its parent"));
    }
    entry.problems.extend(transition::stale(parents, vault));
    match parent {
        Some(p) => {
            entry
                .changes
                .extend(policy::describe_changes(&Policy::of(p), &policy));
            entry.changes.extend(value_changes(p, vault));
            entry.changes.extend(request_changes(p, vault));
        }
        None => entry.changes.push(format!(
            "vault {} with {} member(s) and {} app(s)",
            vault.vault_id,
            vault.members.len(),
            vault.apps.len()
        )),
    }
    entry
}

/// A policy no parent had must raise the revision above every parent's and be signed by an
/// owner of a parent's policy (a merge that keeps one side's policy inherits its check).
fn new_policy(
    parents: &[&Vault],
    after: &Vault,
    policy: &Policy,
    signer: Option<&str>,
    owners_before: &BTreeSet<String>,
) -> Vec<String> {
    let mut problems = Vec::new();
    if parents.is_empty() || after.format < 3 || parents.iter().any(|p| Policy::of(p) == *policy) {
        return problems;
    }
    let highest = parents.iter().map(|p| p.revision).max().unwrap_or(0);
    if after.revision <= highest {
        problems.push(format!(
            "it changed the policy without raising its revision ({} after {highest})",
            after.revision
        ));
    }
    if let Some(signer) =
        signer.filter(|s| !owners_before.is_empty() && !owners_before.contains(*s))
    {
        let _ = signer;
        problems.push(format!(
            "its policy is signed by '{}', who was not an owner before it",
            after.signature.as_ref().map_or("", |s| s.signer.as_str())
        ));
    }
    problems
}

/// Join requests written into the file (unsigned: whoever could push wrote them).
fn request_changes(before: &Vault, after: &Vault) -> Vec<String> {
    after
        .requests
        .iter()
        .filter(|r| !before.requests.contains(r))
        .map(|r| {
            format!(
                "a join request for '{}' (fingerprint {}), unsigned, waiting for an owner",
                clean(&r.handle),
                crate::vault::invite::fingerprint(&r.key, r.signing_key.as_deref())
            )
        })
        .collect()
}

/// Values set, rotated or removed, by whom (never the values).
fn value_changes(before: &Vault, after: &Vault) -> Vec<String> {
    let mut out = Vec::new();
    for (app_name, app) in &after.apps {
        let old = before.apps.get(app_name);
        for (kind, map, old_map) in [
            ("info", &app.info, old.map(|a| &a.info)),
            ("contact", &app.contact, old.map(|a| &a.contact)),
            ("config", &app.config, old.map(|a| &a.config)),
            ("build", &app.build, old.map(|a| &a.build)),
        ] {
            for (key, s) in map {
                let was = old_map.and_then(|m| m.get(key));
                if was.is_none_or(|w| w.set_at != s.set_at || w.set_by != s.set_by) {
                    out.push(format!(
                        "{kind} {key} of {app_name} set by {} at {}",
                        clean(&s.set_by),
                        s.set_at
                    ));
                }
            }
            for key in old_map
                .into_iter()
                .flat_map(|m| m.keys())
                .filter(|k| !map.contains_key(*k))
            {
                out.push(format!("{kind} {key} of {app_name} removed"));
            }
        }
        for (name, secret) in &app.secrets {
            let was = old.and_then(|a| a.secrets.get(name));
            for v in &secret.versions {
                let known = was.is_some_and(|w| {
                    w.versions.iter().any(|o| {
                        o.version == v.version && o.set_by == v.set_by && o.set_at == v.set_at
                    })
                });
                if !known {
                    let restored = v
                        .restored
                        .map(|r| format!(" (restored v{r})"))
                        .unwrap_or_default();
                    out.push(format!(
                        "secret {name} of {app_name}: version {}{restored} set by {} at {}",
                        v.version.unwrap_or(0),
                        clean(&v.set_by),
                        v.set_at
                    ));
                }
            }
        }
        for name in old
            .into_iter()
            .flat_map(|a| a.secrets.keys())
            .filter(|n| !app.secrets.contains_key(*n))
        {
            out.push(format!("secret {name} of {app_name} removed"));
        }
    }
    out
}
