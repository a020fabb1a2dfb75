//! A secret's history after a merge: which rotation is current and which number it carries.
//! These are format rules (a version's number only grows, the current version is first), so
//! they live here rather than in the merge driver that applies them with a key.

use super::apps::same_sealed;
use super::merged::Merged;
use crate::vault::model::{Sealed, Secret, HISTORY};

/// Newest first by number; the version written under the latest policy revision becomes
/// current (the writers' clocks only break a tie, and order format-3 values, which carry no
/// revision), which may need the next number when it was numbered lower than another kept one.
pub(super) fn order_histories(merged: &mut Merged, name: &str) {
    let Some(app) = merged.vault.apps.get_mut(name) else {
        return;
    };
    for (secret_name, secret) in &mut app.secrets {
        let key = |v: &Sealed| {
            (
                v.revision,
                v.set_at.as_evidence(),
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

/// The number a renumbered rotation takes: above every version the merged history keeps and
/// every version this clone has seen of the secret (`seen`), so no number is ever reused.
pub(super) fn next_number(secret: &Secret, seen: u64) -> u64 {
    let top = secret
        .versions
        .iter()
        .filter_map(|v| v.version)
        .max()
        .unwrap_or(0);
    top.max(seen) + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wechat::Level;

    fn secret(numbers: &[Option<u64>]) -> Secret {
        let sealed = |version| Sealed {
            revision: None,
            restored: None,
            version,
            set_by: "a".into(),
            set_at: "2026-01-01T00:00:00Z".into(),
            sealed_by: None,
            value: "v".into(),
            sig: None,
        };
        Secret {
            access: Level::Developer,
            versions: numbers.iter().copied().map(sealed).collect(),
        }
    }

    #[test]
    fn a_renumbered_rotation_goes_above_every_number_kept_or_seen() {
        assert_eq!(next_number(&secret(&[Some(2), Some(3), Some(1)]), 0), 4);
        assert_eq!(next_number(&secret(&[Some(2), Some(3)]), 7), 8);
        assert_eq!(next_number(&secret(&[None]), 0), 1);
    }
}
