//! Arguments of the commands that judge a vault: `status`, `verify`, `policy`, `audit`,
//! `trust`, `sign`, and the git integration (`git verify|setup|textconv|merge`).

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use clap_complete::engine::ArgValueCandidates;

use super::values::{self, AppWindow, MaxAge};
use crate::complete;

#[derive(Debug, Args)]
pub struct SignArgs {
    /// Sign without asking (after reviewing the changes it prints). It does not confirm an
    /// owner promotion or an owner's key change: those need --yes-owners too
    #[arg(long)]
    pub yes: bool,
    /// Confirm the owner promotions and owners' key changes the review lists first, after
    /// checking their keys with those people out of band
    #[arg(long)]
    pub yes_owners: bool,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only show changes from this policy revision on (every commit is still verified)
    #[arg(long, value_name = "REV")]
    pub since: Option<u64>,
    /// Print who could read this app at which level, and when, from the git history (a
    /// removed app too, with its signed record of removal)
    #[arg(long, value_name = "APP")]
    pub app: Option<String>,
    /// Print JSON instead of a log
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TrustArgs {
    /// Trust the owners who signed the vault now (check their fingerprints first)
    #[arg(long)]
    pub repin: bool,
    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
}

#[derive(Clone, Debug, Args)]
pub struct StatusArgs {
    /// Only this app, in detail
    #[arg(add = ArgValueCandidates::new(complete::apps))]
    pub app: Option<String>,
    /// Print JSON instead of a table (same exit codes); the same as --format json
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// The report's format (markdown has no tables: it pastes into WeCom and DingTalk)
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<ReportFormat>,
    /// Only the apps run for this client
    #[arg(long, value_name = "NAME")]
    pub client: Option<String>,
    /// Print the hand-off for each client's 管理员: what to reset and whom to remove from
    /// 成员管理 in the console, per app, with its AppID and the 管理员's contacts
    #[arg(long)]
    pub due: bool,
    /// Judge as of this day instead of today (YYYY-MM-DD), to see what will be due by then
    #[arg(long, value_name = "DATE", value_parser = values::date)]
    pub as_of: Option<time::Date>,
    /// Judge only what this identity can read: an encrypted fact it cannot open (an earlier
    /// vault's verification expiry or ICP number) is left out instead of being a problem
    #[arg(long)]
    pub readable_only: bool,
    /// Only what falls due within DAYS, and what is already due: secrets that reach their age
    /// limit, verifications that expire (this replaces the verification window)
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(0..=36_500))]
    pub within: Option<u32>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The app to check
    #[arg(required_unless_present = "all", conflicts_with = "all", add = ArgValueCandidates::new(complete::apps))]
    pub app: Option<String>,
    /// Check every app whose AppSecret you can read
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct PolicyArgs {
    #[command(subcommand)]
    pub command: Option<PolicyCommand>,
    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
}

pub(super) const STATUS_AFTER_HELP: &str = "Exit status: 0 healthy, 7 something is due (a rotation, a verification within its window, a missing ICP number or contact), 8 something expired or is broken. Colour only on a terminal; NO_COLOR turns it off.";

pub(super) const VERIFY_AFTER_HELP: &str = "Sends POST /cgi-bin/stable_token with force_refresh=false, so the access token production uses stays valid. MPVAULT_WECHAT_API overrides https://api.weixin.qq.com (a proxy, or tests). Exit status: 0 accepted, 8 WeChat rejected the AppID or AppSecret, 9 no answer (network, busy, this IP not allowed).";

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Change the health rules (vault owners only; the change is signed with the roster)
    Set(PolicySetArgs),
    /// Put every rule back to its default (AppSecret 180 days, upload and Pay keys 365, window
    /// 90 days, ICP required)
    Reset,
}

#[derive(Debug, Args)]
pub struct PolicySetArgs {
    /// A secret's maximum age in days, or `off` for none, as NAME=DAYS (repeatable)
    #[arg(long = "max-age", value_name = "NAME=DAYS", value_parser = values::max_age)]
    pub max_age: Vec<MaxAge>,
    /// How many days before the verification (认证) expiry it is flagged as due
    #[arg(long, value_name = "DAYS")]
    pub verification_window: Option<u32>,
    /// One app's own verification window, overriding the vault's, as APP=DAYS; APP=default
    /// gives it the vault's again (repeatable)
    #[arg(long = "app-window", value_name = "APP=DAYS", value_parser = values::app_window)]
    pub app_windows: Vec<AppWindow>,
    /// Whether every app must have an ICP filing (备案) number recorded
    #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set)]
    pub icp_required: Option<bool>,
}

#[derive(Debug, Subcommand)]
pub enum GitCommand {
    /// Write .gitattributes and this clone's git config for the textconv and merge driver
    Setup(GitSetupArgs),
    /// Render a vault file for `git diff` (no key needed, no value shown)
    Textconv(GitTextconvArgs),
    /// The merge driver: git's %O %A %B %P; writes the merge into OURS
    Merge(GitMergeArgs),
    /// The pre-commit guard: refuse staged .env files with secrets, upload keys and identities
    Check,
    /// Check a revision and the history that led to it, with no key (pull requests and CI)
    Verify(GitVerifyArgs),
}

#[derive(Debug, Args)]
pub struct GitVerifyArgs {
    /// The commit to check (default: the vault file in the work tree, on top of HEAD)
    #[arg(value_name = "REV")]
    pub rev: Option<String>,
    /// Check the history from this commit (default: the merge base with origin's default
    /// branch, or the whole history when REV is on it)
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
}

#[derive(Debug, Args)]
pub struct GitSetupArgs {
    /// Also install a pre-commit hook that refuses staged files holding secrets
    #[arg(long)]
    pub hook: bool,
    /// Only check that everything is set up; change nothing
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Args)]
pub struct GitTextconvArgs {
    /// The vault file to render (git passes a temporary copy)
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct GitMergeArgs {
    /// The common ancestor's vault (%O)
    pub base: PathBuf,
    /// This branch's vault, where the merge is written (%A)
    pub ours: PathBuf,
    /// The other branch's vault (%B)
    pub theirs: PathBuf,
    /// The vault's path in the repository
    pub path: Option<String>,
}

/// How a report or a hand-off is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    // No doc comments here: clap would list them one per line in every --help.
    Text,
    // Markdown: no tables or box-drawing, so it pastes into WeCom and DingTalk.
    Markdown,
    Json,
}
