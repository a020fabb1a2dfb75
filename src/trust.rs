//! What this clone trusts and remembers about each vault of each repository: its id, the owners
//! whose signature it accepts, the highest policy revision it has accepted, who it has seen
//! leave, and the newest version and level of each secret it has seen. `assess` turns that
//! memory and a vault file into a verdict; it prints nothing: commands tell the user.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::{Error, Result};
use crate::key::Identity;
use crate::vault::keyring::{Guard, Keyring, SeenInApp};
use crate::vault::policy::{self, Policy};
use crate::vault::{access, transition, DepartureKind, Scope, Vault};
use crate::wechat::Level;

/// Fingerprints of owners that replace trust on first use (CI, where nothing is remembered).
pub const TRUSTED_OWNERS_VAR: &str = "MPVAULT_TRUSTED_OWNERS";

/// What this clone accepted of one vault in one repository.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Seen {
    pub vault_id: String,
    pub format: u32,
    /// The highest policy revision accepted here.
    pub revision: u64,
    /// Owners whose signature is accepted: signing key → handle.
    pub owners: BTreeMap<String, String>,
    /// Owners of earlier revisions who are owners no more: signing key → (handle, revision).
    #[serde(default)]
    pub former_owners: BTreeMap<String, (String, u64)>,
    /// SHA-256 (hex) of the signed bytes of the highest revision's policy (`policy::hash`):
    /// enough to tell a new policy from it. The policy itself, needed only to say what changed
    /// since, is kept in a side file and read then (`Seen::policy`).
    #[serde(default)]
    pub policy_hash: String,
    /// The owner's signature over that policy, as the file holds it. A file whose verified
    /// signature is this same string holds the same policy (another policy under the same
    /// signature would take a SHA-512 collision), so it is not hashed again.
    #[serde(default)]
    pub policy_signature: String,
    /// That policy, when this process has it: just accepted, or read from a memory file of an
    /// earlier mpvault, which kept it here (it moves to the side file on load).
    #[serde(default, rename = "policy", skip_serializing)]
    pub recent_policy: Option<Policy>,
    /// The side file that keeps the policy (set on load).
    #[serde(skip)]
    pub policy_file: Option<PathBuf>,
    /// The signature this clone last verified over the policy of the highest revision, as
    /// `policy::signature_digest` gives it: a file that gives the same is not verified again.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub verified: String,
    /// Members who left or lost levels: member key → what.
    #[serde(default)]
    pub departed: BTreeMap<String, Left>,
    /// `app/NAME` → the newest version of each secret seen.
    #[serde(default)]
    pub secrets: SeenSecrets,
    pub pinned_at: String,
}

pub use crate::vault::keyring::Departed as Left;

/// The newest version of a secret this clone has seen, and the level it keeps it at. Written
/// as `[version, level, set_at]`, or `[version, level, set_at, revision]` for a format-4 value:
/// one is kept for every secret of every vault, and every command reads them all. Read from
/// those or from the object earlier versions wrote.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct SeenSecret {
    pub version: u64,
    pub level: Level,
    /// When that version was set (signed by its writer).
    pub set_at: String,
    /// The policy revision it was written under (format 4).
    #[serde(default)]
    pub revision: Option<u64>,
}

impl Serialize for SeenSecret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self.revision {
            Some(revision) => (self.version, self.level, &self.set_at, revision).serialize(s),
            None => (self.version, self.level, &self.set_at).serialize(s),
        }
    }
}

impl SeenSecret {
    fn of(version: u64, level: Level, current: &crate::vault::Sealed) -> Self {
        SeenSecret {
            version,
            level,
            set_at: current.set_at.clone(),
            revision: current.revision,
        }
    }
}

/// The newest version this clone has seen of each secret, by `app/NAME`. A command that reads
/// some apps (`vault::Scope`) reads their records alone from the memory file: the others stay
/// as the file holds them, unread, and are written back as they were beside any change.
#[derive(Clone, Debug, Default)]
pub struct SeenSecrets {
    read: BTreeMap<String, SeenSecret>,
    /// The file's whole record and the apps whose records were read, when not every app's was.
    unread: Option<(Arc<RawValue>, Arc<[String]>)>,
}

impl std::ops::Deref for SeenSecrets {
    type Target = BTreeMap<String, SeenSecret>;
    fn deref(&self) -> &Self::Target {
        &self.read
    }
}

