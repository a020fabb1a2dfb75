//! `role grant|revoke|set`: console roles on one app, or on several apps (`--apps`, `--client`)
//! in one confirmed, signed revision.

use std::collections::BTreeSet;

use super::member::{confirm_return, report_lost};
use super::{confirm, done, now, Context};
use crate::cli::{RoleArgs, RoleCommand};
use crate::error::{Error, Result};
use crate::vault::{offboarding, DepartureKind, Keyring, Scope, Vault};
use crate::wechat::{Level, Role};

/// What a role command does to a member's roles.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RoleChange {
    Grant,
    Revoke,
    Set,
}

impl RoleChange {
    fn command(self) -> &'static str {
        match self {
            RoleChange::Grant => "grant",
            RoleChange::Revoke => "revoke",
            RoleChange::Set => "set",
        }
    }
}

/// Which apps a role command changes.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Targets {
    /// `role grant HANDLE APP ROLE…`.
    One(String),
    /// `--apps A,B`: named one by one, so a revoke must find the roles on each.
    Apps(Vec<String>),
    /// `--client NAME`: every app of the client; a revoke leaves alone the apps where the
    /// member holds none of the roles, since nobody named those apps.
    Client(String),
}

/// One app's roles before and after the change.
#[derive(Clone, Debug, PartialEq, Eq)]
struct AppChange {
    app: String,
    before: Vec<Role>,
    after: Vec<Role>,
}

pub fn role(ctx: &Context, cmd: RoleCommand) -> Result<()> {
    let (change, args) = match cmd {
        RoleCommand::Grant(args) => (RoleChange::Grant, args),
        RoleCommand::Revoke(args) => (RoleChange::Revoke, args),
        RoleCommand::Set(args) => (RoleChange::Set, args),
    };
    let RoleArgs {
        handle,
        words,
        apps,
        client,
        keep_secrets,
        reason,
        yes,
    } = args;
    let (targets, roles) = parse(change, &handle, words, apps, client)?;
    let keep = kept(change, keep_secrets, reason)?;
    let how = How {
        change,
        keep: keep.as_deref(),
        yes,
    };
    match targets {
        Targets::One(app) => one_app(ctx, how, &handle, &app, &roles),
        targets => many_apps(ctx, how, &handle, &targets, &roles),
    }
}

/// How the roles change, and what is done about what the member loses.
#[derive(Clone, Copy)]
struct How<'a> {
    change: RoleChange,
    /// `--keep-secrets`: the waiver's reason.
    keep: Option<&'a str>,
    yes: bool,
}

/// `--keep-secrets --reason TEXT`, checked: only a change that can take something away.
fn kept(change: RoleChange, keep: bool, reason: Option<String>) -> Result<Option<String>> {
    if !keep {
        return Ok(None);
    }
    if change == RoleChange::Grant {
        return Err(Error::invalid(
            "role grant takes nothing away, so there are no secrets to keep",
            "use --keep-secrets with `role revoke` or `role set`",
        ));
    }
    let reason = reason.unwrap_or_default();
    offboarding::check_reason(&reason)?;
    Ok(Some(reason))
}

/// After a change that took levels: a waiver of what it made due (`--keep-secrets`), or the
/// list of secrets to reset. Returns what to tell.
fn after_loss(vault: &mut Vault, handle: &str, keep: Option<&str>, by: &str) -> String {
    let kept = keep.map(|reason| offboarding::waive_departure(vault, handle, reason, by, &now()));
    let still_due = report_lost(handle, vault);
    match kept {
        None => still_due,
        Some(kept) if kept.is_empty() => {
            format!("{handle} could read no secret that is now due, so no waiver was needed.")
        }
        Some(kept) => {
            let mut said = format!(
                "Kept {} (a signed waiver by {by}: {handle} stays on the team); `mpvault status` lists them as waived, not due.",
                kept.join(", ")
            );
            if offboarding::rotations_due(vault).iter().any(|d| {
                d.reason
                    .starts_with(&format!("{handle} could read it until"))
            }) {
                said.push('\n');
                said.push_str(&still_due);
            }
            said
        }
    }
}

