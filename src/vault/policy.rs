//! The policy: who may read what. It is everything in the vault that decides where data keys
//! go — members, their keys and owner flags, AppIDs, rosters, each level's readers and a
//! commitment to each data key — and an owner signs it with Ed25519.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::model::{PolicySignature, Vault};
use crate::identity::decode_signing_key;
use crate::wechat::{Level, Role};

const DOMAIN: &str = "mpvault policy v1";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    pub domain: String,
    pub vault_id: String,
    pub members: BTreeMap<String, PolicyMember>,
    pub apps: BTreeMap<String, PolicyApp>,
    /// Left out of the signed bytes while default, so format-2 signatures still verify.
    #[serde(default, skip_serializing_if = "super::rules::Rules::is_default")]
    pub rules: super::rules::Rules,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyMember {
    pub key: String,
    pub signing_key: Option<String>,
    pub owner: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyApp {
    pub appid: String,
    pub roster: BTreeMap<String, Vec<Role>>,
    pub keys: BTreeMap<Level, PolicyKey>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyKey {
    pub readers: Vec<String>,
    pub commitment: Option<String>,
}

impl Policy {
    pub fn of(vault: &Vault) -> Self {
        Policy {
            domain: DOMAIN.to_string(),
            vault_id: vault.vault_id.clone(),
            members: vault
                .members
                .iter()
                .map(|(h, m)| {
                    (
                        h.clone(),
                        PolicyMember {
                            key: m.key.clone(),
                            signing_key: m.signing_key.clone(),
                            owner: m.owner,
                        },
                    )
                })
                .collect(),
            apps: vault
                .apps
                .iter()
                .map(|(name, a)| {
                    let keys = a
                        .keys
                        .iter()
                        .map(|(l, k)| {
                            (
                                *l,
                                PolicyKey {
                                    readers: k.readers.clone(),
                                    commitment: k.commitment.clone(),
                                },
                            )
                        })
                        .collect();
                    (
                        name.clone(),
                        PolicyApp {
                            appid: a.appid.clone(),
                            roster: a.roster.clone(),
                            keys,
                        },
                    )
                })
                .collect(),
            rules: vault.rules.clone(),
        }
    }

    /// The signed bytes: compact JSON of this struct (fields in declaration order, maps sorted).
    pub fn bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("the policy always serializes")
    }

    /// Owners and their signing keys.
    pub fn owners(&self) -> BTreeMap<String, String> {
        self.members
            .iter()
            .filter(|(_, m)| m.owner)
            .filter_map(|(h, m)| Some((h.clone(), m.signing_key.clone()?)))
            .collect()
    }
}

/// Signs the vault's current policy as `signer`.
pub fn sign(vault: &mut Vault, signer: &str, key: &SigningKey) {
    let signature = key.sign(&Policy::of(vault).bytes());
    vault.signature = Some(PolicySignature {
        signer: signer.to_string(),
        ed25519: B64.encode(signature.to_bytes()),
    });
}

/// Whether the signature is an owner's, as the signed policy itself lists them, over exactly
/// this policy. Returns the signer's signing key when it is.
pub fn verify(vault: &Vault) -> Option<String> {
    let sig = vault.signature.as_ref()?;
    let policy = Policy::of(vault);
    let signer = policy.members.get(&sig.signer).filter(|m| m.owner)?;
    let key_text = signer.signing_key.clone()?;
    let key = decode_signing_key(&key_text)?;
    let bytes: [u8; 64] = B64.decode(&sig.ed25519).ok()?.try_into().ok()?;
    key.verify(&policy.bytes(), &Signature::from_bytes(&bytes))
        .ok()?;
    Some(key_text)
}

/// The commitment to a data key that the policy carries.
pub fn commitment(key: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(b"mpvault/data-key-commitment/v1\0");
    hash.update(key);
    B64.encode(hash.finalize())
}

/// A short, readable fingerprint of a signing key, for checking out of band.
pub fn fingerprint(signing_key: &str) -> String {
    let digest = Sha256::digest(signing_key.as_bytes());
    let hex: String = digest[..10].iter().map(|b| format!("{b:02x}")).collect();
    hex.as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).expect("hex is ASCII"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The first change from `old` to `new`, said the way a person would check it.
pub fn describe_change(old: &Policy, new: &Policy) -> Option<String> {
    for (handle, m) in &new.members {
        match old.members.get(handle) {
            None => return Some(format!("member '{handle}' was added")),
            Some(o) if o.key != m.key || o.signing_key != m.signing_key => {
                return Some(format!("{handle}'s key changed"))
            }
            Some(o) if o.owner != m.owner => {
                return Some(format!(
                    "{handle} was {}",
                    if m.owner {
                        "made an owner"
                    } else {
                        "removed as an owner"
                    }
                ))
            }
            _ => {}
        }
    }
    if let Some(handle) = old.members.keys().find(|h| !new.members.contains_key(*h)) {
        return Some(format!("member '{handle}' was removed"));
    }
    for (name, app) in &new.apps {
        let Some(o) = old.apps.get(name) else {
            return Some(format!("app '{name}' was added"));
        };
        if o.appid != app.appid {
            return Some(format!("the AppID of '{name}' changed to {}", app.appid));
        }
        let handles: std::collections::BTreeSet<&String> =
            app.roster.keys().chain(o.roster.keys()).collect();
        for handle in handles {
            let (was, now) = (o.roster.get(handle), app.roster.get(handle));
            if was != now {
                let roles = now.map_or("no role".to_string(), |r| {
                    r.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
                });
                return Some(format!("{handle}'s role on {name} changed to {roles}"));
            }
        }
        for (level, key) in &app.keys {
            match o.keys.get(level) {
                Some(ok) if ok.readers != key.readers => {
                    return Some(format!("the readers of {name}'s {level} key changed"))
                }
                Some(ok) if ok.commitment != key.commitment => {
                    return Some(format!("the {level} data key of {name} was replaced"))
                }
                _ => {}
            }
        }
    }
    if let Some(name) = old.apps.keys().find(|n| !new.apps.contains_key(*n)) {
        return Some(format!("app '{name}' was removed"));
    }
    if old.rules != new.rules {
        return Some("the health rules changed".to_string());
    }
    None
}
