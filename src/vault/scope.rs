//! Which apps' values a command decodes. Every command reads every app's policy (AppID, roster,
//! each data key's readers and commitment, floors, public facts): the owner's signature covers
//! all of them. But most read commands name one app, or none, and the values of the others
//! (sealed config, contacts, secrets and their histories) and their wrapped data keys are most
//! of the file. Those are passed over unbuilt, as JSON that is checked for syntax and nothing
//! else, and the app is marked (`Loaded`) so that no command can take its empty maps for an
//! app without values: `Vault::app` refuses it, and no write takes a vault read in part.
//!
//! Serde's derived code cannot be handed the scope, so it is kept in this thread for the length
//! of one `Vault::parse_scoped` (`with_scope`), and the map of apps sets each app's mode before
//! its fields are read.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

use crate::wechat::Level;

/// Which apps' values a command decodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every app: every write, and every command that looks at every app's values.
    All,
    /// The named apps; none at all for a command that needs the policy alone.
    Apps(Vec<String>),
    /// `app list`: each app's info (its title), and its other values without their
    /// ciphertexts and signatures.
    Listing,
}

impl Scope {
    /// The policy alone: no app's values.
    pub const POLICY: Scope = Scope::Apps(Vec::new());

    /// One app's values.
    pub fn app(name: &str) -> Self {
        Scope::Apps(vec![name.to_string()])
    }

    fn mode_of(&self, app: &str) -> Loaded {
        match self {
            Scope::All => Loaded::All,
            Scope::Apps(names) if names.iter().any(|n| n == app) => Loaded::All,
            Scope::Apps(_) => Loaded::Policy,
            Scope::Listing => Loaded::Listing,
        }
    }
}

/// A value that records what of it was decoded (an app: `App::loaded`), so `apps` can mark
/// it without this module knowing the model.
pub trait Marked {
    fn mark(&mut self, loaded: Loaded);
}

/// What of an app's values were decoded from the file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Loaded {
    #[default]
    All,
    /// Its info, and its other values without their ciphertexts and signatures
    /// (`Scope::Listing`): their names, and the secrets' levels and versions, which this
    /// clone's memory checks for rollbacks.
    Listing,
    /// None: its policy alone.
    Policy,
}

thread_local! {
    /// The scope of the parse under way; none outside `with_scope`, where everything is read.
    static SCOPE: RefCell<Option<Scope>> = const { RefCell::new(None) };
    /// What is read of the app being read.
    static MODE: Cell<Loaded> = const { Cell::new(Loaded::All) };
    /// Set while the values of an app are read in `Loaded::Listing` (but its info): their
    /// ciphertexts and signatures are passed over.
    static HOLLOW: Cell<bool> = const { Cell::new(false) };
    /// Set while a wrapped data key that no command will open is read: it is passed over.
    static UNOPENED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `parse` with `scope` in force; what was in force before is back afterwards, however
/// `parse` ends.
pub fn with_scope<T>(scope: &Scope, parse: impl FnOnce() -> T) -> T {
    struct Restore(Option<Scope>);
    impl Drop for Restore {
        fn drop(&mut self) {
            SCOPE.with(|s| *s.borrow_mut() = self.0.take());
            MODE.set(Loaded::All);
            HOLLOW.set(false);
            UNOPENED.set(false);
        }
    }
    let _restore = Restore(SCOPE.with(|s| s.borrow_mut().replace(scope.clone())));
    parse()
}

/// The vault's map of apps, each read in the mode its name has in the scope.
pub fn apps<'de, D, T>(d: D) -> Result<BTreeMap<String, T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Marked,
{
    struct Apps<T>(PhantomData<T>);
    impl<'de, T: Deserialize<'de> + Marked> Visitor<'de> for Apps<T> {
        type Value = BTreeMap<String, T>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a map of apps")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut apps = BTreeMap::new();
            while let Some(name) = map.next_key::<String>()? {
                let mode = SCOPE.with(|s| {
                    s.borrow()
                        .as_ref()
                        .map_or(Loaded::All, |s| s.mode_of(&name))
                });
                MODE.set(mode);
                let app = map.next_value::<T>();
                MODE.set(Loaded::All);
                let mut app = app?;
                app.mark(mode);
                apps.insert(name, app);
            }
            Ok(apps)
        }
    }
    d.deserialize_map(Apps(PhantomData))
}

