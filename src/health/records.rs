//! The app's records in the console that lapse or go missing: the yearly verification (认证),
//! the ICP filing (备案) and a way to reach the administrator. Each is judged from what this
//! reader can see, and `status --json` shows each as one word.

use serde::Serialize;
use time::Date;

use super::{Finding, Known};
use crate::vault::Rules;

#[derive(Clone, Debug, Serialize)]
pub struct Verification {
    pub until: String,
    pub days_left: i64,
}

/// Whether a fact is recorded, in `status --json`: one word, never an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Recorded {
    Recorded,
    Missing,
    /// This reader cannot read it (no key to the app's team level).
    Unknown,
}

/// The yearly verification in `status --json`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VerificationState {
    Ok,
    /// Within the warning window.
    Due,
    Expired,
    Missing,
    Unknown,
}

/// An ICP number the rules require, and a way to reach the administrator, that are not recorded.
pub(super) fn missing_records(
    name: &str,
    icp: &Known<String>,
    admin_contact: &Known<bool>,
    rules: &Rules,
) -> Vec<Finding> {
    let mut out = Vec::new();
    if *icp == Known::Missing && rules.icp_required() {
        out.push(Finding::due(
            "no ICP filing (备案) number is recorded",
            format!("file it under 账户设置 → ICP filing in the console, then `mpvault app set {name} --icp NUMBER`"),
        ));
    }
    if *admin_contact == Known::Set(false) {
        out.push(Finding::due(
            "no administrator contact is recorded",
            format!("`mpvault app contact {name}` asks for the 管理员's name, WeChat ID, email and phone"),
        ));
    }
    out
}

pub(super) fn recorded<T>(known: &Known<T>, set: impl Fn(&T) -> bool) -> Recorded {
    match known {
        Known::Set(value) if set(value) => Recorded::Recorded,
        Known::Set(_) | Known::Missing => Recorded::Missing,
        Known::Unknown => Recorded::Unknown,
    }
}

pub(super) fn verification_word(known: &Known<Verification>, window: u32) -> VerificationState {
    match known {
        Known::Set(v) if v.days_left < 0 => VerificationState::Expired,
        Known::Set(v) if v.days_left <= i64::from(window) => VerificationState::Due,
        Known::Set(_) => VerificationState::Ok,
        Known::Missing => VerificationState::Missing,
        Known::Unknown => VerificationState::Unknown,
    }
}

/// A fact an earlier vault keeps encrypted, which this runner cannot open: `status` would judge
/// the app differently for different readers, so it says so.
pub(super) fn unjudged(
    verification: &Known<String>,
    icp: &Known<String>,
    problems: &mut Vec<Finding>,
) {
    for (fact, known) in [
        ("verification (认证) expiry", verification),
        ("ICP number", icp),
    ] {
        if *known == Known::Unknown {
            problems.push(Finding::due(
                format!("its {fact} is encrypted, so it cannot be judged without a team-level key"),
                "an owner runs `mpvault sign` to make it public, or pass --readable-only to judge only what you can read",
            ));
        }
    }
}

pub(super) fn verification_state(
    app: &str,
    recorded: Known<String>,
    window: u32,
    today: Date,
    problems: &mut Vec<Finding>,
) -> Known<Verification> {
    let until = match recorded {
        Known::Set(text) => text,
        Known::Missing => {
            problems.push(Finding::due(
                "no verification (认证) expiry is recorded",
                format!("find it under 账户设置 → 微信认证, then `mpvault app set {app} --verified-until YYYY-MM-DD`"),
            ));
            return Known::Missing;
        }
        Known::Unknown => return Known::Unknown,
    };
    let Ok(date) = crate::date::parse_date(&until) else {
        problems.push(Finding::broken(
            "the recorded verification expiry is not a date",
            format!("`mpvault app set {app} --verified-until YYYY-MM-DD`"),
        ));
        return Known::Missing;
    };
    let until = date.to_string();
    let days_left = (date - today).whole_days();
    let renew = format!("renew it under 账户设置 → 微信认证 (CN¥300), then `mpvault app set {app} --verified-until NEW-DATE`");
    if days_left < 0 {
        problems.push(Finding::broken(
            format!(
                "the verification (认证) expired on {until}, {} days ago",
                -days_left
            ),
            renew,
        ));
    } else if days_left <= i64::from(window) {
        problems.push(Finding::due(
            format!("the verification (认证) expires on {until}, in {days_left} days"),
            renew,
        ));
    }
    Known::Set(Verification { until, days_left })
}
