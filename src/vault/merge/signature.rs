//! Whose signature the merged policy carries. A merge that changed nothing of who may read
//! what on one side keeps the other side's signature as it is; any other merged policy must be
//! signed anew by an owner, so only an owner can be the one merging it.

use super::merged::Sides;
use crate::key::Identity;
use crate::vault::model::Vault;
use crate::vault::policy::{self, Policy};

/// What became of the merged policy's signature.
pub enum Signature {
    /// A side's signature stands, with that side's revision.
    Kept,
    /// No side's signature fits: the policy is left unsigned at the higher revision, for the
    /// owner merging to sign at the next.
    Unsigned,
}

/// The handle of the member whose age key `identity` is.
pub(super) fn member_of(vault: &Vault, identity: &Identity) -> Option<String> {
    vault
        .members
        .iter()
        .find(|(_, m)| m.key == identity.public)
        .map(|(h, _)| h.clone())
}

/// The person merging, when they are an owner who can sign the merged policy.
pub(super) fn merging_owner(vault: &Vault, identity: Option<&Identity>) -> Option<String> {
    let identity = identity.filter(|i| i.signing.is_some())?;
    member_of(vault, identity).filter(|h| vault.members[h].owner)
}

/// Whether the merged policy is one side's, so that side's signature stands as it is.
pub(super) fn policy_of_a_side(vault: &Vault, sides: &Sides) -> bool {
    let merged = Policy::of(vault);
    [sides.ours, sides.theirs].into_iter().any(|side| {
        let signed = Policy::of(side);
        Policy {
            revision: signed.revision,
            ..merged.clone()
        } == signed
    })
}

/// The merged policy keeps a side's signature when it is that side's policy; otherwise it is
/// left for the owner merging (`conflicts` stops anyone else first) to sign.
pub fn settle_signature(vault: &mut Vault, sides: &Sides) -> Signature {
    for side in [sides.ours, sides.theirs] {
        vault.revision = side.revision;
        vault.signature.clone_from(&side.signature);
        if policy::verify(vault).is_some() && Policy::of(vault) == Policy::of(side) {
            return Signature::Kept;
        }
    }
    vault.revision = sides.ours.revision.max(sides.theirs.revision);
    vault.signature = None;
    Signature::Unsigned
}
