//! `git merge`: git's merge driver. The merge itself, on structure and with a key (re-seal,
//! renumber, contested values, re-wrap, whose signature stands), is `vault::merge`; this reads
//! the three copies git hands over, checks both sides against this clone's trust, signs as the
//! owner merging when the merged policy needs it, writes the result over OURS, and reports.
//! A conflict leaves OURS untouched. A merged policy that needs an owner's signature is a
//! conflict when the person merging is not an owner: a merge never leaves a vault nobody can
//! use until someone signs.

use std::fmt::Write as _;
use std::path::Path;

use super::cwd;
use crate::cli::GitMergeArgs;
use crate::commands::{now, Context, Outcome};
use crate::error::{Error, Result};
use crate::key::Identity;
use crate::trust::{self, Memory};
use crate::vault::guard::Guard;
use crate::vault::merge::{self, Sides, Signature, Stop};
use crate::vault::policy;
use crate::vault::{Keyring, Vault};
use crate::{output, store};

fn read_vault(path: &Path, side: &str) -> Result<Option<Vault>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io_at("read", path, e))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    Vault::parse(&bytes).map(Some).map_err(|e| {
        Error::corrupt(
            format!("{side} copy of the vault cannot be read: {e}"),
            "fix that side first (`mpvault status` on its branch), then merge again",
        )
    })
}

pub fn run(ctx: &Context, args: &GitMergeArgs) -> Result<Outcome> {
    let name = args.path.as_deref().unwrap_or(store::FILE_NAME);
    let (base_vault, ours_vault, theirs_vault) = read_sides(args)?;
    let identity = merging_identity(ctx)?;
    // Where the vault lives, for this clone's memory of it (git runs drivers at the top).
    let location = match args.path.as_deref() {
        Some(p) => trust::location(&cwd()?.join(p)),
        None => trust::location(&ctx.vault_path()?),
    };
    let mut memory = Memory::load()?;
    let seen = memory.recall(&location, &ours_vault.vault_id).cloned();
    let guard = check_sides(&base_vault, &ours_vault, &theirs_vault, seen.as_ref())?;
    let mut merged = merge::three_way(&base_vault, &ours_vault, &theirs_vault);
    let sides = Sides {
        ours: &ours_vault,
        theirs: &theirs_vault,
    };
    if let Some(stop) = merge::conflicts(&mut merged, &base_vault, &sides, identity, &guard)? {
        return Ok(conflict(name, &stop));
    }
    let mut done = Vec::new();
    if let Some(stop) = merge::bring_up_to_date(&mut merged, &sides, identity, &guard, &mut done)? {
        return Ok(conflict(name, &stop));
    }
    let signed_here = match merge::settle_signature(&mut merged.vault, &sides) {
        Signature::Kept => false,
        Signature::Unsigned => {
            sign(&mut merged.vault, identity, &guard, seen.as_ref())?;
            true
        }
    };
    let json = merged.vault.to_json();
    if let Err(e) = Vault::parse(json.as_bytes()) {
        let invalid = Stop {
            paths: vec![format!("the merged vault would not be valid: {e}")],
            why: None,
            needs_owner: false,
        };
        return Ok(conflict(name, &invalid));
    }
    std::fs::write(&args.ours, &json).map_err(|e| Error::io_at("write", &args.ours, e))?;
    if signed_here {
        let after = trust::after_write(seen.as_ref(), &merged.vault, &now());
        memory.remember(&location, after)?;
    }
    report(name, &done);
    Ok(Outcome::Done)
}

/// The three copies git hands the driver; an empty common ancestor is an empty vault with
/// our id (both branches added the vault).
fn read_sides(args: &GitMergeArgs) -> Result<(Vault, Vault, Vault)> {
    let ours = read_vault(&args.ours, "our")?.ok_or_else(|| {
        Error::invalid(
            "our copy of the vault is empty",
            "check out a vault on this branch first",
        )
    })?;
    let theirs = read_vault(&args.theirs, "their")?.ok_or_else(|| {
        Error::invalid(
            "their copy of the vault is empty",
            "merge a branch that has the vault",
        )
    })?;
    let base = if let Some(b) = read_vault(&args.base, "the common ancestor's")? {
        b
    } else {
        let mut empty = Vault::new(ours.vault_id.clone(), ours.created_at.clone());
        empty.revision = 0;
        empty
    };
    Ok((base, ours, theirs))
}

