//! `git merge`: git's merge driver. The three-way merge on structure is `vault::merge`; this
//! checks both sides against this clone's trust, re-seals and renumbers as the person merging,
//! re-wraps and signs when they are an owner, and reports conflicts without touching OURS. A
//! merged policy that needs an owner's signature is a conflict when the person merging is not
//! an owner: a merge never leaves a vault nobody can use until someone signs.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use super::cwd;
use crate::cli::GitMergeArgs;
use crate::commands::{now, Context, Outcome};
use crate::error::{Error, Result};
use crate::key::Identity;
use crate::trust::{self, Memory};
use crate::vault::keyring::Guard;
use crate::vault::merge::{self, Merged, Side};
use crate::vault::policy::{self, Policy};
use crate::vault::{access, Field, Keyring, Vault};
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
    // Every conflict at once: what cannot be combined, values set differently on both sides,
    // and a policy only an owner can sign when the person merging is not one.
    let mut conflicts = std::mem::take(&mut merged.conflicts);
    conflicts.extend(settle_contested(&mut merged, &sides, identity, &guard)?);
    let needs_owner = merging_owner(&merged.vault, identity).is_none()
        && !policy_of_a_side(&merged.vault, &sides);
    if needs_owner {
        conflicts.push(ask_an_owner(&base_vault, &sides, &merged.vault));
    }
    if !conflicts.is_empty() {
        return Ok(conflict(name, &conflicts, None, needs_owner));
    }
    let mut done = Vec::new();
    if let Some(stop) = bring_up_to_date(&mut merged, &sides, identity, &guard, &mut done)? {
        return Ok(conflict(name, &stop.paths, stop.why, false));
    }
    let status = settle_signature(&mut merged.vault, &sides, identity, &guard, seen.as_ref())?;
    let json = merged.vault.to_json();
    if let Err(e) = Vault::parse(json.as_bytes()) {
        let invalid = [format!("the merged vault would not be valid: {e}")];
        return Ok(conflict(name, &invalid, None, false));
    }
    std::fs::write(&args.ours, &json).map_err(|e| Error::io_at("write", &args.ours, e))?;
    if let Status::SignedHere = status {
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

/// The person merging, when they are an owner who can sign the merged policy.
fn merging_owner(vault: &Vault, identity: Option<&Identity>) -> Option<String> {
    let identity = identity.filter(|i| i.signing.is_some())?;
    member_of(vault, identity).filter(|h| vault.members[h].owner)
}

/// Whether the merged policy is one side's, so that side's signature stands as it is.
fn policy_of_a_side(vault: &Vault, sides: &Sides) -> bool {
    let merged = Policy::of(vault);
    [sides.ours, sides.theirs].into_iter().any(|side| {
        let signed = Policy::of(side);
        Policy {
            revision: signed.revision,
            ..merged.clone()
        } == signed
    })
}

/// The conflict when both sides changed who may read what and the person merging is not an
/// owner: what each side changed, and who can sign the combination.
fn ask_an_owner(base: &Vault, sides: &Sides, merged: &Vault) -> String {
    let before = Policy::of(base);
    let changed = |side: &Vault| {
        let changes = policy::describe_changes(&before, &Policy::of(side));
        let shown = changes
            .iter()
            .take(3)
            .cloned()
            .collect::<Vec<_>>()
            .join("; ");
        match changes.len() {
            0 => "[its policy]".to_string(),
            n if n > 3 => format!("[{shown}; and {} more]", n - 3),
            _ => format!("[{shown}]"),
        }
    };
    let owners: Vec<String> = Policy::of(merged).owners().into_keys().collect();
    format!(
        "who may read what: changed on both sides (ours: {}; theirs: {}), and only an owner can sign the two together; ask an owner ({}) to merge these branches",
        changed(sides.ours),
        changed(sides.theirs),
        owners.join(", ")
    )
}

/// Why a merge stops: the places that conflict, and one reason for all of them if there is one.
struct Stop {
    paths: Vec<String>,
    why: Option<&'static str>,
}

/// Re-seals and renumbers what the merge needs as the person merging; an owner also re-wraps
/// every level to the merged readers. `Some` when that cannot be done here.
fn bring_up_to_date(
    merged: &mut Merged,
    sides: &Sides,
    identity: Option<&Identity>,
    guard: &Guard,
    done: &mut Vec<String>,
) -> Result<Option<Stop>> {
    let owner = merging_owner(&merged.vault, identity).is_some();
    if merged.reseal.is_empty()
        && merged.renumber.is_empty()
        && (!owner || merged.rewrap.is_empty())
    {
        return Ok(None);
    }
    let Some(identity) = identity.filter(|i| member_of(&merged.vault, i).is_some()) else {
        return Ok(Some(Stop {
            paths: pending(merged, sides),
            why: Some("nobody merging: no identity of a member was found"),
        }));
    };
    let unable = reseal(merged, sides, identity, guard, done)?;
    if !unable.is_empty() {
        return Ok(Some(Stop {
            paths: unable,
            why: None,
        }));
    }
    if owner {
        rewrap(merged, identity, guard, done)?;
    }
    Ok(None)
}

/// An owner re-wraps every level to the merged readers; a data key that either side wrapped
/// to someone the merged roster leaves out is replaced.
fn rewrap(
    merged: &mut Merged,
    identity: &Identity,
    guard: &Guard,
    done: &mut Vec<String>,
) -> Result<()> {
    let mut keyring = Keyring::open(&merged.vault, identity, guard.clone())?;
    let apps: Vec<String> = merged.vault.apps.keys().cloned().collect();
    for app in &apps {
        let replace = merged.exposed.iter().any(|((a, level), exposed)| {
            a == app && !exposed.is_subset(&access::readers(&merged.vault, app, *level))
        });
        let replaced = keyring.sync_readers(&mut merged.vault, app, replace)?;
        if !replaced.is_empty() {
            done.push(format!(
                "replaced the data keys of {app} that reached someone the merged roster leaves out"
            ));
        }
    }
    Ok(())
}

/// Tells what the merge did.
fn report(name: &str, done: &[String]) {
    let mut summary = format!("mpvault: merged {name}");
    if !done.is_empty() {
        let _ = write!(summary, " ({})", done.join("; "));
    }
    output::note(&format!("{summary}."));
}

struct Sides<'v> {
    ours: &'v Vault,
    theirs: &'v Vault,
}

