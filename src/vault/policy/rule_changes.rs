//! What changed in the health rules, each rule said as a person reads it.

use std::collections::BTreeSet;

use super::change::Change;
use crate::vault::rules::Rules;

/// Each health rule that changed. Every line starts "the health rules changed", which is
/// what an error names.
pub(super) fn rule_changes(old: &Rules, new: &Rules, out: &mut Vec<Change>) {
    let before = out.len();
    let mut changed = |what: String| {
        out.push(Change::new("the health rules changed".to_string()).detail(format!(": {what}")));
    };
    let age = |days: Option<u32>| {
        days.map_or("no age limit".to_string(), |d| {
            format!("at most {d} days old")
        })
    };
    let (was, now) = (old.max_ages(), new.max_ages());
    let names: BTreeSet<&String> = was.keys().chain(now.keys()).collect();
    for name in names {
        let (before, after) = (old.max_age(name), new.max_age(name));
        if before != after {
            let after = match after {
                None => "has no age limit".to_string(),
                Some(d) => format!("may be at most {d} days old"),
            };
            changed(format!("{name} {after} (was {})", age(before)));
        }
    }
    if old.verification_window() != new.verification_window() {
        changed(format!(
            "verification expiry is flagged {} days ahead (was {})",
            new.verification_window(),
            old.verification_window()
        ));
    }
    let apps: BTreeSet<&String> = old
        .app_verification_window_days
        .keys()
        .chain(new.app_verification_window_days.keys())
        .collect();
    for app in apps {
        let (before, after) = (
            old.verification_window_for(app),
            new.verification_window_for(app),
        );
        if before != after {
            changed(format!(
                "verification expiry of {app} is flagged {after} days ahead (was {before})"
            ));
        }
    }
    if old.icp_required() != new.icp_required() {
        changed(if new.icp_required() {
            "an ICP filing number is required again".to_string()
        } else {
            "an ICP filing number is no longer required".to_string()
        });
    }
    if old != new && out.len() == before {
        // The signed bytes differ (a default spelled out, say) though every rule reads the same.
        out.push(
            Change::new("the health rules changed".to_string())
                .detail(": written differently, with the same effect".to_string()),
        );
    }
}
