//! What every change from one state of a vault to the next must keep, and the one walk over an
//! app's values. `trust` judges a file against this clone's memory of an earlier state, the git
//! merge driver each side against the common ancestor, and `audit` each commit against its
//! parents: all three ask here, so the rules cannot drift apart.

use std::collections::HashMap;

use crate::date::Timestamp;

use super::access::write_level;
use super::app::{App, Field, Sealed};
use super::authorship::{self, Place};
use super::model::Vault;
use crate::wechat::Level;

/// Every value of an app, per-mode and build config included: its field, history index, level and seal.
pub fn values(app: &App) -> Vec<(Field, usize, Level, &Sealed)> {
    let mut out = Vec::new();
    for (n, s) in &app.info {
        out.push((Field::Info(n.clone()), 0, Level::Team, s));
    }
    for (n, s) in &app.contact {
        out.push((Field::Contact(n.clone()), 0, Level::Team, s));
    }
    for (n, s) in &app.config {
        out.push((Field::Config(n.clone()), 0, Level::Team, s));
    }
    for (mode, config) in &app.modes {
        for (n, s) in config {
            let field = Field::ModeConfig(mode.clone(), n.clone());
            out.push((field, 0, Level::Team, s));
        }
    }
    for (n, s) in &app.build {
        out.push((Field::Build(n.clone()), 0, Level::Team, s));
    }
    for (mode, build) in &app.build_modes {
        for (n, s) in build {
            let field = Field::ModeBuild(mode.clone(), n.clone());
            out.push((field, 0, Level::Team, s));
        }
    }
    for (n, secret) in &app.secrets {
        for (i, v) in secret.versions.iter().enumerate() {
            out.push((Field::Secret(n.clone()), i, secret.access, v));
        }
    }
    out
}

/// Whether `now` was written after a value known by its policy revision and time: by revision
/// when both carry one (format 4), which its writer signed; within one revision, or for a
/// format-3 value, by the writers' times, the only order they have.
pub fn written_after(now: &Sealed, was_revision: Option<u64>, was_set_at: &Timestamp) -> bool {
    match (now.revision, was_revision) {
        (Some(now), Some(was)) if now != was => now > was,
        _ => now.set_at.is_later_than(was_set_at),
    }
}

/// What `after` broke of `before`, its earlier state (named `earlier` in the words), in words:
/// the same vault, a policy revision that never goes back, every departure and return kept, and no
/// secret's newest version dropped (a secret removed and added again starts over with a later
/// value).
pub fn problems(before: &Vault, after: &Vault, earlier: &str) -> Vec<String> {
    if before.vault_id != after.vault_id {
        return vec![format!(
            "it replaced vault {} with another vault, {}",
            before.vault_id, after.vault_id
        )];
    }
    let mut problems = Vec::new();
    if after.revision < before.revision {
        problems.push(format!(
            "its policy revision {} is older than {earlier}'s ({}): it puts back who could read what before an owner changed it",
            after.revision, before.revision
        ));
    }
    for d in &before.departures {
        if !after.departures.contains(d) {
            problems.push(format!(
                "it erased the record that {} was {}",
                d.handle,
                d.kind.as_str()
            ));
        }
    }
    for r in &before.returns {
        if !after.returns.contains(r) {
            problems.push(format!(
                "it erased the record that {} was given back {}",
                r.handle,
                r.regained.join(", ")
            ));
        }
    }
    for (app_name, app) in &after.apps {
        let Some(old_app) = before.apps.get(app_name) else {
            continue;
        };
        for (name, secret) in &app.secrets {
            let Some(old) = old_app.secrets.get(name) else {
                continue;
            };
            let (now, was) = (&secret.versions[0], &old.versions[0]);
            let kept = secret.versions.iter().any(|v| {
                v.version == was.version && v.set_at == was.set_at && v.set_by == was.set_by
            });
            if now.version < was.version && !kept && !written_after(now, was.revision, &was.set_at)
            {
                problems.push(format!(
                    "it dropped version {} of {name} of '{app_name}' (now version {})",
                    was.version.unwrap_or(0),
                    now.version.unwrap_or(0)
                ));
            }
        }
    }
    problems
}

/// Values not signed by a member who reads their level in this state's policy (config: who
/// reaches the developer level, since it steers builds), or claiming a policy revision the
/// state has not reached.
pub fn unauthorized(vault: &Vault) -> Vec<String> {
    unauthorized_after(vault, &[])
}

