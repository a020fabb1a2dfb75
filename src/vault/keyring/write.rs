//! Writing values through the keyring: info, contact and config fields (config only from the
//! developer level up), and secrets, each new version numbered past what this clone has seen
//! and never stored below its floor, its level or the level this clone last saw it at.

use super::{sealed, Keyring};
use crate::error::{Error, Result};
use crate::vault::model::{Field, Secret, Vault, HISTORY};
use crate::vault::offboarding;
use crate::wechat::{self, Level};

impl Keyring<'_> {
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
