//! `Context`: what one command knows of where it runs (the vault it found, the identity it
//! acts as), and the one way a command reads or writes that vault.
//!
//! Parse, then decide, then act: a command locates its vault once, and each read or write
//! of it is judged by `trust` once, before any value is opened. A write runs in one pass over
//! the locked file: the store parses it, trust and the command's own check validate it, then
//! the change is made and sealed (format, floors, owner's signature) for the store to write.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::path::{Path, PathBuf};

use super::git;
use super::now;
use crate::error::{Error, Result};
use crate::key::Identity;
use crate::output;
use crate::store;
use crate::trust::{Memory, Seen, Verdict};
use crate::vault::guard::Guard;
use crate::vault::policy::signed_bytes as signed_policy;
use crate::vault::{Keyring, Scope, Vault};

/// What every command may need: where the vault is and who is acting.
pub struct Context {
    pub(super) vault_flag: Option<PathBuf>,
    pub(super) identity_flag: Option<PathBuf>,
    /// Located once per command, on first use.
    path: OnceCell<PathBuf>,
    /// Resolved once per command, so a protected identity asks for its passphrase once.
    identity: OnceCell<Identity>,
}

impl Context {
    pub fn new(vault_flag: Option<PathBuf>, identity_flag: Option<PathBuf>) -> Self {
        Context {
            vault_flag,
            identity_flag,
            path: OnceCell::new(),
            identity: OnceCell::new(),
        }
    }

    /// The vault this command works on (`--vault`, or the nearest `mpvault.json`).
    pub fn vault_path(&self) -> Result<PathBuf> {
        self.path().map(Path::to_path_buf)
    }

    /// The vault's path, located on the first call and remembered for the rest of the command.
    fn path(&self) -> Result<&Path> {
        if let Some(path) = self.path.get() {
            return Ok(path);
        }
        let cwd =
            std::env::current_dir().map_err(|e| Error::io("cannot read the current folder", e))?;
        let path = store::locate(self.vault_flag.as_deref(), &cwd)?;
        Ok(self.path.get_or_init(|| path))
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
        let path = self.path()?;
        let mut trust = Trust::recall(path, scope)?;
        // A clone's first read pins the vault and remembers every secret in it, so it reads
        // the whole file whatever it was asked for: a rollback of another app before that app
        // is first read here must still be caught.
        let vault = store::load(path, if trust.first { &Scope::All } else { scope })?;
        remind_driver(path);
        trust.check_history(path, &vault)?;
        if let Some((seen, note)) = trust.forgotten(path, &vault, false) {
            output::note(&note);
            trust.memory.remember(&trust.location, seen)?;
        }
        let seen = trust.memory.recall(&trust.location, &vault.vault_id);
        let mut verdict = crate::trust::assess(&vault, seen, trust.env.as_deref(), &now())?;
        tell(&verdict.notes);
        if let Some(seen) = verdict.remember.take() {
            trust.memory.remember(&trust.location, seen)?;
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
    /// first, as a separate read before the write would have named it. It stands for that
    /// read, so the vault is judged as a read judges it (in CI, against its git history too).
    pub fn check_then_write<C, T>(
        &self,
        check: impl FnOnce(&Vault, &mut Keyring) -> Result<C>,
        act: impl FnOnce(&mut Vault, &mut Keyring, C) -> Result<T>,
    ) -> Result<T> {
        self.write_after(Check::First(check), act)
    }

    /// One write: the store parses the locked file, trust and `check` validate it, `act`
    /// changes it and `seal` makes it a vault this build writes; then the memory follows.
    fn write_after<C, T, F: FnOnce(&Vault, &mut Keyring) -> Result<C>>(
        &self,
        check: Check<F>,
        act: impl FnOnce(&mut Vault, &mut Keyring, C) -> Result<T>,
    ) -> Result<T> {
        let path = self.path()?;
        let identity = self.identity()?;
        identity.require_writer()?;
        let mut trust = Trust::recall(path, &Scope::All)?;
        let reads_first = matches!(check, Check::First(_));
        let mut learned = Learned::default();
        remind_driver(path);
        let outcome = store::update(path, |vault| {
            if reads_first {
                trust.check_history(path, vault)?;
            }
            let Judged {
                seen,
                mut verdict,
                guard,
            } = trust.judge(path, vault, &mut learned)?;
            let (mut keyring, checked) = check.run(vault, identity, guard, &mut verdict)?;
            keyring.require_not_service(vault)?;
            let before = signed_before(&mut verdict, vault);
            let result = act(vault, &mut keyring, checked)?;
            let seen = seal(vault, &keyring, identity, seen.as_deref(), &before)?;
            Ok((result, seen))
        });
        tell(&learned.notes);
        match outcome {
            Ok((result, seen)) => {
                trust.memory.remember(&trust.location, seen)?;
                Ok(result)
            }
            Err(e) => {
                // What this clone accepted stays accepted, even when the change was refused.
                if let Some(seen) = learned.accepted {
                    trust.memory.remember(&trust.location, seen)?;
                }
                Err(e)
            }
        }
    }
}

/// This clone's memory of the vault at `path`, as one read or write judges it.
struct Trust {
    location: String,
    memory: Memory,
    /// Owners pinned by `MPVAULT_TRUSTED_OWNERS`.
    env: Option<Vec<String>>,
    /// This clone remembers no vault in the repository yet.
    first: bool,
}

impl Trust {
    fn recall(path: &Path, scope: &Scope) -> Result<Self> {
        let location = crate::trust::location(path);
        let memory = Memory::load_for(scope)?;
        let first = memory.vaults(&location).next().is_none();
        Ok(Trust {
            location,
            memory,
            env: crate::trust::trusted_owners_from_env(),
            first,
        })
    }

    /// CI: pinned owners but no memory here; git history is the memory it has, and the file
    /// is judged against it whole.
    fn check_history(&self, path: &Path, vault: &Vault) -> Result<()> {
        if self.env.is_some() && self.first {
            git::history_for_ci(path, vault)?;
        }
        Ok(())
    }

    /// What this clone saw only in work no git ref holds any longer, forgotten where it would
    /// refuse `vault` (a write is refused by more than a read).
    fn forgotten(&self, path: &Path, vault: &Vault, for_write: bool) -> Option<(Seen, String)> {
        self.memory
            .recall(&self.location, &vault.vault_id)
            .and_then(|seen| crate::trust::forget_unheld(seen, vault, path, for_write))
    }

    /// Judges the locked vault for a write, keeping in `learned` what the user is told and
    /// what this clone accepts of it even if the write is refused.
    fn judge(&self, path: &Path, vault: &Vault, learned: &mut Learned) -> Result<Judged<'_>> {
        let forgotten = self.forgotten(path, vault, true).map(|(seen, note)| {
            learned.notes.push(note);
            seen
        });
        // What no ref holds stays forgotten, even when the write fails.
        learned.accepted.clone_from(&forgotten);
        let seen = match forgotten {
            Some(seen) => Some(Cow::Owned(seen)),
            None => self
                .memory
                .recall(&self.location, &vault.vault_id)
                .map(Cow::Borrowed),
        };
        let mut verdict =
            crate::trust::assess(vault, seen.as_deref(), self.env.as_deref(), &now())?;
        learned.notes.append(&mut verdict.notes);
        let guard = verdict.guard(seen.as_deref());
        if let Some(newer) = verdict.remember.take() {
            learned.accepted = Some(newer);
        }
        Ok(Judged {
            seen,
            verdict,
            guard,
        })
    }
}

/// What a write learns on its way, told and kept whether or not the change is made.
#[derive(Default)]
struct Learned {
    notes: Vec<String>,
    accepted: Option<Seen>,
}

/// A locked vault as trust judged it for a write.
struct Judged<'m> {
    /// The memory it was judged against.
    seen: Option<Cow<'m, Seen>>,
    verdict: Verdict,
    /// What the keyring must respect.
    guard: Guard,
}

