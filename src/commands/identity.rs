//! `identity new` and `identity show`.

use super::{now, Context};
use crate::cli::{IdentityCommand, IdentityNewArgs};
use crate::error::Result;
use crate::{identity, output};

pub fn run(ctx: &Context, cmd: &IdentityCommand) -> Result<()> {
    match cmd {
        &IdentityCommand::New(IdentityNewArgs { force, passphrase }) => {
            let path = match &ctx.identity_flag {
                Some(path) => path.clone(),
                None => identity::default_path()?,
            };
            let public = identity::generate(&path, force, passphrase, &now())?;
            output::note(&format!(
                "Wrote a new identity to {} (keep it private; back it up).",
                path.display()
            ));
            output::note("Send this public line to a vault owner:");
            output::line(&public)?;
        }
        IdentityCommand::Show => {
            let line = identity::show(ctx.identity_flag.as_deref())?;
            if let Some(signing) = line.split_whitespace().nth(1) {
                output::note(&format!(
                    "signing key fingerprint: {}",
                    crate::key::fingerprint(signing)
                ));
            }
            if let Some(note) =
                super::agent::status_note(identity::is_protected(ctx.identity_flag.as_deref()))
            {
                output::note(&note);
            }
            output::line(&line)?;
        }
    }
    Ok(())
}
