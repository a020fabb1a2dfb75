//! Arguments of the commands about the Mini Programs themselves: `app` and `config`.

use clap::{Args, Subcommand};
use clap_complete::engine::ArgValueCandidates;

use super::values;
use crate::complete;

#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Add a Mini Program
    Add(AppAddArgs),
    /// List the apps
    List(AppListArgs),
    /// Details of one app
    Show(AppShowArgs),
    /// Remove an app and everything stored for it (asks first on a terminal)
    Remove(AppRemoveArgs),
    /// Title, compliance dates, and the AppID (owners, confirmed)
    Set(AppSetArgs),
    /// Give an app a new name, keeping every value, version, role and contact (owners)
    Rename(AppRenameArgs),
    /// The administrator's contacts (encrypted; prompts for what is omitted; "" clears a field)
    Contact(AppContactArgs),
}

#[derive(Debug, Args)]
pub struct AppAddArgs {
    /// A short name for the app in this vault (lowercase letters, digits, '.', '_', '-')
    pub app: String,
    /// The AppID (小程序ID) from 开发管理 → 开发设置: wx and 16 hex digits
    #[arg(long, value_name = "APPID", value_parser = values::appid)]
    pub appid: String,
    /// A human-readable title (encrypted)
    #[arg(long)]
    pub title: Option<String>,
}

#[derive(Clone, Debug, Args)]
pub struct AppListArgs {
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
    /// Only the apps run for this client
    #[arg(long, value_name = "NAME")]
    pub client: Option<String>,
}

#[derive(Debug, Args)]
pub struct AppShowArgs {
    /// The app
    #[arg(add = ArgValueCandidates::new(complete::apps))]
    pub app: String,
    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AppRemoveArgs {
    /// The app
    #[arg(add = ArgValueCandidates::new(complete::apps))]
    pub app: String,
    /// Do not ask for confirmation (needed when standard input is not a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct AppSetArgs {
    /// The app
    #[arg(add = ArgValueCandidates::new(complete::apps))]
    pub app: String,
    /// A human-readable title (encrypted)
    #[arg(long)]
    pub title: Option<String>,
    /// When the yearly verification (认证) expires, YYYY-MM-DD
    #[arg(long, value_name = "DATE", value_parser = values::date)]
    pub verified_until: Option<time::Date>,
    /// The ICP filing (备案) number
    #[arg(long, value_name = "NUMBER")]
    pub icp: Option<String>,
    /// The client company the app is run for (owners; signed, not encrypted); "" clears it
    #[arg(long, value_name = "NAME")]
    pub client: Option<String>,
    /// Correct the AppID (owners; signed with the roster): wx and 16 hex digits
    #[arg(long, value_name = "APPID", value_parser = values::appid)]
    pub appid: Option<String>,
    /// Confirm changing the AppID (needed when standard input is not a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct AppRenameArgs {
    /// The app's current name
    #[arg(add = ArgValueCandidates::new(complete::apps))]
    pub old: String,
    /// Its new name (lowercase letters, digits, '.', '_', '-')
    pub new: String,
    /// Do not ask for confirmation (needed when standard input is not a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct AppContactArgs {
    /// The app
    #[arg(add = ArgValueCandidates::new(complete::apps))]
    pub app: String,
    /// The administrator's name
    #[arg(long)]
    pub name: Option<String>,
    /// The administrator's WeChat ID
    #[arg(long, value_name = "ID")]
    pub wechat: Option<String>,
    /// The administrator's email address
    #[arg(long)]
    pub email: Option<String>,
    /// The administrator's phone number
    #[arg(long)]
    pub phone: Option<String>,
    /// A new administrator: set exactly the fields given and clear the others (never asks)
    #[arg(long)]
    pub replace: bool,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Set non-secret build values
    Set(ConfigSetArgs),
    /// Remove build values
    Unset(ConfigUnsetArgs),
}

#[derive(Debug, Args)]
pub struct ConfigSetArgs {
    /// The app
    #[arg(add = ArgValueCandidates::new(complete::apps))]
    pub app: String,
    /// Values as KEY=VALUE (never secrets: arguments are visible to other users)
    #[arg(required = true, value_name = "KEY=VALUE")]
    pub pairs: Vec<String>,
    /// Only for this build mode (development, production, …)
    #[arg(long, value_name = "MODE", value_parser = values::mode)]
    pub mode: Option<String>,
    /// Build config: named as is for build scripts, never given a preset's bundle prefix, so
    /// never shipped in the Mini Program (without it, config is bundle config)
    #[arg(long)]
    pub build: bool,
}

#[derive(Debug, Args)]
pub struct ConfigUnsetArgs {
    /// The app
    #[arg(add = ArgValueCandidates::new(complete::apps))]
    pub app: String,
    /// The names to remove (bundle or build config)
    #[arg(required = true, value_name = "KEY")]
    pub keys: Vec<String>,
    /// From this build mode's values instead of the base ones
    #[arg(long, value_name = "MODE", value_parser = values::mode)]
    pub mode: Option<String>,
}
