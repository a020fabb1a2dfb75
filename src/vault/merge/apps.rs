//! One app merged on both sides: what the policy signs of it (AppID, roster, services, public
//! values, floors) and its sealed values. A value's identity is its version, writer and time,
//! not its ciphertext, so a value re-sealed under a replaced key is still the same value.

use std::collections::{BTreeMap, BTreeSet};

use super::maps::{merge_equal, merge_map};
use super::merged::Contested;
use super::roster::merge_roster;
use crate::vault::model::{App, Field, Sealed, Secret, Vault};

/// A value's identity: its version, writer and time, whatever key it is sealed under (a data
/// key replaced on one side re-seals values without changing them).
pub(super) fn same_sealed(a: &Sealed, b: &Sealed) -> bool {
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

/// Every app either side holds; apps that differ only in their data keys are the same app.
pub(super) fn merge_apps(
    base: &Vault,
    ours: &Vault,
    theirs: &Vault,
    conflicts: &mut Vec<String>,
    contested: &mut Vec<Contested>,
) -> BTreeMap<String, App> {
    merge_map(
        "apps",
        &base.apps,
        &ours.apps,
        &theirs.apps,
        same_app,
        conflicts,
        |path, b, o, t, c| Some(merge_app(path, b, o, t, c, contested)),
    )
}

/// One app both sides changed: its signed parts, then its values. Keys are settled once the
/// whole roster is known (`keys::settle_keys`).
fn merge_app(
    path: &str,
    base: Option<&App>,
    ours: &App,
    theirs: &App,
    conflicts: &mut Vec<String>,
    contested: &mut Vec<Contested>,
) -> App {
    let empty = App::new(String::new(), crate::date::Timestamp::default());
    let b = base.unwrap_or(&empty);
    let mut app = ours.clone();
    merge_app_policy(&mut app, path, [b, ours, theirs], conflicts);
    merge_app_values(&mut app, path, [b, ours, theirs], conflicts, contested);
    app
}

/// What the policy signs of an app: its AppID, roster, services, public values and floors.
fn merge_app_policy(
    app: &mut App,
    path: &str,
    [b, ours, theirs]: [&App; 3],
    conflicts: &mut Vec<String>,
) {
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
    )
    .into();
    app.roster = merge_roster(&b.roster, &ours.roster, &theirs.roster);
    app.services = merge_equal(
        &format!("{path}/services"),
        &b.services,
        &ours.services,
        &theirs.services,
        conflicts,
    );
    app.public = merge_equal(
        &format!("{path}/public"),
        &b.public,
        &ours.public,
        &theirs.public,
        conflicts,
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
}

/// An app's sealed values: plain values by kind, per-mode config, and secrets' histories.
fn merge_app_values(
    app: &mut App,
    path: &str,
    sides: [&App; 3],
    conflicts: &mut Vec<String>,
    contested: &mut Vec<Contested>,
) {
    let [b, ours, theirs] = sides;
    let mut plain = |kind, pick: fn(&App) -> &BTreeMap<String, Sealed>| {
        merge_plain(path, kind, sides.map(pick), conflicts, contested)
    };
    app.info = plain("info", |a| &a.info);
    app.contact = plain("contact", |a| &a.contact);
    app.config = plain("config", |a| &a.config);
    app.build = plain("build", |a| &a.build);
    app.modes = merge_modes(path, "config", sides, conflicts, contested);
    app.build_modes = merge_modes(path, "build", sides, conflicts, contested);
    app.secrets = merge_map(
        &format!("{path}/secrets"),
        &b.secrets,
        &ours.secrets,
        &theirs.secrets,
        same_secret,
        conflicts,
        |here, _, o, t, c| Some(merge_secret(here, o, t, c)),
    );
}

/// One map of plain values (`kind`: info, contact, config, build, `modes/M/config` or
/// `modes/M/build`). A key both
/// sides set differently keeps ours for now and is contested: it is settled by whoever merges
/// and can read both values (`contested::settle_contested`).
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
/// first. The later rotation is the current one (`history::order_histories`).
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
