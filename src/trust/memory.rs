//! This clone's memory of the vaults of every repository, on disk: what it accepted of each
//! (`Seen`), the side file that keeps each accepted policy, and the layouts earlier versions
//! wrote, moved on load. Kept apart from the judgement so that reading and writing the file is
//! the only I/O trust does besides asking git what its refs hold (`refs`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::{Error, Result};
use crate::vault::policy::{self, Policy};
use crate::vault::Scope;
use crate::wechat::Level;

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

pub use crate::vault::guard::Departed as Left;

/// The newest version of a secret this clone has seen, and the level it keeps it at. Written
/// as `[version, level, set_at]`, or `[version, level, set_at, revision]` for a format-4 value:
/// one is kept for every secret of every vault, and every command reads them all. Read from
/// those or from the object earlier versions wrote.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct SeenSecret {
    pub version: u64,
    pub level: Level,
    /// When that version was set (signed by its writer).
    pub set_at: crate::date::Timestamp,
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
    pub(super) fn of(version: u64, level: Level, current: &crate::vault::Sealed) -> Self {
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
    pub(super) fn without_secrets(&self) -> Seen {
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
}
