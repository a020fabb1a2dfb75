//! The one rule for the names a vault gives things: member handles, app names, build modes and
//! clients. A leaf, so that the model, its bounds and the health rules can all check a name
//! without importing each other; commands check what is typed by the same rule.

use crate::error::{Error, Result};

/// Member handles and app names: lowercase letters, digits, `.`, `_` and `-`, up to 40.
pub fn is_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let rest_ok = bytes
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'));
    first_ok && rest_ok && name.len() <= 40
}

/// [`is_name`], as an error that says what the `kind` of name must look like.
pub fn check_name(kind: &str, name: &str) -> Result<()> {
    if is_name(name) {
        return Ok(());
    }
    Err(Error::invalid(
        format!("'{name}' is not a valid {kind} name"),
        "use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit (at most 40)",
    ))
}