impl Sides<'_> {
    fn get(&self, side: Side) -> &Vault {
        match side {
            Side::Ours => self.ours,
            Side::Theirs => self.theirs,
        }
    }
}

fn member_of(vault: &Vault, identity: &Identity) -> Option<String> {
    vault
        .members
        .iter()
        .find(|(_, m)| m.key == identity.public)
        .map(|(h, _)| h.clone())
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

/// Re-seals values sealed under a key the other side replaced, and renumbers rotations, as
/// the person merging. Returns what they could not do, naming who can.
fn reseal(
    merged: &mut Merged,
    sides: &Sides,
    identity: &Identity,
    guard: &Guard,
    done: &mut Vec<String>,
) -> Result<Vec<String>> {
    let mut unable = Vec::new();
    let mut side_keyrings = [
        Keyring::open(sides.ours, identity, guard.clone()).ok(),
        Keyring::open(sides.theirs, identity, guard.clone()).ok(),
    ];
    let mut keyring = Keyring::open(&merged.vault, identity, guard.clone())?;
    let mut count = 0;
    // Renumbering makes the later rotation current at the next number.
    for (app, name) in merged.renumber.clone() {
        let field = Field::Secret(name.clone());
        let secret = &merged.vault.apps[&app].secrets[&name];
        let top = secret
            .versions
            .iter()
            .filter_map(|v| v.version)
            .max()
            .unwrap_or(0);
        let seen = guard.seen(&app, &name).map_or(0, |(v, _)| v);
        let number = top.max(seen) + 1;
        let current = secret.versions[0].clone();
        let from = [Side::Ours, Side::Theirs]
            .into_iter()
            .find(|side| merge::counterpart(sides.get(*side), &app, &field, &current).is_some())
            .unwrap_or(Side::Ours);
        let value = Value {
            app: &app,
            field: &field,
            from,
            version: Some(number),
        };
        match carry(&mut keyring, &mut side_keyrings, sides, &merged.vault, &value, current)? {
            Some(sealed) => {
                merged.reseal.retain(|r| !(r.app == app && r.field == field && r.index == 0));
                place(merged, &app, &field, 0, sealed);
                done.push(format!("{name} of {app}: the later rotation is current as version {number}"));
            }
            None => unable.push(format!(
                "apps/{app}/secrets/{name}: both sides rotated it and the later value must be renumbered by someone who reads its level ({})",
                who_can(merged, sides, &app, secret_level(merged, &app, &name), None)
            )),
        }
    }
    for r in merged.reseal.clone() {
        let app = merged.vault.apps.get(&r.app).expect("merged app");
        let Some(sealed) = value_at(app, &r.field, r.index) else {
            continue;
        };
        let value = Value {
            app: &r.app,
            field: &r.field,
            from: r.from,
            version: None,
        };
        match carry(&mut keyring, &mut side_keyrings, sides, &merged.vault, &value, sealed)? {
            Some(sealed) => {
                place(merged, &r.app, &r.field, r.index, sealed);
                count += 1;
            }
            None => unable.push(format!(
                "apps/{}/{}: sealed under the {} key the other side replaced; re-sealing it takes someone who reads that level on both sides ({})",
                r.app,
                r.field.path(),
                r.level,
                who_can(merged, sides, &r.app, r.level, Some(r.from))
            )),
        }
    }
    if count > 0 {
        done.push(format!(
            "re-sealed {count} value(s) under the merged data keys"
        ));
    }
    Ok(unable)
}

/// Whether `handle` holds the data key of the level `field` of `app` is stored at in `vault`.
fn holds_key(vault: &Vault, app: &str, field: &Field, handle: &str) -> bool {
    vault.apps.get(app).is_some_and(|a| {
        a.data_keys
            .get(&a.level_of(field))
            .is_some_and(|k| k.readers.iter().any(|r| r == handle))
    })
}

/// A value both sides set is no conflict when the person merging reads both and they hold the
/// same text (two people pasting the same new URL): the later one is kept. Returns the paths
/// that still conflict.
fn settle_contested(
    merged: &mut Merged,
    sides: &Sides,
    identity: Option<&Identity>,
    guard: &Guard,
) -> Result<Vec<String>> {
    let contested = std::mem::take(&mut merged.contested);
    let mut unresolved = Vec::new();
    let mut keyrings = identity.map(|i| {
        [
            Keyring::open(sides.ours, i, guard.clone()).ok(),
            Keyring::open(sides.theirs, i, guard.clone()).ok(),
        ]
    });
    for c in contested {
        let differ = format!("{}: changed differently on both sides", c.path());
        let ours = sides
            .ours
            .apps
            .get(&c.app)
            .and_then(|a| value_at(a, &c.field, 0));
        let (Some([Some(ok), Some(tk)]), Some(ours)) = (keyrings.as_mut(), ours) else {
            unresolved.push(differ);
            continue;
        };
        let actor = ok.actor.clone();
        if !holds_key(sides.ours, &c.app, &c.field, &actor)
            || !holds_key(sides.theirs, &c.app, &c.field, &actor)
        {
            unresolved.push(differ);
            continue;
        }
        let same = *ok.open_copy(sides.ours, &c.app, &c.field, &ours)?
            == *tk.open_copy(sides.theirs, &c.app, &c.field, &c.theirs)?;
        if !same {
            unresolved.push(differ);
            continue;
        }
        if c.theirs.set_at > ours.set_at {
            merged
                .reseal
                .retain(|r| !(r.app == c.app && r.field == c.field));
            let level = crate::wechat::Level::Team;
            let commitment = |v: &Vault| {
                v.apps
                    .get(&c.app)
                    .and_then(|a| a.data_keys.get(&level))
                    .and_then(|k| k.commitment.clone())
            };
            if commitment(sides.theirs) != commitment(&merged.vault) {
                merged.reseal.push(merge::Reseal {
                    app: c.app.clone(),
                    level,
                    field: c.field.clone(),
                    index: 0,
                    from: Side::Theirs,
                });
            }
            place(merged, &c.app, &c.field, 0, c.theirs);
        }
    }
    Ok(unresolved)
}

/// A value to carry from one side into the merged vault.
struct Value<'a> {
    app: &'a str,
    field: &'a Field,
    from: Side,
    /// A new version number, when renumbering.
    version: Option<u64>,
}

