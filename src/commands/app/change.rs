//! `app set` and `app rename`: an app's facts, its AppID and its name. Public facts and the
//! AppID are in the signed policy, so an owner changes them; the title is a team value.

use super::{check_text, INFO};
use crate::cli::{AppRenameArgs, AppSetArgs};
use crate::commands::{check_name, confirm, done, now, Context};
use crate::error::{Error, Result};
use crate::vault::{Field, Keyring, Scope, Vault};

pub(super) fn set(ctx: &Context, args: AppSetArgs) -> Result<()> {
    let AppSetArgs {
        app,
        title,
        verified_until,
        icp,
        client,
        appid,
        yes,
    } = args;
    let name = app.as_str();
    if let Some(client) = client.as_deref().filter(|c| !c.is_empty()) {
        check_name("client", client)?;
    }
    if let Some(appid) = appid {
        set_appid(ctx, name, &appid, yes)?;
        if title.is_none() && verified_until.is_none() && icp.is_none() && client.is_none() {
            return Ok(());
        }
    }
    let verified_until = verified_until.map(|date| date.to_string());
    for (label, value) in [("title", &title), ("ICP number", &icp)] {
        if let Some(v) = value {
            check_text(label, v)?;
        }
    }
    let changes: Vec<(&str, String)> = [
        ("title", title),
        ("verified_until", verified_until),
        ("icp", icp),
        ("client", client),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect();
    if changes.is_empty() {
        return Err(Error::invalid(
            "nothing to set",
            "pass --title, --verified-until, --icp, --client or --appid",
        ));
    }
    let (public, private): (Vec<_>, Vec<_>) = changes
        .into_iter()
        .partition(|(k, _)| crate::vault::model::PUBLIC.contains(k));
    let mut labels = set_public(ctx, name, &public)?;
    if !private.is_empty() {
        labels.extend(set_fields(ctx, name, &private, Field::Info, &INFO)?);
    }
    let order = |l: &&str| INFO.iter().position(|(_, label)| label == l);
    labels.sort_by_key(order);
    done(ctx, &format!("Updated '{name}': {}.", labels.join(", ")));
    Ok(())
}

/// The verification expiry and ICP number are public facts (WeChat shows both), and so is
/// the client an agency runs the app for: kept unencrypted in the signed policy, so an owner
/// sets them, and every reader judges and groups by them. An empty client clears it.
fn set_public<'t>(ctx: &Context, app: &str, values: &[(&str, String)]) -> Result<Vec<&'t str>> {
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let action = if values.iter().any(|(field, _)| *field == "client") {
        "set an app's client"
    } else {
        "set an app's public verification expiry or ICP number"
    };
    ctx.write(|vault, keyring| {
        keyring.require_owner(vault, action)?;
        let a = vault.app_mut(app)?;
        for (field, value) in values {
            if value.is_empty() {
                a.public.remove(*field);
            } else {
                a.public.insert((*field).to_string(), value.clone());
            }
            a.info.remove(*field);
        }
        Ok(())
    })?;
    Ok(values
        .iter()
        .filter_map(|(field, _)| {
            INFO.iter()
                .chain(&[("client", "Client")])
                .find(|(f, _)| f == field)
                .map(|(_, l)| *l)
        })
        .collect())
}

/// Corrects an app's AppID: a policy change, so an owner's, confirmed and signed. No value is
/// bound to the AppID, so every value, version and role stays as it is.
fn set_appid(ctx: &Context, name: &str, appid: &str, yes: bool) -> Result<()> {
    let was = ctx.read(&Scope::All, |vault, keyring| {
        keyring.require_owner(vault, "change an AppID")?;
        appid_free(vault, name, appid)?;
        Ok(vault.app(name)?.appid.clone())
    })?;
    confirm(
        &format!("Change the AppID of '{name}' from {was} to {appid}"),
        yes,
    )?;
    ctx.write(|vault, keyring| {
        keyring.require_owner(vault, "change an AppID")?;
        appid_free(vault, name, appid)?;
        vault.app_mut(name)?.appid = appid.to_string();
        Ok(())
    })?;
    done(ctx, &format!("The AppID of '{name}' is now {appid} (was {was}); every value, version and role is kept."));
    Ok(())
}

fn appid_free(vault: &Vault, name: &str, appid: &str) -> Result<()> {
    if vault.app(name)?.appid == appid {
        return Err(Error::invalid(
            format!("'{name}' already has the AppID {appid}"),
            "there is nothing to change",
        ));
    }
    if let Some((other, _)) = vault.apps.iter().find(|(_, a)| a.appid == appid) {
        return Err(Error::exists(
            format!("AppID {appid} is already in the vault as '{other}'"),
            "check the AppID",
        ));
    }
    Ok(())
}

pub(super) fn rename(ctx: &Context, AppRenameArgs { old, new, yes }: AppRenameArgs) -> Result<()> {
    let (old, new) = (old.as_str(), new.as_str());
    check_name("app", new)?;
    ctx.read(&Scope::All, |vault, keyring| {
        renamable(vault, keyring, old, new)
    })?;
    confirm(
        &format!("Rename app '{old}' to '{new}' (every value is re-sealed under the new name)"),
        yes,
    )?;
    ctx.write(|vault, keyring| {
        renamable(vault, keyring, old, new)?;
        keyring.rename_app(vault, old, new)?;
        crate::vault::offboarding::rename_app(vault, old, new);
        // The app's own verification window is a rule about the app: it goes with it.
        let windows = &mut vault.rules.app_verification_window_days;
        if let Some(days) = windows.remove(old) {
            windows.insert(new.to_string(), days);
        }
        Ok(())
    })?;
    done(ctx, &format!("Renamed '{old}' to '{new}'; every value, version, role and contact is kept. Builds and scripts that name '{old}' need the new name."));
    Ok(())
}

fn renamable(vault: &Vault, keyring: &Keyring, old: &str, new: &str) -> Result<()> {
    keyring.require_owner(vault, "rename apps")?;
    vault.app(old)?;
    if vault.apps.contains_key(new) {
        return Err(Error::exists(
            format!("app '{new}' already exists"),
            "pick another name",
        ));
    }
    Ok(())
}

/// Stores `values` as plain fields of `app` in one write (`place` says where each goes), and
/// returns their labels from `table`.
fn set_fields<'t>(
    ctx: &Context,
    app: &str,
    values: &[(&str, String)],
    place: fn(String) -> Field,
    table: &'t [(&str, &'t str)],
) -> Result<Vec<&'t str>> {
    ctx.write(|vault, keyring| {
        vault.app(app)?;
        for (field, value) in values {
            keyring.set_plain_field(vault, app, place(field.to_string()), value, &now())?;
        }
        Ok(())
    })?;
    Ok(values
        .iter()
        .filter_map(|(field, _)| table.iter().find(|(f, _)| f == field).map(|(_, l)| *l))
        .collect())
}
