//! Command-line definitions. No logic lives here: `commands` acts on what this parses.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::engine::ArgValueCandidates;

use crate::complete;
use crate::wechat::{self, Level};

mod values;

pub use values::{AppRole, AppWindow, MaxAge, NameLevel, UploadKeyFile};

#[derive(Debug, Parser)]
#[command(
    name = "mpvault",
    version,
    about = "Keep WeChat Mini Program credentials and team rosters in one encrypted, git-friendly vault",
    long_about = None,
    after_help = "Secrets are never taken from arguments: they come from a hidden prompt or --stdin."
)]
pub struct Cli {
    /// The vault file (default: the nearest mpvault.json in this folder or above)
    #[arg(long, global = true, env = "MPVAULT_VAULT", value_name = "PATH")]
    pub vault: Vec<PathBuf>,
    /// Your identity file (default: MPVAULT_IDENTITY, MPVAULT_IDENTITY_FILE, then <config dir>/mpvault/identity.txt)
    #[arg(long, global = true, value_name = "PATH")]
    pub identity: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create or show your identity
    #[command(subcommand)]
    Identity(IdentityCommand),
    /// Keep your protected identity unlocked in an agent for this session (asks once)
    ///
    /// The agent is this program, left running in the background: it holds the key in memory,
    /// answers only this user on a socket in a private folder under the runtime directory,
    /// decrypts data keys and signs for the commands that ask, never hands the key out, and
    /// ends after DURATION without use or at `mpvault lock`. Every command uses it when it
    /// holds your identity; MPVAULT_AGENT=off makes commands ignore it.
    Unlock(UnlockArgs),
    /// Stop the agent, forgetting the unlocked identity
    Lock,
    /// The agent itself (started by `unlock`)
    #[command(subcommand, hide = true)]
    Agent(AgentCommand),
    /// Create mpvault.json here, with you as its first owner
    Init(InitArgs),
    /// Add, list, show, change or remove Mini Programs
    #[command(subcommand)]
    App(AppCommand),
    /// Non-secret build values
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Store a new secret (from a hidden prompt or --stdin)
    AddSecret(AddSecretArgs),
    /// Replace a secret's value, keeping the old one in its history
    RotateSecret(RotateSecretArgs),
    /// Print one secret (or config value) to standard output
    Get(GetArgs),
    /// When each version of a secret was set, and by whom (never values)
    History(HistoryArgs),
    /// Delete a secret and its history (asks first on a terminal)
    RemoveSecret(RemoveSecretArgs),
    /// The people and their keys
    #[command(subcommand)]
    Member(MemberCommand),
    /// Ask to join a vault with the invitation code an owner gave you (creates your identity
    /// if you have none); commit and push the vault, then an owner approves
    Join(JoinArgs),
    /// Console roles per app
    #[command(subcommand)]
    Role(RoleCommand),
    /// Rotations due: accept one instead of resetting the secret (owners)
    #[command(subcommand)]
    Rotation(RotationCommand),
    /// Who holds which console role on an app
    Roster(RosterArgs),
    /// Replace data keys and re-encrypt, for one app or all
    Rekey(RekeyArgs),
    /// Write an env file for a build
    Export(ExportArgs),
    /// Run a command with the app's values in its environment
    Run(RunArgs),
    /// Review the policy changes since the state this clone trusts, and sign them (owners);
    /// adopts a format 1 or 2 vault
    ///
    /// The review lists every difference between the policy this clone trusts and the one it
    /// would sign, field by field, including what signing itself adds (re-wrapped and replaced
    /// data keys, floors, the revision); exactly that is written. Owner promotions and owners'
    /// key changes come first and are confirmed on their own: --yes does not answer them,
    /// --yes-owners does. A file whose policy is the trusted one, with only its signature
    /// removed, is not signed again.
    Sign(SignArgs),
    /// Move an existing .env file into the vault (secret-looking names become secrets)
    Import(ImportArgs),
    /// The vault in git: readable diffs, a merge driver, a pre-commit guard
    #[command(subcommand)]
    Git(GitCommand),
    /// Walk the vault's git history, verify every change, and print who changed what
    Audit(AuditArgs),
    /// The vault owners you trust, and re-pinning after checking fingerprints
    Trust(TrustArgs),
    /// Health of every app, problems first; exits 7 when something is due, 8 when broken
    #[command(after_help = STATUS_AFTER_HELP)]
    Status(StatusArgs),
    /// Check an app's AppID and AppSecret with WeChat (stable_token, never refreshing the token)
    #[command(after_help = VERIFY_AFTER_HELP)]
    Verify(VerifyArgs),
    /// Show or change the health rules: secrets' maximum age, verification window, ICP
    #[command(args_conflicts_with_subcommands = true)]
    Policy(PolicyArgs),
    /// Print the shell hook that completes commands, app, secret and member names
    #[command(
        after_help = "Add to your shell's startup file, for example:\n  bash: source <(mpvault completions bash)\n  zsh:  source <(mpvault completions zsh)\n  fish: mpvault completions fish | source"
    )]
    Completions(CompletionsArgs),
    /// Print the man page, or write one page per command into a folder
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct UnlockArgs {
    /// How long the agent stays unlocked without use: 90s, 30m, 8h, 1d (at most 7d)
    #[arg(long = "for", value_name = "DURATION", default_value = "1h", value_parser = values::duration)]
    pub duration: std::time::Duration,
}

