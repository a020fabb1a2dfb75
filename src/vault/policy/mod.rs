//! The policy: who may read what, signed by an owner with Ed25519. The signed facts are
//! `facts`' (`Policy`), the signature and the digests a clone keeps `signature`'s; the rest
//! reviews a change from one policy to another, which `sign`, the merge driver, `audit` and
//! trust's refusals all show: members and apps (`roster_changes`), the signed records
//! (`record_changes`) and the health rules (`rule_changes`), each as a `Change`.

mod change;
mod facts;
mod record_changes;
mod roster_changes;
mod rule_changes;
mod signature;

use std::collections::BTreeMap;

pub use change::Change;
pub use facts::{Policy, PolicyApp, PolicyKey, PolicyMember};
use record_changes::{
    departure_changes, invitation_changes, return_changes, tombstone_changes, waiver_changes,
};
use roster_changes::{app_changes, member_changes};
use rule_changes::rule_changes;
pub use signature::{hash, sign, signature_digest, signed_bytes, verify, verify_bytes};

/// The first change from `old` to `new`, said the way a person would check it.
pub fn describe_change(old: &Policy, new: &Policy) -> Option<String> {
    changes(old, new).into_iter().next().map(|c| c.what)
}

/// Every change from `old` to `new` that decides who reads what, one line each.
pub fn describe_changes(old: &Policy, new: &Policy) -> Vec<String> {
    changes(old, new).iter().map(Change::line).collect()
}

/// Every change from `old` to `new`, field by field: members' keys, signing keys and owner
/// flags, AppIDs, roles, each level's readers and key, floors, departures and rules. Owner
/// promotions and owners' key changes come first. The revision is left to the caller.
pub fn changes(old: &Policy, new: &Policy) -> Vec<Change> {
    let mut out = Vec::new();
    member_changes(old, new, &mut out);
    for (name, app) in &new.apps {
        match old.apps.get(name) {
            Some(o) => {
                app_changes(name, o, app, &mut out);
            }
            None if renamed_from(old, new, app).is_some() => {
                let (was, o) = renamed_from(old, new, app).expect("just found");
                out.push(Change::new(format!("app '{was}' was renamed to '{name}'")));
                app_changes(name, o, app, &mut out);
            }
            None => {
                out.push(
                    Change::new(format!("app '{name}' was added"))
                        .detail(format!(" (AppID {})", app.appid)),
                );
                let empty = PolicyApp {
                    appid: app.appid.clone(),
                    roster: BTreeMap::new(),
                    data_keys: BTreeMap::new(),
                    floors: None,
                    public: None,
                    services: None,
                };
                app_changes(name, &empty, app, &mut out);
            }
        }
    }
    for (name, app) in old.apps.iter().filter(|(n, _)| !new.apps.contains_key(*n)) {
        if !new.apps.values().any(|a| a.appid == app.appid) {
            out.push(Change::new(format!("app '{name}' was removed")));
        }
    }
    departure_changes(old, new, &mut out);
    return_changes(old, new, &mut out);
    waiver_changes(old, new, &mut out);
    tombstone_changes(old, new, &mut out);
    invitation_changes(old, new, &mut out);
    rule_changes(&old.rules, &new.rules, &mut out);
    // Stable: owner changes first, everything else in the order above.
    out.sort_by_key(|c| c.owner_change.is_none());
    out
}

/// The app of `old` that `app` (new in `new`) was renamed from: gone from `new`, same AppID.
fn renamed_from<'p>(
    old: &'p Policy,
    new: &Policy,
    app: &PolicyApp,
) -> Option<(&'p str, &'p PolicyApp)> {
    old.apps
        .iter()
        .find(|(n, o)| o.appid == app.appid && !new.apps.contains_key(*n))
        .map(|(n, o)| (n.as_str(), o))
}
