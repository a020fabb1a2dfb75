//! `trust`: the owners this user pinned for the vault, and deliberate re-pinning.

use serde_json::json;

use super::{now, Context};
use crate::error::{Error, Result};
use crate::trust::Pins;
use crate::vault::policy::{self, Policy};
use crate::{output, store};

pub fn run(ctx: &Context, repin: bool, json: bool) -> Result<i32> {
    // Loaded without the trust check: this is where an untrusted vault gets looked at.
    let vault = store::load(&ctx.vault_path()?)?;
    let mut pins = Pins::load()?;
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
        pins.pin(&policy, &now())?;
        output::note("Pinned the owners below for this vault.");
    }
    let owners = |list: &std::collections::BTreeMap<String, String>| -> Vec<serde_json::Value> {
        list.iter()
            .map(|(h, k)| json!({"handle": h, "fingerprint": policy::fingerprint(k)}))
            .collect()
    };
    let pinned = pins.get(&vault.vault_id).map(|p| owners(&p.owners));
    let report = json!({
        "vault_id": vault.vault_id,
        "signed_by": signer,
        "signature_valid": valid,
        "owners_in_vault": owners(&policy.owners()),
        "pinned_owners": pinned,
    });
    if json {
        return output::json(&report).map(|()| 0);
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
            .unwrap_or_else(|| "  (none: this vault is not pinned yet)".into())
    };
    let signed = match (&report["signed_by"], valid) {
        (serde_json::Value::String(s), true) => format!("signed by {s}"),
        (serde_json::Value::String(s), false) => format!("signature by {s} does NOT verify"),
        _ => "not signed (format 1)".into(),
    };
    output::line(&format!(
        "vault {}: {signed}\nowners you trust:\n{}\nowners the file names:\n{}",
        vault.vault_id,
        list(&report["pinned_owners"]),
        list(&report["owners_in_vault"]),
    ))?;
    Ok(0)
}
