//! `git setup|textconv|merge|check`: the vault in a team's git workflow. `textconv` renders the
//! vault for `git diff` without a key; `merge` is git's merge driver (three-way on structure,
//! see `vault::merge`), re-sealing and signing as the person merging; `check` is the
//! pre-commit guard against committing what holds secrets.

mod check;
mod merge;
mod setup;
mod textconv;

use std::path::PathBuf;

use super::Context;
use crate::cli::GitCommand;
use crate::error::{Error, Result};

pub fn run(ctx: &Context, cmd: GitCommand) -> Result<i32> {
    match cmd {
        GitCommand::Setup { hook, check } => setup::run(hook, check),
        GitCommand::Textconv { file } => textconv::run(&file),
        GitCommand::Merge {
            base,
            ours,
            theirs,
            path,
        } => merge::run(ctx, &base, &ours, &theirs, path.as_deref()),
        GitCommand::Check => check::run(),
    }
}

fn cwd() -> Result<PathBuf> {
    std::env::current_dir().map_err(|e| Error::io("cannot read the current folder", e))
}
