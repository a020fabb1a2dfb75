//! `audit --app`: who could read an app at which level, and when, from the sound commits on
//! the first-parent line of HEAD (whom its data keys were wrapped to), and the signed record
//! left when it was removed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;

use super::history::walk;
use super::{Commit, Context, Outcome};
use crate::date::Timestamp;
use crate::display::escape;
use crate::error::Result;
use crate::git;
use crate::output;
use crate::vault::policy;
use crate::vault::{Tombstone, Vault};
use crate::wechat::Level;

/// One stretch of time in which a member read an app, at the highest level they read.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Stretch {
    pub(crate) handle: String,
    pub(crate) level: Level,
    pub(crate) since: Timestamp,
    since_commit: String,
    /// None while it lasts.
    pub(crate) until: Option<Timestamp>,
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
fn readers_of(vault: &Vault, app: &str) -> BTreeMap<String, Level> {
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

/// `audit --app APP`: the stretches, and the app as the working file has it or its signed
/// record of removal.
pub(super) fn access_report(
    ctx: &Context,
    top: &Path,
    rel: &str,
    app: &str,
    json: bool,
) -> Result<Outcome> {
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
            .map(|c| format!(", client {}", escape(c)))
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
            escape(&s.handle),
            s.level.as_str(),
            s.since,
            short(&s.since_commit)
        ));
    }
    if let Some(t) = removed {
        let readers: Vec<String> = t
            .readers
            .iter()
            .map(|r| format!("{} {} since {}", escape(&r.handle), r.level, r.since))
            .collect();
        lines.push(format!(
            "Removed at {} by {} (signed, policy revision {}); who could read it then: {}.",
            t.removed_at,
            escape(&t.by),
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
