//! The keyed work a merge still needs once it is combined on structure, done as the person
//! merging: re-seal each value sealed under a key the other side replaced, make the later of
//! two rotations current at the next number, and, for an owner, re-wrap every level to the
//! merged readers. What they cannot do is named with who can, so the merge stops with a way
//! out rather than a vault someone cannot read.

use std::collections::BTreeSet;

use super::fields::{counterpart, place, value_at};
use super::history::next_number;
use super::merged::{Merged, Reseal, Side, Sides, Stop};
use super::signature::{member_of, merging_owner};
use crate::error::Result;
use crate::key::Identity;
use crate::vault::guard::Guard;
use crate::vault::model::{Field, Sealed, Vault};
use crate::vault::{access, Keyring};
use crate::wechat::Level;

/// Re-seals and renumbers what the merge needs as the person merging; an owner also re-wraps
/// every level to the merged readers. Says what it did in `done`; `Some` when that cannot be
/// done here.
pub fn bring_up_to_date(
    merged: &mut Merged,
    sides: &Sides,
    identity: Option<&Identity>,
    guard: &Guard,
    done: &mut Vec<String>,
) -> Result<Option<Stop>> {
    let owner = merging_owner(&merged.vault, identity).is_some();
    if merged.reseal.is_empty()
        && merged.renumber.is_empty()
        && (!owner || merged.rewrap.is_empty())
    {
        return Ok(None);
    }
    let Some(identity) = identity.filter(|i| member_of(&merged.vault, i).is_some()) else {
        return Ok(Some(Stop {
            paths: pending(merged, sides),
            why: Some("nobody merging: no identity of a member was found"),
            needs_owner: false,
        }));
    };
    let unable = reseal(merged, sides, identity, guard, done)?;
    if !unable.is_empty() {
        return Ok(Some(Stop {
            paths: unable,
            why: None,
            needs_owner: false,
        }));
    }
    if owner {
        rewrap(merged, identity, guard, done)?;
    }
    Ok(None)
}

/// An owner re-wraps every level to the merged readers; a data key that either side wrapped
/// to someone the merged roster leaves out is replaced.
fn rewrap(
    merged: &mut Merged,
    identity: &Identity,
    guard: &Guard,
    done: &mut Vec<String>,
) -> Result<()> {
    let mut keyring = Keyring::open(&merged.vault, identity, guard.clone())?;
    let apps: Vec<String> = merged.vault.apps.keys().cloned().collect();
    for app in &apps {
        let replace = merged.exposed.iter().any(|((a, level), exposed)| {
            a == app && !exposed.is_subset(&access::readers(&merged.vault, app, *level))
        });
        let replaced = keyring.sync_readers(&mut merged.vault, app, replace)?;
        if !replaced.is_empty() {
            done.push(format!(
                "replaced the data keys of {app} that reached someone the merged roster leaves out"
            ));
        }
    }
    Ok(())
}

/// One value to carry from a side into the merged vault, re-sealed as the person merging.
struct Task {
    app: String,
    field: Field,
    /// The version's index in the merged secret's history (0 for other values).
    index: usize,
    level: Level,
    /// The copy whose data key opens it now.
    from: Side,
    /// The new number of a rotation made current; `None` for a value under a replaced key.
    renumber: Option<u64>,
}

impl Task {
    /// The later of two rotations of secret `name`, made current at the next number.
    fn renumber(merged: &Merged, sides: &Sides, guard: &Guard, app: &str, name: &str) -> Self {
        let field = Field::Secret(name.to_string());
        let secret = &merged.vault.apps[app].secrets[name];
        let seen = guard.seen(app, name).map_or(0, |(v, _)| v);
        let current = &secret.versions[0];
        let from = [Side::Ours, Side::Theirs]
            .into_iter()
            .find(|side| counterpart(sides.get(*side), app, &field, current).is_some())
            .unwrap_or(Side::Ours);
        Task {
            app: app.to_string(),
            field,
            index: 0,
            level: secret.access,
            from,
            renumber: Some(next_number(secret, seen)),
        }
    }

    /// A value sealed under a key the other side replaced.
    fn reseal(r: &Reseal) -> Self {
        Task {
            app: r.app.clone(),
            field: r.field.clone(),
            index: r.index,
            level: r.level,
            from: r.from,
            renumber: None,
        }
    }

    /// What the person merging could not do, naming who can.
    fn unable(&self, merged: &Merged, sides: &Sides) -> String {
        let (app, path, level) = (&self.app, self.field.path(), self.level);
        if self.renumber.is_some() {
            let who = who_can(merged, sides, app, level, None);
            format!("apps/{app}/{path}: both sides rotated it and the later value must be renumbered by someone who reads its level ({who})")
        } else {
            let who = who_can(merged, sides, app, level, Some(self.from));
            format!("apps/{app}/{path}: sealed under the {level} key the other side replaced; re-sealing it takes someone who reads that level on both sides ({who})")
        }
    }
}

/// What the person merging must re-seal: renumbered rotations first, so a value renumbered
/// is not also re-sealed as it was, then the values under a key the other side replaced.
fn tasks(merged: &Merged, sides: &Sides, guard: &Guard) -> Vec<Task> {
    merged
        .renumber
        .iter()
        .map(|(app, name)| Task::renumber(merged, sides, guard, app, name))
        .chain(merged.reseal.iter().map(Task::reseal))
        .collect()
}

