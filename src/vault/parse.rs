//! Reading a vault file into the model: bounds first, then the format, then the model and
//! its rules. Its own module so that the model (`model`) and the bounds (`limits`) need not
//! know each other: this is the one place that runs them in order.

use serde::Deserialize;

use super::limits;
use super::model::{damaged, Vault, NEWEST, RESTORE};
use super::scope::{with_scope, Scope};
use super::structure;
use crate::error::{Error, Result};

impl Vault {
    /// Parses and checks a vault file. A newer format is refused before anything else is read.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        Self::parse_scoped(bytes, &Scope::All)
    }

    /// `parse`, decoding the values of the apps `scope` reaches and only the policy of the
    /// others (see `vault::scope`). The bounds of the whole file's bytes, every app's policy
    /// and the values decoded are checked; values passed over are checked for JSON syntax
    /// alone, and no command can read them (`Vault::app`) or write the vault.
    pub fn parse_scoped(bytes: &[u8], scope: &Scope) -> Result<Self> {
        limits::check_bytes(bytes).map_err(|what| damaged(&what))?;
        // Parsed straight into the model (no `serde_json::Value` tree of the whole file). A
        // file that does not fit it is probed for its format alone, so a newer format is
        // named as such rather than as malformed.
        let parsed = with_scope(scope, || serde_json::from_slice(bytes));
        let vault: Vault = match parsed {
            Ok(vault) => vault,
            Err(e) => {
                check_format(probe_format(bytes)?)?;
                return Err(damaged(&format!("the vault file is malformed: {e}")));
            }
        };
        check_format(Some(u64::from(vault.format)))?;
        structure::check(&vault)
            .and_then(|()| limits::check(&vault))
            .map_err(|what| damaged(&what))?;
        Ok(vault)
    }
}

/// The format a vault file names, when it names one, reading nothing else into memory.
fn probe_format(bytes: &[u8]) -> Result<Option<u64>> {
    match serde_json::from_slice::<Probe>(bytes) {
        Ok(probe) if bytes.trim_ascii_start().starts_with(b"{") => {
            Ok(probe.format.and_then(|f| f.as_u64()))
        }
        Ok(_) => Ok(None),
        Err(e) if e.is_syntax() || e.is_eof() => {
            let why = if e.is_eof() {
                "is truncated"
            } else {
                "is not valid JSON"
            };
            Err(Error::corrupt(
                format!(
                    "the vault file {why} (line {}, column {})",
                    e.line(),
                    e.column()
                ),
                RESTORE,
            ))
        }
        Err(_) => Ok(None),
    }
}

/// Refuses a file with no format version, or a newer one than this build reads.
fn check_format(format: Option<u64>) -> Result<()> {
    match format {
        None => Err(Error::corrupt(
            "this file is not an mpvault vault (it has no format version)",
            "point --vault at an mpvault.json, or run `mpvault init` to create one",
        )),
        Some(v) if v > u64::from(NEWEST) => Err(Error::corrupt(
            format!(
                "this vault uses format {v}, newer than this mpvault understands (format {NEWEST})"
            ),
            "upgrade mpvault to open it",
        )),
        Some(_) => Ok(()),
    }
}

/// The one field read before the rest of a vault file; other fields are skipped unbuilt.
#[derive(Deserialize)]
struct Probe {
    #[serde(default)]
    format: Option<serde_json::Value>,
}
