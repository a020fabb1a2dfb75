//! `audit`: walks `git log` of the vault file, verifies every committed state and every change
//! against the state before it, and prints who changed what. Nothing needs a key: policies,
//! owners and writers are all checked by their signatures.

mod access;
mod commit;
mod history;

use serde::Serialize;

use super::{Context, Outcome};
use crate::cli::AuditArgs;
use crate::date::Timestamp;
use crate::display::escape;
use crate::error::Result;
use crate::output;

pub(crate) use access::access_history;
pub(crate) use history::{audit_history, sound_states, vault_in_repository};

/// One commit that touched the vault.
pub(crate) struct Commit {
    pub(crate) hash: String,
    parents: Vec<String>,
    author: String,
    date: Timestamp,
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
        return access::access_report(ctx, &top, &rel, &app, json);
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
            escape(&e.commit.author),
            escape(&e.commit.subject)
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
