//! `app add|list|show|remove|set|rename|contact`: the Mini Programs of a vault. Adding one is
//! here, with what the others share; listing, showing, changing and the contact each have a
//! file (`app remove` is `contract`'s).

mod change;
mod contact;
mod list;
mod show;

pub use list::list_report;

use super::{check_name, done, now, Context};
use crate::cli::{AppAddArgs, AppCommand};
use crate::error::{Error, Result};
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
        AppCommand::List(args) => list::list(ctx, args),
        AppCommand::Show(args) => show::show(ctx, args),
        AppCommand::Remove(args) => super::contract::remove(ctx, args),
        AppCommand::Set(args) => change::set(ctx, args),
        AppCommand::Rename(args) => change::rename(ctx, args),
        AppCommand::Contact(args) => contact::contact(ctx, args),
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
pub(super) fn team_value(
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

/// One line of a table or of `app show`: text from the file never breaks the layout.
pub(super) fn text(value: Option<&str>) -> String {
    value.map_or_else(
        || "—".to_string(),
        |s| crate::display::escape(s).into_owned(),
    )
}

pub(super) fn check_text(label: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() || value.chars().count() > 200 || value.chars().any(char::is_control)
    {
        return Err(Error::invalid(
            format!("the {label} must be one line of at most 200 characters"),
            "shorten it",
        ));
    }
    Ok(())
}
