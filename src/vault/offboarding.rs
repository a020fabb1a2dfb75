//! Departures and the rotations they make due. A secret is due when someone who lost access to
//! its level could read it: its current value was written under a policy revision before the
//! one that signed their departure (format-3 values, which carry none: set no later than they
//! left). Both sides are
//! signed (the departure by an owner, the value by its writer), so the reminder cannot be
//! deleted, and only a new value clears it.

use std::collections::BTreeSet;

use super::access;
use super::app::Sealed;
use super::model::Vault;
use super::records::{Departure, DepartureKind, FormerReader, Return, Tombstone, Waiver};
use crate::date::Timestamp;
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
        at: now.into(),
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
        None => match (value.set_at.as_evidence(), d.at.as_evidence()) {
            (Some(set), Some(left)) => set <= left,
            _ => true,
        },
    }
}

/// Every secret whose current value someone who left could read, unless an owner waived it.
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
        for name in app.secrets.keys() {
            let (open, _) = standing(vault, app_name, name);
            if let Some(d) = open.last() {
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

/// A secret that would be due but for an owner's waiver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waived<'v> {
    pub app: String,
    pub secret: String,
    /// Who left, whose reading the waiver accepts.
    pub departed: Vec<&'v str>,
    pub waivers: Vec<&'v Waiver>,
}

/// Every secret whose rotation only waivers keep from being due.
pub fn rotations_waived(vault: &Vault) -> Vec<Waived<'_>> {
    let mut out = Vec::new();
    for (app_name, app) in &vault.apps {
        for name in app.secrets.keys() {
            let (open, covered) = standing(vault, app_name, name);
            if !open.is_empty() || covered.is_empty() {
                continue;
            }
            let mut departed: Vec<&str> = covered.iter().map(|d| d.handle.as_str()).collect();
            departed.sort_unstable();
            departed.dedup();
            out.push(Waived {
                app: app_name.clone(),
                secret: name.clone(),
                departed,
                waivers: waivers_of(vault, app_name, name, &covered),
            });
        }
    }
    out
}

/// The departures after which `secret`'s current value was not replaced, in the order they
/// were recorded: those no waiver covers, and those one does.
fn standing<'v>(
    vault: &'v Vault,
    app: &str,
    secret: &str,
) -> (Vec<&'v Departure>, Vec<&'v Departure>) {
    let Some(s) = vault.apps.get(app).and_then(|a| a.secrets.get(secret)) else {
        return (Vec::new(), Vec::new());
    };
    let place = format!("{app}/{}", s.access);
    vault
        .departures
        .iter()
        .filter(|d| d.lost.contains(&place) && written_before(&s.versions[0], d))
        .partition(|d| waivers_of(vault, app, secret, &[d]).is_empty())
}

/// A waiver for a member who stays lapses when they leave (`member remove`, or `member key
/// --lost`): what it kept was kept because they still work here.
fn lapsed(vault: &Vault, w: &Waiver) -> bool {
    let Some(handle) = &w.departed else {
        return false;
    };
    vault.departures.iter().any(|d| {
        d.handle == *handle
            && d.kind == DepartureKind::Removed
            && match (w.revision, d.revision) {
                (0, _) => false,
                (_, 0) => true,
                (w, d) => d > w,
            }
    })
}

/// The waivers of `secret` that cover one of `departures`.
fn waivers_of<'v>(
    vault: &'v Vault,
    app: &str,
    secret: &str,
    departures: &[&Departure],
) -> Vec<&'v Waiver> {
    vault
        .waivers
        .iter()
        .filter(|w| w.app == app && w.secret == secret && !lapsed(vault, w))
        .filter(|w| departures.iter().any(|d| covers(w, d)))
        .collect()
}

/// Whether waiver `w` covers departure `d`. A waiver naming a member (`--keep-secrets`) covers
/// that member's departure signed with it, nothing earlier (what an earlier revocation made due
/// stays due, as after a return) and nothing later; one naming no one (`rotation waive`) covers
/// every departure signed no later than it. Both carry revision 0 only while the write that
/// records them is not yet signed.
fn covers(w: &Waiver, d: &Departure) -> bool {
    match &w.departed {
        Some(handle) => *handle == d.handle && w.revision == d.revision,
        None => match (w.revision, d.revision) {
            (0, _) => true,
            (_, 0) => false,
            (w, d) => d <= w,
        },
    }
}

