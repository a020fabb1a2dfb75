//! What the commits git's refs reach still hold of a vault, so that what this clone saw only in
//! discarded work is forgotten rather than locking its owner out. The one place trust asks git;
//! what to forget is decided in `judge`.

use std::path::Path;

use super::judge::{self, Held};
use super::memory::Seen;
use crate::vault::{policy, Vault};

/// What this clone saw only in states that no git ref (branch, tag, remote-tracking branch,
/// stash) holds any longer is forgotten where it would refuse `vault`: work that was thrown
/// away must not lock its owner out. What a ref still holds is kept, so a rollback pushed on
/// top of a departure is still refused. Returns the memory that is left and a line saying so;
/// None when nothing is forgotten (outside git, nothing ever is).
pub fn forget_unheld(
    seen: &Seen,
    vault: &Vault,
    path: &Path,
    for_write: bool,
) -> Option<(Seen, String)> {
    if seen.vault_id != vault.vault_id || !judge::memory_would_refuse(seen, vault, for_write) {
        return None;
    }
    judge::forget(seen, &held(vault, path, seen)?)
}

/// What the vault file and the commits that git's refs reach hold of this vault id, counting
/// only states signed by an owner this clone trusts or trusted (a pushed forgery at a high
/// revision would otherwise keep a discarded state remembered); None outside git, where
/// there are no refs to consult.
fn held(vault: &Vault, path: &Path, seen: &Seen) -> Option<Held> {
    let committed = crate::git::committed_versions(path, crate::vault::limits::MAX_FILE_BYTES)?;
    let mut held = Held::default();
    held.add(vault.revision, vault_versions(vault));
    for bytes in committed {
        // A file of another vault, or one that does not parse, holds nothing of this one.
        let Ok(state) = Vault::parse(&bytes) else {
            continue;
        };
        let trusted = policy::verify(&state).is_some_and(|key| {
            seen.owners.contains_key(&key) || seen.former_owners.contains_key(&key)
        });
        if state.vault_id == vault.vault_id && trusted {
            held.add(state.revision, vault_versions(&state));
        }
    }
    Some(held)
}

/// Each secret's highest version in `vault`, by `app/NAME`.
fn vault_versions(vault: &Vault) -> impl Iterator<Item = (String, u64)> + '_ {
    vault.apps.iter().flat_map(|(app, a)| {
        a.secrets.iter().map(move |(name, s)| {
            let version = s.versions.iter().filter_map(|v| v.version).max();
            (format!("{app}/{name}"), version.unwrap_or(0))
        })
    })
}