/// Decrypts a value as the side it came from holds it (checking its writer there) and seals
/// it into the merged vault as the person merging. None when they cannot read it on one side.
fn carry(
    keyring: &mut Keyring,
    side_keyrings: &mut [Option<Keyring>; 2],
    sides: &Sides,
    merged: &Vault,
    value: &Value,
    sealed: crate::vault::Sealed,
) -> Result<Option<crate::vault::Sealed>> {
    let Some(side_keyring) = side_keyrings[value.from as usize].as_mut() else {
        return Ok(None);
    };
    // Whether the person merging holds both data keys; any other refusal (a writer who
    // cannot sign, a reader this clone saw leave) stops the merge as it is.
    let actor = keyring.actor.clone();
    if !holds_key(sides.get(value.from), value.app, value.field, &actor)
        || !holds_key(merged, value.app, value.field, &actor)
    {
        return Ok(None);
    }
    let plain = side_keyring.open_copy(sides.get(value.from), value.app, value.field, &sealed)?;
    keyring
        .reseal_copy(
            merged,
            value.app,
            value.field,
            sealed,
            value.version,
            &plain,
        )
        .map(Some)
}

fn place(
    merged: &mut Merged,
    app: &str,
    field: &Field,
    index: usize,
    sealed: crate::vault::Sealed,
) {
    if let Some(slot) = merged
        .vault
        .apps
        .get_mut(app)
        .and_then(|a| merge::sealed_mut(a, field, index))
    {
        *slot = sealed;
    }
}

