//! The mpvault binary: parse the command line, run it, report errors with their hint.

use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use mpvault::cli::Cli;
use mpvault::error::{exit, Error};

fn main() -> ExitCode {
    // The shell hook from `mpvault completions` calls back with MPVAULT_COMPLETE set.
    clap_complete::CompleteEnv::with_factory(Cli::command)
        .var(mpvault::complete::ENV)
        .complete();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { exit::USAGE } else { 0 };
            let _ = e.print();
            return ExitCode::from(code as u8);
        }
    };
    let code = match mpvault::commands::run(cli) {
        Ok(code) => code,
        Err(Error::BrokenPipe) => 0,
        Err(e) => {
            report(&e);
            e.exit_code()
        }
    };
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// One line: what is wrong, then what to do.
fn report(error: &Error) {
    let what = error.to_string();
    let what = what.trim_end_matches('.');
    match error.hint() {
        Some(hint) => eprintln!("mpvault: {what}; {hint}."),
        None => eprintln!("mpvault: {what}."),
    }
}
