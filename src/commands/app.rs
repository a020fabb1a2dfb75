//! `app add|list|show|remove|set|contact`.

use std::io::IsTerminal;

use std::collections::BTreeMap;

use serde::Serialize;

use super::{check_name, confirm, done, now, Context};
use crate::cli::{
    AppAddArgs, AppCommand, AppContactArgs, AppListArgs, AppRenameArgs, AppSetArgs, AppShowArgs,
};
use crate::error::{Error, Result};
use crate::output;
use crate::vault::{App, Field, Keyring, Scope, Vault};
use crate::wechat::{Level, Role};

pub const INFO: [(&str, &str); 3] = [
    ("title", "Title"),
    ("verified_until", "Verified until"),
    ("icp", "ICP filing"),
];
pub const CONTACT: [(&str, &str); 4] = [
    ("name", "Name"),
    ("wechat", "WeChat ID"),
    ("email", "Email"),
    ("phone", "Phone"),
];

pub fn run(ctx: &Context, cmd: AppCommand) -> Result<()> {
    match cmd {
        AppCommand::Add(args) => add(ctx, args),
        AppCommand::List(args) => list(ctx, args),
        AppCommand::Show(args) => show(ctx, args),
        AppCommand::Remove(args) => super::contract::remove(ctx, args),
        AppCommand::Set(args) => set(ctx, args),
        AppCommand::Rename(args) => rename(ctx, args),
        AppCommand::Contact(args) => contact(ctx, args),
    }
}

fn add(ctx: &Context, args: AppAddArgs) -> Result<()> {
    let AppAddArgs {
        app: name,
        appid,
        title,
    } = args;
    let (name, appid, title) = (name.as_str(), appid.as_str(), title.as_deref());
    check_name("app", name)?;
    if let Some(title) = title {
        check_text("title", title)?;
    }
    ctx.write(|vault, keyring| {
        keyring.require_owner(vault, "add apps")?;
        if vault.apps.contains_key(name) {
            return Err(Error::exists(
                format!("app '{name}' already exists"),
                format!("see it with `mpvault app show {name}`"),
            ));
        }
        if let Some((other, _)) = vault.apps.iter().find(|(_, a)| a.appid == appid) {
            return Err(Error::exists(
                format!("AppID {appid} is already in the vault as '{other}'"),
                "use that app, or check the AppID",
            ));
        }
        vault
            .apps
            .insert(name.to_string(), App::new(appid.to_string(), now()));
        keyring.create_app_keys(vault, name)?;
        if let Some(title) = title {
            keyring.set_plain_field(vault, name, Field::Info("title".into()), title, &now())?;
        }
        Ok(())
    })?;
    done(ctx, &format!("Added '{name}' ({appid}). Next: `mpvault add-secret {name}` right after generating the AppSecret."));
    Ok(())
}

/// A team-level value if the user can read it, else `None` (no identity, or not on the roster).
fn team_value(
    vault: &Vault,
    keyring: &mut Option<Keyring>,
    app: &str,
    field: &Field,
) -> Result<Option<String>> {
    match keyring {
        Some(k) if k.can_read(vault, app, Level::Team) => {
            Ok(k.read(vault, app, field, 0)?.map(|v| v.to_string()))
        }
        _ => Ok(None),
    }
}

/// A row of `app list`. Fields are in the order `--json` has always printed them.
#[derive(Serialize)]
struct AppRow<'v> {
    appid: &'v str,
    /// The client the app is run for; `null` when none is recorded.
    client: Option<&'v str>,
    members: usize,
    name: &'v str,
    secrets: Vec<&'v str>,
    title: Option<String>,
}

impl output::Row<5> for AppRow<'_> {
    const HEADER: [&'static str; 5] = ["APP", "APPID", "TITLE", "SECRETS", "MEMBERS"];
    fn cells(&self) -> [String; 5] {
        [
            text(Some(self.name)),
            text(Some(self.appid)),
            text(self.title.as_deref()),
            self.secrets.len().to_string(),
            self.members.to_string(),
        ]
    }
}

fn list(ctx: &Context, args: AppListArgs) -> Result<()> {
    match list_report(ctx, args)? {
        Some(json) => output::json(&json),
        None => Ok(()),
    }
}