/// The words after the handle: an app and roles, or only roles with `--apps`/`--client`.
fn parse(
    change: RoleChange,
    handle: &str,
    words: Vec<String>,
    apps: Vec<String>,
    client: Option<String>,
) -> Result<(Targets, Vec<Role>)> {
    let (targets, role_words) = if let Some(client) = client {
        super::check_name("client", &client)?;
        (Targets::Client(client), words)
    } else if !apps.is_empty() {
        let mut apps: Vec<String> = apps.into_iter().map(|a| a.trim().to_string()).collect();
        apps.retain(|a| !a.is_empty());
        apps.dedup();
        (Targets::Apps(apps), words)
    } else {
        let mut words = words.into_iter();
        let app = words.next().unwrap_or_default();
        (Targets::One(app), words.collect())
    };
    if role_words.is_empty() {
        return Err(Error::invalid(
            "no role given",
            format!(
                "name one or more roles, such as `mpvault role {} {handle} shop developer`",
                change.command()
            ),
        ));
    }
    let roles = parse_roles(&role_words)
        .map_err(|e| several_apps_hint(change, handle, &targets, &role_words, e))?;
    Ok((targets, roles))
}

fn parse_roles(words: &[String]) -> Result<Vec<Role>> {
    words.iter().map(|w| w.parse::<Role>()).collect()
}

/// `role revoke zhao a b developer` names two apps where one is taken: the way to say that
/// is `--apps a,b`, so the refusal shows it.
fn several_apps_hint(
    change: RoleChange,
    handle: &str,
    targets: &Targets,
    words: &[String],
    error: Error,
) -> Error {
    let Targets::One(first) = targets else {
        return error;
    };
    let first_role = words.iter().position(|w| w.parse::<Role>().is_ok());
    let Some(at) = first_role.filter(|&at| at > 0) else {
        return error;
    };
    let (apps, roles) = words.split_at(at);
    if parse_roles(roles).is_err() || !apps.iter().all(|a| crate::vault::model::is_name(a)) {
        return error;
    }
    let apps: Vec<&str> = std::iter::once(first.as_str())
        .chain(apps.iter().map(String::as_str))
        .collect();
    Error::invalid(
        format!(
            "'{}' is not a console role",
            crate::display::escape(&words[0])
        ),
        format!(
            "to change roles on several apps at once, name them with --apps: `mpvault role {} {handle} {} --apps {}`",
            change.command(),
            roles.join(" "),
            apps.join(",")
        ),
    )
}