/// The policy's signed bytes before the change, to tell whether the change needs an owner's
/// signature. Compared by bytes serialized from the vault, never built or cloned (hashing them
/// instead would cost more time than it saves memory).
fn signed_before(verdict: &mut Verdict, vault: &Vault) -> Vec<u8> {
    verdict
        .signed_policy
        .take()
        .unwrap_or_else(|| signed_policy(vault))
}

/// When a write's check runs: before a read-only vault is refused, or after.
enum Check<F> {
    First(F),
    AfterRefusal(F),
}

impl<C, F: FnOnce(&Vault, &mut Keyring) -> Result<C>> Check<F> {
    /// Opens the keyring and runs the check, refusing a read-only vault before or after it.
    fn run<'i>(
        self,
        vault: &Vault,
        identity: &'i Identity,
        guard: Guard,
        verdict: &mut Verdict,
    ) -> Result<(Keyring<'i>, C)> {
        match self {
            Check::First(check) => {
                let mut keyring = Keyring::open(vault, identity, guard)?;
                let checked = check(vault, &mut keyring)?;
                verdict.require_writable()?;
                Ok((keyring, checked))
            }
            Check::AfterRefusal(check) => {
                verdict.require_writable()?;
                let mut keyring = Keyring::open(vault, identity, guard)?;
                let checked = check(vault, &mut keyring)?;
                Ok((keyring, checked))
            }
        }
    }
}

/// Makes a changed vault one this build writes, signed where its policy changed, and returns
/// what this clone will remember of it once it is written (computed here, so the vault written
/// is not cloned out of the update).
fn seal(
    vault: &mut Vault,
    keyring: &Keyring,
    identity: &Identity,
    seen: Option<&Seen>,
    before: &[u8],
) -> Result<Seen> {
    // Format 3 reads as format 4 does; what this build writes is format 4.
    vault.format = vault.format_to_write();
    if keyring.is_owner(vault) {
        crate::trust::record_floors(vault, keyring.guard());
    }
    if signed_policy(vault) != before {
        let highest = seen.map_or(0, |s| s.revision);
        crate::trust::sign_change(vault, keyring, identity, highest)?;
    }
    Ok(crate::trust::after_write(seen, vault, &now()))
}

fn tell(notes: &[String]) {
    for note in notes {
        output::note(note);
    }
}

/// A clone whose `.gitattributes` names mpvault's merge driver but whose git config lacks it
/// would let git merge the vault line by line.
fn remind_driver(path: &Path) {
    if crate::git::driver_missing(path) {
        output::note("note: .gitattributes asks for mpvault's merge driver, which this clone does not have; run `mpvault git setup` before merging.");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vault is located once: a command that asks again gets the same file, even if the
    /// folder changed under it, rather than a second look that could find another.
    #[test]
    fn the_vault_is_located_once_per_command() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(store::FILE_NAME);
        std::fs::write(&path, "{}").unwrap();
        let ctx = Context::new(Some(path.clone()), None);
        assert_eq!(ctx.vault_path().unwrap(), path);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(ctx.vault_path().unwrap(), path);
    }

    /// A failed look is not remembered: `init` may create the vault afterwards.
    #[test]
    fn a_vault_not_found_is_looked_for_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(store::FILE_NAME);
        let ctx = Context::new(Some(path.clone()), None);
        assert!(ctx.vault_path().is_err());
        std::fs::write(&path, "{}").unwrap();
        assert_eq!(ctx.vault_path().unwrap(), path);
    }
}
