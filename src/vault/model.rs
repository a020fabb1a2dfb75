//! The vault's data model and its JSON form. Everything here is what anyone with the file can
//! see; values are `Sealed` (encrypted) and data keys are `WrappedKey`s (age-encrypted).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::wechat::{self, Level, Role};

/// The format version this build writes. Format 1 (no signed roster) is still read.
pub const FORMAT: u32 = 2;
/// Earlier versions kept besides the current value of a secret.
pub const HISTORY: usize = 5;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Vault {
    pub format: u32,
    pub vault_id: String,
    pub created_at: String,
    pub members: BTreeMap<String, Member>,
    pub apps: BTreeMap<String, App>,
    /// An owner's Ed25519 signature over the policy (see `vault::policy`); absent in format 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<PolicySignature>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PolicySignature {
    pub signer: String,
    /// base64 of the 64-byte Ed25519 signature.
    pub ed25519: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Member {
    /// The member's encryption key: an age X25519 recipient or an SSH public key.
    pub key: String,
    /// `ed25519:<base64>`; owners need one to sign the roster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_key: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub owner: bool,
    pub added_by: String,
    pub added_at: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct App {
    pub appid: String,
    pub added_at: String,
    /// Console roles by member handle, sorted.
    #[serde(default)]
    pub roster: BTreeMap<String, Vec<Role>>,
    /// One data key per access level, wrapped to exactly the members who may read that level.
    pub keys: BTreeMap<Level, WrappedKey>,
    /// Title, verification expiry and ICP number (`team` level).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub info: BTreeMap<String, Sealed>,
    /// The administrator's contacts (`team` level).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub contact: BTreeMap<String, Sealed>,
    /// Non-secret build values (`team` level).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub config: BTreeMap<String, Sealed>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secrets: BTreeMap<String, Secret>,
    /// Secrets someone who lost access could read, by name: why, until they are rotated.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rotations_due: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct WrappedKey {
    pub readers: Vec<String>,
    /// base64 of SHA-256 over a domain tag and the data key; signed with the policy, so a
    /// swapped wrapped key is caught when it is unwrapped. Absent in format 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitment: Option<String>,
    /// The 32-byte data key as a binary age file, base64.
    pub wrapped: String,
}

/// One encrypted value, with who set it and when (both bound into the ciphertext).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Sealed {
    pub set_by: String,
    pub set_at: String,
    /// base64 of the 24-byte nonce followed by the XChaCha20-Poly1305 ciphertext and tag.
    pub value: String,
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
}

impl Field {
    pub fn path(&self) -> String {
        match self {
            Field::Info(n) => format!("info/{n}"),
            Field::Contact(n) => format!("contact/{n}"),
            Field::Config(n) => format!("config/{n}"),
            Field::Secret(n) => format!("secrets/{n}"),
        }
    }
}

impl Vault {
    pub fn new(vault_id: String, now: String) -> Self {
        Vault {
            format: FORMAT,
            vault_id,
            created_at: now,
            members: BTreeMap::new(),
            apps: BTreeMap::new(),
            signature: None,
        }
    }

    /// Parses and checks a vault file. A newer format is refused before anything else is read.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let restore = "restore it from git (`git checkout -- mpvault.json`) or a backup";
        super::limits::check_bytes(bytes).map_err(|what| Error::corrupt(what, restore))?;
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
            let why = if e.is_eof() {
                "is truncated"
            } else {
                "is not valid JSON"
            };
            Error::corrupt(
                format!(
                    "the vault file {why} (line {}, column {})",
                    e.line(),
                    e.column()
                ),
                restore,
            )
        })?;
        match value.get("format").and_then(|f| f.as_u64()) {
            None => {
                return Err(Error::corrupt(
                    "this file is not an mpvault vault (it has no format version)",
                    "point --vault at an mpvault.json, or run `mpvault init` to create one",
                ))
            }
            Some(v) if v > u64::from(FORMAT) => {
                return Err(Error::corrupt(
                    format!("this vault uses format {v}, newer than this mpvault understands (format {FORMAT})"),
                    "upgrade mpvault to open it",
                ))
            }
            Some(_) => {}
        }
        let vault: Vault = serde_json::from_value(value)
            .map_err(|e| Error::corrupt(format!("the vault file is malformed: {e}"), restore))?;
        vault
            .check()
            .and_then(|()| super::limits::check(&vault))
            .map_err(|what| Error::corrupt(what, restore))?;
        Ok(vault)
    }

    /// Structural rules a well-formed vault keeps.
    fn check(&self) -> std::result::Result<(), String> {
        for (handle, member) in &self.members {
            if !is_valid_name(handle) {
                return Err(format!(
                    "the vault has a malformed member handle '{handle}'"
                ));
            }
            if member.key.trim().is_empty() {
                return Err(format!("member '{handle}' has no key in the vault file"));
            }
        }
        for (name, app) in &self.apps {
            if !is_valid_name(name) {
                return Err(format!("the vault has a malformed app name '{name}'"));
            }
            wechat::validate_appid(&app.appid)
                .map_err(|_| format!("app '{name}' has a malformed AppID in the vault file"))?;
            for handle in app.roster.keys() {
                if !self.members.contains_key(handle) {
                    return Err(format!(
                        "app '{name}' lists '{handle}' on its roster, who is not a member"
                    ));
                }
            }
            for level in Level::ALL {
                let Some(key) = app.keys.get(&level) else {
                    return Err(format!(
                        "app '{name}' has no {level} data key in the vault file"
                    ));
                };
                if let Some(h) = key.readers.iter().find(|h| !self.members.contains_key(*h)) {
                    return Err(format!(
                        "the {level} key of app '{name}' names '{h}', who is not a member"
                    ));
                }
            }
            for (secret, s) in &app.secrets {
                if s.versions.is_empty() || s.versions.len() > HISTORY + 1 {
                    return Err(format!(
                        "secret {secret} of app '{name}' has a malformed history"
                    ));
                }
            }
        }
        Ok(())
    }

    /// Pretty JSON with sorted keys and a final newline, so `git diff` stays readable.
    pub fn to_json(&self) -> String {
        let mut json =
            serde_json::to_string_pretty(self).expect("the vault model always serializes");
        json.push('\n');
        json
    }

    pub fn app(&self, name: &str) -> Result<&App> {
        self.apps.get(name).ok_or_else(|| Error::unknown_app(name))
    }

    pub fn app_mut(&mut self, name: &str) -> Result<&mut App> {
        self.apps
            .get_mut(name)
            .ok_or_else(|| Error::unknown_app(name))
    }

    pub fn member(&self, handle: &str) -> Result<&Member> {
        self.members
            .get(handle)
            .ok_or_else(|| Error::unknown_member(handle))
    }

    pub fn owners(&self) -> impl Iterator<Item = &str> {
        self.members
            .iter()
            .filter(|(_, m)| m.owner)
            .map(|(h, _)| h.as_str())
    }
}

impl App {
    pub fn new(appid: String, added_at: String) -> Self {
        App {
            appid,
            added_at,
            roster: BTreeMap::new(),
            keys: BTreeMap::new(),
            info: BTreeMap::new(),
            contact: BTreeMap::new(),
            config: BTreeMap::new(),
            secrets: BTreeMap::new(),
            rotations_due: BTreeMap::new(),
        }
    }

    pub fn secret(&self, app: &str, name: &str) -> Result<&Secret> {
        self.secrets
            .get(name)
            .ok_or_else(|| Error::unknown_secret(app, name))
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

/// Member handles and app names: lowercase letters, digits, `.`, `_` and `-`, up to 40.
pub fn is_valid_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let rest_ok = bytes
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'));
    first_ok && rest_ok && name.len() <= 40
}
