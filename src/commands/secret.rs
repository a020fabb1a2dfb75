//! `add-secret`, `rotate-secret`, `get`, `history`, `remove-secret`.

use std::fmt::Write as _;
use std::io::{IsTerminal, Read};

use serde::Serialize;
use zeroize::Zeroizing;

use super::{confirm, done, now, Context};
use crate::cli::{AddSecretArgs, GetArgs, HistoryArgs, RemoveSecretArgs, RotateSecretArgs};
use crate::error::{Error, Result};
use crate::output;
use crate::vault::{admit, App, Field, Keyring, Scope, Vault};
use crate::wechat::{self, Level, Shape};

pub fn add(ctx: &Context, args: AddSecretArgs) -> Result<()> {
    let AddSecretArgs {
        app,
        name,
        access,
        stdin,
    } = args;
    let app = app.as_str();
    check_args(app, &name)?;
    check_secret_name(&name)?;
    let level = access.unwrap_or_else(|| wechat::secret_kind(&name).level);
    let store = |vault: &mut Vault, keyring: &mut Keyring, value: &str| {
        keyring.set_secret(vault, app, &name, level, value, &now())
    };
    if stdin {
        // A piped value needs nobody to wait: the checks, the value and the write are one
        // pass over the locked file, in the order two passes would take them.
        ctx.check_then_write(
            |vault, keyring| {
                addable(vault, keyring, app, &name, level)?;
                secret_value(app, &name, true)
            },
            |vault, keyring, value| store(vault, keyring, &value),
        )?;
    } else {
        // Nobody holds the lock while a person types: the file is read (and refused) before
        // the prompt, and read again under the lock to write.
        ctx.read(&Scope::All, |vault, keyring| {
            addable(vault, keyring, app, &name, level)
        })?;
        let value = secret_value(app, &name, false)?;
        ctx.write(|vault, keyring| {
            if vault.app(app)?.secrets.contains_key(&name) {
                return Err(Error::exists(
                    format!("app '{app}' already has a secret named {name}"),
                    format!("use `mpvault rotate-secret {app} {name}`"),
                ));
            }
            store(vault, keyring, &value)
        })?;
    }
    done(
        ctx,
        &format!("Stored {name} for '{app}' at the {level} level."),
    );
    Ok(())
}

/// What `add-secret` must prove before anyone pastes a secret: a writer who may seal at
/// `level`, and a name the app does not hold yet.
fn addable(
    vault: &Vault,
    keyring: &mut Keyring,
    app: &str,
    name: &str,
    level: Level,
) -> Result<()> {
    keyring.identity().require_writer()?;
    let a = vault.app(app)?;
    if a.secrets.contains_key(name) {
        return Err(Error::exists(
            format!("app '{app}' already has a secret named {name}"),
            format!("use `mpvault rotate-secret {app} {name}` to replace its value"),
        ));
    }
    if admit::is_config(a, name) {
        return Err(Error::exists(
            format!("{name} is already a config value of '{app}'"),
            format!("unset it first with `mpvault config unset {app} {name}`"),
        ));
    }
    keyring.unlock(vault, app, level)
}

/// A new secret's value, from `--stdin` or a hidden prompt, checked for its kind.
fn secret_value(app: &str, name: &str, stdin: bool) -> Result<Zeroizing<String>> {
    let value = read_value(app, name, stdin)?;
    wechat::check_secret(name, &value)?;
    Ok(value)
}

/// What `rotate-secret` must prove first: a writer who can read the current value under its
/// signed key. Returns the secret's level and the app's AppID.
fn rotatable(
    vault: &Vault,
    keyring: &mut Keyring,
    app: &str,
    name: &str,
) -> Result<(Level, String)> {
    keyring.identity().require_writer()?;
    let a = vault.app(app)?;
    let level = a.secret(app, name)?.access;
    keyring.read(vault, app, &Field::Secret(name.to_string()), 0)?;
    keyring.unlock(vault, app, level)?;
    Ok((level, a.appid.clone()))
}

/// The new value: generated, or read from stdin or a hidden prompt; checked for its kind.
fn new_value(app: &str, name: &str, stdin: bool, generate: bool) -> Result<Zeroizing<String>> {
    let value = if generate {
        let kind = wechat::secret_kind(name);
        if !kind.generated {
            return Err(Error::invalid(
                format!("{name} is {}, which only WeChat issues, so mpvault cannot generate it", kind.what),
                "reset it in the console, then run rotate-secret without --generate and paste the new value",
            ));
        }
        wechat::generate_key()?
    } else {
        read_value(app, name, stdin)?
    };
    wechat::check_secret(name, &value)?;
    Ok(value)
}

