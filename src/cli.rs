//! Command-line definitions. No logic lives here: `commands` acts on what this parses.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

mod apps;
mod checks;
mod secrets;
mod setup;
mod ship;
mod team;
mod values;

pub use apps::{
    AppAddArgs, AppCommand, AppContactArgs, AppListArgs, AppRemoveArgs, AppRenameArgs, AppSetArgs,
    AppShowArgs, ConfigCommand, ConfigSetArgs, ConfigUnsetArgs,
};
pub use checks::{
    AuditArgs, GitCommand, GitMergeArgs, GitSetupArgs, GitTextconvArgs, GitVerifyArgs, PolicyArgs,
    PolicyCommand, PolicySetArgs, ReportFormat, SignArgs, StatusArgs, TrustArgs, VerifyArgs,
};
use checks::{STATUS_AFTER_HELP, VERIFY_AFTER_HELP};
pub use secrets::{AddSecretArgs, GetArgs, HistoryArgs, RemoveSecretArgs, RotateSecretArgs};
pub use setup::{
    AgentCommand, CompletionsArgs, IdentityCommand, IdentityNewArgs, InitArgs, ManArgs, UnlockArgs,
};
pub use ship::{DialectArg, ExportArgs, FormatArg, ImportArgs, PresetArg, RunArgs, Select};
pub use team::ROLES_HELP;
pub use team::{
    JoinArgs, MemberAddArgs, MemberApproveArgs, MemberCommand, MemberInviteArgs, MemberKeyArgs,
    MemberListArgs, MemberRemoveArgs, RekeyArgs, RoleArgs, RoleCommand, RosterArgs,
    RotationCommand, RotationWaiveArgs,
};
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
