//! One module per command group. Each parses what the CLI gave it, validates, then acts.

mod app;
mod config;
mod export;
mod identity;
mod init;
mod member;
mod pins;
mod secret;
mod status;

use std::path::PathBuf;

use clap::CommandFactory;

use crate::cli::{Cli, Command};
use crate::error::{Error, Result};
use crate::identity::Identity;
use crate::trust::{self, Pins, Standing};
use crate::vault::policy::Policy;
use crate::vault::{Keyring, Vault};
use crate::{output, store};

/// What every command may need: where the vault is and who is acting.
pub struct Context {
    vault: Option<PathBuf>,
    identity: Option<PathBuf>,
}

impl Context {
    pub fn vault_path(&self) -> Result<PathBuf> {
        let cwd =
            std::env::current_dir().map_err(|e| Error::io("cannot read the current folder", e))?;
        store::locate(self.vault.as_deref(), &cwd)
    }

    pub fn identity(&self) -> Result<Identity> {
        crate::identity::resolve(self.identity.as_deref())
    }

    /// Reads the vault and checks its policy against the owners the user trusts.
    fn load(&self) -> Result<Vault> {
        let vault = store::load(&self.vault_path()?)?;
        if trust::check(&vault, &mut Pins::load()?, &now())? == Standing::Unsigned {
            output::note(UNSIGNED_NOTE);
        }
        Ok(vault)
    }

    /// Reads the vault and opens it with the user's identity.
    pub fn read<T>(&self, act: impl FnOnce(&Vault, &mut Keyring) -> Result<T>) -> Result<T> {
        let vault = self.load()?;
        let identity = self.identity()?;
        let mut keyring = Keyring::open(&vault, &identity)?;
        act(&vault, &mut keyring)
    }

    /// Reads the vault; opens it with the user's identity when there is one and it is a member,
    /// so that what anyone can see is still shown without a key.
    pub fn read_optional<T>(
        &self,
        act: impl FnOnce(&Vault, Option<Keyring>) -> Result<T>,
    ) -> Result<T> {
        let vault = self.load()?;
        let identity = match self.identity() {
            Ok(identity) => Some(identity),
            Err(Error::NotFound { .. }) if self.identity.is_none() => None,
            Err(e) => return Err(e),
        };
        let keyring = identity
            .as_ref()
            .and_then(|i| Keyring::open(&vault, i).ok());
        act(&vault, keyring)
    }

    /// Locks the vault, checks its policy, applies a change as the user and writes it back
    /// atomically. A change to the policy is signed by the acting owner, and re-pinned.
    pub fn write<T>(&self, act: impl FnOnce(&mut Vault, &mut Keyring) -> Result<T>) -> Result<T> {
        let path = self.vault_path()?;
        let identity = self.identity()?;
        let mut pins = Pins::load()?;
        let (result, signed) = store::update(&path, |vault| {
            let standing = trust::check(vault, &mut pins, &now())?;
            let mut keyring = Keyring::open(vault, &identity)?;
            if standing == Standing::Unsigned && !keyring.is_owner(vault) {
                return Err(Error::denied(
                    "this vault's roster has never been signed by an owner, so no new value may be encrypted to it",
                    "ask an owner to run any change (for example `mpvault rekey`), which signs it",
                ));
            }
            let before = Policy::of(vault);
            let result = act(vault, &mut keyring)?;
            if Policy::of(vault) == before && vault.signature.is_some() {
                return Ok((result, None));
            }
            sign_as_owner(vault, &keyring, &identity)?;
            Ok((result, Some(Policy::of(vault))))
        })?;
        if let Some(policy) = signed {
            pins.pin(&policy, &now())?;
        }
        Ok(result)
    }
}

const UNSIGNED_NOTE: &str =
    "note: this vault's roster is not signed yet (format 1); an owner's next change signs it.";

/// Signs the vault's policy with the acting owner's key, upgrading the file to this format.
fn sign_as_owner(vault: &mut Vault, keyring: &Keyring, identity: &Identity) -> Result<()> {
    keyring.require_owner(vault, "change who may read what")?;
    let Some(key) = &identity.signing else {
        return Err(Error::denied(
            "an SSH identity cannot sign the vault's roster",
            "owners use an mpvault identity (`mpvault identity new`)",
        ));
    };
    let public = crate::identity::encode_signing_key(&key.verifying_key());
    let member = vault
        .members
        .get_mut(&keyring.actor)
        .expect("the actor is a member");
    match &member.signing_key {
        Some(recorded) if *recorded != public => {
            return Err(Error::denied(
                format!(
                    "{}'s signing key in the vault is not this identity's",
                    keyring.actor
                ),
                "use the identity you were added with",
            ))
        }
        Some(_) => {}
        // Format-1 owners had no signing key: their first signature records it.
        None => member.signing_key = Some(public),
    }
    vault.format = crate::vault::FORMAT;
    crate::vault::policy::sign(vault, &keyring.actor, key);
    Ok(())
}