/// Carries each task's value into the merged vault as the person merging. Returns what they
/// could not do, naming who can.
fn reseal(
    merged: &mut Merged,
    sides: &Sides,
    identity: &Identity,
    guard: &Guard,
    done: &mut Vec<String>,
) -> Result<Vec<String>> {
    let tasks = tasks(merged, sides, guard);
    let mut side_keyrings = [
        Keyring::open(sides.ours, identity, guard.clone()).ok(),
        Keyring::open(sides.theirs, identity, guard.clone()).ok(),
    ];
    let mut keyring = Keyring::open(&merged.vault, identity, guard.clone())?;
    let mut unable = Vec::new();
    let mut resealed = Vec::new();
    let mut count = 0;
    for task in tasks {
        // A rotation renumbered here is re-sealed already.
        let place_of = (task.app.clone(), task.field.clone(), task.index);
        if resealed.contains(&place_of) {
            continue;
        }
        let app = merged.vault.apps.get(&task.app).expect("merged app");
        let Some(sealed) = value_at(app, &task.field, task.index) else {
            continue;
        };
        let carried = carry(
            &mut keyring,
            &mut side_keyrings,
            sides,
            &merged.vault,
            &task,
            sealed,
        )?;
        let Some(sealed) = carried else {
            unable.push(task.unable(merged, sides));
            continue;
        };
        place(
            &mut merged.vault,
            &task.app,
            &task.field,
            task.index,
            sealed,
        );
        resealed.push(place_of);
        match task.renumber {
            Some(number) => done.push(format!(
                "{} of {}: the later rotation is current as version {number}",
                task.field.name(),
                task.app
            )),
            None => count += 1,
        }
    }
    if count > 0 {
        done.push(format!(
            "re-sealed {count} value(s) under the merged data keys"
        ));
    }
    Ok(unable)
}

/// Whether `handle` holds the data key of the level `field` of `app` is stored at in `vault`.
pub(super) fn holds_key(vault: &Vault, app: &str, field: &Field, handle: &str) -> bool {
    vault.apps.get(app).is_some_and(|a| {
        a.data_keys
            .get(&a.level_of(field))
            .is_some_and(|k| k.readers.iter().any(|r| r == handle))
    })
}

/// Decrypts a value as the side it came from holds it (checking its writer there) and seals
/// it into the merged vault as the person merging. None when they cannot read it on one side.
fn carry(
    keyring: &mut Keyring,
    side_keyrings: &mut [Option<Keyring>; 2],
    sides: &Sides,
    merged: &Vault,
    task: &Task,
    sealed: Sealed,
) -> Result<Option<Sealed>> {
    let Some(side_keyring) = side_keyrings[task.from as usize].as_mut() else {
        return Ok(None);
    };
    // Whether the person merging holds both data keys; any other refusal (a writer who
    // cannot sign, a reader this clone saw leave) stops the merge as it is.
    let actor = keyring.actor.clone();
    let side = sides.get(task.from);
    if !holds_key(side, &task.app, &task.field, &actor)
        || !holds_key(merged, &task.app, &task.field, &actor)
    {
        return Ok(None);
    }
    let plain = side_keyring.open_copy(side, &task.app, &task.field, &sealed)?;
    keyring
        .reseal_copy(
            merged,
            &task.app,
            &task.field,
            sealed,
            task.renumber,
            &plain,
        )
        .map(Some)
}

/// Members who can read `level` of `app` in the merged vault and, for a value from one side,
/// in that side's copy too.
fn who_can(merged: &Merged, sides: &Sides, app: &str, level: Level, from: Option<Side>) -> String {
    let readers = |v: &Vault| -> BTreeSet<String> {
        v.apps
            .get(app)
            .and_then(|a| a.data_keys.get(&level))
            .map(|k| k.readers.iter().cloned().collect())
            .unwrap_or_default()
    };
    let mut can = readers(&merged.vault);
    if let Some(side) = from {
        can = can
            .intersection(&readers(sides.get(side)))
            .cloned()
            .collect();
    }
    if can.is_empty() {
        return "nobody can; keep one side and redo the other's change".to_string();
    }
    format!(
        "{} can finish this merge",
        can.into_iter().collect::<Vec<_>>().join(", ")
    )
}

/// What is left to do when nobody with a key is merging.
fn pending(merged: &Merged, sides: &Sides) -> Vec<String> {
    let mut out = Vec::new();
    for r in &merged.reseal {
        out.push(format!(
            "apps/{}/{}: sealed under the {} key the other side replaced ({})",
            r.app,
            r.field.path(),
            r.level,
            who_can(merged, sides, &r.app, r.level, Some(r.from))
        ));
    }
    for (app, name) in &merged.renumber {
        let level = merged.vault.apps[app].secrets[name].access;
        out.push(format!(
            "apps/{app}/secrets/{name}: both sides rotated it and the later value must be renumbered ({})",
            who_can(merged, sides, app, level, None)
        ));
    }
    out
}
