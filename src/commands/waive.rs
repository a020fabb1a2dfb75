//! `rotation waive`: an owner accepts, in a signed waiver, not to reset secrets that are due.

use super::{done, now, Context};
use crate::cli::{RotationCommand, RotationWaiveArgs};
use crate::error::{Error, Result};
use crate::vault::offboarding;

pub fn run(ctx: &Context, cmd: RotationCommand) -> Result<()> {
    match cmd {
        RotationCommand::Waive(args) => waive(ctx, args),
    }
}

fn waive(ctx: &Context, RotationWaiveArgs { app, name, reason }: RotationWaiveArgs) -> Result<()> {
    offboarding::check_reason(&reason)?;
    let waived = ctx.write(|vault, keyring| {
        keyring.require_owner(vault, "waive rotations")?;
        if let Some(name) = &name {
            vault.app(&app)?.secret(&app, name)?;
        } else {
            vault.app(&app)?;
        }
        let waived = offboarding::waive(
            vault,
            &app,
            name.as_deref(),
            &reason,
            &keyring.actor,
            &now(),
        );
        if waived.is_empty() {
            let what = match &name {
                Some(name) => format!("{name} of '{app}' is not due for rotation"),
                None => format!("nothing of '{app}' is due for rotation"),
            };
            return Err(Error::invalid(
                format!("{what}, so there is nothing to waive"),
                format!("`mpvault status {app}` lists what is due"),
            ));
        }
        Ok(waived)
    })?;
    done(
        ctx,
        &format!(
            "Waived the rotation of {} of '{app}' in a signed waiver; `mpvault status` lists it as waived, not due. A later departure makes it due again.",
            waived.join(", ")
        ),
    );
    Ok(())
}