/// Records waivers of every secret that is due now because of `handle`'s departures (the one
/// this write records among them): the member stays, and an owner accepts that they could
/// read these values. Returns `app/secret` of each.
pub fn waive_departure(
    vault: &mut Vault,
    handle: &str,
    reason: &str,
    by: &str,
    at: &str,
) -> Vec<String> {
    let mut made = Vec::new();
    for due in rotations_due(vault) {
        let (open, _) = standing(vault, &due.app, &due.secret);
        if open.iter().any(|d| d.handle == handle && d.revision == 0) {
            made.push(Waiver {
                app: due.app,
                secret: due.secret,
                departed: Some(handle.to_string()),
                reason: reason.to_string(),
                by: by.to_string(),
                at: at.into(),
                revision: 0,
            });
        }
    }
    let names = made
        .iter()
        .map(|w| format!("{} of '{}'", w.secret, w.app))
        .collect();
    vault.waivers.extend(made);
    names
}

/// Records a waiver of each of `secrets` of `app` (every secret due there when `None`) that is
/// due now. Returns the names waived; none is an error for the caller to name.
pub fn waive(
    vault: &mut Vault,
    app: &str,
    secrets: Option<&str>,
    reason: &str,
    by: &str,
    at: &str,
) -> Vec<String> {
    let due: Vec<String> = rotations_due(vault)
        .into_iter()
        .filter(|d| d.app == app && secrets.is_none_or(|s| s == d.secret))
        .filter(|d| !standing(vault, app, &d.secret).0.is_empty())
        .map(|d| d.secret)
        .collect();
    for secret in &due {
        vault.waivers.push(Waiver {
            app: app.to_string(),
            secret: secret.clone(),
            departed: None,
            reason: reason.to_string(),
            by: by.to_string(),
            at: at.into(),
            revision: 0,
        });
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
        at: now.into(),
        by: by.to_string(),
        revision: 0,
        lost,
    });
}

/// After an app is renamed, the departures, returns and waivers that name it are recorded
/// again under the new name (the old records stay, as every departure does), so what they
/// made due stays due and what was waived stays waived; open invitations give their roles on
/// the new name.
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
    let returns: Vec<Return> = vault
        .returns
        .iter()
        .filter_map(|r| {
            moved(&r.regained).map(|regained| Return {
                regained,
                ..r.clone()
            })
        })
        .collect();
    vault.returns.extend(returns);
    let waivers: Vec<Waiver> = vault
        .waivers
        .iter()
        .filter(|w| w.app == old)
        .map(|w| Waiver {
            app: new.to_string(),
            ..w.clone()
        })
        .collect();
    vault.waivers.extend(waivers);
    for inv in vault.invitations.iter_mut().filter(|i| !i.used) {
        if let Some(roles) = inv.roles.remove(old) {
            inv.roles.insert(new.to_string(), roles);
        }
    }
}

/// The signed record an app leaves when it is removed: its AppID and client, and everyone who
/// could read it then, at the highest level, since when (`since`: by handle and level, from the
/// vault's git history; else the later of when the member and the app were added).
pub fn tombstone(
    vault: &Vault,
    app: &str,
    since: &std::collections::BTreeMap<(String, Level), Timestamp>,
    by: &str,
    now: &str,
) -> Option<Tombstone> {
    let a = vault.apps.get(app)?;
    let mut readers: Vec<FormerReader> = Vec::new();
    for handle in vault.members.keys() {
        let Some(level) = Level::ALL
            .into_iter()
            .rev()
            .find(|l| access::can_read(vault, app, *l, handle))
        else {
            continue;
        };
        let added = vault.members[handle].added_at.clone();
        let fallback = if added.cmp_time(&a.added_at).is_gt() {
            added
        } else {
            a.added_at.clone()
        };
        let since = since
            .get(&(handle.clone(), level))
            .cloned()
            .unwrap_or(fallback);
        readers.push(FormerReader {
            handle: handle.clone(),
            level,
            since,
        });
    }
    Some(Tombstone {
        app: app.to_string(),
        appid: a.appid.clone(),
        client: a.public.get("client").cloned(),
        readers,
        removed_at: now.into(),
        by: by.to_string(),
        revision: 0,
    })
}

/// A waiver's reason: said in words, on one line, short enough to read in a review. It is
/// public (the policy is readable without a key), which the hint says.
pub fn check_reason(reason: &str) -> crate::error::Result<()> {
    let max = super::limits::MAX_TEXT_CHARS;
    let bad = reason.trim().is_empty()
        || reason.chars().any(char::is_control)
        || reason.chars().count() > max;
    if bad {
        return Err(crate::error::Error::invalid(
            format!("a waiver needs a reason of one line, at most {max} characters"),
            "say why the risk is accepted, such as --reason \"moved to another client's team, still employed\" (anyone with the file reads it)",
        ));
    }
    Ok(())
}
