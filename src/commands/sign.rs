//! `sign`: an owner reviews what changed in the policy since the state this clone trusts, and
//! signs it at a new revision. A format 1 or 2 vault is adopted: re-keyed, every value re-sealed
//! and signed, and its reminders kept as signed departures.
//!
//! The signed result is computed first, on a copy; the review is the difference between the
//! policy this clone trusts and that result (what the file changed, then what signing adds);
//! after the answers, exactly that result is written.

use std::collections::{BTreeMap, BTreeSet};

use super::{confirm, confirm_with, now, Context};
use crate::cli::SignArgs;
use crate::error::{Error, Result};
use crate::key::Identity;
use crate::trust::{self, Memory, Seen};
use crate::vault::policy::{self, Change, Policy};
use crate::vault::{offboarding, Keyring, Vault, WRITABLE};
use crate::{output, store};

pub fn run(ctx: &Context, SignArgs { yes, yes_owners }: SignArgs) -> Result<()> {
    let path = ctx.vault_path()?;
    let identity = ctx.identity()?;
    let location = trust::location(&path);
    let mut memory = Memory::load()?;
    // Loaded without the trust check: what is not signed yet is what this command is for.
    let vault = store::load(&path, &crate::vault::Scope::All)?;
    let seen = memory.recall(&location, &vault.vault_id).cloned();
    if let Some(seen) = seen.as_ref().filter(|s| s.vault_id != vault.vault_id) {
        return Err(Error::corrupt(
            format!("this is not the vault you trusted here: its id is {}, not {}", vault.vault_id, seen.vault_id),
            "restore mpvault.json from git; if an owner really replaced it, check fingerprints and run `mpvault trust --repin`",
        ));
    }
    if vault.format >= WRITABLE && policy::verify(&vault).is_some() {
        output::note(&format!(
            "Nothing to sign: the policy is signed by {} at revision {}.",
            vault.signature.as_ref().map_or("", |s| s.signer.as_str()),
            vault.revision
        ));
        return Ok(());
    }
    refuse_non_owner(&vault, identity, seen.as_ref())?;
    let trusted = seen.as_ref().and_then(Seen::policy);
    let signed = signed_copy(&vault, identity, seen.as_ref(), trusted.as_ref())?;
    let review = Review::of(&vault, &signed, trusted.as_ref());
    if let Some(empty) = review.empty {
        return Err(empty);
    }
    output::note(&review.text());
    if !review.owners.is_empty() {
        confirm_with(
            "Accept the owner changes listed first",
            yes_owners,
            "--yes-owners (after checking those keys with the people named)",
        )?;
    }
    confirm("Sign these changes", yes)?;
    store::update(&path, |current| {
        if *current != vault {
            return Err(Error::invalid(
                "mpvault.json changed while you reviewed it, so nothing was signed",
                "run `mpvault sign` again to review it as it is now",
            ));
        }
        current.clone_from(&signed);
        Ok(())
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
fn refuse_non_owner(vault: &Vault, identity: &Identity, seen: Option<&Seen>) -> Result<()> {
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

/// Format 5: the verification expiry and ICP number an earlier vault kept encrypted become
/// public facts in the signed policy (the review lists each), so every reader judges them.
fn make_public(vault: &mut Vault, keyring: &mut Keyring) -> Result<()> {
    let apps: Vec<String> = vault.apps.keys().cloned().collect();
    for app in apps {
        for field in crate::vault::model::PUBLIC {
            let info = crate::vault::Field::Info(field.to_string());
            let Some(value) = keyring.read(vault, &app, &info, 0)? else {
                continue;
            };
            let a = vault.app_mut(&app)?;
            a.public.insert(field.to_string(), value.to_string());
            a.info.remove(field);
        }
    }
    Ok(())
}

/// The vault as signing would leave it: adopted or with every level re-wrapped to its readers
/// (and replaced where a reader's key changed since the trusted policy, as the data key is
/// still wrapped to their old key), floors recorded, and signed at the next revision.
/// Computed before asking, so the review shows what is written.
fn signed_copy(
    vault: &Vault,
    identity: &Identity,
    seen: Option<&Seen>,
    trusted: Option<&Policy>,
) -> Result<Vault> {
    let mut vault = vault.clone();
    let guard = seen.map(trust::guard_of).unwrap_or_default();
    let mut keyring = Keyring::open(&vault, identity, guard)?;
    keyring.require_owner(&vault, "sign the vault's policy")?;
    let public = identity
        .signing
        .as_ref()
        .map(|k| crate::key::encode_signing_key(&k.verifying_key()));
    if let (Some(seen), Some(public)) = (seen, public.as_ref()) {
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
    if vault.format < WRITABLE {
        offboarding::adopt_legacy_reminders(&mut vault, &keyring.actor, &now());
        keyring.adopt(&mut vault)?;
    } else {
        let rekeyed = rekeyed(trusted, &vault);
        let apps: Vec<String> = vault.apps.keys().cloned().collect();
        for app in &apps {
            let replace = vault.apps[app]
                .data_keys
                .values()
                .any(|k| k.readers.iter().any(|r| rekeyed.contains(r)));
            keyring.sync_readers(&mut vault, app, replace)?;
        }
    }
    make_public(&mut vault, &mut keyring)?;
    vault.format = vault.format_to_write();
    trust::record_floors(&mut vault, keyring.guard());
    trust::sign_change(
        &mut vault,
        &keyring,
        identity,
        seen.map_or(0, |s| s.revision),
    )?;
    Ok(vault)
}

/// Members whose key is not the one the trusted policy gave them.
fn rekeyed(trusted: Option<&Policy>, vault: &Vault) -> BTreeSet<String> {
    let Some(trusted) = trusted else {
        return BTreeSet::new();
    };
    vault
        .members
        .iter()
        .filter(|(h, m)| trusted.members.get(*h).is_some_and(|t| t.key != m.key))
        .map(|(h, _)| h.clone())
        .collect()
}

/// What the signature would vouch for, against the policy this clone trusted before.
struct Review {
    /// Owner promotions and owners' key changes (the signer's own entry aside, which is
    /// checked against their identity): shown first, confirmed on their own.
    owners: Vec<Change>,
    /// Whether this clone remembers the policy it trusted; if not, `in_file` is everything.
    remembered: bool,
    /// What the file changed since the trusted policy.
    in_file: Vec<String>,
    /// What signing itself changes: adoption, re-wrapped and replaced keys, floors, revision.
    by_signing: Vec<String>,
    /// Set when the result is the trusted policy: nothing to sign.
    empty: Option<Error>,
}

impl Review {
    fn of(file: &Vault, signed: &Vault, trusted: Option<&Policy>) -> Review {
        let signer = signed.signature.as_ref().map_or("", |s| s.signer.as_str());
        let (now, result) = (Policy::of(file), Policy::of(signed));
        let base = trusted.cloned().unwrap_or_else(|| nothing(&now));
        let mut owners = Vec::new();
        let mut sort = |changes: Vec<Change>| -> Vec<String> {
            let mut rest = Vec::new();
            for change in changes {
                match &change.owner_change {
                    Some(who) if who != signer => owners.push(change),
                    _ => rest.push(change.line()),
                }
            }
            rest
        };
        let in_file = sort(policy::changes(&base, &now));
        let mut by_signing = sort(policy::changes(&now, &result));
        if file.format < WRITABLE {
            by_signing.insert(0, format!(
                "adopt this format-{} vault: every data key is replaced, and every value re-sealed and signed by you",
                file.format
            ));
        }
        by_signing.push(revision_line(file, signed, trusted));
        let empty = trusted
            .as_ref()
            .filter(|old| same_but_revision(old, &result))
            .map(|old| nothing_to_sign(old.revision()));
        Review {
            owners,
            remembered: trusted.is_some(),
            in_file,
            by_signing,
            empty,
        }
    }

    fn text(&self) -> String {
        let item = |l: &str| format!("  - {l}");
        let mut lines = vec!["Signing vouches for who may read what in this vault.".to_string()];
        if !self.owners.is_empty() {
            lines.push("Owner changes, to confirm on their own (an owner reads every level of every app; check these keys with the people named, out of band):".to_string());
            lines.extend(self.owners.iter().map(|c| item(&c.line())));
        }
        if !self.remembered {
            lines.push(
                "This clone remembers no policy for this vault, so everything in it is listed as new:"
                    .to_string(),
            );
        } else if !self.in_file.is_empty() {
            lines.push("Changed in mpvault.json since the policy this clone trusts:".to_string());
        }
        lines.extend(self.in_file.iter().map(|l| item(l)));
        lines.push("Added by signing:".to_string());
        lines.extend(self.by_signing.iter().map(|l| item(l)));
        lines.join("\n")
    }
}

/// An empty policy with `policy`'s identity, to list everything in it as new.
fn nothing(policy: &Policy) -> Policy {
    Policy {
        members: BTreeMap::default(),
        apps: BTreeMap::default(),
        departures: Some(Vec::new()),
        waivers: None,
        tombstones: None,
        rules: crate::vault::rules::Rules::default(),
        ..policy.clone()
    }
}

/// "policy revision 7 → 8", naming the file's own number when it jumped.
fn revision_line(file: &Vault, signed: &Vault, trusted: Option<&Policy>) -> String {
    let from = trusted.map_or(file.revision, Policy::revision);
    let claimed = if file.revision == from {
        String::new()
    } else {
        format!(" (the file says {})", file.revision)
    };
    format!("policy revision {from} → {}{claimed}", signed.revision)
}

fn same_but_revision(a: &Policy, b: &Policy) -> bool {
    let strip = |p: &Policy| Policy {
        revision: None,
        ..p.clone()
    };
    strip(a) == strip(b)
}

fn nothing_to_sign(revision: u64) -> Error {
    Error::corrupt(
        format!("nothing to sign: the policy in mpvault.json is the one signed at revision {revision}, with its signature removed"),
        "restore mpvault.json from git (`git checkout mpvault.json`; `git log -p mpvault.json` shows who removed it)",
    )
}
