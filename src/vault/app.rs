//! An app as the vault holds it: its policy (AppID, roster, services, data keys, floors,
//! public facts), its sealed values, and where a value lives in it (`Field`, whose path is
//! bound into each ciphertext). Kept apart from the whole file (`model`) so that what reads
//! one app (bounds, format rules, signatures, the keyring) needs nothing of the rest.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::scope::{Loaded, Marked};
use crate::error::Result;
use crate::wechat::{Level, Role};

/// The public facts an app may carry, and their form.
pub const PUBLIC: [&str; 3] = ["verified_until", "icp", "client"];

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct App {
    pub appid: String,
    pub added_at: crate::date::Timestamp,
    /// Console roles by member handle, sorted.
    #[serde(default)]
    pub roster: BTreeMap<String, Vec<Role>>,
    /// Service members and the highest level of this app each reads (format 6): readers
    /// without a console role.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, Level>,
    /// One data key per access level, wrapped to exactly the members who may read that level.
    #[serde(rename = "keys", deserialize_with = "super::scope::data_keys")]
    pub data_keys: BTreeMap<Level, WrappedKey>,
    /// The lowest level each secret may be stored at, as owners signed it (format 3). A secret
    /// keeps its floor when a non-owner removes it, so re-adding it lower needs an owner.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub floors: BTreeMap<String, Level>,
    /// Public facts (format 5): `verified_until` (YYYY-MM-DD) and `icp`, which WeChat itself
    /// shows, and `client`, the client company an agency runs the app for; unencrypted and
    /// signed with the policy, so every reader judges and groups the app the same.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub public: BTreeMap<String, String>,
    /// Title, and (before format 5) the verification expiry and ICP number (`team` level).
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "super::scope::info"
    )]
    pub info: BTreeMap<String, Sealed>,
    /// The administrator's contacts (`team` level).
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "super::scope::values"
    )]
    pub contact: BTreeMap<String, Sealed>,
    /// Bundle config: non-secret values a preset prefixes, shipped in the Mini Program (`team`
    /// level).
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "super::scope::values"
    )]
    pub config: BTreeMap<String, Sealed>,
    /// Bundle config per build mode (`development`, `production`, …), laid over `config` when
    /// a build names the mode (`team` level).
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "super::scope::values"
    )]
    pub modes: BTreeMap<String, BTreeMap<String, Sealed>>,
    /// Build config (format 4): values for build scripts, named as is and never prefixed, so
    /// never shipped. Its own place, bound in each value's signature, so a value cannot be
    /// moved into the bundle (`team` level).
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "super::scope::values"
    )]
    pub build: BTreeMap<String, Sealed>,
    /// Build config per build mode, laid over `build` as `modes` is over `config`.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "super::scope::values"
    )]
    pub build_modes: BTreeMap<String, BTreeMap<String, Sealed>>,
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "super::scope::values"
    )]
    pub secrets: BTreeMap<String, Secret>,
    /// Format 1 and 2 only: secrets someone who lost access could read, by name: why. Format 3
    /// computes this from the signed departures instead.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "super::scope::values"
    )]
    pub rotations_due: BTreeMap<String, String>,
    /// What of the values above this process decoded from the file (`Scope`); never written.
    #[serde(skip)]
    pub loaded: Loaded,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct WrappedKey {
    pub readers: Vec<String>,
    /// base64 of SHA-256 over a domain tag and the data key; signed with the policy, so a
    /// swapped wrapped key is caught when it is unwrapped. Absent in format 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitment: Option<String>,
    /// The 32-byte data key as a binary age file, base64. Left empty for an app whose values
    /// a command did not read (`Scope`): nothing of it is opened.
    #[serde(deserialize_with = "super::scope::wrapped_key")]
    pub wrapped: String,
}

/// One encrypted value, with who set it and when (both bound into the ciphertext).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Sealed {
    /// Secrets only (format 3): raised by every rotation, so a dropped version is noticed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    /// Format 4: the policy revision of the file it was written into, signed by its writer.
    /// Decides what comes before or after a departure; the writer's clock (`set_at`) does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<u64>,
    /// Format 4, secrets only: the version this one stored again (`rotate-secret --restore`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restored: Option<u64>,
    pub set_by: String,
    pub set_at: crate::date::Timestamp,
    /// Format 3: who re-encrypted the value under a new data key, when not its writer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_by: Option<String>,
    /// base64 of the 24-byte nonce followed by the XChaCha20-Poly1305 ciphertext and tag.
    #[serde(deserialize_with = "super::scope::ciphertext")]
    pub value: String,
    /// Format 3: base64 Ed25519 signature of `sealed_by` (or else `set_by`) over the value and
    /// its place (see `vault::authorship`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::scope::signature"
    )]
    pub sig: Option<String>,
}

impl Sealed {
    /// The member whose signature the value carries.
    pub fn signer(&self) -> &str {
        self.sealed_by.as_deref().unwrap_or(&self.set_by)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Secret {
    pub access: Level,
    /// Newest first: the current value, then up to `HISTORY` earlier ones.
    pub versions: Vec<Sealed>,
}

/// Where a value lives inside an app; its path is bound to the ciphertext.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Field {
    Info(String),
    Contact(String),
    Config(String),
    Secret(String),
    /// A config value of one build mode: (mode, key).
    ModeConfig(String, String),
    /// Build config: named as is, never prefixed.
    Build(String),
    /// A build config value of one build mode: (mode, key).
    ModeBuild(String, String),
}

impl Field {
    /// Config, base and per mode, is build input: the whole team reads it, but only members who
    /// reach the developer level write it (`access::write_level`).
    pub fn steers_builds(&self) -> bool {
        matches!(
            self,
            Field::Config(_) | Field::ModeConfig(..) | Field::Build(_) | Field::ModeBuild(..)
        )
    }

