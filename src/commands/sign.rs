//! `sign`: an owner reviews what changed in the policy since the state this clone trusts, and
//! signs it at a new revision. A format 1 or 2 vault is adopted: re-keyed, every value re-sealed
//! and signed, and its reminders kept as signed departures.

use std::collections::BTreeMap;

use super::{confirm, now, Context};
use crate::cli::SignArgs;
use crate::error::{Error, Result};
use crate::trust::{self, Memory};
use crate::vault::policy::{self, Policy};
use crate::vault::{offboarding, Keyring, Vault, FORMAT};
use crate::{output, store};

pub fn run(ctx: &Context, SignArgs { yes }: SignArgs) -> Result<()> {
    let path = ctx.vault_path()?;
    let identity = ctx.identity()?;
    let location = trust::location(&path);
    let mut memory = Memory::load()?;
    // Loaded without the trust check: what is not signed yet is what this command is for.
    let vault = store::load(&path)?;
    let seen = memory.recall(&location, &vault.vault_id).cloned();
    if let Some(seen) = seen.as_ref().filter(|s| s.vault_id != vault.vault_id) {
        return Err(Error::corrupt(
            format!("this is not the vault you trusted here: its id is {}, not {}", vault.vault_id, seen.vault_id),
            "restore mpvault.json from git; if an owner really replaced it, check fingerprints and run `mpvault trust --repin`",
        ));
    }
    if vault.format >= FORMAT && policy::verify(&vault).is_some() {
        output::note(&format!(
            "Nothing to sign: the policy is signed by {} at revision {}.",
            vault.signature.as_ref().map_or("", |s| s.signer.as_str()),
            vault.revision
        ));
        return Ok(());
    }
    refuse_non_owner(&vault, identity, seen.as_ref())?;
    let changes = review(&vault, seen.as_ref());
    output::note(&changes);
    confirm("Sign these changes", yes)?;
    let guard = seen.as_ref().map(trust::guard_of).unwrap_or_default();
    let seen_revision = seen.as_ref().map_or(0, |s| s.revision);
    let signed = store::update(&path, |vault| {
        let mut keyring = Keyring::open(vault, identity, guard)?;
        keyring.require_owner(vault, "sign the vault's policy")?;
        let public = identity
            .signing
            .as_ref()
            .map(|k| crate::key::encode_signing_key(&k.verifying_key()));
        if let (Some(seen), Some(public)) = (seen.as_ref(), public.as_ref()) {
            if !seen.owners.contains_key(public) {
                return Err(Error::denied(
                    format!("{} is not an owner this clone trusts for this vault, so their signature would prove nothing here", keyring.actor),
                    "ask an owner you trusted to sign, or check fingerprints and run `mpvault trust --repin`",
                ));
            }
        }
        let member = vault
            .members
            .get_mut(&keyring.actor)
            .expect("the actor is a member");
        if member.signing_key.is_none() {
            // Format-1 owners had no signing key: adopting records it.
            member.signing_key = public;
        }
        if vault.format < FORMAT {
            offboarding::adopt_legacy_reminders(vault, &keyring.actor, &now());
            keyring.adopt(vault)?;
            vault.format = FORMAT;
        } else {
            let apps: Vec<String> = vault.apps.keys().cloned().collect();
            for app in &apps {
                keyring.sync_readers(vault, app, false)?;
            }
        }
        trust::record_floors(vault, keyring.guard());
        trust::sign_change(vault, &keyring, identity, seen_revision)?;
        Ok(vault.clone())
    })?;
    memory.remember(
        &location,
        trust::after_write(seen.as_ref(), &signed, &now()),
    )?;
    output::note(&format!(
        "Signed the policy as {} at revision {}; commit mpvault.json.",
        signed.signature.as_ref().map_or("", |s| s.signer.as_str()),
        signed.revision
    ));
    Ok(())
}

/// Only an owner signs; anyone else is told who can, as this clone trusts them (the file's own
/// owner flags are what is waiting to be signed).
fn refuse_non_owner(
    vault: &Vault,
    identity: &crate::key::Identity,
    seen: Option<&trust::Seen>,
) -> Result<()> {
    let me = vault.members.iter().find(|(_, m)| m.key == identity.public);
    if me.is_some_and(|(_, m)| m.owner) {
        return Ok(());
    }
    let mut owners: Vec<&str> = match seen {
        Some(seen) => seen.owners.values().map(String::as_str).collect(),
        None => vault.owners().collect(),
    };
    owners.sort_unstable();
    let who = me.map_or("this identity".to_string(), |(h, _)| format!("'{h}'"));
    Err(Error::denied(
        format!("only a vault owner can sign the vault's policy, and {who} is not one"),
        format!(
            "ask one of its owners ({}) to run `mpvault sign` and commit mpvault.json",
            owners.join(", ")
        ),
    ))
}

/// What the signature would vouch for, against what this clone trusted before.
fn review(vault: &Vault, seen: Option<&trust::Seen>) -> String {
    let current = Policy::of(vault);
    let mut lines = Vec::new();
    if vault.format < FORMAT {
        lines.push(format!(
            "adopt this format-{} vault: every data key is replaced, and every value re-sealed and signed by you",
            vault.format
        ));
    }
    match seen.and_then(trust::Seen::policy) {
        Some(old) => lines.extend(policy::describe_changes(&old, &current)),
        None => {
            let empty = Policy {
                members: BTreeMap::default(),
                apps: BTreeMap::default(),
                departures: Some(Vec::new()),
                ..current.clone()
            };
            lines.extend(policy::describe_changes(&empty, &current));
        }
    }
    let list: Vec<String> = lines.iter().map(|l| format!("  - {l}")).collect();
    format!(
        "Signing vouches for who may read what in this vault:\n{}",
        list.join("\n")
    )
}