impl std::ops::DerefMut for SeenSecrets {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.read
    }
}

thread_local! {
    /// The apps whose secrets `Memory::load_for` reads; every app's outside it.
    static ONLY: std::cell::RefCell<Option<Arc<[String]>>> = const { std::cell::RefCell::new(None) };
}

/// The app a slot (`app/NAME`) belongs to.
fn app_of(slot: &str) -> &str {
    slot.split_once('/').map_or(slot, |(app, _)| app)
}

impl Serialize for SeenSecrets {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let Some((unread, apps)) = &self.unread else {
            return self.read.serialize(s);
        };
        // The apps read are as `read` has them now (a record may have been forgotten); the
        // others as the file had them.
        let mut all: BTreeMap<String, SeenSecret> =
            serde_json::from_str(unread.get()).map_err(serde::ser::Error::custom)?;
        all.retain(|slot, _| !apps.iter().any(|a| a == app_of(slot)));
        all.extend(self.read.iter().map(|(k, v)| (k.clone(), v.clone())));
        all.serialize(s)
    }
}

impl<'de> Deserialize<'de> for SeenSecrets {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let Some(apps) = ONLY.with(|o| o.borrow().clone()) else {
            return Ok(SeenSecrets {
                read: BTreeMap::deserialize(d)?,
                unread: None,
            });
        };
        let raw: Box<RawValue> = Deserialize::deserialize(d)?;
        let mut json = serde_json::Deserializer::from_str(raw.get());
        let read = serde::de::DeserializeSeed::deserialize(Of(&apps), &mut json)
            .map_err(serde::de::Error::custom)?;
        Ok(SeenSecrets {
            read,
            unread: Some((Arc::from(raw), apps)),
        })
    }
}

/// The records of the apps named, from a memory's whole record of secrets; the others are
/// passed over unbuilt.
struct Of<'a>(&'a [String]);

impl<'de> serde::de::DeserializeSeed<'de> for Of<'_> {
    type Value = BTreeMap<String, SeenSecret>;
    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Of<'_> {
    type Value = BTreeMap<String, SeenSecret>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a map of secrets")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut read = BTreeMap::new();
        while let Some(slot) = map.next_key::<String>()? {
            if self.0.iter().any(|a| a == app_of(&slot)) {
                read.insert(slot, map.next_value::<SeenSecret>()?);
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(read)
    }
}

impl Seen {
    /// A copy of all but the secrets.
    fn without_secrets(&self) -> Seen {
        Seen {
            vault_id: self.vault_id.clone(),
            format: self.format,
            revision: self.revision,
            owners: self.owners.clone(),
            former_owners: self.former_owners.clone(),
            policy_hash: self.policy_hash.clone(),
            policy_signature: self.policy_signature.clone(),
            recent_policy: self.recent_policy.clone(),
            policy_file: self.policy_file.clone(),
            verified: self.verified.clone(),
            departed: self.departed.clone(),
            secrets: SeenSecrets::default(),
            pinned_at: self.pinned_at.clone(),
        }
    }

    /// The policy of the highest revision accepted, to say what changed since; `None` when
    /// its side file is gone or does not hold the policy remembered (its hash differs).
    pub fn policy(&self) -> Option<Policy> {
        if let Some(policy) = &self.recent_policy {
            return Some(policy.clone());
        }
        let bytes = std::fs::read(self.policy_file.as_ref()?).ok()?;
        if policy::hash(&bytes) != self.policy_hash {
            return None;
        }
        serde_json::from_slice(&bytes).ok()
    }
}

#[derive(Default, Serialize, Deserialize)]
struct MemoryFile {
    /// Repository (`location`) → vault id → what this clone accepted of that vault there.
    #[serde(default)]
    repositories: BTreeMap<String, BTreeMap<String, Seen>>,
    /// Earlier versions' memory, keyed by the vault file's canonical path: moved on load.
    #[serde(default, skip_serializing)]
    locations: BTreeMap<String, Seen>,
}

/// `<data dir>/mpvault/trusted.json`: this user's memory of the vaults of every repository.
pub struct Memory {
    path: PathBuf,
    file: MemoryFile,
}

