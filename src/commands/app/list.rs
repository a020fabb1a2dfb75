//! `app list`: every app with its AppID, title and counts, grouped by client.

use serde::Serialize;

use super::{team_value, text};
use crate::cli::AppListArgs;
use crate::commands::Context;
use crate::error::Result;
use crate::output;
use crate::vault::{Field, Scope};

/// A row of `app list`. Fields are in the order `--json` has always printed them.
#[derive(Serialize)]
struct AppRow<'v> {
    appid: &'v str,
    /// The client the app is run for; `null` when none is recorded.
    client: Option<&'v str>,
    members: usize,
    name: &'v str,
    secrets: Vec<&'v str>,
    title: Option<String>,
}

impl output::Row<5> for AppRow<'_> {
    const HEADER: [&'static str; 5] = ["APP", "APPID", "TITLE", "SECRETS", "MEMBERS"];
    fn cells(&self) -> [String; 5] {
        [
            text(Some(self.name)),
            text(Some(self.appid)),
            text(self.title.as_deref()),
            self.secrets.len().to_string(),
            self.members.to_string(),
        ]
    }
}

pub(super) fn list(ctx: &Context, args: AppListArgs) -> Result<()> {
    match list_report(ctx, args)? {
        Some(json) => output::json(&json),
        None => Ok(()),
    }
}

/// `app list` of one vault: prints the table, or returns the `--json` rows unprinted so that
/// a list across several vaults can put them in one document.
pub fn list_report(
    ctx: &Context,
    AppListArgs { json, client }: AppListArgs,
) -> Result<Option<serde_json::Value>> {
    ctx.read_without_asking(&Scope::Listing, |vault, mut keyring| {
        let of_client = client.map(|c| vault.client_apps(&c)).transpose()?;
        let mut rows = Vec::new();
        for (name, app) in &vault.apps {
            if of_client.as_ref().is_some_and(|set| !set.contains(name)) {
                continue;
            }
            rows.push(AppRow {
                appid: &app.appid,
                client: app.public.get("client").map(String::as_str),
                members: app.roster.len(),
                name,
                secrets: vault.secret_names(name)?,
                title: team_value(vault, &mut keyring, name, &Field::Info("title".into()))?,
            });
        }
        // Grouped by client, the apps with no client last (a stable sort keeps names in order).
        rows.sort_by_key(|r| (r.client.is_none(), r.client));
        if json {
            return output::to_json(&rows).map(Some);
        }
        if rows.iter().all(|r| r.client.is_none()) {
            return output::rows(&rows, false).map(|()| None);
        }
        for group in rows.chunk_by(|a, b| a.client == b.client) {
            let heading = match group[0].client {
                Some(client) => format!("Client {client}"),
                None => "No client".to_string(),
            };
            output::line(&heading)?;
            output::rows(group, false)?;
        }
        Ok(None)
    })
}
