//! `member add|list|remove`, `role grant|revoke|set`, `roster` and `rekey`: who may read what.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{check_name, confirm, done, now, Context};
use crate::cli::{
    MemberAddArgs, MemberCommand, MemberKeyArgs, MemberListArgs, MemberRemoveArgs, RekeyArgs,
    RoleArgs, RoleCommand, RosterArgs,
};
use crate::error::{Error, Result};
use crate::vault::{access, offboarding, DepartureKind, Keyring, Member, Return, Scope, Vault};
use crate::wechat::{Level, Role};
use crate::{key, output};

pub fn run(ctx: &Context, cmd: MemberCommand) -> Result<()> {
    match cmd {
        MemberCommand::Add(args) => add(ctx, args),
        MemberCommand::List(args) => list(ctx, args),
        MemberCommand::Remove(args) => remove(ctx, args),
        MemberCommand::Invite(args) => super::join::invite(ctx, args),
        MemberCommand::Approve(args) => super::join::approve(ctx, args),
        MemberCommand::Key(args) => new_key(ctx, args),
    }
}

fn add(
    ctx: &Context,
    MemberAddArgs {
        handle,
        key,
        owner,
        yes,
    }: MemberAddArgs,
) -> Result<()> {
    let (handle, key) = (handle.as_str(), key.as_str());
    check_name("member", handle)?;
    let (key, signing_key) = key::parse_public_line(key)?;
    let print = crate::vault::invite::fingerprint(&key, signing_key.as_deref());
    let hardware = key::is_plugin_key(&key);
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
    let back = ctx.write(|vault, keyring| {
        keyring.require_owner(vault, "add members")?;
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
        let back = if owner {
            let places = everything(vault);
            confirm_return(vault, keyring, handle, &key, &places, yes)?
        } else {
            None
        };
        vault.members.insert(
            handle.to_string(),
            Member {
                key,
                signing_key,
                owner,
                added_by: keyring.actor.clone(),
                added_at: now(),
            },
        );
        sync_all(vault, keyring)?;
        Ok(back)
    })?;
    let next = if owner {
        "They can read every app."
    } else if hardware {
        "Next: `mpvault role grant` to give them roles. A hardware key reads but never writes, and whoever re-keys an app needs its age plugin installed to encrypt to it."
    } else {
        "Next: `mpvault role grant` to give them roles."
    };
    let back = back.map(|b| format!("\n{b}")).unwrap_or_default();
    done(
        ctx,
        &format!("Added '{handle}' (fingerprint {print}). {next}\nCompare it with the fingerprint `mpvault identity show` prints on their machine, in person or on a call; if it differs, remove them.{back}"),
    );
    Ok(())
}

/// Every `app/level` place of the vault: what an owner reads.
fn everything(vault: &Vault) -> BTreeSet<String> {
    vault
        .apps
        .keys()
        .flat_map(|app| Level::ALL.into_iter().map(move |l| format!("{app}/{l}")))
        .collect()
}

fn sync_all(vault: &mut Vault, keyring: &mut Keyring) -> Result<()> {
    let apps: Vec<String> = vault.apps.keys().cloned().collect();
    for app in apps {
        keyring.sync_readers(vault, &app, false)?;
    }
    Ok(())
}

/// A row of `member list`.
#[derive(Serialize)]
struct MemberRow<'v> {
    added_at: &'v str,
    added_by: &'v str,
    handle: &'v str,
    key: &'v str,
    owner: bool,
    roles: BTreeMap<&'v str, &'v Vec<Role>>,
}

impl output::Row<4> for MemberRow<'_> {
    const HEADER: [&'static str; 4] = ["MEMBER", "OWNER", "ROLES", "KEY"];
    fn cells(&self) -> [String; 4] {
        let roles: Vec<String> = self
            .roles
            .iter()
            .map(|(app, roles)| format!("{app}: {}", join(roles)))
            .collect();
        [
            self.handle.to_string(),
            if self.owner {
                "yes".into()
            } else {
                String::new()
            },
            roles.join("\n"),
            short_key(self.key),
        ]
    }
}

