//! What changed in who reads what: members (keys, signing keys, owner and service flags) and,
//! app by app, the AppID, roles, services, each level's readers and key, floors and public
//! facts.

use std::collections::{BTreeMap, BTreeSet};

use super::change::{roles, show_key, show_signing_key, Change};
use super::facts::{Policy, PolicyApp, PolicyMember};

/// Members added, removed or changed.
pub(super) fn member_changes(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
    for (handle, m) in &new.members {
        let Some(o) = old.members.get(handle) else {
            out.push(member_added(handle, m));
            continue;
        };
        member_changed(handle, o, m, out);
    }
    for handle in old.members.keys().filter(|h| !new.members.contains_key(*h)) {
        out.push(Change::new(format!("member '{handle}' was removed")));
    }
}

/// A new member, with the keys a person compares; a new owner is an owner change.
fn member_added(handle: &str, m: &PolicyMember) -> Change {
    let added = Change::new(format!(
        "member '{handle}' was added{}",
        if m.owner {
            " as an owner"
        } else if m.service {
            " as a service member"
        } else {
            ""
        }
    ))
    .detail(format!(
        ": key {}, signing key {}",
        show_key(&m.key),
        show_signing_key(m.signing_key.as_deref())
    ));
    if m.owner {
        added.of_owner(handle)
    } else {
        added
    }
}

/// A member's keys and flags, from `o` to `m`; an owner's keys are owner changes.
fn member_changed(handle: &str, o: &PolicyMember, m: &PolicyMember, out: &mut Vec<Change>) {
    let owner = o.owner || m.owner;
    let mut keyed = |what: &str, was: String, now: String| {
        let change = Change::new(format!("{handle}'s {what} changed"))
            .detail(format!(": from {was} to {now}"));
        out.push(if owner {
            change.of_owner(handle)
        } else {
            change
        });
    };
    if o.key != m.key {
        keyed("key", show_key(&o.key), show_key(&m.key));
    }
    if o.signing_key != m.signing_key {
        keyed(
            "signing key",
            show_signing_key(o.signing_key.as_deref()),
            show_signing_key(m.signing_key.as_deref()),
        );
    }
    if o.owner != m.owner {
        out.push(if m.owner {
            Change::new(format!("{handle} was made an owner")).of_owner(handle)
        } else {
            Change::new(format!("{handle} was removed as an owner"))
        });
    }
    if o.service != m.service {
        out.push(Change::new(if m.service {
            format!("{handle} was made a service member")
        } else {
            format!("{handle} is no longer a service member")
        }));
    }
}

/// Everything about one app that changed, from `o` to `app`.
pub(super) fn app_changes(name: &str, o: &PolicyApp, app: &PolicyApp, out: &mut Vec<Change>) {
    if o.appid != app.appid {
        out.push(
            Change::new(format!("the AppID of '{name}' changed to {}", app.appid))
                .detail(format!(" (was {})", o.appid)),
        );
    }
    roster_changes(name, o, app, out);
    service_changes(name, o, app, out);
    key_changes(name, o, app, out);
    public_changes(name, o, app, out);
}

fn roster_changes(name: &str, o: &PolicyApp, app: &PolicyApp, out: &mut Vec<Change>) {
    let handles: BTreeSet<&String> = app.roster.keys().chain(o.roster.keys()).collect();
    for handle in handles {
        let (was, now) = (o.roster.get(handle), app.roster.get(handle));
        let (was, now) = (was.filter(|r| !r.is_empty()), now.filter(|r| !r.is_empty()));
        match (was, now) {
            (None, Some(now)) => out.push(Change::new(format!(
                "{handle} was given a role on {name}: {}",
                roles(now)
            ))),
            (Some(was), None) => out.push(
                Change::new(format!("{handle} lost every role on {name}"))
                    .detail(format!(" (was {})", roles(was))),
            ),
            (Some(was), Some(now)) if was != now => out.push(
                Change::new(format!(
                    "{handle}'s role on {name} changed to {}",
                    roles(now)
                ))
                .detail(format!(" (was {})", roles(was))),
            ),
            _ => {}
        }
    }
}

