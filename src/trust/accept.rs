//! What this clone learns from a vault it accepts: its owners (and who stopped being one), who
//! left or lost levels, the policy to compare the next one with, and its secrets' versions; and
//! the `Guard` a write is held to, built from that memory. Pure: the caller saves the result.

use std::collections::{BTreeMap, BTreeSet};

use super::memory::{Left, Seen, SeenSecrets};
use super::secrets::check_secrets;
use crate::vault::guard::{Guard, SeenInApp};
use crate::vault::policy::{self, Policy};
use crate::vault::{DepartureKind, Vault};
use crate::wechat::Level;

/// A newer policy, signed by a trusted owner, becomes what this clone remembers. The policy
/// itself is built (and hashed) only when its signature is not the one remembered.
pub(super) fn accept(seen: &mut Seen, vault: &Vault) {
    let owners = owners_of(vault);
    for (key, handle) in &seen.owners {
        if !owners.contains_key(key) {
            seen.former_owners
                .insert(key.clone(), (handle.clone(), vault.revision));
        }
    }
    seen.former_owners.retain(|k, _| !owners.contains_key(k));
    seen.owners = owners;
    seen.departed = departed_in(vault, &seen.departed);
    seen.revision = vault.revision;
    seen.format = vault.format;
    if seen.policy_signature != signature_of(vault) || seen.policy_hash.is_empty() {
        remember_policy(seen, vault);
    }
}

fn signature_of(vault: &Vault) -> &str {
    vault.signature.as_ref().map_or("", |s| s.ed25519.as_str())
}

/// The vault's policy becomes the one remembered: its hash and signature here, the policy
/// itself for the side file.
fn remember_policy(seen: &mut Seen, vault: &Vault) {
    let policy = Policy::of(vault);
    seen.policy_hash = policy::hash(&policy.bytes());
    seen.policy_signature = signature_of(vault).to_string();
    seen.recent_policy = Some(policy);
}

/// Owners' signing keys → handles, as the vault's policy lists them.
pub(super) fn owners_of(vault: &Vault) -> BTreeMap<String, String> {
    vault
        .members
        .iter()
        .filter(|(_, m)| m.owner)
        .filter_map(|(h, m)| Some((m.signing_key.clone()?, h.clone())))
        .collect()
}

/// The departures the policy signs (format 3; none before).
fn departures_of(vault: &Vault) -> &[crate::vault::Departure] {
    if vault.format >= 3 {
        &vault.departures
    } else {
        &[]
    }
}

/// Who has left, by key, as of `policy`: earlier memory plus its departures, less what the
/// policy gives back (an owner re-added them, or granted the level again).
fn departed_in(vault: &Vault, known: &BTreeMap<String, Left>) -> BTreeMap<String, Left> {
    let mut departed = known.clone();
    for d in departures_of(vault) {
        if d.kind == DepartureKind::Demoted && d.lost.is_empty() {
            continue;
        }
        let entry = departed.entry(d.key.clone()).or_insert_with(|| Left {
            handle: d.handle.clone(),
            revision: d.revision,
            removed: false,
            lost: BTreeSet::new(),
        });
        if d.revision >= entry.revision {
            entry.revision = d.revision;
            entry.handle.clone_from(&d.handle);
        }
        entry.removed |= d.kind == DepartureKind::Removed;
        entry.lost.extend(d.lost.iter().cloned());
    }
    for (key, left) in &mut departed {
        let Some((handle, _)) = vault.members.iter().find(|(_, m)| m.key == *key) else {
            continue;
        };
        left.removed = false;
        left.lost.retain(|place| {
            let Some((app, level)) = place.split_once('/') else {
                return true;
            };
            let reads = vault
                .apps
                .get(app)
                .and_then(|a| {
                    a.data_keys
                        .get(&level.parse::<Level>().unwrap_or(Level::Admin))
                })
                .is_some_and(|k| k.readers.contains(handle));
            !reads
        });
    }
    departed.retain(|_, left| left.removed || !left.lost.is_empty());
    departed
}

/// What a write must respect, as this clone remembers the vault.
pub fn guard_of(seen: &Seen) -> Guard {
    // Slots are sorted, so each app's `app/NAME` slots are together: grouped in one pass, and
    // each app's name is allocated once.
    let mut apps: Vec<(String, SeenInApp)> = Vec::new();
    for (slot, v) in seen.secrets.iter() {
        let Some((app, name)) = slot.split_once('/') else {
            continue;
        };
        let (name, seen) = (name.to_string(), (v.version, v.level));
        match apps.last_mut() {
            Some((last, names)) if last == app => {
                names.insert(name, seen);
            }
            _ => apps.push((app.to_string(), BTreeMap::from([(name, seen)]))),
        }
    }
    Guard {
        departed: seen.departed.clone(),
        seen: apps.into_iter().collect(),
    }
}

/// What this clone remembers of a vault it trusts as it is now, secrets aside.
pub(super) fn first_memory(vault: &Vault, now: &str) -> Seen {
    let mut seen = Seen {
        vault_id: vault.vault_id.clone(),
        format: vault.format,
        revision: vault.revision,
        owners: owners_of(vault),
        former_owners: BTreeMap::new(),
        departed: departed_in(vault, &BTreeMap::new()),
        policy_hash: String::new(),
        policy_signature: String::new(),
        recent_policy: None,
        policy_file: None,
        verified: String::new(),
        secrets: SeenSecrets::default(),
        pinned_at: now.to_string(),
    };
    remember_policy(&mut seen, vault);
    seen
}

/// A fresh memory of `vault` as it is now, for `trust --repin` and after signing.
pub fn pin_now(vault: &Vault, now: &str) -> Seen {
    let mut seen = first_memory(vault, now);
    remember_secrets(vault, &mut seen, false);
    seen
}

/// After this clone's own write: the memory moves to the vault it wrote.
pub fn after_write(seen: Option<&Seen>, vault: &Vault, now: &str) -> Seen {
    let Some(seen) = seen else {
        return pin_now(vault, now);
    };
    let mut next = seen.clone();
    let older = vault.revision < seen.revision;
    if !older {
        accept(&mut next, vault);
    }
    remember_secrets(vault, &mut next, older);
    next
}

/// Records the vault's secrets in memory; the checks already passed when it was loaded.
fn remember_secrets(vault: &Vault, seen: &mut Seen, older: bool) {
    if let Ok((_, updates)) = check_secrets(vault, &seen.secrets, older) {
        seen.secrets.extend(updates);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wechat::Level;

    /// Apps whose names sort around each other ("a-b" < "a/" < "a0") keep their own secrets.
    #[test]
    fn the_guard_finds_every_remembered_secret_under_its_app() {
        let seen: Seen = serde_json::from_value(serde_json::json!({
            "vault_id": "id", "format": 3, "revision": 1, "owners": {}, "pinned_at": "t",
            "secrets": {
                "a-b/X": [1, "team", "t"],
                "a/Y": [2, "developer", "t"],
                "a/Z": [3, "admin", "t"],
                "a0/W": [4, "team", "t"],
            },
        }))
        .unwrap();
        let guard = guard_of(&seen);
        assert_eq!(guard.seen("a-b", "X"), Some((1, Level::Team)));
        assert_eq!(guard.seen("a", "Y"), Some((2, Level::Developer)));
        assert_eq!(guard.seen("a", "Z"), Some((3, Level::Admin)));
        assert_eq!(guard.seen("a0", "W"), Some((4, Level::Team)));
        assert_eq!(guard.seen("a", "X"), None);
        let count: usize = guard.seen.values().map(BTreeMap::len).sum();
        assert_eq!(count, 4);
    }
}
