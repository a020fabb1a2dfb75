//! The acting member's view of a vault: unwraps the data keys it may use, reads and writes
//! values, and keeps each data key wrapped to exactly the members entitled to it. Here: opening,
//! reading and checking who wrote a value; writing values is `write`, keeping keys `rekey`.

mod rekey;
mod write;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use zeroize::Zeroizing;

use super::access;
use super::authorship::{self, Place};
use super::crypto::{associated_data, DataKey};
use super::model::{App, Field, Loaded, Sealed, Vault};
use crate::error::{Error, Result};
use crate::key::{Identity, Signing};
use crate::wechat::Level;

use super::guard::Guard;

/// The verified policy as it was loaded: who may sign values at which level. Values are checked
/// against it even while a command changes the roster (a removed member's values are re-sealed).
struct Authors {
    signing_keys: BTreeMap<String, String>,
    readers: BTreeMap<(String, Level), BTreeSet<String>>,
    /// The policy revision: no value was written under a later one.
    revision: u64,
}

impl Authors {
    fn of(vault: &Vault) -> Self {
        Authors {
            revision: vault.revision,
            // A service member never writes, so no value may be signed by one.
            signing_keys: vault
                .members
                .iter()
                .filter(|(_, m)| !m.service)
                .filter_map(|(h, m)| Some((h.clone(), m.signing_key.clone()?)))
                .collect(),
            // Only apps whose values were read can have a value checked (`Scope`).
            readers: vault
                .apps
                .iter()
                .filter(|(_, a)| a.loaded != Loaded::Policy)
                .flat_map(|(name, a)| {
                    a.data_keys.iter().map(|(level, k)| {
                        ((name.clone(), *level), k.readers.iter().cloned().collect())
                    })
                })
                .collect(),
        }
    }
}

pub struct Keyring<'a> {
    identity: &'a Identity,
    /// The member handle the identity answers to.
    pub actor: String,
    data_keys: HashMap<(String, Level), DataKey>,
    guard: Guard,
    authors: Authors,
    /// The format the values were sealed in when loaded (adoption re-seals older ones).
    sealed_format: u32,
}

impl<'a> Keyring<'a> {
    /// Opens the vault to read it: reads never consult the guard, which bounds writes.
    pub fn open_to_read(vault: &Vault, identity: &'a Identity) -> Result<Self> {
        Self::open(vault, identity, Guard::default())
    }

