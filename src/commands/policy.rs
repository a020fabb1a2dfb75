//! `policy`: show the health rules `status` judges by, and (owners) change them. The rules are
//! part of the signed policy, so a change by anyone else is refused like a forged roster.

use serde_json::json;

use super::Context;
use crate::cli::PolicyCommand;
use crate::error::{Error, Result};
use crate::output;
use crate::vault::rules::{Rules, MAX_DAYS};
use crate::vault::Vault;

pub fn run(ctx: &Context, command: Option<PolicyCommand>, json: bool) -> Result<i32> {
    match command {
        None => show(ctx, json),
        Some(PolicyCommand::Set {
            max_age,
            verification_window,
            icp_required,
        }) => set(ctx, &max_age, verification_window, icp_required),
        Some(PolicyCommand::Reset) => reset(ctx),
    }
}

fn show(ctx: &Context, json: bool) -> Result<i32> {
    let rules = ctx.read_optional(|vault: &Vault, _| Ok(vault.rules.clone()))?;
    if json {
        output::json(&json!({
            "max_age_days": rules.max_ages(),
            "verification_window_days": rules.verification_window(),
            "icp_required": rules.icp_required(),
        }))?;
        return Ok(0);
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
    output::line(&lines.join("\n"))?;
    Ok(0)
}

fn default_mark(is_default: bool) -> &'static str {
    if is_default {
        " (default)"
    } else {
        ""
    }
}

/// Parses `NAME=DAYS` or `NAME=off`.
fn parse_max_age(text: &str) -> Result<(String, Option<u32>)> {
    let bad = || {
        Error::invalid(
            format!("'{}' is not NAME=DAYS", crate::display::escape(text)),
            format!("write it like WECHAT_APPSECRET=180 (days, at most {MAX_DAYS}), or NAME=off for no limit"),
        )
    };
    let (name, days) = text.split_once('=').ok_or_else(bad)?;
    super::check_key(name)?;
    let days = match days.trim() {
        "off" | "none" => None,
        d => Some(
            d.parse::<u32>()
                .ok()
                .filter(|d| (1..=MAX_DAYS).contains(d))
                .ok_or_else(bad)?,
        ),
    };
    Ok((name.to_string(), days))
}

fn set(
    ctx: &Context,
    max_age: &[String],
    window: Option<u32>,
    icp_required: Option<bool>,
) -> Result<i32> {
    let ages = max_age
        .iter()
        .map(|t| parse_max_age(t))
        .collect::<Result<Vec<_>>>()?;
    if window.is_some_and(|w| w > MAX_DAYS) {
        return Err(Error::invalid(
            format!("a verification window of more than {MAX_DAYS} days is not a window"),
            "give the number of days before expiry, such as 90",
        ));
    }
    if ages.is_empty() && window.is_none() && icp_required.is_none() {
        return Err(Error::invalid(
            "nothing to change",
            "pass --max-age NAME=DAYS, --verification-window DAYS or --icp-required true|false",
        ));
    }
    let mut changed = Vec::new();
    for (name, days) in &ages {
        changed.push(format!(
            "{name} {}",
            days.map_or("has no age limit".to_string(), |d| format!(
                "at most {d} days old"
            ))
        ));
    }
    if let Some(w) = window {
        changed.push(format!("verification flagged {w} days ahead"));
    }
    if let Some(icp) = icp_required {
        changed.push(format!(
            "ICP number {}",
            if icp { "required" } else { "not required" }
        ));
    }
    ctx.write(|vault, keys| {
        keys.require_owner(vault, "change the health rules")?;
        let rules = &mut vault.rules;
        rules.max_age_days.extend(ages.iter().cloned());
        if window.is_some() {
            rules.verification_window_days = window;
        }
        if icp_required.is_some() {
            rules.icp_required = icp_required;
        }
        Ok(())
    })?;
    super::done(
        ctx,
        &format!("Changed the health rules: {}.", changed.join(", ")),
    );
    Ok(0)
}

fn reset(ctx: &Context) -> Result<i32> {
    ctx.write(|vault, keys| {
        keys.require_owner(vault, "change the health rules")?;
        vault.rules = Rules::default();
        Ok(())
    })?;
    super::done(ctx, "Put the health rules back to their defaults.");
    Ok(0)
}
