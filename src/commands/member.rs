//! `member`, `roster` and `rekey`: the people of a vault and their keys. `member list` is
//! here; adding, leaving, replacing keys and the roster each have a file.

mod add;
mod departure;
mod keys;
mod roster;

pub(super) use departure::{confirm_return, report_lost};
pub use keys::rekey;
pub use roster::roster;

use std::collections::BTreeMap;

use serde::Serialize;

use super::Context;
use crate::cli::{MemberCommand, MemberListArgs};
use crate::error::{Error, Result};
use crate::output;
use crate::vault::{Keyring, Scope, Vault};
use crate::wechat::{Level, Role};

pub fn run(ctx: &Context, cmd: MemberCommand) -> Result<()> {
    match cmd {
        MemberCommand::Add(args) => add::add(ctx, args),
        MemberCommand::List(args) => list(ctx, args),
        MemberCommand::Remove(args) => departure::remove(ctx, args),
        MemberCommand::Invite(args) => super::join::invite(ctx, args),
        MemberCommand::Approve(args) => super::join::approve(ctx, args),
        MemberCommand::Key(args) => keys::new_key(ctx, args),
    }
}

/// Each person has their own key: one already in the vault is refused.
pub(super) fn key_unused(vault: &Vault, key: &str) -> Result<()> {
    if let Some((other, _)) = vault.members.iter().find(|(_, m)| m.key == key) {
        return Err(Error::exists(
            format!("that key already belongs to '{other}'"),
            "each person needs their own identity",
        ));
    }
    Ok(())
}

pub(super) fn sync_all(vault: &mut Vault, keyring: &mut Keyring) -> Result<()> {
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
            .map(|(app, roles)| format!("{app}: {}", comma_list(roles)))
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
pub(super) fn comma_list<T: std::fmt::Display>(items: &[T]) -> String {
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