/// The repository a vault belongs to, which keys this clone's memory of it: the top of the git
/// work tree holding it (the nearest folder with a `.git` file or folder), else the vault's
/// own folder; canonical either way. Keyed so, a vault moved within the repository keeps its
/// memory, and a look-alike elsewhere in it meets the vault this clone knows there.
pub fn location(vault_path: &Path) -> String {
    let folder = match vault_path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let folder = std::fs::canonicalize(folder).unwrap_or_else(|_| folder.to_path_buf());
    let top = folder
        .ancestors()
        .find(|dir| std::fs::symlink_metadata(dir.join(".git")).is_ok())
        .unwrap_or(&folder);
    top.display().to_string()
}

impl Memory {
    /// The memory of every vault, with every secret's record.
    pub fn load() -> Result<Self> {
        Self::load_for(&Scope::All)
    }

    /// The memory of every vault, with the records of the secrets of the apps `scope` reads.
    pub fn load_for(scope: &Scope) -> Result<Self> {
        let only: Option<Arc<[String]>> = match scope {
            Scope::Apps(apps) => Some(apps.clone().into()),
            Scope::All | Scope::Listing => None,
        };
        let previous = ONLY.with(|o| o.replace(only));
        let memory = Self::read_file();
        ONLY.with(|o| *o.borrow_mut() = previous);
        memory
    }

    fn read_file() -> Result<Self> {
        let dir = dirs::data_dir().ok_or_else(|| {
            Error::not_found(
                "cannot find this user's data folder",
                "set HOME or XDG_DATA_HOME",
            )
        })?;
        let path = dir.join("mpvault").join("trusted.json");
        let file: MemoryFile = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|_| {
                Error::corrupt(
                    format!("the list of trusted vaults at {} is damaged", path.display()),
                    "remove it to trust each vault afresh on next use, after checking owners' fingerprints",
                )
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => MemoryFile::default(),
            Err(e) => return Err(Error::io_at("read", &path, e)),
        };
        let mut memory = Memory { path, file };
        let moved = memory.move_locations();
        let mut earlier = !moved.is_empty();
        let folder = memory.dir().to_path_buf();
        for (location, vaults) in &mut memory.file.repositories {
            for (id, seen) in vaults {
                if seen.policy_file.is_none() {
                    seen.policy_file = Some(policy_file(&folder, location, id));
                }
                if let Some(policy) = seen
                    .recent_policy
                    .as_ref()
                    .filter(|_| seen.policy_hash.is_empty())
                {
                    seen.policy_hash = policy::hash(&policy.bytes());
                    earlier = true;
                }
            }
        }
        if earlier {
            // Written by an earlier mpvault (keyed by path, or with each policy inline): moved
            // once, so later commands find it by repository and parse only hashes. Should that
            // fail, it is read as it is, and moved again next time.
            if memory.save().is_ok() {
                for file in moved {
                    let _ = std::fs::remove_file(file);
                }
            }
        }
        Ok(memory)
    }

    /// Moves entries of earlier versions, keyed by the vault file's canonical path, to the
    /// repository of that path's folder. Their policies' side files, named after the path, are
    /// read to be written under the new name; returns those old side files. Where two paths
    /// held the same vault, the higher revision is kept.
    fn move_locations(&mut self) -> Vec<PathBuf> {
        let dir = self.dir().to_path_buf();
        let mut old_files = Vec::new();
        for (path, mut seen) in std::mem::take(&mut self.file.locations) {
            let old_file = old_policy_file(&dir, &path);
            if seen.recent_policy.is_none() {
                seen.policy_file = Some(old_file.clone());
                seen.recent_policy = seen.policy();
            }
            old_files.push(old_file);
            let location = location(Path::new(&path));
            seen.policy_file = Some(policy_file(&dir, &location, &seen.vault_id));
            let vaults = self.file.repositories.entry(location).or_default();
            match vaults.get(&seen.vault_id) {
                Some(kept) if kept.revision >= seen.revision => {}
                _ => {
                    vaults.insert(seen.vault_id.clone(), seen);
                }
            }
        }
        old_files
    }

    /// What this clone remembers of vault `vault_id` in the repository `location`. When the
    /// repository holds vaults this clone knows, but not this one, one of those is returned:
    /// judged against it (`assess`), the file is refused as another vault until confirmed.
    pub fn recall(&self, location: &str, vault_id: &str) -> Option<&Seen> {
        let vaults = self.file.repositories.get(location)?;
        vaults.get(vault_id).or_else(|| vaults.values().next())
    }

