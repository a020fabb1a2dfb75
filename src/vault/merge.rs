//! The three-way merge of two copies of a vault on structure, as git's merge driver needs it.
//! This part needs no key: it combines members, apps, rosters, values and histories, picks the
//! data key each level keeps, and says what a person who can read must still do (re-seal values
//! sealed under a key the other side replaced, renumber a rotation) or what conflicts.
//! `commands::git` does that work with the merging person's identity, and signs.

use std::collections::{BTreeMap, BTreeSet};

use time::OffsetDateTime;

use super::access;
use super::model::{App, Field, Sealed, Secret, Vault, WrappedKey, HISTORY};
use crate::wechat::{Level, Role};

/// Which copy a value or key came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Ours,
    Theirs,
}

/// A value that must be re-encrypted under the data key the merged vault keeps for its level.
#[derive(Clone, Debug, PartialEq)]
pub struct Reseal {
    pub app: String,
    pub level: Level,
    pub field: Field,
    /// The version's index in the merged secret's history (0 for other values).
    pub index: usize,
    /// The copy whose data key opens it now.
    pub from: Side,
}

/// An info, contact or config value both sides set: the merge keeps ours for now, and it is a
/// conflict unless someone who reads both finds they hold the same value.
#[derive(Clone, Debug, PartialEq)]
pub struct Contested {
    pub app: String,
    pub field: Field,
    pub theirs: Sealed,
}

impl Contested {
    pub fn path(&self) -> String {
        format!("apps/{}/{}", self.app, self.field.path())
    }
}

/// What the merge produced. `vault` keeps neither side's signature: the caller settles it.
#[derive(Debug)]
pub struct Merged {
    pub vault: Vault,
    /// Each conflicting path, with why.
    pub conflicts: Vec<String>,
    pub reseal: Vec<Reseal>,
    /// Secrets whose later rotation carries a lower number than another kept version: it must
    /// be re-sealed as the next number to stay current (`app`, `NAME`).
    pub renumber: Vec<(String, String)>,
    /// Apps whose data keys must be re-wrapped (or replaced) to the merged readers.
    pub rewrap: BTreeSet<String>,
    /// Everyone each kept data key was ever wrapped to, on either side, by (app, level).
    pub exposed: BTreeMap<(String, Level), BTreeSet<String>>,
    /// Values set on both sides, to compare or to report as conflicts.
    pub contested: Vec<Contested>,
}

/// Invitations and join requests combine: an invitation either side used is used (never
/// reopened), and a request either side holds stays until an approval drops it.
fn merge_invitations(vault: &mut Vault, theirs: &Vault) {
    for inv in &theirs.invitations {
        match vault.invitations.iter_mut().find(|i| i.id == inv.id) {
            Some(mine) => mine.used |= inv.used,
            None => vault.invitations.push(inv.clone()),
        }
    }
    for req in &theirs.requests {
        if !vault.requests.contains(req) {
            vault.requests.push(req.clone());
        }
    }
    let used: Vec<String> = vault
        .invitations
        .iter()
        .filter(|i| i.used)
        .map(|i| i.id.clone())
        .collect();
    vault.requests.retain(|r| !used.contains(&r.invitation));
}

/// Merges `ours` and `theirs`, which both descend from `base` (an empty vault when git has no
/// common ancestor).
pub fn three_way(base: &Vault, ours: &Vault, theirs: &Vault) -> Merged {
    let mut conflicts = Vec::new();
    if ours.vault_id != theirs.vault_id {
        conflicts.push(format!(
            "the two sides are different vaults ({} and {})",
            ours.vault_id, theirs.vault_id
        ));
    }
    let mut vault = ours.clone();
    vault.signature = None;
    vault.revision = ours.revision.max(theirs.revision);
    vault.format = ours.format.max(theirs.format);
    vault.members = merge_map(
        "members",
        &base.members,
        &ours.members,
        &theirs.members,
        |a, b| a == b,
        &mut conflicts,
        |_, _, _, _, _| None,
    );
    vault.departures.clone_from(&ours.departures);
    for d in &theirs.departures {
        if !vault.departures.contains(d) {
            vault.departures.push(d.clone());
        }
    }
    vault.returns.clone_from(&ours.returns);
    for r in &theirs.returns {
        if !vault.returns.contains(r) {
            vault.returns.push(r.clone());
        }
    }
    vault.waivers.clone_from(&ours.waivers);
    for w in &theirs.waivers {
        if !vault.waivers.contains(w) {
            vault.waivers.push(w.clone());
        }
    }
    vault.tombstones.clone_from(&ours.tombstones);
    for t in &theirs.tombstones {
        if !vault.tombstones.contains(t) {
            vault.tombstones.push(t.clone());
        }
    }
    merge_invitations(&mut vault, theirs);
    let mut contested = Vec::new();
    vault.apps = merge_map(
        "apps",
        &base.apps,
        &ours.apps,
        &theirs.apps,
        same_app,
        &mut conflicts,
        |path, b, o, t, c| Some(merge_app(path, b, o, t, c, &mut contested)),
    );
    let mut merged = Merged {
        vault,
        conflicts,
        reseal: Vec::new(),
        renumber: Vec::new(),
        rewrap: BTreeSet::new(),
        exposed: BTreeMap::new(),
        contested,
    };
    check_roster(&mut merged);
    check_given_back(&mut merged, base, [ours, theirs]);
    let names: Vec<String> = merged.vault.apps.keys().cloned().collect();
    for name in names {
        order_histories(&mut merged, &name);
        settle_keys(&mut merged, base, ours, theirs, &name);
    }
    merged
}

