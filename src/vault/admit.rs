//! What a vault admits as a new value, whichever command brings it (`add-secret`,
//! `config set`, `import`): a name that does not take over how programs start, a size the file
//! bounds keep, and one kind per name. Rules of the format, so they live beside it, once.

use crate::error::{Error, Result};
use crate::vault::App;

/// Names that take over how programs start are never set by a vault (see `envnames`).
pub fn refuse_startup_name(name: &str) -> Result<()> {
    match crate::envnames::takes_over_startup(name) {
        None => Ok(()),
        Some(why) => Err(Error::invalid(
            format!("{name} cannot be stored in a vault, because {why}"),
            "choose another name; a build's own environment sets it, never the vault",
        )),
    }
}

/// Values are bounded on input as files are on load (`vault::limits`).
pub fn check_value_size(name: &str, value: &str) -> Result<()> {
    let max = crate::vault::limits::MAX_VALUE_BYTES;
    if value.len() > max {
        return Err(Error::invalid(
            format!(
                "the value for {name} is {} bytes, more than the {} KiB a vault keeps",
                value.len(),
                max >> 10
            ),
            "keep large files elsewhere; a vault holds keys, secrets and settings",
        ));
    }
    Ok(())
}

/// Whether `name` is config of the app, of either kind, in the base config or any mode.
pub fn is_config(app: &App, name: &str) -> bool {
    matches!(app.kind_of(name), Some("bundle config" | "build config"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::limits::MAX_VALUE_BYTES;

    #[test]
    fn a_value_may_fill_the_bound_but_not_cross_it() {
        assert!(check_value_size("A", &"x".repeat(MAX_VALUE_BYTES)).is_ok());
        assert!(check_value_size("A", &"x".repeat(MAX_VALUE_BYTES + 1)).is_err());
    }

    #[test]
    fn names_that_take_over_startup_are_refused() {
        assert!(refuse_startup_name("NODE_OPTIONS").is_err());
        assert!(refuse_startup_name("API_TOKEN").is_ok());
    }
}
