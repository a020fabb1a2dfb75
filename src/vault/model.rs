//! The vault's data model and its JSON form. Everything here is what anyone with the file can
//! see; values are `Sealed` (encrypted) and data keys are `WrappedKey`s (age-encrypted).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

pub use super::scope::{Loaded, Scope};
use crate::error::{Error, Result};
use crate::wechat::{self, Level, Role};

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
    pub created_at: String,
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
    #[serde(default, skip_serializing_if = "super::rules::Rules::is_default")]
    pub rules: super::rules::Rules,
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
    pub added_at: String,
}

/// Someone who lost access: removed, demoted from owner, or a role revoked.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Departure {
    pub handle: String,
    /// Their encryption key when they left, so a re-used handle is not confused with them.
    pub key: String,
    /// `removed`, `demoted` (no longer an owner) or `revoked` (lost levels of some apps).
    pub kind: DepartureKind,
    pub at: String,
    pub by: String,
    /// The policy revision that recorded it.
    pub revision: u64,
    /// What they could read and no longer can, as `app/level`.
    pub lost: Vec<String>,
}

/// An owner gave someone back levels a departure took from them (format 4). The departure
/// stays, and so do the rotations it made due.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Return {
    pub handle: String,
    /// Their encryption key, as their departure recorded it.
    pub key: String,
    pub at: String,
    pub by: String,
    /// The policy revision that recorded it.
    pub revision: u64,
    /// What they may read again, as `app/level`.
    pub regained: Vec<String>,
}

/// An owner's signed decision that a secret a departure made due need not be reset (format 6):
/// who decided, when, why, at which policy revision. It covers the departures signed at or
/// before its revision, or, naming a member, only that member's departure signed with it; a
/// later departure makes the secret due again, and a new value makes it moot.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Waiver {
    pub app: String,
    pub secret: String,
    /// The member whose departure, signed with it, it covers (`role revoke --keep-secrets`);
    /// every departure up to its revision when absent (`rotation waive`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub departed: Option<String>,
    /// Why the owner accepted the risk, in their words (public, like every policy field).
    pub reason: String,
    pub by: String,
    pub at: String,
    /// The policy revision that signed it.
    pub revision: u64,
}

/// A removed app (format 6): which Mini Program it was, whose it was, who could read which
/// level until it went, and who removed it when, at which policy revision.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Tombstone {
    pub app: String,
    pub appid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// Everyone who could read the app when it was removed, at the highest level they read.
    pub readers: Vec<FormerReader>,
    pub removed_at: String,
    pub by: String,
    /// The policy revision that signed the removal.
    pub revision: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct FormerReader {
    pub handle: String,
    pub level: Level,
    /// Since when, as far as the vault knows: the first commit of the vault's git history from
    /// which they read this level without a break, else the later of when they were added
    /// and when the app was.
    pub since: String,
}

/// An owner's invitation to join under a handle (format 5), signed with the policy. It commits
/// to a one-time code without holding it (see `vault::invite`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Invitation {
    /// 32 random hex digits, bound into the code's keys and every request's MAC.
    pub id: String,
    pub handle: String,
    /// The roles they get on approval, by app.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub roles: BTreeMap<String, Vec<Role>>,
    pub by: String,
    /// The inviting owner's signing key, bound into the code's keys: a newcomer with the code
    /// pins the owners of the vault that carries it.
    pub by_key: String,
    /// The signing keys of the vault's owners when it was made, sorted, bound into the code's
    /// keys: a newcomer accepts only a vault signed by one of them.
    pub owners: Vec<String>,
    pub at: String,
    /// After this time (RFC 3339 UTC) it is neither joined nor approved.
    pub expires: String,
    /// base64 of 16 random bytes, the scrypt salt's own part.
    pub salt: String,
    /// base64 of SHA-256 over a domain tag and the first half of the code's scrypt output.
    pub commitment: String,
    /// The MAC key (the second half) as a binary age file to the owners at the time, base64.
    pub mac_key: String,
    /// Set once an owner approved a request answering it: it is never approved again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub used: bool,
}

/// A newcomer's request to join (format 5): unsigned data that anyone can write.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct JoinRequest {
    pub handle: String,
    /// The id of the invitation it answers.
    pub invitation: String,
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_key: Option<String>,
    pub at: String,
    /// base64 HMAC-SHA256, under the code's MAC key, over the vault id, the invitation id, the
    /// handle and both keys.
    pub mac: String,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum DepartureKind {
    Removed,
    Demoted,
    Revoked,
}