pub fn rotate(ctx: &Context, args: RotateSecretArgs) -> Result<()> {
    let RotateSecretArgs {
        app,
        name,
        stdin,
        generate,
        verify,
        restore,
    } = args;
    let app = app.as_str();
    check_args(app, &name)?;
    if let Some(number) = restore {
        return restore_version(ctx, app, &name, number);
    }
    if verify {
        check_verifiable(&name)?;
    }
    // Reading the current value proves access, the signed key and the stored level before
    // anyone pastes a new secret or WeChat is asked, and names a damaged value before a
    // read-only vault is refused. A value that is generated or piped needs nobody to wait, so
    // the check and the write are one pass over the locked file (a third of the work saved).
    if (generate || stdin) && !verify {
        ctx.check_then_write(
            |vault, keyring| rotatable(vault, keyring, app, &name),
            |vault, keyring, (level, _)| {
                let value = new_value(app, &name, stdin, generate)?;
                keyring.set_secret(vault, app, &name, level, &value, &now())
            },
        )?;
        rotated(ctx, app, &name, generate);
        return Ok(());
    }
    let (level, appid) = ctx.read(&Scope::All, |vault, keyring| {
        rotatable(vault, keyring, app, &name)
    })?;
    let value = new_value(app, &name, stdin, generate)?;
    if verify {
        crate::wechat_api::verify(app, &appid, &value).map_err(refuse_unverified)?;
        output::note(&format!("WeChat accepted the new AppSecret of '{app}'."));
    }
    ctx.write(|vault, keyring| {
        let a = vault.app(app)?;
        a.secret(app, &name)?;
        if a.appid != appid {
            return Err(Error::invalid(
                format!("the AppID of '{app}' changed while WeChat was being asked"),
                "run the command again",
            ));
        }
        keyring.set_secret(vault, app, &name, level, &value, &now())
    })?;
    rotated(ctx, app, &name, generate);
    Ok(())
}

/// `rotate-secret --restore`: an earlier version stored again as the current value.
fn restore_version(ctx: &Context, app: &str, name: &str, number: u64) -> Result<()> {
    ctx.check_then_write(
        |vault, keyring| rotatable(vault, keyring, app, name),
        |vault, keyring, (level, _)| {
            keyring.restore_secret(vault, app, name, level, number, &now())
        },
    )?;
    done(ctx, &format!("Stored version {number} of {name} again as the current value of '{app}'; the mistaken one is kept in its history."));
    Ok(())
}

/// Only the AppSecret is checked with WeChat, and only where WeChat's address is known.
fn check_verifiable(name: &str) -> Result<()> {
    if name != wechat::APPSECRET {
        return Err(Error::invalid(
            format!("only the AppSecret can be verified with WeChat, not {name}"),
            "leave out --verify",
        ));
    }
    crate::wechat_api::base_url()?;
    Ok(())
}

fn rotated(ctx: &Context, app: &str, name: &str, generate: bool) {
    let mut note = format!("Rotated {name} for '{app}'; the previous value is kept (`mpvault get {app} {name} --previous 1`).");
    if generate {
        let _ = write!(
            note,
            " Copy the new value into the merchant platform with `mpvault get {app} {name}`."
        );
    }
    done(ctx, &note);
}

/// With `--verify`, a pair WeChat did not accept is not stored; say so in the hint.
fn refuse_unverified(error: Error) -> Error {
    match error {
        Error::Rejected { what, hint } => Error::Rejected {
            what: format!("{what}, so it was not stored"),
            hint,
        },
        Error::Unverified { what, hint } => Error::Unverified {
            what: format!("{what}, so the new AppSecret was not stored"),
            hint: format!("{hint}; or store it without --verify if you are sure"),
        },
        other => other,
    }
}