    /// What this clone remembers of exactly vault `vault_id` in `location`.
    pub fn get(&self, location: &str, vault_id: &str) -> Option<&Seen> {
        self.file.repositories.get(location)?.get(vault_id)
    }

    /// The vaults this clone knows in the repository `location`, by id.
    pub fn vaults(&self, location: &str) -> impl Iterator<Item = &Seen> {
        self.file
            .repositories
            .get(location)
            .into_iter()
            .flat_map(BTreeMap::values)
    }

    /// Remembers `seen` for its vault in `location`: added beside the repository's other
    /// vaults, or replacing what was remembered of the same vault id.
    pub fn remember(&mut self, location: &str, mut seen: Seen) -> Result<()> {
        seen.policy_file = Some(policy_file(self.dir(), location, &seen.vault_id));
        self.file
            .repositories
            .entry(location.to_string())
            .or_default()
            .insert(seen.vault_id.clone(), seen);
        self.save()
    }

    fn dir(&self) -> &Path {
        self.path.parent().expect("the memory file has a folder")
    }

    /// Writes the side file of each policy this process holds, then the memory (which names
    /// them by hash, so a side file left from an interrupted save is never taken for another).
    fn save(&self) -> Result<()> {
        let dir = self.dir();
        for seen in self.file.repositories.values().flat_map(BTreeMap::values) {
            if let (Some(policy), Some(file)) = (&seen.recent_policy, &seen.policy_file) {
                let folder = file.parent().expect("a side file has a folder");
                std::fs::create_dir_all(folder).map_err(|e| Error::io_at("create", folder, e))?;
                crate::store::write_private(file, &policy.bytes(), true)?;
            }
        }
        std::fs::create_dir_all(dir).map_err(|e| Error::io_at("create", dir, e))?;
        // Compact: every command reads it, and nobody edits it by hand (`mpvault trust` shows it).
        let json = serde_json::to_string(&self.file).expect("memory always serializes");
        crate::store::write_private(&self.path, json.as_bytes(), true)
    }
}

/// `<data dir>/mpvault/policies/<hash of repository and vault id>.json`: the policy last
/// accepted of that vault there.
fn policy_file(dir: &Path, location: &str, vault_id: &str) -> PathBuf {
    old_policy_file(dir, &format!("{location}\n{vault_id}"))
}

/// The side file as earlier versions named it, after the vault file's path.
fn old_policy_file(dir: &Path, key: &str) -> PathBuf {
    let name = &policy::hash(key.as_bytes())[..32];
    dir.join("policies").join(format!("{name}.json"))
}

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