/// `app list` of one vault: prints the table, or returns the `--json` rows unprinted so that
/// a list across several vaults can put them in one document.
pub fn list_report(
    ctx: &Context,
    AppListArgs { json, client }: AppListArgs,
) -> Result<Option<serde_json::Value>> {
    ctx.read_without_asking(&Scope::Listing, |vault, mut keyring| {
        let of_client = client.map(|c| vault.client_apps(&c)).transpose()?;
        let mut rows = Vec::new();
        for (name, app) in &vault.apps {
            if of_client.as_ref().is_some_and(|set| !set.contains(name)) {
                continue;
            }
            rows.push(AppRow {
                appid: &app.appid,
                client: app.public.get("client").map(String::as_str),
                members: app.roster.len(),
                name,
                secrets: vault.secret_names(name)?,
                title: team_value(vault, &mut keyring, name, &Field::Info("title".into()))?,
            });
        }
        // Grouped by client, the apps with no client last (a stable sort keeps names in order).
        rows.sort_by_key(|r| (r.client.is_none(), r.client));
        if json {
            return output::to_json(&rows).map(Some);
        }
        if rows.iter().all(|r| r.client.is_none()) {
            return output::rows(&rows, false).map(|()| None);
        }
        for group in rows.chunk_by(|a, b| a.client == b.client) {
            let heading = match group[0].client {
                Some(client) => format!("Client {client}"),
                None => "No client".to_string(),
            };
            output::line(&heading)?;
            output::rows(group, false)?;
        }
        Ok(None)
    })
}

/// One line of a table or of `app show`: text from the file never breaks the layout.
fn text(value: Option<&str>) -> String {
    value.map_or_else(
        || "—".to_string(),
        |s| crate::display::escape(s).into_owned(),
    )
}

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

