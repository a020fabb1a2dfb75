//! The rules of the format a parsed vault keeps, whoever wrote the file: names, members that
//! exist, a data key per level, no name that is both config and a secret, floors kept, and
//! from format 3 on signed values and well-formed records. A file that breaks one is damaged,
//! signed or not. How much a file may hold is `limits`' concern, not this one's.

use std::collections::{BTreeMap, BTreeSet};

use super::app::{App, Sealed, PUBLIC};
use super::model::{Vault, HISTORY};
use super::names::is_name;
use crate::wechat::{self, Level};

/// Every rule of the format the parsed `vault` breaks, the first one found, saying what.
pub fn check(vault: &Vault) -> Result<(), String> {
    vault.rules.check()?;
    check_members(vault)?;
    for (name, app) in &vault.apps {
        check_app(vault, name, app)?;
    }
    if vault.format >= 3 {
        if vault.revision == 0 {
            return Err("the vault has no policy revision".to_string());
        }
        check_records(vault)?;
    }
    let mut keys = BTreeSet::new();
    if let Some((handle, _)) = vault.members.iter().find(|(_, m)| !keys.insert(&m.key)) {
        return Err(format!(
            "member '{handle}' has the same key as another member"
        ));
    }
    Ok(())
}

/// Members have well-formed handles and a key.
fn check_members(vault: &Vault) -> Result<(), String> {
    for (handle, member) in &vault.members {
        if !is_name(handle) {
            return Err(format!(
                "the vault has a malformed member handle '{handle}'"
            ));
        }
        if member.key.trim().is_empty() {
            return Err(format!("member '{handle}' has no key in the vault file"));
        }
    }
    Ok(())
}

/// An app's name, AppID, roster and data keys name what exists; its names and values keep
/// their places.
fn check_app(vault: &Vault, name: &str, app: &App) -> Result<(), String> {
    if !is_name(name) {
        return Err(format!("the vault has a malformed app name '{name}'"));
    }
    wechat::check_appid(&app.appid)
        .map_err(|_| format!("app '{name}' has a malformed AppID in the vault file"))?;
    for handle in app.roster.keys() {
        if !vault.members.contains_key(handle) {
            return Err(format!(
                "app '{name}' lists '{handle}' on its roster, who is not a member"
            ));
        }
    }
    for level in Level::ALL {
        let Some(key) = app.data_keys.get(&level) else {
            return Err(format!(
                "app '{name}' has no {level} data key in the vault file"
            ));
        };
        if let Some(h) = key.readers.iter().find(|h| !vault.members.contains_key(*h)) {
            return Err(format!(
                "the {level} key of app '{name}' names '{h}', who is not a member"
            ));
        }
    }
    check_public(name, &app.public).and_then(|()| check_modes(name, &app.modes))?;
    check_modes(name, &app.build_modes)?;
    check_kinds(name, app)?;
    check_secrets(name, app)?;
    if vault.format >= 3 {
        check_format_3_app(name, app)?;
    }
    Ok(())
}

/// A secret keeps a bounded history, is no config value, and is stored at its floor or above.
fn check_secrets(name: &str, app: &App) -> Result<(), String> {
    for (secret, s) in &app.secrets {
        if s.versions.is_empty() || s.versions.len() > HISTORY + 1 {
            return Err(format!(
                "secret {secret} of app '{name}' has a malformed history"
            ));
        }
        if app.config.contains_key(secret)
            || app.modes.values().any(|m| m.contains_key(secret))
            || app.build.contains_key(secret)
            || app.build_modes.values().any(|m| m.contains_key(secret))
        {
            return Err(format!(
                "{secret} of app '{name}' is both a config value and a secret, which would let one stand in for the other"
            ));
        }
        let floor = wechat::minimum_level(secret)
            .max(app.floors.get(secret).copied().unwrap_or(Level::Team));
        if s.access < floor {
            return Err(format!(
                "secret {secret} of app '{name}' is stored at the {} level, below its minimum, {floor}",
                s.access
            ));
        }
    }
    Ok(())
}

/// Departures and returns name a handle and `app/level` places.
fn check_records(vault: &Vault) -> Result<(), String> {
    let well_formed =
        |handle: &str, places: &[String]| is_name(handle) && places.iter().all(|l| is_app_level(l));
    if !vault
        .departures
        .iter()
        .all(|d| well_formed(&d.handle, &d.lost))
    {
        return Err("the vault has a malformed departure record".to_string());
    }
    if !vault
        .returns
        .iter()
        .all(|r| well_formed(&r.handle, &r.regained))
    {
        return Err("the vault has a malformed return record".to_string());
    }
    let waived = vault
        .waivers
        .iter()
        .all(|w| is_name(&w.app) && w.departed.as_deref().is_none_or(is_name) && is_name(&w.by));
    if !waived {
        return Err("the vault has a malformed waiver".to_string());
    }
    let buried = vault.tombstones.iter().all(|t| {
        is_name(&t.app)
            && is_name(&t.by)
            && t.client.as_deref().is_none_or(is_name)
            && t.readers.iter().all(|r| is_name(&r.handle))
    });
    if !buried {
        return Err("the vault has a malformed tombstone".to_string());
    }
    check_services(vault)?;
    let invited = vault
        .invitations
        .iter()
        .all(|i| is_name(&i.handle) && i.roles.keys().all(|a| is_name(a)));
    if !invited || !vault.requests.iter().all(|r| is_name(&r.handle)) {
        return Err("the vault has a malformed invitation or join request".to_string());
    }
    Ok(())
}

