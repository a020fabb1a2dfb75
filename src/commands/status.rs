//! `status`: one row per app with its secrets' age, verification expiry and roster gaps.

use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::Context;
use crate::error::Result;
use crate::output;
use crate::vault::{offboarding, App, Field, Keyring, Sealed, Vault};
use crate::wechat::{Level, Role};

pub fn run(ctx: &Context, json: bool) -> Result<i32> {
    let broken = ctx.read_optional(|vault, mut keys| {
        let now = OffsetDateTime::now_utc();
        let mut rows = Vec::new();
        let mut broken = Vec::new();
        for (name, app) in &vault.apps {
            let mut row = app_status(vault, keys.as_mut(), name, app, now)?;
            if let Some(keys) = keys.as_mut() {
                let found = unopenable(vault, keys, name, app);
                row["broken"] = json!(found);
                broken.extend(found.into_iter().map(|b| format!("{name}: {b}")));
            }
            rows.push(row);
        }
        if json {
            output::json(&Value::Array(rows))?;
            return Ok(broken);
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
        )?;
        Ok(broken)
    })?;
    if broken.is_empty() {
        return Ok(0);
    }
    let path = ctx.vault_path()?;
    output::note(&format!(
        "mpvault: {} value(s) in the vault do not open with its keys or signatures:\n  {}\n{}.",
        broken.len(),
        broken.join("\n  "),
        crate::git::way_back(&path)
    ));
    Ok(crate::error::exit::CORRUPT)
}

/// Every value at a level this member reads that does not open: sealed under a key that was
/// replaced (a line merge of a rekey and a new value), or with a history or signature a line
/// merge broke. Levels this member cannot read are left to those who can.
fn unopenable(vault: &Vault, keys: &mut Keyring, name: &str, app: &App) -> Vec<String> {
    let mut values: Vec<(Field, Option<u64>, &Sealed, Level)> = Vec::new();
    for (kind, map) in [
        ("info", &app.info),
        ("contact", &app.contact),
        ("config", &app.config),
    ] {
        for (key, sealed) in map {
            let field = match kind {
                "info" => Field::Info(key.clone()),
                "contact" => Field::Contact(key.clone()),
                _ => Field::Config(key.clone()),
            };
            values.push((field, None, sealed, Level::Team));
        }
    }
    for (secret, s) in &app.secrets {
        for v in &s.versions {
            values.push((Field::Secret(secret.clone()), v.version, v, s.access));
        }
    }
    let mut broken = Vec::new();
    for (field, version, sealed, level) in values {
        if !keys.can_read(vault, name, level) {
            continue;
        }
        if let Err(e) = keys.open_copy(vault, name, &field, sealed) {
            let version = version.map(|v| format!(" version {v}")).unwrap_or_default();
            broken.push(format!("{}{version}: {e}", field.path()));
        }
    }
    broken
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
