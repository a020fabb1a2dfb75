//! The owner's signature over the policy: the bytes signed (serialized straight from the
//! vault, `PolicyView`), signing, verifying, and the digests by which a clone recognises a
//! policy or a signature it already checked without keeping either.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{Signature, Verifier};
use serde::ser::Serializer;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::key::{decode_signing_key, SignsMessages};
use crate::vault::app::{App, WrappedKey};
use crate::vault::model::{Member, PolicySignature, Vault};

/// Format 2 signed the policy under this domain; format 3 adds the revision, departures and
/// secrets' floors under its own, so a format-2 signature can never pass for a format-3 one.
pub(super) const DOMAIN_V2: &str = "mpvault policy v1";
pub(super) const DOMAIN_V3: &str = "mpvault policy v3";

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::policy::Policy;
    use crate::vault::records::{Departure, DepartureKind, FormerReader, Tombstone, Waiver};
    use crate::wechat::Level;

    fn vector(format: u32) -> Vault {
        let bytes = match format {
            1 => &include_bytes!("../../../tests/vectors/format-1/mpvault.json")[..],
            2 => &include_bytes!("../../../tests/vectors/format-2/mpvault.json")[..],
            _ => &include_bytes!("../../../tests/vectors/format-3/mpvault.json")[..],
        };
        Vault::parse(bytes).unwrap()
    }

    fn same(v: &Vault) {
        assert_eq!(
            String::from_utf8(signed_bytes(v)).unwrap(),
            String::from_utf8(Policy::of(v).bytes()).unwrap()
        );
    }

    /// Format 3's optional parts: a departure, rules spelled out, floors, keys without
    /// commitments, an empty roster.
    fn add_format_3_parts(v: &mut Vault) {
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
    }

    /// Format 6's: a service member, a waiver and a tombstone.
    fn add_format_6_parts(v: &mut Vault) {
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
            readers: vec![FormerReader {
                handle,
                level: Level::Admin,
                since: "2026-01-01T00:00:00Z".into(),
            }],
            removed_at: "2026-01-03T00:00:00Z".into(),
            by: "alice".into(),
            revision: 5,
        });
    }

    /// Signatures made over `Policy::of(..).bytes()` must verify over `signed_bytes`, and the
    /// other way round, for every shape a policy takes.
    #[test]
    fn the_borrowed_view_serializes_as_the_policy() {
        for format in [1, 2, 3] {
            same(&vector(format));
        }
        assert!(verify(&vector(2)).is_some() && verify(&vector(3)).is_some());
        let mut v = vector(3);
        add_format_3_parts(&mut v);
        same(&v);
        add_format_6_parts(&mut v);
        same(&v);
        v.members.values_mut().for_each(|m| m.signing_key = None);
        v.format = 2;
        same(&v);
        v.apps.clear();
        v.members.clear();
        same(&v);
    }
}