fn list(ctx: &Context, MemberListArgs { json }: MemberListArgs) -> Result<()> {
    ctx.read_optional(&Scope::POLICY, |vault, _| {
        let rows: Vec<MemberRow> = vault
            .members
            .iter()
            .map(|(handle, m)| MemberRow {
                added_at: &m.added_at,
                added_by: &m.added_by,
                handle,
                key: &m.key,
                owner: m.owner,
                roles: vault
                    .apps
                    .iter()
                    .filter_map(|(name, a)| a.roster.get(handle).map(|r| (name.as_str(), r)))
                    .collect(),
            })
            .collect();
        output::rows(&rows, json)
    })
}

/// Roles or levels as the table shows them (their names in `--json`).
fn join<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
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
            let place = crate::wechat::reset_where(&due.secret);
            by_app
                .entry(due.app)
                .or_default()
                .push(format!("{} ({place})", due.secret));
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
        "{handle} could read these secrets; reset each where it says, then store the new value with rotate-secret (`mpvault status` lists them until then):\n{}",
        lines.join("\n")
    )
}

fn remove(ctx: &Context, MemberRemoveArgs { handle, yes }: MemberRemoveArgs) -> Result<()> {
    let handle = handle.as_str();
    // Refusals come before the question: nobody is asked to confirm what they may not do.
    ctx.read(&Scope::All, |vault, keyring| {
        removable(vault, keyring, handle)
    })?;
    confirm(
        &format!("Remove member '{handle}' and replace every data key they could read"),
        yes,
    )?;
    let lost = ctx.write(|vault, keyring| {
        removable(vault, keyring, handle)?;
        let before = offboarding::readable(vault, handle);
        let key = vault.member(handle)?.key.clone();
        vault.members.remove(handle);
        for app in vault.apps.values_mut() {
            app.roster.remove(handle);
        }
        sync_all(vault, keyring)?;
        let now = now();
        offboarding::record(
            vault,
            handle,
            &key,
            DepartureKind::Removed,
            &before,
            &keyring.actor,
            &now,
        );
        // Written now, so the command keeps no second copy of a large vault.
        Ok(report_lost(handle, vault))
    })?;
    done(
        ctx,
        &format!("Removed '{handle}'; the data keys they could read were replaced.\n{lost}"),
    );
    Ok(())
}

/// A new key for the same person. Every data key of the apps they read or wrote in is replaced
/// and its values re-sealed (signed by the owner as their sealer, so what they wrote under the
/// old signing key stays readable). With `--lost`, the old key is recorded as departed, as
/// `member remove` would, so what it could read is due for rotation; their roles stay.
fn new_key(
    ctx: &Context,
    MemberKeyArgs {
        handle,
        key,
        lost,
        yes,
    }: MemberKeyArgs,
) -> Result<()> {
    let (key, signing_key) = key::parse_public_line(&key)?;
    let print = crate::vault::invite::fingerprint(&key, signing_key.as_deref());
    ctx.read(&Scope::All, |vault, keyring| {
        rekeyable(vault, keyring, &handle, &key, signing_key.as_ref())
    })?;
    if lost {
        confirm(
            &format!("Treat '{handle}'s old key as departed, so every secret it could read is due for rotation"),
            yes,
        )?;
    }
    let due = ctx.write(|vault, keyring| {
        rekeyable(vault, keyring, &handle, &key, signing_key.as_ref())?;
        let before = offboarding::readable(vault, &handle);
        let touched = touched_apps(vault, &handle);
        let member = vault.members.get_mut(&handle).expect("checked above");
        let old = std::mem::replace(&mut member.key, key.clone());
        member.signing_key.clone_from(&signing_key);
        for app in &touched {
            keyring.sync_readers(vault, app, true)?;
        }
        if !lost {
            return Ok(None);
        }
        offboarding::record(
            vault,
            &handle,
            &old,
            DepartureKind::Removed,
            &before,
            &keyring.actor,
            &now(),
        );
        Ok(Some(report_lost(&handle, vault)))
    })?;
    let said = match due {
        None => format!("Replaced '{handle}'s key (fingerprint {print}); they keep their roles, and the data keys they read were replaced, so the old key opens nothing new. No departure was recorded: if the old key may be in someone else's hands, run this again with --lost."),
        Some(due) => format!("Replaced '{handle}'s key (fingerprint {print}) and recorded the old one as departed; they keep their roles.\n{due}"),
    };
    done(ctx, &said);
    Ok(())
}

