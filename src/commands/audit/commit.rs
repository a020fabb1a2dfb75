//! One commit of the vault judged against its parents, keyless: how its policy is signed and
//! whether a new policy kept the signing rule (`vault::signing`), what it broke of its parents
//! (`vault::transition`), and what it changed, in words (never a value).

use std::collections::BTreeSet;

use super::{Commit, Entry};
use crate::display::escape;
use crate::vault::policy::{self, Policy};
use crate::vault::signing::{self, Signed};
use crate::vault::{transition, Vault};

/// What `commit` did to the vault, `state` as it committed it, judged against its `parents`
/// and the owners whose signature counted before it.
pub(super) fn audit_commit(
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
    let signed = signing::signed(vault, parents);
    let signer_key = signed.key();
    entry.signer = signer_key
        .and(vault.signature.as_ref())
        .map(|s| s.signer.clone());
    entry.fingerprint = signer_key.map(crate::key::fingerprint);
    match signed {
        Signed::Never => entry.changes.push(
            "format 1: nothing in this state is signed, so nothing in it can be verified"
                .to_string(),
        ),
        Signed::AwaitsOwner => entry
            .changes
            .push("the merged policy waits for an owner's `mpvault sign`".to_string()),
        Signed::Broken(problem) => entry.problems.push(problem.to_string()),
        Signed::By(_) => {}
    }
    let policy = Policy::of(vault);
    entry
        .problems
        .extend(problems(vault, &policy, parents, &signed, owners));
    entry.changes.extend(changes(vault, &policy, parents));
    entry
}

/// What the commit broke: values no reader signed, a new policy that broke the signing rule
/// (unless it waits for an owner), what it took back from a parent, values left under a
/// replaced key.
fn problems(
    vault: &Vault,
    policy: &Policy,
    parents: &[&Vault],
    signed: &Signed,
    owners: &BTreeSet<String>,
) -> Vec<String> {
    let mut problems = Vec::new();
    if vault.format >= 3 {
        problems.extend(transition::unauthorized_after(vault, parents));
    }
    if !matches!(signed, Signed::AwaitsOwner) {
        problems.extend(signing::policy_change_problems(
            parents,
            vault,
            policy,
            signed.key(),
            owners,
        ));
    }
    for p in parents {
        problems.extend(transition::problems(p, vault, "its parent"));
    }
    problems.extend(transition::stale(parents, vault));
    problems
}

/// What the commit changed since its first parent, or what it began with.
fn changes(vault: &Vault, policy: &Policy, parents: &[&Vault]) -> Vec<String> {
    let Some(p) = parents.first() else {
        return vec![format!(
            "vault {} with {} member(s) and {} app(s)",
            vault.vault_id,
            vault.members.len(),
            vault.apps.len()
        )];
    };
    let mut changes = policy::describe_changes(&Policy::of(p), policy);
    changes.extend(value_changes(p, vault));
    changes.extend(request_changes(p, vault));
    changes
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
                escape(&r.handle),
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
                        escape(&s.set_by),
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
                        escape(&v.set_by),
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
