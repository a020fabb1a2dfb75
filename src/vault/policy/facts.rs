//! The signed facts: everything in the vault that decides where data keys go — members, their
//! keys and owner flags, AppIDs, rosters, services, each level's readers and a commitment to
//! each data key, floors, public facts, health rules and the signed records — as one value an
//! owner signs and a clone remembers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::signature::{DOMAIN_V2, DOMAIN_V3};
use crate::vault::model::Vault;
use crate::vault::records::{Departure, Invitation, Return, Tombstone, Waiver};
use crate::vault::rules::Rules;
use crate::wechat::{Level, Role};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    pub domain: String,
    pub vault_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<u64>,
    pub members: BTreeMap<String, PolicyMember>,
    pub apps: BTreeMap<String, PolicyApp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub departures: Option<Vec<Departure>>,
    /// Format 4; left out of the signed bytes while empty, so format-3 signatures still verify.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returns: Option<Vec<Return>>,
    /// Left out of the signed bytes while default, so format-2 signatures still verify.
    #[serde(default, skip_serializing_if = "Rules::is_default")]
    pub rules: Rules,
    /// Format 5; left out while empty, so format-4 signatures still verify.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invitations: Option<Vec<Invitation>>,
    /// Format 6; left out while empty, so format-5 signatures still verify.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waivers: Option<Vec<Waiver>>,
    /// Format 6; left out while empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tombstones: Option<Vec<Tombstone>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyMember {
    pub key: String,
    pub signing_key: Option<String>,
    pub owner: bool,
    /// Format 6; left out while false, so earlier signatures still verify.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub service: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyApp {
    pub appid: String,
    pub roster: BTreeMap<String, Vec<Role>>,
    #[serde(rename = "keys")]
    pub data_keys: BTreeMap<Level, PolicyKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floors: Option<BTreeMap<String, Level>>,
    /// Format 5; left out while empty, so format-4 signatures still verify.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public: Option<BTreeMap<String, String>>,
    /// Format 6; left out while empty, so format-5 signatures still verify.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<BTreeMap<String, Level>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyKey {
    pub readers: Vec<String>,
    pub commitment: Option<String>,
}

impl Policy {
    pub fn of(vault: &Vault) -> Self {
        let v3 = vault.format >= 3;
        Policy {
            domain: if v3 { DOMAIN_V3 } else { DOMAIN_V2 }.to_string(),
            vault_id: vault.vault_id.clone(),
            revision: v3.then_some(vault.revision),
            departures: v3.then(|| vault.departures.clone()),
            returns: (v3 && !vault.returns.is_empty()).then(|| vault.returns.clone()),
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
                            service: m.service,
                        },
                    )
                })
                .collect(),
            apps: vault
                .apps
                .iter()
                .map(|(name, a)| {
                    let data_keys = a
                        .data_keys
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
                            data_keys,
                            floors: v3.then(|| a.floors.clone()),
                            public: (!a.public.is_empty()).then(|| a.public.clone()),
                            services: (!a.services.is_empty()).then(|| a.services.clone()),
                        },
                    )
                })
                .collect(),
            rules: vault.rules.clone(),
            invitations: (!vault.invitations.is_empty()).then(|| vault.invitations.clone()),
            waivers: (!vault.waivers.is_empty()).then(|| vault.waivers.clone()),
            tombstones: (!vault.tombstones.is_empty()).then(|| vault.tombstones.clone()),
        }
    }

    /// The signed bytes: compact JSON of this struct (fields in declaration order, maps sorted).
    pub fn bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("the policy always serializes")
    }

    pub fn revision(&self) -> u64 {
        self.revision.unwrap_or(0)
    }

    pub fn returns(&self) -> &[Return] {
        self.returns.as_deref().unwrap_or_default()
    }

    pub fn invitations(&self) -> &[Invitation] {
        self.invitations.as_deref().unwrap_or_default()
    }

    pub fn tombstones(&self) -> &[Tombstone] {
        self.tombstones.as_deref().unwrap_or_default()
    }

    pub fn waivers(&self) -> &[Waiver] {
        self.waivers.as_deref().unwrap_or_default()
    }

    pub fn departures(&self) -> &[Departure] {
        self.departures.as_deref().unwrap_or_default()
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