/// Refusals of `member key`, before any question.
fn rekeyable(
    vault: &Vault,
    keyring: &Keyring,
    handle: &str,
    key: &str,
    signing_key: Option<&String>,
) -> Result<()> {
    keyring.require_owner(vault, "change members' keys")?;
    let member = vault.member(handle)?;
    if handle == keyring.actor {
        return Err(Error::invalid(
            "you cannot replace your own key, because the change is signed with it",
            "ask another owner to run `mpvault member key` for you",
        ));
    }
    if member.owner && signing_key.is_none() {
        return Err(Error::invalid(
            format!(
                "'{handle}' is an owner, who signs the roster, but this key has no signing key"
            ),
            "ask them for the whole line `mpvault identity show` prints",
        ));
    }
    if let Some((other, _)) = vault.members.iter().find(|(_, m)| m.key == key) {
        return Err(Error::exists(
            format!("that key already belongs to '{other}'"),
            "each person needs their own identity",
        ));
    }
    Ok(())
}

/// The apps whose data keys reach `handle`, or that hold a value `handle` signed.
fn touched_apps(vault: &Vault, handle: &str) -> Vec<String> {
    vault
        .apps
        .iter()
        .filter(|(name, app)| {
            Level::ALL
                .into_iter()
                .any(|l| access::can_read(vault, name, l, handle))
                || app
                    .data_keys
                    .values()
                    .any(|k| k.readers.iter().any(|r| r == handle))
                || crate::vault::transition::values(app)
                    .iter()
                    .any(|(_, _, _, s)| s.signer() == handle)
        })
        .map(|(name, _)| name.clone())
        .collect()
}

fn removable(vault: &Vault, keyring: &Keyring, handle: &str) -> Result<()> {
    keyring.require_owner(vault, "remove members")?;
    let member = vault.member(handle)?;
    if member.owner && vault.owners().count() == 1 {
        return Err(Error::invalid(
            format!("'{handle}' is the vault's only owner"),
            "make someone else an owner first (`mpvault member add … --owner`)",
        ));
    }
    Ok(())
}

/// What a role command does to a member's roles.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RoleChange {
    Grant,
    Revoke,
    Set,
}

pub fn role(ctx: &Context, cmd: RoleCommand) -> Result<()> {
    let (change, args) = match cmd {
        RoleCommand::Grant(args) => (RoleChange::Grant, args),
        RoleCommand::Revoke(args) => (RoleChange::Revoke, args),
        RoleCommand::Set(args) => (RoleChange::Set, args),
    };
    let RoleArgs {
        handle,
        app,
        roles,
        yes,
    } = args;
    let (back, lost) = ctx.write(|vault, keyring| {
        keyring.require_owner(vault, "change roles")?;
        let key = vault.member(&handle)?.key.clone();
        let next = next_roles(vault, &handle, &app, change, &roles)?;
        let before = offboarding::readable(vault, &handle);
        let gained = Level::ALL
            .into_iter()
            .filter(|l| next.iter().any(|r| r.level() >= *l))
            .map(|l| format!("{app}/{l}"))
            .filter(|place| !before.contains(place))
            .collect();
        let back = confirm_return(vault, keyring, &handle, &key, &gained, yes)?;
        let a = vault.app_mut(&app)?;
        if next.is_empty() {
            a.roster.remove(&handle);
        } else {
            a.roster.insert(handle.clone(), next);
        }
        keyring.sync_readers(vault, &app, false)?;
        offboarding::record(
            vault,
            &handle,
            &key,
            DepartureKind::Revoked,
            &before,
            &keyring.actor,
            &now(),
        );
        let took = !before.is_subset(&offboarding::readable(vault, &handle));
        let lost = (took || change == RoleChange::Revoke).then(|| report_lost(&handle, vault));
        Ok((back, lost))
    })?;
    let list = roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let said = match change {
        RoleChange::Grant => format!("Granted {handle} {list} on '{app}'."),
        RoleChange::Revoke => format!("Revoked {list} from {handle} on '{app}'."),
        RoleChange::Set => format!("{handle}'s roles on '{app}' are now {list}."),
    };
    let message: Vec<String> = [Some(said), lost, back].into_iter().flatten().collect();
    done(ctx, &message.join("\n"));
    Ok(())
}

