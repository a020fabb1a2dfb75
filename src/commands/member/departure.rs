//! `member remove`, and the other side of a departure: what the leaver could read (now due
//! for rotation), and giving someone back a level they lost, which an owner confirms.

use std::collections::{BTreeMap, BTreeSet};

use super::sync_all;
use crate::cli::MemberRemoveArgs;
use crate::commands::{confirm, done, now, Context};
use crate::error::{Error, Result};
use crate::health::handoff;
use crate::vault::{offboarding, DepartureKind, Keyring, Return, Scope, Vault};

/// Which secrets must now be reset in the console: those the departure made due.
pub(in crate::commands) fn report_lost(handle: &str, vault: &Vault) -> String {
    let mut by_app: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for due in offboarding::rotations_due(vault) {
        if due.departed.as_deref() == Some(handle) {
            let place = crate::wechat::reset_where(&due.secret);
            by_app
                .entry(due.app)
                .or_default()
                .push(format!("{} ({place})", due.secret));
        }
    }
    if by_app.is_empty() {
        return format!("{handle} could read no secret they lost access to.");
    }
    let lines: Vec<String> = by_app
        .iter()
        .map(|(app, names)| format!("  {app}: {}", names.join(", ")))
        .collect();
    format!(
        "{handle} could read these secrets; reset each where it says, then store the new value with rotate-secret (`mpvault status` lists them until then):\n{}",
        lines.join("\n")
    )
}

pub(super) fn remove(
    ctx: &Context,
    MemberRemoveArgs {
        handle,
        yes,
        format,
    }: MemberRemoveArgs,
) -> Result<()> {
    let handle = handle.as_str();
    // Refusals come before the question: nobody is asked to confirm what they may not do.
    ctx.read(&Scope::All, |vault, keyring| {
        removable(vault, keyring, handle)
    })?;
    confirm(
        &format!("Remove member '{handle}' and replace every data key they could read"),
        yes,
    )?;
    let (lost, handoff) = ctx.write(|vault, keyring| {
        removable(vault, keyring, handle)?;
        let before = offboarding::readable(vault, handle);
        let key = vault.member(handle)?.key.clone();
        vault.members.remove(handle);
        let mut leavers = BTreeMap::new();
        for (name, app) in &mut vault.apps {
            app.services.remove(handle);
            if let Some(roles) = app.roster.remove(handle) {
                let leaver = handoff::Leaver {
                    handle: handle.to_string(),
                    roles,
                    keeps: Vec::new(),
                };
                leavers.insert(name.clone(), vec![leaver]);
            }
        }
        sync_all(vault, keyring)?;
        let now = now();
        offboarding::record(
            vault,
            handle,
            &key,
            DepartureKind::Removed,
            &before,
            &keyring.actor,
            &now,
        );
        // Written now, so the command keeps no second copy of a large vault.
        let handoff = format.is_some().then(|| {
            let dues: Vec<_> = offboarding::rotations_due(vault)
                .into_iter()
                .filter(|d| d.departed.as_deref() == Some(handle))
                .collect();
            handoff::build(vault, Some(keyring), &dues, &leavers)
        });
        Ok((report_lost(handle, vault), handoff))
    })?;
    done(
        ctx,
        &format!("Removed '{handle}'; the data keys they could read were replaced.\n{lost}"),
    );
    if let (Some(format), Some(handoff)) = (format, handoff) {
        let intro = format!(
            "{handle} no longer works on these Mini Programs. Please make these changes in the console (我方成员 {handle} 已离开，请在后台完成以下操作):"
        );
        crate::commands::status::print_handoff(&handoff, &intro, format)?;
    }
    Ok(())
}

fn removable(vault: &Vault, keyring: &Keyring, handle: &str) -> Result<()> {
    keyring.require_owner(vault, "remove members")?;
    let member = vault.member(handle)?;
    if member.owner && vault.owners().count() == 1 {
        return Err(Error::invalid(
            format!("'{handle}' is the vault's only owner"),
            "make someone else an owner first (`mpvault member add … --owner`)",
        ));
    }
    Ok(())
}

/// Giving someone back a level they lost is an owner's choice, made knowingly: it is named,
/// confirmed, and recorded as a signed return. The departure stays, and so do the rotations it
/// made due. Returns what to tell once it is done.
pub(in crate::commands) fn confirm_return(
    vault: &mut Vault,
    keyring: &Keyring,
    handle: &str,
    key: &str,
    gained: &BTreeSet<String>,
    yes: bool,
) -> Result<Option<String>> {
    let back = offboarding::given_back(vault, key, gained);
    if back.is_empty() {
        return Ok(None);
    }
    let places: Vec<String> = back
        .iter()
        .map(|(place, revision)| format!("{place} (lost in policy revision {revision})"))
        .collect();
    let places = places.join(", ");
    confirm(&format!("Giving '{handle}' back {places}"), yes)?;
    vault.returns.push(Return {
        handle: handle.to_string(),
        key: key.to_string(),
        at: now(),
        by: keyring.actor.clone(),
        revision: 0,
        regained: back.into_iter().map(|(place, _)| place).collect(),
    });
    Ok(Some(format!(
        "Gave '{handle}' back {places}; the secrets they could read before stay due for rotation until they are reset."
    )))
}
