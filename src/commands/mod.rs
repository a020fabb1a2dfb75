//! One module per command group. Each parses what the CLI gave it, validates, then acts.

mod agent;
mod app;
mod audit;
mod config;
mod context;
mod contract;
mod docs;
mod export;
mod git;
mod identity;
mod import;
mod init;
mod join;
mod many;
mod member;
mod outcome;
mod policy;
mod role;
mod secret;
mod sign;
mod status;
mod trust;
mod verify;
mod waive;

pub use context::Context;
pub use outcome::Outcome;

use crate::cli::{Cli, Command};
use crate::error::{Error, Result};
use crate::output;

/// Runs a parsed command line; returns how it went, for the exit status.
pub fn run(cli: Cli) -> Result<Outcome> {
    let ctx = Context::new(cli.vault.first().cloned(), cli.identity.clone());
    dispatch(&ctx, cli).map_err(|e| after_merge(&ctx, e))
}

/// A damaged vault in the middle of a merge, or with conflict markers, gets advice that works
/// there (`git checkout -- mpvault.json` does not while the file is unmerged).
fn after_merge(ctx: &Context, error: Error) -> Error {
    let Error::Corrupt { what, hint } = error else {
        return error;
    };
    let Ok(path) = ctx.vault_path() else {
        return Error::Corrupt { what, hint };
    };
    let markers = std::fs::read(&path).is_ok_and(|b| b.windows(8).any(|w| w == b"\n<<<<<<<"));
    if markers || crate::git::merging(&path) {
        return Error::Corrupt {
            what,
            hint: crate::git::way_back(&path),
        };
    }
    Error::Corrupt { what, hint }
}

fn dispatch(ctx: &Context, cli: Cli) -> Result<Outcome> {
    if let Some(vaults) = many::span(&cli.vault, &cli.command)? {
        return many::run(vaults, cli.identity.as_ref(), &cli.command);
    }
    Ok(match cli.command {
        Command::Identity(cmd) => identity::run(ctx, &cmd)?.into(),
        Command::Unlock(args) => agent::unlock(ctx, &args)?.into(),
        Command::Lock => agent::lock()?.into(),
        Command::Agent(cmd) => agent::serve(&cmd)?.into(),
        Command::Init(args) => init::run(ctx, args)?.into(),
        Command::App(cmd) => app::run(ctx, cmd)?.into(),
        Command::Config(cmd) => config::run(ctx, cmd)?.into(),
        Command::AddSecret(args) => secret::add(ctx, args)?.into(),
        Command::RotateSecret(args) => secret::rotate(ctx, args)?.into(),
        Command::Get(args) => secret::get(ctx, args)?.into(),
        Command::History(args) => secret::history(ctx, args)?.into(),
        Command::RemoveSecret(args) => secret::remove(ctx, args)?.into(),
        Command::Member(cmd) => member::run(ctx, cmd)?.into(),
        Command::Join(args) => join::join(ctx, args)?.into(),
        Command::Role(cmd) => role::role(ctx, cmd)?.into(),
        Command::Rotation(cmd) => waive::run(ctx, cmd)?.into(),
        Command::Roster(args) => member::roster(ctx, args)?.into(),
        Command::Rekey(args) => member::rekey(ctx, args)?.into(),
        Command::Export(args) => export::export(ctx, &args)?.into(),
        Command::Run(args) => export::run(ctx, args)?,
        Command::Sign(args) => sign::run(ctx, args)?.into(),
        Command::Import(args) => import::run(ctx, &args)?.into(),
        Command::Git(cmd) => git::run(ctx, cmd)?,
        Command::Audit(args) => audit::run(ctx, args)?,
        Command::Trust(args) => trust::run(ctx, args)?.into(),
        Command::Status(args) => status::run(ctx, args)?,
        Command::Verify(args) => verify::run(ctx, args)?,
        Command::Policy(args) => policy::run(ctx, args)?.into(),
        Command::Completions(args) => docs::completions(args)?.into(),
        Command::Man(args) => docs::man(args)?.into(),
    })
}

/// Tells what a write changed and, inside a git work tree, that the vault is not committed.
pub fn done(ctx: &Context, message: &str) {
    output::note(message);
    if let Ok(path) = ctx.vault_path() {
        if let Some(note) = crate::gitnote::uncommitted(&path) {
            output::note(&note);
        }
    }
}

/// Prints a prompt on standard error and reads one line of answer, trimmed.
pub fn ask(prompt: &str) -> Result<String> {
    use std::io::{BufRead, Write};
    eprint!("{prompt}");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Error::stdin("cannot read the answer", e))?;
    Ok(answer.trim().to_string())
}

/// Asks before something that cannot be undone with mpvault; `--yes` answers for scripts.
pub fn confirm(question: &str, yes: bool) -> Result<()> {
    confirm_with(question, yes, "--yes")
}

/// `confirm`, where `flag` is the option that answers yes (named when there is no terminal).
pub fn confirm_with(question: &str, yes: bool, flag: &str) -> Result<()> {
    use std::io::IsTerminal;
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::invalid(
            // Quoted as asked, so every caller's question reads as one sentence.
            format!("\"{question}?\" needs a yes, and standard input is not a terminal to ask on"),
            format!("pass {flag} to confirm"),
        ));
    }
    let answer = ask(&format!("{question}? [y/N] "))?;
    if matches!(answer.to_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        Err(Error::invalid(
            "nothing was changed: the answer was not yes",
            format!("answer y to go ahead, or pass {flag}"),
        ))
    }
}

/// The current time, UTC, to the second (RFC 3339).
pub fn now() -> crate::date::Timestamp {
    crate::date::Timestamp::now()
}

/// Handles and app names share one rule.
pub use crate::vault::model::check_name;