pub fn get(
    ctx: &Context,
    GetArgs {
        app,
        name,
        previous,
    }: GetArgs,
) -> Result<()> {
    let (app, name) = (app.as_str(), name.as_str());
    check_args(app, name)?;
    let value = ctx.read(&Scope::app(app), |vault, keyring| {
        let a = vault.app(app)?;
        if let Some(appid) = appid_by_exported_name(a, app, name, previous)? {
            return Ok(appid);
        }
        let field = if a.config.contains_key(name) && previous == 0 {
            Field::Config(name.to_string())
        } else if a.build.contains_key(name) && previous == 0 {
            Field::Build(name.to_string())
        } else {
            let secret = a.secret(app, name)?;
            if previous >= secret.versions.len() {
                return Err(Error::not_found(
                    format!(
                        "{name} of '{app}' has {} earlier version(s), not {previous}",
                        secret.versions.len() - 1
                    ),
                    format!("see them with `mpvault history {app} {name}`"),
                ));
            }
            Field::Secret(name.to_string())
        };
        keyring
            .read(vault, app, &field, previous)?
            .ok_or_else(|| Error::unknown_secret(app, name))
    })?;
    output::write(value.as_bytes())?;
    if std::io::stdout().is_terminal() && !value.ends_with('\n') {
        output::write(b"\n")?;
    }
    Ok(())
}

/// The AppID under a name exports give it (`WECHAT_APPID`, `TARO_APP_ID`, …): it is public,
/// and a build script that reads it by that name should find it here too.
fn appid_by_exported_name(
    a: &App,
    app: &str,
    name: &str,
    previous: usize,
) -> Result<Option<Zeroizing<String>>> {
    if !crate::preset::appid_names().any(|n| n == name) {
        return Ok(None);
    }
    if previous > 0 {
        return Err(Error::not_found(
            format!("the AppID of '{app}' has no earlier versions"),
            format!("leave out --previous; `mpvault app show {app}` shows the AppID"),
        ));
    }
    Ok(Some(Zeroizing::new(a.appid.clone())))
}

/// A row of `history`: one version of a secret, never its value.
#[derive(Serialize)]
struct VersionRow<'v> {
    access: Level,
    name: &'v str,
    number: Option<u64>,
    /// The version this one stored again (`rotate-secret --restore`).
    #[serde(skip_serializing_if = "Option::is_none")]
    restored: Option<u64>,
    sealed_by: Option<&'v str>,
    set_at: &'v str,
    set_by: &'v str,
    /// `current`, or `-N` for the N-th before it (as `get --previous N` takes it).
    version: String,
}

impl output::Row<5> for VersionRow<'_> {
    const HEADER: [&'static str; 5] = ["SECRET", "VERSION", "ACCESS", "SET BY", "SET AT"];
    fn cells(&self) -> [String; 5] {
        let mut version = match self.number {
            Some(n) => format!("{n} ({})", self.version),
            None => self.version.clone(),
        };
        if let Some(r) = self.restored {
            let _ = write!(version, "\nrestored v{r}");
        }
        let by = match self.sealed_by {
            Some(sealer) => format!("{} (re-sealed by {sealer})", self.set_by),
            None => self.set_by.to_string(),
        };
        [
            self.name.to_string(),
            version,
            self.access.to_string(),
            by,
            self.set_at.to_string(),
        ]
    }
}

pub fn history(ctx: &Context, HistoryArgs { app, name, json }: HistoryArgs) -> Result<()> {
    let (app, name) = (app.as_str(), name.as_deref());
    ctx.read_optional(&Scope::app(app), |vault, _| {
        let a = vault.app(app)?;
        if let Some(name) = name {
            a.secret(app, name)?;
        }
        let mut rows = Vec::new();
        let wanted = |n: &&String| name.is_none_or(|want| want == n.as_str());
        for (secret, s) in a.secrets.iter().filter(|(n, _)| wanted(n)) {
            for (i, v) in s.versions.iter().enumerate() {
                rows.push(VersionRow {
                    access: s.access,
                    name: secret,
                    number: v.version,
                    restored: v.restored,
                    sealed_by: v.sealed_by.as_deref(),
                    set_at: &v.set_at,
                    set_by: &v.set_by,
                    version: if i == 0 {
                        "current".to_string()
                    } else {
                        format!("-{i}")
                    },
                });
            }
        }
        output::rows(&rows, json)
    })
}

