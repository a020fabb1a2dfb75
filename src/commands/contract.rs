//! `app remove`: the end of a contract. Every secret kind to reset and who does it, the order
//! (`verify` after the client resets, then remove), the pending rotations it drops, and a
//! signed tombstone so `audit --app` can hand the client an access history.

use std::collections::BTreeMap;

use super::{confirm, done, now, Context};
use crate::cli::AppRemoveArgs;
use crate::date::Timestamp;
use crate::error::Result;
use crate::output;
use crate::vault::{offboarding, Scope, Vault};
use crate::wechat::{self, Level};

pub fn remove(ctx: &Context, AppRemoveArgs { app, yes }: AppRemoveArgs) -> Result<()> {
    let name = app.as_str();
    let plan = ctx.read(&Scope::All, |vault, keyring| {
        keyring.require_owner(vault, "remove apps")?;
        vault.app(name)?;
        Ok(what_to_do(vault, name))
    })?;
    // Shown with --yes as well: it is what to send the client.
    output::note(&plan);
    confirm(
        &format!("Remove app '{name}' and every value stored for it"),
        yes,
    )?;
    let since = readers_since(ctx, name);
    ctx.write(|vault, keyring| {
        keyring.require_owner(vault, "remove apps")?;
        vault.app(name)?;
        if let Some(t) = offboarding::tombstone(vault, name, &since, &keyring.actor, &now()) {
            vault.tombstones.push(t);
        }
        vault.apps.remove(name);
        vault.rules.app_verification_window_days.remove(name);
        Ok(())
    })?;
    done(
        ctx,
        &format!("Removed '{name}'; a signed record of who could read it stays (`mpvault audit --app {name}` prints its access history). Its values stay in git history, readable by whoever could read them: the resets above are what end that."),
    );
    Ok(())
}

/// The steps of a contract's end, per secret kind, and what removing drops.
fn what_to_do(vault: &Vault, name: &str) -> String {
    let Ok(app) = vault.app(name) else {
        return String::new();
    };
    let client = app
        .public
        .get("client")
        .map(|c| format!(", client {c}"))
        .unwrap_or_default();
    let mut lines = vec![format!(
        "Removing '{name}' (AppID {}{client}) at the end of a contract:",
        app.appid
    )];
    if app.secrets.is_empty() {
        lines.push("  it holds no secret, so nothing needs resetting.".to_string());
    } else {
        lines.push("  1. The client's 管理员 resets every secret people here could read:".into());
        for secret in app.secrets.keys() {
            lines.push(format!("     - {secret}: {}", wechat::reset_step(secret)));
        }
        if app.secrets.contains_key(wechat::APPSECRET) {
            lines.push(format!("  2. `mpvault verify {name}`: once the AppSecret is reset, WeChat rejects the stored one (exit 8), which shows the old one is dead."));
            lines.push(format!("  3. Then `mpvault app remove {name}`."));
        } else {
            lines.push(format!("  2. Then `mpvault app remove {name}`."));
        }
    }
    let due: Vec<String> = offboarding::rotations_due(vault)
        .into_iter()
        .filter(|d| d.app == name)
        .map(|d| format!("{} ({})", d.secret, d.reason))
        .collect();
    if !due.is_empty() {
        lines.push(format!(
            "  Pending rotations dropped with it: {}.",
            due.join("; ")
        ));
    }
    lines.join("\n")
}

/// Since when each reader of `app` has read it at their level, from the vault's git history
/// (empty outside git, or where the history cannot be read: the tombstone falls back).
fn readers_since(ctx: &Context, app: &str) -> BTreeMap<(String, Level), Timestamp> {
    let Ok((top, rel)) = super::audit::vault_in_repository(ctx) else {
        return BTreeMap::new();
    };
    super::audit::access_history(&top, &rel, app)
        .unwrap_or_default()
        .into_iter()
        .filter(|s| s.until.is_none())
        .map(|s| ((s.handle, s.level), s.since))
        .collect()
}