/// A three-way merge of maps: what one side changed wins; what both changed alike is kept;
/// what both changed differently goes to `both`, or conflicts when it gives nothing.
fn merge_map<V: Clone>(
    path: &str,
    base: &BTreeMap<String, V>,
    ours: &BTreeMap<String, V>,
    theirs: &BTreeMap<String, V>,
    same: impl Fn(&V, &V) -> bool,
    conflicts: &mut Vec<String>,
    mut both: impl FnMut(&str, Option<&V>, &V, &V, &mut Vec<String>) -> Option<V>,
) -> BTreeMap<String, V> {
    let eq = |a: Option<&V>, b: Option<&V>| match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => same(a, b),
        _ => false,
    };
    let keys: BTreeSet<&String> = ours
        .keys()
        .chain(theirs.keys())
        .chain(base.keys())
        .collect();
    let mut out = BTreeMap::new();
    for key in keys {
        let (b, o, t) = (base.get(key), ours.get(key), theirs.get(key));
        let here = format!("{path}/{key}");
        let pick = if eq(o, t) || eq(t, b) {
            o.cloned()
        } else if eq(o, b) {
            t.cloned()
        } else {
            match (o, t) {
                (Some(o), Some(t)) => {
                    let merged = both(&here, b, o, t, conflicts);
                    if merged.is_none() {
                        conflicts.push(format!("{here}: changed differently on both sides"));
                    }
                    merged
                }
                _ => {
                    conflicts.push(format!(
                        "{here}: removed on one side and changed on the other"
                    ));
                    o.cloned()
                }
            }
        };
        if let Some(v) = pick {
            out.insert(key.clone(), v);
        }
    }
    out
}

/// A value's identity: its version, writer and time, whatever key it is sealed under (a data
/// key replaced on one side re-seals values without changing them).
fn same_sealed(a: &Sealed, b: &Sealed) -> bool {
    a.version == b.version && a.set_by == b.set_by && a.set_at == b.set_at
}

fn same_secret(a: &Secret, b: &Secret) -> bool {
    a.access == b.access
        && a.versions.len() == b.versions.len()
        && a.versions
            .iter()
            .zip(&b.versions)
            .all(|(x, y)| same_sealed(x, y))
}

/// Apps are the same when only their data keys (and so their ciphertexts) differ.
fn same_app(a: &App, b: &App) -> bool {
    let values = |x: &BTreeMap<String, Sealed>, y: &BTreeMap<String, Sealed>| {
        x.len() == y.len()
            && x.iter()
                .zip(y)
                .all(|((k1, v1), (k2, v2))| k1 == k2 && same_sealed(v1, v2))
    };
    a.appid == b.appid
        && a.added_at == b.added_at
        && a.roster == b.roster
        && a.services == b.services
        && a.floors == b.floors
        && a.public == b.public
        && values(&a.info, &b.info)
        && values(&a.contact, &b.contact)
        && values(&a.config, &b.config)
        && values(&a.build, &b.build)
        && [(&a.modes, &b.modes), (&a.build_modes, &b.build_modes)]
            .into_iter()
            .all(|(x, y)| {
                x.len() == y.len()
                    && x.iter()
                        .zip(y)
                        .all(|((m1, v1), (m2, v2))| m1 == m2 && values(v1, v2))
            })
        && a.secrets.len() == b.secrets.len()
        && a.secrets
            .iter()
            .zip(&b.secrets)
            .all(|((k1, v1), (k2, v2))| k1 == k2 && same_secret(v1, v2))
}

