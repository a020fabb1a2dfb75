//! Arguments of the commands about this machine: `identity`, `unlock`/`agent`, `init`,
//! `completions` and `man`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::values;

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