pub fn remove(ctx: &Context, RemoveSecretArgs { app, name, yes }: RemoveSecretArgs) -> Result<()> {
    let (app, name) = (app.as_str(), name.as_str());
    check_args(app, name)?;
    ctx.read(&Scope::All, |vault, keyring| {
        may_remove(vault, keyring, app, name)
    })?;
    confirm(&format!("Remove {name} and its history from '{app}'"), yes)?;
    ctx.write(|vault, keyring| {
        may_remove(vault, keyring, app, name)?;
        let owner = keyring.is_owner(vault);
        let a = vault.app_mut(app)?;
        a.secrets.remove(name);
        // Only an owner lifts the signed floor: anyone else re-adding it must match it.
        if owner {
            a.floors.remove(name);
        }
        Ok(())
    })?;
    done(ctx, &format!("Removed {name} from '{app}'. Earlier copies stay in git history; reset it in the console if it leaked."));
    Ok(())
}

fn may_remove(vault: &Vault, keyring: &Keyring, app: &str, name: &str) -> Result<()> {
    keyring.identity().require_writer()?;
    let level = vault.app(app)?.secret(app, name)?.access;
    if !keyring.is_owner(vault) && !keyring.can_read(vault, app, level) {
        return Err(Error::denied(
            format!(
                "{} cannot remove {level}-level secrets of '{app}'",
                keyring.actor
            ),
            "ask an owner or an app admin",
        ));
    }
    Ok(())
}

/// The app and secret name arguments of a secret command: one that looks like a value is
/// refused without being repeated.
fn check_args(app: &str, name: &str) -> Result<()> {
    if crate::redact::looks_like_value(app) || crate::redact::looks_like_value(name) {
        return Err(Error::value_as_name());
    }
    Ok(())
}

fn check_secret_name(name: &str) -> Result<()> {
    crate::export::check_env_name(name)?;
    admit::refuse_startup_name(name)?;
    if let Some(prefix) = crate::preset::bundle_prefix(name) {
        return Err(Error::invalid(
            format!("{name} starts with {prefix}, which Taro, Vite and vue-cli compile into the shipped Mini Program package, where anyone can read it"),
            format!("name the secret without {prefix}; presets never give secrets a bundle prefix"),
        ));
    }
    Ok(())
}

/// A secret from `--stdin` or a hidden prompt, never from argv.
fn read_value(app: &str, name: &str, stdin: bool) -> Result<Zeroizing<String>> {
    let value = if stdin {
        let mut bytes = Zeroizing::new(Vec::new());
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| Error::stdin("cannot read standard input", e))?;
        let text = std::str::from_utf8(&bytes).map_err(|_| {
            Error::invalid(
                format!("the value for {name} on standard input is not UTF-8 text"),
                "pass the value as text",
            )
        })?;
        Zeroizing::new(strip_single_newline(text).to_string())
    } else {
        if !std::io::stdin().is_terminal() {
            return Err(Error::invalid(
                "standard input is not a terminal, so there is nowhere to ask for the value",
                "pass --stdin to read it from standard input",
            ));
        }
        if wechat::secret_kind(name).shape == Shape::Pem {
            return Err(Error::invalid(
                format!("{name} is a multi-line PEM key, which a prompt cannot take"),
                "pass it on standard input: `--stdin < private.key`",
            ));
        }
        Zeroizing::new(
            rpassword::prompt_password(format!("{name} for {app} (input hidden): "))
                .map_err(|e| Error::stdin("cannot read the value", e))?,
        )
    };
    if value.is_empty() {
        return Err(Error::invalid(
            format!("no value was given for {name}"),
            "paste the value, or pipe it in with --stdin",
        ));
    }
    admit::check_value_size(name, &value)?;
    Ok(value)
}

/// One trailing newline (`\n` or `\r\n`) is stripped from a one-line value; multi-line values
/// such as PEM keys are kept whole.
fn strip_single_newline(text: &str) -> &str {
    let body = text
        .strip_suffix('\n')
        .map(|t| t.strip_suffix('\r').unwrap_or(t));
    match body {
        Some(body) if !body.contains('\n') => body,
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::strip_single_newline;

    #[test]
    fn only_one_line_values_lose_their_newline() {
        assert_eq!(strip_single_newline("abc\n"), "abc");
        assert_eq!(strip_single_newline("abc\r\n"), "abc");
        assert_eq!(strip_single_newline("abc\n\n"), "abc\n\n");
        assert_eq!(strip_single_newline("abc"), "abc");
        let pem = "-----BEGIN KEY-----\nAAA\n-----END KEY-----\n";
        assert_eq!(strip_single_newline(pem), pem);
    }
}
