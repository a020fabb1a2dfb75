//! Typed errors. Each carries one sentence saying what is wrong and a hint saying what to do.

use std::path::Path;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Exit codes, documented in the README.
pub mod exit {
    pub const FAILURE: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const NOT_FOUND: i32 = 3;
    pub const DENIED: i32 = 4;
    pub const CORRUPT: i32 = 5;
    pub const EXISTS: i32 = 6;
    /// `status`: something is due (a rotation, a verification within its window, a gap).
    pub const DUE: i32 = 7;
    /// `status`: something expired or is broken; `verify`: WeChat rejected the AppID/AppSecret.
    pub const BROKEN: i32 = 8;
    /// `verify`: no answer about the pair (network, WeChat busy, this IP not allowed).
    pub const UNVERIFIED: i32 = 9;
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The user's input is malformed or not allowed.
    #[error("{what}")]
    Invalid { what: String, hint: String },
    /// An app, member, secret, vault or identity does not exist.
    #[error("{what}")]
    NotFound { what: String, hint: String },
    /// The identity in use may not do this, or cannot decrypt what it needs.
    #[error("{what}")]
    Denied { what: String, hint: String },
    /// The vault file is damaged, tampered with or from a newer version.
    #[error("{what}")]
    Corrupt { what: String, hint: String },
    /// Something already exists and would be overwritten.
    #[error("{what}")]
    Exists { what: String, hint: String },
    /// WeChat rejected an AppID or AppSecret.
    #[error("{what}")]
    Rejected { what: String, hint: String },
    /// WeChat could not be asked, or would not say whether a pair is right.
    #[error("{what}")]
    Unverified { what: String, hint: String },
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Export(#[from] crate::export::ExportError),
    /// Standard output was closed by the reader (for example `| head`); not a failure.
    #[error("broken pipe")]
    BrokenPipe,
}

impl Error {
    pub fn invalid(what: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Invalid {
            what: what.into(),
            hint: hint.into(),
        }
    }
    pub fn not_found(what: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::NotFound {
            what: what.into(),
            hint: hint.into(),
        }
    }
    pub fn denied(what: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Denied {
            what: what.into(),
            hint: hint.into(),
        }
    }
    pub fn corrupt(what: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Corrupt {
            what: what.into(),
            hint: hint.into(),
        }
    }
    pub fn exists(what: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Exists {
            what: what.into(),
            hint: hint.into(),
        }
    }
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        if source.kind() == std::io::ErrorKind::BrokenPipe {
            return Error::BrokenPipe;
        }
        Error::Io {
            what: what.into(),
            source,
        }
    }
    pub fn io_at(action: &str, path: &Path, source: std::io::Error) -> Self {
        Self::io(format!("cannot {action} {}", path.display()), source)
    }

    pub fn unknown_app(app: &str) -> Self {
        if crate::redact::looks_like_value(app) {
            return Self::value_as_name();
        }
        Self::not_found(
            format!("there is no app named '{app}' in this vault"),
            "run `mpvault app list` to see the apps, or `mpvault app add` to add it",
        )
    }
    pub fn unknown_member(handle: &str) -> Self {
        Self::not_found(
            format!("there is no member named '{handle}' in this vault"),
            "run `mpvault member list` to see the members, or `mpvault member add` to add them",
        )
    }
    pub fn unknown_secret(app: &str, name: &str) -> Self {
        if crate::redact::looks_like_value(name) {
            return Self::value_as_name();
        }
        Self::not_found(
            format!("app '{app}' has no secret named {name}"),
            format!("run `mpvault app show {app}` to see its secrets, or `mpvault add-secret {app} {name}` to add it"),
        )
    }
    /// A name argument that looks like a secret value: never repeated, never suggested back.
    pub fn value_as_name() -> Self {
        Self::invalid(
            "a name given on the command line looks like a secret value, so it is not repeated here",
            "name the secret (for example WECHAT_APPSECRET) and give its value at the hidden prompt or with --stdin, never as an argument",
        )
    }

    pub fn owners_only(action: &str) -> Self {
        Self::denied(
            format!("only a vault owner can {action}"),
            "ask an owner (see `mpvault member list`) to do it",
        )
    }

    /// What to do about it, shown after the sentence.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Invalid { hint, .. }
            | Error::NotFound { hint, .. }
            | Error::Denied { hint, .. }
            | Error::Corrupt { hint, .. }
            | Error::Exists { hint, .. }
            | Error::Rejected { hint, .. }
            | Error::Unverified { hint, .. } => Some(hint.clone()).filter(|h| !h.is_empty()),
            Error::Io { .. } => Some("check the path and its permissions".into()),
            // Export errors say what to do in their own sentence.
            Error::Export(_) | Error::BrokenPipe => None,
        }
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Invalid { .. } | Error::Export(_) => exit::USAGE,
            Error::NotFound { .. } => exit::NOT_FOUND,
            Error::Denied { .. } => exit::DENIED,
            Error::Corrupt { .. } => exit::CORRUPT,
            Error::Exists { .. } => exit::EXISTS,
            Error::Rejected { .. } => exit::BROKEN,
            Error::Unverified { .. } => exit::UNVERIFIED,
            Error::Io { .. } => exit::FAILURE,
            Error::BrokenPipe => 0,
        }
    }
}
