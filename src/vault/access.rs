//! Who may read which access level of an app.

use std::collections::BTreeSet;

use super::app::Field;
use super::model::Vault;
use crate::wechat::Level;

/// The level whose readers may write `field`, kept at `level`: a value that steers builds is
/// read by the team but written only from the developer level up.
pub fn write_level(field: &Field, level: Level) -> Level {
    if field.steers_builds() {
        level.max(Level::Developer)
    } else {
        level
    }
}

/// Owners read every level; otherwise a member reads the levels their roles reach.
pub fn readers(vault: &Vault, app: &str, level: Level) -> BTreeSet<String> {
    let mut readers: BTreeSet<String> = vault.owners().map(str::to_string).collect();
    if let Some(app) = vault.apps.get(app) {
        for (handle, roles) in &app.roster {
            if roles.iter().any(|r| r.level() >= level) {
                readers.insert(handle.clone());
            }
        }
        for (handle, reads) in &app.services {
            if *reads >= level && vault.is_service(handle) {
                readers.insert(handle.clone());
            }
        }
    }
    readers
}

/// Whether `handle` is among `readers(vault, app, level)`, without building the set: tables
/// ask it for every app.
pub fn can_read(vault: &Vault, app: &str, level: Level, handle: &str) -> bool {
    let Some(member) = vault.members.get(handle) else {
        return false;
    };
    let Some(app) = vault.apps.get(app) else {
        return member.owner;
    };
    if member.service {
        return app
            .services
            .get(handle)
            .is_some_and(|reads| *reads >= level);
    }
    member.owner
        || app
            .roster
            .get(handle)
            .is_some_and(|roles| roles.iter().any(|r| r.level() >= level))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::model::{App, Member};
    use crate::wechat::Role;
    use std::collections::BTreeMap;

    fn member(owner: bool) -> Member {
        Member {
            key: "k".into(),
            signing_key: None,
            owner,
            service: false,
            added_by: "a".into(),
            added_at: "t".into(),
        }
    }

    #[test]
    fn levels_follow_roles() {
        let mut vault = Vault::new("id".into(), "t".into());
        for (h, owner) in [
            ("alice", true),
            ("bob", false),
            ("carol", false),
            ("dave", false),
        ] {
            vault.members.insert(h.into(), member(owner));
        }
        let mut roster = BTreeMap::new();
        roster.insert("bob".to_string(), vec![Role::Developer]);
        roster.insert("carol".to_string(), vec![Role::Tester]);
        let mut app = App::new("wx0123456789abcdef".into(), "t".into());
        app.roster = roster;
        vault.apps.insert("shop".into(), app);
        let names = |l| readers(&vault, "shop", l).into_iter().collect::<Vec<_>>();
        assert_eq!(names(Level::Team), ["alice", "bob", "carol"]);
        assert_eq!(names(Level::Developer), ["alice", "bob"]);
        assert_eq!(names(Level::Admin), ["alice"]);
        for level in [Level::Team, Level::Developer, Level::Admin] {
            for who in ["alice", "bob", "carol", "dave", "nobody"] {
                let expected = readers(&vault, "shop", level).contains(who);
                assert_eq!(
                    can_read(&vault, "shop", level, who),
                    expected,
                    "{who} {level}"
                );
            }
        }
    }
}