fn merge_app(
    path: &str,
    base: Option<&App>,
    ours: &App,
    theirs: &App,
    conflicts: &mut Vec<String>,
    contested: &mut Vec<Contested>,
) -> App {
    let empty = App::new(String::new(), String::new());
    let b = base.unwrap_or(&empty);
    let mut app = ours.clone();
    app.appid = scalar(
        &format!("{path}/appid"),
        &b.appid,
        &ours.appid,
        &theirs.appid,
        conflicts,
    );
    app.added_at = scalar(
        &format!("{path}/added_at"),
        &b.added_at,
        &ours.added_at,
        &theirs.added_at,
        conflicts,
    );
    app.roster = merge_roster(&b.roster, &ours.roster, &theirs.roster);
    app.services = merge_map(
        &format!("{path}/services"),
        &b.services,
        &ours.services,
        &theirs.services,
        |a, b| a == b,
        conflicts,
        |_, _, _, _, _| None,
    );
    app.public = merge_map(
        &format!("{path}/public"),
        &b.public,
        &ours.public,
        &theirs.public,
        |a, b| a == b,
        conflicts,
        |_, _, _, _, _| None,
    );
    // Floors only protect: where both sides moved one, the higher stands.
    app.floors = merge_map(
        &format!("{path}/floors"),
        &b.floors,
        &ours.floors,
        &theirs.floors,
        |a, b| a == b,
        conflicts,
        |_, _, o, t, _| Some((*o).max(*t)),
    );
    let mut plain = |kind, pick: fn(&App) -> &BTreeMap<String, Sealed>| {
        merge_plain(
            path,
            kind,
            [b, ours, theirs].map(pick),
            conflicts,
            contested,
        )
    };
    app.info = plain("info", |a| &a.info);
    app.contact = plain("contact", |a| &a.contact);
    app.config = plain("config", |a| &a.config);
    app.build = plain("build", |a| &a.build);
    app.modes = merge_modes(path, "config", [b, ours, theirs], conflicts, contested);
    app.build_modes = merge_modes(path, "build", [b, ours, theirs], conflicts, contested);
    app.secrets = merge_map(
        &format!("{path}/secrets"),
        &b.secrets,
        &ours.secrets,
        &theirs.secrets,
        same_secret,
        conflicts,
        |here, _, o, t, c| Some(merge_secret(here, o, t, c)),
    );
    // Keys are settled once the whole roster is known (`settle_keys`).
    app
}

/// Roles merge as sets, never as a conflict: a role stays where both sides hold it or one side
/// added it, and goes where either side took it away from the ancestor. A member left with no
/// role leaves the roster (as `role revoke` does).
fn merge_roster(
    base: &BTreeMap<String, Vec<Role>>,
    ours: &BTreeMap<String, Vec<Role>>,
    theirs: &BTreeMap<String, Vec<Role>>,
) -> BTreeMap<String, Vec<Role>> {
    let handles: BTreeSet<&String> = base
        .keys()
        .chain(ours.keys())
        .chain(theirs.keys())
        .collect();
    let mut out = BTreeMap::new();
    for handle in handles {
        let held = |m: &BTreeMap<String, Vec<Role>>| m.get(handle).cloned().unwrap_or_default();
        let (b, o, t) = (held(base), held(ours), held(theirs));
        let mut roles: Vec<Role> = o
            .iter()
            .chain(&t)
            .filter(|r| (o.contains(r) && t.contains(r)) || !b.contains(r))
            .copied()
            .collect();
        roles.sort();
        roles.dedup();
        if !roles.is_empty() {
            out.insert(handle.clone(), roles);
        }
    }
    out
}

/// One map of plain values (`kind`: info, contact, config, build, `modes/M/config` or
/// `modes/M/build`). A key both
/// sides set differently keeps ours for now and is contested: it is settled by whoever merges
/// and can read both values (`settle_contested` in the merge driver).
fn merge_plain(
    path: &str,
    kind: &str,
    [base, ours, theirs]: [&BTreeMap<String, Sealed>; 3],
    conflicts: &mut Vec<String>,
    contested: &mut Vec<Contested>,
) -> BTreeMap<String, Sealed> {
    let name = path.strip_prefix("apps/").unwrap_or(path);
    merge_map(
        &format!("{path}/{kind}"),
        base,
        ours,
        theirs,
        same_sealed,
        conflicts,
        |here, _, o, t, _| {
            let key = here.rsplit('/').next().unwrap_or_default().to_string();
            let field = match kind {
                "info" => Field::Info(key),
                "contact" => Field::Contact(key),
                "config" => Field::Config(key),
                "build" => Field::Build(key),
                mode => {
                    let mode = mode.trim_start_matches("modes/");
                    match mode.rsplit_once('/') {
                        Some((mode, "build")) => Field::ModeBuild(mode.to_string(), key),
                        _ => Field::ModeConfig(mode.trim_end_matches("/config").to_string(), key),
                    }
                }
            };
            contested.push(Contested {
                app: name.to_string(),
                field,
                theirs: t.clone(),
            });
            Some(o.clone())
        },
    )
}

