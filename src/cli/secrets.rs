//! Arguments of the secret commands: `add-secret`, `rotate-secret`, `get`, `history`,
//! `remove-secret`. No value is ever an argument; values come from a prompt or `--stdin`.

use clap::Args;
use clap_complete::engine::ArgValueCandidates;

use crate::complete;
use crate::wechat::{self, Level};

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
