//! The signed records of who came and went: departures, returns, rotation waivers, removed
//! apps' tombstones and invitations, and the unsigned join requests. Each is history the
//! policy keeps so that later judgements (rotations due, access history, approvals) rest on
//! what an owner signed, not on a clock or on git.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::wechat::{Level, Role};

/// Someone who lost access: removed, demoted from owner, or a role revoked.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Departure {
    pub handle: String,
    /// Their encryption key when they left, so a re-used handle is not confused with them.
    pub key: String,
    /// `removed`, `demoted` (no longer an owner) or `revoked` (lost levels of some apps).
    pub kind: DepartureKind,
    pub at: crate::date::Timestamp,
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
    pub at: crate::date::Timestamp,
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
    pub at: crate::date::Timestamp,
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
    pub removed_at: crate::date::Timestamp,
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
    pub since: crate::date::Timestamp,
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
    pub at: crate::date::Timestamp,
    /// After this time (RFC 3339 UTC) it is neither joined nor approved.
    pub expires: crate::date::Timestamp,
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
    pub at: crate::date::Timestamp,
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
