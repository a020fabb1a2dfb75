//! `config set|unset`: non-secret build values, encrypted at the `team` level.

use super::{check_key, now, Context};
use crate::cli::ConfigCommand;
use crate::error::{Error, Result};
use crate::vault::Field;

pub fn run(ctx: &Context, cmd: ConfigCommand) -> Result<i32> {
    match cmd {
        ConfigCommand::Set { app, pairs } => set(ctx, &app, &pairs),
        ConfigCommand::Unset { app, keys } => unset(ctx, &app, &keys),
    }
}

fn set(ctx: &Context, app: &str, pairs: &[String]) -> Result<i32> {
    let mut parsed = Vec::new();
    for pair in pairs {
        // Not repeated: an argument without '=' may be a secret pasted in the wrong place.
        let (key, value) = pair.split_once('=').ok_or_else(|| {
            Error::invalid(
                "an argument to config set is not KEY=VALUE, and it is not repeated here in case it is a secret",
                "write each value as KEY=VALUE; store secrets with `mpvault add-secret APP NAME` (hidden prompt or --stdin)",
            )
        })?;
        check_key(key)?;
        super::refuse_startup_name(key)?;
        super::check_value_size(key, value)?;
        refuse_secret_name(key)?;
        parsed.push((key, value));
    }
    ctx.write(|vault, keys| {
        let a = vault.app(app)?;
        if let Some((key, _)) = parsed.iter().find(|(k, _)| a.secrets.contains_key(*k)) {
            return Err(Error::exists(
                format!("{key} is already a secret of '{app}'"),
                format!("use `mpvault rotate-secret {app} {key}` to change it"),
            ));
        }
        for (key, value) in &parsed {
            keys.set_plain_field(vault, app, Field::Config(key.to_string()), value, &now())?;
        }
        Ok(())
    })?;
    Ok(0)
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

fn unset(ctx: &Context, app: &str, keys: &[String]) -> Result<i32> {
    ctx.write(|vault, _| {
        let a = vault.app_mut(app)?;
        if let Some(missing) = keys.iter().find(|k| !a.config.contains_key(*k)) {
            return Err(Error::not_found(
                format!("app '{app}' has no config value {missing}"),
                format!("see them with `mpvault app show {app}`"),
            ));
        }
        for key in keys {
            a.config.remove(key);
        }
        Ok(())
    })?;
    Ok(0)
}
