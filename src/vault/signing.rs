//! A change to who may read what is signed by an owner at a higher revision: made here for
//! every write that changes the policy (`commands`, `sign`, the merge driver: the acting
//! owner's key, at the revision after both the file's and the highest this clone accepted,
//! with the floors an owner's write records), and checked here on committed states (`audit`:
//! how a state is signed, and whether its new policy kept the rule), so the rule is kept once.

use std::collections::BTreeSet;

use super::guard::Guard;
use super::keyring::Keyring;
use super::model::Vault;
use super::policy::{self, Policy};
use crate::error::{Error, Result};
use crate::key::Identity;

/// An owner's write records each secret's level as its floor, so nobody can later store it
/// lower without an owner. A level this clone saw lowered by someone who could not read the
/// old one is left out rather than blessed.
pub fn record_floors(vault: &mut Vault, guard: &Guard) {
    for (app_name, app) in &mut vault.apps {
        for (name, secret) in &app.secrets {
            let seen = guard.seen(app_name, name).map(|(_, level)| level);
            if seen.is_some_and(|l| secret.access < l) {
                continue;
            }
            let floor = app.floors.entry(name.clone()).or_insert(secret.access);
            *floor = (*floor).max(secret.access);
        }
    }
}

/// Signs the vault's changed policy with the acting owner's key, at the revision after both
/// the file's and the highest this clone has accepted.
pub fn sign_change(
    vault: &mut Vault,
    keyring: &Keyring,
    identity: &Identity,
    seen: u64,
) -> Result<()> {
    keyring.require_owner(vault, "change who may read what")?;
    let Some(key) = &identity.signing else {
        return Err(Error::denied(
            "an SSH identity cannot sign the vault's roster",
            "owners use an mpvault identity (`mpvault identity new`)",
        ));
    };
    let public = crate::key::encode_signing_key(&key.verifying_key());
    let recorded = vault
        .members
        .get(&keyring.actor)
        .and_then(|m| m.signing_key.as_deref());
    if recorded != Some(public.as_str()) {
        return Err(Error::denied(
            format!(
                "{}'s signing key in the vault is not this identity's",
                keyring.actor
            ),
            "use the identity you were added with",
        ));
    }
    vault.revision = next_revision(vault.revision, seen)?;
    // Departures, returns and waivers recorded by this change carry the revision that signs
    // them.
    for d in vault.departures.iter_mut().filter(|d| d.revision == 0) {
        d.revision = vault.revision;
    }
    for r in vault.returns.iter_mut().filter(|r| r.revision == 0) {
        r.revision = vault.revision;
    }
    for w in vault.waivers.iter_mut().filter(|w| w.revision == 0) {
        w.revision = vault.revision;
    }
    for t in vault.tombstones.iter_mut().filter(|t| t.revision == 0) {
        t.revision = vault.revision;
    }
    super::policy::sign(vault, &keyring.actor, key)?;
    Ok(())
}

/// The revision after both the file's and the highest this clone accepted; past the bound
/// (`vault::limits::MAX_REVISION`) the change is refused, never wrapped.
fn next_revision(file: u64, seen: u64) -> Result<u64> {
    super::limits::next_revision(file, seen).ok_or_else(|| {
        Error::corrupt(
            format!(
                "the policy is at revision {}, the highest mpvault signs, so no change to who may read what can be signed",
                file.max(seen)
            ),
            "restore mpvault.json from git from before its revision jumped (`git log -p mpvault.json` shows who changed it); if this clone's memory jumped too, run `mpvault trust --repin` after checking fingerprints",
        )
    })
}