/// `unauthorized`, for a state whose `parents` were checked already: a value a parent holds
/// unchanged at the same place, its signer's key unchanged, is not verified again (a history
/// walk would otherwise verify every value at every commit); who reads its level still is.
pub fn unauthorized_after(vault: &Vault, parents: &[&Vault]) -> Vec<String> {
    let mut problems = Vec::new();
    for (app_name, app) in &vault.apps {
        let checked: Vec<HashMap<String, (&Sealed, Option<&str>)>> = parents
            .iter()
            .filter(|p| p.vault_id == vault.vault_id)
            .filter_map(|p| Some((p, p.apps.get(app_name)?)))
            .map(|(p, old)| {
                values(old)
                    .into_iter()
                    .map(|(f, i, level, s)| {
                        let key = p
                            .members
                            .get(s.signer())
                            .and_then(|m| m.signing_key.as_deref());
                        (format!("{level}/{}/{i}", f.path()), (s, key))
                    })
                    .collect()
            })
            .collect();
        for (field, i, level, sealed) in values(app) {
            let path = field.path();
            let place = Place::new(&vault.vault_id, app_name, level, &path);
            let signer = sealed.signer();
            // A service member never writes: no key of theirs vouches for a value.
            let key = vault
                .members
                .get(signer)
                .filter(|m| !m.service)
                .and_then(|m| m.signing_key.as_deref());
            let at = format!("{level}/{path}/{i}");
            let seen = checked
                .iter()
                .any(|m| m.get(&at).is_some_and(|(s, k)| *s == sealed && *k == key));
            let reads = |level: Level| {
                app.data_keys
                    .get(&level)
                    .is_some_and(|k| k.readers.iter().any(|r| r == signer))
            };
            let ok =
                key.is_some_and(|k| seen || authorship::verify(&place, sealed, k)) && reads(level);
            if !ok {
                problems.push(format!(
                    "{path} of '{app_name}' is not signed by '{signer}' as a reader of its {level} level"
                ));
            } else if !reads(write_level(&field, level)) {
                problems.push(format!(
                    "{path} of '{app_name}' was written by '{signer}', who may not write config (only developers, admins and owners steer builds)"
                ));
            } else if sealed.revision.is_some_and(|r| r > vault.revision) {
                problems.push(format!(
                    "{path} of '{app_name}' claims policy revision {}, which this state has not reached",
                    sealed.revision.unwrap_or_default()
                ));
            }
        }
    }
    problems
}

/// Values whose exact ciphertext a parent held under another data key of their level, and no
/// parent under this state's key: a line merge (no mpvault driver) kept one side's value and
/// the other side's new key, so no reader can open it. Seen without a key, from commitments.
pub fn stale(parents: &[&Vault], after: &Vault) -> Vec<String> {
    let mut problems = Vec::new();
    for (app_name, app) in &after.apps {
        // Each parent's ciphertexts, with the key commitment of the level they were under.
        let held: Vec<HashMap<&str, Option<&str>>> = parents
            .iter()
            .filter_map(|p| p.apps.get(app_name))
            .map(|old| {
                values(old)
                    .into_iter()
                    .map(|(_, _, level, s)| (s.value.as_str(), commitment(old, level)))
                    .collect()
            })
            .collect();
        for (field, _, level, sealed) in values(app) {
            let Some(now) = commitment(app, level) else {
                continue;
            };
            let keys: Vec<Option<&str>> = held
                .iter()
                .filter_map(|m| m.get(sealed.value.as_str()).copied())
                .collect();
            if !keys.is_empty() && keys.iter().all(|k| k.is_some_and(|k| k != now)) {
                problems.push(format!(
                    "{} of '{app_name}' is still sealed under the {level} data key that was replaced (a line merge without mpvault's driver?), so no reader can open it",
                    field.path()
                ));
            }
        }
    }
    problems
}

fn commitment(app: &App, level: Level) -> Option<&str> {
    app.data_keys.get(&level)?.commitment.as_deref()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::model::{Departure, DepartureKind, Secret};

    fn sealed(version: u64, revision: Option<u64>, at: &str) -> Sealed {
        Sealed {
            version: Some(version),
            revision,
            restored: None,
            set_by: "bob".into(),
            set_at: at.into(),
            sealed_by: None,
            value: format!("v{version}"),
            sig: None,
        }
    }

    fn with_secret(revision: u64, versions: Vec<Sealed>) -> Vault {
        let mut v = Vault::new("id".into(), "t".into());
        v.revision = revision;
        let mut app = App::new("wx0123456789abcdef".into(), "t".into());
        app.secrets.insert(
            "S".into(),
            Secret {
                access: Level::Developer,
                versions,
            },
        );
        v.apps.insert("shop".into(), app);
        v
    }

    #[test]
    fn revisions_order_values_and_clocks_only_break_ties() {
        let (early, late) = ("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z");
        let after = |now: Sealed, revision, at: &str| written_after(&now, revision, &at.into());
        // Revisions decide, whatever the clocks say.
        assert!(after(sealed(1, Some(6), early), Some(5), late));
        assert!(!after(sealed(1, Some(4), late), Some(5), early));
        // Within one revision, and for format-3 values, the times do.
        assert!(after(sealed(1, Some(5), late), Some(5), early));
        assert!(after(sealed(1, None, late), None, early));
        // A writer's clock in the future orders nothing.
        assert!(!after(sealed(1, None, "2097-01-01T00:00:00Z"), None, early));
        assert!(Timestamp::from("2096-01-01T00:00:00Z")
            .as_evidence()
            .is_none());
        assert!(Timestamp::from(early).as_evidence().is_some());
    }

    #[test]
    fn a_dropped_version_a_lower_revision_and_an_erased_departure_are_named() {
        let mut before = with_secret(5, vec![sealed(2, Some(5), "t2"), sealed(1, Some(3), "t1")]);
        before.departures.push(Departure {
            handle: "carol".into(),
            key: "k".into(),
            kind: DepartureKind::Removed,
            at: "t".into(),
            by: "alice".into(),
            revision: 4,
            lost: vec!["shop/team".into()],
        });
        let after = with_secret(4, vec![sealed(1, Some(3), "t1")]);
        let problems = problems(&before, &after, "its parent");
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("older than its parent's (5)"));
        assert!(problems[1].contains("erased the record that carol was removed"));
        assert!(problems[2].contains("dropped version 2 of S"));
        // Removed and added again, under a later revision: no problem.
        let mut again = before.clone();
        again.revision = 6;
        again
            .apps
            .get_mut("shop")
            .unwrap()
            .secrets
            .get_mut("S")
            .unwrap()
            .versions = vec![sealed(1, Some(6), "t0")];
        assert!(super::problems(&before, &again, "its parent").is_empty());
    }
}
