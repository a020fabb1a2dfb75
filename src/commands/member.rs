//! `member add|list|remove`, `role grant|revoke`, `roster` and `rekey`: who may read what.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{check_name, confirm, done, now, Context};
use crate::cli::{
    MemberAddArgs, MemberCommand, MemberListArgs, MemberRemoveArgs, RekeyArgs, RoleArgs,
    RoleCommand, RosterArgs,
};
use crate::error::{Error, Result};
use crate::vault::{access, offboarding, DepartureKind, Keyring, Member, Vault};
use crate::wechat::{Level, Role};
use crate::{identity, output};

pub fn run(ctx: &Context, cmd: MemberCommand) -> Result<()> {
    match cmd {
        MemberCommand::Add(args) => add(ctx, args),
        MemberCommand::List(args) => list(ctx, args),
        MemberCommand::Remove(args) => remove(ctx, args),
    }
}

fn add(ctx: &Context, MemberAddArgs { handle, key, owner }: MemberAddArgs) -> Result<()> {
    let (handle, key) = (handle.as_str(), key.as_str());
    check_name("member", handle)?;
    let (key, signing_key) = identity::parse_public_line(key)?;
    let hardware = identity::is_plugin_key(&key);
    if owner && hardware {
        return Err(Error::invalid(
            "an owner signs the roster, which a hardware key (age plugin) cannot do",
            "add them without --owner; an owner needs an mpvault identity (`mpvault identity new`)",
        ));
    }
    if owner && signing_key.is_none() {
        return Err(Error::invalid(
            "an owner signs the roster, but this key has no signing key",
            "ask them for the whole line `mpvault identity show` prints (an SSH key cannot be an owner)",
        ));
    }
    ctx.write(|vault, keys| {
        keys.require_owner(vault, "add members")?;
        if vault.members.contains_key(handle) {
            return Err(Error::exists(
                format!("'{handle}' is already a member"),
                "pick another handle, or remove them first",
            ));
        }
        if let Some((other, _)) = vault.members.iter().find(|(_, m)| m.key == key) {
            return Err(Error::exists(
                format!("that key already belongs to '{other}'"),
                "each person needs their own identity",
            ));
        }
        vault.members.insert(
            handle.to_string(),
            Member {
                key,
                signing_key,
                owner,
                added_by: keys.actor.clone(),
                added_at: now(),
            },
        );
        sync_all(vault, keys)?;
        Ok(())
    })?;
    let next = if owner {
        "They can read every app."
    } else if hardware {
        "Next: `mpvault role grant` to give them roles. A hardware key reads but never writes, and whoever re-keys an app needs its age plugin installed to encrypt to it."
    } else {
        "Next: `mpvault role grant` to give them roles."
    };
    done(ctx, &format!("Added '{handle}'. {next}"));
    Ok(())
}

fn sync_all(vault: &mut Vault, keys: &mut Keyring) -> Result<()> {
    let apps: Vec<String> = vault.apps.keys().cloned().collect();
    for app in apps {
        keys.sync_readers(vault, &app, false)?;
    }
    Ok(())
}

fn list(ctx: &Context, MemberListArgs { json }: MemberListArgs) -> Result<()> {
    ctx.read_optional(|vault, _| {
        let rows: Vec<Value> = vault
            .members
            .iter()
            .map(|(handle, m)| {
                let roles: BTreeMap<&String, &Vec<Role>> =
                    vault.apps.iter().filter_map(|(name, a)| a.roster.get(handle).map(|r| (name, r))).collect();
                json!({"handle": handle, "owner": m.owner, "key": m.key, "added_by": m.added_by, "added_at": m.added_at, "roles": roles})
            })
            .collect();
        if json {
            return output::json(&Value::Array(rows));
        }
        output::table(
            ["MEMBER", "OWNER", "ROLES", "KEY"],
            rows.iter().map(|r| {
                let roles = r["roles"]
                    .as_object()
                    .map(|m| m.iter().map(|(app, roles)| format!("{app}: {}", join(roles))).collect::<Vec<_>>().join("\n"))
                    .unwrap_or_default();
                [
                    r["handle"].as_str().unwrap_or_default().to_string(),
                    if r["owner"] == true { "yes".into() } else { String::new() },
                    roles,
                    short_key(r["key"].as_str().unwrap_or_default()),
                ]
            }),
        )
    })
}