/// A section of values: decoded for an app in scope; for `app list`, decoded without its
/// ciphertexts and signatures (every rule of its shape is still checked); passed over otherwise.
pub fn values<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    match MODE.get() {
        Loaded::All => T::deserialize(d),
        Loaded::Listing => {
            HOLLOW.set(true);
            let values = T::deserialize(d);
            HOLLOW.set(false);
            values
        }
        Loaded::Policy => {
            IgnoredAny::deserialize(d)?;
            Ok(T::default())
        }
    }
}

/// The info section (the title): decoded whole for `app list` too.
pub fn info<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    if MODE.get() == Loaded::Listing {
        return T::deserialize(d);
    }
    values(d)
}

/// A sealed value's ciphertext: left empty in a listing (`values`).
pub fn ciphertext<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    if HOLLOW.get() {
        IgnoredAny::deserialize(d)?;
        return Ok(String::new());
    }
    String::deserialize(d)
}

/// An app's data keys: for `app list`, the team key alone is kept whole (it opens titles);
/// for an app read for its policy alone, none is.
pub fn data_keys<'de, D, K>(d: D) -> Result<BTreeMap<Level, K>, D::Error>
where
    D: Deserializer<'de>,
    K: Deserialize<'de>,
{
    struct Keys<K>(PhantomData<K>);
    impl<'de, K: Deserialize<'de>> Visitor<'de> for Keys<K> {
        type Value = BTreeMap<Level, K>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a map of data keys")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut keys = BTreeMap::new();
            while let Some(level) = map.next_key::<Level>()? {
                let opened = match MODE.get() {
                    Loaded::All => true,
                    Loaded::Listing => level == Level::Team,
                    Loaded::Policy => false,
                };
                UNOPENED.set(!opened);
                let key = map.next_value::<K>();
                UNOPENED.set(false);
                keys.insert(level, key?);
            }
            Ok(keys)
        }
    }
    if MODE.get() == Loaded::All {
        return BTreeMap::deserialize(d);
    }
    d.deserialize_map(Keys(PhantomData))
}

/// A wrapped data key: left empty where it will not be opened (`data_keys`).
pub fn wrapped_key<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    if UNOPENED.get() {
        IgnoredAny::deserialize(d)?;
        return Ok(String::new());
    }
    String::deserialize(d)
}