/// One app, as `role` always worked: no question unless it gives back a level someone lost.
fn one_app(ctx: &Context, how: How, handle: &str, app: &str, roles: &[Role]) -> Result<()> {
    let How { change, keep, yes } = how;
    let (back, lost) = ctx.write(|vault, keyring| {
        keyring.require_owner(vault, "change roles")?;
        refuse_service(vault, handle)?;
        let key = vault.member(handle)?.key.clone();
        let next = next_roles(vault, handle, app, change, roles)?;
        let before = offboarding::readable(vault, handle);
        let gained = Level::ALL
            .into_iter()
            .filter(|l| next.iter().any(|r| r.level() >= *l))
            .map(|l| format!("{app}/{l}"))
            .filter(|place| !before.contains(place))
            .collect();
        let back = confirm_return(vault, keyring, handle, &key, &gained, yes)?;
        let after = apply(vault, keyring, handle, &key, &before, [(app, next)])?;
        let took = !before.is_subset(&after);
        let lost = (took || change == RoleChange::Revoke)
            .then(|| after_loss(vault, handle, keep, &keyring.actor));
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

/// Several apps: refusals first, then one question listing every app, then one write (one
/// signed revision, one departure for everything taken). The write plans again and goes ahead
/// only if the plan is what was confirmed, so nothing is applied that was not shown.
fn many_apps(
    ctx: &Context,
    how: How,
    handle: &str,
    targets: &Targets,
    roles: &[Role],
) -> Result<()> {
    let How { change, keep, yes } = how;
    let (planned, plan_text) = ctx.read(&Scope::All, |vault, keyring| {
        keyring.require_owner(vault, "change roles")?;
        let plan = plan(vault, handle, change, roles, targets)?;
        let key = &vault.member(handle)?.key;
        let back = offboarding::given_back(vault, key, &gained(vault, handle, &plan));
        let text = described(handle, &plan, &back, keep.is_some());
        Ok((plan, text))
    })?;
    if !yes {
        crate::output::note(&plan_text);
    }
    confirm(
        &format!("Change {handle}'s roles on these {} app(s)", planned.len()),
        yes,
    )?;
    let (before, after, back, lost) = ctx.write(|vault, keyring| {
        keyring.require_owner(vault, "change roles")?;
        if plan(vault, handle, change, roles, targets)? != planned {
            return Err(Error::invalid(
                "the roster changed while you were asked, so nothing was changed",
                "run the command again to see the new plan",
            ));
        }
        let key = vault.member(handle)?.key.clone();
        let before = offboarding::readable(vault, handle);
        let gained = gained(vault, handle, &planned);
        // Confirmed above, in the one question.
        let back = confirm_return(vault, keyring, handle, &key, &gained, true)?;
        let changed = planned
            .iter()
            .filter(|c| c.before != c.after)
            .map(|c| (c.app.as_str(), c.after.clone()));
        let after = apply(vault, keyring, handle, &key, &before, changed)?;
        let lost =
            (!before.is_subset(&after)).then(|| after_loss(vault, handle, keep, &keyring.actor));
        Ok((before, after, back, lost))
    })?;
    let mut lines = vec![format!(
        "Changed {handle}'s roles on {} app(s) in one signed revision:",
        planned.iter().filter(|c| c.before != c.after).count()
    )];
    lines.extend(planned.iter().map(|c| outcome_line(c, &before, &after)));
    lines.extend(lost);
    lines.extend(back);
    done(ctx, &lines.join("\n"));
    Ok(())
}

/// The write both forms make: each app's new roles and its re-wrapped keys, then one record of
/// what the member can no longer read (`before` was read before any change). Returns the
/// places they read now.
fn apply<'a>(
    vault: &mut Vault,
    keyring: &mut Keyring,
    handle: &str,
    key: &str,
    before: &BTreeSet<String>,
    changes: impl IntoIterator<Item = (&'a str, Vec<Role>)>,
) -> Result<BTreeSet<String>> {
    for (app, roles) in changes {
        set_roles(vault, handle, app, roles)?;
        keyring.sync_readers(vault, app, false)?;
    }
    offboarding::record(
        vault,
        handle,
        key,
        DepartureKind::Revoked,
        before,
        &keyring.actor,
        &now(),
    );
    Ok(offboarding::readable(vault, handle))
}

/// Every target app's roles before and after; refusals (unknown app or member, a role not
/// held on an app named with `--apps`, nothing to change at all) come from here.
fn plan(
    vault: &Vault,
    handle: &str,
    change: RoleChange,
    roles: &[Role],
    targets: &Targets,
) -> Result<Vec<AppChange>> {
    vault.member(handle)?;
    refuse_service(vault, handle)?;
    let apps = target_apps(vault, targets)?;
    let mut plan = Vec::with_capacity(apps.len());
    for app in apps {
        let before = vault
            .app(&app)?
            .roster
            .get(handle)
            .cloned()
            .unwrap_or_default();
        let after = match targets {
            Targets::Client(_) if change == RoleChange::Revoke => {
                let mut held = before.clone();
                held.retain(|r| !roles.contains(r));
                held
            }
            _ => next_roles(vault, handle, &app, change, roles)?,
        };
        plan.push(AppChange { app, before, after });
    }
    if plan.iter().all(|c| c.before == c.after) {
        let list: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        return Err(Error::not_found(
            format!(
                "this changes nothing: {handle}'s roles are already so on every app ({})",
                list.join(", ")
            ),
            "see their roles with `mpvault member list`",
        ));
    }
    Ok(plan)
}

/// Console roles are for people: a service member is never a console role holder.
fn refuse_service(vault: &Vault, handle: &str) -> Result<()> {
    if vault.is_service(handle) {
        return Err(Error::invalid(
            format!("'{handle}' is a service member, which holds no console role"),
            "it reads what `member add --service --read` gave it; to change that, remove it and add it again",
        ));
    }
    Ok(())
}

fn target_apps(vault: &Vault, targets: &Targets) -> Result<Vec<String>> {
    match targets {
        Targets::One(app) => Ok(vec![app.clone()]),
        Targets::Apps(apps) => {
            let mut seen = BTreeSet::new();
            let mut out = Vec::new();
            for app in apps {
                vault.app(app)?;
                if seen.insert(app.as_str()) {
                    out.push(app.clone());
                }
            }
            Ok(out)
        }
        Targets::Client(client) => Ok(vault.client_apps(client)?.into_iter().collect()),
    }
}

/// The `app/level` places the plan gives `handle` that they cannot read now.
fn gained(vault: &Vault, handle: &str, plan: &[AppChange]) -> BTreeSet<String> {
    let now = offboarding::readable(vault, handle);
    plan.iter()
        .flat_map(|c| {
            levels_of(&c.after)
                .into_iter()
                .map(move |l| format!("{}/{l}", c.app))
        })
        .filter(|place| !now.contains(place))
        .collect()
}

fn levels_of(roles: &[Role]) -> Vec<Level> {
    Level::ALL
        .into_iter()
        .filter(|l| roles.iter().any(|r| r.level() >= *l))
        .collect()
}

/// What a bulk change will do, shown before its one question: every app, what it gives and
/// takes, and what it gives back to someone who lost it.
fn described(handle: &str, plan: &[AppChange], back: &[(String, u64)], keep: bool) -> String {
    let mut lines = vec![format!("Change {handle}'s roles on {} app(s):", plan.len())];
    lines.extend(plan.iter().map(|c| {
        let (gains, losses) = role_difference(c);
        let what = match (gains.is_empty(), losses.is_empty()) {
            (true, true) => "unchanged".to_string(),
            _ => [
                (!gains.is_empty()).then(|| format!("gains {}", gains.join(", "))),
                (!losses.is_empty()).then(|| format!("loses {}", losses.join(", "))),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", "),
        };
        format!("  {}: {what} (then holds {})", c.app, held(&c.after))
    }));
    if !back.is_empty() {
        let places: Vec<String> = back
            .iter()
            .map(|(place, revision)| format!("{place} (lost in policy revision {revision})"))
            .collect();
        lines.push(format!(
            "  this gives {handle} back {}; what they could read before stays due for rotation",
            places.join(", ")
        ));
    }
    if keep {
        lines.push(format!(
            "  the secrets {handle} loses are kept: a signed waiver instead of rotations due"
        ));
    }
    lines.join("\n")
}

/// What the change gave and took on one app: roles, and the levels read before and after.
fn outcome_line(c: &AppChange, before: &BTreeSet<String>, after: &BTreeSet<String>) -> String {
    let (gains, losses) = role_difference(c);
    let reads = |places: &BTreeSet<String>| {
        let levels: Vec<String> = Level::ALL
            .into_iter()
            .filter(|l| places.contains(&format!("{}/{l}", c.app)))
            .map(|l| l.to_string())
            .collect();
        if levels.is_empty() {
            "nothing".to_string()
        } else {
            levels.join(", ")
        }
    };
    if gains.is_empty() && losses.is_empty() {
        return format!("  {}: unchanged (holds {})", c.app, held(&c.after));
    }
    let mut parts = Vec::new();
    if !gains.is_empty() {
        parts.push(format!("gained {}", gains.join(", ")));
    }
    if !losses.is_empty() {
        parts.push(format!("lost {}", losses.join(", ")));
    }
    format!(
        "  {}: {}; holds {}; reads {} (was {})",
        c.app,
        parts.join(", "),
        held(&c.after),
        reads(after),
        reads(before)
    )
}

fn role_difference(c: &AppChange) -> (Vec<&'static str>, Vec<&'static str>) {
    let gains = c
        .after
        .iter()
        .filter(|r| !c.before.contains(r))
        .map(|r| r.as_str())
        .collect();
    let losses = c
        .before
        .iter()
        .filter(|r| !c.after.contains(r))
        .map(|r| r.as_str())
        .collect();
    (gains, losses)
}

fn held(roles: &[Role]) -> String {
    if roles.is_empty() {
        "no role".to_string()
    } else {
        roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn set_roles(vault: &mut Vault, handle: &str, app: &str, roles: Vec<Role>) -> Result<()> {
    let a = vault.app_mut(app)?;
    if roles.is_empty() {
        a.roster.remove(handle);
    } else {
        a.roster.insert(handle.to_string(), roles);
    }
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