fn show(ctx: &Context, AppShowArgs { app, json }: AppShowArgs) -> Result<()> {
    let name = app.as_str();
    ctx.read_optional(&Scope::app(name), |vault, mut keyring| {
        let app = vault.app(name)?;
        let mut read = |field: Field| team_value(vault, &mut keyring, name, &field);
        let mut details = AppDetails {
            appid: &app.appid,
            build: Values::new(),
            build_modes: BTreeMap::new(),
            client: app.public.get("client").map(String::as_str),
            config: Values::new(),
            contact: Values::new(),
            info: Values::new(),
            modes: BTreeMap::new(),
            name,
            roster: &app.roster,
            secrets: app
                .secrets
                .iter()
                .map(|(n, s)| SecretRow {
                    access: s.access,
                    name: n,
                    set_at: &s.versions[0].set_at,
                    set_by: &s.versions[0].set_by,
                    versions: s.versions.len(),
                })
                .collect(),
        };
        for (field, _) in INFO {
            // Public facts (format 5) need no key; earlier vaults kept them encrypted.
            let value = match app.public.get(field) {
                Some(v) => Some(v.clone()),
                None => read(Field::Info(field.into()))?,
            };
            details.info.insert(field.into(), value);
        }
        for (field, _) in CONTACT {
            details
                .contact
                .insert(field.into(), read(Field::Contact(field.into()))?);
        }
        for key in app.config.keys() {
            details
                .config
                .insert(key.clone(), read(Field::Config(key.clone()))?);
        }
        for (mode, values) in &app.modes {
            let mut config = Values::new();
            for key in values.keys() {
                config.insert(
                    key.clone(),
                    read(Field::ModeConfig(mode.clone(), key.clone()))?,
                );
            }
            details.modes.insert(mode, config);
        }
        for key in app.build.keys() {
            details
                .build
                .insert(key.clone(), read(Field::Build(key.clone()))?);
        }
        for (mode, values) in &app.build_modes {
            let mut build = Values::new();
            for key in values.keys() {
                build.insert(
                    key.clone(),
                    read(Field::ModeBuild(mode.clone(), key.clone()))?,
                );
            }
            details.build_modes.insert(mode, build);
        }
        if json {
            return output::json(&details);
        }
        print_details(&details)
    })
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

fn set(ctx: &Context, args: AppSetArgs) -> Result<()> {
    let AppSetArgs {
        app,
        title,
        verified_until,
        icp,
        client,
        appid,
        yes,
    } = args;
    let name = app.as_str();
    if let Some(client) = client.as_deref().filter(|c| !c.is_empty()) {
        check_name("client", client)?;
    }
    if let Some(appid) = appid {
        set_appid(ctx, name, &appid, yes)?;
        if title.is_none() && verified_until.is_none() && icp.is_none() && client.is_none() {
            return Ok(());
        }
    }
    let verified_until = verified_until.map(|date| date.to_string());
    for (label, value) in [("title", &title), ("ICP number", &icp)] {
        if let Some(v) = value {
            check_text(label, v)?;
        }
    }
    let changes: Vec<(&str, String)> = [
        ("title", title),
        ("verified_until", verified_until),
        ("icp", icp),
        ("client", client),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect();
    if changes.is_empty() {
        return Err(Error::invalid(
            "nothing to set",
            "pass --title, --verified-until, --icp, --client or --appid",
        ));
    }
    let (public, private): (Vec<_>, Vec<_>) = changes
        .into_iter()
        .partition(|(k, _)| crate::vault::model::PUBLIC.contains(k));
    let mut labels = set_public(ctx, name, &public)?;
    if !private.is_empty() {
        labels.extend(set_fields(ctx, name, &private, Field::Info, &INFO)?);
    }
    let order = |l: &&str| INFO.iter().position(|(_, label)| label == l);
    labels.sort_by_key(order);
    done(ctx, &format!("Updated '{name}': {}.", labels.join(", ")));
    Ok(())
}

/// The verification expiry and ICP number are public facts (WeChat shows both), and so is
/// the client an agency runs the app for: kept unencrypted in the signed policy, so an owner
/// sets them, and every reader judges and groups by them. An empty client clears it.
fn set_public<'t>(ctx: &Context, app: &str, values: &[(&str, String)]) -> Result<Vec<&'t str>> {
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let action = if values.iter().any(|(field, _)| *field == "client") {
        "set an app's client"
    } else {
        "set an app's public verification expiry or ICP number"
    };
    ctx.write(|vault, keyring| {
        keyring.require_owner(vault, action)?;
        let a = vault.app_mut(app)?;
        for (field, value) in values {
            if value.is_empty() {
                a.public.remove(*field);
            } else {
                a.public.insert((*field).to_string(), value.clone());
            }
            a.info.remove(*field);
        }
        Ok(())
    })?;
    Ok(values
        .iter()
        .filter_map(|(field, _)| {
            INFO.iter()
                .chain(&[("client", "Client")])
                .find(|(f, _)| f == field)
                .map(|(_, l)| *l)
        })
        .collect())
}

/// Corrects an app's AppID: a policy change, so an owner's, confirmed and signed. No value is
/// bound to the AppID, so every value, version and role stays as it is.
fn set_appid(ctx: &Context, name: &str, appid: &str, yes: bool) -> Result<()> {
    let was = ctx.read(&Scope::All, |vault, keyring| {
        keyring.require_owner(vault, "change an AppID")?;
        appid_free(vault, name, appid)?;
        Ok(vault.app(name)?.appid.clone())
    })?;
    confirm(
        &format!("Change the AppID of '{name}' from {was} to {appid}"),
        yes,
    )?;
    ctx.write(|vault, keyring| {
        keyring.require_owner(vault, "change an AppID")?;
        appid_free(vault, name, appid)?;
        vault.app_mut(name)?.appid = appid.to_string();
        Ok(())
    })?;
    done(ctx, &format!("The AppID of '{name}' is now {appid} (was {was}); every value, version and role is kept."));
    Ok(())
}

fn appid_free(vault: &Vault, name: &str, appid: &str) -> Result<()> {
    if vault.app(name)?.appid == appid {
        return Err(Error::invalid(
            format!("'{name}' already has the AppID {appid}"),
            "there is nothing to change",
        ));
    }
    if let Some((other, _)) = vault.apps.iter().find(|(_, a)| a.appid == appid) {
        return Err(Error::exists(
            format!("AppID {appid} is already in the vault as '{other}'"),
            "check the AppID",
        ));
    }
    Ok(())
}

fn rename(ctx: &Context, AppRenameArgs { old, new, yes }: AppRenameArgs) -> Result<()> {
    let (old, new) = (old.as_str(), new.as_str());
    check_name("app", new)?;
    ctx.read(&Scope::All, |vault, keyring| {
        renamable(vault, keyring, old, new)
    })?;
    confirm(
        &format!("Rename app '{old}' to '{new}' (every value is re-sealed under the new name)"),
        yes,
    )?;
    ctx.write(|vault, keyring| {
        renamable(vault, keyring, old, new)?;
        keyring.rename_app(vault, old, new)?;
        crate::vault::offboarding::rename_app(vault, old, new);
        // The app's own verification window is a rule about the app: it goes with it.
        let windows = &mut vault.rules.app_verification_window_days;
        if let Some(days) = windows.remove(old) {
            windows.insert(new.to_string(), days);
        }
        Ok(())
    })?;
    done(ctx, &format!("Renamed '{old}' to '{new}'; every value, version, role and contact is kept. Builds and scripts that name '{old}' need the new name."));
    Ok(())
}

fn renamable(vault: &Vault, keyring: &Keyring, old: &str, new: &str) -> Result<()> {
    keyring.require_owner(vault, "rename apps")?;
    vault.app(old)?;
    if vault.apps.contains_key(new) {
        return Err(Error::exists(
            format!("app '{new}' already exists"),
            "pick another name",
        ));
    }
    Ok(())
}

/// Stores `values` as plain fields of `app` in one write (`place` says where each goes), and
/// returns their labels from `table`.
fn set_fields<'t>(
    ctx: &Context,
    app: &str,
    values: &[(&str, String)],
    place: fn(String) -> Field,
    table: &'t [(&str, &'t str)],
) -> Result<Vec<&'t str>> {
    ctx.write(|vault, keyring| {
        vault.app(app)?;
        for (field, value) in values {
            keyring.set_plain_field(vault, app, place(field.to_string()), value, &now())?;
        }
        Ok(())
    })?;
    Ok(values
        .iter()
        .filter_map(|(field, _)| table.iter().find(|(f, _)| f == field).map(|(_, l)| *l))
        .collect())
}

