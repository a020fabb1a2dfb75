//! What changed in the signed records: departures and returns, rotation waivers, removed
//! apps' tombstones and invitations. A record erased is a change a review must show as loudly
//! as one added.

use super::change::{roles, show_key, Change};
use super::facts::Policy;

pub(super) fn departure_changes(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
    for d in old
        .departures()
        .iter()
        .filter(|d| !new.departures().contains(d))
    {
        out.push(Change::new(format!(
            "the record that {} was {} in revision {} was erased",
            d.handle,
            d.kind.as_str(),
            d.revision
        )));
    }
    for d in new
        .departures()
        .iter()
        .filter(|d| !old.departures().contains(d))
    {
        let lost = if d.lost.is_empty() {
            "nothing".to_string()
        } else {
            d.lost.join(", ")
        };
        let when = if d.revision == 0 {
            String::new()
        } else {
            format!(" in revision {}", d.revision)
        };
        out.push(
            Change::new(format!(
                "{} is recorded as {} (lost: {lost})",
                d.handle,
                d.kind.as_str()
            ))
            .detail(format!(", by {}{when}, key {}", d.by, show_key(&d.key))),
        );
    }
}

pub(super) fn return_changes(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
    for r in old.returns().iter().filter(|r| !new.returns().contains(r)) {
        out.push(Change::new(format!(
            "the record that {} was given back {} in revision {} was erased",
            r.handle,
            r.regained.join(", "),
            r.revision
        )));
    }
    for r in new.returns().iter().filter(|r| !old.returns().contains(r)) {
        let when = if r.revision == 0 {
            String::new()
        } else {
            format!(" in revision {}", r.revision)
        };
        out.push(
            Change::new(format!(
                "{} is recorded as given back {}",
                r.handle,
                r.regained.join(", ")
            ))
            .detail(format!(", by {}{when}, key {}", r.by, show_key(&r.key))),
        );
    }
}

pub(super) fn tombstone_changes(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
    for t in old
        .tombstones()
        .iter()
        .filter(|t| !new.tombstones().contains(t))
    {
        out.push(Change::new(format!(
            "the record that app '{}' ({}) was removed in revision {} was erased",
            t.app, t.appid, t.revision
        )));
    }
    for t in new
        .tombstones()
        .iter()
        .filter(|t| !old.tombstones().contains(t))
    {
        let readers: Vec<String> = t
            .readers
            .iter()
            .map(|r| format!("{} {}", r.handle, r.level))
            .collect();
        out.push(
            Change::new(format!(
                "app '{}' ({}) is recorded as removed by {}",
                t.app, t.appid, t.by
            ))
            .detail(format!(
                " at {}; readers then: {}",
                t.removed_at,
                if readers.is_empty() {
                    "none".to_string()
                } else {
                    readers.join(", ")
                }
            )),
        );
    }
}

pub(super) fn waiver_changes(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
    for w in old.waivers().iter().filter(|w| !new.waivers().contains(w)) {
        out.push(Change::new(format!(
            "the waiver of {} of '{}' by {} in revision {} was erased",
            w.secret, w.app, w.by, w.revision
        )));
    }
    for w in new.waivers().iter().filter(|w| !old.waivers().contains(w)) {
        out.push(
            Change::new(format!(
                "{} waived the rotation of {} of '{}'{}: \"{}\"",
                w.by,
                w.secret,
                w.app,
                w.departed
                    .as_ref()
                    .map(|h| format!(" after {h}'s departure"))
                    .unwrap_or_default(),
                crate::display::escape(&w.reason)
            ))
            .detail(if w.revision == 0 {
                format!(", at {}", w.at)
            } else {
                format!(", at {} in revision {}", w.at, w.revision)
            }),
        );
    }
}

pub(super) fn invitation_changes(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
    let find = |p: &'_ Policy, id: &str| p.invitations().iter().find(|i| i.id == id).cloned();
    for i in new.invitations() {
        let roles: Vec<String> = i
            .roles
            .iter()
            .map(|(app, r)| format!("{app}: {}", roles(r)))
            .collect();
        match find(old, &i.id) {
            None => out.push(
                Change::new(format!("'{}' was invited by {}", i.handle, i.by)).detail(format!(
                    " (roles: {}; expires {}; inviter fingerprint {})",
                    if roles.is_empty() {
                        "none".to_string()
                    } else {
                        roles.join("; ")
                    },
                    i.expires,
                    crate::key::fingerprint(&i.by_key)
                )),
            ),
            Some(o) if o != *i => {
                let what = if i.used && !o.used {
                    format!("the invitation of '{}' was used", i.handle)
                } else {
                    format!("the invitation of '{}' was changed", i.handle)
                };
                out.push(Change::new(what));
            }
            Some(_) => {}
        }
    }
    for i in old.invitations() {
        if find(new, &i.id).is_none() {
            out.push(Change::new(format!(
                "the invitation of '{}' was withdrawn",
                i.handle
            )));
        }
    }
}
