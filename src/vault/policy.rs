//! The policy: who may read what. It is everything in the vault that decides where data keys
//! go — members, their keys and owner flags, AppIDs, rosters, each level's readers and a
//! commitment to each data key — and an owner signs it with Ed25519.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{Signature, Verifier};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::model::{
    App, Departure, Invitation, Member, PolicySignature, Return, Tombstone, Vault, Waiver,
    WrappedKey,
};
use crate::key::{decode_signing_key, SignsMessages};
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
    /// Format 4; left out of the signed bytes while empty, so format-3 signatures still verify.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returns: Option<Vec<Return>>,
    /// Left out of the signed bytes while default, so format-2 signatures still verify.
    #[serde(default, skip_serializing_if = "super::rules::Rules::is_default")]
    pub rules: super::rules::Rules,
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

/// Signs the vault's current policy as `signer`.
pub fn sign(vault: &mut Vault, signer: &str, key: &impl SignsMessages) -> crate::error::Result<()> {
    let signature = key.sign_message(&signed_bytes(vault))?;
    vault.signature = Some(PolicySignature {
        signer: signer.to_string(),
        ed25519: B64.encode(signature.to_bytes()),
    });
    Ok(())
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

/// What a clone keeps of a signature it verified: SHA-256 (hex) over a domain tag, the policy's
/// signed bytes, the signature as the file holds it and the signing key of the owner it names;
/// with that key. `None` when the file names no owner with a signing key. A file that gives the
/// digest a verified one gave holds the same signature by the same key over the same policy
/// (short of a SHA-256 collision), so it verifies: hashing costs a tenth of verifying.
pub fn signature_digest(vault: &Vault, signed: &[u8]) -> Option<(String, String)> {
    let sig = vault.signature.as_ref()?;
    let key = vault
        .members
        .get(&sig.signer)
        .filter(|m| m.owner)?
        .signing_key
        .clone()?;
    let mut hash = Sha256::new();
    for part in [
        b"mpvault/verified-policy/v1".as_slice(),
        signed,
        sig.ed25519.as_bytes(),
        key.as_bytes(),
    ] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part);
    }
    Some((crate::key::hex(&hash.finalize()), key))
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
        let mut st = s.serialize_struct("Policy", 11)?;
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
        if v3 && !vault.returns.is_empty() {
            st.serialize_field("returns", &vault.returns)?;
        } else {
            st.skip_field("returns")?;
        }
        if vault.rules.is_default() {
            st.skip_field("rules")?;
        } else {
            st.serialize_field("rules", &vault.rules)?;
        }
        if vault.invitations.is_empty() {
            st.skip_field("invitations")?;
        } else {
            st.serialize_field("invitations", &vault.invitations)?;
        }
        if vault.waivers.is_empty() {
            st.skip_field("waivers")?;
        } else {
            st.serialize_field("waivers", &vault.waivers)?;
        }
        if vault.tombstones.is_empty() {
            st.skip_field("tombstones")?;
        } else {
            st.serialize_field("tombstones", &vault.tombstones)?;
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
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    service: bool,
}

fn member_view(m: &Member) -> MemberView<'_> {
    MemberView {
        key: &m.key,
        signing_key: &m.signing_key,
        owner: m.owner,
        service: m.service,
    }
}

struct AppView<'a>(&'a App, bool);

impl Serialize for AppView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let AppView(app, v3) = *self;
        let mut st = s.serialize_struct("PolicyApp", 6)?;
        st.serialize_field("appid", &app.appid)?;
        st.serialize_field("roster", &app.roster)?;
        st.serialize_field("keys", &Map(&app.data_keys, key_view))?;
        if v3 {
            st.serialize_field("floors", &app.floors)?;
        } else {
            st.skip_field("floors")?;
        }
        if app.public.is_empty() {
            st.skip_field("public")?;
        } else {
            st.serialize_field("public", &app.public)?;
        }
        if app.services.is_empty() {
            st.skip_field("services")?;
        } else {
            st.serialize_field("services", &app.services)?;
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

/// One difference between two policies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// What changed, in one sentence: an error names the first one.
    pub what: String,
    /// The values before and after, for a review (empty when `what` says it all).
    pub detail: String,
    /// The member whose promotion to owner, or whose key as an owner, this is: such a change
    /// hands over every level of every app, so a review shows it first and asks on its own.
    pub owner_change: Option<String>,
}

