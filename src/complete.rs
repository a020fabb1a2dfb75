//! Names for shell completion, read from the vault without a key: app names, secret names and
//! member handles are visible to anyone with the file. Completion never fails loudly: no vault,
//! no candidates.

use clap_complete::engine::CompletionCandidate;

/// The variable the shell hook sets to ask for completions; namespaced so that a `COMPLETE`
/// someone else set in the environment never turns a command into a completion request.
pub const ENV: &str = "MPVAULT_COMPLETE";

use crate::store;
use crate::vault::Vault;
use crate::wechat::Role;

fn vault() -> Option<Vault> {
    let explicit = std::env::var_os("MPVAULT_VAULT").map(std::path::PathBuf::from);
    let cwd = std::env::current_dir().ok()?;
    let path = store::locate(explicit.as_deref(), &cwd).ok()?;
    store::load(&path, &crate::vault::Scope::All).ok()
}

fn candidates(names: impl IntoIterator<Item = String>) -> Vec<CompletionCandidate> {
    let mut names: Vec<String> = names.into_iter().collect();
    names.sort();
    names.dedup();
    names.into_iter().map(CompletionCandidate::new).collect()
}

pub fn apps() -> Vec<CompletionCandidate> {
    candidates(
        vault()
            .map(|v| v.apps.into_keys().collect::<Vec<_>>())
            .unwrap_or_default(),
    )
}

/// Every secret and config name of every app: completion does not see which app was typed.
pub fn secrets() -> Vec<CompletionCandidate> {
    let names = vault()
        .map(|v| {
            v.apps
                .into_values()
                .flat_map(|a| a.secrets.into_keys().chain(a.config.into_keys()))
                // A name from the file reaches the shell: only well-formed ones.
                .filter(|n| crate::export::check_env_name(n).is_ok())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    candidates(names)
}

pub fn members() -> Vec<CompletionCandidate> {
    candidates(
        vault()
            .map(|v| v.members.into_keys().collect::<Vec<_>>())
            .unwrap_or_default(),
    )
}

pub fn roles() -> Vec<CompletionCandidate> {
    candidates(Role::ALL.iter().map(|r| r.as_str().to_string()))
}

/// `role grant HANDLE APP ROLE…`: the first word is an app, or a role with `--apps`; completion
/// does not see which, so it offers both.
pub fn apps_and_roles() -> Vec<CompletionCandidate> {
    let apps = vault()
        .map(|v| v.apps.into_keys().collect::<Vec<_>>())
        .unwrap_or_default();
    candidates(
        apps.into_iter()
            .chain(Role::ALL.iter().map(|r| r.as_str().to_string())),
    )
}
