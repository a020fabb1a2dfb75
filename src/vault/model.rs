//! The vault's data model and its JSON form: the whole file (`Vault`), its members, and the
//! questions asked of it whole (which app, which member, which format to write). Everything
//! here is what anyone with the file can see; values are `Sealed` (encrypted) and data keys
//! are `WrappedKey`s (age-encrypted). An app's own shape is `app`'s, the signed records
//! `records`', and reading a file `parse`'s; they are named here too, as they always were.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

pub use super::app::{App, Field, Sealed, Secret, WrappedKey, PUBLIC};
pub use super::names::{check_name, is_name};
pub use super::records::{
    Departure, DepartureKind, FormerReader, Invitation, JoinRequest, Return, Tombstone, Waiver,
};
use super::rules::Rules;
pub use super::scope::{Loaded, Scope};
use crate::date::Timestamp;
use crate::error::{Error, Result};
use crate::wechat::Level;

/// The format version this build writes. Formats 1 (no signed roster) and 2 (signed roster,
/// unsigned values) are still read, and written only after an owner adopts them (`sign`).
pub const FORMAT: u32 = 4;
/// Format 5 is format 4 with invitations, join requests or apps' public facts, written only
/// while a vault holds one, so every other vault stays readable by earlier builds.
pub const WITH_INVITATIONS: u32 = 5;
/// The newest format this build reads: format 6 adds rotation waivers, written only while a
/// vault holds one. An earlier build refuses it as newer rather than misreading its policy.
pub const NEWEST: u32 = 6;
/// The oldest format any member writes (format 3 becomes 4 on its first write, since its values
/// and policy read the same); older ones wait for an owner to adopt them with `sign`.
pub const WRITABLE: u32 = 3;
/// Earlier versions kept besides the current value of a secret.
pub const HISTORY: usize = 5;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Vault {
    pub format: u32,
    pub vault_id: String,
    pub created_at: crate::date::Timestamp,
    /// The policy's revision: every signed policy change raises it (format 3).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub revision: u64,
    pub members: BTreeMap<String, Member>,
    /// Who lost access to what, and when: the signed record that "rotation due" is computed from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub departures: Vec<Departure>,
    /// Who was given back what a departure took (format 4), signed with the policy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub returns: Vec<Return>,
    /// Every app's policy; its values only where the command's `Scope` reaches (`scope`).
    #[serde(deserialize_with = "super::scope::apps")]
    pub apps: BTreeMap<String, App>,
    /// Health rules (maximum secret ages, verification window, ICP); signed with the policy.
    #[serde(default, skip_serializing_if = "Rules::is_default")]
    pub rules: Rules,
    /// Rotations an owner accepted not to do (format 6), signed with the policy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waivers: Vec<Waiver>,
    /// Apps removed at the end of a contract (format 6), signed with the policy: what the
    /// access history of a removed app rests on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tombstones: Vec<Tombstone>,
    /// Invitations owners made (format 5), signed with the policy; kept once used, so a
    /// request cannot be approved twice.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invitations: Vec<Invitation>,
    /// Join requests newcomers wrote (format 5). Unsigned: anyone can write one, and it grants
    /// nothing until an owner approves it (`vault::invite`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requests: Vec<JoinRequest>,
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
    /// A service member (format 6): CI, a deploy bot. It reads the levels each app's
    /// `services` gives it, holds no console role, is never an owner and never writes.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub service: bool,
    pub added_by: String,
    pub added_at: crate::date::Timestamp,
}

/// A command asked for values of an app its `Scope` left out.
fn out_of_scope(app: &str) -> Error {
    Error::internal(format!(
        "internal error: this command read the vault without the values of app '{app}', and then asked for them"
    ))
}

/// What to do about a damaged vault file.
pub(super) const RESTORE: &str = "restore it from git (`git checkout -- mpvault.json`) or a backup";

/// A vault file that breaks a rule of the format or a bound of `limits`, saying `what`. The
/// text may quote the file, which may hold line breaks or terminal escapes: it is escaped.
pub fn damaged(what: &str) -> Error {
    Error::corrupt(crate::display::escape(what), RESTORE)
}

impl Vault {
    pub fn new(vault_id: String, now: Timestamp) -> Self {
        Vault {
            format: FORMAT,
            vault_id,
            created_at: now,
            revision: 0,
            members: BTreeMap::new(),
            departures: Vec::new(),
            returns: Vec::new(),
            waivers: Vec::new(),
            tombstones: Vec::new(),
            apps: BTreeMap::new(),
            rules: Rules::default(),
            invitations: Vec::new(),
            requests: Vec::new(),
            signature: None,
        }
    }

    /// The format to write: 6 while the vault holds a waiver, a tombstone, a service member, an
    /// app's client or an app's own verification window; 5 while it holds an invitation, a
    /// join request or an app's public facts; else 4.
    pub fn format_to_write(&self) -> u32 {
        let public = self.apps.values().any(|a| !a.public.is_empty());
        // An app's client and an app's own verification window came with format 6: an
        // earlier binary must call such a file newer, not damaged or forged.
        let client = self.apps.values().any(|a| a.public.contains_key("client"));
        let window = !self.rules.app_verification_window_days.is_empty();
        let newest = !self.waivers.is_empty() || !self.tombstones.is_empty() || client || window;
        if newest || self.members.values().any(|m| m.service) {
            NEWEST
        } else if self.invitations.is_empty() && self.requests.is_empty() && !public {
            FORMAT
        } else {
            WITH_INVITATIONS
        }
    }