impl Change {
    fn new(what: String) -> Self {
        Change {
            what,
            detail: String::new(),
            owner_change: None,
        }
    }

    fn detail(mut self, detail: String) -> Self {
        self.detail = detail;
        self
    }

    fn of_owner(mut self, handle: &str) -> Self {
        self.owner_change = Some(handle.to_string());
        self
    }

    /// The sentence and its detail, as a review lists it.
    pub fn line(&self) -> String {
        format!("{}{}", self.what, self.detail)
    }
}

/// The first change from `old` to `new`, said the way a person would check it.
pub fn describe_change(old: &Policy, new: &Policy) -> Option<String> {
    changes(old, new).into_iter().next().map(|c| c.what)
}

/// Every change from `old` to `new` that decides who reads what, one line each.
pub fn describe_changes(old: &Policy, new: &Policy) -> Vec<String> {
    changes(old, new).iter().map(Change::line).collect()
}

/// Every change from `old` to `new`, field by field: members' keys, signing keys and owner
/// flags, AppIDs, roles, each level's readers and key, floors, departures and rules. Owner
/// promotions and owners' key changes come first. The revision is left to the caller.
pub fn changes(old: &Policy, new: &Policy) -> Vec<Change> {
    let mut out = Vec::new();
    member_changes(old, new, &mut out);
    for (name, app) in &new.apps {
        match old.apps.get(name) {
            Some(o) => {
                describe_app_changes(name, o, app, &mut out);
                public_changes(name, o, app, &mut out);
            }
            None if renamed_from(old, new, app).is_some() => {
                let (was, o) = renamed_from(old, new, app).expect("just found");
                out.push(Change::new(format!("app '{was}' was renamed to '{name}'")));
                describe_app_changes(name, o, app, &mut out);
                public_changes(name, o, app, &mut out);
            }
            None => {
                out.push(
                    Change::new(format!("app '{name}' was added"))
                        .detail(format!(" (AppID {})", app.appid)),
                );
                let empty = PolicyApp {
                    appid: app.appid.clone(),
                    roster: BTreeMap::new(),
                    data_keys: BTreeMap::new(),
                    floors: None,
                    public: None,
                    services: None,
                };
                describe_app_changes(name, &empty, app, &mut out);
                public_changes(name, &empty, app, &mut out);
            }
        }
    }
    for (name, app) in old.apps.iter().filter(|(n, _)| !new.apps.contains_key(*n)) {
        if !new.apps.values().any(|a| a.appid == app.appid) {
            out.push(Change::new(format!("app '{name}' was removed")));
        }
    }
    departure_changes(old, new, &mut out);
    return_changes(old, new, &mut out);
    waiver_changes(old, new, &mut out);
    tombstone_changes(old, new, &mut out);
    invitation_changes(old, new, &mut out);
    rule_changes(&old.rules, &new.rules, &mut out);
    // Stable: owner changes first, everything else in the order above.
    out.sort_by_key(|c| c.owner_change.is_none());
    out
}

/// The app of `old` that `app` (new in `new`) was renamed from: gone from `new`, same AppID.
fn renamed_from<'p>(
    old: &'p Policy,
    new: &Policy,
    app: &PolicyApp,
) -> Option<(&'p str, &'p PolicyApp)> {
    old.apps
        .iter()
        .find(|(n, o)| o.appid == app.appid && !new.apps.contains_key(*n))
        .map(|(n, o)| (n.as_str(), o))
}