/// Each mode's config of one kind (`config` or `build`), merged as plain values; a mode left
/// with no values is dropped.
fn merge_modes(
    path: &str,
    kind: &str,
    sides: [&App; 3],
    conflicts: &mut Vec<String>,
    contested: &mut Vec<Contested>,
) -> BTreeMap<String, BTreeMap<String, Sealed>> {
    let pick: fn(&App) -> &BTreeMap<String, BTreeMap<String, Sealed>> = if kind == "build" {
        |a| &a.build_modes
    } else {
        |a| &a.modes
    };
    let modes: BTreeSet<&String> = sides.iter().flat_map(|side| pick(side).keys()).collect();
    let none = BTreeMap::new();
    let mut merged_modes = BTreeMap::new();
    for mode in modes {
        let maps = sides.map(|side| pick(side).get(mode).unwrap_or(&none));
        let values = merge_plain(
            path,
            &format!("modes/{mode}/{kind}"),
            maps,
            conflicts,
            contested,
        );
        if !values.is_empty() {
            merged_modes.insert(mode.clone(), values);
        }
    }
    merged_modes
}

fn scalar(path: &str, base: &str, ours: &str, theirs: &str, conflicts: &mut Vec<String>) -> String {
    if ours == theirs || theirs == base {
        ours.to_string()
    } else if ours == base {
        theirs.to_string()
    } else {
        conflicts.push(format!("{path}: changed differently on both sides"));
        ours.to_string()
    }
}

/// Both sides rotated (or added) the same secret: every version either side keeps, newest
/// first. The later rotation is the current one (`order_histories`).
fn merge_secret(path: &str, ours: &Secret, theirs: &Secret, conflicts: &mut Vec<String>) -> Secret {
    if ours.access != theirs.access {
        conflicts.push(format!(
            "{path}: stored at the {} level on one side and {} on the other",
            ours.access, theirs.access
        ));
        return ours.clone();
    }
    let mut versions = ours.versions.clone();
    for v in &theirs.versions {
        if !versions.iter().any(|o| same_sealed(o, v)) {
            versions.push(v.clone());
        }
    }
    Secret {
        access: ours.access,
        versions,
    }
}

/// A member removed on one side and given roles on the other conflicts.
fn check_roster(merged: &mut Merged) {
    for (name, app) in &merged.vault.apps {
        for handle in app.roster.keys() {
            if !merged.vault.members.contains_key(handle) {
                merged.conflicts.push(format!(
                    "apps/{name}/roster/{handle}: '{handle}' was removed from the vault on one side and given roles on the other"
                ));
            }
        }
    }
}

/// Roles merged as sets must not undo a revoke: a level one side took from someone (a new
/// departure there) that the merged roster gives back through the other side's roles
/// conflicts. An owner gives it back after the merge, knowingly.
fn check_given_back(merged: &mut Merged, base: &Vault, sides: [&Vault; 2]) {
    for side in sides {
        for d in side
            .departures
            .iter()
            .filter(|d| !base.departures.contains(d))
        {
            for (app, level) in Level::ALL.iter().flat_map(|l| {
                d.lost.iter().filter_map(move |place| {
                    let app = place.strip_suffix(&format!("/{l}"))?;
                    Some((app, *l))
                })
            }) {
                let regained = access::can_read(&merged.vault, app, level, &d.handle)
                    && !access::can_read(side, app, level, &d.handle);
                let path = format!("apps/{app}/roster/{}", d.handle);
                if regained && !merged.conflicts.iter().any(|c| c.starts_with(&path)) {
                    merged.conflicts.push(format!(
                        "{path}: one side took the {level} level from '{}' and the other side's roles give it back; keep the side that took it and give it back with `mpvault role grant` if that is meant",
                        d.handle
                    ));
                }
            }
        }
    }
}

fn parse_time(text: &str) -> Option<OffsetDateTime> {
    super::transition::writers_time(text)
}