/// How a committed state's policy is signed, judged from the state and its parents alone.
pub enum Signed {
    /// By the owner with this signing key.
    By(String),
    /// Format 1: nothing in it is signed, so nothing can be verified.
    Never,
    /// A merge of two signed sides' policy changes by someone who is not an owner, waiting for
    /// an owner's `sign`: readers refuse it meanwhile, and the commit that signs it is checked.
    AwaitsOwner,
    /// A signature that does not verify, or none where one is due: said in words.
    Broken(&'static str),
}

impl Signed {
    /// The signer's key, when the signature verifies.
    pub fn key(&self) -> Option<&str> {
        match self {
            Signed::By(key) => Some(key),
            _ => None,
        }
    }
}

/// How `state`, whose parents are `parents`, is signed.
pub fn signed(state: &Vault, parents: &[&Vault]) -> Signed {
    if let Some(key) = policy::verify(state) {
        return Signed::By(key);
    }
    if state.signature.is_some() {
        return Signed::Broken(
            "its policy signature does not verify: who may read what was edited by hand",
        );
    }
    if state.format < 2 {
        return Signed::Never;
    }
    if state.format >= 3
        && parents.len() >= 2
        && parents.iter().all(|p| policy::verify(p).is_some())
    {
        return Signed::AwaitsOwner;
    }
    Signed::Broken(
        "its policy is not signed by an owner (a merge waiting for `mpvault sign`, or a stripped signature)",
    )
}

/// A policy no parent had must raise the revision above every parent's and be signed by an
/// owner of a parent's policy (`owners_before`, their signing keys; a merge that keeps one
/// side's policy inherits its check). Returns what it broke, in words.
pub fn policy_change_problems(
    parents: &[&Vault],
    after: &Vault,
    policy: &Policy,
    signer: Option<&str>,
    owners_before: &BTreeSet<String>,
) -> Vec<String> {
    let mut problems = Vec::new();
    if parents.is_empty() || after.format < 3 || parents.iter().any(|p| Policy::of(p) == *policy) {
        return problems;
    }
    let highest = parents.iter().map(|p| p.revision).max().unwrap_or(0);
    if after.revision <= highest {
        problems.push(format!(
            "it changed the policy without raising its revision ({} after {highest})",
            after.revision
        ));
    }
    if signer.is_some_and(|s| !owners_before.is_empty() && !owners_before.contains(s)) {
        problems.push(format!(
            "its policy is signed by '{}', who was not an owner before it",
            after.signature.as_ref().map_or("", |s| s.signer.as_str())
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::model::PolicySignature;

    fn state(format: u32, revision: u64) -> Vault {
        let mut v = Vault::new("id".into(), "t".into());
        v.format = format;
        v.revision = revision;
        v
    }

    /// Format 1 signed nothing; a later unsigned state lost its signature; a signature that
    /// does not verify was edited by hand.
    #[test]
    fn a_state_is_signed_never_not_or_badly() {
        assert!(matches!(signed(&state(1, 0), &[]), Signed::Never));
        let stripped = state(4, 3);
        assert!(matches!(signed(&stripped, &[]), Signed::Broken(p) if p.contains("stripped")));
        let mut forged = state(4, 3);
        forged.signature = Some(PolicySignature {
            signer: "mallory".into(),
            ed25519: "AAAA".into(),
        });
        assert!(matches!(signed(&forged, &[]), Signed::Broken(p) if p.contains("by hand")));
        // Two parents that are not signed either: no merge waiting for an owner.
        assert!(matches!(
            signed(&stripped, &[&state(4, 2), &state(4, 2)]),
            Signed::Broken(_)
        ));
    }

    /// A new policy at its parent's revision, signed by someone who was not an owner, breaks
    /// both halves of the rule; the same policy breaks neither.
    #[test]
    fn a_new_policy_raises_the_revision_and_is_signed_by_an_owner_of_before() {
        let parent = state(4, 3);
        let mut after = state(4, 3);
        after.rules.icp_required = Some(false);
        after.signature = Some(PolicySignature {
            signer: "mallory".into(),
            ed25519: String::new(),
        });
        let owners = BTreeSet::from(["alice-key".to_string()]);
        let policy = Policy::of(&after);
        let problems =
            policy_change_problems(&[&parent], &after, &policy, Some("mallory-key"), &owners);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("without raising its revision (3 after 3)"));
        assert!(problems[1].contains("signed by 'mallory', who was not an owner before it"));
        let same = Policy::of(&parent);
        assert!(policy_change_problems(&[&parent], &parent, &same, None, &owners).is_empty());
    }
}
