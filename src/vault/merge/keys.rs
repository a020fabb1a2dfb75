//! Which data key each level of a merged app keeps, and what that means for its values. Both
//! sides may have replaced a key (a member left on each); the merge keeps one, marks the app
//! for re-wrapping when its readers differ from the merged roster, and lists each value still
//! sealed under the key it did not keep, unless the other side holds the same value under the
//! kept key already.

use std::collections::{BTreeMap, BTreeSet};

use super::apps::same_sealed;
use super::fields::{find, holds, sealed_mut};
use super::merged::{Merged, Reseal, Side};
use crate::vault::model::{Sealed, Vault, WrappedKey};
use crate::vault::{access, transition};
use crate::wechat::Level;

/// Picks the data key each level of `name` keeps, and lists the values sealed under another.
pub(super) fn settle_keys(
    merged: &mut Merged,
    base: &Vault,
    ours: &Vault,
    theirs: &Vault,
    name: &str,
) {
    let chosen = choose_keys(merged, base, [ours, theirs], name);
    let Some(app) = merged.vault.apps.get_mut(name) else {
        return;
    };
    for (level, key) in &chosen {
        app.data_keys.insert(*level, key.clone());
    }
    list_reseals(merged, [ours, theirs], name, &chosen);
}

fn key_of(vault: &Vault, app: &str, level: Level) -> Option<WrappedKey> {
    vault
        .apps
        .get(app)
        .and_then(|a| a.data_keys.get(&level))
        .cloned()
}

fn commitment(vault: &Vault, app: &str, level: Level) -> Option<String> {
    key_of(vault, app, level).and_then(|k| k.commitment)
}

/// The key each level of `name` keeps. Records the app for re-wrapping when a kept key's
/// readers are not the merged readers, and everyone each kept key was ever wrapped to.
fn choose_keys(
    merged: &mut Merged,
    base: &Vault,
    [ours, theirs]: [&Vault; 2],
    name: &str,
) -> BTreeMap<Level, WrappedKey> {
    let mut chosen_keys = BTreeMap::new();
    for level in Level::ALL {
        let wanted = access::readers(&merged.vault, name, level);
        let (b, o, t) = (
            key_of(base, name, level),
            key_of(ours, name, level),
            key_of(theirs, name, level),
        );
        let Some((key, side)) = choose_key(b.as_ref(), o.as_ref(), t.as_ref(), &wanted) else {
            continue;
        };
        let other = match side {
            Side::Ours => t.as_ref(),
            Side::Theirs => o.as_ref(),
        };
        // Every list the same data key was wrapped to: if it reached someone the merged roster
        // leaves out, the key is replaced, not just re-wrapped.
        let mut exposed: BTreeSet<String> = key.readers.iter().cloned().collect();
        if let Some(other) = other.filter(|k| k.commitment == key.commitment) {
            exposed.extend(other.readers.iter().cloned());
        }
        if exposed != wanted || key.readers.iter().cloned().collect::<BTreeSet<_>>() != wanted {
            merged.rewrap.insert(name.to_string());
        }
        merged.exposed.insert((name.to_string(), level), exposed);
        chosen_keys.insert(level, key);
    }
    chosen_keys
}

/// What becomes of a value sealed under a key the merge did not keep.
enum Settle {
    /// The other side holds the same value under the kept key: take that copy.
    Twin(Sealed),
    /// Someone who reads it must re-seal it, opening it on the side it came from.
    Reseal(Side),
}

/// Lists the values of `name` sealed under a key other than the one kept, taking the other
/// side's copy where it already is under the kept key.
fn list_reseals(
    merged: &mut Merged,
    [ours, theirs]: [&Vault; 2],
    name: &str,
    chosen: &BTreeMap<Level, WrappedKey>,
) {
    let Some(app) = merged.vault.apps.get_mut(name) else {
        return;
    };
    let sides = [(Side::Ours, ours), (Side::Theirs, theirs)];
    let mut settle = Vec::new();
    for (field, index, level, sealed) in transition::values(app) {
        let Some(kept) = chosen.get(&level).and_then(|k| k.commitment.clone()) else {
            continue;
        };
        // Where this exact ciphertext came from, and whether the other side holds the same
        // value sealed under the key the merge keeps.
        let origin = sides
            .iter()
            .find(|(_, v)| holds(v, name, &field, |s| s == sealed))
            .map(|(side, _)| *side);
        let Some(origin) = origin else { continue };
        let origin_vault = if origin == Side::Ours { ours } else { theirs };
        if commitment(origin_vault, name, level).as_deref() == Some(kept.as_str()) {
            continue;
        }
        let twin = sides.iter().find_map(|(_, v)| {
            (commitment(v, name, level).as_deref() == Some(kept.as_str()))
                .then(|| find(v, name, &field, |s| same_sealed(s, sealed)))
                .flatten()
        });
        let how = twin.map_or(Settle::Reseal(origin), Settle::Twin);
        settle.push((field, index, level, how));
    }
    for (field, index, level, how) in settle {
        match how {
            Settle::Twin(twin) => *sealed_mut(app, &field, index).expect("listed above") = twin,
            Settle::Reseal(from) => merged.reseal.push(Reseal {
                app: name.to_string(),
                level,
                field,
                index,
                from,
            }),
        }
    }
}

/// The key a level keeps: the side that changed it; where both did, one whose readers the
/// merged roster still allows (so no one left out ever held it), else ours (to be replaced).
fn choose_key(
    base: Option<&WrappedKey>,
    ours: Option<&WrappedKey>,
    theirs: Option<&WrappedKey>,
    wanted: &BTreeSet<String>,
) -> Option<(WrappedKey, Side)> {
    match (ours, theirs) {
        (None, None) => None,
        (Some(o), None) => Some((o.clone(), Side::Ours)),
        (None, Some(t)) => Some((t.clone(), Side::Theirs)),
        (Some(o), Some(t)) => {
            if o == t || Some(t) == base {
                return Some((o.clone(), Side::Ours));
            }
            if Some(o) == base {
                return Some((t.clone(), Side::Theirs));
            }
            let allowed = |k: &WrappedKey| k.readers.iter().all(|r| wanted.contains(r));
            if !allowed(o) && allowed(t) {
                Some((t.clone(), Side::Theirs))
            } else {
                Some((o.clone(), Side::Ours))
            }
        }
    }
}
