//! The mpvault binary: parse the command line, run it, report errors with their hint.

use std::process::ExitCode;

use std::error::Error as _;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};
use mpvault::cli::Cli;
use mpvault::error::{exit, Error};

fn main() -> ExitCode {
    // Before anything is parsed or read: no secret this process holds may reach a core file.
    mpvault::hygiene::no_core_dumps();
    // The shell hook from `mpvault completions` calls back with MPVAULT_COMPLETE set.
    clap_complete::CompleteEnv::with_factory(Cli::command)
        .var(mpvault::complete::ENV)
        .complete();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            let e = mpvault::cli::safe_suggestions(e);
            if !e.use_stderr() {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            // A value parser (an AppID, a role, a date…) failed with mpvault's own error:
            // its sentence and hint, reported like every other error.
            if let Some(error) = e.source().and_then(|s| s.downcast_ref::<Error>()) {
                return fail(error);
            }
            // clap quotes the argument it did not expect; for commands that take secrets
            // that argument may be one, so say what to do without repeating it.
            match (mpvault::redact::secret_command(&args), e.kind()) {
                (
                    Some(command),
                    ErrorKind::UnknownArgument
                    | ErrorKind::InvalidValue
                    | ErrorKind::InvalidSubcommand
                    | ErrorKind::NoEquals
                    | ErrorKind::ValueValidation
                    | ErrorKind::TooManyValues
                    | ErrorKind::TooFewValues
                    | ErrorKind::WrongNumberOfValues
                    | ErrorKind::ArgumentConflict
                    | ErrorKind::InvalidUtf8
                    | ErrorKind::Format,
                ) => eprintln!("{}", mpvault::redact::usage_error(command)),
                _ => {
                    let _ = e.print();
                }
            }
            return code(exit::USAGE);
        }
    };
    match mpvault::commands::run(cli) {
        Ok(outcome) => code(outcome.exit_code()),
        Err(e) => fail(&e),
    }
}

fn fail(error: &Error) -> ExitCode {
    if !matches!(error, Error::BrokenPipe) {
        report(error);
    }
    code(error.exit_code())
}

fn code(code: i32) -> ExitCode {
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// One line: what is wrong, then what to do.
fn report(error: &Error) {
    // One line, whatever the file or the arguments put into it.
    eprintln!("mpvault: {}.", mpvault::display::escape(&error.sentence()));
}
