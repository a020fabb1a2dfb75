//! Arguments of the commands about people: `member`, `join`, `role`, `roster`, `rekey` and
//! `rotation` (who may read what, and what their leaving costs).

use clap::{Args, Subcommand};
use clap_complete::engine::ArgValueCandidates;

use super::checks::ReportFormat;
use super::values;
use crate::complete;

#[derive(Debug, Args)]
pub struct RosterArgs {
    /// The app (or every app of --client)
    #[arg(required_unless_present = "client", add = ArgValueCandidates::new(complete::apps))]
    pub app: Option<String>,
    /// Every app run for this client, one roster after the other
    #[arg(long, value_name = "NAME", conflicts_with = "app")]
    pub client: Option<String>,
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RekeyArgs {
    /// Only this app (default: every app)
    #[arg(add = ArgValueCandidates::new(complete::apps))]
    pub app: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// Add a person by the public line they sent you
    Add(MemberAddArgs),
    /// List the members
    List(MemberListArgs),
    /// Remove a person; the data keys they could read are replaced (asks first on a terminal)
    Remove(MemberRemoveArgs),
    /// Invite a person through git: prints a one-time code to give them (owners)
    Invite(MemberInviteArgs),
    /// Add a person whose join request proves their invitation code (owners)
    Approve(MemberApproveArgs),
    /// Give a member a new key (a new laptop), keeping their roles; --lost if the old key
    /// may be in someone else's hands (owners)
    Key(MemberKeyArgs),
}

#[derive(Debug, Args)]
pub struct MemberKeyArgs {
    /// The member
    #[arg(add = ArgValueCandidates::new(complete::members))]
    pub handle: String,
    /// The public line `mpvault identity show` printed on their new machine
    #[arg(long, value_name = "LINE")]
    pub key: String,
    /// The old key is lost or stolen: record it as departed, so what it could read is due for
    /// rotation (as `member remove` does), while the member keeps their roles
    #[arg(long)]
    pub lost: bool,
    /// Do not ask for confirmation of --lost (needed when standard input is not a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct MemberInviteArgs {
    /// The handle they will have (lowercase letters, digits, '.', '_', '-')
    pub handle: String,
    /// A role they get on an app when approved, as APP=ROLE (repeat for more)
    #[arg(long = "role", value_name = "APP=ROLE", value_parser = values::app_role)]
    pub roles: Vec<values::AppRole>,
    /// How long the code may be used, in days (7d), hours (12h) or minutes (30m)
    #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = values::invitation_duration)]
    pub expires: std::time::Duration,
}

#[derive(Debug, Args)]
pub struct MemberApproveArgs {
    /// The person who asked to join
    pub handle: String,
    /// Approve a request that does not prove the code, after comparing this fingerprint
    /// (`mpvault join` printed it for them) with the person
    #[arg(long, value_name = "FINGERPRINT")]
    pub fingerprint: Option<String>,
}

#[derive(Debug, Args)]
pub struct JoinArgs {
    /// The handle you were invited as
    pub handle: String,
    /// The one-time code the owner gave you (mpv-XXXX-XXXX-XXXX-XXXX; case, spaces and dashes
    /// do not matter). Left out, it is asked for with a hidden prompt, or read from standard
    /// input, so it never shows in the process list
    #[arg(long, value_name = "CODE")]
    pub code: Option<String>,
}

#[derive(Debug, Args)]
pub struct MemberAddArgs {
    /// Their handle in the vault (lowercase letters, digits, '.', '_', '-')
    pub handle: String,
    /// The public line `mpvault identity show` printed for them (or an SSH public key)
    #[arg(long, value_name = "LINE")]
    pub key: String,
    /// Make them an owner (reads everything, changes the roster)
    #[arg(long)]
    pub owner: bool,
    /// A service member (CI, a bot): reads what --read and --client give it, without a console
    /// role; never an owner, never writes
    #[arg(long)]
    pub service: bool,
    /// What a service member reads, as APP=LEVEL (team, developer or admin; the levels below
    /// come with it); comma-separated or repeated
    #[arg(long = "read", value_name = "APP=LEVEL", value_delimiter = ',', requires = "service", value_parser = values::app_level)]
    pub reads: Vec<values::NameLevel>,
    /// A service member reads every app this client has now, as NAME or NAME=LEVEL (developer
    /// when left out)
    #[arg(long = "client", value_name = "NAME[=LEVEL]", value_delimiter = ',', requires = "service", value_parser = values::client_level)]
    pub clients: Vec<values::NameLevel>,
    /// Confirm giving back levels this key lost earlier (needed when standard input is not a
    /// terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct MemberListArgs {
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
    /// Only the people with a console role on an app run for this client (and the owners)
    #[arg(long, value_name = "NAME")]
    pub client: Option<String>,
}

#[derive(Debug, Args)]
pub struct MemberRemoveArgs {
    /// The member
    #[arg(add = ArgValueCandidates::new(complete::members))]
    pub handle: String,
    /// Do not ask for confirmation (needed when standard input is not a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Also print the hand-off for each client's 管理员 (AppIDs, contacts, console steps)
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<ReportFormat>,
}

#[derive(Debug, Subcommand)]
pub enum RotationCommand {
    /// Record a signed waiver for secrets due for rotation, instead of resetting them (owners).
    /// It covers what is due now; a later departure makes them due again
    Waive(RotationWaiveArgs),
}

#[derive(Debug, Args)]
pub struct RotationWaiveArgs {
    /// The app
    #[arg(add = ArgValueCandidates::new(complete::apps))]
    pub app: String,
    /// The secret (default: every secret of the app that is due)
    #[arg(add = ArgValueCandidates::new(complete::secrets))]
    pub name: Option<String>,
    /// Why the risk is accepted (public: anyone with the file reads it)
    #[arg(long, value_name = "TEXT", required = true)]
    pub reason: String,
}

#[derive(Debug, Subcommand)]
pub enum RoleCommand {
    /// Give roles on an app, or on several (--apps, --client) in one signed revision
    #[command(after_help = ROLES_HELP)]
    Grant(RoleArgs),
    /// Take roles away on an app, or on several (--apps, --client) in one signed revision
    #[command(after_help = ROLES_HELP)]
    Revoke(RoleArgs),
    /// Replace a member's roles on an app (or on several: --apps, --client) with these
    #[command(after_help = ROLES_HELP)]
    Set(RoleArgs),
}

// `role grant`, `role revoke` and `role set` take the same arguments.
#[derive(Debug, Args)]
pub struct RoleArgs {
    /// The member
    #[arg(add = ArgValueCandidates::new(complete::members))]
    pub handle: String,
    /// The app, then one or more console roles in English or Chinese (see below); with
    /// --apps or --client, only the roles
    #[arg(required = true, value_name = "APP ROLE", add = ArgValueCandidates::new(complete::apps_and_roles))]
    pub words: Vec<String>,
    /// Change the roles on several apps at once, in one signed revision (comma-separated)
    #[arg(long, value_name = "APP,APP", value_delimiter = ',', conflicts_with = "client", add = ArgValueCandidates::new(complete::apps))]
    pub apps: Vec<String>,
    /// Change the roles on every app of this client (`app set APP --client NAME`)
    #[arg(long, value_name = "NAME")]
    pub client: Option<String>,
    /// Record a signed waiver instead of rotations due: the member stays on the team, and an
    /// owner accepts that they could read the secrets they lose (revoke and set; needs --reason)
    #[arg(long, requires = "reason")]
    pub keep_secrets: bool,
    /// Why the secrets are kept, for the waiver (public: anyone with the file reads it)
    #[arg(long, value_name = "TEXT", requires = "keep_secrets")]
    pub reason: Option<String>,
    /// Confirm a change to several apps, or giving back levels the member lost earlier (needed
    /// when standard input is not a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// The console roles (成员管理), as `role grant --help` lists them.
pub const ROLES_HELP: &str = "Roles (成员管理), and what they read in the vault:
  admin                 管理员      every level of the app
  developer             开发者      team and developer levels (AppSecret, upload key)
  operator              运营者      team level (reads config; writes the title, contacts)
  data-analyst          数据分析者  team level
  transactions-analyst  交易分析者  team level
  tester                体验者      team level

Config (base and per mode) is read at the team level but written only by developers, admins
and owners of the app, because it steers builds; the title and contacts are written by the
whole team, the public verification expiry and ICP number by owners.";
