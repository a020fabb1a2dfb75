//! Where a field's sealed value sits in an app (a secret's field holds its whole history), so
//! the merge can find the copy of a value on either side and put a re-sealed one in its place.

use crate::vault::model::{App, Field, Sealed, Vault};

/// Every sealed value at a field of an app: one, none, or a secret's history newest first.
fn values_at<'a>(a: &'a App, field: &Field) -> Vec<&'a Sealed> {
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

fn candidates<'v>(vault: &'v Vault, app: &str, field: &Field) -> Vec<&'v Sealed> {
    vault
        .apps
        .get(app)
        .map(|a| values_at(a, field))
        .unwrap_or_default()
}

pub(super) fn holds(
    vault: &Vault,
    app: &str,
    field: &Field,
    test: impl Fn(&Sealed) -> bool,
) -> bool {
    candidates(vault, app, field).into_iter().any(test)
}

pub(super) fn find(
    vault: &Vault,
    app: &str,
    field: &Field,
    test: impl Fn(&Sealed) -> bool,
) -> Option<Sealed> {
    candidates(vault, app, field)
        .into_iter()
        .find(|s| test(s))
        .cloned()
}

/// The sealed value at a field (and history index) of an app.
pub(super) fn sealed_mut<'a>(
    app: &'a mut App,
    field: &Field,
    index: usize,
) -> Option<&'a mut Sealed> {
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
pub(super) fn counterpart(
    vault: &Vault,
    app: &str,
    field: &Field,
    sealed: &Sealed,
) -> Option<Sealed> {
    find(vault, app, field, |s| s == sealed)
}

/// A copy of the sealed value at a field (and history index; 0 for a field that is not a
/// secret) of an app.
pub(super) fn value_at(app: &App, field: &Field, index: usize) -> Option<Sealed> {
    values_at(app, field).get(index).map(|s| (*s).clone())
}

/// Puts `sealed` at a field (and history index) of an app of `vault`, where a value is.
pub(super) fn place(vault: &mut Vault, app: &str, field: &Field, index: usize, sealed: Sealed) {
    if let Some(slot) = vault
        .apps
        .get_mut(app)
        .and_then(|a| sealed_mut(a, field, index))
    {
        *slot = sealed;
    }
}
