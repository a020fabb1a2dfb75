//! One module per command group. Each parses what the CLI gave it, validates, then acts.

mod agent;
mod app;
mod audit;
mod config;
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

pub use outcome::Outcome;

use std::cell::OnceCell;
use std::path::PathBuf;

use crate::cli::{Cli, Command};
use crate::error::{Error, Result};
use crate::key::Identity;
use crate::trust::Memory;
use crate::vault::policy::signed_bytes as signed_policy;
use crate::vault::{Keyring, Scope, Vault};
use crate::{output, store};

/// What every command may need: where the vault is and who is acting.
pub struct Context {
    vault: Option<PathBuf>,
    identity_flag: Option<PathBuf>,
    /// Resolved once per command, so a protected identity asks for its passphrase once.
    identity: OnceCell<Identity>,
}

impl Context {
    pub fn vault_path(&self) -> Result<PathBuf> {
        let cwd =
            std::env::current_dir().map_err(|e| Error::io("cannot read the current folder", e))?;
        store::locate(self.vault.as_deref(), &cwd)
    }

    pub fn identity(&self) -> Result<&Identity> {
        if let Some(identity) = self.identity.get() {
            return Ok(identity);
        }
        let identity = crate::identity::resolve(self.identity_flag.as_deref())?;
        Ok(self.identity.get_or_init(|| identity))
    }

    /// Reads the vault, with the values of the apps `scope` reaches, and checks it against
    /// what this clone trusts of it in its repository, telling the user what they should know
    /// and remembering what is new (of the apps read: what it remembers of others is kept).
    fn load(&self, scope: &Scope) -> Result<Vault> {
        let path = self.vault_path()?;
        let location = crate::trust::location(&path);
        let mut memory = Memory::load_for(scope)?;
        let env = crate::trust::trusted_owners_from_env();
        // A clone's first read pins the vault and remembers every secret in it, so it reads
        // the whole file whatever it was asked for: a rollback of another app before that app
        // is first read here must still be caught. CI: pinned owners but no memory here; git
        // history is the memory it has, and the file is judged against it whole.
        let first = memory.vaults(&location).next().is_none();
        let ci = env.is_some() && first;
        let vault = store::load(&path, if first { &Scope::All } else { scope })?;
        remind_driver(&path);
        if ci {
            git::history_for_ci(&path, &vault)?;
        }
        let forgotten = memory
            .recall(&location, &vault.vault_id)
            .and_then(|seen| crate::trust::forget_unheld(seen, &vault, &path, false));
        if let Some((seen, note)) = forgotten {
            output::note(&note);
            memory.remember(&location, seen)?;
        }
        let mut verdict = crate::trust::assess(
            &vault,
            memory.recall(&location, &vault.vault_id),
            env.as_deref(),
            &now(),
        )?;
        tell(&verdict.notes);
        if let Some(seen) = verdict.remember.take() {
            memory.remember(&location, seen)?;
        }
        Ok(vault)
    }

    /// Reads the vault, with the values of the apps `scope` reaches, and opens it with the
    /// user's identity.
    pub fn read<T>(
        &self,
        scope: &Scope,
        act: impl FnOnce(&Vault, &mut Keyring) -> Result<T>,
    ) -> Result<T> {
        let vault = self.load(scope)?;
        let mut keyring = Keyring::open_to_read(&vault, self.identity()?)?;
        act(&vault, &mut keyring)
    }

    /// Reads the vault; opens it with the user's identity when there is one and it is a member,
    /// so that what anyone can see is still shown without a key.
    pub fn read_optional<T>(
        &self,
        scope: &Scope,
        act: impl FnOnce(&Vault, Option<Keyring>) -> Result<T>,
    ) -> Result<T> {
        self.read_optional_with(scope, true, act)
    }

    /// `read_optional` for commands that show who and what (`app list`, `status`): never asks
    /// for a passphrase. A protected identity that neither this process nor the agent has
    /// unlocked gives no keyring, so what needs a key is left out rather than asked for.
    pub fn read_without_asking<T>(
        &self,
        scope: &Scope,
        act: impl FnOnce(&Vault, Option<Keyring>) -> Result<T>,
    ) -> Result<T> {
        self.read_optional_with(scope, false, act)
    }

