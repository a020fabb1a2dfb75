//! The rule on secrets this clone has seen: a version never goes back while the policy is
//! current, and a level lowered by someone who could not read the old one is kept at the old
//! level. Asked when a vault is judged and when this clone remembers its own write.

use std::collections::BTreeMap;

use super::memory::SeenSecret;
use crate::error::{Error, Result};
use crate::vault::{access, transition, Vault};

/// Versions never go back while the policy is current; a level lowered by someone who could
/// not read the old one is remembered at the old level, so no rotation follows it down.
/// Returns the notes to print and what to remember that `known` does not hold yet.
pub(super) fn check_secrets(
    vault: &Vault,
    known: &BTreeMap<String, SeenSecret>,
    older: bool,
) -> Result<(Vec<String>, BTreeMap<String, SeenSecret>)> {
    let mut notes = Vec::new();
    let mut updates = BTreeMap::new();
    if vault.format < 3 {
        return Ok((notes, updates));
    }
    // Every command checks every secret: what is unchanged since last time costs no allocation.
    let mut slot = String::new();
    for (app_name, app) in &vault.apps {
        for (name, secret) in &app.secrets {
            slot.clear();
            slot.push_str(app_name);
            slot.push('/');
            slot.push_str(name);
            let current = &secret.versions[0];
            let version = current.version.unwrap_or(0);
            let Some(before) = known.get(slot.as_str()) else {
                updates.insert(
                    slot.clone(),
                    SeenSecret::of(version, secret.access, current),
                );
                continue;
            };
            // A lower number written later is the secret removed and added again, not a rollback:
            // only a reader of its level could sign such a value.
            if version < before.version
                && !transition::written_after(current, before.revision, &before.set_at)
            {
                if !older {
                    return Err(Error::corrupt(
                        format!("{name} of '{app_name}' is at version {version} in this file, but this clone has seen version {}: a newer value was dropped", before.version),
                        format!("restore mpvault.json from git (`git log -p mpvault.json` shows who changed it); if you switched branches, merge the branch with the newer value; to undo a rotation, revert the revert and run `mpvault rotate-secret {app_name} {name} --restore {version}`"),
                    ));
                }
                notes.push(format!(
                    "warning: {name} of '{app_name}' is at version {version} here, older than version {} which this clone has seen.",
                    before.version
                ));
                continue;
            }
            let mut level = secret.access;
            if level < before.level {
                let signer = current.signer();
                if !access::can_read(vault, app_name, before.level, signer) {
                    notes.push(format!(
                        "warning: {name} of '{app_name}' was lowered from the {} level to {level} by '{signer}', who cannot read {} values; it will not be rotated at the lower level.",
                        before.level, before.level
                    ));
                    level = before.level;
                }
            }
            // A revision learned alone is no change: memories of earlier versions lack it, and
            // rewriting every one of them on first read is not worth a write.
            let unchanged = before.version == version
                && before.level == level
                && before.set_at == current.set_at;
            if !older && !unchanged {
                updates.insert(slot.clone(), SeenSecret::of(version, level, current));
            }
        }
    }
    Ok((notes, updates))
}
