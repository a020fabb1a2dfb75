//! What this clone trusts and remembers about each vault of each repository: its id, the owners
//! whose signature it accepts, the highest policy revision it has accepted, who it has seen
//! leave, and the newest version and level of each secret it has seen. The memory on disk
//! (`memory`) is kept apart from the judgement (`judge`, pure), from what an accepted vault
//! teaches it (`accept`) and from git's refs (`refs`); it prints nothing: commands tell the user.

mod accept;
mod judge;
mod memory;
mod refs;
mod secrets;

pub use accept::{after_write, guard_of, pin_now};
pub use judge::Verdict;
pub use memory::{location, Left, Memory, Seen, SeenSecret, SeenSecrets};
pub use refs::forget_unheld;
// Signing a change is the vault's (beside its policy); kept reachable where it always was.
pub use crate::vault::signing::{record_floors, sign_change};

use crate::error::Result;
use crate::vault::Vault;

/// Fingerprints of owners that replace trust on first use (CI, where nothing is remembered).
pub const TRUSTED_OWNERS_VAR: &str = "MPVAULT_TRUSTED_OWNERS";

/// Owner fingerprints from `MPVAULT_TRUSTED_OWNERS`, normalised (no spaces, lowercase).
pub fn trusted_owners_from_env() -> Option<Vec<String>> {
    let text = std::env::var(TRUSTED_OWNERS_VAR).ok()?;
    let list: Vec<String> = text
        .split(',')
        .map(|f| {
            f.chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_lowercase()
        })
        .filter(|f| !f.is_empty())
        .collect();
    Some(list)
}

/// Checks a vault file against this clone's memory of it in its repository (`Memory::recall`,
/// which gives another vault's memory for a vault id the repository does not know), or the
/// trusted owners from the environment (`env`, from `trusted_owners_from_env`), before
/// anything in it is decrypted or encrypted. The policy remembered, needed only to say what
/// changed, is read from its side file then.
pub fn assess(
    vault: &Vault,
    seen: Option<&Seen>,
    env: Option<&[String]>,
    now: &str,
) -> Result<Verdict> {
    judge::assess(vault, seen, env, now, &Seen::policy)
}