#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// Serve the key read from standard input until idle for SECONDS (what `unlock` runs)
    Serve {
        /// End after this many seconds without a request
        #[arg(long, value_name = "SECONDS")]
        idle: u64,
    },
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Your handle in the vault (default: your user name)
    #[arg(long)]
    pub owner: Option<String>,
}

#[derive(Debug, Args)]
pub struct AddSecretArgs {
    /// The app to store it for
    #[arg(add = ArgValueCandidates::new(complete::apps))]
    pub app: String,
    /// Secret name
    #[arg(default_value = wechat::APPSECRET, add = ArgValueCandidates::new(complete::secrets))]
    pub name: String,
    /// Who may read it: team, developer or admin (default depends on the secret)
    #[arg(long, value_name = "LEVEL")]
    pub access: Option<Level>,
    /// Read the value from standard input (one trailing newline is stripped; PEM kept whole)
    #[arg(long)]
    pub stdin: bool,
}

#[derive(Debug, Args)]
pub struct RotateSecretArgs {
    /// The app whose secret changed
    #[arg(add = ArgValueCandidates::new(complete::apps))]
    pub app: String,
    /// Secret name
    #[arg(default_value = wechat::APPSECRET, add = ArgValueCandidates::new(complete::secrets))]
    pub name: String,
    /// Read the new value from standard input (one trailing newline is stripped; PEM kept whole)
    #[arg(long, conflicts_with = "generate")]
    pub stdin: bool,
    /// Generate a strong value (only for secrets we choose, such as WeChat Pay API keys)
    #[arg(long)]
    pub generate: bool,
    /// Check the new AppSecret with WeChat (stable_token) before storing it; refuse it if WeChat does
    #[arg(long, conflicts_with = "generate")]
    pub verify: bool,
    /// Store version N (as `history` numbers it) again as the newest version: undoes a mistyped
    /// rotation
    #[arg(long, value_name = "N", conflicts_with_all = ["stdin", "generate", "verify"])]
    pub restore: Option<u64>,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    /// The app
    #[arg(add = ArgValueCandidates::new(complete::apps))]
    pub app: String,
    /// The secret's or config value's name
    #[arg(add = ArgValueCandidates::new(complete::secrets))]
    pub name: String,
    /// Print the N-th earlier version instead (1 = the one before the current)
    #[arg(long, value_name = "N", default_value_t = 0, hide_default_value = true)]
    pub previous: usize,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The app
    #[arg(add = ArgValueCandidates::new(complete::apps))]
    pub app: String,
    /// Only this secret (default: all of the app's secrets)
    #[arg(add = ArgValueCandidates::new(complete::secrets))]
    pub name: Option<String>,
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RemoveSecretArgs {
    /// The app
    #[arg(add = ArgValueCandidates::new(complete::apps))]
    pub app: String,
    /// The secret to delete
    #[arg(add = ArgValueCandidates::new(complete::secrets))]
    pub name: String,
    /// Do not ask for confirmation (needed when standard input is not a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
}

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

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The app to export
    #[arg(add = ArgValueCandidates::new(complete::apps))]
    pub app: String,
    #[command(flatten)]
    pub select: Select,
    /// The file format
    #[arg(long, value_enum, default_value_t = FormatArg::Dotenv)]
    pub format: FormatArg,
    /// Which dotenv reader to write for
    #[arg(long, value_enum, default_value_t = DialectArg::Expand)]
    pub dialect: DialectArg,
    /// Write here (mode 0600) instead of standard output; `-` or /dev/stdout is standard output
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Write only the miniprogram-ci upload key (WECHAT_UPLOAD_KEY) to PATH, mode 0600
    /// [default: private.<appid>.key]
    #[arg(
        long,
        value_name = "PATH",
        num_args = 0..=1,
        default_missing_value = UploadKeyFile::NAMED_BY_APPID,
        value_parser = UploadKeyFile::parser(),
        conflicts_with_all = ["output", "format", "dialect", "preset", "only"]
    )]
    pub upload_key_file: Option<UploadKeyFile>,
    /// Overwrite an existing file, and write secrets even where git would commit them
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The app whose values the command gets
    #[arg(add = ArgValueCandidates::new(complete::apps))]
    pub app: String,
    #[command(flatten)]
    pub select: Select,
    /// The command and its arguments, after --
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

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
pub struct ImportArgs {
    /// The app to import into
    #[arg(add = ArgValueCandidates::new(complete::apps))]
    pub app: String,
    /// The dotenv file to read
    pub file: PathBuf,
    /// Which reader the file was written for (it is read the way that reader reads it)
    #[arg(long, value_enum, default_value_t = DialectArg::Expand)]
    pub dialect: DialectArg,
    /// Import these names as secrets (comma-separated, as written in the file)
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub secrets: Vec<String>,
    /// Import these names as config (comma-separated, as written in the file)
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub config: Vec<String>,
    /// Store the config for this build mode (for example .env.production -> production)
    #[arg(long, value_name = "MODE", value_parser = values::mode)]
    pub mode: Option<String>,
    /// Print what would be stored (names, kinds, levels; never values) and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Replace values the app already has (secrets are rotated and keep their history)
    #[arg(long)]
    pub update: bool,
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

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write mpvault.1 and one page per subcommand (mpvault-app-add.1, …) here
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

const STATUS_AFTER_HELP: &str = "Exit status: 0 healthy, 7 something is due (a rotation, a verification within its window, a missing ICP number or contact), 8 something expired or is broken. Colour only on a terminal; NO_COLOR turns it off.";

const VERIFY_AFTER_HELP: &str = "Sends POST /cgi-bin/stable_token with force_refresh=false, so the access token production uses stays valid. MPVAULT_WECHAT_API overrides https://api.weixin.qq.com (a proxy, or tests). Exit status: 0 accepted, 8 WeChat rejected the AppID or AppSecret, 9 no answer (network, busy, this IP not allowed).";

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

/// Which values an export or run carries.
#[derive(Debug, Args)]
pub struct Select {
    /// Include secrets (left out by default)
    #[arg(long)]
    pub include_secrets: bool,
    /// Name the values for a framework (taro, vite, vue-cli); secrets never get a bundle prefix
    #[arg(long, value_enum, default_value_t = PresetArg::Plain)]
    pub preset: PresetArg,
    /// Only these keys (comma-separated, names as exported)
    #[arg(long, value_delimiter = ',', value_name = "KEYS")]
    pub only: Vec<String>,
    /// Lay this build mode's config over the base config (development, production, …)
    #[arg(long, value_name = "MODE", value_parser = values::mode)]
    pub mode: Option<String>,
    /// Fail (exit 4) instead of leaving anything out: a value you cannot read, a name a vault
    /// may not set (for CI)
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Subcommand)]
pub enum IdentityCommand {
    /// Create a new identity and print its public line
    New(IdentityNewArgs),
    /// Print your identity's public line (send it to a vault owner)
    Show,
}

