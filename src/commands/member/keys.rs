//! Replacing keys: a member's own (`member key`, with `--lost` when the old one may be in
//! other hands) and an app's data keys (`rekey`).

use super::key_unused;
use super::report_lost;
use crate::cli::{MemberKeyArgs, RekeyArgs};
use crate::commands::{confirm, done, now, Context};
use crate::error::{Error, Result};
use crate::key;
use crate::vault::{access, offboarding, DepartureKind, Keyring, Scope, Vault};
use crate::wechat::Level;

/// A new key for the same person. Every data key of the apps they read or wrote in is replaced
/// and its values re-sealed (signed by the owner as their sealer, so what they wrote under the
/// old signing key stays readable). With `--lost`, the old key is recorded as departed, as
/// `member remove` would, so what it could read is due for rotation; their roles stay.
pub(super) fn new_key(
    ctx: &Context,
    MemberKeyArgs {
        handle,
        key,
        lost,
        yes,
    }: MemberKeyArgs,
) -> Result<()> {
    let (key, signing_key) = key::parse_public_line(&key)?;
    let print = crate::vault::invite::fingerprint(&key, signing_key.as_deref());
    ctx.read(&Scope::All, |vault, keyring| {
        rekeyable(vault, keyring, &handle, &key, signing_key.as_ref())
    })?;
    if lost {
        confirm(
            &format!("Treat '{handle}'s old key as departed, so every secret it could read is due for rotation"),
            yes,
        )?;
    }
    let due = ctx.write(|vault, keyring| {
        rekeyable(vault, keyring, &handle, &key, signing_key.as_ref())?;
        let before = offboarding::readable(vault, &handle);
        let touched = touched_apps(vault, &handle);
        let member = vault.members.get_mut(&handle).expect("checked above");
        let old = std::mem::replace(&mut member.key, key.clone());
        member.signing_key.clone_from(&signing_key);
        for app in &touched {
            keyring.sync_readers(vault, app, true)?;
        }
        if !lost {
            return Ok(None);
        }
        offboarding::record(
            vault,
            &handle,
            &old,
            DepartureKind::Removed,
            &before,
            &keyring.actor,
            &now(),
        );
        Ok(Some(report_lost(&handle, vault)))
    })?;
    let said = match due {
        None => format!("Replaced '{handle}'s key (fingerprint {print}); they keep their roles, and the data keys they read were replaced, so the old key opens nothing new. No departure was recorded: if the old key may be in someone else's hands, run this again with --lost."),
        Some(due) => format!("Replaced '{handle}'s key (fingerprint {print}) and recorded the old one as departed; they keep their roles.\n{due}"),
    };
    done(ctx, &said);
    Ok(())
}

/// Refusals of `member key`, before any question.
fn rekeyable(
    vault: &Vault,
    keyring: &Keyring,
    handle: &str,
    key: &str,
    signing_key: Option<&String>,
) -> Result<()> {
    keyring.require_owner(vault, "change members' keys")?;
    let member = vault.member(handle)?;
    if handle == keyring.actor {
        return Err(Error::invalid(
            "you cannot replace your own key, because the change is signed with it",
            "ask another owner to run `mpvault member key` for you",
        ));
    }
    if member.owner && signing_key.is_none() {
        return Err(Error::invalid(
            format!(
                "'{handle}' is an owner, who signs the roster, but this key has no signing key"
            ),
            "ask them for the whole line `mpvault identity show` prints",
        ));
    }
    key_unused(vault, key)
}

/// The apps whose data keys reach `handle`, or that hold a value `handle` signed.
fn touched_apps(vault: &Vault, handle: &str) -> Vec<String> {
    vault
        .apps
        .iter()
        .filter(|(name, app)| {
            Level::ALL
                .into_iter()
                .any(|l| access::can_read(vault, name, l, handle))
                || app
                    .data_keys
                    .values()
                    .any(|k| k.readers.iter().any(|r| r == handle))
                || crate::vault::transition::values(app)
                    .iter()
                    .any(|(_, _, _, s)| s.signer() == handle)
        })
        .map(|(name, _)| name.clone())
        .collect()
}

pub fn rekey(ctx: &Context, RekeyArgs { app }: RekeyArgs) -> Result<()> {
    let app = app.as_deref();
    let count = ctx.write(|vault, keyring| {
        keyring.require_owner(vault, "rekey")?;
        let apps: Vec<String> = match app {
            Some(a) => vec![vault.app(a).map(|_| a.to_string())?],
            None => vault.apps.keys().cloned().collect(),
        };
        for a in &apps {
            keyring.sync_readers(vault, a, true)?;
        }
        Ok(apps.len())
    })?;
    done(
        ctx,
        &format!("Replaced the data keys of {count} app(s) and re-encrypted their values."),
    );
    Ok(())
}
