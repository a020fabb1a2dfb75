//! `policy`: show the health rules `status` judges by, and (owners) change them. The rules are
//! part of the signed policy, so a change by anyone else is refused like a forged roster.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Context;
use crate::cli::{AppWindow, MaxAge, PolicyArgs, PolicyCommand, PolicySetArgs};
use crate::error::{Error, Result};
use crate::output;
use crate::vault::rules::{Rules, MAX_DAYS};
use crate::vault::{Scope, Vault};

pub fn run(ctx: &Context, PolicyArgs { command, json }: PolicyArgs) -> Result<()> {
    match command {
        None => show(ctx, json),
        Some(PolicyCommand::Set(args)) => set(ctx, &args),
        Some(PolicyCommand::Reset) => reset(ctx),
    }
}

/// `policy --json`: the rules in force, defaults filled in.
#[derive(Serialize)]
struct RulesView {
    /// Apps with a warning window of their own.
    app_verification_window_days: BTreeMap<String, u32>,
    icp_required: bool,
    max_age_days: BTreeMap<String, Option<u32>>,
    verification_window_days: u32,
}

fn show(ctx: &Context, json: bool) -> Result<()> {
    let rules = ctx.read_optional(&Scope::POLICY, |vault: &Vault, _| Ok(vault.rules.clone()))?;
    if json {
        return output::json(&RulesView {
            app_verification_window_days: rules.app_verification_window_days.clone(),
            icp_required: rules.icp_required(),
            max_age_days: rules.max_ages(),
            verification_window_days: rules.verification_window(),
        });
    }
    let mut lines = vec!["Maximum age of secrets:".to_string()];
    for (name, days) in rules.max_ages() {
        let limit = days.map_or("no limit".to_string(), |d| format!("{d} days"));
        let default = if rules.max_age_days.contains_key(&name) {
            ""
        } else {
            " (default)"
        };
        lines.push(format!("  {name:<24} {limit}{default}"));
    }
    lines.push(format!(
        "Verification (认证) flagged {} days before it expires{}",
        rules.verification_window(),
        default_mark(rules.verification_window_days.is_none())
    ));
    for (app, days) in &rules.app_verification_window_days {
        lines.push(format!("  for {app}: {days} days before"));
    }
    lines.push(format!(
        "ICP filing (备案) number {}{}",
        if rules.icp_required() {
            "required"
        } else {
            "not required"
        },
        default_mark(rules.icp_required.is_none())
    ));
    lines.push("Change with `mpvault policy set` (vault owners).".into());
    output::line(&lines.join("\n"))
}

fn default_mark(is_default: bool) -> &'static str {
    if is_default {
        " (default)"
    } else {
        ""
    }
}

fn set(ctx: &Context, args: &PolicySetArgs) -> Result<()> {
    check_set(args)?;
    let changed = described(args);
    ctx.write(|vault, keyring| {
        keyring.require_owner(vault, "change the health rules")?;
        apply(vault, args)
    })?;
    super::done(
        ctx,
        &format!("Changed the health rules: {}.", changed.join(", ")),
    );
    Ok(())
}

/// Refuses a window that is no window, and a `policy set` that sets nothing.
fn check_set(args: &PolicySetArgs) -> Result<()> {
    let window = args.verification_window;
    if window.is_some_and(|w| w > MAX_DAYS) {
        return Err(Error::invalid(
            format!("a verification window of more than {MAX_DAYS} days is not a window"),
            "give the number of days before expiry, such as 90",
        ));
    }
    if args.max_age.is_empty()
        && window.is_none()
        && args.app_windows.is_empty()
        && args.icp_required.is_none()
    {
        return Err(Error::invalid(
            "nothing to change",
            "pass --max-age NAME=DAYS, --verification-window DAYS, --app-window APP=DAYS or --icp-required true|false",
        ));
    }
    Ok(())
}

/// Each change, as the summary names it.
fn described(args: &PolicySetArgs) -> Vec<String> {
    let mut changed = Vec::new();
    for MaxAge { name, days } in &args.max_age {
        changed.push(format!(
            "{name} {}",
            days.map_or("has no age limit".to_string(), |d| format!(
                "at most {d} days old"
            ))
        ));
    }
    if let Some(w) = args.verification_window {
        changed.push(format!("verification flagged {w} days ahead"));
    }
    for AppWindow { app, days } in &args.app_windows {
        changed.push(match days {
            Some(d) => format!("verification of {app} flagged {d} days ahead"),
            None => format!("verification of {app} flagged as the vault's"),
        });
    }
    if let Some(icp) = args.icp_required {
        changed.push(format!(
            "ICP number {}",
            if icp { "required" } else { "not required" }
        ));
    }
    changed
}

/// Writes the changed rules into the vault's signed policy.
fn apply(vault: &mut Vault, args: &PolicySetArgs) -> Result<()> {
    let rules = &mut vault.rules;
    rules
        .max_age_days
        .extend(args.max_age.iter().map(|a| (a.name.clone(), a.days)));
    if args.verification_window.is_some() {
        rules.verification_window_days = args.verification_window;
    }
    if args.icp_required.is_some() {
        rules.icp_required = args.icp_required;
    }
    for AppWindow { app, days } in &args.app_windows {
        vault.app(app)?;
        let own = &mut vault.rules.app_verification_window_days;
        match days {
            Some(d) => own.insert(app.clone(), *d),
            None => own.remove(app),
        };
    }
    Ok(())
}

fn reset(ctx: &Context) -> Result<()> {
    ctx.write(|vault, keyring| {
        keyring.require_owner(vault, "change the health rules")?;
        vault.rules = Rules::default();
        Ok(())
    })?;
    super::done(ctx, "Put the health rules back to their defaults.");
    Ok(())
}
