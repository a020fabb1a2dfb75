//! Arguments of the commands that move values in or out of a vault: `export`, `run`,
//! `import`, and the dotenv dialects and presets they speak.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use clap_complete::engine::ArgValueCandidates;

use super::values::{self, UploadKeyFile};
use crate::complete;

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