fn member_changes(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
    for (handle, m) in &new.members {
        let Some(o) = old.members.get(handle) else {
            let mut added = Change::new(format!(
                "member '{handle}' was added{}",
                if m.owner {
                    " as an owner"
                } else if m.service {
                    " as a service member"
                } else {
                    ""
                }
            ))
            .detail(format!(
                ": key {}, signing key {}",
                show_key(&m.key),
                show_signing_key(m.signing_key.as_deref())
            ));
            if m.owner {
                added = added.of_owner(handle);
            }
            out.push(added);
            continue;
        };
        let owner = o.owner || m.owner;
        let mut keyed = |what: &str, was: String, now: String| {
            let change = Change::new(format!("{handle}'s {what} changed"))
                .detail(format!(": from {was} to {now}"));
            out.push(if owner {
                change.of_owner(handle)
            } else {
                change
            });
        };
        if o.key != m.key {
            keyed("key", show_key(&o.key), show_key(&m.key));
        }
        if o.signing_key != m.signing_key {
            keyed(
                "signing key",
                show_signing_key(o.signing_key.as_deref()),
                show_signing_key(m.signing_key.as_deref()),
            );
        }
        if o.owner != m.owner {
            out.push(if m.owner {
                Change::new(format!("{handle} was made an owner")).of_owner(handle)
            } else {
                Change::new(format!("{handle} was removed as an owner"))
            });
        }
        if o.service != m.service {
            out.push(Change::new(if m.service {
                format!("{handle} was made a service member")
            } else {
                format!("{handle} is no longer a service member")
            }));
        }
    }
    for handle in old.members.keys().filter(|h| !new.members.contains_key(*h)) {
        out.push(Change::new(format!("member '{handle}' was removed")));
    }
}

/// A member's key as a person checks it against `mpvault identity show`: whole, unless it is
/// an SSH-RSA key's few hundred characters.
fn show_key(key: &str) -> String {
    const SHORT: usize = 100;
    if key.chars().count() <= SHORT {
        return key.to_string();
    }
    let start: String = key.chars().take(24).collect();
    format!("{start}… (SHA-256 {})", crate::key::fingerprint(key))
}

/// A signing key by the fingerprint `mpvault trust` shows.
fn show_signing_key(key: Option<&str>) -> String {
    key.map_or("none".to_string(), |k| {
        format!("fingerprint {}", crate::key::fingerprint(k))
    })
}

