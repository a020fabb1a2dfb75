//! The judgement of a vault file against this clone's memory of it, or the owners the
//! environment names: whose signature counts, what may be read and what written, what to
//! remember, and what to forget of discarded work. Pure: memory, environment, clock and git's
//! refs are read by the caller and passed in, so every rule here can be tested on values.

use std::collections::BTreeMap;

use super::accept::{accept, first_memory, guard_of, owners_of};
use super::memory::Seen;
use super::secrets::check_secrets;
use super::TRUSTED_OWNERS_VAR;
use crate::error::{Error, Result};
use crate::vault::guard::Guard;
use crate::vault::policy::{self, Policy};
use crate::vault::Vault;

/// What a vault file is worth to this clone.
#[derive(Debug)]
pub struct Verdict {
    /// Warnings and first-use notices, for the command to print.
    pub notes: Vec<String>,
    /// Set when the file may be read but not written, saying why.
    pub read_only: Option<Error>,
    /// The memory to keep of this vault, when it changed.
    pub remember: Option<Seen>,
    /// The policy's signed bytes, as verified (`policy::signed_bytes`): a write compares them
    /// with the policy after its change rather than serializing the policy again.
    pub signed_policy: Option<Vec<u8>>,
}

impl Verdict {
    /// What a write must respect, given the memory of the vault the file was judged
    /// against: built only for writes, which are the only ones to consult it.
    pub fn guard(&self, seen: Option<&Seen>) -> Guard {
        self.remember
            .as_ref()
            .or(seen)
            .map_or_else(Guard::default, guard_of)
    }

