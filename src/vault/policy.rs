//! The policy: who may read what. It is everything in the vault that decides where data keys
//! go — members, their keys and owner flags, AppIDs, rosters, each level's readers and a
//! commitment to each data key — and an owner signs it with Ed25519.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::model::{App, Departure, Member, PolicySignature, Vault, WrappedKey};
use crate::key::decode_signing_key;
use crate::wechat::{Level, Role};

/// Format 2 signed the policy under this domain; format 3 adds the revision, departures and
/// secrets' floors under its own, so a format-2 signature can never pass for a format-3 one.
const DOMAIN_V2: &str = "mpvault policy v1";
const DOMAIN_V3: &str = "mpvault policy v3";

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
    #[serde(rename = "keys")]
    pub data_keys: BTreeMap<Level, PolicyKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floors: Option<BTreeMap<String, Level>>,
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

    pub fn revision(&self) -> u64 {
        self.revision.unwrap_or(0)
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

/// Signs the vault's current policy as `signer`.
pub fn sign(vault: &mut Vault, signer: &str, key: &SigningKey) {
    let signature = key.sign(&signed_bytes(vault));
    vault.signature = Some(PolicySignature {
        signer: signer.to_string(),
        ed25519: B64.encode(signature.to_bytes()),
    });
}

/// Whether the signature is an owner's, as the signed policy itself lists them, over exactly
/// this policy. Returns the signer's signing key when it is.
pub fn verify(vault: &Vault) -> Option<String> {
    verify_bytes(vault, &signed_bytes(vault))
}

/// `verify`, over the policy's signed bytes already computed (`signed_bytes(vault)`), so a
/// command that also hashes them serializes the policy once.
pub fn verify_bytes(vault: &Vault, signed: &[u8]) -> Option<String> {
    let sig = vault.signature.as_ref()?;
    // The policy's members are the vault's: same handles, keys and owner flags.
    let signer = vault.members.get(&sig.signer).filter(|m| m.owner)?;
    let key_text = signer.signing_key.clone()?;
    let key = decode_signing_key(&key_text)?;
    let bytes: [u8; 64] = B64.decode(&sig.ed25519).ok()?.try_into().ok()?;
    key.verify(signed, &Signature::from_bytes(&bytes)).ok()?;
    Some(key_text)
}

/// The bytes an owner signs: `Policy::of(vault).bytes()`, serialized straight from the vault
/// without building (cloning) the policy.
pub fn signed_bytes(vault: &Vault) -> Vec<u8> {
    serde_json::to_vec(&PolicyView(vault)).expect("the policy always serializes")
}

/// SHA-256 of a policy's signed bytes, in hex: how the trust memory tells one policy from
/// another without keeping it.
pub fn hash(signed: &[u8]) -> String {
    crate::key::hex(&Sha256::digest(signed))
}

/// The policy as `Policy::of` would build it, borrowed from the vault. Its serialization is
/// `Policy`'s, field for field (a test holds them equal): signatures depend on every byte.
struct PolicyView<'a>(&'a Vault);

impl Serialize for PolicyView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let vault = self.0;
        let v3 = vault.format >= 3;
        let mut st = s.serialize_struct("Policy", 7)?;
        st.serialize_field("domain", if v3 { DOMAIN_V3 } else { DOMAIN_V2 })?;
        st.serialize_field("vault_id", &vault.vault_id)?;
        if v3 {
            st.serialize_field("revision", &vault.revision)?;
        } else {
            st.skip_field("revision")?;
        }
        st.serialize_field("members", &Map(&vault.members, member_view))?;
        st.serialize_field("apps", &Map(&vault.apps, |app| AppView(app, v3)))?;
        if v3 {
            st.serialize_field("departures", &vault.departures)?;
        } else {
            st.skip_field("departures")?;
        }
        if vault.rules.is_default() {
            st.skip_field("rules")?;
        } else {
            st.serialize_field("rules", &vault.rules)?;
        }
        st.end()
    }
}

/// A sorted map serialized with each value seen through `view`.
struct Map<'a, K, V, F>(&'a BTreeMap<K, V>, F);

impl<'a, K: Serialize, V, F: Fn(&'a V) -> T, T: Serialize> Serialize for Map<'a, K, V, F> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, (self.1)(v))))
    }
}

#[derive(Serialize)]
#[serde(rename = "PolicyMember")]
struct MemberView<'a> {
    key: &'a str,
    signing_key: &'a Option<String>,
    owner: bool,
}

fn member_view(m: &Member) -> MemberView<'_> {
    MemberView {
        key: &m.key,
        signing_key: &m.signing_key,
        owner: m.owner,
    }
}

struct AppView<'a>(&'a App, bool);

impl Serialize for AppView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let AppView(app, v3) = *self;
        let mut st = s.serialize_struct("PolicyApp", 4)?;
        st.serialize_field("appid", &app.appid)?;
        st.serialize_field("roster", &app.roster)?;
        st.serialize_field("keys", &Map(&app.data_keys, key_view))?;
        if v3 {
            st.serialize_field("floors", &app.floors)?;
        } else {
            st.skip_field("floors")?;
        }
        st.end()
    }
}

#[derive(Serialize)]
#[serde(rename = "PolicyKey")]
struct KeyView<'a> {
    readers: &'a [String],
    commitment: &'a Option<String>,
}

fn key_view(k: &WrappedKey) -> KeyView<'_> {
    KeyView {
        readers: &k.readers,
        commitment: &k.commitment,
    }
}