/// A service member is never an owner and holds no console role; an app's services are
/// service members. Signed or not, a file that breaks this is damaged.
fn check_services(vault: &Vault) -> Result<(), String> {
    if let Some((h, _)) = vault.members.iter().find(|(_, m)| m.service && m.owner) {
        return Err(format!("service member '{h}' is marked as an owner"));
    }
    for (name, app) in &vault.apps {
        if let Some(h) = app.roster.keys().find(|h| vault.is_service(h)) {
            return Err(format!(
                "service member '{h}' holds a console role on '{name}'"
            ));
        }
        if let Some(h) = app.services.keys().find(|h| !vault.is_service(h)) {
            return Err(format!(
                "'{h}' reads '{name}' as a service but is not a service member"
            ));
        }
    }
    Ok(())
}

/// Format 3 rules: committed data keys, signed values, numbered versions newest first.
fn check_format_3_app(name: &str, app: &App) -> Result<(), String> {
    if let Some(level) = app
        .data_keys
        .iter()
        .find(|(_, k)| k.commitment.is_none())
        .map(|(l, _)| l)
    {
        return Err(format!(
            "the {level} data key of app '{name}' has no commitment in the signed policy"
        ));
    }
    if !app.rotations_due.is_empty() {
        return Err(format!(
            "app '{name}' keeps an unsigned rotation list, which format 3 replaces with signed departures"
        ));
    }
    let plain = app
        .info
        .values()
        .chain(app.contact.values())
        .chain(app.config.values())
        .chain(app.modes.values().flat_map(|m| m.values()))
        .chain(app.build.values())
        .chain(app.build_modes.values().flat_map(|m| m.values()));
    if plain
        .clone()
        .any(|s| s.sig.is_none() || s.version.is_some())
    {
        return Err(format!(
            "a value of app '{name}' carries no writer's signature"
        ));
    }
    for (secret, s) in &app.secrets {
        let numbers: Option<Vec<u64>> = s.versions.iter().map(|v| v.version).collect();
        let ordered = numbers.is_some_and(|n| n.windows(2).all(|w| w[0] >= w[1]) && n[0] > 0);
        if !ordered || s.versions.iter().any(|v| v.sig.is_none()) {
            return Err(format!(
                "secret {secret} of app '{name}' has unsigned or misnumbered versions"
            ));
        }
    }
    Ok(())
}

/// Mode names follow the app-name rule, and their keys are environment-variable names, so
/// that a hostile file cannot smuggle a path or a strange name into an export.
fn check_modes(
    app_name: &str,
    modes: &BTreeMap<String, BTreeMap<String, Sealed>>,
) -> Result<(), String> {
    for (mode, config) in modes {
        if !is_name(mode) {
            return Err(format!(
                "app '{app_name}' has a malformed mode name in the vault file"
            ));
        }
        if config.is_empty() {
            return Err(format!("mode '{mode}' of app '{app_name}' is empty"));
        }
        if config
            .keys()
            .any(|k| crate::envnames::check_env_name(k).is_err())
        {
            return Err(format!(
                "mode '{mode}' of app '{app_name}' has a malformed config name"
            ));
        }
    }
    Ok(())
}

/// A name is bundle config or build config, never both: otherwise a build could take one for
/// the other, and a value meant for build scripts would ship.
fn check_kinds(app_name: &str, app: &App) -> Result<(), String> {
    let bundle = app
        .config
        .keys()
        .chain(app.modes.values().flat_map(BTreeMap::keys));
    let build: BTreeSet<&String> = app
        .build
        .keys()
        .chain(app.build_modes.values().flat_map(BTreeMap::keys))
        .collect();
    for name in bundle {
        if build.contains(name) {
            return Err(format!(
                "{name} of app '{app_name}' is both bundle and build config, which would let one stand in for the other"
            ));
        }
    }
    Ok(())
}

/// `app/level`, as departures record what someone lost.
fn is_app_level(text: &str) -> bool {
    text.split_once('/')
        .is_some_and(|(app, level)| is_name(app) && level.parse::<Level>().is_ok())
}

/// An app's public facts are the known ones, short, printable and of their form (a date, a
/// client's name).
fn check_public(app: &str, public: &BTreeMap<String, String>) -> Result<(), String> {
    for (key, value) in public {
        let bad = !PUBLIC.contains(&key.as_str())
            || value.trim().is_empty()
            || value.chars().count() > 200
            || value.chars().any(char::is_control)
            || (key == "verified_until" && crate::date::parse_date(value).is_err())
            || (key == "client" && !is_name(value));
        if bad {
            return Err(format!("app '{app}' has a malformed public {key}"));
        }
    }
    Ok(())
}
