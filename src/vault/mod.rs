//! The vault: its model and on-disk format (`model`), the cryptography (`crypto`), who may read
//! what (`access`), the signed policy (`policy`) and the operations that keep values and keys consistent (`keyring`).

pub mod access;
pub mod admit;
pub mod authorship;
pub mod crypto;
pub mod invite;
pub mod keyring;
pub mod limits;
pub mod merge;
pub mod model;
pub mod offboarding;
pub mod policy;
pub mod rules;
pub mod scope;
pub mod transition;

pub use keyring::Keyring;
pub use model::{
    App, Departure, DepartureKind, Field, FormerReader, Invitation, JoinRequest, Member, Return,
    Sealed, Secret, Tombstone, Vault, WrappedKey, FORMAT, HISTORY, NEWEST, WRITABLE,
};
pub use rules::Rules;
pub use scope::{Loaded, Scope};