/// Newest first by number; the version written under the latest policy revision becomes
/// current (the writers' clocks only break a tie, and order format-3 values, which carry no
/// revision), which may need the next number when it was numbered lower than another kept one.
fn order_histories(merged: &mut Merged, name: &str) {
    let Some(app) = merged.vault.apps.get_mut(name) else {
        return;
    };
    for (secret_name, secret) in &mut app.secrets {
        let key = |v: &Sealed| {
            (
                v.revision,
                parse_time(&v.set_at),
                v.version,
                v.set_by.clone(),
                v.value.clone(),
            )
        };
        let Some(latest) = secret.versions.iter().max_by_key(|v| key(v)).cloned() else {
            continue;
        };
        secret
            .versions
            .sort_by(|a, b| b.version.cmp(&a.version).then_with(|| key(b).cmp(&key(a))));
        let top = secret.versions[0].version;
        let at = secret
            .versions
            .iter()
            .position(|v| same_sealed(v, &latest) && v.value == latest.value)
            .unwrap_or(0);
        if at != 0 {
            let v = secret.versions.remove(at);
            secret.versions.insert(0, v);
            if latest.version < top {
                merged
                    .renumber
                    .push((name.to_string(), secret_name.clone()));
            }
        }
        secret.versions.truncate(HISTORY + 1);
    }
}

/// Picks the data key each level of `name` keeps, and lists the values sealed under another.
fn settle_keys(merged: &mut Merged, base: &Vault, ours: &Vault, theirs: &Vault, name: &str) {
    let key_of = |v: &Vault, level: Level| {
        v.apps
            .get(name)
            .and_then(|a| a.data_keys.get(&level))
            .cloned()
    };
    let mut chosen_keys = BTreeMap::new();
    for level in Level::ALL {
        let wanted = access::readers(&merged.vault, name, level);
        let (b, o, t) = (
            key_of(base, level),
            key_of(ours, level),
            key_of(theirs, level),
        );
        let Some((key, side)) = choose_key(b.as_ref(), o.as_ref(), t.as_ref(), &wanted) else {
            continue;
        };
        let other = match side {
            Side::Ours => t.as_ref(),
            Side::Theirs => o.as_ref(),
        };
        // Every list the same data key was wrapped to: if it reached someone the merged roster
        // leaves out, the key is replaced, not just re-wrapped.
        let mut exposed: BTreeSet<String> = key.readers.iter().cloned().collect();
        if let Some(other) = other.filter(|k| k.commitment == key.commitment) {
            exposed.extend(other.readers.iter().cloned());
        }
        if exposed != wanted || key.readers.iter().cloned().collect::<BTreeSet<_>>() != wanted {
            merged.rewrap.insert(name.to_string());
        }
        merged.exposed.insert((name.to_string(), level), exposed);
        chosen_keys.insert(level, key);
    }
    let Some(app) = merged.vault.apps.get_mut(name) else {
        return;
    };
    for (level, key) in &chosen_keys {
        app.data_keys.insert(*level, key.clone());
    }
    let commitment = |v: &Vault, level: Level| key_of(v, level).and_then(|k| k.commitment);
    let sides = [(Side::Ours, ours), (Side::Theirs, theirs)];
    let mut reseal = Vec::new();
    for (field, index, level, sealed) in super::transition::values(app) {
        let Some(kept) = chosen_keys.get(&level).and_then(|k| k.commitment.clone()) else {
            continue;
        };
        // Where this exact ciphertext came from, and whether the other side holds the same
        // value sealed under the key the merge keeps.
        let origin = sides
            .iter()
            .find(|(_, v)| holds(v, name, &field, |s| s == sealed))
            .map(|(side, _)| *side);
        let Some(origin) = origin else { continue };
        let origin_vault = if origin == Side::Ours { ours } else { theirs };
        if commitment(origin_vault, level).as_deref() == Some(kept.as_str()) {
            continue;
        }
        let twin = sides.iter().find_map(|(_, v)| {
            (commitment(v, level).as_deref() == Some(kept.as_str()))
                .then(|| find(v, name, &field, |s| same_sealed(s, sealed)))
                .flatten()
        });
        match twin {
            Some(twin) => reseal.push((field, index, level, None, Some(twin))),
            None => reseal.push((field, index, level, Some(origin), None)),
        }
    }
    for (field, index, level, from, twin) in reseal {
        if let Some(twin) = twin {
            *sealed_mut(app, &field, index).expect("listed above") = twin;
        } else if let Some(from) = from {
            merged.reseal.push(Reseal {
                app: name.to_string(),
                level,
                field,
                index,
                from,
            });
        }
    }
}

