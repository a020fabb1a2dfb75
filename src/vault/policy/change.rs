//! One difference between two policies (`Change`), and how the facts a review shows are
//! written: keys by what a person compares, roles by name.

use crate::wechat::Role;

/// One difference between two policies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// What changed, in one sentence: an error names the first one.
    pub what: String,
    /// The values before and after, for a review (empty when `what` says it all).
    pub detail: String,
    /// The member whose promotion to owner, or whose key as an owner, this is: such a change
    /// hands over every level of every app, so a review shows it first and asks on its own.
    pub owner_change: Option<String>,
}

impl Change {
    pub(super) fn new(what: String) -> Self {
        Change {
            what,
            detail: String::new(),
            owner_change: None,
        }
    }

    pub(super) fn detail(mut self, detail: String) -> Self {
        self.detail = detail;
        self
    }

    pub(super) fn of_owner(mut self, handle: &str) -> Self {
        self.owner_change = Some(handle.to_string());
        self
    }

    /// The sentence and its detail, as a review lists it.
    pub fn line(&self) -> String {
        format!("{}{}", self.what, self.detail)
    }
}

/// A member's key as a person checks it against `mpvault identity show`: whole, unless it is
/// an SSH-RSA key's few hundred characters.
pub(super) fn show_key(key: &str) -> String {
    const SHORT: usize = 100;
    if key.chars().count() <= SHORT {
        return key.to_string();
    }
    let start: String = key.chars().take(24).collect();
    format!("{start}… (SHA-256 {})", crate::key::fingerprint(key))
}

/// A signing key by the fingerprint `mpvault trust` shows.
pub(super) fn show_signing_key(key: Option<&str>) -> String {
    key.map_or("none".to_string(), |k| {
        format!("fingerprint {}", crate::key::fingerprint(k))
    })
}

pub(super) fn roles(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
