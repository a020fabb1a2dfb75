//! `roster`: who holds which console role on an app, and which levels that lets them read.

use std::collections::BTreeMap;

use serde::Serialize;

use super::comma_list;
use crate::cli::RosterArgs;
use crate::commands::Context;
use crate::error::Result;
use crate::output;
use crate::vault::{access, Scope, Vault};
use crate::wechat::{Level, Role};

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
        let mut roles = comma_list(&self.roles);
        if self.owner {
            roles = if roles.is_empty() {
                "(vault owner)".into()
            } else {
                format!("{roles} (vault owner)")
            };
        }
        [self.handle.to_string(), roles, comma_list(&self.reads)]
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
        [self.0.handle.to_string(), comma_list(&self.0.reads)]
    }
}