fn roles(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn describe_app_changes(name: &str, o: &PolicyApp, app: &PolicyApp, out: &mut Vec<Change>) {
    if o.appid != app.appid {
        out.push(
            Change::new(format!("the AppID of '{name}' changed to {}", app.appid))
                .detail(format!(" (was {})", o.appid)),
        );
    }
    roster_changes(name, o, app, out);
    service_changes(name, o, app, out);
    key_changes(name, o, app, out);
}

fn roster_changes(name: &str, o: &PolicyApp, app: &PolicyApp, out: &mut Vec<Change>) {
    let handles: std::collections::BTreeSet<&String> =
        app.roster.keys().chain(o.roster.keys()).collect();
    for handle in handles {
        let (was, now) = (o.roster.get(handle), app.roster.get(handle));
        let (was, now) = (was.filter(|r| !r.is_empty()), now.filter(|r| !r.is_empty()));
        match (was, now) {
            (None, Some(now)) => out.push(Change::new(format!(
                "{handle} was given a role on {name}: {}",
                roles(now)
            ))),
            (Some(was), None) => out.push(
                Change::new(format!("{handle} lost every role on {name}"))
                    .detail(format!(" (was {})", roles(was))),
            ),
            (Some(was), Some(now)) if was != now => out.push(
                Change::new(format!(
                    "{handle}'s role on {name} changed to {}",
                    roles(now)
                ))
                .detail(format!(" (was {})", roles(was))),
            ),
            _ => {}
        }
    }
}

fn key_changes(name: &str, o: &PolicyApp, app: &PolicyApp, out: &mut Vec<Change>) {
    for (level, key) in &app.data_keys {
        let Some(ok) = o.data_keys.get(level) else {
            out.push(Change::new(format!(
                "the readers of {name}'s {level} key are {}",
                key.readers.join(", ")
            )));
            continue;
        };
        if ok.readers != key.readers {
            out.push(
                Change::new(format!(
                    "the readers of {name}'s {level} key changed to {}",
                    key.readers.join(", ")
                ))
                .detail(reader_difference(&ok.readers, &key.readers)),
            );
        }
        if ok.commitment != key.commitment {
            out.push(Change::new(format!(
                "the {level} data key of {name} was replaced"
            )));
        }
    }
    for level in o
        .data_keys
        .keys()
        .filter(|l| !app.data_keys.contains_key(*l))
    {
        out.push(Change::new(format!("{name}'s {level} key was removed")));
    }
    let (was, now) = (
        o.floors.clone().unwrap_or_default(),
        app.floors.clone().unwrap_or_default(),
    );
    for (secret, level) in &now {
        match was.get(secret) {
            Some(before) if before == level => {}
            before => out.push(
                Change::new(format!(
                    "{secret} of {name} may be stored at the {level} level or above"
                ))
                .detail(before.map_or(String::new(), |b| format!(" (was {b})"))),
            ),
        }
    }
    for secret in was.keys().filter(|s| !now.contains_key(*s)) {
        out.push(Change::new(format!(
            "{secret} of {name} no longer has a minimum level"
        )));
    }
}

/// Each public fact (format 5) set, changed or removed.
fn public_changes(name: &str, o: &PolicyApp, app: &PolicyApp, out: &mut Vec<Change>) {
    let (was, now) = (
        o.public.clone().unwrap_or_default(),
        app.public.clone().unwrap_or_default(),
    );
    for key in was
        .keys()
        .chain(now.keys())
        .collect::<std::collections::BTreeSet<_>>()
    {
        match (was.get(key), now.get(key)) {
            (before, Some(value)) if before != Some(value) => out.push(
                Change::new(format!("the public {key} of {name} is {value}"))
                    .detail(before.map_or(String::new(), |b| format!(" (was {b})"))),
            ),
            (Some(_), None) => out.push(Change::new(format!(
                "the public {key} of {name} was removed"
            ))),
            _ => {}
        }
    }
}

/// " (added: …; removed: …)" between two reader lists.
fn reader_difference(was: &[String], now: &[String]) -> String {
    let added: Vec<&str> = now
        .iter()
        .filter(|h| !was.contains(h))
        .map(String::as_str)
        .collect();
    let removed: Vec<&str> = was
        .iter()
        .filter(|h| !now.contains(h))
        .map(String::as_str)
        .collect();
    let mut parts = Vec::new();
    if !added.is_empty() {
        parts.push(format!("added: {}", added.join(", ")));
    }
    if !removed.is_empty() {
        parts.push(format!("removed: {}", removed.join(", ")));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join("; "))
    }
}

fn departure_changes(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
    for d in old
        .departures()
        .iter()
        .filter(|d| !new.departures().contains(d))
    {
        out.push(Change::new(format!(
            "the record that {} was {} in revision {} was erased",
            d.handle,
            d.kind.as_str(),
            d.revision
        )));
    }
    for d in new
        .departures()
        .iter()
        .filter(|d| !old.departures().contains(d))
    {
        let lost = if d.lost.is_empty() {
            "nothing".to_string()
        } else {
            d.lost.join(", ")
        };
        let when = if d.revision == 0 {
            String::new()
        } else {
            format!(" in revision {}", d.revision)
        };
        out.push(
            Change::new(format!(
                "{} is recorded as {} (lost: {lost})",
                d.handle,
                d.kind.as_str()
            ))
            .detail(format!(", by {}{when}, key {}", d.by, show_key(&d.key))),
        );
    }
}

