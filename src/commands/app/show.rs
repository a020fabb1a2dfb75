//! `app show`: what anyone on the roster may see of one app (its facts, contact, config and
//! each secret's latest version), never a secret's value.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{team_value, text, CONTACT, INFO};
use crate::cli::AppShowArgs;
use crate::commands::Context;
use crate::error::Result;
use crate::output;
use crate::vault::{App, Field, Scope, Sealed};
use crate::wechat::{Level, Role};

/// Team-level values by name: `None` where the user cannot read them.
type Values = BTreeMap<String, Option<String>>;

/// `app show`: what anyone on the roster may see of one app, never a secret's value.
#[derive(Serialize)]
struct AppDetails<'v> {
    appid: &'v str,
    /// Build config (named as is, never shipped), shown only when there is some.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    build: Values,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    build_modes: BTreeMap<&'v str, Values>,
    /// The client the app is run for (a signed public fact), shown only when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    client: Option<&'v str>,
    config: Values,
    contact: Values,
    info: Values,
    modes: BTreeMap<&'v str, Values>,
    name: &'v str,
    roster: &'v BTreeMap<String, Vec<Role>>,
    secrets: Vec<SecretRow<'v>>,
}

/// A secret in `app show`: its latest version, never its value.
#[derive(Serialize)]
struct SecretRow<'v> {
    access: Level,
    name: &'v str,
    set_at: &'v str,
    set_by: &'v str,
    versions: usize,
}

impl output::Row<5> for SecretRow<'_> {
    const HEADER: [&'static str; 5] = ["SECRET", "ACCESS", "VERSIONS", "SET BY", "SET AT"];
    fn cells(&self) -> [String; 5] {
        [
            self.name.to_string(),
            self.access.to_string(),
            self.versions.to_string(),
            self.set_by.to_string(),
            self.set_at.to_string(),
        ]
    }
}

pub(super) fn show(ctx: &Context, AppShowArgs { app, json }: AppShowArgs) -> Result<()> {
    let name = app.as_str();
    ctx.read_optional(&Scope::app(name), |vault, mut keyring| {
        let mut read = |field: Field| team_value(vault, &mut keyring, name, &field);
        let details = details(vault.app(name)?, name, &mut read)?;
        if json {
            return output::json(&details);
        }
        print_details(&details)
    })
}

/// Reads a team-level value, or `None` where the user cannot.
type Read<'r> = dyn FnMut(Field) -> Result<Option<String>> + 'r;

/// Everything `app show` tells of `app`, each value read (or not) as the user may.
fn details<'v>(app: &'v App, name: &'v str, read: &mut Read) -> Result<AppDetails<'v>> {
    let mut info = Values::new();
    for (field, _) in INFO {
        // Public facts (format 5) need no key; earlier vaults kept them encrypted.
        let value = match app.public.get(field) {
            Some(v) => Some(v.clone()),
            None => read(Field::Info(field.into()))?,
        };
        info.insert(field.into(), value);
    }
    let contact = CONTACT
        .iter()
        .map(|(field, _)| Ok(((*field).to_string(), read(Field::Contact((*field).into()))?)))
        .collect::<Result<Values>>()?;
    let config = values(&app.config, &Field::Config, read)?;
    let modes = mode_values(&app.modes, Field::ModeConfig, read)?;
    let build = values(&app.build, &Field::Build, read)?;
    let build_modes = mode_values(&app.build_modes, Field::ModeBuild, read)?;
    Ok(AppDetails {
        appid: &app.appid,
        build,
        build_modes,
        client: app.public.get("client").map(String::as_str),
        config,
        contact,
        info,
        modes,
        name,
        roster: &app.roster,
        secrets: secret_rows(app),
    })
}

/// The values of one table of config, by key.
fn values(
    table: &BTreeMap<String, Sealed>,
    field: &dyn Fn(String) -> Field,
    read: &mut Read,
) -> Result<Values> {
    table
        .keys()
        .map(|key| Ok((key.clone(), read(field(key.clone()))?)))
        .collect()
}

/// The values of each build mode's config, by mode and key.
fn mode_values<'v>(
    modes: &'v BTreeMap<String, BTreeMap<String, Sealed>>,
    field: fn(String, String) -> Field,
    read: &mut Read,
) -> Result<BTreeMap<&'v str, Values>> {
    modes
        .iter()
        .map(|(mode, table)| {
            let in_mode = |key| field(mode.clone(), key);
            Ok((mode.as_str(), values(table, &in_mode, read)?))
        })
        .collect()
}

/// Each secret's latest version, never its value.
fn secret_rows(app: &App) -> Vec<SecretRow<'_>> {
    app.secrets
        .iter()
        .map(|(n, s)| SecretRow {
            access: s.access,
            name: n,
            set_at: &s.versions[0].set_at,
            set_by: &s.versions[0].set_by,
            versions: s.versions.len(),
        })
        .collect()
}

fn print_details(details: &AppDetails) -> Result<()> {
    let value = |values: &Values, key: &str| text(values.get(key).and_then(Option::as_deref));
    let mut lines = vec![format!("{}  {}", details.name, details.appid)];
    for (field, label) in INFO {
        lines.push(format!("  {label}: {}", value(&details.info, field)));
    }
    if let Some(client) = &details.client {
        lines.push(format!("  Client: {client}"));
    }
    lines.push("Administrator".into());
    for (field, label) in CONTACT {
        lines.push(format!("  {label}: {}", value(&details.contact, field)));
    }
    output::line(&lines.join("\n"))?;
    if !details.config.is_empty() {
        let rows = details
            .config
            .keys()
            .map(|k| [k.clone(), value(&details.config, k)]);
        output::table(["CONFIG", "VALUE"], rows)?;
    }
    if !details.modes.is_empty() {
        let rows = details.modes.iter().flat_map(|(mode, values)| {
            values
                .keys()
                .map(move |k| [mode.to_string(), k.clone(), value(values, k)])
        });
        output::table(["MODE", "CONFIG", "VALUE"], rows)?;
    }
    if !details.build.is_empty() {
        let rows = details
            .build
            .keys()
            .map(|k| [k.clone(), value(&details.build, k)]);
        output::table(["BUILD CONFIG", "VALUE"], rows)?;
    }
    if !details.build_modes.is_empty() {
        let rows = details.build_modes.iter().flat_map(|(mode, values)| {
            values
                .keys()
                .map(move |k| [mode.to_string(), k.clone(), value(values, k)])
        });
        output::table(["MODE", "BUILD CONFIG", "VALUE"], rows)?;
    }
    output::rows(&details.secrets, false)
}