/// Runs a parsed command line; returns the process exit code.
pub fn run(cli: Cli) -> Result<i32> {
    let ctx = Context {
        vault: cli.vault,
        identity: cli.identity,
    };
    match cli.command {
        Command::Identity(cmd) => identity::run(&ctx, cmd),
        Command::Init { owner } => init::run(&ctx, owner),
        Command::App(cmd) => app::run(&ctx, cmd),
        Command::Config(cmd) => config::run(&ctx, cmd),
        Command::AddSecret {
            app,
            name,
            access,
            stdin,
        } => secret::add(&ctx, &app, name, access, stdin),
        Command::RotateSecret {
            app,
            name,
            stdin,
            generate,
        } => secret::rotate(&ctx, &app, name, stdin, generate),
        Command::Get {
            app,
            name,
            previous,
        } => secret::get(&ctx, &app, &name, previous.unwrap_or(0)),
        Command::History { app, name, json } => secret::history(&ctx, &app, name.as_deref(), json),
        Command::RemoveSecret { app, name } => secret::remove(&ctx, &app, &name),
        Command::Member(cmd) => member::run(&ctx, cmd),
        Command::Role(cmd) => member::role(&ctx, cmd),
        Command::Roster { app, json } => member::roster(&ctx, &app, json),
        Command::Rekey { app } => member::rekey(&ctx, app.as_deref()),
        Command::Export {
            app,
            upload_key_file: Some(path),
            force,
            ..
        } => export::upload_key(&ctx, &app, path.as_deref(), force),
        Command::Export {
            app,
            select,
            format,
            dialect,
            output,
            upload_key_file: None,
            force,
        } => export::export(
            &ctx,
            &app,
            &select,
            export::format(format, dialect),
            output.as_deref(),
            force,
        ),
        Command::Run {
            app,
            select,
            command,
        } => export::run(&ctx, &app, &select, &command),
        Command::Status { json } => status::run(&ctx, json),
        Command::Trust { repin, json } => pins::run(&ctx, repin, json),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "mpvault", &mut out);
            crate::output::write(&out).map(|()| 0)
        }
        Command::Man => {
            let mut out = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut out)
                .map_err(|e| Error::io("cannot render the man page", e))?;
            crate::output::write(&out).map(|()| 0)
        }
    }
}

/// The current time, UTC, to the second (RFC 3339).
pub fn now() -> String {
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .expect("0 is a valid nanosecond");
    now.format(&time::format_description::well_known::Rfc3339)
        .expect("RFC 3339 formats every UTC time")
}

/// Handles and app names share one rule.
pub fn check_name(kind: &str, name: &str) -> Result<()> {
    if crate::vault::model::is_valid_name(name) {
        return Ok(());
    }
    Err(Error::invalid(
        format!("'{name}' is not a valid {kind} name"),
        "use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit (at most 40)",
    ))
}

/// Names that take over how programs start are never set by a vault (see `envnames`).
pub fn refuse_startup_name(name: &str) -> Result<()> {
    match crate::envnames::takes_over_startup(name) {
        None => Ok(()),
        Some(why) => Err(Error::invalid(
            format!("{name} cannot be stored in a vault, because {why}"),
            "choose another name; a build's own environment sets it, never the vault",
        )),
    }
}

/// Values are bounded on input as files are on load (`vault::limits`).
pub fn check_value_size(name: &str, value: &str) -> Result<()> {
    let max = crate::vault::limits::MAX_VALUE_BYTES;
    if value.len() > max {
        return Err(Error::invalid(
            format!(
                "the value for {name} is {} bytes, more than the {} KiB a vault keeps",
                value.len(),
                max >> 10
            ),
            "keep large files elsewhere; a vault holds keys, secrets and settings",
        ));
    }
    Ok(())
}

/// Environment-variable names for config and secrets.
pub fn check_key(name: &str) -> Result<()> {
    crate::export::validate_name(name).map_err(Error::from)
}
