//! The agent: an unlocked mpvault identity kept in memory for a session, like ssh-agent.
//! `mpvault unlock` starts this same program as `agent serve` and hands it the key on a pipe;
//! commands ask it to unwrap an age header's file key or to sign a message of mpvault's, and
//! it never hands the key out. It listens on a Unix socket in a private folder (0700) under
//! the runtime directory, answers only its own user (peer credentials, checked on both
//! sides), and ends after an idle timeout or `mpvault lock`.
//!
//! One line of JSON a request, one line a response, one request a connection.

#[cfg(unix)]
mod client;
#[cfg(unix)]
mod server;

#[cfg(unix)]
pub use client::{for_public_line, lock, start, status};
#[cfg(unix)]
pub use server::serve;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// `MPVAULT_AGENT=off`: commands neither ask an agent nor look for one.
pub const ENV: &str = "MPVAULT_AGENT";

/// Whether commands may use the agent.
pub fn enabled() -> bool {
    std::env::var(ENV).map_or(true, |v| v != "off")
}

/// The longest one request may take to be read or answered: a stopped agent ends the wait
/// and the command falls back to the passphrase.
const REQUEST_TIMEOUT_MS: u64 = 2000;

/// A request's and a response's bound: age headers of a vault's data keys are far smaller.
const MAX_LINE: u64 = 1 << 20;

/// What a command asks of the agent.
#[derive(Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum Request {
    /// Who the agent answers for, and until when.
    Hello,
    /// The file key of an age header, when one of its stanzas is for the agent's key.
    Unwrap { stanzas: Vec<WireStanza> },
    /// An Ed25519 signature over a message of mpvault's (base64).
    Sign { message: String },
    /// End now.
    Lock,
}

/// An age stanza as it travels (body in base64).
#[derive(Serialize, Deserialize)]
struct WireStanza {
    tag: String,
    args: Vec<String>,
    body: String,
}

/// The agent's answer; only the fields the request calls for are set.
#[derive(Default, Serialize, Deserialize)]
struct Response {
    /// The public line of the identity the agent holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    public: Option<String>,
    /// When the agent ends unless used again (Unix seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    until: Option<i64>,
    /// Whether the key's memory is locked against swapping.
    #[serde(skip_serializing_if = "Option::is_none")]
    locked_in_memory: Option<bool>,
    /// An unwrapped file key (base64); absent when no stanza was for this key.
    #[serde(skip_serializing_if = "Option::is_none")]
    file_key: Option<String>,
    /// A signature (base64).
    #[serde(skip_serializing_if = "Option::is_none")]
    signature: Option<String>,
    /// Why the request was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// What `identity show` says of the agent.
pub enum Status {
    /// `MPVAULT_AGENT=off`.
    Off,
    /// No agent answers (none started, ended, or on a system without one).
    NotRunning,
    /// An agent answers for this public line until then (RFC 3339).
    Holds {
        public: String,
        until: String,
        locked_in_memory: bool,
    },
    /// Something at the socket would not be used: why.
    Refused(String),
}

/// The agent's folder: `$XDG_RUNTIME_DIR/mpvault`, or `mpvault-<uid>` in the temporary folder
/// where there is no runtime directory.
#[cfg(unix)]
fn folder() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from) {
        Some(dir) if dir.is_absolute() => dir.join("mpvault"),
        _ => std::env::temp_dir().join(format!("mpvault-{}", rustix::process::getuid().as_raw())),
    }
}

#[cfg(unix)]
fn socket_path() -> PathBuf {
    folder().join("agent.sock")
}

#[cfg(not(unix))]
pub fn status() -> Status {
    if enabled() {
        Status::NotRunning
    } else {
        Status::Off
    }
}