    fn read_optional_with<T>(
        &self,
        scope: &Scope,
        may_ask: bool,
        act: impl FnOnce(&Vault, Option<Keyring>) -> Result<T>,
    ) -> Result<T> {
        let vault = self.load(scope)?;
        let identity = match self.identity() {
            Ok(identity) => Some(identity),
            // No identity anywhere is fine here; one that was named but cannot be used is not.
            Err(Error::NotFound { .. })
                if !crate::identity::named(self.identity_flag.as_deref()) =>
            {
                None
            }
            Err(e) => return Err(e),
        };
        let keyring = identity
            .filter(|i| may_ask || i.opens_without_asking())
            .and_then(|i| Keyring::open_to_read(&vault, i).ok());
        act(&vault, keyring)
    }

    /// Locks the vault, checks it, applies a change as the user and writes it back atomically.
    /// A change to the policy is signed by the acting owner at a new revision.
    pub fn write<T>(&self, act: impl FnOnce(&mut Vault, &mut Keyring) -> Result<T>) -> Result<T> {
        self.write_after(
            Check::AfterRefusal(|_: &Vault, _: &mut Keyring| Ok(())),
            |v, k, ()| act(v, k),
        )
    }

    /// `write` in one pass, with `check` run on the locked vault first, before a read-only
    /// vault is refused, so what it names (a damaged value, a level out of reach) is named
    /// first, as a separate read before the write would have named it.
    pub fn check_then_write<C, T>(
        &self,
        check: impl FnOnce(&Vault, &mut Keyring) -> Result<C>,
        act: impl FnOnce(&mut Vault, &mut Keyring, C) -> Result<T>,
    ) -> Result<T> {
        self.write_after(Check::First(check), act)
    }

    fn write_after<C, T, F: FnOnce(&Vault, &mut Keyring) -> Result<C>>(
        &self,
        check: Check<F>,
        act: impl FnOnce(&mut Vault, &mut Keyring, C) -> Result<T>,
    ) -> Result<T> {
        let path = self.vault_path()?;
        let identity = self.identity()?;
        identity.require_writer()?;
        let location = crate::trust::location(&path);
        let mut memory = Memory::load()?;
        let env = crate::trust::trusted_owners_from_env();
        let mut notes = Vec::new();
        remind_driver(&path);
        let mut accepted = None;
        let outcome = store::update(&path, |vault| {
            let forgotten = memory
                .recall(&location, &vault.vault_id)
                .and_then(|seen| crate::trust::forget_unheld(seen, vault, &path, true))
                .map(|(seen, note)| {
                    notes.push(note);
                    seen
                });
            // What no ref holds stays forgotten, even when the write fails.
            accepted.clone_from(&forgotten);
            let seen = forgotten
                .as_ref()
                .or(memory.recall(&location, &vault.vault_id));
            let mut verdict = crate::trust::assess(vault, seen, env.as_deref(), &now())?;
            notes.append(&mut verdict.notes);
            let guard = verdict.guard(seen);
            if let Some(newer) = verdict.remember.take() {
                accepted = Some(newer);
            }
            let (mut keyring, checked) = match check {
                Check::First(check) => {
                    let mut keyring = Keyring::open(vault, identity, guard)?;
                    let checked = check(vault, &mut keyring)?;
                    verdict.require_writable()?;
                    (keyring, checked)
                }
                Check::AfterRefusal(check) => {
                    verdict.require_writable()?;
                    let mut keyring = Keyring::open(vault, identity, guard)?;
                    let checked = check(vault, &mut keyring)?;
                    (keyring, checked)
                }
            };
            keyring.require_not_service(vault)?;
            // The policy is compared by its signed bytes, serialized from the vault, never
            // built or cloned (hashing them instead would cost more time than it saves memory).
            let before = verdict
                .signed_policy
                .take()
                .unwrap_or_else(|| signed_policy(vault));
            let result = act(vault, &mut keyring, checked)?;
            // Format 3 reads as format 4 does; what this build writes is format 4.
            vault.format = vault.format_to_write();
            if keyring.is_owner(vault) {
                crate::trust::record_floors(vault, keyring.guard());
            }
            if signed_policy(vault) != before {
                let highest = seen.map_or(0, |s| s.revision);
                crate::trust::sign_change(vault, &keyring, identity, highest)?;
            }
            // What to remember once the file is written: computed here, so the vault written
            // is not cloned out of the update.
            let seen = crate::trust::after_write(seen, vault, &now());
            Ok((result, seen))
        });
        tell(&notes);
        let (result, seen) = match outcome {
            Ok(done) => done,
            Err(e) => {
                // What this clone accepted stays accepted, even when the change was refused.
                if let Some(seen) = accepted {
                    memory.remember(&location, seen)?;
                }
                return Err(e);
            }
        };
        memory.remember(&location, seen)?;
        Ok(result)
    }
}