/// The key a level keeps: the side that changed it; where both did, one whose readers the
/// merged roster still allows (so no one left out ever held it), else ours (to be replaced).
fn choose_key(
    base: Option<&WrappedKey>,
    ours: Option<&WrappedKey>,
    theirs: Option<&WrappedKey>,
    wanted: &BTreeSet<String>,
) -> Option<(WrappedKey, Side)> {
    match (ours, theirs) {
        (None, None) => None,
        (Some(o), None) => Some((o.clone(), Side::Ours)),
        (None, Some(t)) => Some((t.clone(), Side::Theirs)),
        (Some(o), Some(t)) => {
            if o == t || Some(t) == base {
                return Some((o.clone(), Side::Ours));
            }
            if Some(o) == base {
                return Some((t.clone(), Side::Theirs));
            }
            let allowed = |k: &WrappedKey| k.readers.iter().all(|r| wanted.contains(r));
            if !allowed(o) && allowed(t) {
                Some((t.clone(), Side::Theirs))
            } else {
                Some((o.clone(), Side::Ours))
            }
        }
    }
}

fn candidates<'v>(vault: &'v Vault, app: &str, field: &Field) -> Vec<&'v Sealed> {
    let Some(a) = vault.apps.get(app) else {
        return Vec::new();
    };
    match field {
        Field::Info(n) => a.info.get(n).into_iter().collect(),
        Field::Contact(n) => a.contact.get(n).into_iter().collect(),
        Field::Config(n) => a.config.get(n).into_iter().collect(),
        Field::ModeConfig(m, n) => a.modes.get(m).and_then(|c| c.get(n)).into_iter().collect(),
        Field::Build(n) => a.build.get(n).into_iter().collect(),
        Field::ModeBuild(m, n) => a
            .build_modes
            .get(m)
            .and_then(|c| c.get(n))
            .into_iter()
            .collect(),
        Field::Secret(n) => a
            .secrets
            .get(n)
            .map(|s| s.versions.iter().collect())
            .unwrap_or_default(),
    }
}

fn holds(vault: &Vault, app: &str, field: &Field, test: impl Fn(&Sealed) -> bool) -> bool {
    candidates(vault, app, field).into_iter().any(test)
}

fn find(vault: &Vault, app: &str, field: &Field, test: impl Fn(&Sealed) -> bool) -> Option<Sealed> {
    candidates(vault, app, field)
        .into_iter()
        .find(|s| test(s))
        .cloned()
}

/// The sealed value at a field (and history index) of an app.
pub fn sealed_mut<'a>(app: &'a mut App, field: &Field, index: usize) -> Option<&'a mut Sealed> {
    match field {
        Field::Info(n) => app.info.get_mut(n),
        Field::Contact(n) => app.contact.get_mut(n),
        Field::Config(n) => app.config.get_mut(n),
        Field::ModeConfig(m, n) => app.modes.get_mut(m).and_then(|c| c.get_mut(n)),
        Field::Build(n) => app.build.get_mut(n),
        Field::ModeBuild(m, n) => app.build_modes.get_mut(m).and_then(|c| c.get_mut(n)),
        Field::Secret(n) => app
            .secrets
            .get_mut(n)
            .and_then(|s| s.versions.get_mut(index)),
    }
}