/// The commitment to a data key that the policy carries.
pub fn commitment(key: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(b"mpvault/data-key-commitment/v1\0");
    hash.update(key);
    B64.encode(hash.finalize())
}

/// The first change from `old` to `new`, said the way a person would check it.
pub fn describe_change(old: &Policy, new: &Policy) -> Option<String> {
    describe_changes(old, new).into_iter().next()
}

/// Every change from `old` to `new` that decides who reads what, one sentence each.
pub fn describe_changes(old: &Policy, new: &Policy) -> Vec<String> {
    let mut out = Vec::new();
    for (handle, m) in &new.members {
        match old.members.get(handle) {
            None => out.push(format!(
                "member '{handle}' was added{}",
                if m.owner { " as an owner" } else { "" }
            )),
            Some(o) if o.key != m.key || o.signing_key != m.signing_key => {
                out.push(format!("{handle}'s key changed"));
            }
            Some(o) if o.owner != m.owner => out.push(format!(
                "{handle} was {}",
                if m.owner {
                    "made an owner"
                } else {
                    "removed as an owner"
                }
            )),
            _ => {}
        }
    }
    for handle in old.members.keys().filter(|h| !new.members.contains_key(*h)) {
        out.push(format!("member '{handle}' was removed"));
    }
    for (name, app) in &new.apps {
        let Some(o) = old.apps.get(name) else {
            out.push(format!("app '{name}' was added"));
            continue;
        };
        describe_app_changes(name, o, app, &mut out);
    }
    for name in old.apps.keys().filter(|n| !new.apps.contains_key(*n)) {
        out.push(format!("app '{name}' was removed"));
    }
    for d in old
        .departures()
        .iter()
        .filter(|d| !new.departures().contains(d))
    {
        out.push(format!(
            "the record that {} was {} in revision {} was erased",
            d.handle,
            d.kind.as_str(),
            d.revision
        ));
    }
    if old.rules != new.rules {
        out.push("the health rules changed".to_string());
    }
    let known = old.departures().len();
    for d in new.departures().iter().skip(known) {
        out.push(format!(
            "{} is recorded as {} (lost: {})",
            d.handle,
            d.kind.as_str(),
            d.lost.join(", ")
        ));
    }
    out
}

fn describe_app_changes(name: &str, o: &PolicyApp, app: &PolicyApp, out: &mut Vec<String>) {
    if o.appid != app.appid {
        out.push(format!("the AppID of '{name}' changed to {}", app.appid));
    }
    let handles: std::collections::BTreeSet<&String> =
        app.roster.keys().chain(o.roster.keys()).collect();
    for handle in handles {
        let (was, now) = (o.roster.get(handle), app.roster.get(handle));
        if was != now {
            let roles = now.map_or("no role".to_string(), |r| {
                r.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
            });
            out.push(format!("{handle}'s role on {name} changed to {roles}"));
        }
    }
    for (level, key) in &app.data_keys {
        match o.data_keys.get(level) {
            Some(ok) if ok.readers != key.readers => out.push(format!(
                "the readers of {name}'s {level} key changed to {}",
                key.readers.join(", ")
            )),
            Some(ok) if ok.commitment != key.commitment => {
                out.push(format!("the {level} data key of {name} was replaced"));
            }
            _ => {}
        }
    }
    let (was, now) = (
        o.floors.clone().unwrap_or_default(),
        app.floors.clone().unwrap_or_default(),
    );
    for (secret, level) in &now {
        if was.get(secret) != Some(level) {
            out.push(format!(
                "{secret} of {name} may be stored at the {level} level or above"
            ));
        }
    }
    for secret in was.keys().filter(|s| !now.contains_key(*s)) {
        out.push(format!("{secret} of {name} no longer has a minimum level"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::DepartureKind;

    fn vector(format: u32) -> Vault {
        let bytes = match format {
            1 => &include_bytes!("../../tests/vectors/format-1/mpvault.json")[..],
            2 => &include_bytes!("../../tests/vectors/format-2/mpvault.json")[..],
            _ => &include_bytes!("../../tests/vectors/format-3/mpvault.json")[..],
        };
        Vault::parse(bytes).unwrap()
    }

    /// Signatures made over `Policy::of(..).bytes()` must verify over `signed_bytes`, and the
    /// other way round, for every shape a policy takes.
    #[test]
    fn the_borrowed_view_serializes_as_the_policy() {
        let same = |v: &Vault| {
            assert_eq!(
                String::from_utf8(signed_bytes(v)).unwrap(),
                String::from_utf8(Policy::of(v).bytes()).unwrap()
            );
        };
        for format in [1, 2, 3] {
            same(&vector(format));
        }
        assert!(verify(&vector(2)).is_some() && verify(&vector(3)).is_some());
        let mut v = vector(3);
        v.departures.push(Departure {
            handle: "dora".into(),
            key: "age1x".into(),
            kind: DepartureKind::Revoked,
            at: "2026-01-01T00:00:00Z".into(),
            by: "alice".into(),
            revision: 4,
            lost: vec!["shop/admin".into()],
        });
        v.rules.icp_required = Some(false);
        v.rules.max_age_days.insert("X".into(), None);
        let app = v.apps.values_mut().next().unwrap();
        app.floors.insert("SECRET".into(), Level::Admin);
        app.floors.insert("OTHER".into(), Level::Team);
        for key in app.data_keys.values_mut() {
            key.commitment = None;
        }
        app.roster.clear();
        same(&v);
        v.members.values_mut().for_each(|m| m.signing_key = None);
        v.format = 2;
        same(&v);
        v.apps.clear();
        v.members.clear();
        same(&v);
    }
}
