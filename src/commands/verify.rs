//! `verify APP` / `verify --all`: ask WeChat whether the stored AppID and AppSecret belong
//! together, without disturbing the access token production uses.

use zeroize::Zeroizing;

use super::{Context, Outcome};
use crate::cli::VerifyArgs;
use crate::error::{Error, Result};
use crate::output;
use crate::vault::{App, Field, Keyring, Scope, Vault};
use crate::wechat;
use crate::wechat_api;

/// What one app needs to be checked, or why it cannot be.
enum Target {
    Check {
        app: String,
        appid: String,
        secret: Zeroizing<String>,
    },
    Skip {
        app: String,
        why: String,
    },
    /// The AppSecret is there but does not open.
    Failed {
        app: String,
        why: String,
    },
}

pub fn run(ctx: &Context, VerifyArgs { app, all }: VerifyArgs) -> Result<Outcome> {
    wechat_api::base_url()?;
    match app {
        Some(app) if !all => one(ctx, &app).map(Outcome::from),
        _ => every(ctx),
    }
}

fn one(ctx: &Context, app: &str) -> Result<()> {
    let (appid, secret) = ctx.read(&Scope::app(app), |vault, keyring| {
        let a = vault.app(app)?;
        a.secret(app, wechat::APPSECRET)?;
        let secret = keyring
            .read(vault, app, &Field::Secret(wechat::APPSECRET.into()), 0)?
            .ok_or_else(|| {
                Error::not_found(
                    format!("'{app}' has no AppSecret"),
                    format!("`mpvault add-secret {app}`"),
                )
            })?;
        Ok((a.appid.clone(), secret))
    })?;
    wechat_api::verify(app, &appid, &secret)?;
    output::line(&format!(
        "{app} ({appid}): WeChat accepted the AppID and AppSecret."
    ))
}

/// What `verify` does with one app: checks its AppSecret, or says why not. One damaged value
/// does not stop the others from being checked.
fn target(vault: &Vault, keyring: &mut Keyring, app: &str, a: &App) -> Target {
    match a.secrets.get(wechat::APPSECRET) {
        None => Target::Skip {
            app: app.to_string(),
            why: "no AppSecret stored".into(),
        },
        Some(s) if !keyring.can_read(vault, app, s.access) => Target::Skip {
            app: app.to_string(),
            why: format!("you cannot read its {} level", s.access),
        },
        Some(_) => match keyring.read(vault, app, &Field::Secret(wechat::APPSECRET.into()), 0) {
            Ok(secret) => Target::Check {
                app: app.to_string(),
                appid: a.appid.clone(),
                secret: secret.unwrap_or_default(),
            },
            Err(e) => Target::Failed {
                app: app.to_string(),
                why: e.to_string(),
            },
        },
    }
}

fn every(ctx: &Context) -> Result<Outcome> {
    let targets = ctx.read(&Scope::All, |vault, keyring| {
        Ok(vault
            .apps
            .iter()
            .map(|(app, a)| target(vault, keyring, app, a))
            .collect::<Vec<_>>())
    })?;
    if targets.is_empty() {
        output::line("No apps to verify.")?;
        return Ok(Outcome::Done);
    }
    let (mut rejected, mut unverified) = (false, false);
    for target in targets {
        let line = match target {
            Target::Skip { app, why } => format!("{app}: skipped, {why}."),
            Target::Failed { app, why } => {
                unverified = true;
                format!("{app}: not checked, {why}.")
            }
            Target::Check { app, appid, secret } => {
                match wechat_api::verify(&app, &appid, &secret) {
                    Ok(()) => format!("{app} ({appid}): accepted."),
                    Err(e) => {
                        match e {
                            Error::Rejected { .. } => rejected = true,
                            _ => unverified = true,
                        }
                        let hint = e.hint().map(|h| format!("; {h}")).unwrap_or_default();
                        format!("{app} ({appid}): {e}{hint}.")
                    }
                }
            }
        };
        output::line(&line)?;
    }
    Ok(Outcome::Verified {
        rejected,
        unverified,
    })
}
