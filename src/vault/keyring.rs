//! The acting member's view of a vault: unwraps the data keys it may use, reads and writes
//! values, and keeps each data key wrapped to exactly the members entitled to it.

use std::collections::{BTreeSet, HashMap};

use zeroize::Zeroizing;

use super::access;
use super::crypto::{associated_data, DataKey};
use super::model::{App, Field, Sealed, Secret, Vault, WrappedKey, HISTORY};
use crate::error::{Error, Result};
use crate::identity::{self, Identity};
use crate::wechat::Level;

pub struct Keyring<'a> {
    identity: &'a Identity,
    /// The member handle the identity answers to.
    pub actor: String,
    keys: HashMap<(String, Level), DataKey>,
}

impl<'a> Keyring<'a> {
    /// Finds the member whose key is this identity's.
    pub fn open(vault: &Vault, identity: &'a Identity) -> Result<Self> {
        let actor = vault
            .members
            .iter()
            .find(|(_, m)| m.key == identity.public)
            .map(|(h, _)| h.clone())
            .ok_or_else(|| {
                Error::denied(
                    format!("the identity from {} is not a member of this vault", identity.source),
                    "send `mpvault identity show` to a vault owner so they can add you, or use another identity",
                )
            })?;
        Ok(Keyring {
            identity,
            actor,
            keys: HashMap::new(),
        })
    }

    pub fn is_owner(&self, vault: &Vault) -> bool {
        vault.members.get(&self.actor).is_some_and(|m| m.owner)
    }

    pub fn require_owner(&self, vault: &Vault, action: &str) -> Result<()> {
        if self.is_owner(vault) {
            Ok(())
        } else {
            Err(Error::owners_only(action))
        }
    }

    pub fn can_read(&self, vault: &Vault, app: &str, level: Level) -> bool {
        access::can_read(vault, app, level, &self.actor)
    }

    /// Checks that the data key of (app, level) opens and is the signed one, so a write can be
    /// refused before anyone pastes a secret.
    pub fn unlock(&mut self, vault: &Vault, app: &str, level: Level) -> Result<()> {
        self.key(vault, app, level).map(|_| ())
    }

    fn key(&mut self, vault: &Vault, app: &str, level: Level) -> Result<&DataKey> {
        let slot = (app.to_string(), level);
        if !self.keys.contains_key(&slot) {
            let entry = vault.app(app)?.keys.get(&level);
            let wrapped = entry.map(|k| k.wrapped.as_str()).unwrap_or_default();
            let key = DataKey::unwrap(wrapped, self.identity.age())?.ok_or_else(|| {
                Error::denied(
                    format!("{} cannot read {level}-level values of '{app}'", self.actor),
                    format!("ask an owner for a role that reaches the {level} level (`mpvault role grant {} {app} …`)", self.actor),
                )
            })?;
            let committed = entry.and_then(|k| k.commitment.as_deref());
            if committed.is_some_and(|c| c != key.commitment()) {
                return Err(Error::corrupt(
                    format!("the {level} data key of '{app}' is not the one its owners signed; a wrapped key was swapped"),
                    "restore mpvault.json from git (`git log -p mpvault.json` shows who changed it) and tell an owner",
                ));
            }
            self.keys.insert(slot.clone(), key);
        }
        Ok(&self.keys[&slot])
    }

    /// Decrypts a value. `version` 0 is the current one; secrets keep earlier versions.
    pub fn read(
        &mut self,
        vault: &Vault,
        app: &str,
        field: &Field,
        version: usize,
    ) -> Result<Option<Zeroizing<String>>> {
        let a = vault.app(app)?;
        let level = a.level_of(field);
        let Some(sealed) = sealed(a, field, version) else {
            return Ok(None);
        };
        let ad = ad(vault, app, level, field, sealed);
        let plain = self
            .key(vault, app, level)?
            .open(&ad, &sealed.value)
            .ok_or_else(|| {
                Error::corrupt(
                    format!(
                        "the value at {} of '{app}' does not belong there or was altered",
                        field.path()
                    ),
                    "restore mpvault.json from git; a ciphertext cannot be moved to another field",
                )
            })?;
        // Checked in place: a failed `String::from_utf8` would drop a copy unzeroized.
        let text = std::str::from_utf8(&plain).map_err(|_| {
            Error::corrupt(
                format!("the value at {} of '{app}' is not text", field.path()),
                "restore mpvault.json from git",
            )
        })?;
        Ok(Some(Zeroizing::new(text.to_string())))
    }

    fn seal(
        &mut self,
        vault: &Vault,
        app: &str,
        level: Level,
        field: &Field,
        value: &str,
        now: &str,
    ) -> Result<Sealed> {
        let mut sealed = Sealed {
            set_by: self.actor.clone(),
            set_at: now.to_string(),
            value: String::new(),
        };
        let ad = ad(vault, app, level, field, &sealed);
        sealed.value = self.key(vault, app, level)?.seal(&ad, value.as_bytes())?;
        Ok(sealed)
    }

    /// Sets an info, contact or config value. An unchanged value keeps its ciphertext.
    pub fn set_plain_field(
        &mut self,
        vault: &mut Vault,
        app: &str,
        field: Field,
        value: &str,
        now: &str,
    ) -> Result<()> {
        if self
            .read(vault, app, &field, 0)?
            .is_some_and(|old| *old == value)
        {
            return Ok(());
        }
        let sealed = self.seal(vault, app, Level::Team, &field, value, now)?;
        let a = vault.app_mut(app)?;
        let map = match &field {
            Field::Info(_) => &mut a.info,
            Field::Contact(_) => &mut a.contact,
            Field::Config(_) => &mut a.config,
            Field::Secret(_) => unreachable!("secrets are set with set_secret"),
        };
        let name = match field {
            Field::Info(n) | Field::Contact(n) | Field::Config(n) | Field::Secret(n) => n,
        };
        map.insert(name, sealed);
        Ok(())
    }

