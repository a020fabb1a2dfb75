//! `config set|unset`: non-secret values, encrypted at the `team` level, for every build or
//! for one build mode. Bundle config is prefixed by a preset and ships in the Mini Program;
//! build config (`--build`) is named as is, for build scripts. Neither may hold a secret.

use zeroize::Zeroizing;

use super::{done, now, Context};
use crate::cli::{ConfigCommand, ConfigSetArgs, ConfigUnsetArgs};
use crate::error::{Error, Result};
use crate::vault::{admit, App, Field, Keyring, Vault};

pub fn run(ctx: &Context, cmd: ConfigCommand) -> Result<()> {
    match cmd {
        ConfigCommand::Set(args) => set(ctx, args),
        ConfigCommand::Unset(args) => unset(ctx, args),
    }
}

/// The field a config key lives in: bundle or build config, the base one or one mode's.
pub fn field(mode: Option<&str>, key: &str, build: bool) -> Field {
    let key = key.to_string();
    match (mode, build) {
        (Some(mode), false) => Field::ModeConfig(mode.to_string(), key),
        (Some(mode), true) => Field::ModeBuild(mode.to_string(), key),
        (None, false) => Field::Config(key),
        (None, true) => Field::Build(key),
    }
}

/// Refuses to store `key` as config of the `build` kind when the app has it as another kind.
pub fn check_kind(app: &App, app_name: &str, key: &str, build: bool) -> Result<()> {
    let wanted = if build {
        "build config"
    } else {
        "bundle config"
    };
    match app.kind_of(key) {
        Some("a secret") => Err(Error::exists(
            format!("{key} is already a secret of '{app_name}'"),
            format!("use `mpvault rotate-secret {app_name} {key}` to change it"),
        )),
        Some(kind) if kind != wanted => Err(Error::exists(
            format!("{key} is already {kind} of '{app_name}'"),
            format!("a name is bundle config, build config or a secret, never two: remove it first with `mpvault config unset {app_name} {key}` (and --mode for a mode's value)"),
        )),
        _ => Ok(()),
    }
}

