//! `git setup|textconv|merge|check`: the vault in a team's git workflow. `textconv` renders the
//! vault for `git diff` without a key; `merge` is git's merge driver (the merge itself is
//! `vault::merge`; the driver reads, trusts, signs, writes and reports); `check` is the
//! pre-commit guard against committing what holds secrets; `verify` checks a revision and its
//! history with no key, for pull requests and CI.

mod check;
mod merge;
mod setup;
mod textconv;
mod verify;

pub use verify::history_for_ci;

use std::path::PathBuf;

use super::{Context, Outcome};
use crate::cli::{GitCommand, GitTextconvArgs};
use crate::error::{Error, Result};

pub fn run(ctx: &Context, cmd: GitCommand) -> Result<Outcome> {
    match cmd {
        GitCommand::Setup(args) => setup::run(args),
        GitCommand::Textconv(GitTextconvArgs { file }) => textconv::run(&file).map(Outcome::from),
        GitCommand::Merge(args) => merge::run(ctx, &args),
        GitCommand::Check => check::run(),
        GitCommand::Verify(args) => verify::run(ctx, &args),
    }
}

fn cwd() -> Result<PathBuf> {
    std::env::current_dir().map_err(|e| Error::io("cannot read the current folder", e))
}
