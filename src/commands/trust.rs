//! `trust`: the owners this clone trusts for the vault here, and deliberate re-pinning.

use serde_json::json;

use super::{now, Context};
use crate::cli::TrustArgs;
use crate::error::{Error, Result};
use crate::trust::{self, Memory};
use crate::vault::policy::{self, Policy};
use crate::{output, store};

pub fn run(ctx: &Context, TrustArgs { repin, json }: TrustArgs) -> Result<()> {
    // Loaded without the trust check: this is where an untrusted vault gets looked at.
    let path = ctx.vault_path()?;
    let vault = store::load(&path)?;
    let location = trust::location(&path);
    let mut memory = Memory::load()?;
    let policy = Policy::of(&vault);
    let signer = vault.signature.as_ref().map(|s| s.signer.clone());
    let valid = policy::verify(&vault).is_some();
    if repin {
        if !valid {
            return Err(Error::corrupt(
                "the vault's roster signature does not verify, so there is nothing to trust",
                "restore mpvault.json from git and ask an owner to sign it",
            ));
        }
        memory.remember(&location, trust::pin_now(&vault, &now()))?;
        output::note("Pinned the owners below for this vault at this location.");
    }
    let owners = |list: Vec<(String, String)>| -> Vec<serde_json::Value> {
        list.into_iter()
            .map(|(h, k)| json!({"handle": h, "fingerprint": policy::fingerprint(&k)}))
            .collect()
    };
    let seen = memory.get(&location);
    let pinned = seen.map(|s| {
        owners(
            s.owners
                .iter()
                .map(|(k, h)| (h.clone(), k.clone()))
                .collect(),
        )
    });
    let report = json!({
        "location": location,
        "vault_id": vault.vault_id,
        "revision": vault.revision,
        "signed_by": signer,
        "signature_valid": valid,
        "owners_in_vault": owners(policy.owners().into_iter().collect()),
        "pinned_vault_id": seen.map(|s| s.vault_id.clone()),
        "pinned_revision": seen.map(|s| s.revision),
        "pinned_owners": pinned,
    });
    if json {
        return output::json(&report);
    }
    let list = |v: &serde_json::Value| {
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|o| {
                        format!(
                            "  {}  {}",
                            o["handle"].as_str().unwrap_or_default(),
                            o["fingerprint"].as_str().unwrap_or_default()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_else(|| "  (none: this vault is not pinned here yet)".into())
    };
    let signed = match (&signer, valid) {
        (Some(s), true) => format!("signed by {s} at revision {}", vault.revision),
        (Some(s), false) => format!("signature by {s} does NOT verify"),
        _ => format!("not signed (format {})", vault.format),
    };
    let remembered = seen.map_or(String::new(), |s| {
        format!(
            " (this clone has seen revision {} of vault {})",
            s.revision, s.vault_id
        )
    });
    output::line(&format!(
        "vault {}: {signed}{remembered}\nowners you trust here:\n{}\nowners the file names:\n{}",
        vault.vault_id,
        list(&report["pinned_owners"]),
        list(&report["owners_in_vault"]),
    ))
}
