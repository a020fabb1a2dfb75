//! `git setup|textconv|merge|check`: the vault in a team's git workflow. `textconv` renders the
//! vault for `git diff` without a key; `merge` is git's merge driver (three-way on structure,
//! see `vault::merge`), re-sealing and signing as the person merging; `check` is the
//! pre-commit guard against committing what holds secrets.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::{now, Context};
use crate::cli::GitCommand;
use crate::error::{Error, Result};
use crate::git;
use crate::identity::Identity;
use crate::trust::{self, Memory};
use crate::vault::keyring::Guard;
use crate::vault::merge::{self, Merged, Side};
use crate::vault::policy::{self, Policy};
use crate::vault::{access, Field, Keyring, Vault};
use crate::{output, store};

pub fn run(ctx: &Context, cmd: GitCommand) -> Result<i32> {
    match cmd {
        GitCommand::Setup { hook, check } => setup(ctx, hook, check),
        GitCommand::Textconv { file } => textconv(&file),
        GitCommand::Merge {
            base,
            ours,
            theirs,
            path,
        } => merge_files(ctx, &base, &ours, &theirs, path.as_deref()),
        GitCommand::Check => check(),
    }
}

// ---------------------------------------------------------------------------------------------
// setup

fn cwd() -> Result<PathBuf> {
    std::env::current_dir().map_err(|e| Error::io("cannot read the current folder", e))
}