/// Checks a vault file against this clone's memory of it in its repository (`Memory::recall`,
/// which gives another vault's memory for a vault id the repository does not know), or the
/// trusted owners from the environment, before anything in it is decrypted or encrypted.
pub fn assess(
    vault: &Vault,
    seen: Option<&Seen>,
    env: Option<&[String]>,
    now: &str,
) -> Result<Verdict> {
    if vault.signature.is_none() {
        return unsigned(vault, seen, env);
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
            policy::describe_change(&s.policy()?, &Policy::of(vault))
        })));
    };
    let digest = digest.map(|(digest, _)| digest).unwrap_or_default();
    let signer = vault
        .signature
        .as_ref()
        .map(|s| s.signer.clone())
        .unwrap_or_default();
    if let Some(list) = env {
        let print = crate::key::fingerprint(&signer_key);
        if !list.contains(&compact(&print)) {
            return Err(Error::corrupt(
                format!("the vault is signed by '{signer}' (fingerprint {print}), who is not among the owners {TRUSTED_OWNERS_VAR} names"),
                format!("if that owner is trusted, add their fingerprint to {TRUSTED_OWNERS_VAR}; otherwise {RESTORE}"),
            ));
        }
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
    let Some(seen) = seen else {
        if env.is_none() {
            verdict.notes.push(first_use(vault));
        }
        let mut fresh = first_memory(vault, now);
        fresh.verified = digest;
        let (notes, secrets) = check_secrets(vault, &BTreeMap::new(), false)?;
        verdict.notes.extend(notes);
        fresh.secrets.extend(secrets);
        verdict.remember = Some(fresh);
        return Ok(verdict);
    };
    // Formats 3 and 4 share their policy: a format-3 copy at the same revision is not older.
    let older = vault.revision < seen.revision
        || (vault.format < crate::vault::WRITABLE && seen.format >= crate::vault::WRITABLE);
    if let Some(reason) = judge_signer(vault, seen, &signer_key, &signer, older)? {
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

fn unsigned(vault: &Vault, seen: Option<&Seen>, env: Option<&[String]>) -> Result<Verdict> {
    if vault.format >= crate::vault::WRITABLE {
        return Err(awaits_signature(vault, seen));
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
fn awaits_signature(vault: &Vault, seen: Option<&Seen>) -> Error {
    let mut owners: Vec<&str> = match seen {
        Some(seen) => seen.owners.values().map(String::as_str).collect(),
        None => vault.owners().collect(),
    };
    owners.sort_unstable();
    let change = seen
        .and_then(|s| policy::describe_change(&s.policy()?, &Policy::of(vault)))
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

/// A newer policy, signed by a trusted owner, becomes what this clone remembers. The policy
/// itself is built (and hashed) only when its signature is not the one remembered.
fn accept(seen: &mut Seen, vault: &Vault) {
    let owners = owners_of(vault);
    for (key, handle) in &seen.owners {
        if !owners.contains_key(key) {
            seen.former_owners
                .insert(key.clone(), (handle.clone(), vault.revision));
        }
    }
    seen.former_owners.retain(|k, _| !owners.contains_key(k));
    seen.owners = owners;
    seen.departed = departed_in(vault, &seen.departed);
    seen.revision = vault.revision;
    seen.format = vault.format;
    if seen.policy_signature != signature_of(vault) || seen.policy_hash.is_empty() {
        remember_policy(seen, vault);
    }
}

fn signature_of(vault: &Vault) -> &str {
    vault.signature.as_ref().map_or("", |s| s.ed25519.as_str())
}

/// The vault's policy becomes the one remembered: its hash and signature here, the policy
/// itself for the side file.
fn remember_policy(seen: &mut Seen, vault: &Vault) {
    let policy = Policy::of(vault);
    seen.policy_hash = policy::hash(&policy.bytes());
    seen.policy_signature = signature_of(vault).to_string();
    seen.recent_policy = Some(policy);
}

/// Owners' signing keys → handles, as the vault's policy lists them.
fn owners_of(vault: &Vault) -> BTreeMap<String, String> {
    vault
        .members
        .iter()
        .filter(|(_, m)| m.owner)
        .filter_map(|(h, m)| Some((m.signing_key.clone()?, h.clone())))
        .collect()
}

/// The departures the policy signs (format 3; none before).
fn departures_of(vault: &Vault) -> &[crate::vault::Departure] {
    if vault.format >= 3 {
        &vault.departures
    } else {
        &[]
    }
}

/// Who has left, by key, as of `policy`: earlier memory plus its departures, less what the
/// policy gives back (an owner re-added them, or granted the level again).
fn departed_in(vault: &Vault, known: &BTreeMap<String, Left>) -> BTreeMap<String, Left> {
    let mut departed = known.clone();
    for d in departures_of(vault) {
        if d.kind == DepartureKind::Demoted && d.lost.is_empty() {
            continue;
        }
        let entry = departed.entry(d.key.clone()).or_insert_with(|| Left {
            handle: d.handle.clone(),
            revision: d.revision,
            removed: false,
            lost: BTreeSet::new(),
        });
        if d.revision >= entry.revision {
            entry.revision = d.revision;
            entry.handle.clone_from(&d.handle);
        }
        entry.removed |= d.kind == DepartureKind::Removed;
        entry.lost.extend(d.lost.iter().cloned());
    }
    for (key, left) in &mut departed {
        let Some((handle, _)) = vault.members.iter().find(|(_, m)| m.key == *key) else {
            continue;
        };
        left.removed = false;
        left.lost.retain(|place| {
            let Some((app, level)) = place.split_once('/') else {
                return true;
            };
            let reads = vault
                .apps
                .get(app)
                .and_then(|a| {
                    a.data_keys
                        .get(&level.parse::<Level>().unwrap_or(Level::Admin))
                })
                .is_some_and(|k| k.readers.contains(handle));
            !reads
        });
    }
    departed.retain(|_, left| left.removed || !left.lost.is_empty());
    departed
}

/// Versions never go back while the policy is current; a level lowered by someone who could
/// not read the old one is remembered at the old level, so no rotation follows it down.
/// Returns the notes to print and what to remember that `known` does not hold yet.
fn check_secrets(
    vault: &Vault,
    known: &BTreeMap<String, SeenSecret>,
    older: bool,
) -> Result<(Vec<String>, BTreeMap<String, SeenSecret>)> {
    let mut notes = Vec::new();
    let mut updates = BTreeMap::new();
    if vault.format < 3 {
        return Ok((notes, updates));
    }
    // Every command checks every secret: what is unchanged since last time costs no allocation.
    let mut slot = String::new();
    for (app_name, app) in &vault.apps {
        for (name, secret) in &app.secrets {
            slot.clear();
            slot.push_str(app_name);
            slot.push('/');
            slot.push_str(name);
            let current = &secret.versions[0];
            let version = current.version.unwrap_or(0);
            let Some(before) = known.get(slot.as_str()) else {
                updates.insert(
                    slot.clone(),
                    SeenSecret::of(version, secret.access, current),
                );
                continue;
            };
            // A lower number written later is the secret removed and added again, not a rollback:
            // only a reader of its level could sign such a value.
            if version < before.version
                && !transition::written_after(current, before.revision, &before.set_at)
            {
                if !older {
                    return Err(Error::corrupt(
                        format!("{name} of '{app_name}' is at version {version} in this file, but this clone has seen version {}: a newer value was dropped", before.version),
                        format!("restore mpvault.json from git (`git log -p mpvault.json` shows who changed it); if you switched branches, merge the branch with the newer value; to undo a rotation, revert the revert and run `mpvault rotate-secret {app_name} {name} --restore {version}`"),
                    ));
                }
                notes.push(format!(
                    "warning: {name} of '{app_name}' is at version {version} here, older than version {} which this clone has seen.",
                    before.version
                ));
                continue;
            }
            let mut level = secret.access;
            if level < before.level {
                let signer = current.signer();
                if !access::can_read(vault, app_name, before.level, signer) {
                    notes.push(format!(
                        "warning: {name} of '{app_name}' was lowered from the {} level to {level} by '{signer}', who cannot read {} values; it will not be rotated at the lower level.",
                        before.level, before.level
                    ));
                    level = before.level;
                }
            }
            // A revision learned alone is no change: memories of earlier versions lack it, and
            // rewriting every one of them on first read is not worth a write.
            let unchanged = before.version == version
                && before.level == level
                && before.set_at == current.set_at;
            if !older && !unchanged {
                updates.insert(slot.clone(), SeenSecret::of(version, level, current));
            }
        }
    }
    Ok((notes, updates))
}

/// What a write must respect, as this clone remembers the vault.
pub fn guard_of(seen: &Seen) -> Guard {
    // Slots are sorted, so each app's `app/NAME` slots are together: grouped in one pass, and
    // each app's name is allocated once.
    let mut apps: Vec<(String, SeenInApp)> = Vec::new();
    for (slot, v) in seen.secrets.iter() {
        let Some((app, name)) = slot.split_once('/') else {
            continue;
        };
        let (name, seen) = (name.to_string(), (v.version, v.level));
        match apps.last_mut() {
            Some((last, names)) if last == app => {
                names.insert(name, seen);
            }
            _ => apps.push((app.to_string(), BTreeMap::from([(name, seen)]))),
        }
    }
    Guard {
        departed: seen.departed.clone(),
        seen: apps.into_iter().collect(),
    }
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
/// each secret's highest version (`app/NAME`).
#[derive(Debug, Default)]
struct Held {
    revision: u64,
    versions: BTreeMap<String, u64>,
}

impl Held {
    /// What the vault file and the commits that git's refs reach hold of this vault id, counting
    /// only states signed by an owner this clone trusts or trusted (a pushed forgery at a high
    /// revision would otherwise keep a discarded state remembered); None outside git, where
    /// there are no refs to consult.
    fn of(vault: &Vault, path: &Path, seen: &Seen) -> Option<Held> {
        let committed = crate::git::committed_versions(path, crate::vault::limits::MAX_FILE_BYTES)?;
        let mut held = Held::default();
        held.add(vault.revision, vault_versions(vault));
        for bytes in committed {
            // A file of another vault, or one that does not parse, holds nothing of this one.
            let Ok(state) = Vault::parse(&bytes) else {
                continue;
            };
            let trusted = policy::verify(&state).is_some_and(|key| {
                seen.owners.contains_key(&key) || seen.former_owners.contains_key(&key)
            });
            if state.vault_id == vault.vault_id && trusted {
                held.add(state.revision, vault_versions(&state));
            }
        }
        Some(held)
    }

    fn add(&mut self, revision: u64, versions: impl IntoIterator<Item = (String, u64)>) {
        self.revision = self.revision.max(revision);
        for (slot, version) in versions {
            let held = self.versions.entry(slot).or_default();
            *held = (*held).max(version);
        }
    }
}

fn vault_versions(vault: &Vault) -> impl Iterator<Item = (String, u64)> + '_ {
    vault.apps.iter().flat_map(|(app, a)| {
        a.secrets.iter().map(move |(name, s)| {
            let version = s.versions.iter().filter_map(|v| v.version).max();
            (format!("{app}/{name}"), version.unwrap_or(0))
        })
    })
}

/// Whether this clone's memory would refuse `vault`, or a write to it: an older policy
/// revision (for writes) or a secret at a lower version than remembered.
fn memory_would_refuse(seen: &Seen, vault: &Vault, for_write: bool) -> bool {
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

/// What this clone saw only in states that no git ref (branch, tag, remote-tracking branch,
/// stash) holds any longer is forgotten where it would refuse `vault`: work that was thrown
/// away must not lock its owner out. What a ref still holds is kept, so a rollback pushed on
/// top of a departure is still refused. Returns the memory that is left and a line saying so;
/// None when nothing is forgotten (outside git, nothing ever is).
pub fn forget_unheld(
    seen: &Seen,
    vault: &Vault,
    path: &Path,
    for_write: bool,
) -> Option<(Seen, String)> {
    if seen.vault_id != vault.vault_id || !memory_would_refuse(seen, vault, for_write) {
        return None;
    }
    let held = Held::of(vault, path, seen)?;
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

/// What this clone remembers of a vault it trusts as it is now, secrets aside.
fn first_memory(vault: &Vault, now: &str) -> Seen {
    let mut seen = Seen {
        vault_id: vault.vault_id.clone(),
        format: vault.format,
        revision: vault.revision,
        owners: owners_of(vault),
        former_owners: BTreeMap::new(),
        departed: departed_in(vault, &BTreeMap::new()),
        policy_hash: String::new(),
        policy_signature: String::new(),
        recent_policy: None,
        policy_file: None,
        verified: String::new(),
        secrets: SeenSecrets::default(),
        pinned_at: now.to_string(),
    };
    remember_policy(&mut seen, vault);
    seen
}

/// A fresh memory of `vault` as it is now, for `trust --repin` and after signing.
pub fn pin_now(vault: &Vault, now: &str) -> Seen {
    let mut seen = first_memory(vault, now);
    remember_secrets(vault, &mut seen, false);
    seen
}

/// After this clone's own write: the memory moves to the vault it wrote.
pub fn after_write(seen: Option<&Seen>, vault: &Vault, now: &str) -> Seen {
    let Some(seen) = seen else {
        return pin_now(vault, now);
    };
    let mut next = seen.clone();
    let older = vault.revision < seen.revision;
    if !older {
        accept(&mut next, vault);
    }
    remember_secrets(vault, &mut next, older);
    next
}

/// Records the vault's secrets in memory; the checks already passed when it was loaded.
fn remember_secrets(vault: &Vault, seen: &mut Seen, older: bool) {
    if let Ok((_, updates)) = check_secrets(vault, &seen.secrets, older) {
        seen.secrets.extend(updates);
    }
}

/// An owner's write records each secret's level as its floor, so nobody can later store it
/// lower without an owner. A level this clone saw lowered by someone who could not read the
/// old one is left out rather than blessed.
pub fn record_floors(vault: &mut Vault, guard: &Guard) {
    for (app_name, app) in &mut vault.apps {
        for (name, secret) in &app.secrets {
            let seen = guard.seen(app_name, name).map(|(_, level)| level);
            if seen.is_some_and(|l| secret.access < l) {
                continue;
            }
            let floor = app.floors.entry(name.clone()).or_insert(secret.access);
            *floor = (*floor).max(secret.access);
        }
    }
}

/// Signs the vault's changed policy with the acting owner's key, at the revision after both
/// the file's and the highest this clone has accepted.
pub fn sign_change(
    vault: &mut Vault,
    keyring: &Keyring,
    identity: &Identity,
    seen: u64,
) -> Result<()> {
    keyring.require_owner(vault, "change who may read what")?;
    let Some(key) = &identity.signing else {
        return Err(Error::denied(
            "an SSH identity cannot sign the vault's roster",
            "owners use an mpvault identity (`mpvault identity new`)",
        ));
    };
    let public = crate::key::encode_signing_key(&key.verifying_key());
    let recorded = vault
        .members
        .get(&keyring.actor)
        .and_then(|m| m.signing_key.as_deref());
    if recorded != Some(public.as_str()) {
        return Err(Error::denied(
            format!(
                "{}'s signing key in the vault is not this identity's",
                keyring.actor
            ),
            "use the identity you were added with",
        ));
    }
    vault.revision = next_revision(vault.revision, seen)?;
    // Departures, returns and waivers recorded by this change carry the revision that signs
    // them.
    for d in vault.departures.iter_mut().filter(|d| d.revision == 0) {
        d.revision = vault.revision;
    }
    for r in vault.returns.iter_mut().filter(|r| r.revision == 0) {
        r.revision = vault.revision;
    }
    for w in vault.waivers.iter_mut().filter(|w| w.revision == 0) {
        w.revision = vault.revision;
    }
    for t in vault.tombstones.iter_mut().filter(|t| t.revision == 0) {
        t.revision = vault.revision;
    }
    crate::vault::policy::sign(vault, &keyring.actor, key)?;
    Ok(())
}

/// The revision after both the file's and the highest this clone accepted; past the bound
/// (`vault::limits::MAX_REVISION`) the change is refused, never wrapped.
fn next_revision(file: u64, seen: u64) -> Result<u64> {
    crate::vault::limits::next_revision(file, seen).ok_or_else(|| {
        Error::corrupt(
            format!(
                "the policy is at revision {}, the highest mpvault signs, so no change to who may read what can be signed",
                file.max(seen)
            ),
            "restore mpvault.json from git from before its revision jumped (`git log -p mpvault.json` shows who changed it); if this clone's memory jumped too, run `mpvault trust --repin` after checking fingerprints",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A memory read for one app keeps the other apps' records as the file had them, and
    /// writes back the app's own as they are now: a forgotten one stays forgotten.
    #[test]
    fn a_memory_read_for_one_app_writes_every_other_apps_records_back() {
        let file =
            r#"{"shop/A":[3,"team","t"],"shop/B":[1,"admin","t",7],"blog/C":[2,"developer","t"]}"#;
        ONLY.with(|o| *o.borrow_mut() = Some(Arc::from(vec!["shop".to_string()])));
        let mut secrets: SeenSecrets = serde_json::from_str(file).unwrap();
        ONLY.with(|o| *o.borrow_mut() = None);
        assert_eq!(secrets.keys().collect::<Vec<_>>(), ["shop/A", "shop/B"]);
        secrets.remove("shop/A");
        secrets.get_mut("shop/B").unwrap().version = 2;
        let written: serde_json::Value = serde_json::to_value(&secrets).unwrap();
        assert_eq!(
            written,
            serde_json::json!({"shop/B": [2, "admin", "t", 7], "blog/C": [2, "developer", "t"]})
        );
    }

    /// Apps whose names sort around each other ("a-b" < "a/" < "a0") keep their own secrets.
    #[test]
    fn the_guard_finds_every_remembered_secret_under_its_app() {
        let seen: Seen = serde_json::from_value(serde_json::json!({
            "vault_id": "id", "format": 3, "revision": 1, "owners": {}, "pinned_at": "t",
            "secrets": {
                "a-b/X": [1, "team", "t"],
                "a/Y": [2, "developer", "t"],
                "a/Z": [3, "admin", "t"],
                "a0/W": [4, "team", "t"],
            },
        }))
        .unwrap();
        let guard = guard_of(&seen);
        assert_eq!(guard.seen("a-b", "X"), Some((1, Level::Team)));
        assert_eq!(guard.seen("a", "Y"), Some((2, Level::Developer)));
        assert_eq!(guard.seen("a", "Z"), Some((3, Level::Admin)));
        assert_eq!(guard.seen("a0", "W"), Some((4, Level::Team)));
        assert_eq!(guard.seen("a", "X"), None);
        let count: usize = guard.seen.values().map(BTreeMap::len).sum();
        assert_eq!(count, 4);
    }
}
