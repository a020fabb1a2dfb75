//! Health of each app: secrets' age against the vault's rules, rotations due, the yearly
//! verification (认证), the ICP filing (备案), the roster and the administrator's contacts.
//!
//! This module only finds things; `commands::status` shows them. Every finding says what is
//! wrong and what to do, and has a severity that decides `status`'s exit code. Here: what a
//! finding is, and one app's report put together from the checks in the modules below.

pub mod handoff;
mod reader;
mod records;
mod roster;
mod secrets;
mod vault_wide;

pub use records::{Recorded, Verification, VerificationState};
pub use roster::People;
pub use secrets::{
    age_days, rotations_due, rotations_waived, RotationDue, RotationWaived, SecretAge, WaiverShown,
};
pub use vault_wide::{pending, vault_findings};

use serde::Serialize;
use time::OffsetDateTime;

use crate::error::exit;
use crate::vault::{App, Keyring, Vault};
use crate::wechat;

/// How bad a finding is. Ordered: the worst is the greatest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Ok,
    /// Needs doing soon: a rotation, a verification within its window, a missing record.
    Due,
    /// Already wrong: an expired verification, a damaged value, a key given to the wrong person.
    Broken,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Ok => "ok",
            Severity::Due => "due",
            Severity::Broken => "broken",
        }
    }

    /// `status` exits with this, so CI can gate on it.
    pub fn exit_code(self) -> i32 {
        match self {
            Severity::Ok => 0,
            Severity::Due => exit::DUE,
            Severity::Broken => exit::BROKEN,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub what: String,
    pub hint: String,
}

impl Finding {
    fn due(what: impl Into<String>, hint: impl Into<String>) -> Self {
        Finding {
            severity: Severity::Due,
            what: what.into(),
            hint: hint.into(),
        }
    }
    fn broken(what: impl Into<String>, hint: impl Into<String>) -> Self {
        Finding {
            severity: Severity::Broken,
            what: what.into(),
            hint: hint.into(),
        }
    }
}

/// A value the reader may or may not be able to decrypt. `status --json` shows it as a word
/// (see `Recorded` and `VerificationState`), the value in a field of its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Known<T> {
    /// The reader cannot read this app's team level (no identity, or not on its roster).
    Unknown,
    Missing,
    Set(T),
}

impl<T> Known<T> {
    /// The value, when it is set.
    fn value(&self) -> Option<&T> {
        match self {
            Known::Set(value) => Some(value),
            Known::Unknown | Known::Missing => None,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct AppHealth {
    pub app: String,
    pub appid: String,
    /// The client the app is run for, when one is recorded.
    pub client: Option<String>,
    pub state: Severity,
    pub secrets: Vec<SecretAge>,
    pub appsecret_age_days: Option<i64>,
    pub oldest_secret_days: Option<i64>,
    /// The recorded expiry, for scripts that want just the date.
    pub verified_until: Option<String>,
    #[serde(skip)]
    pub verification: Known<Verification>,
    #[serde(rename = "verification")]
    pub verification_state: VerificationState,
    pub verification_days_left: Option<i64>,
    /// The warning window this app is judged by (its own, or the vault's).
    pub verification_window_days: u32,
    #[serde(skip)]
    pub icp: Known<String>,
    #[serde(rename = "icp")]
    pub icp_state: Recorded,
    pub icp_number: Option<String>,
    #[serde(skip)]
    pub admin_contact: Known<bool>,
    #[serde(rename = "admin_contact")]
    pub admin_contact_state: Recorded,
    pub people: People,
    pub rotations_due: Vec<RotationDue>,
    /// Rotations an owner waived: shown apart, never a problem.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rotations_waived: Vec<RotationWaived>,
    pub problems: Vec<Finding>,
}

/// How `status` judges: as of when, how far ahead, and whether to judge what it cannot read.
#[derive(Clone, Copy, Debug)]
pub struct Judging {
    pub now: OffsetDateTime,
    /// `--within DAYS`: what falls due within DAYS, replacing the verification window.
    pub within: Option<u32>,
    pub readable_only: bool,
}

/// Examines one app as of `judging.now`. `keyring` reads the team level when the reader may.
/// The checks add their problems in a fixed order, which the sort by severity keeps within a
/// severity.
pub fn app_health(
    vault: &Vault,
    keyring: Option<&mut Keyring>,
    name: &str,
    app: &App,
    judging: Judging,
) -> AppHealth {
    let rules = &vault.rules;
    let secrets = secrets::secret_ages(app, rules, judging.now);
    let rotations_due = rotations_due(vault, name);
    let mut problems = secrets::findings(name, &secrets, &rotations_due, judging.within);
    let facts = reader::read_facts(vault, keyring, name, &mut problems);
    if !judging.readable_only {
        records::unjudged(&facts.verification, &facts.icp, &mut problems);
    }
    let window = judging
        .within
        .unwrap_or_else(|| rules.verification_window_for(name));
    let today = judging.now.date();
    let verification =
        records::verification_state(name, facts.verification, window, today, &mut problems);
    problems.extend(records::missing_records(
        name,
        &facts.icp,
        &facts.admin_contact,
        rules,
    ));
    problems.extend(roster::key_gaps(vault, name, app));
    problems.sort_by_key(|p| std::cmp::Reverse(p.severity));
    let oldest = |pick: &dyn Fn(&SecretAge) -> bool| {
        secrets
            .iter()
            .filter(|s| pick(s))
            .filter_map(|s| s.age_days)
            .max()
    };
    AppHealth {
        app: name.to_string(),
        appid: app.appid.clone(),
        client: app.public.get("client").cloned(),
        state: problems
            .iter()
            .map(|p| p.severity)
            .max()
            .unwrap_or(Severity::Ok),
        appsecret_age_days: oldest(&|s| s.name == wechat::APPSECRET),
        oldest_secret_days: oldest(&|_| true),
        verified_until: verification.value().map(|v| v.until.clone()),
        verification_state: records::verification_word(&verification, window),
        verification_days_left: verification.value().map(|v| v.days_left),
        verification_window_days: window,
        icp_state: records::recorded(&facts.icp, |_| true),
        icp_number: facts.icp.value().cloned(),
        admin_contact_state: records::recorded(&facts.admin_contact, |set| *set),
        secrets,
        verification,
        icp: facts.icp,
        admin_contact: facts.admin_contact,
        people: roster::people(vault, app),
        rotations_due,
        rotations_waived: rotations_waived(vault, name),
        problems,
    }
}