/// A sealed value's writer's signature: in a listing, whether there is one, not what it says.
pub fn signature<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    if HOLLOW.get() {
        let present: Option<IgnoredAny> = Deserialize::deserialize(d)?;
        return Ok(present.map(|_| String::new()));
    }
    Deserialize::deserialize(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::vault::{Field, Vault};
    use crate::wechat::Level;

    const VECTOR: &[u8] = include_bytes!("../../tests/vectors/format-3/mpvault.json");

    fn internal(e: &Error) -> bool {
        matches!(e, Error::Internal { .. })
    }

    /// An app out of scope has its policy and nothing else, and every way to its values is an
    /// error, never its empty maps.
    #[test]
    fn an_app_out_of_scope_gives_its_policy_and_refuses_its_values() {
        let whole = Vault::parse(VECTOR).unwrap();
        let none = Vault::parse_scoped(VECTOR, &Scope::POLICY).unwrap();
        let shop = none.app_policy("shop").unwrap();
        assert_eq!(shop.loaded, Loaded::Policy);
        assert!(shop.secrets.is_empty() && shop.config.is_empty());
        assert_eq!(shop.roster, whole.apps["shop"].roster);
        for (level, key) in &shop.data_keys {
            let signed = &whole.apps["shop"].data_keys[level];
            assert_eq!(
                (&key.readers, &key.commitment),
                (&signed.readers, &signed.commitment)
            );
            assert!(
                key.wrapped.is_empty(),
                "no key of an app out of scope is opened"
            );
        }
        assert!(internal(
            &none.wrapped_key("shop", Level::Team).unwrap_err()
        ));
        assert!(internal(&none.app("shop").unwrap_err()));
        assert!(internal(&none.secret_names("shop").unwrap_err()));
        assert!(internal(&none.require_whole().unwrap_err()));
        let title = Field::Info("title".into());
        assert!(internal(&none.app_holding("shop", &title).unwrap_err()));
        // An unknown app is the user's mistake, told as such.
        assert!(matches!(none.app("nope"), Err(Error::NotFound { .. })));
    }

    #[test]
    fn an_app_in_scope_reads_as_in_the_whole_vault() {
        let whole = Vault::parse(VECTOR).unwrap();
        let one = Vault::parse_scoped(VECTOR, &Scope::app("shop")).unwrap();
        assert_eq!(one.app("shop").unwrap(), whole.app("shop").unwrap());
        assert_eq!(one.apps["blog"].loaded, Loaded::Policy);
        assert_eq!(
            crate::vault::policy::signed_bytes(&one),
            crate::vault::policy::signed_bytes(&whole)
        );
    }

    #[test]
    fn the_listing_has_every_apps_info_and_secret_names() {
        let whole = Vault::parse(VECTOR).unwrap();
        let list = Vault::parse_scoped(VECTOR, &Scope::Listing).unwrap();
        for name in ["blog", "shop"] {
            assert_eq!(
                list.secret_names(name).unwrap(),
                whole.secret_names(name).unwrap()
            );
            assert_eq!(list.apps[name].info, whole.apps[name].info);
            let (listed, secrets) = (&list.apps[name].secrets, &whole.apps[name].secrets);
            for (secret, s) in listed {
                assert_eq!(s.access, secrets[secret].access);
                assert_eq!(s.versions[0].version, secrets[secret].versions[0].version);
                assert!(s.versions.iter().all(|v| v.value.is_empty()));
                assert!(s.versions.iter().all(|v| v.sig.as_deref() == Some("")));
            }
        }
        assert!(!list.apps["shop"].secrets.is_empty());
        let title = Field::Info("title".into());
        assert!(list.app_holding("shop", &title).is_ok());
        let team = list.wrapped_key("shop", Level::Team).unwrap().unwrap();
        assert_eq!(team, &whole.apps["shop"].data_keys[&Level::Team]);
        assert!(internal(
            &list.wrapped_key("shop", Level::Admin).unwrap_err()
        ));
        let secret = Field::Secret("WECHAT_APPSECRET".into());
        assert!(internal(&list.app_holding("shop", &secret).unwrap_err()));
        assert!(internal(&list.app("shop").unwrap_err()));
    }

    /// A vault read in part is never written: it would lose what it passed over.
    #[test]
    fn a_vault_read_in_part_is_never_written() {
        let one = Vault::parse_scoped(VECTOR, &Scope::app("shop")).unwrap();
        assert!(one.write_json(Vec::new()).is_err());
        let both = Scope::Apps(vec!["shop".into(), "blog".into()]);
        let whole = Vault::parse_scoped(VECTOR, &both).unwrap();
        assert!(whole.write_json(Vec::new()).is_ok());
    }

    /// The scope lasts for one parse: the next, by any caller, reads everything.
    #[test]
    fn the_scope_ends_with_its_parse() {
        let _ = Vault::parse_scoped(b"{ not json", &Scope::POLICY);
        let _ = Vault::parse_scoped(VECTOR, &Scope::POLICY).unwrap();
        let after: Vault = serde_json::from_slice(VECTOR).unwrap();
        assert!(after.apps.values().all(|a| a.loaded == Loaded::All));
        assert!(!after.apps["shop"].secrets.is_empty());
    }
}
