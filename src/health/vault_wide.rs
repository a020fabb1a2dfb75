//! Findings about the whole vault rather than one app: a format waiting for an owner to adopt
//! it, and onboarding in progress (invitations and join requests), which is never a problem.

use super::Finding;
use crate::vault::Vault;

/// Findings about the whole vault rather than one app.
pub fn vault_findings(vault: &Vault) -> Vec<Finding> {
    let mut out = Vec::new();
    if vault.format < crate::vault::WRITABLE {
        out.push(Finding::due(
            format!(
                "the vault is in format {}, which is read-only until an owner adopts it",
                vault.format
            ),
            "an owner reviews and signs it with `mpvault sign`",
        ));
    }
    out
}

/// Invitations still open and join requests waiting for an owner, one line each. They are
/// not problems: onboarding is everyday work.
pub fn pending(vault: &Vault, now: &str) -> Vec<String> {
    let mut out = Vec::new();
    for inv in vault.invitations.iter().filter(|i| !i.used) {
        let asked = vault.requests.iter().any(|r| r.invitation == inv.id);
        if asked {
            out.push(format!(
                "'{}' asks to join (invited by {}): an owner checks it with `mpvault member approve {}`",
                inv.handle, inv.by, inv.handle
            ));
        } else if crate::vault::invite::expired(inv, now) {
            out.push(format!(
                "the invitation for '{}' expired at {} unanswered",
                inv.handle, inv.expires
            ));
        } else {
            out.push(format!(
                "'{}' is invited by {} until {}, and has not asked to join yet",
                inv.handle, inv.by, inv.expires
            ));
        }
    }
    let open: Vec<&str> = vault
        .invitations
        .iter()
        .filter(|i| !i.used)
        .map(|i| i.id.as_str())
        .collect();
    for r in vault
        .requests
        .iter()
        .filter(|r| !open.contains(&r.invitation.as_str()))
    {
        out.push(format!(
            "a join request for '{}' answers no open invitation; it grants nothing",
            r.handle
        ));
    }
    out.into_iter()
        .map(|l| crate::display::escape(&l).into_owned())
        .collect()
}
