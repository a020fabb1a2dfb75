//! Who holds what on an app: the console roles counted for `status`, and data keys that do
//! not match the roles (a reader without the key, or a key holder without the role).

use std::collections::BTreeMap;

use serde::Serialize;

use super::Finding;
use crate::vault::{access, App, Vault};
use crate::wechat::Role;

#[derive(Clone, Debug, Serialize)]
pub struct People {
    /// Vault owners read every app whether or not they hold a console role on it.
    pub owners: Vec<String>,
    /// Console roles on this app and how many hold each.
    pub roles: BTreeMap<Role, usize>,
}

pub(super) fn people(vault: &Vault, app: &App) -> People {
    let mut roles = BTreeMap::new();
    for held in app.roster.values() {
        for role in held {
            *roles.entry(*role).or_insert(0) += 1;
        }
    }
    People {
        owners: vault.owners().map(str::to_string).collect(),
        roles,
    }
}

/// Members entitled to a level whose data key is not wrapped to them, and the reverse.
pub(super) fn key_gaps(vault: &Vault, name: &str, app: &App) -> Vec<Finding> {
    let mut out = Vec::new();
    for (level, key) in &app.data_keys {
        let entitled = access::readers(vault, name, *level);
        for handle in entitled.iter().filter(|h| !key.readers.contains(h)) {
            out.push(Finding::due(
                format!("{handle} has no key to the {level} level"),
                format!("an owner runs `mpvault rekey {name}`"),
            ));
        }
        for handle in key.readers.iter().filter(|h| !entitled.contains(*h)) {
            out.push(Finding::broken(
                format!("{handle} holds the {level} key without a role that reaches it"),
                format!(
                    "an owner runs `mpvault rekey {name}`, then rotates what {handle} could read"
                ),
            ));
        }
    }
    out
}