fn return_changes(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
    for r in old.returns().iter().filter(|r| !new.returns().contains(r)) {
        out.push(Change::new(format!(
            "the record that {} was given back {} in revision {} was erased",
            r.handle,
            r.regained.join(", "),
            r.revision
        )));
    }
    for r in new.returns().iter().filter(|r| !old.returns().contains(r)) {
        let when = if r.revision == 0 {
            String::new()
        } else {
            format!(" in revision {}", r.revision)
        };
        out.push(
            Change::new(format!(
                "{} is recorded as given back {}",
                r.handle,
                r.regained.join(", ")
            ))
            .detail(format!(", by {}{when}, key {}", r.by, show_key(&r.key))),
        );
    }
}

fn service_changes(name: &str, o: &PolicyApp, app: &PolicyApp, out: &mut Vec<Change>) {
    let empty = BTreeMap::new();
    let (was, now) = (
        o.services.as_ref().unwrap_or(&empty),
        app.services.as_ref().unwrap_or(&empty),
    );
    for (handle, level) in now.iter().filter(|(h, l)| was.get(*h) != Some(*l)) {
        out.push(Change::new(format!(
            "service member {handle} reads {name} up to the {level} level"
        )));
    }
    for handle in was.keys().filter(|h| !now.contains_key(*h)) {
        out.push(Change::new(format!(
            "service member {handle} no longer reads {name}"
        )));
    }
}

fn tombstone_changes(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
    for t in old
        .tombstones()
        .iter()
        .filter(|t| !new.tombstones().contains(t))
    {
        out.push(Change::new(format!(
            "the record that app '{}' ({}) was removed in revision {} was erased",
            t.app, t.appid, t.revision
        )));
    }
    for t in new
        .tombstones()
        .iter()
        .filter(|t| !old.tombstones().contains(t))
    {
        let readers: Vec<String> = t
            .readers
            .iter()
            .map(|r| format!("{} {}", r.handle, r.level))
            .collect();
        out.push(
            Change::new(format!(
                "app '{}' ({}) is recorded as removed by {}",
                t.app, t.appid, t.by
            ))
            .detail(format!(
                " at {}; readers then: {}",
                t.removed_at,
                if readers.is_empty() {
                    "none".to_string()
                } else {
                    readers.join(", ")
                }
            )),
        );
    }
}

fn waiver_changes(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
    for w in old.waivers().iter().filter(|w| !new.waivers().contains(w)) {
        out.push(Change::new(format!(
            "the waiver of {} of '{}' by {} in revision {} was erased",
            w.secret, w.app, w.by, w.revision
        )));
    }
    for w in new.waivers().iter().filter(|w| !old.waivers().contains(w)) {
        out.push(
            Change::new(format!(
                "{} waived the rotation of {} of '{}'{}: \"{}\"",
                w.by,
                w.secret,
                w.app,
                w.departed
                    .as_ref()
                    .map(|h| format!(" after {h}'s departure"))
                    .unwrap_or_default(),
                crate::display::escape(&w.reason)
            ))
            .detail(if w.revision == 0 {
                format!(", at {}", w.at)
            } else {
                format!(", at {} in revision {}", w.at, w.revision)
            }),
        );
    }
}

