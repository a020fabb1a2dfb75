//! `member add|list|remove`, `role grant|revoke|set`, `roster` and `rekey`: who may read what.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{check_name, confirm, done, now, Context};
use crate::cli::{
    MemberAddArgs, MemberCommand, MemberKeyArgs, MemberListArgs, MemberRemoveArgs, NameLevel,
    RekeyArgs, RosterArgs,
};
use crate::error::{Error, Result};
use crate::health::handoff;
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
        service,
        reads,
        clients,
        yes,
    }: MemberAddArgs,
) -> Result<()> {
    let (handle, key) = (handle.as_str(), key.as_str());
    check_name("member", handle)?;
    check_service(owner, service, &reads, &clients)?;
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
        let service_reads = service_reads(vault, &reads, &clients)?;
        let back = if owner {
            let places = everything(vault);
            confirm_return(vault, keyring, handle, &key, &places, yes)?
        } else if service {
            let places = places_of(&service_reads);
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
                service,
                added_by: keyring.actor.clone(),
                added_at: now(),
            },
        );
        for (app, level) in &service_reads {
            vault
                .app_mut(app)?
                .services
                .insert(handle.to_string(), *level);
        }
        sync_all(vault, keyring)?;
        Ok((back, service_reads))
    })?;
    let (back, service_reads) = back;
    let next = if service {
        &service_note(&service_reads)
    } else if owner {
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

fn service_note(reads: &BTreeMap<String, Level>) -> String {
    let reads: Vec<String> = reads
        .iter()
        .map(|(app, level)| format!("{app} ({level})"))
        .collect();
    format!(
        "It reads {}; it holds no console role, is never an owner and never writes.",
        reads.join(", ")
    )
}

/// A service member reads and nothing else: never an owner, and it must be given something to
/// read; --read and --client are for service members only (clap requires --service).
fn check_service(
    owner: bool,
    service: bool,
    reads: &[NameLevel],
    clients: &[NameLevel],
) -> Result<()> {
    if service && owner {
        return Err(Error::invalid(
            "a service member reads but never signs, so it cannot be an owner",
            "add it with --service alone; owners are people with an mpvault identity",
        ));
    }
    if service && reads.is_empty() && clients.is_empty() {
        return Err(Error::invalid(
            "a service member reads only what it is given, and nothing was given",
            "name what it reads with --read shop=developer or --client acme",
        ));
    }
    Ok(())
}

/// The apps and levels a new service member reads: each `--read` app, and every app each
/// `--client` has now; where two name the same app, the higher level.
fn service_reads(
    vault: &Vault,
    reads: &[NameLevel],
    clients: &[NameLevel],
) -> Result<BTreeMap<String, Level>> {
    let mut out: BTreeMap<String, Level> = BTreeMap::new();
    let mut give = |app: String, level: Level| {
        let slot = out.entry(app).or_insert(level);
        *slot = (*slot).max(level);
    };
    for r in reads {
        vault.app(&r.name)?;
        give(r.name.clone(), r.level);
    }
    for c in clients {
        for app in vault.client_apps(&c.name)? {
            give(app, c.level);
        }
    }
    Ok(out)
}

/// The `app/level` places a service member's reads reach.
fn places_of(reads: &BTreeMap<String, Level>) -> BTreeSet<String> {
    reads
        .iter()
        .flat_map(|(app, top)| {
            Level::ALL
                .into_iter()
                .filter(move |l| l <= top)
                .map(move |l| format!("{app}/{l}"))
        })
        .collect()
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
    /// A service member's reads, by app (`--json` only; the table lists services apart).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    reads: BTreeMap<&'v str, Level>,
    roles: BTreeMap<&'v str, &'v Vec<Role>>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    service: bool,
}

/// A row of `member list`'s second table: a service member and what it reads.
struct ServiceRow<'r, 'v>(&'r MemberRow<'v>);

impl Serialize for ServiceRow<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl output::Row<3> for ServiceRow<'_, '_> {
    const HEADER: [&'static str; 3] = ["SERVICE", "READS", "KEY"];
    fn cells(&self) -> [String; 3] {
        let reads: Vec<String> = self
            .0
            .reads
            .iter()
            .map(|(app, level)| format!("{app}: {level}"))
            .collect();
        [
            self.0.handle.to_string(),
            reads.join("\n"),
            short_key(self.0.key),
        ]
    }
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

fn list(ctx: &Context, MemberListArgs { json, client }: MemberListArgs) -> Result<()> {
    ctx.read_optional(&Scope::POLICY, |vault, _| {
        // With --client: the client's apps only, and the people who hold a role on one of
        // them; owners read every app, so they stay listed.
        let apps = client.map(|c| vault.client_apps(&c)).transpose()?;
        let shown = |app: &str| apps.as_ref().is_none_or(|set| set.contains(app));
        let rows: Vec<MemberRow> = vault
            .members
            .iter()
            .map(|(handle, m)| MemberRow {
                added_at: &m.added_at,
                added_by: &m.added_by,
                handle,
                key: &m.key,
                owner: m.owner,
                reads: vault
                    .apps
                    .iter()
                    .filter_map(|(name, a)| a.services.get(handle).map(|l| (name.as_str(), *l)))
                    .collect(),
                roles: vault
                    .apps
                    .iter()
                    .filter(|(name, _)| shown(name))
                    .filter_map(|(name, a)| a.roster.get(handle).map(|r| (name.as_str(), r)))
                    .collect(),
                service: m.service,
            })
            .filter(|row| apps.is_none() || row.owner || !row.roles.is_empty())
            .collect();
        if json {
            return output::rows(&rows, true);
        }
        // People and services apart: a service holds no console role.
        let (services, people): (Vec<MemberRow>, Vec<MemberRow>) =
            rows.into_iter().partition(|r| r.service);
        output::rows(&people, false)?;
        if !services.is_empty() {
            output::line("Service members (read without a console role, never write):")?;
            let services: Vec<ServiceRow> = services.iter().map(ServiceRow).collect();
            output::rows(&services, false)?;
        }
        Ok(())
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
pub(super) fn report_lost(handle: &str, vault: &Vault) -> String {
    let mut by_app: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for due in offboarding::rotations_due(vault) {
        if due.departed.as_deref() == Some(handle) {
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

fn remove(
    ctx: &Context,
    MemberRemoveArgs {
        handle,
        yes,
        format,
    }: MemberRemoveArgs,
) -> Result<()> {
    let handle = handle.as_str();
    // Refusals come before the question: nobody is asked to confirm what they may not do.
    ctx.read(&Scope::All, |vault, keyring| {
        removable(vault, keyring, handle)
    })?;
    confirm(
        &format!("Remove member '{handle}' and replace every data key they could read"),
        yes,
    )?;
    let (lost, handoff) = ctx.write(|vault, keyring| {
        removable(vault, keyring, handle)?;
        let before = offboarding::readable(vault, handle);
        let key = vault.member(handle)?.key.clone();
        vault.members.remove(handle);
        let mut leavers = BTreeMap::new();
        for (name, app) in &mut vault.apps {
            app.services.remove(handle);
            if let Some(roles) = app.roster.remove(handle) {
                let leaver = handoff::Leaver {
                    handle: handle.to_string(),
                    roles,
                    keeps: Vec::new(),
                };
                leavers.insert(name.clone(), vec![leaver]);
            }
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
        let handoff = format.is_some().then(|| {
            let dues: Vec<_> = offboarding::rotations_due(vault)
                .into_iter()
                .filter(|d| d.departed.as_deref() == Some(handle))
                .collect();
            handoff::build(vault, Some(keyring), &dues, &leavers)
        });
        Ok((report_lost(handle, vault), handoff))
    })?;
    done(
        ctx,
        &format!("Removed '{handle}'; the data keys they could read were replaced.\n{lost}"),
    );
    if let (Some(format), Some(handoff)) = (format, handoff) {
        let intro = format!(
            "{handle} no longer works on these Mini Programs. Please make these changes in the console (我方成员 {handle} 已离开，请在后台完成以下操作):"
        );
        super::status::print_handoff(&handoff, &intro, format)?;
    }
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

/// Giving someone back a level they lost is an owner's choice, made knowingly: it is named,
/// confirmed, and recorded as a signed return. The departure stays, and so do the rotations it
/// made due. Returns what to tell once it is done.
pub(super) fn confirm_return(
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
    /// A service member: reads without a console role (listed apart in the table).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    service: bool,
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

pub fn roster(ctx: &Context, RosterArgs { app, client, json }: RosterArgs) -> Result<()> {
    // One app's roster reads that app; a client's, every app (their names are in the file).
    let scope = match (&client, &app) {
        (None, Some(app)) => Scope::app(app),
        _ => Scope::All,
    };
    ctx.read_optional(&scope, |vault, _| {
        let Some(client) = client else {
            let app = app.as_deref().unwrap_or_default();
            return print_roster(vault, app, json);
        };
        let apps = vault.client_apps(&client)?;
        if json {
            let all = apps
                .iter()
                .map(|a| Ok((a.as_str(), roster_rows(vault, a)?)))
                .collect::<Result<BTreeMap<_, _>>>()?;
            return output::json(&all);
        }
        for app in &apps {
            output::line(&format!("{app}  {}", vault.app(app)?.appid))?;
            print_roster(vault, app, false)?;
        }
        Ok(())
    })
}

/// One app's roster: people (and owners) first, then, in the table, service members apart.
fn print_roster(vault: &Vault, app: &str, json: bool) -> Result<()> {
    let rows = roster_rows(vault, app)?;
    if json {
        return output::rows(&rows, true);
    }
    let (services, people): (Vec<RosterRow>, Vec<RosterRow>) =
        rows.into_iter().partition(|r| r.service);
    output::rows(&people, false)?;
    if !services.is_empty() {
        output::line("Service members (no console role; they read, never write):")?;
        let services: Vec<ServiceReads> = services.iter().map(ServiceReads).collect();
        output::rows(&services, false)?;
    }
    Ok(())
}

fn roster_rows<'v>(vault: &'v Vault, app: &str) -> Result<Vec<RosterRow<'v>>> {
    let a = vault.app(app)?;
    let mut rows = Vec::new();
    for (handle, member) in &vault.members {
        let roles = a.roster.get(handle).cloned().unwrap_or_default();
        if (roles.is_empty() && !member.owner) || member.service {
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
            service: false,
        });
    }
    rows.extend(
        a.services
            .iter()
            .filter(|(handle, _)| vault.is_service(handle))
            .map(|(handle, top)| RosterRow {
                handle,
                owner: false,
                reads: Level::ALL.into_iter().filter(|l| l <= top).collect(),
                roles: Vec::new(),
                service: true,
            }),
    );
    Ok(rows)
}

/// A service member in `roster`'s second table.
struct ServiceReads<'r, 'v>(&'r RosterRow<'v>);

impl Serialize for ServiceReads<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl output::Row<2> for ServiceReads<'_, '_> {
    const HEADER: [&'static str; 2] = ["SERVICE", "READS"];
    fn cells(&self) -> [String; 2] {
        [self.0.handle.to_string(), join(&self.0.reads)]
    }
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