impl DepartureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DepartureKind::Removed => "removed",
            DepartureKind::Demoted => "demoted",
            DepartureKind::Revoked => "revoked",
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct App {
    pub appid: String,
    pub added_at: String,
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
    pub set_at: String,
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

/// A command asked for values of an app its `Scope` left out.
fn out_of_scope(app: &str) -> Error {
    Error::internal(format!(
        "internal error: this command read the vault without the values of app '{app}', and then asked for them"
    ))
}

const RESTORE: &str = "restore it from git (`git checkout -- mpvault.json`) or a backup";

/// A vault file that breaks a rule of the format or a bound of `limits`, saying `what`. The
/// text may quote the file, which may hold line breaks or terminal escapes: it is escaped.
pub fn damaged(what: &str) -> Error {
    Error::corrupt(crate::display::escape(what), RESTORE)
}

/// The format a vault file names, when it names one, reading nothing else into memory.
fn probe_format(bytes: &[u8]) -> Result<Option<u64>> {
    match serde_json::from_slice::<Probe>(bytes) {
        Ok(probe) if bytes.trim_ascii_start().starts_with(b"{") => {
            Ok(probe.format.and_then(|f| f.as_u64()))
        }
        Ok(_) => Ok(None),
        Err(e) if e.is_syntax() || e.is_eof() => {
            let why = if e.is_eof() {
                "is truncated"
            } else {
                "is not valid JSON"
            };
            Err(Error::corrupt(
                format!(
                    "the vault file {why} (line {}, column {})",
                    e.line(),
                    e.column()
                ),
                RESTORE,
            ))
        }
        Err(_) => Ok(None),
    }
}

/// Refuses a file with no format version, or a newer one than this build reads.
fn check_format(format: Option<u64>) -> Result<()> {
    match format {
        None => Err(Error::corrupt(
            "this file is not an mpvault vault (it has no format version)",
            "point --vault at an mpvault.json, or run `mpvault init` to create one",
        )),
        Some(v) if v > u64::from(NEWEST) => Err(Error::corrupt(
            format!(
                "this vault uses format {v}, newer than this mpvault understands (format {NEWEST})"
            ),
            "upgrade mpvault to open it",
        )),
        Some(_) => Ok(()),
    }
}

/// The one field read before the rest of a vault file; other fields are skipped unbuilt.
#[derive(Deserialize)]
struct Probe {
    #[serde(default)]
    format: Option<serde_json::Value>,
}

impl Vault {
    pub fn new(vault_id: String, now: String) -> Self {
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
            rules: super::rules::Rules::default(),
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

    /// Parses and checks a vault file. A newer format is refused before anything else is read.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        Self::parse_scoped(bytes, &Scope::All)
    }

    /// `parse`, decoding the values of the apps `scope` reaches and only the policy of the
    /// others (see `vault::scope`). The bounds of the whole file's bytes, every app's policy
    /// and the values decoded are checked; values passed over are checked for JSON syntax
    /// alone, and no command can read them (`Vault::app`) or write the vault.
    pub fn parse_scoped(bytes: &[u8], scope: &Scope) -> Result<Self> {
        super::limits::check_bytes(bytes).map_err(|what| damaged(&what))?;
        // Parsed straight into the model (no `serde_json::Value` tree of the whole file). A
        // file that does not fit it is probed for its format alone, so a newer format is
        // named as such rather than as malformed.
        let parsed = super::scope::with_scope(scope, || serde_json::from_slice(bytes));
        let vault: Vault = match parsed {
            Ok(vault) => vault,
            Err(e) => {
                check_format(probe_format(bytes)?)?;
                return Err(damaged(&format!("the vault file is malformed: {e}")));
            }
        };
        check_format(Some(u64::from(vault.format)))?;
        vault
            .check()
            .and_then(|()| super::limits::check(&vault))
            .map_err(|what| damaged(&what))?;
        Ok(vault)
    }

    /// Structural rules a well-formed vault keeps.
    /// Departures and returns name a handle and `app/level` places.
    fn check_records(&self) -> std::result::Result<(), String> {
        let well_formed = |handle: &str, places: &[String]| {
            is_name(handle) && places.iter().all(|l| is_app_level(l))
        };
        if !self
            .departures
            .iter()
            .all(|d| well_formed(&d.handle, &d.lost))
        {
            return Err("the vault has a malformed departure record".to_string());
        }
        if !self
            .returns
            .iter()
            .all(|r| well_formed(&r.handle, &r.regained))
        {
            return Err("the vault has a malformed return record".to_string());
        }
        let waived = self.waivers.iter().all(|w| {
            is_name(&w.app) && w.departed.as_deref().is_none_or(is_name) && is_name(&w.by)
        });
        if !waived {
            return Err("the vault has a malformed waiver".to_string());
        }
        let buried = self.tombstones.iter().all(|t| {
            is_name(&t.app)
                && is_name(&t.by)
                && t.client.as_deref().is_none_or(is_name)
                && t.readers.iter().all(|r| is_name(&r.handle))
        });
        if !buried {
            return Err("the vault has a malformed tombstone".to_string());
        }
        self.check_services()?;
        let invited = self
            .invitations
            .iter()
            .all(|i| is_name(&i.handle) && i.roles.keys().all(|a| is_name(a)));
        if !invited || !self.requests.iter().all(|r| is_name(&r.handle)) {
            return Err("the vault has a malformed invitation or join request".to_string());
        }
        Ok(())
    }

    /// A service member is never an owner and holds no console role; an app's services are
    /// service members. Signed or not, a file that breaks this is damaged.
    fn check_services(&self) -> std::result::Result<(), String> {
        if let Some((h, _)) = self.members.iter().find(|(_, m)| m.service && m.owner) {
            return Err(format!("service member '{h}' is marked as an owner"));
        }
        for (name, app) in &self.apps {
            if let Some(h) = app.roster.keys().find(|h| self.is_service(h)) {
                return Err(format!(
                    "service member '{h}' holds a console role on '{name}'"
                ));
            }
            if let Some(h) = app.services.keys().find(|h| !self.is_service(h)) {
                return Err(format!(
                    "'{h}' reads '{name}' as a service but is not a service member"
                ));
            }
        }
        Ok(())
    }

    fn check(&self) -> std::result::Result<(), String> {
        self.rules.check()?;
        for (handle, member) in &self.members {
            if !is_name(handle) {
                return Err(format!(
                    "the vault has a malformed member handle '{handle}'"
                ));
            }
            if member.key.trim().is_empty() {
                return Err(format!("member '{handle}' has no key in the vault file"));
            }
        }
        for (name, app) in &self.apps {
            if !is_name(name) {
                return Err(format!("the vault has a malformed app name '{name}'"));
            }
            wechat::check_appid(&app.appid)
                .map_err(|_| format!("app '{name}' has a malformed AppID in the vault file"))?;
            for handle in app.roster.keys() {
                if !self.members.contains_key(handle) {
                    return Err(format!(
                        "app '{name}' lists '{handle}' on its roster, who is not a member"
                    ));
                }
            }
            for level in Level::ALL {
                let Some(key) = app.data_keys.get(&level) else {
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
            check_public(name, &app.public).and_then(|()| check_modes(name, &app.modes))?;
            check_modes(name, &app.build_modes)?;
            check_kinds(name, app)?;
            for (secret, s) in &app.secrets {
                if s.versions.is_empty() || s.versions.len() > HISTORY + 1 {
                    return Err(format!(
                        "secret {secret} of app '{name}' has a malformed history"
                    ));
                }
                if app.config.contains_key(secret)
                    || app.modes.values().any(|m| m.contains_key(secret))
                    || app.build.contains_key(secret)
                    || app.build_modes.values().any(|m| m.contains_key(secret))
                {
                    return Err(format!(
                        "{secret} of app '{name}' is both a config value and a secret, which would let one stand in for the other"
                    ));
                }
                let floor = wechat::minimum_level(secret)
                    .max(app.floors.get(secret).copied().unwrap_or(Level::Team));
                if s.access < floor {
                    return Err(format!(
                        "secret {secret} of app '{name}' is stored at the {} level, below its minimum, {floor}",
                        s.access
                    ));
                }
            }
            if self.format >= 3 {
                check_format_3_app(name, app)?;
            }
        }
        if self.format >= 3 {
            if self.revision == 0 {
                return Err("the vault has no policy revision".to_string());
            }
            self.check_records()?;
        }
        let mut keys = std::collections::BTreeSet::new();
        if let Some((handle, _)) = self.members.iter().find(|(_, m)| !keys.insert(&m.key)) {
            return Err(format!(
                "member '{handle}' has the same key as another member"
            ));
        }
        Ok(())
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

impl App {
    pub fn new(appid: String, added_at: String) -> Self {
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

/// Format 3 rules: committed data keys, signed values, numbered versions newest first.
fn check_format_3_app(name: &str, app: &App) -> std::result::Result<(), String> {
    if let Some(level) = app
        .data_keys
        .iter()
        .find(|(_, k)| k.commitment.is_none())
        .map(|(l, _)| l)
    {
        return Err(format!(
            "the {level} data key of app '{name}' has no commitment in the signed policy"
        ));
    }
    if !app.rotations_due.is_empty() {
        return Err(format!(
            "app '{name}' keeps an unsigned rotation list, which format 3 replaces with signed departures"
        ));
    }
    let plain = app
        .info
        .values()
        .chain(app.contact.values())
        .chain(app.config.values())
        .chain(app.modes.values().flat_map(|m| m.values()))
        .chain(app.build.values())
        .chain(app.build_modes.values().flat_map(|m| m.values()));
    if plain
        .clone()
        .any(|s| s.sig.is_none() || s.version.is_some())
    {
        return Err(format!(
            "a value of app '{name}' carries no writer's signature"
        ));
    }
    for (secret, s) in &app.secrets {
        let numbers: Option<Vec<u64>> = s.versions.iter().map(|v| v.version).collect();
        let ordered = numbers.is_some_and(|n| n.windows(2).all(|w| w[0] >= w[1]) && n[0] > 0);
        if !ordered || s.versions.iter().any(|v| v.sig.is_none()) {
            return Err(format!(
                "secret {secret} of app '{name}' has unsigned or misnumbered versions"
            ));
        }
    }
    Ok(())
}

/// Mode names follow the app-name rule, and their keys are environment-variable names, so
/// that a hostile file cannot smuggle a path or a strange name into an export.
fn check_modes(
    app_name: &str,
    modes: &BTreeMap<String, BTreeMap<String, Sealed>>,
) -> std::result::Result<(), String> {
    for (mode, config) in modes {
        if !is_name(mode) {
            return Err(format!(
                "app '{app_name}' has a malformed mode name in the vault file"
            ));
        }
        if config.is_empty() {
            return Err(format!("mode '{mode}' of app '{app_name}' is empty"));
        }
        if config
            .keys()
            .any(|k| crate::export::check_env_name(k).is_err())
        {
            return Err(format!(
                "mode '{mode}' of app '{app_name}' has a malformed config name"
            ));
        }
    }
    Ok(())
}

/// A name is bundle config or build config, never both: otherwise a build could take one for
/// the other, and a value meant for build scripts would ship.
fn check_kinds(app_name: &str, app: &App) -> std::result::Result<(), String> {
    let bundle = app
        .config
        .keys()
        .chain(app.modes.values().flat_map(BTreeMap::keys));
    let build: std::collections::BTreeSet<&String> = app
        .build
        .keys()
        .chain(app.build_modes.values().flat_map(BTreeMap::keys))
        .collect();
    for name in bundle {
        if build.contains(name) {
            return Err(format!(
                "{name} of app '{app_name}' is both bundle and build config, which would let one stand in for the other"
            ));
        }
    }
    Ok(())
}

/// `app/level`, as departures record what someone lost.
fn is_app_level(text: &str) -> bool {
    text.split_once('/')
        .is_some_and(|(app, level)| is_name(app) && level.parse::<Level>().is_ok())
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if passes a reference"
)]
fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Member handles and app names: lowercase letters, digits, `.`, `_` and `-`, up to 40.
/// The public facts an app may carry, and their form.
pub const PUBLIC: [&str; 3] = ["verified_until", "icp", "client"];

fn check_public(app: &str, public: &BTreeMap<String, String>) -> std::result::Result<(), String> {
    for (key, value) in public {
        let bad = !PUBLIC.contains(&key.as_str())
            || value.trim().is_empty()
            || value.chars().count() > 200
            || value.chars().any(char::is_control)
            || (key == "verified_until" && crate::date::parse_date(value).is_err())
            || (key == "client" && !is_name(value));
        if bad {
            return Err(format!("app '{app}' has a malformed public {key}"));
        }
    }
    Ok(())
}

pub fn is_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let rest_ok = bytes
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'));
    first_ok && rest_ok && name.len() <= 40
}

/// [`is_name`], as an error that says what the `kind` of name must look like.
pub fn check_name(kind: &str, name: &str) -> Result<()> {
    if is_name(name) {
        return Ok(());
    }
    Err(Error::invalid(
        format!("'{name}' is not a valid {kind} name"),
        "use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit (at most 40)",
    ))
}
