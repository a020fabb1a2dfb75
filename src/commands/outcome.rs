//! How a command that ran to its end went, and the one place that turns it into an exit
//! status. Failures are `Error`s, whose codes `Error::exit_code` decides.

use crate::error::exit;
use crate::health::Severity;

#[must_use]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// `status`: the worst state it found.
    Health(Severity),
    /// `verify --all`: whether WeChat rejected a pair, and whether one could not be checked.
    Verified {
        rejected: bool,
        unverified: bool,
    },
    /// `audit`: commits that changed the vault without authorization.
    Unauthorized,
    /// `git check`: staged files hold secrets.
    Refused,
    /// `git setup --check`: something is not set up.
    NotSetUp,
    /// `git merge`: the sides conflict; OURS is left as it was.
    Conflict,
    /// `run` where the command cannot replace mpvault: its exit status.
    Child(i32),
    /// `status` or `app list` across several vaults: the worst exit status among them.
    Worst(i32),
}

impl From<()> for Outcome {
    fn from((): ()) -> Self {
        Outcome::Done
    }
}

impl Outcome {
    pub fn exit_code(self) -> i32 {
        match self {
            Outcome::Done => 0,
            Outcome::Health(severity) => severity.exit_code(),
            // A definite "wrong pair" outranks "could not tell".
            Outcome::Verified { rejected: true, .. } => exit::BROKEN,
            Outcome::Verified {
                unverified: true, ..
            } => exit::UNVERIFIED,
            Outcome::Verified { .. } => 0,
            Outcome::Unauthorized => exit::CORRUPT,
            Outcome::Refused => exit::DENIED,
            Outcome::NotSetUp | Outcome::Conflict => exit::FAILURE,
            Outcome::Child(code) | Outcome::Worst(code) => code,
        }
    }
}
