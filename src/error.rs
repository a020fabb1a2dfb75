//! Typed errors. Each carries one sentence saying what is wrong (its `Display`) and a hint
//! saying what to do ([`Error::hint`]); its category decides the exit code ([`exit`]).
//! `main` prints them as one line: `mpvault: <what>; <hint>.`

use std::path::Path;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Exit codes: the one place each is decided and documented. [`Error::exit_code`] maps every
/// error category to one of them; `status` and `verify` return `DUE`, `BROKEN` and
/// `UNVERIFIED` themselves. The man page prints [`exit::MEANINGS`], and a test keeps the
/// table in docs/commands.md equal to it.
pub mod exit {
    /// Success; also when a reader such as `head` closes the pipe early.
    pub const SUCCESS: i32 = 0;
    /// [`Error::Io`](super::Error::Io) and [`Error::Random`](super::Error::Random): the system
    /// failed (a file, a pipe, a program, the random number generator), not the input.
    pub const FAILURE: i32 = 1;
    /// [`Error::Invalid`](super::Error::Invalid) and [`Error::Export`](super::Error::Export):
    /// the input or the command line is wrong (also clap's own usage errors).
    pub const USAGE: i32 = 2;
    /// [`Error::NotFound`](super::Error::NotFound).
    pub const NOT_FOUND: i32 = 3;
    /// [`Error::Denied`](super::Error::Denied).
    pub const DENIED: i32 = 4;
    /// [`Error::Corrupt`](super::Error::Corrupt).
    pub const CORRUPT: i32 = 5;
    /// [`Error::Exists`](super::Error::Exists).
    pub const EXISTS: i32 = 6;
    /// `status`: something is due (a rotation, a verification within its window, a gap).
    pub const DUE: i32 = 7;
    /// `status`: something expired or is broken; [`Error::Rejected`](super::Error::Rejected):
    /// WeChat rejected the AppID/AppSecret.
    pub const BROKEN: i32 = 8;
    /// [`Error::Unverified`](super::Error::Unverified): no answer about the pair (network,
    /// WeChat busy, this IP not allowed).
    pub const UNVERIFIED: i32 = 9;

    /// What each code means, as the man page's EXIT STATUS and docs/commands.md's "Exit codes" say it.
    pub const MEANINGS: &[(i32, &str)] = &[
        (SUCCESS, "success; status: every app is healthy; verify: WeChat accepted the pair (also when a reader such as `head` closes the pipe early)"),
        (FAILURE, "the system failed: a file, a pipe, a program mpvault runs, or the random number generator"),
        (USAGE, "bad input or usage: a malformed AppID or secret, an unknown role, a value an export format cannot carry, a removal not confirmed"),
        (NOT_FOUND, "not found: no vault, app, member, secret or identity"),
        (DENIED, "denied: not a member, not an owner, a level you cannot read (also what `--strict` would leave out), an identity that cannot sign, a wrong passphrase"),
        (CORRUPT, "the vault is damaged, tampered with, or from a newer mpvault"),
        (EXISTS, "something already exists: an output file, an identity, an app, a secret"),
        (DUE, "`status`: something is due (a rotation, a verification within its window, a missing ICP number, date or contact, a member without a key)"),
        (BROKEN, "`status`: something expired or is broken; `verify` and `rotate-secret --verify`: WeChat rejected the AppID or AppSecret"),
        (UNVERIFIED, "`verify` and `rotate-secret --verify`: WeChat could not be asked or did not say (network, busy, this IP not allowed)"),
    ];
}

/// The hint of an I/O error on a named path.
const PATH_HINT: &str = "check the path and its permissions";
/// The hint of a failed read of standard input or the terminal (a piped value, a prompt).
const STDIN_HINT: &str =
    "check what is piped into mpvault, or run the command in a terminal to be asked";
/// The hint of an internal error.
const INTERNAL_HINT: &str =
    "this is a bug in mpvault: please report it with the command that was run";
