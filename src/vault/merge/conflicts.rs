//! What stops a merge before anything is re-sealed: what cannot be combined on structure,
//! values set differently on both sides, and a policy only an owner can sign when the person
//! merging is not one. All of them are found at once, so the person merging sees every
//! conflict in one go. A value both sides set to the same text is no conflict, when the person
//! merging can read both copies to tell.

use super::fields::{place, value_at};
use super::merged::{Contested, Merged, Reseal, Side, Sides, Stop};
use super::reseal::holds_key;
use super::signature::{merging_owner, policy_of_a_side};
use crate::error::Result;
use crate::key::Identity;
use crate::vault::guard::Guard;
use crate::vault::model::Vault;
use crate::vault::policy::{self, Policy};
use crate::vault::Keyring;
use crate::wechat::Level;

/// Every conflict of the merge, or `None` when it can go on. Takes the conflicts found on
/// structure out of `merged`, and settles the contested values it can.
pub fn conflicts(
    merged: &mut Merged,
    base: &Vault,
    sides: &Sides,
    identity: Option<&Identity>,
    guard: &Guard,
) -> Result<Option<Stop>> {
    let mut paths = std::mem::take(&mut merged.conflicts);
    paths.extend(settle_contested(merged, sides, identity, guard)?);
    let needs_owner =
        merging_owner(&merged.vault, identity).is_none() && !policy_of_a_side(&merged.vault, sides);
    if needs_owner {
        paths.push(ask_an_owner(base, sides, &merged.vault));
    }
    if paths.is_empty() {
        return Ok(None);
    }
    Ok(Some(Stop {
        paths,
        why: None,
        needs_owner,
    }))
}

/// A value both sides set is no conflict when the person merging reads both and they hold the
/// same text (two people pasting the same new URL): the later one is kept. Returns the paths
/// that still conflict.
fn settle_contested(
    merged: &mut Merged,
    sides: &Sides,
    identity: Option<&Identity>,
    guard: &Guard,
) -> Result<Vec<String>> {
    let contested = std::mem::take(&mut merged.contested);
    let mut unresolved = Vec::new();
    let mut keyrings = identity.map(|i| {
        [
            Keyring::open(sides.ours, i, guard.clone()).ok(),
            Keyring::open(sides.theirs, i, guard.clone()).ok(),
        ]
    });
    for c in contested {
        let differ = format!("{}: changed differently on both sides", c.path());
        let ours = sides
            .ours
            .apps
            .get(&c.app)
            .and_then(|a| value_at(a, &c.field, 0));
        let (Some([Some(ok), Some(tk)]), Some(ours)) = (keyrings.as_mut(), ours) else {
            unresolved.push(differ);
            continue;
        };
        let actor = ok.actor.clone();
        if !holds_key(sides.ours, &c.app, &c.field, &actor)
            || !holds_key(sides.theirs, &c.app, &c.field, &actor)
        {
            unresolved.push(differ);
            continue;
        }
        let same = *ok.open_copy(sides.ours, &c.app, &c.field, &ours)?
            == *tk.open_copy(sides.theirs, &c.app, &c.field, &c.theirs)?;
        if !same {
            unresolved.push(differ);
            continue;
        }
        if c.theirs.set_at.is_later_than(&ours.set_at) {
            keep_theirs(merged, sides, c);
        }
    }
    Ok(unresolved)
}

/// Keeps their copy of a contested value, to be re-sealed from their side when the merged
/// vault keeps another team key.
fn keep_theirs(merged: &mut Merged, sides: &Sides, c: Contested) {
    merged
        .reseal
        .retain(|r| !(r.app == c.app && r.field == c.field));
    let level = Level::Team;
    let commitment = |v: &Vault| {
        v.apps
            .get(&c.app)
            .and_then(|a| a.data_keys.get(&level))
            .and_then(|k| k.commitment.clone())
    };
    if commitment(sides.theirs) != commitment(&merged.vault) {
        merged.reseal.push(Reseal {
            app: c.app.clone(),
            level,
            field: c.field.clone(),
            index: 0,
            from: Side::Theirs,
        });
    }
    place(&mut merged.vault, &c.app, &c.field, 0, c.theirs);
}

/// The conflict when both sides changed who may read what and the person merging is not an
/// owner: what each side changed, and who can sign the combination.
fn ask_an_owner(base: &Vault, sides: &Sides, merged: &Vault) -> String {
    let before = Policy::of(base);
    let changed = |side: &Vault| {
        let changes = policy::describe_changes(&before, &Policy::of(side));
        let shown = changes
            .iter()
            .take(3)
            .cloned()
            .collect::<Vec<_>>()
            .join("; ");
        match changes.len() {
            0 => "[its policy]".to_string(),
            n if n > 3 => format!("[{shown}; and {} more]", n - 3),
            _ => format!("[{shown}]"),
        }
    };
    let owners: Vec<String> = Policy::of(merged).owners().into_keys().collect();
    format!(
        "who may read what: changed on both sides (ours: {}; theirs: {}), and only an owner can sign the two together; ask an owner ({}) to merge these branches",
        changed(sides.ours),
        changed(sides.theirs),
        owners.join(", ")
    )
}
