//! `status` and `app list` across several vaults (`--vault A --vault B`, or `MPVAULT_VAULTS`):
//! read-only views of per-client vaults, each labelled. A vault that cannot be read is named
//! and the others are still shown; the exit status is the worst of them. Every other command
//! works on exactly one vault.

use std::path::PathBuf;

use serde_json::json;

use super::{app, status, Context, Outcome};
use crate::cli::{AppCommand, Command};
use crate::error::{Error, Result};
use crate::health::Severity;
use crate::output;

/// The vaults a command reads: `Some` when it spans several (the views), `None` for one.
/// Several vaults for any other command are refused.
pub fn span(vaults: &[PathBuf], command: &Command) -> Result<Option<Vec<PathBuf>>> {
    let view = matches!(
        command,
        Command::Status(_) | Command::App(AppCommand::List(_))
    );
    if !view {
        if vaults.len() > 1 {
            return Err(Error::invalid(
                format!(
                    "{} vaults were given, and only `status` and `app list` read several",
                    vaults.len()
                ),
                "name the one vault to work on with a single --vault",
            ));
        }
        return Ok(None);
    }
    let vaults = match vaults {
        [] => from_env(),
        [_] => return Ok(None),
        several => several.to_vec(),
    };
    if vaults.is_empty() {
        return Ok(None);
    }
    if let Command::Status(args) = command {
        if args.app.is_some() {
            return Err(Error::invalid(
                "`status APP` shows one app of one vault, and several vaults were given",
                "leave APP out to see every vault, or name its vault with a single --vault",
            ));
        }
    }
    Ok(Some(vaults))
}

/// `MPVAULT_VAULTS`: paths separated by colons or newlines.
fn from_env() -> Vec<PathBuf> {
    std::env::var_os("MPVAULT_VAULTS")
        .map(|v| {
            v.to_string_lossy()
                .split([':', '\n'])
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(PathBuf::from)
                .collect()
        })
        .unwrap_or_default()
}

/// Runs the view on each vault in turn.
pub fn run(vaults: Vec<PathBuf>, identity: Option<&PathBuf>, command: &Command) -> Result<Outcome> {
    let mut worst = Worst::default();
    let mut documents = Vec::new();
    for path in vaults {
        let label = crate::display::escape(&path.to_string_lossy()).into_owned();
        let ctx = Context::new(Some(path), identity.cloned());
        let json = wants_json(command);
        if !json {
            output::line(&heading(command, &label))?;
        }
        let result = match command {
            Command::Status(args) => status::report(&ctx, args.clone()).map(|(state, doc)| {
                worst.health(state);
                doc
            }),
            Command::App(AppCommand::List(args)) => app::list_report(&ctx, args.clone()),
            _ => unreachable!("span admits only the views"),
        };
        match result {
            Ok(doc) => documents.push(json!({ "vault": label, "report": doc })),
            Err(e) => {
                let said = sentence(&e);
                output::note(&format!("mpvault: {label}: {said}"));
                if !json {
                    output::line(&format!("cannot be read: {said}\n"))?;
                }
                worst.error(e.exit_code());
                documents.push(json!({ "vault": label, "error": said, "exit": e.exit_code() }));
            }
        }
    }
    if wants_json(command) {
        output::json(&json!({ "vaults": documents, "exit": worst.code() }))?;
    }
    Ok(Outcome::Worst(worst.code()))
}

/// Each vault's label: a markdown heading when the report is markdown (it goes to chat).
fn heading(command: &Command, label: &str) -> String {
    match command {
        Command::Status(args) if args.format == Some(crate::cli::ReportFormat::Markdown) => {
            format!("# {label}\n")
        }
        _ => format!("== {label} =="),
    }
}

fn wants_json(command: &Command) -> bool {
    match command {
        Command::Status(args) => args.json || args.format == Some(crate::cli::ReportFormat::Json),
        Command::App(AppCommand::List(args)) => args.json,
        _ => false,
    }
}

/// An error as `main` reports it: what is wrong, then what to do.
fn sentence(error: &Error) -> String {
    format!("{}.", crate::display::escape(&error.sentence()))
}

/// The worst outcome so far: a vault that cannot be read outranks every health state, since
/// nothing in it was judged.
#[derive(Default)]
struct Worst {
    health: Option<Severity>,
    error: Option<i32>,
}

impl Worst {
    fn health(&mut self, state: Severity) {
        self.health = self.health.max(Some(state));
    }
    fn error(&mut self, code: i32) {
        self.error = self.error.max(Some(code));
    }
    fn code(&self) -> i32 {
        self.error
            .unwrap_or_else(|| self.health.map_or(0, Severity::exit_code))
    }
}
