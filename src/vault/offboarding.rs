//! Departures and the rotations they make due. A secret is due when someone who lost access to
//! its level could read it: its current value was written under a policy revision before the
//! one that signed their departure (format-3 values, which carry none: set no later than they
//! left). Both sides are
//! signed (the departure by an owner, the value by its writer), so the reminder cannot be
//! deleted, and only a new value clears it.

use std::collections::BTreeSet;

use super::access;
use super::model::{Departure, DepartureKind, Sealed, Vault};
use super::transition::writers_time;
use crate::wechat::Level;

/// One secret to reset in the console, and who could read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Due {
    pub app: String,
    pub secret: String,
    /// Why, in words: who could read it until when.
    pub reason: String,
    /// Who left, making it due (none for a format 1 or 2 reminder).
    pub departed: Option<String>,
}

/// The `app/level` places `handle` can read now.
pub fn readable(vault: &Vault, handle: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for app in vault.apps.keys() {
        for level in Level::ALL {
            if access::can_read(vault, app, level, handle) {
                out.insert(format!("{app}/{level}"));
            }
        }
    }
    out
}

/// Records that `handle` lost what they could read `before` and cannot now. The revision is
/// filled in when the policy is signed.
pub fn record(
    vault: &mut Vault,
    handle: &str,
    key: &str,
    kind: DepartureKind,
    before: &BTreeSet<String>,
    by: &str,
    now: &str,
) {
    let after = if kind == DepartureKind::Removed {
        BTreeSet::new()
    } else {
        readable(vault, handle)
    };
    let lost: Vec<String> = before.difference(&after).cloned().collect();
    if lost.is_empty() && kind != DepartureKind::Removed {
        return;
    }
    vault.departures.push(Departure {
        handle: handle.to_string(),
        key: key.to_string(),
        kind,
        at: now.to_string(),
        by: by.to_string(),
        revision: 0,
        lost,
    });
}

/// Of the `app/level` places a change gives `key`, those a departure took from that key: what
/// the change gives back to someone who left, each with the latest revision that took it.
pub fn given_back(vault: &Vault, key: &str, gained: &BTreeSet<String>) -> Vec<(String, u64)> {
    gained
        .iter()
        .filter_map(|place| {
            let revision = vault
                .departures
                .iter()
                .filter(|d| d.key == key && d.lost.contains(place))
                .map(|d| d.revision)
                .max()?;
            Some((place.clone(), revision))
        })
        .collect()
}

/// The latest departure that lost `app/level` after `value` was written: someone who could read
/// it and cannot now, so it must be reset in the console rather than stored again.
pub fn left_since<'v>(
    vault: &'v Vault,
    app: &str,
    level: Level,
    value: &Sealed,
) -> Option<&'v Departure> {
    let place = format!("{app}/{level}");
    vault
        .departures
        .iter()
        .rev()
        .filter(|d| d.lost.contains(&place))
        .find(|d| written_before(value, d))
}

/// Whether `value` was written before departure `d`: by policy revision (format 4), which the
/// writer signed and no clock decides; a format-3 value, which has none, by the two times.
fn written_before(value: &Sealed, d: &Departure) -> bool {
    match value.revision {
        // A departure this very write records has no revision until it is signed: it comes
        // after every value.
        Some(revision) => d.revision == 0 || revision < d.revision,
        // A time from the future orders nothing: the value counts as read by who left.
        None => match (writers_time(&value.set_at), writers_time(&d.at)) {
            (Some(set), Some(left)) => set <= left,
            _ => true,
        },
    }
}

/// Every secret whose current value someone who left could read.
pub fn rotations_due(vault: &Vault) -> Vec<Due> {
    let mut due = Vec::new();
    for (app_name, app) in &vault.apps {
        for (name, reason) in &app.rotations_due {
            due.push(Due {
                app: app_name.clone(),
                secret: name.clone(),
                reason: reason.clone(),
                departed: None,
            });
        }
        for (name, secret) in &app.secrets {
            if let Some(d) = left_since(vault, app_name, secret.access, &secret.versions[0]) {
                due.push(Due {
                    app: app_name.clone(),
                    secret: name.clone(),
                    reason: format!("{} could read it until {}", d.handle, d.at),
                    departed: Some(d.handle.clone()),
                });
            }
        }
    }
    due
}

/// Format 1 and 2 kept an unsigned list; adoption turns it into departures, so the reminders
/// survive and are signed from then on.
pub fn adopt_legacy_reminders(vault: &mut Vault, by: &str, now: &str) {
    let mut lost = Vec::new();
    for (app_name, app) in &mut vault.apps {
        for name in std::mem::take(&mut app.rotations_due).into_keys() {
            if let Some(secret) = app.secrets.get(&name) {
                lost.push(format!("{app_name}/{}", secret.access));
            }
        }
    }
    if lost.is_empty() {
        return;
    }
    lost.sort();
    lost.dedup();
    vault.departures.push(Departure {
        handle: "earlier-members".to_string(),
        key: String::new(),
        kind: DepartureKind::Revoked,
        at: now.to_string(),
        by: by.to_string(),
        revision: 0,
        lost,
    });
}

/// After an app is renamed, the departures and returns that name its places are recorded
/// again under the new name (the old records stay, as every departure does), so what they
/// made due stays due; open invitations give their roles on the new name.
pub fn rename_app(vault: &mut Vault, old: &str, new: &str) {
    let prefix = format!("{old}/");
    let moved = |places: &[String]| -> Option<Vec<String>> {
        places.iter().any(|p| p.starts_with(&prefix)).then(|| {
            places
                .iter()
                .filter_map(|p| p.strip_prefix(&prefix))
                .map(|level| format!("{new}/{level}"))
                .collect()
        })
    };
    let departures: Vec<Departure> = vault
        .departures
        .iter()
        .filter_map(|d| moved(&d.lost).map(|lost| Departure { lost, ..d.clone() }))
        .collect();
    vault.departures.extend(departures);
    let returns: Vec<super::Return> = vault
        .returns
        .iter()
        .filter_map(|r| {
            moved(&r.regained).map(|regained| super::Return {
                regained,
                ..r.clone()
            })
        })
        .collect();
    vault.returns.extend(returns);
    for inv in vault.invitations.iter_mut().filter(|i| !i.used) {
        if let Some(roles) = inv.roles.remove(old) {
            inv.roles.insert(new.to_string(), roles);
        }
    }
}