/// The identity of the person merging. A merge goes on without one (merging what needs no
/// key) only when none is named anywhere: an identity named by `--identity`,
/// `MPVAULT_IDENTITY` or `MPVAULT_IDENTITY_FILE` that cannot be used is an error, never a
/// merge without keys.
fn merging_identity(ctx: &Context) -> Result<Option<&Identity>> {
    match ctx.identity() {
        // Unlocked now, as before identities unlocked lazily: one named that cannot be
        // unlocked (no terminal, no agent) is an error, not a merge without keys.
        Ok(identity) => identity.age().map(|_| Some(identity)),
        Err(Error::NotFound { .. }) if !crate::identity::named(ctx.identity_flag.as_deref()) => {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Tells what the merge did.
fn report(name: &str, done: &[String]) {
    let mut summary = format!("mpvault: merged {name}");
    if !done.is_empty() {
        let _ = write!(summary, " ({})", done.join("; "));
    }
    output::note(&format!("{summary}."));
}

/// Both sides must be vaults this clone trusts here, signed by their owners; the common
/// ancestor must carry a valid owner's signature too, as it decides what each side changed.
fn check_sides(
    base: &Vault,
    ours: &Vault,
    theirs: &Vault,
    seen: Option<&trust::Seen>,
) -> Result<Guard> {
    // Another branch may lack a rotation made here: versions are checked on the merged result.
    let seen = seen.map(|s| trust::Seen {
        secrets: trust::SeenSecrets::default(),
        ..s.clone()
    });
    let env = trust::trusted_owners_from_env();
    let mut guards = Vec::new();
    for (side, vault) in [("our", ours), ("their", theirs)] {
        let mut verdict =
            trust::assess(vault, seen.as_ref(), env.as_deref(), &now()).map_err(|e| {
                Error::corrupt(
                    format!("{side} side of the merge cannot be trusted: {e}"),
                    e.hint().unwrap_or_default(),
                )
            })?;
        verdict.require_writable()?;
        guards.push((vault.revision, verdict.guard(seen.as_ref())));
    }
    // Both sides descend from the ancestor, so each keeps what any change must keep (the same
    // rules `audit` applies to every commit): a side whose policy is older than the
    // ancestor's puts back a roster an owner replaced.
    for (side, vault) in [("our", ours), ("their", theirs)] {
        if let Some(problem) =
            crate::vault::transition::problems(base, vault, "the common ancestor").first()
        {
            return Err(Error::corrupt(
                format!("{side} side of the merge cannot follow the common ancestor: {problem}"),
                "do not merge that branch; `git log -p mpvault.json` on it shows who put the old vault back",
            ));
        }
    }
    if base.revision > 0 && policy::verify(base).is_none() {
        return Err(Error::corrupt(
            "the common ancestor of the two sides is not signed by an owner, so mpvault cannot tell what each side changed",
            "merge by hand: keep one side (`git checkout --ours mpvault.json` or `--theirs`) and redo the other side's change with mpvault",
        ));
    }
    guards.sort_by_key(|(revision, _)| *revision);
    Ok(guards.pop().map(|(_, g)| g).unwrap_or_default())
}

/// Signs the merged policy at the next revision as the owner merging (`merge::conflicts`
/// stops anyone else first).
fn sign(
    vault: &mut Vault,
    identity: Option<&Identity>,
    guard: &Guard,
    seen: Option<&trust::Seen>,
) -> Result<()> {
    let Some(identity) = identity else {
        return Err(Error::denied(
            "the merged policy needs an owner's signature and nobody is merging",
            "`git merge --abort`, and ask an owner to merge these branches",
        ));
    };
    let keyring = Keyring::open(vault, identity, guard.clone())?;
    let seen = seen.map_or(0, |s| s.revision);
    trust::sign_change(vault, &keyring, identity, seen)
}

/// Reports a conflict: OURS stays as it was, and git marks the file as conflicted. When the
/// merge needs an owner, the way out is theirs, not redoing a change only an owner can make.
fn conflict(name: &str, stop: &Stop) -> Outcome {
    let mut text = format!("mpvault: cannot merge {name}");
    if let Some(why) = stop.why {
        let _ = write!(text, " ({why})");
    }
    text.push_str("; these conflict:");
    for p in &stop.paths {
        let _ = write!(text, "\n  {p}");
    }
    let _ = write!(
        text,
        "\nYour side of {name} is left as it was, without conflict markers, and works as before."
    );
    let _ = if stop.needs_owner {
        write!(
            text,
            " `git merge --abort`, and ask an owner to merge these branches; they combine and sign them."
        )
    } else {
        write!(
            text,
            " Keep one side (`git checkout --ours {name}` or `git checkout --theirs {name}`), redo the other side's change with mpvault, then `git add {name}`; or `git merge --abort`."
        )
    };
    output::note(&text);
    Outcome::Conflict
}
