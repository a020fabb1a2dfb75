//! The acting member's view of a vault: unwraps the data keys it may use, reads and writes
//! values, and keeps each data key wrapped to exactly the members entitled to it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use zeroize::Zeroizing;

use super::authorship::{self, Place};
use super::crypto::{associated_data, DataKey};
use super::model::{App, Field, Loaded, Sealed, Secret, Vault, WrappedKey, HISTORY};
use super::{access, offboarding};
use crate::error::{Error, Result};
use crate::key::{self, Identity, Signing};
use crate::wechat::{self, Level};

// What a write must respect; once defined here, kept reachable by this path.
pub use super::guard::{Departed, Guard, SeenInApp};

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
            set_at: now.to_string(),
            sealed_by: None,
            value: String::new(),
            sig: None,
        }
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
        self.check_may_write(vault, app, &field)?;
        // A value written by someone who could not steer builds is replaced, never compared:
        // setting it again is how a developer vouches for it.
        let old = match self.read(vault, app, &field, 0) {
            Err(_) if self.outsider_wrote(vault, app, &field) => None,
            old => old?,
        };
        if old.is_some_and(|old| *old == value) {
            return Ok(());
        }
        let sealed = self.seal(
            vault,
            app,
            Level::Team,
            &field,
            Self::fresh(vault, &self.actor, now, None),
            value.as_bytes(),
        )?;
        let a = vault.app_mut(app)?;
        let map = match &field {
            Field::Info(_) => &mut a.info,
            Field::Contact(_) => &mut a.contact,
            Field::Config(_) => &mut a.config,
            Field::ModeConfig(mode, _) => a.modes.entry(mode.clone()).or_default(),
            Field::Build(_) => &mut a.build,
            Field::ModeBuild(mode, _) => a.build_modes.entry(mode.clone()).or_default(),
            Field::Secret(_) => unreachable!("secrets are set with set_secret"),
        };
        let name = match field {
            Field::Info(n)
            | Field::Contact(n)
            | Field::Config(n)
            | Field::Secret(n)
            | Field::ModeConfig(_, n)
            | Field::Build(n)
            | Field::ModeBuild(_, n) => n,
        };
        map.insert(name, sealed);
        Ok(())
    }

    /// Whether the value at `field` carries the signature of someone who may not write it.
    fn outsider_wrote(&self, vault: &Vault, app: &str, field: &Field) -> bool {
        let Ok(a) = vault.app(app) else {
            return false;
        };
        let level = a.level_of(field);
        sealed(a, field, 0).is_some_and(|s| !self.signed_by_a_writer(app, field, level, s.signer()))
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
        self.store_secret(vault, app, name, level, value, now, None)
    }

    /// Stores version `number` of a secret (as `history` numbers it) again as its newest
    /// version, signed by the actor: the undo of a mistyped rotation. Refused when someone who
    /// could read that value has left since, since then it must be reset in the console.
    pub fn restore_secret(
        &mut self,
        vault: &mut Vault,
        app: &str,
        name: &str,
        level: Level,
        number: u64,
        now: &str,
    ) -> Result<()> {
        let secret = vault.app(app)?.secret(app, name)?;
        let Some(index) = secret
            .versions
            .iter()
            .position(|v| v.version == Some(number))
        else {
            return Err(Error::not_found(
                format!("{name} of '{app}' has no version {number} in its history"),
                format!("see its versions with `mpvault history {app} {name}`"),
            ));
        };
        if index == 0 {
            return Err(Error::invalid(
                format!("version {number} is the current value of {name} of '{app}'"),
                format!("name an earlier version from `mpvault history {app} {name}`"),
            ));
        }
        if let Some(d) = offboarding::left_since(vault, app, level, &secret.versions[index]) {
            return Err(Error::denied(
                format!("{} could read version {number} of {name} of '{app}' and has left since ({}), so that value must not be used again", d.handle, d.at),
                format!("reset it {} and store the new value with `mpvault rotate-secret`", wechat::reset_where(name)),
            ));
        }
        let field = Field::Secret(name.to_string());
        let value = self
            .read(vault, app, &field, index)?
            .expect("the version was found above");
        self.store_secret(vault, app, name, level, &value, now, Some(index))
    }

    /// Stores a new current value; `restoring` names the one earlier version it may equal.
    #[allow(clippy::too_many_arguments)]
    fn store_secret(
        &mut self,
        vault: &mut Vault,
        app: &str,
        name: &str,
        level: Level,
        value: &str,
        now: &str,
        restoring: Option<usize>,
    ) -> Result<()> {
        let field = Field::Secret(name.to_string());
        self.check_level(vault, app, name, level)?;
        let (mut version, mut restored) = (0, None);
        if let Some(secret) = vault.app(app)?.secrets.get(name) {
            version = secret.versions[0].version.unwrap_or(0);
            restored = restoring.and_then(|i| secret.versions[i].version);
            for i in 0..secret.versions.len() {
                // Reading every version checks each one's writer at this level: a relabelled
                // level leaves the history unreadable rather than quietly lower.
                let old = self.read(vault, app, &field, i)?;
                if old.is_some_and(|old| *old == value) && restoring != Some(i) {
                    return Err(same_value(app, name, i, secret.versions[i].version));
                }
            }
        }
        if let Some((seen, _)) = self.guard.seen(app, name) {
            version = version.max(seen);
        }
        let mut sealed = Self::fresh(vault, &self.actor, now, Some(version + 1));
        sealed.restored = restored;
        let sealed = self.seal(vault, app, level, &field, sealed, value.as_bytes())?;
        let a = vault.app_mut(app)?;
        let secret = a.secrets.entry(name.to_string()).or_insert_with(|| Secret {
            access: level,
            versions: Vec::new(),
        });
        secret.versions.insert(0, sealed);
        secret.versions.truncate(HISTORY + 1);
        Ok(())
    }

    /// A secret is never written below its fixed minimum, its signed floor, the level it is
    /// stored at, or the level this clone last saw it at.
    fn check_level(&self, vault: &Vault, app: &str, name: &str, level: Level) -> Result<()> {
        let a = vault.app(app)?;
        if let Some(current) = a
            .secrets
            .get(name)
            .map(|s| s.access)
            .filter(|l| *l != level)
        {
            return Err(Error::invalid(
                format!("secret {name} of '{app}' is stored at the {current} level, not {level}"),
                "leave out --access, or remove the secret and add it again at the new level",
            ));
        }
        let minimum = wechat::minimum_level(name);
        if level < minimum {
            return Err(Error::invalid(
                format!("{name} is never stored below the {minimum} level"),
                format!("use --access {minimum} or leave --access out"),
            ));
        }
        if let Some(floor) = a.floors.get(name).filter(|f| level < **f) {
            return Err(Error::denied(
                format!("{name} of '{app}' must be stored at the {floor} level or above, as its owners signed"),
                "use that level, or ask an owner to remove the secret first if it really should be readable by more people",
            ));
        }
        if let Some((_, seen)) = self.guard.seen(app, name) {
            if level < seen {
                return Err(Error::denied(
                    format!("{name} of '{app}' was at the {seen} level when this clone last saw it and is now at {level}, lowered by someone who cannot read {seen} values"),
                    format!("do not store a new value there; ask an app admin to remove it and add it again at the {seen} level (`mpvault remove-secret {app} {name}`)"),
                ));
            }
        }
        Ok(())
    }

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
        let signing = self.signing_key()?;
        for (field, sealed) in fields {
            let plain = self.open_sealed(vault, app, Level::Team, &field, sealed)?;
            sealed.sealed_by = Some(self.actor.clone()).filter(|a| *a != sealed.set_by);
            let path = field.path();
            let place = Place::new(&vault.vault_id, app, Level::Team, &path);
            let ad = authorship::associated_data(&place, sealed);
            sealed.value = self.data_key(vault, app, Level::Team)?.seal(&ad, &plain)?;
            authorship::sign(&place, sealed, signing)?;
        }
        *vault.app_mut(app)? = work;
        Ok(())
    }

    /// Renames an app. Its name is bound into every value's associated data and signature, so
    /// each value (history included) is re-sealed at its new place under the same data key,
    /// signed by the actor as its sealer, after its writer is checked at the old place.
    pub fn rename_app(&mut self, vault: &mut Vault, old: &str, new: &str) -> Result<()> {
        let signing = self.signing_key()?;
        let mut work = vault.app(old)?.clone();
        for level in Level::ALL {
            for (field, sealed) in work.sealed_at_mut(level) {
                let plain = self.open_sealed(vault, old, level, &field, sealed)?;
                sealed.sealed_by = Some(self.actor.clone()).filter(|a| *a != sealed.set_by);
                let path = field.path();
                let place = Place::new(&vault.vault_id, new, level, &path);
                let ad = authorship::associated_data(&place, sealed);
                sealed.value = self.data_key(vault, old, level)?.seal(&ad, &plain)?;
                authorship::sign(&place, sealed, signing)?;
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
        let signing = self.signing_key()?;
        let mut work = vault.app(app)?.clone();
        for (field, sealed) in work.sealed_at_mut(level) {
            let plain = self.open_sealed(vault, app, level, &field, sealed)?;
            sealed.sealed_by = Some(self.actor.clone()).filter(|a| *a != sealed.set_by);
            let path = field.path();
            let place = Place::new(&vault.vault_id, app, level, &path);
            sealed.value = new_key.seal(&authorship::associated_data(&place, sealed), &plain)?;
            authorship::sign(&place, sealed, signing)?;
        }
        *vault.app_mut(app)? = work;
        Ok(())
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

fn same_value(app: &str, name: &str, version: usize, number: Option<u64>) -> Error {
    let which = if version == 0 {
        "the value already stored".to_string()
    } else {
        format!("the value {name} had {version} version(s) ago")
    };
    let hint = match number.filter(|_| version > 0) {
        Some(n) => format!("to undo a mistaken rotation, store that version again with `mpvault rotate-secret {app} {name} --restore {n}`; otherwise reset it in the console first, then store the new value it shows"),
        None => "reset it in the console first, then store the new value it shows".to_string(),
    };
    Error::invalid(
        format!("that is {which} as {name} of '{app}', so nothing would be rotated"),
        hint,
    )
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

fn recipients(
    vault: &Vault,
    readers: &BTreeSet<String>,
) -> Result<Vec<Box<dyn age::Recipient + Send>>> {
    readers
        .iter()
        .map(|h| key::recipient(&vault.member(h)?.key))
        .collect()
}