    /// Stores a new current value for a secret, keeping up to `HISTORY` earlier ones.
    pub fn set_secret(
        &mut self,
        vault: &mut Vault,
        app: &str,
        name: &str,
        level: Level,
        value: &str,
        now: &str,
    ) -> Result<()> {
        let field = Field::Secret(name.to_string());
        let existing = vault.app(app)?.secrets.get(name).map(|s| s.access);
        if let Some(current) = existing.filter(|l| *l != level) {
            return Err(Error::invalid(
                format!("secret {name} of '{app}' is stored at the {current} level, not {level}"),
                "leave out --access, or remove the secret and add it again at the new level",
            ));
        }
        if existing.is_some() {
            // The access level is not signed: make sure the current value really lives at it,
            // so an edited level cannot steer a new value to a wider audience.
            self.read(vault, app, &field, 0)?;
        }
        let sealed = self.seal(vault, app, level, &field, value, now)?;
        let a = vault.app_mut(app)?;
        a.rotations_due.remove(name);
        let secret = a.secrets.entry(name.to_string()).or_insert_with(|| Secret {
            access: level,
            versions: Vec::new(),
        });
        secret.versions.insert(0, sealed);
        secret.versions.truncate(HISTORY + 1);
        Ok(())
    }

    /// Wraps fresh data keys for a new app to the members who may read each level.
    pub fn create_app_keys(&mut self, vault: &mut Vault, app: &str) -> Result<()> {
        for level in Level::ALL {
            let readers = access::readers(vault, app, level);
            let key = DataKey::generate()?;
            let wrapped = key.wrap(&recipients(vault, &readers)?)?;
            vault
                .app_mut(app)?
                .keys
                .insert(level, wrapped_key(readers, wrapped, &key));
            self.keys.insert((app.to_string(), level), key);
        }
        Ok(())
    }

    /// Re-wraps every data key whose readers changed. A key that lost a reader is replaced by
    /// a fresh one and its values re-encrypted, so a removed member's old copy opens nothing
    /// written from now on; `fresh` replaces every key. Returns the levels whose key was replaced.
    pub fn sync_readers(
        &mut self,
        vault: &mut Vault,
        app: &str,
        fresh: bool,
    ) -> Result<Vec<Level>> {
        let mut replaced = Vec::new();
        for level in Level::ALL {
            let wanted = access::readers(vault, app, level);
            let current: BTreeSet<String> = vault.app(app)?.keys[&level]
                .readers
                .iter()
                .cloned()
                .collect();
            if wanted == current && !fresh {
                continue;
            }
            let slot = (app.to_string(), level);
            self.key(vault, app, level)?;
            let old = self.keys.remove(&slot).expect("loaded just above");
            let key = if current.is_subset(&wanted) && !fresh {
                old
            } else {
                replaced.push(level);
                let fresh = DataKey::generate()?;
                reencrypt(vault, app, level, &old, &fresh)?;
                fresh
            };
            let wrapped = key.wrap(&recipients(vault, &wanted)?)?;
            vault
                .app_mut(app)?
                .keys
                .insert(level, wrapped_key(wanted, wrapped, &key));
            self.keys.insert(slot, key);
        }
        Ok(replaced)
    }
}

fn reencrypt(
    vault: &mut Vault,
    app: &str,
    level: Level,
    old: &DataKey,
    fresh: &DataKey,
) -> Result<()> {
    let vault_id = vault.vault_id.clone();
    for (field, sealed) in vault.app_mut(app)?.sealed_at_mut(level) {
        let ad = associated_data(
            &vault_id,
            app,
            level.as_str(),
            &field.path(),
            &sealed.set_by,
            &sealed.set_at,
        );
        let plain = old.open(&ad, &sealed.value).ok_or_else(|| {
            Error::corrupt(
                format!(
                    "the value at {} of '{app}' does not belong there or was altered",
                    field.path()
                ),
                "restore mpvault.json from git",
            )
        })?;
        sealed.value = fresh.seal(&ad, &plain)?;
    }
    Ok(())
}

fn wrapped_key(readers: BTreeSet<String>, wrapped: String, key: &DataKey) -> WrappedKey {
    WrappedKey {
        readers: readers.into_iter().collect(),
        commitment: Some(key.commitment()),
        wrapped,
    }
}

fn sealed<'v>(app: &'v App, field: &Field, version: usize) -> Option<&'v Sealed> {
    match field {
        Field::Info(n) => app.info.get(n).filter(|_| version == 0),
        Field::Contact(n) => app.contact.get(n).filter(|_| version == 0),
        Field::Config(n) => app.config.get(n).filter(|_| version == 0),
        Field::Secret(n) => app.secrets.get(n).and_then(|s| s.versions.get(version)),
    }
}

fn ad(vault: &Vault, app: &str, level: Level, field: &Field, sealed: &Sealed) -> Vec<u8> {
    associated_data(
        &vault.vault_id,
        app,
        level.as_str(),
        &field.path(),
        &sealed.set_by,
        &sealed.set_at,
    )
}

fn recipients(
    vault: &Vault,
    readers: &BTreeSet<String>,
) -> Result<Vec<Box<dyn age::Recipient + Send>>> {
    readers
        .iter()
        .map(|h| identity::recipient(&vault.member(h)?.key))
        .collect()
}
