//! `unlock`, `lock`, and the agent they start and stop (see [`crate::agent`]).

use super::Context;
use crate::cli::{AgentCommand, UnlockArgs};
use crate::error::{Error, Result};
use crate::output;

/// Unlocks the protected identity once, with its passphrase, and hands it to a new agent.
pub fn unlock(ctx: &Context, args: &UnlockArgs) -> Result<()> {
    if !crate::agent::enabled() {
        return Err(Error::invalid(
            format!(
                "{}=off is set, so no command would use the agent",
                crate::agent::ENV
            ),
            format!("unset {} and run `mpvault unlock` again", crate::agent::ENV),
        ));
    }
    let (key, source) = crate::identity::unlock_for_agent(ctx.identity_flag.as_deref())?;
    let until = start(&key, args.duration)?;
    output::note(&format!(
        "Unlocked {source} until {until} (each use extends it by {}); `mpvault lock` forgets it.",
        human(args.duration)
    ));
    Ok(())
}

#[cfg(unix)]
fn start(key: &crate::key::LocalKey, idle: std::time::Duration) -> Result<String> {
    crate::agent::start(&key.secret(), idle)
}

#[cfg(not(unix))]
fn start(_: &crate::key::LocalKey, _: std::time::Duration) -> Result<String> {
    Err(no_agent())
}

#[cfg(not(unix))]
fn no_agent() -> Error {
    Error::invalid(
        "the agent needs a Unix system (Linux or macOS)",
        "on Windows every command asks for the passphrase, or set MPVAULT_PASSPHRASE in a shell you trust",
    )
}

fn human(duration: std::time::Duration) -> String {
    let secs = duration.as_secs();
    match secs {
        s if s % 86400 == 0 => format!("{}d", s / 86400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// Ends the agent, if one is running.
pub fn lock() -> Result<()> {
    #[cfg(unix)]
    let stopped = crate::agent::lock()?;
    #[cfg(not(unix))]
    let stopped = false;
    output::note(if stopped {
        "Locked: the agent has ended and forgotten the key."
    } else {
        "No agent was running; nothing to lock."
    });
    Ok(())
}

/// The hidden `agent serve` that `unlock` runs.
pub fn serve(cmd: &AgentCommand) -> Result<()> {
    match cmd {
        #[cfg(unix)]
        AgentCommand::Serve { idle } => crate::agent::serve(std::time::Duration::from_secs(*idle)),
        #[cfg(not(unix))]
        AgentCommand::Serve { .. } => Err(no_agent()),
    }
}

/// What `identity show` adds about the agent, when there is something to say.
pub fn status_note(protected: bool) -> Option<String> {
    use crate::agent::Status;
    match crate::agent::status() {
        Status::Holds {
            public,
            until,
            locked_in_memory,
        } => Some(format!(
            "agent: unlocked until {until} for {}{}",
            public.split_whitespace().next().unwrap_or_default(),
            if locked_in_memory {
                ""
            } else {
                " (its memory could not be locked against swapping)"
            }
        )),
        Status::NotRunning if protected => Some(
            "agent: locked (`mpvault unlock` keeps the identity unlocked for a session)".into(),
        ),
        Status::Off if protected => Some(format!(
            "agent: off ({}=off); every command asks for the passphrase",
            crate::agent::ENV
        )),
        Status::Refused(why) => Some(format!("agent: not used, because {why}")),
        _ => None,
    }
}
