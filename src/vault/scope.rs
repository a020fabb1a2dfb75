//! Which apps' values a command decodes. Every command reads every app's policy (AppID, roster,
//! data keys, floors, public facts): the owner's signature covers all of them. But most read
//! commands name one app, or none, and the values of the others (sealed config, contacts,
//! secrets and their histories) are most of the file. Those are passed over unbuilt, as JSON
//! that is checked for syntax and nothing else, and the app is marked (`Loaded`) so that no
//! command can take its empty maps for an app without values: `Vault::app` refuses it.
//!
//! Serde's derived code cannot be handed the scope, so it is kept in this thread for the length
//! of one `Vault::parse_scoped` (`with_scope`), and the map of apps sets each app's mode before
//! its fields are read.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

use super::model::App;

/// Which apps' values a command decodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every app: every write, and every command that looks at every app's values.
    All,
    /// The named apps; none at all for a command that needs the policy alone.
    Apps(Vec<String>),
    /// `app list`: each app's info (its title) and the names of its secrets.
    Listing,
}

impl Scope {
    /// The policy alone: no app's values.
    pub const POLICY: Scope = Scope::Apps(Vec::new());

    /// One app's values.
    pub fn app(name: &str) -> Self {
        Scope::Apps(vec![name.to_string()])
    }

    fn mode_of(&self, app: &str) -> Mode {
        match self {
            Scope::All => Mode::Whole,
            Scope::Apps(names) if names.iter().any(|n| n == app) => Mode::Whole,
            Scope::Apps(_) => Mode::Policy,
            Scope::Listing => Mode::Listing,
        }
    }
}

/// What of an app's values were decoded from the file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Loaded {
    #[default]
    All,
    /// Its info, and the names of its secrets (`Scope::Listing`).
    Listing(Vec<String>),
    /// None: its policy alone.
    Policy,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Whole,
    Listing,
    Policy,
}

thread_local! {
    /// The scope of the parse under way; none outside `with_scope`, where everything is read.
    static SCOPE: RefCell<Option<Scope>> = const { RefCell::new(None) };
    /// The mode of the app being read.
    static MODE: Cell<Mode> = const { Cell::new(Mode::Whole) };
    /// The names of the secrets of the app being read, in `Mode::Listing`.
    static NAMES: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Runs `parse` with `scope` in force; what was in force before is back afterwards, however
/// `parse` ends.
pub fn with_scope<T>(scope: &Scope, parse: impl FnOnce() -> T) -> T {
    struct Restore(Option<Scope>);
    impl Drop for Restore {
        fn drop(&mut self) {
            SCOPE.with(|s| *s.borrow_mut() = self.0.take());
            MODE.set(Mode::Whole);
        }
    }
    let _restore = Restore(SCOPE.with(|s| s.borrow_mut().replace(scope.clone())));
    parse()
}

/// The vault's map of apps, each read in the mode its name has in the scope.
pub fn apps<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, App>, D::Error> {
    struct Apps;
    impl<'de> Visitor<'de> for Apps {
        type Value = BTreeMap<String, App>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a map of apps")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut apps = BTreeMap::new();
            while let Some(name) = map.next_key::<String>()? {
                let mode = SCOPE.with(|s| s.borrow().as_ref().map_or(Mode::Whole, |s| s.mode_of(&name)));
                MODE.set(mode);
                NAMES.with(|n| n.borrow_mut().clear());
                let app = map.next_value::<App>();
                MODE.set(Mode::Whole);
                let mut app = app?;
                app.loaded = match mode {
                    Mode::Whole => Loaded::All,
                    Mode::Listing => Loaded::Listing(NAMES.with(|n| n.take())),
                    Mode::Policy => Loaded::Policy,
                };
                apps.insert(name, app);
            }
            Ok(apps)
        }
    }
    d.deserialize_map(Apps)
}

/// A section of values: decoded for an app in scope, passed over otherwise.
pub fn values<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    if MODE.get() == Mode::Whole {
        return T::deserialize(d);
    }
    IgnoredAny::deserialize(d)?;
    Ok(T::default())
}

/// The info section (the title): also decoded for `app list`.
pub fn info<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    if MODE.get() == Mode::Listing {
        return T::deserialize(d);
    }
    values(d)
}

/// The secrets: for `app list`, their names alone.
pub fn secrets<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    if MODE.get() != Mode::Listing {
        return values(d);
    }
    let names: BTreeMap<String, IgnoredAny> = BTreeMap::deserialize(d)?;
    NAMES.with(|n| *n.borrow_mut() = names.into_keys().collect());
    Ok(T::default())
}
