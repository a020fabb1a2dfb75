//! Command-line definitions. No logic lives here: `commands` acts on what this parses.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    pub vault: Option<PathBuf>,
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
    /// Create mpvault.json here, with you as its first owner
    Init {
        /// Your handle in the vault (default: your user name)
        #[arg(long)]
        owner: Option<String>,
    },
    /// Add, list, show, change or remove Mini Programs
    #[command(subcommand)]
    App(AppCommand),
    /// Non-secret build values
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Store a new secret (from a hidden prompt or --stdin)
    AddSecret {
        app: String,
        /// Secret name [default: WECHAT_APPSECRET]
        name: Option<String>,
        /// Who may read it: team, developer or admin (default depends on the secret)
        #[arg(long, value_name = "LEVEL")]
        access: Option<String>,
        /// Read the value from standard input (one trailing newline is stripped; PEM kept whole)
        #[arg(long)]
        stdin: bool,
    },
    /// Replace a secret's value, keeping the old one in its history
    RotateSecret {
        app: String,
        /// Secret name [default: WECHAT_APPSECRET]
        name: Option<String>,
        #[arg(long, conflicts_with = "generate")]
        stdin: bool,
        /// Generate a strong value (only for secrets we choose, such as WeChat Pay API keys)
        #[arg(long)]
        generate: bool,
    },
    /// Print one secret (or config value) to standard output
    Get {
        app: String,
        name: String,
        /// Print the N-th earlier version instead (1 = the one before the current)
        #[arg(long, value_name = "N")]
        previous: Option<usize>,
    },
    /// When each version of a secret was set, and by whom (never values)
    History {
        app: String,
        name: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Delete a secret and its history
    RemoveSecret { app: String, name: String },
    /// The people and their keys
    #[command(subcommand)]
    Member(MemberCommand),
    /// Console roles per app
    #[command(subcommand)]
    Role(RoleCommand),
    /// Who holds which console role on an app
    Roster {
        app: String,
        #[arg(long)]
        json: bool,
    },
    /// Replace data keys and re-encrypt, for one app or all
    Rekey { app: Option<String> },
    /// Write an env file for a build
    Export {
        app: String,
        #[command(flatten)]
        select: Select,
        #[arg(long, value_enum, default_value_t = FormatArg::Dotenv)]
        format: FormatArg,
        /// Which dotenv reader to write for
        #[arg(long, value_enum, default_value_t = DialectArg::Expand)]
        dialect: DialectArg,
        /// Write here (mode 0600) instead of standard output
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        /// Write only the miniprogram-ci upload key (WECHAT_UPLOAD_KEY) to PATH, mode 0600
        /// [default: private.<appid>.key]
        #[arg(
            long,
            value_name = "PATH",
            num_args = 0..=1,
            conflicts_with_all = ["output", "format", "dialect", "preset", "only"]
        )]
        upload_key_file: Option<Option<PathBuf>>,
        /// Overwrite an existing file, and write secrets even where git would commit them
        #[arg(long)]
        force: bool,
    },
    /// Run a command with the app's values in its environment
    Run {
        app: String,
        #[command(flatten)]
        select: Select,
        /// The command and its arguments, after --
        #[arg(last = true, required = true, value_name = "CMD")]
        command: Vec<String>,
    },
    /// Review the policy changes since the state this clone trusts, and sign them (owners);
    /// adopts a format 1 or 2 vault
    Sign {
        /// Sign without asking (after reviewing the changes it prints)
        #[arg(long)]
        yes: bool,
    },
    /// The vault in git: readable diffs, a merge driver, a pre-commit guard
    #[command(subcommand)]
    Git(GitCommand),
    /// Walk the vault's git history, verify every change, and print who changed what
    Audit {
        /// Only show changes from this policy revision on (every commit is still verified)
        #[arg(long, value_name = "REV")]
        since: Option<u64>,
        #[arg(long)]
        json: bool,
    },
    /// The vault owners you trust, and re-pinning after checking fingerprints
    Trust {
        /// Trust the owners who signed the vault now (check their fingerprints first)
        #[arg(long)]
        repin: bool,
        #[arg(long)]
        json: bool,
    },
    /// Health of every app
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Print shell completions
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page
    Man,
}