    pub fn path(&self) -> String {
        match self {
            Field::Info(n) => format!("info/{n}"),
            Field::Contact(n) => format!("contact/{n}"),
            Field::Config(n) => format!("config/{n}"),
            Field::Secret(n) => format!("secrets/{n}"),
            Field::ModeConfig(mode, n) => format!("modes/{mode}/config/{n}"),
            Field::Build(n) => format!("build/{n}"),
            Field::ModeBuild(mode, n) => format!("modes/{mode}/build/{n}"),
        }
    }

    /// The name a value is stored under, wherever it lives.
    pub fn name(&self) -> &str {
        match self {
            Field::Info(n)
            | Field::Contact(n)
            | Field::Config(n)
            | Field::Secret(n)
            | Field::ModeConfig(_, n)
            | Field::Build(n)
            | Field::ModeBuild(_, n) => n,
        }
    }
}

impl App {
    pub fn new(appid: String, added_at: crate::date::Timestamp) -> Self {
        App {
            appid,
            added_at,
            roster: BTreeMap::new(),
            services: BTreeMap::new(),
            data_keys: BTreeMap::new(),
            floors: BTreeMap::new(),
            public: BTreeMap::new(),
            info: BTreeMap::new(),
            contact: BTreeMap::new(),
            config: BTreeMap::new(),
            modes: BTreeMap::new(),
            build: BTreeMap::new(),
            build_modes: BTreeMap::new(),
            secrets: BTreeMap::new(),
            rotations_due: BTreeMap::new(),
            loaded: Loaded::All,
        }
    }

    pub fn secret(&self, app: &str, name: &str) -> Result<&Secret> {
        self.secrets.get(name).ok_or_else(|| {
            let known = self.secrets.keys().chain(self.config.keys());
            crate::suggest::unknown_secret(app, name, known.map(String::as_str))
        })
    }

    /// What `name` is in this app, if anything: bundle config, build config or a secret (one
    /// name is never two of them).
    pub fn kind_of(&self, name: &str) -> Option<&'static str> {
        let in_any = |base: &BTreeMap<String, Sealed>,
                      modes: &BTreeMap<String, BTreeMap<String, Sealed>>| {
            base.contains_key(name) || modes.values().any(|m| m.contains_key(name))
        };
        if self.secrets.contains_key(name) {
            Some("a secret")
        } else if in_any(&self.config, &self.modes) {
            Some("bundle config")
        } else if in_any(&self.build, &self.build_modes) {
            Some("build config")
        } else {
            None
        }
    }

    /// Whether the app holds a value at `field` (a config, build, info or contact field).
    pub fn holds(&self, field: &Field) -> bool {
        let in_mode = |modes: &BTreeMap<String, BTreeMap<String, Sealed>>, m: &str, n: &str| {
            modes.get(m).is_some_and(|values| values.contains_key(n))
        };
        match field {
            Field::Info(n) => self.info.contains_key(n),
            Field::Contact(n) => self.contact.contains_key(n),
            Field::Config(n) => self.config.contains_key(n),
            Field::Build(n) => self.build.contains_key(n),
            Field::ModeConfig(m, n) => in_mode(&self.modes, m, n),
            Field::ModeBuild(m, n) => in_mode(&self.build_modes, m, n),
            Field::Secret(n) => self.secrets.contains_key(n),
        }
    }

    /// The access level of a field.
    pub fn level_of(&self, field: &Field) -> Level {
        match field {
            Field::Secret(n) => self.secrets.get(n).map_or(Level::Developer, |s| s.access),
            _ => Level::Team,
        }
    }

    /// Every sealed value stored at `level`, with its field, for re-encryption.
    pub fn sealed_at_mut(&mut self, level: Level) -> Vec<(Field, &mut Sealed)> {
        let mut out = Vec::new();
        if level == Level::Team {
            out.extend(
                self.info
                    .iter_mut()
                    .map(|(n, s)| (Field::Info(n.clone()), s)),
            );
            out.extend(
                self.contact
                    .iter_mut()
                    .map(|(n, s)| (Field::Contact(n.clone()), s)),
            );
            out.extend(
                self.config
                    .iter_mut()
                    .map(|(n, s)| (Field::Config(n.clone()), s)),
            );
            for (mode, config) in &mut self.modes {
                out.extend(
                    config
                        .iter_mut()
                        .map(|(n, s)| (Field::ModeConfig(mode.clone(), n.clone()), s)),
                );
            }
            out.extend(
                self.build
                    .iter_mut()
                    .map(|(n, s)| (Field::Build(n.clone()), s)),
            );
            for (mode, build) in &mut self.build_modes {
                out.extend(
                    build
                        .iter_mut()
                        .map(|(n, s)| (Field::ModeBuild(mode.clone(), n.clone()), s)),
                );
            }
        }
        for (name, secret) in self.secrets.iter_mut().filter(|(_, s)| s.access == level) {
            out.extend(
                secret
                    .versions
                    .iter_mut()
                    .map(|s| (Field::Secret(name.clone()), s)),
            );
        }
        out
    }
}

impl Marked for App {
    fn mark(&mut self, loaded: Loaded) {
        self.loaded = loaded;
    }
}
