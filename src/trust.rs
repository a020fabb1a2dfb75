//! Trust on first use. A user pins the owners of each vault id the first time they open it;
//! from then on a policy (who may read what) that is not signed by a pinned owner is refused
//! before anything is read or encrypted.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::output;
use crate::vault::policy::{self, Policy};
use crate::vault::Vault;

/// The pinned owners of one vault, and the last policy seen signed by one of them.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Pin {
    pub owners: BTreeMap<String, String>,
    pub pinned_at: String,
    pub policy: Policy,
}

#[derive(Default, Serialize, Deserialize)]
struct PinFile {
    vaults: BTreeMap<String, Pin>,
}

/// `<data dir>/mpvault/trusted.json`.
pub struct Pins {
    path: PathBuf,
    file: PinFile,
}

/// How a vault stands once checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Signed by a pinned owner (or pinned just now, on first use).
    Signed,
    /// A format-1 vault never signed and never pinned: readable, but only an owner may write,
    /// which signs it.
    Unsigned,
}

impl Pins {
    pub fn load() -> Result<Self> {
        let dir = dirs::data_dir().ok_or_else(|| {
            Error::not_found(
                "cannot find this user's data folder",
                "set HOME or XDG_DATA_HOME",
            )
        })?;
        let path = dir.join("mpvault").join("trusted.json");
        let file = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|_| {
                Error::corrupt(
                    format!("the list of trusted vault owners at {} is damaged", path.display()),
                    "remove it to trust each vault afresh on next use, after checking owners' fingerprints",
                )
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => PinFile::default(),
            Err(e) => return Err(Error::io_at("read", &path, e)),
        };
        Ok(Pins { path, file })
    }

    pub fn get(&self, vault_id: &str) -> Option<&Pin> {
        self.file.vaults.get(vault_id)
    }

    /// Pins the owners of `policy` and remembers the policy.
    pub fn pin(&mut self, policy: &Policy, now: &str) -> Result<()> {
        let pin = Pin {
            owners: policy.owners(),
            pinned_at: now.to_string(),
            policy: policy.clone(),
        };
        self.file.vaults.insert(policy.vault_id.clone(), pin);
        self.save()
    }

    fn save(&self) -> Result<()> {
        let dir = self.path.parent().expect("the pin file has a folder");
        std::fs::create_dir_all(dir).map_err(|e| Error::io_at("create", dir, e))?;
        let json = serde_json::to_string_pretty(&self.file).expect("pins always serialize");
        crate::store::write_private(&self.path, json.as_bytes(), true)
    }
}

/// Checks the vault's policy against the user's pins, pinning on first use.
pub fn check(vault: &Vault, pins: &mut Pins, now: &str) -> Result<Standing> {
    let current = Policy::of(vault);
    let signer_key = policy::verify(vault);
    let Some(pin) = pins.get(&vault.vault_id).cloned() else {
        if vault.signature.is_none() {
            return Ok(Standing::Unsigned);
        }
        if signer_key.is_none() {
            return Err(unsigned_change(None));
        }
        announce_first_use(&current);
        pins.pin(&current, now)?;
        return Ok(Standing::Signed);
    };
    let Some(key) = signer_key else {
        return Err(unsigned_change(policy::describe_change(
            &pin.policy,
            &current,
        )));
    };
    let signer = vault
        .signature
        .as_ref()
        .map(|s| s.signer.as_str())
        .unwrap_or_default();
    if !pin.owners.values().any(|k| *k == key) {
        return Err(Error::corrupt(
            format!("the vault's roster is signed by '{signer}', who is not an owner you trusted for this vault"),
            "if its owners really changed, check their fingerprints with them and run `mpvault trust --repin`",
        ));
    }
    if pin.policy != current {
        pins.pin(&current, now)?;
    }
    Ok(Standing::Signed)
}

fn unsigned_change(change: Option<String>) -> Error {
    let what = match change {
        Some(change) => format!("{change} but the change is not signed by an owner"),
        None => "the vault's roster signature does not verify".to_string(),
    };
    Error::corrupt(what, "restore mpvault.json from git (`git log -p mpvault.json` shows who changed it) and tell an owner")
}

fn announce_first_use(policy: &Policy) {
    let owners: Vec<String> = policy
        .owners()
        .iter()
        .map(|(h, k)| format!("  {h}  {}", policy::fingerprint(k)))
        .collect();
    output::note(&format!(
        "Trusting this vault ({}) for the first time, with these owners:\n{}\nCheck the fingerprints with them out of band; `mpvault trust` shows them again.",
        policy.vault_id,
        owners.join("\n")
    ));
}
