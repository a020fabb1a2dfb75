//! `app contact`: the administrator's contact details, from flags or asked field by field.

use std::io::IsTerminal;

use super::CONTACT;
use crate::cli::AppContactArgs;
use crate::commands::{done, now, Context};
use crate::error::{Error, Result};
use crate::vault::Field;
use crate::wechat::Level;

/// What `app contact` does to one field.
enum ContactChange {
    Set(String),
    Clear,
}

pub(super) fn contact(ctx: &Context, args: AppContactArgs) -> Result<()> {
    let AppContactArgs {
        app,
        name: admin,
        wechat,
        email,
        phone,
        replace,
    } = args;
    let name = app.as_str();
    let changes = changes([admin, wechat, email, phone], replace)?;
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
    done(
        ctx,
        &format!(
            "Updated the administrator's contact for '{name}': {}.",
            said(&changes)
        ),
    );
    Ok(())
}

/// What to do to each contact field: as given (`""` clears), asked on a terminal, or, with
/// `--replace`, cleared where not given.
fn changes(
    given: [Option<String>; 4],
    replace: bool,
) -> Result<Vec<(&'static str, ContactChange)>> {
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
    Ok(changes)
}

/// The fields set, then those cleared, by their labels.
fn said(changes: &[(&str, ContactChange)]) -> String {
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
    said.join("; ")
}

/// One field at the prompt: Enter keeps it, `-` clears it.
fn ask(label: &str) -> Result<Option<ContactChange>> {
    let answer = crate::commands::ask(&format!("{label} (Enter keeps it, - clears it): "))?;
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
