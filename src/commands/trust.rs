//! `trust`: the owners this clone trusts for the vault here, the vaults it knows in this
//! repository, and deliberate re-pinning (which adds the vault found here, or replaces what was
//! remembered of its id).

use serde::Serialize;

use super::{now, Context};
use crate::cli::TrustArgs;
use crate::error::{Error, Result};
use crate::trust::{self, Memory};
use crate::vault::policy::{self, Policy};
use crate::{key, output, store};

/// What `trust` shows: the owners the file names against those this clone pinned for this
/// vault in its repository, and every vault this clone knows there.
#[derive(Serialize)]
struct TrustReport<'v> {
    known_vault_ids: Vec<&'v str>,
    owners_in_vault: Vec<Owner>,
    pinned_owners: Option<Vec<Owner>>,
    pinned_revision: Option<u64>,
    pinned_vault_id: Option<&'v str>,
    repository: &'v str,
    revision: u64,
    signature_valid: bool,
    signed_by: Option<&'v str>,
    vault_id: &'v str,
}

/// An owner by handle, with the fingerprint of their signing key to compare out of band.
#[derive(Serialize)]
struct Owner {
    fingerprint: String,
    handle: String,
}

/// `(handle, signing key)` pairs as owners with fingerprints.
fn owners(list: impl IntoIterator<Item = (String, String)>) -> Vec<Owner> {
    list.into_iter()
        .map(|(handle, key)| Owner {
            fingerprint: key::fingerprint(&key),
            handle,
        })
        .collect()
}

pub fn run(ctx: &Context, TrustArgs { repin, json }: TrustArgs) -> Result<()> {
    // Loaded without the trust check: this is where an untrusted vault gets looked at.
    let path = ctx.vault_path()?;
    let vault = store::load(&path, &crate::vault::Scope::All)?;
    let location = trust::location(&path);
    let mut memory = Memory::load()?;
    let valid = policy::verify(&vault).is_some();
    if repin {
        if !valid {
            return Err(Error::corrupt(
                "the vault's roster signature does not verify, so there is nothing to trust",
                "restore mpvault.json from git and ask an owner to sign it",
            ));
        }
        memory.remember(&location, trust::pin_now(&vault, &now()))?;
        output::note("Pinned the owners below for this vault in this repository.");
    }
    let seen = memory.get(&location, &vault.vault_id);
    let report = TrustReport {
        known_vault_ids: memory
            .vaults(&location)
            .map(|s| s.vault_id.as_str())
            .collect(),
        owners_in_vault: owners(Policy::of(&vault).owners()),
        pinned_owners: seen.map(|s| owners(s.owners.iter().map(|(k, h)| (h.clone(), k.clone())))),
        pinned_revision: seen.map(|s| s.revision),
        pinned_vault_id: seen.map(|s| s.vault_id.as_str()),
        repository: &location,
        revision: vault.revision,
        signature_valid: valid,
        signed_by: vault.signature.as_ref().map(|s| s.signer.as_str()),
        vault_id: &vault.vault_id,
    };
    if json {
        return output::json(&report);
    }
    output::line(&text(&report, vault.format))
}

/// The report for people: the vault's signature, then the owners trusted here beside those the
/// file names.
fn text(report: &TrustReport, format: u32) -> String {
    let list = |owners: Option<&Vec<Owner>>| match owners {
        Some(owners) => owners
            .iter()
            .map(|o| format!("  {}  {}", o.handle, o.fingerprint))
            .collect::<Vec<_>>()
            .join("\n"),
        None => "  (none: this vault is not pinned in this repository yet)".into(),
    };
    let signed = match (report.signed_by, report.signature_valid) {
        (Some(s), true) => format!("signed by {s} at revision {}", report.revision),
        (Some(s), false) => format!("signature by {s} does NOT verify"),
        _ => format!("not signed (format {format})"),
    };
    let remembered = report.pinned_revision.map_or(String::new(), |r| {
        format!(" (this clone has seen revision {r})")
    });
    let known = match report.known_vault_ids.as_slice() {
        [] => "none yet".to_string(),
        ids => ids.join(", "),
    };
    format!(
        "vault {}: {signed}{remembered}\nrepository {}; vaults this clone knows there: {known}\nowners you trust here:\n{}\nowners the file names:\n{}",
        report.vault_id,
        report.repository,
        list(report.pinned_owners.as_ref()),
        list(Some(&report.owners_in_vault)),
    )
}