    /// Finds the member whose key is this identity's.
    pub fn open(vault: &Vault, identity: &'a Identity, guard: Guard) -> Result<Self> {
        identity.require_not_demo(&vault.vault_id)?;
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
            data_keys: HashMap::new(),
            guard,
            authors: Authors::of(vault),
            sealed_format: vault.format,
        })
    }

    /// The identity this keyring acts with.
    pub fn identity(&self) -> &Identity {
        self.identity
    }

    pub fn is_owner(&self, vault: &Vault) -> bool {
        vault.members.get(&self.actor).is_some_and(|m| m.owner)
    }

    /// Service members read; every change is someone else's.
    pub fn require_not_service(&self, vault: &Vault) -> Result<()> {
        if vault.is_service(&self.actor) {
            return Err(Error::denied(
                format!(
                    "'{}' is a service member, which reads but never changes the vault",
                    self.actor
                ),
                "ask an owner, or a person with a role on the app, to make the change",
            ));
        }
        Ok(())
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

    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    /// Checks that the data key of (app, level) opens and is the signed one, so a write can be
    /// refused before anyone pastes a secret.
    pub fn unlock(&mut self, vault: &Vault, app: &str, level: Level) -> Result<()> {
        self.signing_key()?;
        self.data_key(vault, app, level).map(|_| ())
    }

    fn signing_key(&self) -> Result<&'a Signing> {
        self.identity.signing.as_ref().ok_or_else(|| {
            Error::denied(
                "an SSH or plugin identity cannot sign values, and every value in the vault is signed by its writer",
                "write with an mpvault identity (`mpvault identity new`, then ask an owner to add its public line)",
            )
        })
    }

    fn data_key(&mut self, vault: &Vault, app: &str, level: Level) -> Result<&DataKey> {
        let slot = (app.to_string(), level);
        if !self.data_keys.contains_key(&slot) {
            let entry = vault.wrapped_key(app, level)?;
            let age_file = DataKey::decode(entry.map(|k| k.wrapped.as_str()).unwrap_or_default())?;
            let readers = entry.map_or(0, |k| k.readers.len());
            super::limits::recipients(app, level, readers, &age_file)
                .map_err(|what| super::model::damaged(&what))?;
            let key = DataKey::unwrap(&age_file, self.identity.age()?)?.ok_or_else(|| {
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
            self.data_keys.insert(slot.clone(), key);
        }
        Ok(&self.data_keys[&slot])
    }

    /// Decrypts a value. `version` 0 is the current one; secrets keep earlier versions.
    pub fn read(
        &mut self,
        vault: &Vault,
        app: &str,
        field: &Field,
        version: usize,
    ) -> Result<Option<Zeroizing<String>>> {
        let a = vault.app_holding(app, field)?;
        let level = a.level_of(field);
        let Some(sealed) = sealed(a, field, version) else {
            return Ok(None);
        };
        let plain = self.open_sealed(vault, app, level, field, sealed)?;
        // Checked in place: a failed `String::from_utf8` would drop a copy unzeroized.
        let text = std::str::from_utf8(&plain).map_err(|_| {
            Error::corrupt(
                format!("the value at {} of '{app}' is not text", field.path()),
                "restore mpvault.json from git",
            )
        })?;
        Ok(Some(Zeroizing::new(text.to_string())))
    }

    /// Checks who wrote a value, then decrypts it.
    fn open_sealed(
        &mut self,
        vault: &Vault,
        app: &str,
        level: Level,
        field: &Field,
        sealed: &Sealed,
    ) -> Result<Zeroizing<Vec<u8>>> {
        let path = field.path();
        let place = Place::new(&vault.vault_id, app, level, &path);
        let ad = if self.sealed_format >= 3 {
            self.check_author(&place, field, sealed)?;
            authorship::associated_data(&place, sealed)
        } else {
            associated_data(
                &vault.vault_id,
                app,
                place.level,
                &path,
                &sealed.set_by,
                &sealed.set_at,
            )
        };
        self.data_key(vault, app, level)?
            .open(&ad, &sealed.value)
            .ok_or_else(|| {
                Error::corrupt(
                    format!("the value at {path} of '{app}' does not belong there or was altered"),
                    "restore mpvault.json from git; a ciphertext cannot be moved to another field",
                )
            })
    }

    /// Checks who wrote a value stored at `field` of `app` in `vault` (which may be another copy
    /// of the vault, as a merge reads both sides), then decrypts it.
    pub fn open_copy(
        &mut self,
        vault: &Vault,
        app: &str,
        field: &Field,
        sealed: &Sealed,
    ) -> Result<Zeroizing<Vec<u8>>> {
        let level = vault.app(app)?.level_of(field);
        self.open_sealed(vault, app, level, field, sealed)
    }

    /// Seals a value read from another copy of the vault under this vault's data key of its
    /// level, keeping its writer and time; the actor signs it as its sealer. `version` renumbers
    /// a secret's version (a merge making the later of two rotations current).
    pub fn reseal_copy(
        &mut self,
        vault: &Vault,
        app: &str,
        field: &Field,
        mut sealed: Sealed,
        version: Option<u64>,
        plain: &[u8],
    ) -> Result<Sealed> {
        let level = vault.app(app)?.level_of(field);
        sealed.sealed_by = Some(self.actor.clone()).filter(|a| *a != sealed.set_by);
        if version.is_some() {
            sealed.version = version;
        }
        self.seal(vault, app, level, field, sealed, plain)
    }

    /// A format-3 value must be signed by a member who could read its level, and config by one
    /// who could steer builds (`access::write_level`).
    fn check_author(&self, place: &Place, field: &Field, sealed: &Sealed) -> Result<()> {
        let signer = sealed.signer();
        let (app, path) = (place.app, place.path);
        let restore = "restore mpvault.json from git (`git log -p mpvault.json` shows who changed it) and tell an owner";
        let Some(key) = self.authors.signing_keys.get(signer) else {
            return Err(Error::corrupt(
                format!("the value at {path} of '{app}' names '{signer}' as its writer, who is not a member who can sign"),
                restore,
            ));
        };
        let level: Level = place.level.parse()?;
        let may = self
            .authors
            .readers
            .get(&(app.to_string(), level))
            .is_some_and(|r| r.contains(signer));
        if !may {
            return Err(Error::corrupt(
                format!("the value at {path} of '{app}' was written by '{signer}', who cannot read {level}-level values"),
                restore,
            ));
        }
        if !authorship::verify(place, sealed, key) {
            return Err(Error::corrupt(
                format!("the value at {path} of '{app}' does not carry a valid signature of '{signer}', its stated writer"),
                restore,
            ));
        }
        match sealed.revision {
            Some(revision) if revision > self.authors.revision => Err(Error::corrupt(
                format!("the value at {path} of '{app}' claims to be written under policy revision {revision}, which this file (revision {}) has not reached", self.authors.revision),
                restore,
            )),
            None if sealed.restored.is_some() => Err(Error::corrupt(
                format!("the value at {path} of '{app}' is marked as restored but carries no policy revision"),
                restore,
            )),
            _ if !self.signed_by_a_writer(app, field, level, signer) => {
                Err(steered_by_outsider(app, field, signer))
            }
            _ => Ok(()),
        }
    }

    /// Whether `signer` reached the level that writes `field` in the policy as loaded.
    fn signed_by_a_writer(&self, app: &str, field: &Field, level: Level, signer: &str) -> bool {
        let writers = access::write_level(field, level);
        self.authors
            .readers
            .get(&(app.to_string(), writers))
            .is_some_and(|r| r.contains(signer))
    }

    /// Refuses a write to config by a member below the developer level of the app, before
    /// anything is sealed.
    pub fn check_may_write(&self, vault: &Vault, app: &str, field: &Field) -> Result<()> {
        let level = access::write_level(field, vault.app(app)?.level_of(field));
        if self.can_read(vault, app, level) || !field.steers_builds() {
            return Ok(());
        }
        let actor = &self.actor;
        Err(Error::denied(
            format!("{actor} cannot change the config of '{app}': config steers its builds, so only developers, admins and owners of the app write it"),
            format!("ask a developer of '{app}' to make the change, or an owner to grant you the role (`mpvault role grant {actor} {app} developer`)"),
        ))
    }

    /// Refuses to encrypt to anyone this clone has seen leave, or lose this level, on a copy
    /// older than their departure. From the departure's revision on, the signed policy says who
    /// reads: an owner may have given the level back.
    fn check_readers<'h>(
        &self,
        vault: &Vault,
        app: &str,
        level: Level,
        readers: impl IntoIterator<Item = &'h String>,
    ) -> Result<()> {
        let place = format!("{app}/{level}");
        for handle in readers {
            let Some(member) = vault.members.get(handle) else {
                continue;
            };
            let Some(left) = self.guard.departed.get(&member.key) else {
                continue;
            };
            if vault.revision >= left.revision {
                continue;
            }
            if left.removed || left.lost.contains(&place) {
                let what = if left.removed {
                    "removed".to_string()
                } else {
                    format!("lose the {level} level of '{app}'")
                };
                return Err(Error::denied(
                    format!("this write would encrypt to '{handle}', whom this clone saw {what} (as '{}') in policy revision {}, and this copy of the vault is older (revision {})", left.handle, left.revision, vault.revision),
                    "check out or merge the current vault (`git pull`) and write there; on it an owner can give them access back",
                ));
            }
        }
        Ok(())
    }

    fn seal(
        &mut self,
        vault: &Vault,
        app: &str,
        level: Level,
        field: &Field,
        mut sealed: Sealed,
        value: &[u8],
    ) -> Result<Sealed> {
        let signing = self.signing_key()?;
        let readers = vault
            .app(app)?
            .data_keys
            .get(&level)
            .map(|k| k.readers.clone())
            .unwrap_or_default();
        self.check_readers(vault, app, level, &readers)?;
        let path = field.path();
        let place = Place::new(&vault.vault_id, app, level, &path);
        let ad = authorship::associated_data(&place, &sealed);
        sealed.value = self.data_key(vault, app, level)?.seal(&ad, value)?;
        authorship::sign(&place, &mut sealed, signing)?;
        Ok(sealed)
    }

    /// A new value, bound to the policy revision of the file it is written into.
    fn fresh(vault: &Vault, actor: &str, now: &str, version: Option<u64>) -> Sealed {
        Sealed {
            revision: Some(vault.revision),
            restored: None,
            version,
            set_by: actor.to_string(),
            set_at: now.into(),
            sealed_by: None,
            value: String::new(),
            sig: None,
        }
    }
}

