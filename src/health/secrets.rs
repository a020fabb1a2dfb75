//! Secrets' health: how old each is against the vault's limits, and which must be rotated
//! because someone who could read them left (or was waived by an owner). Kept apart from the
//! records so the rotation rules can change without touching `status`.

use serde::Serialize;
use time::OffsetDateTime;

use super::Finding;
use crate::date::Timestamp;
use crate::vault::{App, Rules, Vault};
use crate::wechat::{self, Level};

#[derive(Clone, Debug, Serialize)]
pub struct SecretAge {
    pub name: String,
    pub access: Level,
    pub set_at: Timestamp,
    pub age_days: Option<i64>,
    pub max_age_days: Option<u32>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RotationDue {
    pub name: String,
    pub reason: String,
}

/// A secret that would be due but for an owner's signed waiver.
#[derive(Clone, Debug, Serialize)]
pub struct RotationWaived {
    pub name: String,
    /// Who could read it and lost access.
    pub departed: Vec<String>,
    pub waivers: Vec<WaiverShown>,
}

#[derive(Clone, Debug, Serialize)]
pub struct WaiverShown {
    pub by: String,
    pub at: Timestamp,
    pub revision: u64,
    pub reason: String,
}

impl RotationWaived {
    /// One line: what, after whom, by whom, when and why.
    pub fn line(&self) -> String {
        let why: Vec<String> = self
            .waivers
            .iter()
            .map(|w| {
                format!(
                    "by {} at {} (revision {}): {}",
                    w.by, w.at, w.revision, w.reason
                )
            })
            .collect();
        crate::display::escape(&format!(
            "{} kept after {} lost access; waived {}",
            self.name,
            self.departed.join(", "),
            why.join("; ")
        ))
        .into_owned()
    }
}

/// Secrets someone who lost access could read. The one place "rotation due" comes from, so
/// that how it is computed can change without touching `status`.
pub fn rotations_due(vault: &Vault, app: &str) -> Vec<RotationDue> {
    crate::vault::offboarding::rotations_due(vault)
        .into_iter()
        .filter(|d| d.app == app)
        .map(|d| RotationDue {
            name: d.secret,
            reason: d.reason,
        })
        .collect()
}

/// Secrets whose rotation an owner waived, with who, when and why.
pub fn rotations_waived(vault: &Vault, app: &str) -> Vec<RotationWaived> {
    crate::vault::offboarding::rotations_waived(vault)
        .into_iter()
        .filter(|w| w.app == app)
        .map(|w| RotationWaived {
            name: w.secret,
            departed: w.departed.iter().map(ToString::to_string).collect(),
            waivers: w
                .waivers
                .iter()
                .map(|x| WaiverShown {
                    by: x.by.clone(),
                    at: x.at.clone(),
                    revision: x.revision,
                    reason: x.reason.clone(),
                })
                .collect(),
        })
        .collect()
}

/// The secrets' problems: each one over its age limit (or, with `--within`, reaching it),
/// then each rotation due.
pub(super) fn findings(
    app: &str,
    ages: &[SecretAge],
    due: &[RotationDue],
    within: Option<u32>,
) -> Vec<Finding> {
    let mut out: Vec<Finding> = ages
        .iter()
        .filter_map(|s| age_finding(app, s, within))
        .collect();
    out.extend(due.iter().map(|d| {
        Finding::due(
            format!("{} must be rotated: {}", d.name, d.reason),
            rotate_hint(app, &d.name),
        )
    }));
    out
}

fn rotate_hint(app: &str, secret: &str) -> String {
    if secret == wechat::APPSECRET {
        format!("reset it in the console (开发管理 → 开发设置), then `mpvault rotate-secret {app} --verify`")
    } else {
        format!("replace it where it was issued, then `mpvault rotate-secret {app} {secret}`")
    }
}

pub(super) fn secret_ages(app: &App, rules: &Rules, now: OffsetDateTime) -> Vec<SecretAge> {
    app.secrets
        .iter()
        .map(|(name, s)| {
            let set_at = s
                .versions
                .first()
                .map(|v| v.set_at.clone())
                .unwrap_or_default();
            SecretAge {
                name: name.clone(),
                access: s.access,
                age_days: age_days(&set_at, now),
                set_at,
                max_age_days: rules.max_age(name),
            }
        })
        .collect()
}

/// Whole days since an RFC 3339 time; a time in the future counts as 0.
pub fn age_days(set_at: &Timestamp, now: OffsetDateTime) -> Option<i64> {
    set_at.days_to(now)
}

/// A secret over its age limit, or (with `--within`) one that reaches it within that many days.
fn age_finding(app: &str, s: &SecretAge, within: Option<u32>) -> Option<Finding> {
    let (age, max) = (s.age_days?, i64::from(s.max_age_days?));
    if age > max {
        return Some(Finding::due(
            format!("{} is {age} days old (the limit is {max})", s.name),
            rotate_hint(app, &s.name),
        ));
    }
    // Over the limit from the day its age is max + 1.
    let falls_due_in = max + 1 - age;
    (falls_due_in <= i64::from(within?)).then(|| {
        Finding::due(
            format!(
                "{} is {age} days old and reaches its limit of {max} in {falls_due_in} days",
                s.name
            ),
            rotate_hint(app, &s.name),
        )
    })
}
