//! mpvault: an encrypted, git-friendly vault for WeChat Mini Program credentials and rosters.
//!
//! The binary is a thin shell over this library: `cli` parses, `commands` acts, and the
//! modules below own the vault format (`vault`), the file on disk (`store`), keys and their
//! text forms (`key`), identity files (`identity`), the Mini Program world's formats
//! (`wechat`) and env-file writers (`export`). `docs/ARCHITECTURE.md` draws the map.
#![forbid(unsafe_code)]

pub mod agent;
pub mod cli;
pub mod commands;
pub mod complete;
pub mod date;
pub mod display;
pub mod envnames;
pub mod error;
pub mod export;
pub mod git;
pub mod gitnote;
pub mod health;
pub mod hygiene;
pub mod identity;
pub mod import;
pub mod key;
pub mod output;
pub mod preset;
pub mod prompt;
pub mod random;
pub mod redact;
pub mod store;
pub mod suggest;
pub mod table;
pub mod trust;
pub mod vault;
pub mod wechat;
pub mod wechat_api;

pub use error::{Error, Result};