fn key_changes(name: &str, o: &PolicyApp, app: &PolicyApp, out: &mut Vec<Change>) {
    for (level, key) in &app.data_keys {
        let Some(ok) = o.data_keys.get(level) else {
            out.push(Change::new(format!(
                "the readers of {name}'s {level} key are {}",
                key.readers.join(", ")
            )));
            continue;
        };
        if ok.readers != key.readers {
            out.push(
                Change::new(format!(
                    "the readers of {name}'s {level} key changed to {}",
                    key.readers.join(", ")
                ))
                .detail(reader_difference(&ok.readers, &key.readers)),
            );
        }
        if ok.commitment != key.commitment {
            out.push(Change::new(format!(
                "the {level} data key of {name} was replaced"
            )));
        }
    }
    for level in o
        .data_keys
        .keys()
        .filter(|l| !app.data_keys.contains_key(*l))
    {
        out.push(Change::new(format!("{name}'s {level} key was removed")));
    }
    let (was, now) = (
        o.floors.clone().unwrap_or_default(),
        app.floors.clone().unwrap_or_default(),
    );
    for (secret, level) in &now {
        match was.get(secret) {
            Some(before) if before == level => {}
            before => out.push(
                Change::new(format!(
                    "{secret} of {name} may be stored at the {level} level or above"
                ))
                .detail(before.map_or(String::new(), |b| format!(" (was {b})"))),
            ),
        }
    }
    for secret in was.keys().filter(|s| !now.contains_key(*s)) {
        out.push(Change::new(format!(
            "{secret} of {name} no longer has a minimum level"
        )));
    }
}

/// Each public fact (format 5) set, changed or removed.
fn public_changes(name: &str, o: &PolicyApp, app: &PolicyApp, out: &mut Vec<Change>) {
    let (was, now) = (
        o.public.clone().unwrap_or_default(),
        app.public.clone().unwrap_or_default(),
    );
    for key in was.keys().chain(now.keys()).collect::<BTreeSet<_>>() {
        match (was.get(key), now.get(key)) {
            (before, Some(value)) if before != Some(value) => out.push(
                Change::new(format!("the public {key} of {name} is {value}"))
                    .detail(before.map_or(String::new(), |b| format!(" (was {b})"))),
            ),
            (Some(_), None) => out.push(Change::new(format!(
                "the public {key} of {name} was removed"
            ))),
            _ => {}
        }
    }
}

/// " (added: …; removed: …)" between two reader lists.
fn reader_difference(was: &[String], now: &[String]) -> String {
    let added: Vec<&str> = now
        .iter()
        .filter(|h| !was.contains(h))
        .map(String::as_str)
        .collect();
    let removed: Vec<&str> = was
        .iter()
        .filter(|h| !now.contains(h))
        .map(String::as_str)
        .collect();
    let mut parts = Vec::new();
    if !added.is_empty() {
        parts.push(format!("added: {}", added.join(", ")));
    }
    if !removed.is_empty() {
        parts.push(format!("removed: {}", removed.join(", ")));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join("; "))
    }
}

fn service_changes(name: &str, o: &PolicyApp, app: &PolicyApp, out: &mut Vec<Change>) {
    let empty = BTreeMap::new();
    let (was, now) = (
        o.services.as_ref().unwrap_or(&empty),
        app.services.as_ref().unwrap_or(&empty),
    );
    for (handle, level) in now.iter().filter(|(h, l)| was.get(*h) != Some(*l)) {
        out.push(Change::new(format!(
            "service member {handle} reads {name} up to the {level} level"
        )));
    }
    for handle in was.keys().filter(|h| !now.contains_key(*h)) {
        out.push(Change::new(format!(
            "service member {handle} no longer reads {name}"
        )));
    }
}