    /// Pretty JSON with sorted keys and a final newline, so `git diff` stays readable.
    pub fn to_json(&self) -> String {
        let mut json = Vec::new();
        self.write_json(&mut json)
            .expect("the vault model always serializes");
        String::from_utf8(json).expect("serde_json writes UTF-8")
    }

    /// Writes the file's text (`to_json`) to `out`, without holding it in memory. A vault
    /// read in part (`Scope`) is refused: it would lose the values it passed over.
    pub fn write_json(&self, mut out: impl std::io::Write) -> std::io::Result<()> {
        if let Some(name) = self.first_partial() {
            return Err(std::io::Error::other(format!(
                "internal error: the vault was read without the values of app '{name}', and is never written"
            )));
        }
        serde_json::to_writer_pretty(&mut out, self)?;
        out.write_all(b"\n")
    }

    /// An app, with all its values: one the command's `Scope` left out is refused (a bug), so
    /// its empty maps are never taken for an app without values.
    pub fn app(&self, name: &str) -> Result<&App> {
        let app = self.app_policy(name)?;
        match app.loaded {
            Loaded::All => Ok(app),
            _ => Err(out_of_scope(name)),
        }
    }

    /// An app whose policy alone (AppID, roster, data keys, floors, public facts) is wanted.
    pub fn app_policy(&self, name: &str) -> Result<&App> {
        self.apps
            .get(name)
            .ok_or_else(|| crate::suggest::unknown_app(name, self.apps.keys().map(String::as_str)))
    }

    /// The names of the apps run for `client` (`app set --client`); an unknown client is an
    /// error, so a typo never shows an empty, healthy-looking view.
    pub fn client_apps(&self, client: &str) -> Result<BTreeSet<String>> {
        let apps: BTreeSet<String> = self
            .apps
            .iter()
            .filter(|(_, a)| a.public.get("client").is_some_and(|c| c == client))
            .map(|(name, _)| name.clone())
            .collect();
        if apps.is_empty() {
            let known: BTreeSet<&str> = self
                .apps
                .values()
                .filter_map(|a| a.public.get("client").map(String::as_str))
                .collect();
            return Err(crate::suggest::unknown_client(client, known));
        }
        Ok(apps)
    }

    /// `app`, for reading the value at `field`: `app list` has the info of every app.
    pub fn app_holding(&self, name: &str, field: &Field) -> Result<&App> {
        let app = self.app_policy(name)?;
        match (app.loaded, field) {
            (Loaded::All, _) | (Loaded::Listing, Field::Info(_)) => Ok(app),
            _ => Err(out_of_scope(name)),
        }
    }

    /// An app's wrapped data key of `level`, to open it: an app read for its policy alone
    /// keeps none, and one read for `app list` its team key alone (for its title).
    pub fn wrapped_key(&self, name: &str, level: Level) -> Result<Option<&WrappedKey>> {
        let app = self.app_policy(name)?;
        match app.loaded {
            Loaded::All => Ok(app.data_keys.get(&level)),
            Loaded::Listing if level == Level::Team => Ok(app.data_keys.get(&level)),
            Loaded::Listing | Loaded::Policy => Err(out_of_scope(name)),
        }
    }

    /// The names of an app's secrets, sorted.
    pub fn secret_names(&self, name: &str) -> Result<Vec<&str>> {
        let app = self.app_policy(name)?;
        match app.loaded {
            Loaded::All | Loaded::Listing => Ok(app.secrets.keys().map(String::as_str).collect()),
            Loaded::Policy => Err(out_of_scope(name)),
        }
    }

    /// Refuses a vault read in part, for what looks at the values of every app.
    pub fn require_whole(&self) -> Result<()> {
        match self.first_partial() {
            Some(name) => Err(out_of_scope(name)),
            None => Ok(()),
        }
    }

    fn first_partial(&self) -> Option<&str> {
        self.apps
            .iter()
            .find(|(_, a)| a.loaded != Loaded::All)
            .map(|(name, _)| name.as_str())
    }

    pub fn app_mut(&mut self, name: &str) -> Result<&mut App> {
        let known: Vec<String> = self.apps.keys().cloned().collect();
        self.apps
            .get_mut(name)
            .ok_or_else(|| crate::suggest::unknown_app(name, known.iter().map(String::as_str)))
    }

    pub fn member(&self, handle: &str) -> Result<&Member> {
        self.members.get(handle).ok_or_else(|| {
            crate::suggest::unknown_member(handle, self.members.keys().map(String::as_str))
        })
    }

    /// Whether `handle` is a service member (reads, holds no role, never writes).
    pub fn is_service(&self, handle: &str) -> bool {
        self.members.get(handle).is_some_and(|m| m.service)
    }

    pub fn owners(&self) -> impl Iterator<Item = &str> {
        self.members
            .iter()
            .filter(|(_, m)| m.owner)
            .map(|(h, _)| h.as_str())
    }
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if passes a reference"
)]
fn is_zero(n: &u64) -> bool {
    *n == 0
}