/// The copy of a value in `vault` with the same identity as `sealed`, to decrypt it there.
pub fn counterpart(vault: &Vault, app: &str, field: &Field, sealed: &Sealed) -> Option<Sealed> {
    find(vault, app, field, |s| s == sealed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealed(version: Option<u64>, by: &str, at: &str, value: &str) -> Sealed {
        Sealed {
            revision: None,
            restored: None,
            version,
            set_by: by.into(),
            set_at: at.into(),
            sealed_by: None,
            value: value.into(),
            sig: Some("s".into()),
        }
    }

    fn key(readers: &[&str], c: &str) -> WrappedKey {
        WrappedKey {
            readers: readers.iter().map(ToString::to_string).collect(),
            commitment: Some(c.into()),
            wrapped: c.into(),
        }
    }

    fn vault() -> Vault {
        let mut v = Vault::new("id".into(), "t".into());
        v.revision = 1;
        let mut app = App::new("wx0123456789abcdef".into(), "t".into());
        for l in Level::ALL {
            app.data_keys.insert(l, key(&[], "k1"));
        }
        app.secrets.insert(
            "S".into(),
            Secret {
                access: Level::Developer,
                versions: vec![sealed(Some(1), "a", "2026-01-01T00:00:00Z", "v1")],
            },
        );
        v.apps.insert("shop".into(), app);
        v
    }

    fn rotate(v: &mut Vault, version: u64, at: &str, value: &str) {
        let s = v
            .apps
            .get_mut("shop")
            .unwrap()
            .secrets
            .get_mut("S")
            .unwrap();
        s.versions.insert(0, sealed(Some(version), "a", at, value));
    }

    #[test]
    fn the_later_rotation_is_current_and_the_other_is_kept() {
        let base = vault();
        let (mut ours, mut theirs) = (base.clone(), base.clone());
        rotate(&mut ours, 2, "2026-01-02T00:00:00Z", "ours");
        rotate(&mut theirs, 2, "2026-01-03T00:00:00Z", "theirs");
        for (a, b) in [(&ours, &theirs), (&theirs, &ours)] {
            let m = three_way(&base, a, b);
            assert!(m.conflicts.is_empty() && m.renumber.is_empty());
            let values: Vec<&str> = m.vault.apps["shop"].secrets["S"]
                .versions
                .iter()
                .map(|v| v.value.as_str())
                .collect();
            assert_eq!(values, ["theirs", "ours", "v1"]);
        }
    }

    #[test]
    fn a_later_rotation_with_a_lower_number_asks_to_be_renumbered() {
        let base = vault();
        let (mut ours, mut theirs) = (base.clone(), base.clone());
        rotate(&mut ours, 2, "2026-01-02T00:00:00Z", "o2");
        rotate(&mut ours, 3, "2026-01-02T00:00:01Z", "o3");
        rotate(&mut theirs, 2, "2026-01-05T00:00:00Z", "t2");
        let m = three_way(&base, &ours, &theirs);
        assert_eq!(m.renumber, [("shop".to_string(), "S".to_string())]);
        assert_eq!(m.vault.apps["shop"].secrets["S"].versions[0].value, "t2");
    }

    #[test]
    fn a_config_set_on_both_sides_is_contested_by_path() {
        let base = vault();
        let (mut ours, mut theirs) = (base.clone(), base.clone());
        let set = |v: &mut Vault, at: &str| {
            v.apps
                .get_mut("shop")
                .unwrap()
                .config
                .insert("API".into(), sealed(None, "a", at, at));
        };
        set(&mut ours, "2026-01-02T00:00:00Z");
        set(&mut theirs, "2026-01-03T00:00:00Z");
        let m = three_way(&base, &ours, &theirs);
        assert!(m.conflicts.is_empty());
        assert_eq!(m.contested.len(), 1);
        assert_eq!(m.contested[0].path(), "apps/shop/config/API");
        assert_eq!(m.contested[0].theirs.set_at, "2026-01-03T00:00:00Z");
    }

    #[test]
    fn a_value_under_a_replaced_key_is_listed_for_resealing() {
        let base = vault();
        let (mut ours, mut theirs) = (base.clone(), base.clone());
        ours.apps
            .get_mut("shop")
            .unwrap()
            .data_keys
            .insert(Level::Developer, key(&[], "k2"));
        ours.apps
            .get_mut("shop")
            .unwrap()
            .secrets
            .get_mut("S")
            .unwrap()
            .versions[0]
            .value = "resealed".into();
        theirs.apps.get_mut("shop").unwrap().secrets.insert(
            "NEW".into(),
            Secret {
                access: Level::Developer,
                versions: vec![sealed(Some(1), "b", "2026-01-04T00:00:00Z", "new")],
            },
        );
        let m = three_way(&base, &ours, &theirs);
        assert!(m.conflicts.is_empty());
        assert_eq!(m.reseal.len(), 1);
        assert_eq!(m.reseal[0].field, Field::Secret("NEW".into()));
        assert_eq!(m.reseal[0].from, Side::Theirs);
        let app = &m.vault.apps["shop"];
        assert_eq!(
            app.data_keys[&Level::Developer].commitment.as_deref(),
            Some("k2")
        );
        assert_eq!(app.secrets["S"].versions[0].value, "resealed");
    }

    #[test]
    fn a_member_removed_on_one_side_and_given_roles_on_the_other_conflicts() {
        let mut base = vault();
        let member = crate::vault::Member {
            key: "age1carol".into(),
            signing_key: None,
            owner: false,
            service: false,
            added_by: "a".into(),
            added_at: "t".into(),
        };
        base.members.insert("carol".into(), member);
        let (mut ours, mut theirs) = (base.clone(), base.clone());
        ours.members.remove("carol");
        theirs
            .apps
            .get_mut("shop")
            .unwrap()
            .roster
            .insert("carol".into(), vec![crate::wechat::Role::Developer]);
        let m = three_way(&base, &ours, &theirs);
        assert_eq!(m.conflicts.len(), 1, "{:?}", m.conflicts);
        assert!(m.conflicts[0].starts_with("apps/shop/roster/carol"));
    }

    #[test]
    fn roles_merge_as_sets() {
        use Role::{DataAnalyst, Developer, Operator, Tester};
        let roster = |roles: &[Role]| {
            let mut m = BTreeMap::new();
            if !roles.is_empty() {
                m.insert("carol".to_string(), roles.to_vec());
            }
            m
        };
        let base = roster(&[DataAnalyst, Tester]);
        let cases = [
            // A grant on each side: both.
            (
                &[Operator, DataAnalyst, Tester][..],
                &[Developer, DataAnalyst, Tester][..],
                &[Operator, Developer, DataAnalyst, Tester][..],
            ),
            // A grant on one side, a revoke on the other: both happen.
            (
                &[Operator, DataAnalyst, Tester],
                &[Tester],
                &[Operator, Tester],
            ),
            // Kept on one side, taken away on the other: gone.
            (&[DataAnalyst, Tester], &[Tester], &[Tester]),
            // Every role taken away on one side: off the roster.
            (&[], &[DataAnalyst, Tester], &[]),
        ];
        for (ours, theirs, want) in cases {
            for (a, b) in [(ours, theirs), (theirs, ours)] {
                let merged = merge_roster(&base, &roster(a), &roster(b));
                assert_eq!(merged, roster(want), "{a:?} and {b:?}");
            }
        }
    }

    #[test]
    fn roles_that_give_back_a_level_the_other_side_took_conflict() {
        use Role::{Admin, Developer, Operator, Tester};
        let mut base = vault();
        let member = crate::vault::Member {
            key: "age1carol".into(),
            signing_key: None,
            owner: false,
            service: false,
            added_by: "a".into(),
            added_at: "t".into(),
        };
        base.members.insert("carol".into(), member);
        let roster = |v: &mut Vault, roles: &[Role]| {
            v.apps
                .get_mut("shop")
                .unwrap()
                .roster
                .insert("carol".into(), roles.to_vec());
        };
        roster(&mut base, &[Developer, Tester]);
        let (mut ours, mut theirs) = (base.clone(), base.clone());
        roster(&mut ours, &[Tester]);
        ours.departures.push(crate::vault::Departure {
            handle: "carol".into(),
            key: "age1carol".into(),
            kind: crate::vault::DepartureKind::Revoked,
            at: "t".into(),
            by: "a".into(),
            revision: 2,
            lost: vec!["shop/developer".into()],
        });
        roster(&mut theirs, &[Admin, Developer, Tester]);
        for (a, b) in [(&ours, &theirs), (&theirs, &ours)] {
            let m = three_way(&base, a, b);
            assert_eq!(m.conflicts.len(), 1, "{:?}", m.conflicts);
            assert!(m.conflicts[0]
                .starts_with("apps/shop/roster/carol: one side took the developer level"));
        }
        // A grant that gives back nothing the other side took combines.
        roster(&mut theirs, &[Operator, Developer, Tester]);
        let m = three_way(&base, &ours, &theirs);
        assert!(m.conflicts.is_empty(), "{:?}", m.conflicts);
        assert_eq!(m.vault.apps["shop"].roster["carol"], [Operator, Tester]);
    }

    #[test]
    fn independent_members_and_departures_combine() {
        let base = vault();
        let (mut ours, mut theirs) = (base.clone(), base.clone());
        let member = |key: &str| crate::vault::Member {
            key: key.into(),
            signing_key: None,
            owner: false,
            service: false,
            added_by: "a".into(),
            added_at: "t".into(),
        };
        ours.members.insert("dave".into(), member("age1dave"));
        theirs.members.insert("erin".into(), member("age1erin"));
        theirs.departures.push(crate::vault::Departure {
            handle: "frank".into(),
            key: "age1frank".into(),
            kind: crate::vault::DepartureKind::Removed,
            at: "t".into(),
            by: "a".into(),
            revision: 2,
            lost: vec!["shop/team".into()],
        });
        let m = three_way(&base, &ours, &theirs);
        assert!(m.conflicts.is_empty());
        let names: Vec<&String> = m.vault.members.keys().collect();
        assert_eq!(names, ["dave", "erin"]);
        assert_eq!(m.vault.departures.len(), 1);
    }

    #[test]
    fn an_app_removed_on_one_side_and_changed_on_the_other_conflicts() {
        let base = vault();
        let (mut ours, mut theirs) = (base.clone(), base.clone());
        ours.apps.clear();
        rotate(&mut theirs, 2, "2026-01-03T00:00:00Z", "t");
        let m = three_way(&base, &ours, &theirs);
        assert_eq!(
            m.conflicts,
            ["apps/shop: removed on one side and changed on the other"]
        );
    }
}
