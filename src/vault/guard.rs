//! What a write must respect of what this clone has seen, whatever remembered it: who left or
//! lost levels (a copy older than their departure is never encrypted to them) and each secret's
//! highest version and level. The keyring holds writes to it; `trust` builds it from its memory,
//! so it lives here, below both.

use std::collections::{BTreeMap, BTreeSet};

use crate::wechat::Level;

/// What this clone remembers that a write must respect (built by `trust` from its memory).
#[derive(Clone, Debug, Default)]
pub struct Guard {
    /// Members this clone has seen leave or lose levels, by their key.
    pub departed: BTreeMap<String, Departed>,
    /// The highest version and the level this clone has seen of each secret, by app, so a
    /// lookup by names allocates nothing.
    pub seen: BTreeMap<String, SeenInApp>,
}

/// Secret name → the highest version and the level this clone has seen of it.
pub type SeenInApp = BTreeMap<String, (u64, Level)>;

impl Guard {
    /// The highest version and the level this clone has seen of a secret.
    pub fn seen(&self, app: &str, name: &str) -> Option<(u64, Level)> {
        self.seen.get(app)?.get(name).copied()
    }
}

/// Someone who left the vault, or lost some levels, in a signed policy this clone accepted.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Departed {
    pub handle: String,
    pub revision: u64,
    /// Removed from the vault, rather than losing some levels.
    pub removed: bool,
    /// `app/level` they may no longer read.
    pub lost: BTreeSet<String>,
}