#[derive(Debug, Args)]
pub struct IdentityNewArgs {
    /// Replace an existing identity
    #[arg(long)]
    pub force: bool,
    /// Protect it with a passphrase (asked on the terminal, or MPVAULT_PASSPHRASE)
    #[arg(long)]
    pub passphrase: bool,
}

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

/// How a report or a hand-off is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    // No doc comments here: clap would list them one per line in every --help.
    Text,
    // Markdown: no tables or box-drawing, so it pastes into WeCom and DingTalk.
    Markdown,
    Json,
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// A .env file for the --dialect reader
    Dotenv,
    /// A JSON object
    Json,
    /// export NAME='…' lines for POSIX sh
    Shell,
    /// $GITHUB_ENV blocks and ::add-mask:: lines for GitHub Actions
    Github,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DialectArg {
    /// npm dotenv + dotenv-expand 11, 12 and 13 (Taro, Vite 5-8, uni-app)
    Expand,
    /// npm dotenv alone
    Node,
    /// python-dotenv
    Python,
}

pub use crate::preset::Preset as PresetArg;

/// Subcommands that delete: clap's "similar subcommands" tip never offers one for a typo.
const DESTRUCTIVE: [&str; 2] = ["remove", "remove-secret"];

/// `error` without a tip that offers a destructive subcommand; the others it offers stay.
pub fn safe_suggestions(error: clap::Error) -> clap::Error {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if error.kind() != ErrorKind::InvalidSubcommand {
        return error;
    }
    let Some(ContextValue::Strings(offered)) = error.get(ContextKind::SuggestedSubcommand) else {
        return error;
    };
    if !offered.iter().any(|s| DESTRUCTIVE.contains(&s.as_str())) {
        return error;
    }
    let kept: Vec<String> = offered
        .iter()
        .filter(|s| !DESTRUCTIVE.contains(&s.as_str()))
        .cloned()
        .collect();
    let mut safe = clap::Error::new(ErrorKind::InvalidSubcommand);
    for kind in [ContextKind::InvalidSubcommand, ContextKind::Usage] {
        if let Some(value) = error.get(kind) {
            safe.insert(kind, value.clone());
        }
    }
    if !kept.is_empty() {
        safe.insert(
            ContextKind::SuggestedSubcommand,
            ContextValue::Strings(kept),
        );
    }
    safe
}