/// A path as one shell word (git runs drivers through the shell).
fn shell_word(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

struct Wanted {
    top: PathBuf,
    attributes: PathBuf,
    config: Vec<(&'static str, String)>,
    hook: PathBuf,
    hook_text: String,
}

fn wanted() -> Result<Wanted> {
    let here = cwd()?;
    let top = git::top_level(&here).ok_or_else(|| {
        Error::not_found(
            "this folder is not inside a git repository",
            "run `git init` first, or run this inside the repository that holds mpvault.json",
        )
    })?;
    let exe =
        std::env::current_exe().map_err(|e| Error::io("cannot find the mpvault program", e))?;
    let exe = shell_word(&exe);
    let hooks = git::run(
        &top,
        &["rev-parse", "--git-path", "hooks"],
        "find the hooks folder",
    )?;
    Ok(Wanted {
        attributes: top.join(".gitattributes"),
        config: vec![
            ("diff.mpvault.textconv", format!("{exe} git textconv")),
            ("merge.mpvault.name", "mpvault vault merge".to_string()),
            (
                "merge.mpvault.driver",
                format!("{exe} git merge %O %A %B %P"),
            ),
        ],
        hook: top.join(hooks).join("pre-commit"),
        hook_text: format!(
            "#!/bin/sh\n# Installed by `mpvault git setup --hook`.\nexec {exe} git check\n"
        ),
        top,
    })
}

fn setup(_ctx: &Context, hook: bool, check_only: bool) -> Result<i32> {
    let w = wanted()?;
    let mut missing = Vec::new();
    let attributes = std::fs::read_to_string(&w.attributes).unwrap_or_default();
    let has_attributes = attributes.lines().any(|l| l.trim() == git::ATTRIBUTES);
    if !has_attributes {
        missing.push(format!(
            "{} lacks `{}`",
            w.attributes.display(),
            git::ATTRIBUTES
        ));
    }
    let mut config_missing = Vec::new();
    for (name, value) in &w.config {
        let current = git::output(&w.top, &["config", "--local", "--get", name]);
        if current
            .as_deref()
            .map(|c| String::from_utf8_lossy(c).trim_end().to_string())
            != Some(value.clone())
        {
            config_missing.push((*name, value.clone()));
            missing.push(format!("git config {name} is not set for mpvault"));
        }
    }
    let hook_now = std::fs::read_to_string(&w.hook).ok();
    let hook_ours = hook_now
        .as_deref()
        .is_some_and(|t| t.contains("git check") && t.contains("mpvault"));
    if hook && !hook_ours {
        missing.push(format!(
            "the pre-commit hook {} does not run `mpvault git check`",
            w.hook.display()
        ));
    }
    if check_only {
        if missing.is_empty() {
            output::note("mpvault's textconv and merge driver are set up in this clone.");
            return Ok(0);
        }
        for m in &missing {
            output::note(&format!("missing: {m}"));
        }
        output::note("Run `mpvault git setup` to set them up.");
        return Ok(1);
    }
    if hook && !hook_ours && hook_now.is_some() {
        return Err(Error::exists(
            format!("a pre-commit hook already exists at {}", w.hook.display()),
            format!(
                "add this line to it: {}",
                w.hook_text
                    .lines()
                    .last()
                    .unwrap_or_default()
                    .trim_start_matches("exec ")
            ),
        ));
    }
    if !has_attributes {
        let mut text = attributes;
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(git::ATTRIBUTES);
        text.push('\n');
        std::fs::write(&w.attributes, text).map_err(|e| Error::io_at("write", &w.attributes, e))?;
    }
    for (name, value) in &config_missing {
        git::run(
            &w.top,
            &["config", "--local", name, value],
            "set its config",
        )?;
    }
    if hook && !hook_ours {
        write_hook(&w.hook, &w.hook_text)?;
    }
    output::note(&format!(
        "mpvault.json now diffs readably and merges with mpvault in this clone{}. Commit .gitattributes; every clone runs `mpvault git setup` once.",
        if hook { ", and commits are checked for secrets" } else { "" }
    ));
    Ok(0)
}

fn write_hook(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io_at("create", dir, e))?;
    }
    std::fs::write(path, text).map_err(|e| Error::io_at("write", path, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| Error::io_at("make executable", path, e))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// textconv

fn textconv(file: &Path) -> Result<i32> {
    let bytes = std::fs::read(file).map_err(|e| Error::io_at("read", file, e))?;
    let text = match Vault::parse(&bytes) {
        Ok(vault) => render(&vault),
        // A diff must still show something: say what is wrong, never the raw ciphertext.
        Err(e) => format!("(not a readable mpvault vault: {e})\n"),
    };
    output::write(text.as_bytes())?;
    Ok(0)
}

/// A short fingerprint of anything public (keys, commitments), never the thing itself.
fn short(text: &str) -> String {
    policy::fingerprint(text)
}

fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// The vault as a reviewer reads it: who may read what, and what changed, never a value.
pub fn render(vault: &Vault) -> String {
    let mut out = Vec::new();
    out.push(format!(
        "mpvault vault {} (format {})",
        vault.vault_id, vault.format
    ));
    let signed = match (&vault.signature, policy::verify(vault)) {
        (Some(sig), Some(key)) => format!(
            "signed by {} (owner key {})",
            clean(&sig.signer),
            short(&key)
        ),
        (Some(sig), None) => format!("signature by {} DOES NOT VERIFY", clean(&sig.signer)),
        (None, _) => "NOT SIGNED: waits for an owner's `mpvault sign`".to_string(),
    };
    out.push(format!("policy revision {}, {signed}", vault.revision));
    out.push("members:".to_string());
    for (handle, m) in &vault.members {
        let kind = m
            .key
            .split_whitespace()
            .next()
            .unwrap_or("")
            .split('1')
            .next()
            .unwrap_or("");
        let signing = m
            .signing_key
            .as_deref()
            .map_or("no signing key".to_string(), |k| {
                format!("signing key {}", short(k))
            });
        out.push(format!(
            "  {}{}: {} key {}, {signing}; added by {} at {}",
            clean(handle),
            if m.owner { " (owner)" } else { "" },
            clean(kind),
            short(&m.key),
            clean(&m.added_by),
            clean(&m.added_at)
        ));
    }
    if !vault.departures.is_empty() {
        out.push("departures:".to_string());
        for d in &vault.departures {
            out.push(format!(
                "  {} {} at {} by {} in revision {}; lost {}",
                clean(&d.handle),
                d.kind.as_str(),
                clean(&d.at),
                clean(&d.by),
                d.revision,
                if d.lost.is_empty() {
                    "nothing".to_string()
                } else {
                    clean(&d.lost.join(", "))
                }
            ));
        }
    }
    for (name, app) in &vault.apps {
        out.push(format!(
            "app {} ({}), added {}",
            clean(name),
            clean(&app.appid),
            clean(&app.added_at)
        ));
        for (handle, roles) in &app.roster {
            let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            out.push(format!("  role {}: {}", clean(handle), roles.join(", ")));
        }
        for (level, key) in &app.keys {
            out.push(format!(
                "  level {level}: readers {}; data key {}",
                clean(&key.readers.join(", ")),
                key.commitment
                    .as_deref()
                    .map_or("(no commitment)".to_string(), short)
            ));
        }
        for (secret, level) in &app.floors {
            out.push(format!("  floor {}: {level}", clean(secret)));
        }
        for (kind, map) in [
            ("info", &app.info),
            ("contact", &app.contact),
            ("config", &app.config),
        ] {
            for (key, sealed) in map {
                out.push(format!("  {kind} {}: {}", clean(key), metadata(sealed)));
            }
        }
        for (secret, s) in &app.secrets {
            out.push(format!("  secret {} ({}):", clean(secret), s.access));
            for v in &s.versions {
                out.push(format!("    v{} {}", v.version.unwrap_or(0), metadata(v)));
            }
        }
    }
    let mut text = out.join("\n");
    text.push('\n');
    text
}

fn metadata(sealed: &crate::vault::Sealed) -> String {
    let mut text = format!(
        "set by {} at {}",
        clean(&sealed.set_by),
        clean(&sealed.set_at)
    );
    if let Some(by) = &sealed.sealed_by {
        text.push_str(&format!(", re-sealed by {}", clean(by)));
    }
    // A short tag of the ciphertext, so a diff shows that a value changed (or was re-sealed)
    // without showing the value or the ciphertext.
    text.push_str(&format!(" [{}]", &short(&sealed.value)[..9]));
    text
}

// ---------------------------------------------------------------------------------------------
// merge

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

fn merge_files(
    ctx: &Context,
    base: &Path,
    ours: &Path,
    theirs: &Path,
    path: Option<&str>,
) -> Result<i32> {
    let name = path.unwrap_or(store::FILE_NAME).to_string();
    let ours_vault = read_vault(ours, "our")?.ok_or_else(|| {
        Error::invalid(
            "our copy of the vault is empty",
            "check out a vault on this branch first",
        )
    })?;
    let theirs_vault = read_vault(theirs, "their")?.ok_or_else(|| {
        Error::invalid(
            "their copy of the vault is empty",
            "merge a branch that has the vault",
        )
    })?;
    let base_vault = match read_vault(base, "the common ancestor's")? {
        Some(b) => b,
        None => {
            let mut empty = Vault::new(ours_vault.vault_id.clone(), ours_vault.created_at.clone());
            empty.revision = 0;
            empty
        }
    };
    // Where the vault lives, for this clone's memory of it (git runs drivers at the top).
    let location = match path {
        Some(p) => trust::location(&cwd()?.join(p)),
        None => trust::location(&ctx.vault_path()?),
    };
    let mut memory = Memory::load()?;
    let seen = memory.get(&location).cloned();
    let guard = check_sides(&base_vault, &ours_vault, &theirs_vault, seen.as_ref())?;
    let mut merged = merge::three_way(&base_vault, &ours_vault, &theirs_vault);
    if !merged.conflicts.is_empty() {
        return conflict(&name, &merged.conflicts, None);
    }
    let identity = match ctx.identity() {
        Ok(identity) => Some(identity),
        Err(Error::NotFound { .. }) => None,
        Err(e) => return Err(e),
    };
    let sides = Sides {
        ours: &ours_vault,
        theirs: &theirs_vault,
    };
    let unresolved = settle_contested(&mut merged, &sides, identity, &guard)?;
    if !unresolved.is_empty() {
        return conflict(&name, &unresolved, None);
    }
    let owner = identity.is_some_and(|i| {
        member_of(&merged.vault, i).is_some_and(|h| merged.vault.members[&h].owner)
    });
    let mut done = Vec::new();
    if !merged.reseal.is_empty()
        || !merged.renumber.is_empty()
        || (owner && !merged.rewrap.is_empty())
    {
        let Some(identity) = identity.filter(|i| member_of(&merged.vault, i).is_some()) else {
            let needs = pending(&merged, &sides);
            return conflict(
                &name,
                &needs,
                Some("nobody merging: no identity of a member was found"),
            );
        };
        let unable = reseal(&mut merged, &sides, identity, &guard, &mut done)?;
        if !unable.is_empty() {
            return conflict(&name, &unable, None);
        }
        if owner {
            // An owner re-wraps every level to the merged readers; a data key that either side
            // wrapped to someone the merged roster leaves out is replaced.
            let mut keyring = Keyring::open(&merged.vault, identity, guard.clone())?;
            let apps: Vec<String> = merged.vault.apps.keys().cloned().collect();
            for app in &apps {
                let replace = merged.exposed.iter().any(|((a, level), exposed)| {
                    a == app && !exposed.is_subset(&access::readers(&merged.vault, app, *level))
                });
                let replaced = keyring.sync_readers(&mut merged.vault, app, replace)?;
                if !replaced.is_empty() {
                    done.push(format!("replaced the data keys of {app} that reached someone the merged roster leaves out"));
                }
            }
        }
    }
    let status = settle_signature(
        &mut merged.vault,
        &ours_vault,
        &theirs_vault,
        identity,
        &guard,
        seen.as_ref(),
    )?;
    let json = merged.vault.to_json();
    if let Err(e) = Vault::parse(json.as_bytes()) {
        return conflict(
            &name,
            &[format!("the merged vault would not be valid: {e}")],
            None,
        );
    }
    std::fs::write(ours, &json).map_err(|e| Error::io_at("write", ours, e))?;
    if let Status::SignedHere = status {
        let after = trust::after_write(seen.as_ref(), &merged.vault, &now());
        memory.remember(&location, after)?;
    }
    let mut summary = format!("mpvault: merged {name}");
    if !done.is_empty() {
        summary.push_str(&format!(" ({})", done.join("; ")));
    }
    output::note(&format!("{summary}."));
    if let Status::WaitsForSign = status {
        let owners: Vec<&str> = merged.vault.owners().collect();
        output::note(&format!(
            "mpvault: both sides changed who may read what, so the merged policy waits for an owner's signature; until one of {} runs `mpvault sign` and commits, mpvault refuses to use the vault.",
            owners.join(", ")
        ));
    }
    Ok(0)
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
        secrets: Default::default(),
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
        guards.push((vault.revision, verdict.guard));
    }
    // Both sides descend from the ancestor, and revisions only rise along history: a side
    // whose policy is older than the ancestor's puts back a roster an owner replaced.
    for (side, vault) in [("our", ours), ("their", theirs)] {
        if vault.revision < base.revision {
            return Err(Error::corrupt(
                format!(
                    "{side} side of the merge has policy revision {}, older than the common ancestor's ({}): it restores who could read what before an owner changed it",
                    vault.revision, base.revision
                ),
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
    let mut side_keys = [
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
        let seen = guard
            .seen
            .get(&(app.clone(), name.clone()))
            .map_or(0, |(v, _)| *v);
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
        match carry(&mut keyring, &mut side_keys, sides, &merged.vault, &value, current)? {
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
        match carry(&mut keyring, &mut side_keys, sides, &merged.vault, &value, sealed)? {
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
        a.keys
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
    let mut keys = identity.map(|i| {
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
        let (Some([Some(ok), Some(tk)]), Some(ours)) = (keys.as_mut(), ours) else {
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
                    .and_then(|a| a.keys.get(&level))
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
    side_keys: &mut [Option<Keyring>; 2],
    sides: &Sides,
    merged: &Vault,
    value: &Value,
    sealed: crate::vault::Sealed,
) -> Result<Option<crate::vault::Sealed>> {
    let Some(keys) = side_keys[value.from as usize].as_mut() else {
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
    let plain = keys.open_copy(sides.get(value.from), value.app, value.field, &sealed)?;
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
            .and_then(|a| a.keys.get(&level))
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
    WaitsForSign,
}

/// The merged policy keeps a side's signature when it is that side's policy; otherwise an
/// owner merging signs it at the next revision, or it waits for `mpvault sign`.
fn settle_signature(
    vault: &mut Vault,
    ours: &Vault,
    theirs: &Vault,
    identity: Option<&Identity>,
    guard: &Guard,
    seen: Option<&trust::Seen>,
) -> Result<Status> {
    for side in [ours, theirs] {
        vault.revision = side.revision;
        vault.signature = side.signature.clone();
        if policy::verify(vault).is_some() && Policy::of(vault) == Policy::of(side) {
            return Ok(Status::Kept);
        }
    }
    vault.revision = ours.revision.max(theirs.revision);
    vault.signature = None;
    let Some(identity) = identity else {
        return Ok(Status::WaitsForSign);
    };
    let Ok(keyring) = Keyring::open(vault, identity, guard.clone()) else {
        return Ok(Status::WaitsForSign);
    };
    if !keyring.is_owner(vault) {
        return Ok(Status::WaitsForSign);
    }
    let seen = seen.map_or(0, |s| s.revision);
    trust::sign_change(vault, &keyring, identity, seen)?;
    Ok(Status::SignedHere)
}

/// Reports a conflict: OURS stays as it was, and git marks the file as conflicted.
fn conflict(name: &str, paths: &[String], why: Option<&str>) -> Result<i32> {
    let mut text = format!("mpvault: cannot merge {name}");
    if let Some(why) = why {
        text.push_str(&format!(" ({why})"));
    }
    text.push_str("; these conflict:");
    for p in paths {
        text.push_str(&format!("\n  {p}"));
    }
    text.push_str(&format!(
        "\nYour side of {name} is left as it was, without conflict markers. Keep one side (`git checkout --ours {name}` or `git checkout --theirs {name}`), redo the other side's change with mpvault, then `git add {name}`; or `git merge --abort`."
    ));
    output::note(&text);
    Ok(crate::error::exit::FAILURE)
}

// ---------------------------------------------------------------------------------------------
// check

/// The pre-commit guard: refuses staged files that hold secrets, naming each.
fn check() -> Result<i32> {
    let here = cwd()?;
    let top = git::top_level(&here).ok_or_else(|| {
        Error::not_found(
            "this folder is not inside a git repository",
            "run it inside the repository",
        )
    })?;
    let staged = git::output(
        &top,
        &[
            "diff",
            "--cached",
            "--name-only",
            "-z",
            "--diff-filter=ACMR",
        ],
    )
    .unwrap_or_default();
    let secret_names = vault_secret_names(&top);
    let mut found = Vec::new();
    for path in staged.split(|b| *b == 0).filter(|p| !p.is_empty()) {
        let path = String::from_utf8_lossy(path).to_string();
        let content = git::output(&top, &["show", &format!(":{path}")]).unwrap_or_default();
        if let Some(why) = holds_secret(&path, &content, &secret_names) {
            found.push(format!("  {path}: {why}"));
        }
    }
    if found.is_empty() {
        return Ok(0);
    }
    output::note(&format!(
        "mpvault: refusing to commit files that hold secrets:\n{}\nUnstage them (`git restore --staged FILE`) and add them to .gitignore; secrets belong in mpvault.json.",
        found.join("\n")
    ));
    Ok(crate::error::exit::DENIED)
}

/// The secret names the vault in this repository knows, to recognise them in env files.
fn vault_secret_names(top: &Path) -> BTreeSet<String> {
    let Ok(path) = store::locate(None, &cwd().unwrap_or_else(|_| top.to_path_buf())) else {
        return BTreeSet::new();
    };
    store::load(&path)
        .map(|v| {
            v.apps
                .values()
                .flat_map(|a| a.secrets.keys().cloned())
                .collect()
        })
        .unwrap_or_default()
}

fn holds_secret(path: &str, content: &[u8], secret_names: &BTreeSet<String>) -> Option<String> {
    let file = path.rsplit('/').next().unwrap_or(path);
    let text = String::from_utf8_lossy(content);
    if file.starts_with("private.") && file.ends_with(".key") {
        return Some("a miniprogram-ci upload key".to_string());
    }
    if text.contains("AGE-SECRET-KEY-1")
        || (file.starts_with("identity") && text.contains("-----BEGIN AGE ENCRYPTED FILE-----"))
    {
        return Some("an mpvault (age) identity".to_string());
    }
    if text.contains("-----BEGIN OPENSSH PRIVATE KEY-----") {
        return Some("an SSH private key (an identity)".to_string());
    }
    if !file.starts_with(".env") {
        return None;
    }
    for line in text.lines() {
        let line = line.trim_start().trim_start_matches("export ").trim_start();
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        let name = name.trim();
        let value = value.trim().trim_matches(['"', '\'']);
        if value.is_empty() || line.starts_with('#') {
            continue;
        }
        let upper = name.to_ascii_uppercase();
        if secret_names.contains(name)
            || [
                "SECRET", "PRIVATE", "PASSWORD", "TOKEN", "API_KEY", "APIKEY",
            ]
            .iter()
            .any(|w| upper.contains(w))
        {
            return Some(format!("sets {name}, a secret"));
        }
    }
    None
}