/// The member's roles on the app after the change; revoking a role they do not hold is refused.
fn next_roles(
    vault: &Vault,
    handle: &str,
    app: &str,
    change: RoleChange,
    roles: &[Role],
) -> Result<Vec<Role>> {
    let mut held = vault
        .app(app)?
        .roster
        .get(handle)
        .cloned()
        .unwrap_or_default();
    match change {
        RoleChange::Grant => held.extend(roles),
        RoleChange::Set => held = roles.to_vec(),
        RoleChange::Revoke => {
            if let Some(missing) = roles.iter().find(|r| !held.contains(r)) {
                return Err(Error::not_found(
                    format!("'{handle}' does not hold the {missing} role on '{app}'"),
                    format!("see the roles with `mpvault roster {app}`"),
                ));
            }
            held.retain(|r| !roles.contains(r));
        }
    }
    held.sort();
    held.dedup();
    Ok(held)
}

/// Giving someone back a level they lost is an owner's choice, made knowingly: it is named,
/// confirmed, and recorded as a signed return. The departure stays, and so do the rotations it
/// made due. Returns what to tell once it is done.
fn confirm_return(
    vault: &mut Vault,
    keyring: &Keyring,
    handle: &str,
    key: &str,
    gained: &BTreeSet<String>,
    yes: bool,
) -> Result<Option<String>> {
    let back = offboarding::given_back(vault, key, gained);
    if back.is_empty() {
        return Ok(None);
    }
    let places: Vec<String> = back
        .iter()
        .map(|(place, revision)| format!("{place} (lost in policy revision {revision})"))
        .collect();
    let places = places.join(", ");
    confirm(&format!("Giving '{handle}' back {places}"), yes)?;
    vault.returns.push(Return {
        handle: handle.to_string(),
        key: key.to_string(),
        at: now(),
        by: keyring.actor.clone(),
        revision: 0,
        regained: back.into_iter().map(|(place, _)| place).collect(),
    });
    Ok(Some(format!(
        "Gave '{handle}' back {places}; the secrets they could read before stay due for rotation until they are reset."
    )))
}

/// A row of `roster`: who holds which roles on the app, and which levels they read.
#[derive(Serialize)]
struct RosterRow<'v> {
    handle: &'v str,
    owner: bool,
    reads: Vec<Level>,
    roles: Vec<Role>,
}

impl output::Row<3> for RosterRow<'_> {
    const HEADER: [&'static str; 3] = ["MEMBER", "ROLES", "READS"];
    fn cells(&self) -> [String; 3] {
        let mut roles = join(&self.roles);
        if self.owner {
            roles = if roles.is_empty() {
                "(vault owner)".into()
            } else {
                format!("{roles} (vault owner)")
            };
        }
        [self.handle.to_string(), roles, join(&self.reads)]
    }
}

pub fn roster(ctx: &Context, RosterArgs { app, json }: RosterArgs) -> Result<()> {
    let app = app.as_str();
    ctx.read_optional(&Scope::app(app), |vault, _| {
        let a = vault.app(app)?;
        let mut rows = Vec::new();
        for (handle, member) in &vault.members {
            let roles = a.roster.get(handle).cloned().unwrap_or_default();
            if roles.is_empty() && !member.owner {
                continue;
            }
            rows.push(RosterRow {
                handle,
                owner: member.owner,
                reads: Level::ALL
                    .into_iter()
                    .filter(|l| access::can_read(vault, app, *l, handle))
                    .collect(),
                roles,
            });
        }
        output::rows(&rows, json)
    })
}

pub fn rekey(ctx: &Context, RekeyArgs { app }: RekeyArgs) -> Result<()> {
    let app = app.as_deref();
    let count = ctx.write(|vault, keyring| {
        keyring.require_owner(vault, "rekey")?;
        let apps: Vec<String> = match app {
            Some(a) => vec![vault.app(a).map(|_| a.to_string())?],
            None => vault.apps.keys().cloned().collect(),
        };
        for a in &apps {
            keyring.sync_readers(vault, a, true)?;
        }
        Ok(apps.len())
    })?;
    done(
        ctx,
        &format!("Replaced the data keys of {count} app(s) and re-encrypted their values."),
    );
    Ok(())
}
