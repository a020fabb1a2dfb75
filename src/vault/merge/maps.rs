//! The three-way rule for maps, which members, apps and every map inside an app follow: what
//! one side changed wins, what both changed alike is kept, and what both changed differently
//! is combined where the caller knows how, or is a conflict.

use std::collections::{BTreeMap, BTreeSet};

/// A three-way merge of maps whose entries are equal or not, with no way to combine two
/// changes: members, an app's services and public values.
pub(super) fn merge_equal<V: Clone + PartialEq>(
    path: &str,
    base: &BTreeMap<String, V>,
    ours: &BTreeMap<String, V>,
    theirs: &BTreeMap<String, V>,
    conflicts: &mut Vec<String>,
) -> BTreeMap<String, V> {
    merge_map(
        path,
        base,
        ours,
        theirs,
        |a, b| a == b,
        conflicts,
        |_, _, _, _, _| None,
    )
}

/// A three-way merge of maps: what one side changed wins; what both changed alike is kept;
/// what both changed differently goes to `both`, or conflicts when it gives nothing.
pub(super) fn merge_map<V: Clone>(
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