/// The hint of any other I/O failure (running a program, standard output, an encryption stream).
const SYSTEM_HINT: &str = "fix what the system reports, then run the command again";

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
    /// Reading or writing failed: a file, a pipe, the terminal, a program mpvault runs.
    #[error("{what}: {source}")]
    Io {
        what: String,
        hint: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// The system random number generator failed.
    #[error(transparent)]
    Random(#[from] crate::random::Unavailable),
    /// A value cannot be written in the export format asked for (or randomness failed there).
    #[error(transparent)]
    Export(#[from] crate::export::ExportError),
    /// Standard output was closed by the reader (for example `| head`); not a failure.
    #[error("broken pipe")]
    BrokenPipe,
    /// A command asked for something it did not load (`vault::Scope`): a bug in mpvault,
    /// never the input's fault.
    #[error("{what}")]
    Internal { what: String },
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
    pub fn internal(what: impl Into<String>) -> Self {
        Error::Internal { what: what.into() }
    }
    /// An I/O failure that is neither on a named path nor on standard input.
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        Self::io_hinted(what.into(), SYSTEM_HINT, source)
    }
    /// An I/O failure on `path`: "cannot {action} {path}".
    pub fn io_at(action: &str, path: &Path, source: std::io::Error) -> Self {
        Self::io_hinted(
            format!("cannot {action} {}", path.display()),
            PATH_HINT,
            source,
        )
    }
    /// A failed read of standard input or of the terminal.
    pub fn stdin(what: impl Into<String>, source: std::io::Error) -> Self {
        Self::io_hinted(what.into(), STDIN_HINT, source)
    }
    fn io_hinted(what: String, hint: &'static str, source: std::io::Error) -> Self {
        if source.kind() == std::io::ErrorKind::BrokenPipe {
            return Error::BrokenPipe;
        }
        Error::Io { what, hint, source }
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

    /// The one line an error is reported as: what is wrong, then what to do (no final stop).
    pub fn sentence(&self) -> String {
        let what = self.to_string();
        let what = what.trim_end_matches('.');
        match self.hint() {
            Some(hint) => format!("{what}; {hint}"),
            None => what.to_string(),
        }
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
            Error::Io { hint, .. } => Some((*hint).to_string()),
            Error::Random(_) => Some(crate::random::HINT.to_string()),
            Error::Export(e) => Some(e.hint()),
            Error::BrokenPipe => None,
            Error::Internal { .. } => Some(INTERNAL_HINT.to_string()),
        }
    }

    /// The process exit code of this error's category (see [`exit`]).
    pub fn exit_code(&self) -> i32 {
        match self {
            // A failed random number generator is the system's failure, wherever it happens.
            Error::Export(crate::export::ExportError::Random { .. }) => exit::FAILURE,
            Error::Invalid { .. } | Error::Export(_) => exit::USAGE,
            Error::NotFound { .. } => exit::NOT_FOUND,
            Error::Denied { .. } => exit::DENIED,
            Error::Corrupt { .. } => exit::CORRUPT,
            Error::Exists { .. } => exit::EXISTS,
            Error::Rejected { .. } => exit::BROKEN,
            Error::Unverified { .. } => exit::UNVERIFIED,
            Error::Io { .. } | Error::Random(_) | Error::Internal { .. } => exit::FAILURE,
            Error::BrokenPipe => exit::SUCCESS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::exit;

    /// The "Exit codes" table of docs/commands.md says what [`exit::MEANINGS`] says, code by code.
    #[test]
    fn the_documented_table_is_the_exit_module() {
        let page = include_str!("../docs/commands.md");
        let table = page
            .split("## Exit codes")
            .nth(1)
            .expect("docs/commands.md has an Exit codes section");
        let rows: Vec<String> = table
            .lines()
            .skip_while(|l| !l.starts_with("|---"))
            .skip(1)
            .take_while(|l| l.starts_with('|'))
            .map(str::to_string)
            .collect();
        let expected: Vec<String> = exit::MEANINGS
            .iter()
            .map(|(code, meaning)| format!("| {code} | {meaning} |"))
            .collect();
        assert_eq!(rows, expected);
    }

    #[test]
    fn every_code_is_explained_once() {
        let codes: Vec<i32> = exit::MEANINGS.iter().map(|(c, _)| *c).collect();
        assert_eq!(codes, (0..=9).collect::<Vec<_>>());
    }
}