fn secret_level(merged: &Merged, app: &str, name: &str) -> crate::wechat::Level {
    merged.vault.apps[app].secrets[name].access
}

fn value_at(app: &crate::vault::App, field: &Field, index: usize) -> Option<crate::vault::Sealed> {
    match field {
        Field::Info(n) => app.info.get(n),
        Field::Contact(n) => app.contact.get(n),
        Field::Config(n) => app.config.get(n),
        Field::ModeConfig(m, n) => app.modes.get(m).and_then(|c| c.get(n)),
        Field::Build(n) => app.build.get(n),
        Field::ModeBuild(m, n) => app.build_modes.get(m).and_then(|c| c.get(n)),
        Field::Secret(n) => app.secrets.get(n).and_then(|s| s.versions.get(index)),
    }
    .cloned()
}

/// Members who can read `level` of `app` in the merged vault and, for a value from one side,
/// in that side's copy too.
fn who_can(
    merged: &Merged,
    sides: &Sides,
    app: &str,
    level: crate::wechat::Level,
    from: Option<Side>,
) -> String {
    let readers = |v: &Vault| -> BTreeSet<String> {
        v.apps
            .get(app)
            .and_then(|a| a.data_keys.get(&level))
            .map(|k| k.readers.iter().cloned().collect())
            .unwrap_or_default()
    };
    let mut can = readers(&merged.vault);
    if let Some(side) = from {
        can = can
            .intersection(&readers(sides.get(side)))
            .cloned()
            .collect();
    }
    if can.is_empty() {
        return "nobody can; keep one side and redo the other's change".to_string();
    }
    format!(
        "{} can finish this merge",
        can.into_iter().collect::<Vec<_>>().join(", ")
    )
}

/// What is left to do when nobody with a key is merging.
fn pending(merged: &Merged, sides: &Sides) -> Vec<String> {
    let mut out = Vec::new();
    for r in &merged.reseal {
        out.push(format!(
            "apps/{}/{}: sealed under the {} key the other side replaced ({})",
            r.app,
            r.field.path(),
            r.level,
            who_can(merged, sides, &r.app, r.level, Some(r.from))
        ));
    }
    for (app, name) in &merged.renumber {
        out.push(format!(
            "apps/{app}/secrets/{name}: both sides rotated it and the later value must be renumbered ({})",
            who_can(merged, sides, app, secret_level(merged, app, name), None)
        ));
    }
    out
}

enum Status {
    Kept,
    SignedHere,
}

/// The merged policy keeps a side's signature when it is that side's policy; otherwise the
/// owner merging (`run` stops anyone else first) signs it at the next revision.
fn settle_signature(
    vault: &mut Vault,
    sides: &Sides,
    identity: Option<&Identity>,
    guard: &Guard,
    seen: Option<&trust::Seen>,
) -> Result<Status> {
    for side in [sides.ours, sides.theirs] {
        vault.revision = side.revision;
        vault.signature.clone_from(&side.signature);
        if policy::verify(vault).is_some() && Policy::of(vault) == Policy::of(side) {
            return Ok(Status::Kept);
        }
    }
    vault.revision = sides.ours.revision.max(sides.theirs.revision);
    vault.signature = None;
    let Some(identity) = identity else {
        return Err(Error::denied(
            "the merged policy needs an owner's signature and nobody is merging",
            "`git merge --abort`, and ask an owner to merge these branches",
        ));
    };
    let keyring = Keyring::open(vault, identity, guard.clone())?;
    let seen = seen.map_or(0, |s| s.revision);
    trust::sign_change(vault, &keyring, identity, seen)?;
    Ok(Status::SignedHere)
}

/// Reports a conflict: OURS stays as it was, and git marks the file as conflicted. When the
/// merge needs an owner, the way out is theirs, not redoing a change only an owner can make.
fn conflict(name: &str, paths: &[String], why: Option<&str>, needs_owner: bool) -> Outcome {
    let mut text = format!("mpvault: cannot merge {name}");
    if let Some(why) = why {
        let _ = write!(text, " ({why})");
    }
    text.push_str("; these conflict:");
    for p in paths {
        let _ = write!(text, "\n  {p}");
    }
    let _ = write!(
        text,
        "\nYour side of {name} is left as it was, without conflict markers, and works as before."
    );
    let _ = if needs_owner {
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