fn set(
    ctx: &Context,
    ConfigSetArgs {
        app,
        pairs,
        mode,
        build,
    }: ConfigSetArgs,
) -> Result<()> {
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
        admit::refuse_startup_name(key)?;
        admit::check_value_size(key, value)?;
        refuse_secret_name(key)?;
        refuse_secret_shape(key, value)?;
        parsed.push((key, value));
    }
    ctx.write(|vault, keyring| {
        if let Some((key, _)) = parsed.first() {
            keyring.check_may_write(vault, app, &field(mode, key, build))?;
        }
        let a = vault.app(app)?;
        for (key, _) in &parsed {
            check_kind(a, app, key, build)?;
        }
        let secrets = readable_secrets(vault, keyring)?;
        for (key, value) in &parsed {
            refuse_secret_value(key, value, &secrets)?;
        }
        for (key, value) in &parsed {
            keyring.set_plain_field(vault, app, field(mode, key, build), value, &now())?;
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

/// Names whose 32 hex digits are public by their own account (a public key, an ID, a hash).
fn known_public(key: &str) -> bool {
    let upper = key.to_ascii_uppercase();
    upper.contains("PUBLIC") || upper.ends_with("_ID") || upper.ends_with("_HASH")
}

/// What secret `value` has the shape of, if any: an AppSecret (32 hex digits, unless `key`
/// says it is public), a PEM private key, or a WeChat Pay API key (32 letters and digits).
fn secret_shape(key: &str, value: &str) -> Option<&'static str> {
    let v = value.trim();
    let hex32 = v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit());
    let pay_key = v.len() == 32
        && v.bytes().all(|b| b.is_ascii_alphanumeric())
        && v.bytes().any(|b| b.is_ascii_digit())
        && v.bytes().any(|b| b.is_ascii_alphabetic());
    if v.contains("-----BEGIN ") && v.contains("PRIVATE KEY-----") {
        Some("a PEM private key")
    } else if hex32 {
        (!known_public(key)).then_some("an AppSecret's 32 hex digits")
    } else if pay_key {
        Some("a WeChat Pay API key's 32 letters and digits")
    } else {
        None
    }
}

/// Config is read by the whole team and bundle config ships in the Mini Program: a value
/// shaped like a secret is refused, naming the key and never the value.
pub fn refuse_secret_shape(key: &str, value: &str) -> Result<()> {
    match secret_shape(key, value) {
        None => Ok(()),
        Some(shape) => Err(Error::invalid(
            format!("{key} has the shape of a secret ({shape}), and config is readable by the whole team"),
            format!("store it with `mpvault add-secret APP {key}`; a public value of this shape needs a name that says so (ending in _ID or _HASH, or with PUBLIC)"),
        )),
    }
}

/// Every secret value `keyring` can read anywhere in the vault, earlier versions included. A
/// value that does not open is left to the commands that read it, which say why.
pub fn readable_secrets(vault: &Vault, keyring: &mut Keyring) -> Result<Vec<Zeroizing<String>>> {
    vault.require_whole()?;
    let mut out = Vec::new();
    for (app, a) in &vault.apps {
        for (name, secret) in &a.secrets {
            if !keyring.can_read(vault, app, secret.access) {
                continue;
            }
            let field = Field::Secret(name.clone());
            for version in 0..secret.versions.len() {
                if let Ok(Some(value)) = keyring.read(vault, app, &field, version) {
                    out.push(value);
                }
            }
        }
    }
    Ok(out)
}

/// Whether `value` is one of `secrets` (ignoring surrounding blanks, which a paste adds).
pub fn is_one_of(value: &str, secrets: &[Zeroizing<String>]) -> bool {
    let value = value.trim();
    !value.is_empty() && secrets.iter().any(|s| s.trim() == value)
}

/// Refuses a config value equal to a secret of the vault, naming the key and never the value.
pub fn refuse_secret_value(key: &str, value: &str, secrets: &[Zeroizing<String>]) -> Result<()> {
    if !is_one_of(value, secrets) {
        return Ok(());
    }
    Err(Error::invalid(
        format!("{key} has the value of a secret of this vault, and config is readable by the whole team"),
        "keep it a secret (`mpvault add-secret`), and reset that secret if the value was ever shared",
    ))
}

fn unset(ctx: &Context, ConfigUnsetArgs { app, keys, mode }: ConfigUnsetArgs) -> Result<()> {
    let (app, mode) = (app.as_str(), mode.as_deref());
    ctx.write(|vault, keyring| {
        let key = keys.first().map_or("", String::as_str);
        // Either kind steers builds: the bundle field stands for both.
        keyring.check_may_write(vault, app, &field(mode, key, false))?;
        let a = vault.app_mut(app)?;
        let (mut no_bundle, mut no_build) = (Values::new(), Values::new());
        let (bundle, build) = match mode {
            None => (Some(&mut a.config), Some(&mut a.build)),
            Some(mode) => (a.modes.get_mut(mode), a.build_modes.get_mut(mode)),
        };
        if let (Some(mode), None, None) = (mode, &bundle, &build) {
            return Err(Error::not_found(
                format!("app '{app}' has no config for mode '{mode}'"),
                format!("see its modes with `mpvault app show {app}`"),
            ));
        }
        let bundle = bundle.unwrap_or(&mut no_bundle);
        let build = build.unwrap_or(&mut no_build);
        remove_keys(app, mode, &keys, bundle, build)?;
        a.modes.retain(|_, m| !m.is_empty());
        a.build_modes.retain(|_, m| !m.is_empty());
        Ok(())
    })?;
    done(ctx, &format!("Removed {} from '{app}'.", keys.join(", ")));
    Ok(())
}

type Values = std::collections::BTreeMap<String, crate::vault::Sealed>;

/// Removes each key from whichever of the two maps holds it; refuses if one holds none.
fn remove_keys(
    app: &str,
    mode: Option<&str>,
    keys: &[String],
    bundle: &mut Values,
    build: &mut Values,
) -> Result<()> {
    if let Some(missing) = keys
        .iter()
        .find(|k| !bundle.contains_key(*k) && !build.contains_key(*k))
    {
        let scope = mode.map_or(String::new(), |m| format!(" in mode '{m}'"));
        return Err(Error::not_found(
            format!("app '{app}' has no config value {missing}{scope}"),
            format!("see them with `mpvault app show {app}`"),
        ));
    }
    for key in keys {
        bundle.remove(key);
        build.remove(key);
    }
    Ok(())
}