fn join(roles: &Value) -> String {
    roles
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// The first 14 and last 8 characters of a long key. Counted in characters: a key from the
/// file can be any text, and slicing it by bytes panicked on non-ASCII.
fn short_key(key: &str) -> String {
    let count = key.chars().count();
    if count > 24 {
        let head: String = key.chars().take(14).collect();
        let tail: String = key.chars().skip(count - 8).collect();
        format!("{head}…{tail}")
    } else {
        key.to_string()
    }
}

/// Which secrets must now be reset in the console: those the departure made due.
fn report_lost(handle: &str, vault: &Vault) -> String {
    let mine = format!("{handle} could read it until");
    let mut by_app: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for due in offboarding::rotations_due(vault) {
        if due.reason.starts_with(&mine) {
            by_app.entry(due.app).or_default().push(due.secret);
        }
    }
    if by_app.is_empty() {
        return format!("{handle} could read no secret they lost access to.");
    }
    let lines: Vec<String> = by_app
        .iter()
        .map(|(app, names)| format!("  {app}: {}", names.join(", ")))
        .collect();
    format!(
        "{handle} could read these secrets; reset them in the WeChat / WeChat Pay console, then run rotate-secret (`mpvault status` lists them until then):\n{}",
        lines.join("\n")
    )
}

fn remove(ctx: &Context, MemberRemoveArgs { handle, yes }: MemberRemoveArgs) -> Result<()> {
    let handle = handle.as_str();
    // Refusals come before the question: nobody is asked to confirm what they may not do.
    ctx.read(|vault, keys| removable(vault, keys, handle))?;
    confirm(
        &format!("Remove member '{handle}' and replace every data key they could read"),
        yes,
    )?;
    let lost = ctx.write(|vault, keys| {
        removable(vault, keys, handle)?;
        let before = offboarding::readable(vault, handle);
        let key = vault.member(handle)?.key.clone();
        vault.members.remove(handle);
        for app in vault.apps.values_mut() {
            app.roster.remove(handle);
        }
        sync_all(vault, keys)?;
        let now = now();
        offboarding::record(
            vault,
            handle,
            &key,
            DepartureKind::Removed,
            &before,
            &keys.actor,
            &now,
        );
        Ok(vault.clone())
    })?;
    done(
        ctx,
        &format!(
            "Removed '{handle}'; the data keys they could read were replaced.\n{}",
            report_lost(handle, &lost)
        ),
    );
    Ok(())
}

fn removable(vault: &Vault, keys: &Keyring, handle: &str) -> Result<()> {
    keys.require_owner(vault, "remove members")?;
    let member = vault.member(handle)?;
    if member.owner && vault.owners().count() == 1 {
        return Err(Error::invalid(
            format!("'{handle}' is the vault's only owner"),
            "make someone else an owner first (`mpvault member add … --owner`)",
        ));
    }
    Ok(())
}

pub fn role(ctx: &Context, cmd: RoleCommand) -> Result<()> {
    let (grant, RoleArgs { handle, app, roles }) = match cmd {
        RoleCommand::Grant(args) => (true, args),
        RoleCommand::Revoke(args) => (false, args),
    };
    let lost = ctx.write(|vault, keys| {
        keys.require_owner(vault, "change roles")?;
        let key = vault.member(&handle)?.key.clone();
        let before = offboarding::readable(vault, &handle);
        let a = vault.app_mut(&app)?;
        let held = a.roster.entry(handle.clone()).or_default();
        if grant {
            held.extend(&roles);
            held.sort();
            held.dedup();
        } else {
            if let Some(missing) = roles.iter().find(|r| !held.contains(r)) {
                return Err(Error::not_found(
                    format!("'{handle}' does not hold the {missing} role on '{app}'"),
                    format!("see the roles with `mpvault roster {app}`"),
                ));
            }
            held.retain(|r| !roles.contains(r));
        }
        if held.is_empty() {
            a.roster.remove(&handle);
        }
        keys.sync_readers(vault, &app, false)?;
        let now = now();
        offboarding::record(
            vault,
            &handle,
            &key,
            DepartureKind::Revoked,
            &before,
            &keys.actor,
            &now,
        );
        Ok(vault.clone())
    })?;
    let list = roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    if grant {
        done(ctx, &format!("Granted {handle} {list} on '{app}'."));
    } else {
        done(
            ctx,
            &format!(
                "Revoked {list} from {handle} on '{app}'.\n{}",
                report_lost(&handle, &lost)
            ),
        );
    }
    Ok(())
}

pub fn roster(ctx: &Context, RosterArgs { app, json }: RosterArgs) -> Result<()> {
    let app = app.as_str();
    ctx.read_optional(|vault, _| {
        let a = vault.app(app)?;
        let mut rows = Vec::new();
        for (handle, member) in &vault.members {
            let roles = a.roster.get(handle).cloned().unwrap_or_default();
            if roles.is_empty() && !member.owner {
                continue;
            }
            let reads: Vec<Level> = Level::ALL
                .into_iter()
                .filter(|l| access::can_read(vault, app, *l, handle))
                .collect();
            rows.push(
                json!({"handle": handle, "owner": member.owner, "roles": roles, "reads": reads}),
            );
        }
        if json {
            return output::json(&Value::Array(rows));
        }
        output::table(
            ["MEMBER", "ROLES", "READS"],
            rows.iter().map(|r| {
                let mut roles = join(&r["roles"]);
                if r["owner"] == true {
                    roles = if roles.is_empty() {
                        "(vault owner)".into()
                    } else {
                        format!("{roles} (vault owner)")
                    };
                }
                [
                    r["handle"].as_str().unwrap_or_default().to_string(),
                    roles,
                    join(&r["reads"]),
                ]
            }),
        )
    })
}

pub fn rekey(ctx: &Context, RekeyArgs { app }: RekeyArgs) -> Result<()> {
    let app = app.as_deref();
    let count = ctx.write(|vault, keys| {
        keys.require_owner(vault, "rekey")?;
        let apps: Vec<String> = match app {
            Some(a) => vec![vault.app(a).map(|_| a.to_string())?],
            None => vault.apps.keys().cloned().collect(),
        };
        for a in &apps {
            keys.sync_readers(vault, a, true)?;
        }
        Ok(apps.len())
    })?;
    done(
        ctx,
        &format!("Replaced the data keys of {count} app(s) and re-encrypted their values."),
    );
    Ok(())
}
