//! The three-way merge of two copies of a vault, as git's merge driver needs it. The merge on
//! structure needs no key: it combines members, apps, rosters, values and histories, picks the
//! data key each level keeps, and says what a person who can read must still do (re-seal values
//! sealed under a key the other side replaced, renumber a rotation) or what conflicts. The
//! keyed steps that follow (`conflicts`, `reseal`, `signature`) take the merging person's
//! identity and this clone's `Guard` from the caller, so the rules of a merge live here and
//! `commands::git::merge` only reads the files, judges trust, signs (trust's `sign_change`),
//! writes and reports.

mod apps;
mod conflicts;
mod fields;
mod history;
mod keys;
mod maps;
mod merged;
mod reseal;
mod roster;
mod signature;

use std::collections::{BTreeMap, BTreeSet};

use super::model::Vault;
use maps::merge_equal;

pub use conflicts::conflicts;
pub use merged::{Contested, Merged, Reseal, Side, Sides, Stop};
pub use reseal::bring_up_to_date;
pub use signature::{settle_signature, Signature};

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
    vault.members = merge_equal(
        "members",
        &base.members,
        &ours.members,
        &theirs.members,
        &mut conflicts,
    );
    unite_records(&mut vault, theirs);
    let mut contested = Vec::new();
    vault.apps = apps::merge_apps(base, ours, theirs, &mut conflicts, &mut contested);
    let mut merged = Merged {
        vault,
        conflicts,
        reseal: Vec::new(),
        renumber: Vec::new(),
        rewrap: BTreeSet::new(),
        exposed: BTreeMap::new(),
        contested,
    };
    roster::check_roster(&mut merged);
    roster::check_given_back(&mut merged, base, [ours, theirs]);
    let names: Vec<String> = merged.vault.apps.keys().cloned().collect();
    for name in names {
        history::order_histories(&mut merged, &name);
        keys::settle_keys(&mut merged, base, ours, theirs, &name);
    }
    merged
}

/// Departures, returns, waivers and tombstones are records that only accumulate: the merge
/// keeps every one either side holds. Invitations and join requests combine: an invitation
/// either side used is used (never reopened), and a request either side holds stays until an
/// approval drops it.
fn unite_records(vault: &mut Vault, theirs: &Vault) {
    unite(&mut vault.departures, &theirs.departures);
    unite(&mut vault.returns, &theirs.returns);
    unite(&mut vault.waivers, &theirs.waivers);
    unite(&mut vault.tombstones, &theirs.tombstones);
    for inv in &theirs.invitations {
        match vault.invitations.iter_mut().find(|i| i.id == inv.id) {
            Some(mine) => mine.used |= inv.used,
            None => vault.invitations.push(inv.clone()),
        }
    }
    unite(&mut vault.requests, &theirs.requests);
    let used: Vec<String> = vault
        .invitations
        .iter()
        .filter(|i| i.used)
        .map(|i| i.id.clone())
        .collect();
    vault.requests.retain(|r| !used.contains(&r.invitation));
}

/// Adds to `ours`, in order, what `theirs` holds that it lacks.
fn unite<T: Clone + PartialEq>(ours: &mut Vec<T>, theirs: &[T]) {
    for item in theirs {
        if !ours.contains(item) {
            ours.push(item.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::roster::merge_roster;
    use super::*;
    use crate::vault::model::{App, Field, Sealed, Secret, WrappedKey};
    use crate::wechat::{Level, Role};

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

    fn member(key: &str) -> crate::vault::Member {
        crate::vault::Member {
            key: key.into(),
            signing_key: None,
            owner: false,
            service: false,
            added_by: "a".into(),
            added_at: "t".into(),
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
        assert_eq!(*m.contested[0].theirs.set_at, *"2026-01-03T00:00:00Z");
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
        base.members.insert("carol".into(), member("age1carol"));
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
        base.members.insert("carol".into(), member("age1carol"));
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