/// When a write's check runs: before a read-only vault is refused, or after.
enum Check<F> {
    First(F),
    AfterRefusal(F),
}

/// A clone whose `.gitattributes` names mpvault's merge driver but whose git config lacks it
/// would let git merge the vault line by line.
fn remind_driver(path: &std::path::Path) {
    if crate::git::driver_missing(path) {
        output::note("note: .gitattributes asks for mpvault's merge driver, which this clone does not have; run `mpvault git setup` before merging.");
    }
}

fn tell(notes: &[String]) {
    for note in notes {
        output::note(note);
    }
}

/// Runs a parsed command line; returns how it went, for the exit status.
pub fn run(cli: Cli) -> Result<Outcome> {
    let vault = cli.vault.first().cloned();
    dispatch(cli).map_err(|e| after_merge(vault.as_deref(), e))
}

/// A damaged vault in the middle of a merge, or with conflict markers, gets advice that works
/// there (`git checkout -- mpvault.json` does not while the file is unmerged).
fn after_merge(vault: Option<&std::path::Path>, error: Error) -> Error {
    let Error::Corrupt { what, hint } = error else {
        return error;
    };
    let path = std::env::current_dir()
        .ok()
        .and_then(|cwd| store::locate(vault, &cwd).ok());
    let Some(path) = path else {
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

fn dispatch(cli: Cli) -> Result<Outcome> {
    if let Some(vaults) = many::span(&cli.vault, &cli.command)? {
        return many::run(vaults, cli.identity.as_ref(), &cli.command);
    }
    let ctx = Context {
        vault: cli.vault.into_iter().next(),
        identity_flag: cli.identity,
        identity: OnceCell::new(),
    };
    Ok(match cli.command {
        Command::Identity(cmd) => identity::run(&ctx, &cmd)?.into(),
        Command::Unlock(args) => agent::unlock(&ctx, &args)?.into(),
        Command::Lock => agent::lock()?.into(),
        Command::Agent(cmd) => agent::serve(&cmd)?.into(),
        Command::Init(args) => init::run(&ctx, args)?.into(),
        Command::App(cmd) => app::run(&ctx, cmd)?.into(),
        Command::Config(cmd) => config::run(&ctx, cmd)?.into(),
        Command::AddSecret(args) => secret::add(&ctx, args)?.into(),
        Command::RotateSecret(args) => secret::rotate(&ctx, args)?.into(),
        Command::Get(args) => secret::get(&ctx, args)?.into(),
        Command::History(args) => secret::history(&ctx, args)?.into(),
        Command::RemoveSecret(args) => secret::remove(&ctx, args)?.into(),
        Command::Member(cmd) => member::run(&ctx, cmd)?.into(),
        Command::Join(args) => join::join(&ctx, args)?.into(),
        Command::Role(cmd) => role::role(&ctx, cmd)?.into(),
        Command::Rotation(cmd) => waive::run(&ctx, cmd)?.into(),
        Command::Roster(args) => member::roster(&ctx, args)?.into(),
        Command::Rekey(args) => member::rekey(&ctx, args)?.into(),
        Command::Export(args) => export::export(&ctx, &args)?.into(),
        Command::Run(args) => export::run(&ctx, args)?,
        Command::Sign(args) => sign::run(&ctx, args)?.into(),
        Command::Import(args) => import::run(&ctx, &args)?.into(),
        Command::Git(cmd) => git::run(&ctx, cmd)?,
        Command::Audit(args) => audit::run(&ctx, args)?,
        Command::Trust(args) => trust::run(&ctx, args)?.into(),
        Command::Status(args) => status::run(&ctx, args)?,
        Command::Verify(args) => verify::run(&ctx, args)?,
        Command::Policy(args) => policy::run(&ctx, args)?.into(),
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
pub fn now() -> String {
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .expect("0 is a valid nanosecond");
    now.format(&time::format_description::well_known::Rfc3339)
        .expect("RFC 3339 formats every UTC time")
}

/// Handles and app names share one rule.
pub use crate::vault::model::check_name;

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
