//! `config set|unset`: non-secret build values, encrypted at the `team` level, for every build
//! or for one build mode.

use super::{done, now, Context};
use crate::cli::{ConfigCommand, ConfigSetArgs, ConfigUnsetArgs};
use crate::error::{Error, Result};
use crate::vault::{App, Field};

pub fn run(ctx: &Context, cmd: ConfigCommand) -> Result<()> {
    match cmd {
        ConfigCommand::Set(args) => set(ctx, args),
        ConfigCommand::Unset(args) => unset(ctx, args),
    }
}

/// The field a config key lives in: the base config, or one mode's.
pub fn field(mode: Option<&str>, key: &str) -> Field {
    match mode {
        Some(mode) => Field::ModeConfig(mode.to_string(), key.to_string()),
        None => Field::Config(key.to_string()),
    }
}

/// Whether `name` is a config key of the app, in the base config or any mode.
pub fn is_config(app: &App, name: &str) -> bool {
    app.config.contains_key(name) || app.modes.values().any(|m| m.contains_key(name))
}

fn set(ctx: &Context, ConfigSetArgs { app, pairs, mode }: ConfigSetArgs) -> Result<()> {
    let (app, mode) = (app.as_str(), mode.as_deref());
    let mut parsed = Vec::new();
    for pair in &pairs {
        // Not repeated: an argument without '=' may be a secret pasted in the wrong place.
        let (key, value) = pair.split_once('=').ok_or_else(|| {
            Error::invalid(
                "an argument to config set is not KEY=VALUE, and it is not repeated here in case it is a secret",
                "write each value as KEY=VALUE; store secrets with `mpvault add-secret APP NAME` (hidden prompt or --stdin)",
            )
        })?;
        crate::export::check_env_name(key)?;
        super::refuse_startup_name(key)?;
        super::check_value_size(key, value)?;
        refuse_secret_name(key)?;
        parsed.push((key, value));
    }
    ctx.write(|vault, keyring| {
        if let Some((key, _)) = parsed.first() {
            keyring.check_may_write(vault, app, &field(mode, key))?;
        }
        let a = vault.app(app)?;
        if let Some((key, _)) = parsed.iter().find(|(k, _)| a.secrets.contains_key(*k)) {
            return Err(Error::exists(
                format!("{key} is already a secret of '{app}'"),
                format!("use `mpvault rotate-secret {app} {key}` to change it"),
            ));
        }
        for (key, value) in &parsed {
            keyring.set_plain_field(vault, app, field(mode, key), value, &now())?;
        }
        Ok(())
    })?;
    let names: Vec<&str> = parsed.iter().map(|(k, _)| *k).collect();
    done(ctx, &format!("Set {} for '{app}'.", names.join(", ")));
    Ok(())
}

/// Config values arrive in argv, which other users can see: anything named like a secret belongs in add-secret.
fn refuse_secret_name(key: &str) -> Result<()> {
    let upper = key.to_ascii_uppercase();
    let secretish = [
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "TOKEN",
        "PRIVATE",
        "API_V3_KEY",
        "API_V2_KEY",
        "UPLOAD_KEY",
    ];
    if secretish.iter().any(|word| upper.contains(word)) {
        return Err(Error::invalid(
            format!("{key} looks like a secret, and config values are passed on the command line where others can see them"),
            format!("store it with `mpvault add-secret APP {key}`, which reads it from a hidden prompt"),
        ));
    }
    Ok(())
}

fn unset(ctx: &Context, ConfigUnsetArgs { app, keys, mode }: ConfigUnsetArgs) -> Result<()> {
    let (app, mode) = (app.as_str(), mode.as_deref());
    ctx.write(|vault, keyring| {
        let key = keys.first().map_or("", String::as_str);
        keyring.check_may_write(vault, app, &field(mode, key))?;
        let a = vault.app_mut(app)?;
        let map = match mode {
            None => &mut a.config,
            Some(mode) => a.modes.get_mut(mode).ok_or_else(|| {
                Error::not_found(
                    format!("app '{app}' has no config for mode '{mode}'"),
                    format!("see its modes with `mpvault app show {app}`"),
                )
            })?,
        };
        if let Some(missing) = keys.iter().find(|k| !map.contains_key(*k)) {
            let scope = mode.map_or(String::new(), |m| format!(" in mode '{m}'"));
            return Err(Error::not_found(
                format!("app '{app}' has no config value {missing}{scope}"),
                format!("see them with `mpvault app show {app}`"),
            ));
        }
        for key in &keys {
            map.remove(key);
        }
        a.modes.retain(|_, m| !m.is_empty());
        Ok(())
    })?;
    done(ctx, &format!("Removed {} from '{app}'.", keys.join(", ")));
    Ok(())
}