/// Which values an export or run carries.
#[derive(Debug, Args)]
pub struct Select {
    /// Include secrets (left out by default)
    #[arg(long)]
    pub include_secrets: bool,
    /// Name the values for a framework
    #[arg(long, value_enum, default_value_t = PresetArg::Plain)]
    pub preset: PresetArg,
    /// Only these keys (comma-separated, names as exported)
    #[arg(long, value_delimiter = ',', value_name = "KEYS")]
    pub only: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum IdentityCommand {
    /// Create a new identity and print its public line
    New {
        /// Replace an existing identity
        #[arg(long)]
        force: bool,
        /// Protect it with a passphrase (asked on the terminal, or MPVAULT_PASSPHRASE)
        #[arg(long)]
        passphrase: bool,
    },
    /// Print your identity's public line (send it to a vault owner)
    Show,
}

#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Add a Mini Program
    Add {
        app: String,
        #[arg(long)]
        appid: String,
        #[arg(long)]
        title: Option<String>,
    },
    /// List the apps
    List {
        #[arg(long)]
        json: bool,
    },
    /// Details of one app
    Show {
        app: String,
        #[arg(long)]
        json: bool,
    },
    /// Remove an app and everything stored for it
    Remove { app: String },
    /// Title and compliance dates
    Set {
        app: String,
        #[arg(long)]
        title: Option<String>,
        /// When the yearly verification (认证) expires, YYYY-MM-DD
        #[arg(long, value_name = "DATE")]
        verified_until: Option<String>,
        /// The ICP filing (备案) number
        #[arg(long, value_name = "NUMBER")]
        icp: Option<String>,
    },
    /// The administrator's contacts (encrypted; prompts for what is omitted)
    Contact {
        app: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        wechat: Option<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        phone: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Set non-secret build values
    Set {
        app: String,
        #[arg(required = true, value_name = "KEY=VALUE")]
        pairs: Vec<String>,
    },
    /// Remove build values
    Unset {
        app: String,
        #[arg(required = true, value_name = "KEY")]
        keys: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum GitCommand {
    /// Write .gitattributes and this clone's git config for the textconv and merge driver
    Setup {
        /// Also install a pre-commit hook that refuses staged files holding secrets
        #[arg(long)]
        hook: bool,
        /// Only check that everything is set up; change nothing
        #[arg(long)]
        check: bool,
    },
    /// Render a vault file for `git diff` (no key needed, no value shown)
    Textconv { file: PathBuf },
    /// The merge driver: git's %O %A %B %P; writes the merge into OURS
    Merge {
        base: PathBuf,
        ours: PathBuf,
        theirs: PathBuf,
        /// The vault's path in the repository
        path: Option<String>,
    },
    /// The pre-commit guard: refuse staged .env files with secrets, upload keys and identities
    Check,
}

#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// Add a person by the public line they sent you
    Add {
        handle: String,
        #[arg(long, value_name = "LINE")]
        key: String,
        /// Make them an owner (reads everything, changes the roster)
        #[arg(long)]
        owner: bool,
    },
    /// List the members
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove a person; the data keys they could read are replaced
    Remove { handle: String },
}

#[derive(Debug, Subcommand)]
pub enum RoleCommand {
    /// Give roles on an app
    Grant {
        handle: String,
        app: String,
        #[arg(required = true)]
        roles: Vec<String>,
    },
    /// Take roles away
    Revoke {
        handle: String,
        app: String,
        #[arg(required = true)]
        roles: Vec<String>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Dotenv,
    Json,
    Shell,
    Github,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DialectArg {
    /// npm dotenv + dotenv-expand (Taro, Vite, uni-app)
    Expand,
    /// npm dotenv alone
    Node,
    /// python-dotenv
    Python,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PresetArg {
    Plain,
    Taro,
    Vite,
}