fn invitation_changes(old: &Policy, new: &Policy, out: &mut Vec<Change>) {
    let find = |p: &'_ Policy, id: &str| p.invitations().iter().find(|i| i.id == id).cloned();
    for i in new.invitations() {
        let roles: Vec<String> = i
            .roles
            .iter()
            .map(|(app, r)| format!("{app}: {}", roles(r)))
            .collect();
        match find(old, &i.id) {
            None => out.push(
                Change::new(format!("'{}' was invited by {}", i.handle, i.by)).detail(format!(
                    " (roles: {}; expires {}; inviter fingerprint {})",
                    if roles.is_empty() {
                        "none".to_string()
                    } else {
                        roles.join("; ")
                    },
                    i.expires,
                    crate::key::fingerprint(&i.by_key)
                )),
            ),
            Some(o) if o != *i => {
                let what = if i.used && !o.used {
                    format!("the invitation of '{}' was used", i.handle)
                } else {
                    format!("the invitation of '{}' was changed", i.handle)
                };
                out.push(Change::new(what));
            }
            Some(_) => {}
        }
    }
    for i in old.invitations() {
        if find(new, &i.id).is_none() {
            out.push(Change::new(format!(
                "the invitation of '{}' was withdrawn",
                i.handle
            )));
        }
    }
}

/// Each health rule that changed. Every line starts "the health rules changed", which is
/// what an error names.
fn rule_changes(old: &super::rules::Rules, new: &super::rules::Rules, out: &mut Vec<Change>) {
    let before = out.len();
    let mut changed = |what: String| {
        out.push(Change::new("the health rules changed".to_string()).detail(format!(": {what}")));
    };
    let age = |days: Option<u32>| {
        days.map_or("no age limit".to_string(), |d| {
            format!("at most {d} days old")
        })
    };
    let (was, now) = (old.max_ages(), new.max_ages());
    let names: std::collections::BTreeSet<&String> = was.keys().chain(now.keys()).collect();
    for name in names {
        let (before, after) = (old.max_age(name), new.max_age(name));
        if before != after {
            let after = match after {
                None => "has no age limit".to_string(),
                Some(d) => format!("may be at most {d} days old"),
            };
            changed(format!("{name} {after} (was {})", age(before)));
        }
    }
    if old.verification_window() != new.verification_window() {
        changed(format!(
            "verification expiry is flagged {} days ahead (was {})",
            new.verification_window(),
            old.verification_window()
        ));
    }
    let apps: std::collections::BTreeSet<&String> = old
        .app_verification_window_days
        .keys()
        .chain(new.app_verification_window_days.keys())
        .collect();
    for app in apps {
        let (before, after) = (
            old.verification_window_for(app),
            new.verification_window_for(app),
        );
        if before != after {
            changed(format!(
                "verification expiry of {app} is flagged {after} days ahead (was {before})"
            ));
        }
    }
    if old.icp_required() != new.icp_required() {
        changed(if new.icp_required() {
            "an ICP filing number is required again".to_string()
        } else {
            "an ICP filing number is no longer required".to_string()
        });
    }
    if old != new && out.len() == before {
        // The signed bytes differ (a default spelled out, say) though every rule reads the same.
        out.push(
            Change::new("the health rules changed".to_string())
                .detail(": written differently, with the same effect".to_string()),
        );
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
        // Format 6: waivers, tombstones and service members.
        let (handle, member) = v.members.iter_mut().next().unwrap();
        let handle = handle.clone();
        member.owner = false;
        member.service = true;
        let app = v.apps.values_mut().next().unwrap();
        app.services.insert(handle.clone(), Level::Developer);
        v.waivers.push(Waiver {
            app: "shop".into(),
            secret: "WECHAT_APPSECRET".into(),
            departed: Some("dora".into()),
            reason: "moved teams".into(),
            by: "alice".into(),
            at: "2026-01-02T00:00:00Z".into(),
            revision: 4,
        });
        v.tombstones.push(Tombstone {
            app: "old".into(),
            appid: "wx0000000000000000".into(),
            client: Some("acme".into()),
            readers: vec![super::super::model::FormerReader {
                handle,
                level: Level::Admin,
                since: "2026-01-01T00:00:00Z".into(),
            }],
            removed_at: "2026-01-03T00:00:00Z".into(),
            by: "alice".into(),
            revision: 5,
        });
        same(&v);
        v.members.values_mut().for_each(|m| m.signing_key = None);
        v.format = 2;
        same(&v);
        v.apps.clear();
        v.members.clear();
        same(&v);
    }
}
