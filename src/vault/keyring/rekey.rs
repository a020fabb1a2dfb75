//! Keeping each data key wrapped to exactly the members entitled to it: fresh keys for a new
//! app, re-wrapping when readers change (a new key, and every value re-sealed, when one is
//! lost), re-sealing at an app's new name, and adopting an older format's values.

use std::collections::BTreeSet;

use super::{Authors, Keyring};
use crate::error::Result;
use crate::key;
use crate::vault::access;
use crate::vault::authorship::{self, Place};
use crate::vault::crypto::DataKey;
use crate::vault::model::{Field, Sealed, Vault, WrappedKey};
use crate::wechat::Level;

impl Keyring<'_> {
    /// Wraps fresh data keys for a new app to the members who may read each level.
    pub fn create_app_keys(&mut self, vault: &mut Vault, app: &str) -> Result<()> {
        for level in Level::ALL {
            let readers = access::readers(vault, app, level);
            self.check_readers(vault, app, level, &readers)?;
            let key = DataKey::generate()?;
            let wrapped = key.wrap(&recipients(vault, &readers)?)?;
            self.authors
                .readers
                .insert((app.to_string(), level), readers.clone());
            vault
                .app_mut(app)?
                .data_keys
                .insert(level, wrapped_key(readers, wrapped, &key));
            self.data_keys.insert((app.to_string(), level), key);
        }
        Ok(())
    }

    /// Re-wraps every data key whose readers changed. A key that lost a reader is replaced by
    /// a new one and its values re-sealed, so a removed member's old copy opens nothing
    /// written from now on; `replace_all` replaces every key. Returns the levels replaced.
    pub fn sync_readers(
        &mut self,
        vault: &mut Vault,
        app: &str,
        replace_all: bool,
    ) -> Result<Vec<Level>> {
        let mut replaced = Vec::new();
        let mut left_developer = BTreeSet::new();
        for level in Level::ALL {
            let wanted = access::readers(vault, app, level);
            let current: BTreeSet<String> = vault.app(app)?.data_keys[&level]
                .readers
                .iter()
                .cloned()
                .collect();
            if level == Level::Developer {
                left_developer = current.difference(&wanted).cloned().collect();
            }
            if wanted == current && !replace_all {
                continue;
            }
            self.check_readers(vault, app, level, &wanted)?;
            let slot = (app.to_string(), level);
            self.data_key(vault, app, level)?;
            let old = self.data_keys.remove(&slot).expect("loaded just above");
            let key = if current.is_subset(&wanted) && !replace_all {
                old
            } else {
                replaced.push(level);
                let new_key = DataKey::generate()?;
                self.data_keys.insert(slot.clone(), old);
                self.reseal(vault, app, level, &new_key)?;
                new_key
            };
            let wrapped = key.wrap(&recipients(vault, &wanted)?)?;
            vault
                .app_mut(app)?
                .data_keys
                .insert(level, wrapped_key(wanted, wrapped, &key));
            self.data_keys.insert(slot, key);
        }
        self.vouch_for_config(vault, app, &left_developer)?;
        Ok(replaced)
    }

    /// Config written by members who no longer reach the developer level was theirs to write
    /// when they wrote it: the actor, who changes roles and so steers builds, signs it as its
    /// sealer, as re-sealing does, so it stays readable.
    fn vouch_for_config(
        &mut self,
        vault: &mut Vault,
        app: &str,
        left: &BTreeSet<String>,
    ) -> Result<()> {
        let steers = |f: &Field, s: &Sealed| f.steers_builds() && left.contains(s.signer());
        let mut work = vault.app(app)?.clone();
        let mut fields = work.sealed_at_mut(Level::Team);
        fields.retain(|(f, s)| steers(f, s));
        if fields.is_empty() || !self.can_read(vault, app, Level::Developer) {
            return Ok(());
        }
        self.signing_key()?;
        for value in fields {
            self.reseal_value(vault, app, app, Level::Team, value, None)?;
        }
        *vault.app_mut(app)? = work;
        Ok(())
    }

    /// Renames an app. Its name is bound into every value's associated data and signature, so
    /// each value (history included) is re-sealed at its new place under the same data key,
    /// signed by the actor as its sealer, after its writer is checked at the old place.
    pub fn rename_app(&mut self, vault: &mut Vault, old: &str, new: &str) -> Result<()> {
        self.signing_key()?;
        let mut work = vault.app(old)?.clone();
        for level in Level::ALL {
            for value in work.sealed_at_mut(level) {
                self.reseal_value(vault, old, new, level, value, None)?;
            }
        }
        vault.apps.remove(old);
        vault.apps.insert(new.to_string(), work);
        for level in Level::ALL {
            if let Some(key) = self.data_keys.remove(&(old.to_string(), level)) {
                self.data_keys.insert((new.to_string(), level), key);
            }
        }
        Ok(())
    }

    /// Re-seals every value at (app, level) under `new_key`, signed by the actor as its sealer.
    /// Each value's writer is checked first, so re-sealing never launders a forged value.
    fn reseal(
        &mut self,
        vault: &mut Vault,
        app: &str,
        level: Level,
        new_key: &DataKey,
    ) -> Result<()> {
        self.signing_key()?;
        let mut work = vault.app(app)?.clone();
        for value in work.sealed_at_mut(level) {
            self.reseal_value(vault, app, app, level, value, Some(new_key))?;
        }
        *vault.app_mut(app)? = work;
        Ok(())
    }

    /// Re-seals one value of `from` for its place in `to` (the same app, or its new name),
    /// under `new_key` or else the level's own data key, signed by the actor as its sealer.
    /// Its writer is checked where it was first, so re-sealing never launders a forged value.
    fn reseal_value(
        &mut self,
        vault: &Vault,
        from: &str,
        to: &str,
        level: Level,
        (field, sealed): (Field, &mut Sealed),
        new_key: Option<&DataKey>,
    ) -> Result<()> {
        let signing = self.signing_key()?;
        let plain = self.open_sealed(vault, from, level, &field, sealed)?;
        sealed.sealed_by = Some(self.actor.clone()).filter(|a| *a != sealed.set_by);
        let path = field.path();
        let place = Place::new(&vault.vault_id, to, level, &path);
        let ad = authorship::associated_data(&place, sealed);
        sealed.value = match new_key {
            Some(key) => key.seal(&ad, &plain)?,
            None => self.data_key(vault, from, level)?.seal(&ad, &plain)?,
        };
        authorship::sign(&place, sealed, signing)
    }

    /// Format 1 and 2 values become format 3 ones: numbered, re-sealed under new data keys
    /// (so every level gets a commitment) and signed by the adopting owner as their sealer.
    pub fn adopt(&mut self, vault: &mut Vault) -> Result<()> {
        for app in vault.apps.values_mut() {
            app.floors.clear();
            for secret in app.secrets.values_mut() {
                let count = secret.versions.len() as u64;
                for (i, v) in secret.versions.iter_mut().enumerate() {
                    v.version = Some(count - i as u64);
                }
            }
        }
        let apps: Vec<String> = vault.apps.keys().cloned().collect();
        for app in &apps {
            self.sync_readers(vault, app, true)?;
        }
        self.sealed_format = 3;
        self.authors = Authors::of(vault);
        Ok(())
    }
}

fn wrapped_key(readers: BTreeSet<String>, wrapped: String, key: &DataKey) -> WrappedKey {
    WrappedKey {
        readers: readers.into_iter().collect(),
        commitment: Some(key.commitment()),
        wrapped,
    }
}

fn recipients(
    vault: &Vault,
    readers: &BTreeSet<String>,
) -> Result<Vec<Box<dyn age::Recipient + Send>>> {
    readers
        .iter()
        .map(|h| key::recipient(&vault.member(h)?.key))
        .collect()
}
