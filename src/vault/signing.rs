//! Signing a change to who may read what, beside the policy it signs: the acting owner's key
//! at the revision after both the file's and the highest this clone accepted, and the floors an
//! owner's write records. Called by every write that changes the policy (`commands`, `sign`,
//! the merge driver), so the rule is kept once.

use super::guard::Guard;
use super::keyring::Keyring;
use super::model::Vault;
use crate::error::{Error, Result};
use crate::key::Identity;

/// An owner's write records each secret's level as its floor, so nobody can later store it
/// lower without an owner. A level this clone saw lowered by someone who could not read the
/// old one is left out rather than blessed.
pub fn record_floors(vault: &mut Vault, guard: &Guard) {
    for (app_name, app) in &mut vault.apps {
        for (name, secret) in &app.secrets {
            let seen = guard.seen(app_name, name).map(|(_, level)| level);
            if seen.is_some_and(|l| secret.access < l) {
                continue;
            }
            let floor = app.floors.entry(name.clone()).or_insert(secret.access);
            *floor = (*floor).max(secret.access);
        }
    }
}

/// Signs the vault's changed policy with the acting owner's key, at the revision after both
/// the file's and the highest this clone has accepted.
pub fn sign_change(
    vault: &mut Vault,
    keyring: &Keyring,
    identity: &Identity,
    seen: u64,
) -> Result<()> {
    keyring.require_owner(vault, "change who may read what")?;
    let Some(key) = &identity.signing else {
        return Err(Error::denied(
            "an SSH identity cannot sign the vault's roster",
            "owners use an mpvault identity (`mpvault identity new`)",
        ));
    };
    let public = crate::key::encode_signing_key(&key.verifying_key());
    let recorded = vault
        .members
        .get(&keyring.actor)
        .and_then(|m| m.signing_key.as_deref());
    if recorded != Some(public.as_str()) {
        return Err(Error::denied(
            format!(
                "{}'s signing key in the vault is not this identity's",
                keyring.actor
            ),
            "use the identity you were added with",
        ));
    }
    vault.revision = next_revision(vault.revision, seen)?;
    // Departures, returns and waivers recorded by this change carry the revision that signs
    // them.
    for d in vault.departures.iter_mut().filter(|d| d.revision == 0) {
        d.revision = vault.revision;
    }
    for r in vault.returns.iter_mut().filter(|r| r.revision == 0) {
        r.revision = vault.revision;
    }
    for w in vault.waivers.iter_mut().filter(|w| w.revision == 0) {
        w.revision = vault.revision;
    }
    for t in vault.tombstones.iter_mut().filter(|t| t.revision == 0) {
        t.revision = vault.revision;
    }
    super::policy::sign(vault, &keyring.actor, key)?;
    Ok(())
}

/// The revision after both the file's and the highest this clone accepted; past the bound
/// (`vault::limits::MAX_REVISION`) the change is refused, never wrapped.
fn next_revision(file: u64, seen: u64) -> Result<u64> {
    super::limits::next_revision(file, seen).ok_or_else(|| {
        Error::corrupt(
            format!(
                "the policy is at revision {}, the highest mpvault signs, so no change to who may read what can be signed",
                file.max(seen)
            ),
            "restore mpvault.json from git from before its revision jumped (`git log -p mpvault.json` shows who changed it); if this clone's memory jumped too, run `mpvault trust --repin` after checking fingerprints",
        )
    })
}
