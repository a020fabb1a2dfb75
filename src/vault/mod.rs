//! The vault: its model and on-disk format (`model`, an app's shape in `app`, the signed
//! records in `records`), reading a file (`parse`, checked by `structure` and `limits`), the
//! cryptography (`crypto`), who may read what (`access`), the signed policy (`policy`) and the
//! operations that keep values and keys consistent (`keyring`).

pub mod access;
pub mod admit;
pub mod app;
pub mod authorship;
pub mod crypto;
pub mod guard;
pub mod invite;
pub mod keyring;
pub mod limits;
pub mod merge;
pub mod model;
pub mod names;
pub mod offboarding;
mod parse;
pub mod policy;
pub mod records;
pub mod rules;
pub mod scope;
pub mod signing;
mod structure;
pub mod transition;

pub use app::{App, Field, Sealed, Secret, WrappedKey};
pub use keyring::Keyring;
pub use model::{Member, Vault, FORMAT, HISTORY, NEWEST, WRITABLE};
pub use records::{
    Departure, DepartureKind, FormerReader, Invitation, JoinRequest, Return, Tombstone,
};
pub use rules::Rules;
pub use scope::{Loaded, Scope};
