//! Who holds which role after a merge. Roles combine as sets, so two branches that each
//! granted or revoked something both take effect; what a set union cannot decide safely (a
//! member removed on one side, a level one side took and the other gives back) conflicts.

use std::collections::{BTreeMap, BTreeSet};

use super::merged::Merged;
use crate::vault::access;
use crate::vault::model::Vault;
use crate::wechat::{Level, Role};

/// Roles merge as sets, never as a conflict: a role stays where both sides hold it or one side
/// added it, and goes where either side took it away from the ancestor. A member left with no
/// role leaves the roster (as `role revoke` does).
pub(super) fn merge_roster(
    base: &BTreeMap<String, Vec<Role>>,
    ours: &BTreeMap<String, Vec<Role>>,
    theirs: &BTreeMap<String, Vec<Role>>,
) -> BTreeMap<String, Vec<Role>> {
    let handles: BTreeSet<&String> = base
        .keys()
        .chain(ours.keys())
        .chain(theirs.keys())
        .collect();
    let mut out = BTreeMap::new();
    for handle in handles {
        let held = |m: &BTreeMap<String, Vec<Role>>| m.get(handle).cloned().unwrap_or_default();
        let (b, o, t) = (held(base), held(ours), held(theirs));
        let mut roles: Vec<Role> = o
            .iter()
            .chain(&t)
            .filter(|r| (o.contains(r) && t.contains(r)) || !b.contains(r))
            .copied()
            .collect();
        roles.sort();
        roles.dedup();
        if !roles.is_empty() {
            out.insert(handle.clone(), roles);
        }
    }
    out
}

/// A member removed on one side and given roles on the other conflicts.
pub(super) fn check_roster(merged: &mut Merged) {
    for (name, app) in &merged.vault.apps {
        for handle in app.roster.keys() {
            if !merged.vault.members.contains_key(handle) {
                merged.conflicts.push(format!(
                    "apps/{name}/roster/{handle}: '{handle}' was removed from the vault on one side and given roles on the other"
                ));
            }
        }
    }
}

/// Roles merged as sets must not undo a revoke: a level one side took from someone (a new
/// departure there) that the merged roster gives back through the other side's roles
/// conflicts. An owner gives it back after the merge, knowingly.
pub(super) fn check_given_back(merged: &mut Merged, base: &Vault, sides: [&Vault; 2]) {
    for side in sides {
        for d in side
            .departures
            .iter()
            .filter(|d| !base.departures.contains(d))
        {
            for (app, level) in Level::ALL.iter().flat_map(|l| {
                d.lost.iter().filter_map(move |place| {
                    let app = place.strip_suffix(&format!("/{l}"))?;
                    Some((app, *l))
                })
            }) {
                let regained = access::can_read(&merged.vault, app, level, &d.handle)
                    && !access::can_read(side, app, level, &d.handle);
                let path = format!("apps/{app}/roster/{}", d.handle);
                if regained && !merged.conflicts.iter().any(|c| c.starts_with(&path)) {
                    merged.conflicts.push(format!(
                        "{path}: one side took the {level} level from '{}' and the other side's roles give it back; keep the side that took it and give it back with `mpvault role grant` if that is meant",
                        d.handle
                    ));
                }
            }
        }
    }
}
