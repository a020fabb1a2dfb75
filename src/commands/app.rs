//! `app add|list|show|remove|set|contact`.

use std::io::IsTerminal;

use serde_json::{json, Map, Value};

use super::{check_name, confirm, done, now, Context};
use crate::cli::{
    AppAddArgs, AppCommand, AppContactArgs, AppListArgs, AppRemoveArgs, AppSetArgs, AppShowArgs,
};
use crate::error::{Error, Result};
use crate::output;
use crate::vault::{App, Field, Keyring, Vault};
use crate::wechat::Level;

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
        AppCommand::Remove(args) => remove(ctx, args),
        AppCommand::Set(args) => set(ctx, args),
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
    ctx.write(|vault, keys| {
        keys.require_owner(vault, "add apps")?;
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
        keys.create_app_keys(vault, name)?;
        if let Some(title) = title {
            keys.set_plain_field(vault, name, Field::Info("title".into()), title, &now())?;
        }
        Ok(())
    })?;
    done(ctx, &format!("Added '{name}' ({appid}). Next: `mpvault add-secret {name}` right after generating the AppSecret."));
    Ok(())
}

/// A team-level value if the user can read it, else `None` (no identity, or not on the roster).
fn team_value(
    vault: &Vault,
    keys: &mut Option<Keyring>,
    app: &str,
    field: Field,
) -> Result<Option<String>> {
    match keys {
        Some(k) if k.can_read(vault, app, Level::Team) => {
            Ok(k.read(vault, app, &field, 0)?.map(|v| v.to_string()))
        }
        _ => Ok(None),
    }
}

fn list(ctx: &Context, AppListArgs { json }: AppListArgs) -> Result<()> {
    ctx.read_optional(|vault, mut keys| {
        let mut rows = Vec::new();
        for (name, app) in &vault.apps {
            let title = team_value(vault, &mut keys, name, Field::Info("title".into()))?;
            rows.push(json!({
                "name": name,
                "appid": app.appid,
                "title": title,
                "secrets": app.secrets.keys().collect::<Vec<_>>(),
                "members": app.roster.len(),
            }));
        }
        if json {
            return output::json(&Value::Array(rows));
        }
        output::table(
            ["APP", "APPID", "TITLE", "SECRETS", "MEMBERS"],
            rows.iter().map(|r| {
                [
                    text(&r["name"]),
                    text(&r["appid"]),
                    text(&r["title"]),
                    r["secrets"].as_array().map_or(0, Vec::len).to_string(),
                    r["members"].to_string(),
                ]
            }),
        )
    })
}

/// One line of a table or of `app show`: text from the file never breaks the layout.
fn text(v: &Value) -> String {
    v.as_str().map_or_else(
        || "—".to_string(),
        |s| crate::display::escape(s).into_owned(),
    )
}

fn show(ctx: &Context, AppShowArgs { app, json }: AppShowArgs) -> Result<()> {
    let name = app.as_str();
    ctx.read_optional(|vault, mut keys| {
        let app = vault.app(name)?;
        let mut info = Map::new();
        for (field, _) in INFO {
            info.insert(field.into(), team_value(vault, &mut keys, name, Field::Info(field.into()))?.into());
        }
        let mut contact = Map::new();
        for (field, _) in CONTACT {
            contact.insert(field.into(), team_value(vault, &mut keys, name, Field::Contact(field.into()))?.into());
        }
        let mut config = Map::new();
        for key in app.config.keys() {
            config.insert(key.clone(), team_value(vault, &mut keys, name, Field::Config(key.clone()))?.into());
        }
        let mut modes = Map::new();
        for (mode, values) in &app.modes {
            let mut config = Map::new();
            for key in values.keys() {
                let field = Field::ModeConfig(mode.clone(), key.clone());
                config.insert(key.clone(), team_value(vault, &mut keys, name, field)?.into());
            }
            modes.insert(mode.clone(), Value::Object(config));
        }
        let secrets: Vec<Value> = app
            .secrets
            .iter()
            .map(|(n, s)| json!({"name": n, "access": s.access, "versions": s.versions.len(), "set_by": s.versions[0].set_by, "set_at": s.versions[0].set_at}))
            .collect();
        let details = json!({
            "name": name, "appid": app.appid, "info": info, "contact": contact,
            "config": config, "modes": modes, "secrets": secrets, "roster": app.roster,
        });
        if json {
            return output::json(&details);
        }
        let mut lines = vec![format!("{name}  {}", app.appid)];
        for (field, label) in INFO {
            lines.push(format!("  {label}: {}", text(&details["info"][field])));
        }
        lines.push("Administrator".into());
        for (field, label) in CONTACT {
            lines.push(format!("  {label}: {}", text(&details["contact"][field])));
        }
        output::line(&lines.join("\n"))?;
        if !app.config.is_empty() {
            output::table(["CONFIG", "VALUE"], config.iter().map(|(k, v)| [k.clone(), text(v)]))?;
        }
        if !modes.is_empty() {
            let rows = modes.iter().flat_map(|(mode, values)| {
                values.as_object().into_iter().flatten().map(move |(k, v)| [mode.clone(), k.clone(), text(v)])
            });
            output::table(["MODE", "CONFIG", "VALUE"], rows)?;
        }
        output::table(
            ["SECRET", "ACCESS", "VERSIONS", "SET BY", "SET AT"],
            app.secrets.iter().map(|(n, s)| {
                [n.clone(), s.access.to_string(), s.versions.len().to_string(), s.versions[0].set_by.clone(), s.versions[0].set_at.clone()]
            }),
        )
    })
}