/// Config signed by a member below the developer level: refused as a forged value is, with the
/// way out for a team whose testers wrote config before writers were checked.
fn steered_by_outsider(app: &str, field: &Field, signer: &str) -> Error {
    let (key, mode, build) = match field {
        Field::ModeConfig(mode, key) => (key.as_str(), format!(" --mode {mode}"), ""),
        Field::ModeBuild(mode, key) => (key.as_str(), format!(" --mode {mode}"), " --build"),
        Field::Build(key) => (key.as_str(), String::new(), " --build"),
        Field::Config(key) | Field::Info(key) | Field::Contact(key) | Field::Secret(key) => {
            (key.as_str(), String::new(), "")
        }
    };
    Error::corrupt(
        format!("the value at {} of '{app}' was written by '{signer}', who may not write config: config steers builds, so only developers, admins and owners of the app write it", field.path()),
        format!("a developer of '{app}' checks the value with its writer and sets it again with `mpvault config set {app} {key}=VALUE{mode}{build}`, or removes it with `mpvault config unset {app} {key}{mode}`"),
    )
}

fn sealed<'v>(app: &'v App, field: &Field, version: usize) -> Option<&'v Sealed> {
    match field {
        Field::Info(n) => app.info.get(n).filter(|_| version == 0),
        Field::Contact(n) => app.contact.get(n).filter(|_| version == 0),
        Field::Config(n) => app.config.get(n).filter(|_| version == 0),
        Field::ModeConfig(mode, n) => app
            .modes
            .get(mode)
            .and_then(|m| m.get(n))
            .filter(|_| version == 0),
        Field::Build(n) => app.build.get(n).filter(|_| version == 0),
        Field::ModeBuild(mode, n) => app
            .build_modes
            .get(mode)
            .and_then(|m| m.get(n))
            .filter(|_| version == 0),
        Field::Secret(n) => app.secrets.get(n).and_then(|s| s.versions.get(version)),
    }
}
