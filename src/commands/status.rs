//! `status`: one row per app with its secrets' age, verification expiry and roster gaps.

use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::Context;
use crate::error::Result;
use crate::output;
use crate::vault::{offboarding, App, Field, Keyring, Vault};
use crate::wechat::{Level, Role};

pub fn run(ctx: &Context, json: bool) -> Result<i32> {
    ctx.read_optional(|vault, mut keys| {
        let now = OffsetDateTime::now_utc();
        let mut rows = Vec::new();
        for (name, app) in &vault.apps {
            rows.push(app_status(vault, keys.as_mut(), name, app, now)?);
        }
        if json {
            return output::json(&Value::Array(rows));
        }
        output::table(
            [
                "APP",
                "APPID",
                "SECRETS",
                "OLDEST SECRET",
                "VERIFIED UNTIL",
                "ROSTER GAPS",
                "ROTATIONS DUE",
            ],
            rows.iter().map(|r| {
                let secrets = r["secrets"].as_array().map(|s| s.len()).unwrap_or(0);
                let oldest = r["oldest_secret_days"]
                    .as_i64()
                    .map_or("—".into(), |d| format!("{d} days"));
                let verified = r["verified_until"].as_str().unwrap_or("—").to_string();
                let gaps = join(&r["roster_gaps"], |v| v.as_str());
                let due = join(&r["rotations_due"], |v| v["name"].as_str());
                [
                    r["app"].as_str().unwrap_or_default().into(),
                    r["appid"].as_str().unwrap_or_default().into(),
                    secrets.to_string(),
                    oldest,
                    verified,
                    gaps,
                    due,
                ]
            }),
        )
    })?;
    Ok(0)
}

fn app_status(
    vault: &Vault,
    keys: Option<&mut Keyring>,
    name: &str,
    app: &App,
    now: OffsetDateTime,
) -> Result<Value> {
    let secrets: Vec<Value> = app
        .secrets
        .iter()
        .map(|(n, s)| json!({"name": n, "access": s.access, "set_at": s.versions[0].set_at, "age_days": age_days(&s.versions[0].set_at, now)}))
        .collect();
    let oldest = secrets.iter().filter_map(|s| s["age_days"].as_i64()).max();
    let verified_until = match keys {
        Some(k) if k.can_read(vault, name, Level::Team) => k
            .read(vault, name, &Field::Info("verified_until".into()), 0)?
            .map(|v| v.to_string()),
        _ => None,
    };
    Ok(json!({
        "app": name,
        "appid": app.appid,
        "secrets": secrets,
        "oldest_secret_days": oldest,
        "verified_until": verified_until,
        "roster_gaps": roster_gaps(vault, app),
        "rotations_due": offboarding::rotations_due(vault).into_iter().filter(|d| d.app == name).map(|d| json!({"name": d.secret, "reason": d.reason})).collect::<Vec<_>>(),
    }))
}

fn age_days(set_at: &str, now: OffsetDateTime) -> Option<i64> {
    OffsetDateTime::parse(set_at, &Rfc3339)
        .ok()
        .map(|t| (now - t).whole_days())
}

fn roster_gaps(vault: &Vault, app: &App) -> Vec<String> {
    let mut gaps = Vec::new();
    if !app.roster.values().any(|r| r.contains(&Role::Admin)) {
        gaps.push("no admin on the roster".to_string());
    }
    if !app.roster.values().any(|r| r.contains(&Role::Developer)) {
        gaps.push("no developer on the roster".to_string());
    }
    for handle in app
        .roster
        .keys()
        .filter(|h| !vault.members.contains_key(*h))
    {
        gaps.push(format!("{handle} has no key"));
    }
    gaps
}

fn join<'v>(list: &'v Value, item: impl Fn(&'v Value) -> Option<&'v str>) -> String {
    list.as_array()
        .map(|a| a.iter().filter_map(item).collect::<Vec<_>>().join("; "))
        .unwrap_or_default()
}