fn remove(ctx: &Context, AppRemoveArgs { app, yes }: AppRemoveArgs) -> Result<()> {
    let name = app.as_str();
    ctx.read(|vault, keys| {
        keys.require_owner(vault, "remove apps")?;
        vault.app(name).map(|_| ())
    })?;
    confirm(
        &format!("Remove app '{name}' and every value stored for it"),
        yes,
    )?;
    ctx.write(|vault, keys| {
        keys.require_owner(vault, "remove apps")?;
        vault.app(name)?;
        vault.apps.remove(name);
        Ok(())
    })?;
    done(ctx, &format!("Removed '{name}'. Its values stay in git history: reset its AppSecret if the vault was shared."));
    Ok(())
}

fn set(ctx: &Context, args: AppSetArgs) -> Result<()> {
    let AppSetArgs {
        app,
        title,
        verified_until,
        icp,
    } = args;
    let name = app.as_str();
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
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect();
    if changes.is_empty() {
        return Err(Error::invalid(
            "nothing to set",
            "pass --title, --verified-until or --icp",
        ));
    }
    ctx.write(|vault, keys| {
        vault.app(name)?;
        for (field, value) in &changes {
            keys.set_plain_field(vault, name, Field::Info(field.to_string()), value, &now())?;
        }
        Ok(())
    })?;
    let labels: Vec<&str> = changes
        .iter()
        .filter_map(|(field, _)| INFO.iter().find(|(f, _)| f == field).map(|(_, l)| *l))
        .collect();
    done(ctx, &format!("Updated '{name}': {}.", labels.join(", ")));
    Ok(())
}

/// Dates are `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<time::Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text.trim(), &format).map_err(|_| {
        Error::invalid(
            format!("'{text}' is not a date"),
            "write it as YYYY-MM-DD, for example 2027-03-31",
        )
    })
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

fn contact(ctx: &Context, args: AppContactArgs) -> Result<()> {
    let AppContactArgs {
        app,
        name: admin,
        wechat,
        email,
        phone,
    } = args;
    let name = app.as_str();
    let given = [admin, wechat, email, phone];
    let interactive = std::io::stdin().is_terminal();
    let mut values = Vec::new();
    for ((field, label), value) in CONTACT.iter().zip(given) {
        let value = match value {
            Some(v) => Some(v),
            None if interactive => ask(label)?,
            None => None,
        };
        if let Some(v) = value {
            check_contact(field, &v)?;
            values.push((*field, v));
        }
    }
    if values.is_empty() {
        return Err(Error::invalid(
            "no contact details given",
            "pass --name, --wechat, --email or --phone, or run it in a terminal to be asked",
        ));
    }
    ctx.write(|vault, keys| {
        vault.app(name)?;
        for (field, value) in &values {
            keys.set_plain_field(
                vault,
                name,
                Field::Contact(field.to_string()),
                value,
                &now(),
            )?;
        }
        Ok(())
    })?;
    let labels: Vec<&str> = values
        .iter()
        .filter_map(|(field, _)| CONTACT.iter().find(|(f, _)| f == field).map(|(_, l)| *l))
        .collect();
    done(
        ctx,
        &format!(
            "Updated the administrator's contact for '{name}': {}.",
            labels.join(", ")
        ),
    );
    Ok(())
}

fn ask(label: &str) -> Result<Option<String>> {
    let answer = super::ask(&format!("{label} (Enter to leave unchanged): "))?;
    Ok((!answer.is_empty()).then_some(answer))
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