fn check_text(label: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() || value.chars().count() > 200 || value.chars().any(char::is_control)
    {
        return Err(Error::invalid(
            format!("the {label} must be one line of at most 200 characters"),
            "shorten it",
        ));
    }
    Ok(())
}

/// What `app contact` does to one field.
enum ContactChange {
    Set(String),
    Clear,
}

fn contact(ctx: &Context, args: AppContactArgs) -> Result<()> {
    let AppContactArgs {
        app,
        name: admin,
        wechat,
        email,
        phone,
        replace,
    } = args;
    let name = app.as_str();
    let given = [admin, wechat, email, phone];
    // --replace says the whole contact: nothing is asked, so nothing left out survives.
    let interactive = !replace && std::io::stdin().is_terminal();
    let mut changes = Vec::new();
    for ((field, label), value) in CONTACT.iter().zip(given) {
        let change = match value {
            Some(v) if v.trim().is_empty() => Some(ContactChange::Clear),
            Some(v) => Some(ContactChange::Set(v)),
            None if replace => Some(ContactChange::Clear),
            None if interactive => ask(label)?,
            None => None,
        };
        if let Some(ContactChange::Set(v)) = &change {
            check_contact(field, v)?;
        }
        if let Some(change) = change {
            changes.push((*field, change));
        }
    }
    if changes.is_empty() {
        return Err(Error::invalid(
            "no contact details given",
            "pass --name, --wechat, --email or --phone (\"\" clears one, --replace sets them all), or run it in a terminal to be asked",
        ));
    }
    ctx.write(|vault, keyring| {
        vault.app(name)?;
        for (field, change) in &changes {
            let place = Field::Contact((*field).to_string());
            match change {
                ContactChange::Set(v) => keyring.set_plain_field(vault, name, place, v, &now())?,
                ContactChange::Clear => {
                    // Clearing is writing: only who could set the field may clear it.
                    keyring.check_may_write(vault, name, &place)?;
                    keyring.unlock(vault, name, Level::Team)?;
                    vault.app_mut(name)?.contact.remove(*field);
                }
            }
        }
        Ok(())
    })?;
    let labels = |clear: bool| -> Vec<&str> {
        changes
            .iter()
            .filter(|(_, c)| matches!(c, ContactChange::Clear) == clear)
            .filter_map(|(field, _)| CONTACT.iter().find(|(f, _)| f == field).map(|(_, l)| *l))
            .collect()
    };
    let mut said = Vec::new();
    if !labels(false).is_empty() {
        said.push(labels(false).join(", "));
    }
    if !labels(true).is_empty() {
        said.push(format!("cleared {}", labels(true).join(", ")));
    }
    done(
        ctx,
        &format!(
            "Updated the administrator's contact for '{name}': {}.",
            said.join("; ")
        ),
    );
    Ok(())
}

/// One field at the prompt: Enter keeps it, `-` clears it.
fn ask(label: &str) -> Result<Option<ContactChange>> {
    let answer = super::ask(&format!("{label} (Enter keeps it, - clears it): "))?;
    Ok(match answer.as_str() {
        "" => None,
        "-" => Some(ContactChange::Clear),
        _ => Some(ContactChange::Set(answer)),
    })
}

fn check_contact(field: &str, value: &str) -> Result<()> {
    let v = value.trim();
    let ok = match field {
        "email" => {
            v.split_once('@')
                .is_some_and(|(user, host)| !user.is_empty() && host.contains('.'))
                && !v.contains(char::is_whitespace)
        }
        "phone" => {
            v.chars().filter(char::is_ascii_digit).count() >= 5
                && v.chars().all(|c| c.is_ascii_digit() || "+- ()".contains(c))
        }
        "wechat" => {
            v.len() >= 6
                && v.len() <= 20
                && v.starts_with(|c: char| c.is_ascii_alphabetic())
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        }
        _ => !v.is_empty() && v.chars().count() <= 100 && !v.chars().any(char::is_control),
    };
    if ok {
        return Ok(());
    }
    let hint = match field {
        "email" => "write it as name@example.com",
        "phone" => "use digits, with + - ( ) and spaces if you like",
        "wechat" => "a WeChat ID is 6–20 letters, digits, '_' or '-', starting with a letter",
        _ => "write the name on one line",
    };
    Err(Error::invalid(
        format!("the administrator's {field} is not valid"),
        hint,
    ))
}