    pub fn require_writable(&mut self) -> Result<()> {
        match self.read_only.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

fn compact(fingerprint: &str) -> String {
    fingerprint.replace(' ', "")
}

const RESTORE: &str = "restore mpvault.json from git (`git log -p mpvault.json` shows who changed it) and tell an owner";

/// Whether the vault's signer is an owner this clone trusts. A former owner's signature is
/// accepted only on an older copy from before they left, and then only for reading (the
/// returned reason).
fn judge_signer(
    vault: &Vault,
    seen: &Seen,
    signer_key: &str,
    signer: &str,
    older: bool,
) -> Result<Option<Error>> {
    if seen.owners.contains_key(signer_key) {
        return Ok(None);
    }
    if let Some((handle, left)) = seen.former_owners.get(signer_key) {
        if !older || vault.revision >= *left {
            return Err(Error::corrupt(
                format!("the vault is signed by '{handle}', whom this clone saw removed as an owner in policy revision {left}, at revision {}", vault.revision),
                RESTORE,
            ));
        }
        return Ok(Some(Error::denied(
            format!("this older copy of the vault (revision {}) is signed by '{handle}', who stopped being an owner in revision {left}, so nothing new may be written to it", vault.revision),
            "merge or check out the current vault (`git pull`) and write there",
        )));
    }
    Err(Error::corrupt(
        format!("the vault's roster is signed by '{signer}', who is not an owner you trusted for this vault"),
        "if its owners really changed, check their fingerprints with them and run `mpvault trust --repin`",
    ))
}

/// The policy this clone accepted last, read only to say what changed (`Seen::policy` reads
/// its side file): given by the caller, so the judgement itself touches no disk.
pub type Remembered<'a> = &'a dyn Fn(&Seen) -> Option<Policy>;

/// Checks a vault file against this clone's memory of it in its repository (`Memory::recall`,
/// which gives another vault's memory for a vault id the repository does not know), or the
/// trusted owners from the environment, before anything in it is decrypted or encrypted.
pub fn assess(
    vault: &Vault,
    seen: Option<&Seen>,
    env: Option<&[String]>,
    now: &str,
    remembered: Remembered,
) -> Result<Verdict> {
    if vault.signature.is_none() {
        return unsigned(vault, seen, env, remembered);
    }
    if let Some(seen) = seen.filter(|s| s.vault_id != vault.vault_id) {
        return Err(another_vault(vault, seen));
    }
    // The policy is serialized once, straight from the vault; it is built only to describe
    // a change.
    let signed = policy::signed_bytes(vault);
    let digest = policy::signature_digest(vault, &signed);
    let verified = match (&digest, seen) {
        (Some((digest, key)), Some(seen)) if *digest == seen.verified => Some(key.clone()),
        _ => policy::verify_bytes(vault, &signed),
    };
    let Some(signer_key) = verified else {
        return Err(unsigned_change(seen.and_then(|s| {
            policy::describe_change(&remembered(s)?, &Policy::of(vault))
        })));
    };
    let digest = digest.map(|(digest, _)| digest).unwrap_or_default();
    if let Some(list) = env {
        check_named(vault, &signer_key, list)?;
    }
    let mut verdict = Verdict {
        notes: Vec::new(),
        read_only: None,
        remember: None,
        signed_policy: Some(signed),
    };
    if vault.format < crate::vault::WRITABLE {
        verdict.read_only = Some(old_format(vault.format));
    }
    match seen {
        None => first_sight(vault, env.is_none(), now, digest, verdict),
        Some(seen) => against_memory(vault, seen, &signer_key, digest, verdict),
    }
}

/// The handle the vault's signature names (anyone can claim one; the key is what counts).
fn signer_name(vault: &Vault) -> &str {
    vault.signature.as_ref().map_or("", |s| s.signer.as_str())
}

/// Where `MPVAULT_TRUSTED_OWNERS` is set, the signer must be one of the owners it names.
fn check_named(vault: &Vault, signer_key: &str, list: &[String]) -> Result<()> {
    let print = crate::key::fingerprint(signer_key);
    if list.contains(&compact(&print)) {
        return Ok(());
    }
    let signer = signer_name(vault);
    Err(Error::corrupt(
        format!("the vault is signed by '{signer}' (fingerprint {print}), who is not among the owners {TRUSTED_OWNERS_VAR} names"),
        format!("if that owner is trusted, add their fingerprint to {TRUSTED_OWNERS_VAR}; otherwise {RESTORE}"),
    ))
}

/// A vault this clone has no memory of: trusted on first use (said to the user unless the
/// environment named its owners), with every secret remembered as it is.
fn first_sight(
    vault: &Vault,
    tell: bool,
    now: &str,
    digest: String,
    mut verdict: Verdict,
) -> Result<Verdict> {
    if tell {
        verdict.notes.push(first_use(vault));
    }
    let mut fresh = first_memory(vault, now);
    fresh.verified = digest;
    let (notes, secrets) = check_secrets(vault, &BTreeMap::new(), false)?;
    verdict.notes.extend(notes);
    fresh.secrets.extend(secrets);
    verdict.remember = Some(fresh);
    Ok(verdict)
}

/// A vault this clone remembers: its signer judged against the owners it trusts, an older
/// copy only warned about, a newer policy accepted, and its secrets checked.
fn against_memory(
    vault: &Vault,
    seen: &Seen,
    signer_key: &str,
    digest: String,
    mut verdict: Verdict,
) -> Result<Verdict> {
    // Formats 3 and 4 share their policy: a format-3 copy at the same revision is not older.
    let older = vault.revision < seen.revision
        || (vault.format < crate::vault::WRITABLE && seen.format >= crate::vault::WRITABLE);
    if let Some(reason) = judge_signer(vault, seen, signer_key, signer_name(vault), older)? {
        verdict.read_only = Some(reason);
    }
    // The secrets are most of the memory: they are copied only when something changed.
    let mut next = seen.without_secrets();
    if older {
        verdict.notes.push(format!(
            "warning: this copy of the vault is at policy revision {}, older than revision {} which this clone has seen (another branch or an old tag?); writes that would encrypt to anyone who left since are refused.",
            vault.revision, seen.revision
        ));
    } else {
        accept(&mut next, vault);
        next.verified = digest;
    }
    let (notes, updates) = check_secrets(vault, &seen.secrets, older)?;
    verdict.notes.extend(notes);
    if !updates.is_empty() || !same_memory(&next, seen) {
        next.secrets.clone_from(&seen.secrets);
        next.secrets.extend(updates);
        verdict.remember = Some(next);
    }
    Ok(verdict)
}

/// A vault id this clone does not know, in a repository whose vault (`seen`) it knows: a
/// look-alike, committed in the vault's place or beside it, until someone confirms it.
fn another_vault(vault: &Vault, seen: &Seen) -> Error {
    Error::corrupt(
        format!(
            "this is not the vault you trusted here: it is another vault (id {}) in this repository, whose vault this clone knows as {}",
            vault.vault_id, seen.vault_id
        ),
        "restore or remove this mpvault.json from git (`git log -p` on it shows who committed it); if the team really keeps this vault here too, check its owners' fingerprints (`mpvault trust`) with them and run `mpvault trust --repin` where it is found",
    )
}

fn unsigned(
    vault: &Vault,
    seen: Option<&Seen>,
    env: Option<&[String]>,
    remembered: Remembered,
) -> Result<Verdict> {
    if vault.format >= crate::vault::WRITABLE {
        return Err(awaits_signature(vault, seen, remembered));
    }
    if let Some(seen) = seen {
        return Err(Error::corrupt(
            format!(
                "this vault's roster is not signed, but the vault this clone trusts in this repository ({}) was signed at revision {}",
                seen.vault_id, seen.revision
            ),
            "restore mpvault.json from git; if an owner really replaced the vault, check fingerprints with them and run `mpvault trust --repin`",
        ));
    }
    if env.is_some() {
        return Err(Error::corrupt(
            format!("this vault's roster is not signed, and {TRUSTED_OWNERS_VAR} asks for an owner's signature"),
            "ask an owner to adopt it with `mpvault sign` and commit the result",
        ));
    }
    Ok(Verdict {
        notes: vec![format!(
            "note: this vault's roster has never been signed (format {}); it is read-only until an owner adopts it with `mpvault sign`.",
            vault.format
        )],
        read_only: Some(old_format(vault.format)),
        remember: None,
        signed_policy: None,
    })
}

/// A format-3 file without a signature is a stripped signature, or a merge of two sides' policy
/// changes made by an earlier mpvault (today's driver stops such a merge for an owner instead).
/// Nothing is read or written: an unsigned policy is exactly what a forger would write, and
/// reading under it would trust values its members signed.
fn awaits_signature(vault: &Vault, seen: Option<&Seen>, remembered: Remembered) -> Error {
    let mut owners: Vec<&str> = match seen {
        Some(seen) => seen.owners.values().map(String::as_str).collect(),
        None => vault.owners().collect(),
    };
    owners.sort_unstable();
    let change = seen
        .and_then(|s| policy::describe_change(&remembered(s)?, &Policy::of(vault)))
        .map(|c| format!(" ({c})"))
        .unwrap_or_default();
    Error::corrupt(
        format!(
            "this vault's policy at revision {} is not signed{change}: its signature was removed, or an earlier mpvault merged changes to who may read what and left them for an owner to review and sign",
            vault.revision
        ),
        format!(
            "if nobody merged such changes, restore mpvault.json from git (`git log -p mpvault.json` shows who changed it); otherwise ask an owner ({}) to review and sign them with `mpvault sign` and commit mpvault.json",
            owners.join(", ")
        ),
    )
}

fn old_format(format: u32) -> Error {
    Error::denied(
        format!("this vault is in format {format}, which this mpvault reads but does not write"),
        "ask an owner to review and adopt it with `mpvault sign`, which re-keys it and signs every value",
    )
}

/// Whether two memories agree on all but their secrets.
fn same_memory(a: &Seen, b: &Seen) -> bool {
    a.revision == b.revision
        && a.format == b.format
        && a.owners == b.owners
        && a.former_owners == b.former_owners
        && a.policy_hash == b.policy_hash
        && a.policy_signature == b.policy_signature
        && a.verified == b.verified
        && a.departed == b.departed
}

fn unsigned_change(change: Option<String>) -> Error {
    let what = match change {
        Some(change) => format!("{change} but the change is not signed by an owner"),
        None => "the vault's roster signature does not verify".to_string(),
    };
    Error::corrupt(
        what,
        "an owner who agrees with the change reviews and signs it with `mpvault sign`; otherwise restore mpvault.json from git (`git log -p mpvault.json` shows who changed it)",
    )
}

fn first_use(vault: &Vault) -> String {
    let mut owners: Vec<(String, String)> =
        owners_of(vault).into_iter().map(|(k, h)| (h, k)).collect();
    owners.sort_unstable();
    let owners: Vec<String> = owners
        .iter()
        .map(|(h, k)| format!("  {h}  {}", crate::key::fingerprint(k)))
        .collect();
    format!(
        "Trusting this vault ({}) for the first time, with these owners:\n{}\nCheck the fingerprints with them out of band; `mpvault trust` shows them again.",
        vault.vault_id,
        owners.join("\n")
    )
}

/// What the commits git's refs reach still hold of a vault: its highest policy revision and
/// each secret's highest version (`app/NAME`). Read by `refs`.
#[derive(Debug, Default)]
pub struct Held {
    revision: u64,
    versions: BTreeMap<String, u64>,
}

impl Held {
    pub fn add(&mut self, revision: u64, versions: impl IntoIterator<Item = (String, u64)>) {
        self.revision = self.revision.max(revision);
        for (slot, version) in versions {
            let held = self.versions.entry(slot).or_default();
            *held = (*held).max(version);
        }
    }
}

/// Whether this clone's memory would refuse `vault`, or a write to it: an older policy
/// revision (for writes) or a secret at a lower version than remembered.
pub fn memory_would_refuse(seen: &Seen, vault: &Vault, for_write: bool) -> bool {
    if for_write && vault.revision < seen.revision {
        return true;
    }
    // Asked on every command, of every secret read: the slot's text is built in one buffer.
    let mut slot = String::new();
    vault.apps.iter().any(|(app, a)| {
        a.secrets.iter().any(|(name, s)| {
            let version = s.versions[0].version.unwrap_or(0);
            slot.clear();
            slot.push_str(app);
            slot.push('/');
            slot.push_str(name);
            seen.secrets
                .get(slot.as_str())
                .is_some_and(|known| version < known.version)
        })
    })
}

/// The memory left once what no ref holds (`held`) is forgotten: a policy revision above the
/// highest held (with the departures and owner removals it brought) and secrets' versions
/// above the ones held. Returns it and a line saying so; None when nothing is forgotten.
pub fn forget(seen: &Seen, held: &Held) -> Option<(Seen, String)> {
    let mut next = seen.clone();
    let mut forgot = Vec::new();
    if seen.revision > held.revision {
        forgot.push(format!("policy revision {}", seen.revision));
        next.revision = held.revision;
        next.departed
            .retain(|_, left| left.revision <= held.revision);
        let (back, gone): (BTreeMap<_, _>, BTreeMap<_, _>) =
            std::mem::take(&mut next.former_owners)
                .into_iter()
                .partition(|(_, (_, left))| *left > held.revision);
        next.former_owners = gone;
        next.owners
            .extend(back.into_iter().map(|(key, (handle, _))| (key, handle)));
    }
    next.secrets
        .retain(|slot, known| match held.versions.get(slot) {
            Some(version) if *version < known.version => {
                forgot.push(format!("version {} of {slot}", known.version));
                false
            }
            _ => true,
        });
    if forgot.is_empty() {
        return None;
    }
    Some((
        next,
        format!(
            "note: this clone had seen {} of this vault only in work that no git branch, tag or stash holds any longer (discarded?); forgot it.",
            forgot.join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::trust::Left;

    fn seen(revision: u64) -> Seen {
        serde_json::from_value(serde_json::json!({
            "vault_id": "id", "format": 4, "revision": revision, "owners": {}, "pinned_at": "t",
        }))
        .unwrap()
    }

    /// The judgement reads no side file itself: the remembered policy is asked for only to say
    /// what changed, and only of a memory there is.
    #[test]
    fn the_remembered_policy_is_asked_for_only_to_describe_a_change() {
        let vault = Vault::new("id".into(), "t".into());
        let asked = Cell::new(0);
        let remembered = |_: &Seen| {
            asked.set(asked.get() + 1);
            None
        };
        assert!(assess(&vault, None, None, "t", &remembered).is_err());
        assert_eq!(asked.get(), 0);
        let err = assess(&vault, Some(&seen(2)), None, "t", &remembered).unwrap_err();
        assert_eq!(asked.get(), 1);
        assert!(err.to_string().contains("is not signed"), "{err}");
    }

    /// What only discarded work held is forgotten: the revision goes back to the highest held,
    /// an owner removed above it is an owner again, a departure above it is forgotten, and a
    /// secret's version above the one held is dropped; what is held stays.
    #[test]
    fn what_no_ref_holds_is_forgotten_and_what_one_holds_is_kept() {
        let mut memory = seen(7);
        memory
            .former_owners
            .insert("bob-key".into(), ("bob".into(), 7));
        let left = |revision| Left {
            handle: "carol".into(),
            revision,
            removed: true,
            lost: std::collections::BTreeSet::default(),
        };
        memory.departed.insert("carol-key".into(), left(6));
        memory.departed.insert("dave-key".into(), left(4));
        let secret = |version| crate::trust::SeenSecret {
            version,
            level: crate::wechat::Level::Admin,
            set_at: "t".into(),
            revision: None,
        };
        memory.secrets.insert("shop/A".into(), secret(3));
        memory.secrets.insert("shop/B".into(), secret(2));
        let mut held = Held::default();
        held.add(5, [("shop/A".to_string(), 2), ("shop/B".to_string(), 2)]);
        let (next, note) = forget(&memory, &held).unwrap();
        assert_eq!(next.revision, 5);
        assert_eq!(next.owners.get("bob-key").map(String::as_str), Some("bob"));
        assert!(next.former_owners.is_empty());
        assert_eq!(next.departed.keys().collect::<Vec<_>>(), ["dave-key"]);
        assert_eq!(next.secrets.keys().collect::<Vec<_>>(), ["shop/B"]);
        assert!(
            note.contains("policy revision 7, version 3 of shop/A"),
            "{note}"
        );
        let mut all = Held::default();
        all.add(7, [("shop/A".to_string(), 3)]);
        assert!(forget(&memory, &all).is_none());
    }
}
