//! Who wrote a value (format 3). Every sealed value carries its writer's Ed25519 signature over
//! its place in the vault, its version, its metadata and its ciphertext, so `set_by` is true and
//! a value written by someone who could not read its level is refused.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{Signature, Verifier};

use super::app::Sealed;
use crate::error::Result;
use crate::key::{decode_signing_key, SignsMessages};
use crate::wechat::Level;

const DOMAIN: &str = "mpvault value v3";

/// Where a value lives: the parts both its associated data and its signature bind.
pub struct Place<'a> {
    pub vault_id: &'a str,
    pub app: &'a str,
    pub level: &'a str,
    pub path: &'a str,
}

impl<'a> Place<'a> {
    pub fn new(vault_id: &'a str, app: &'a str, level: Level, path: &'a str) -> Self {
        Place {
            vault_id,
            app,
            level: level.as_str(),
            path,
        }
    }
}

/// Length-prefixed parts, so no choice of names can make two places encode alike.
fn encode(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len() + 4).sum());
    for part in parts {
        let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(part);
    }
    out
}

fn version_text(sealed: &Sealed) -> String {
    sealed.version.map(|v| v.to_string()).unwrap_or_default()
}

/// The associated data of a format-3 value: its place, version, writer and time.
pub fn associated_data(place: &Place, sealed: &Sealed) -> Vec<u8> {
    encode(&described(
        b"mpvault ad v3",
        place,
        sealed,
        &version_text(sealed),
    ))
}

/// Format 4 values add the policy revision they were written under and the version they
/// restore, under their own domain: a value stripped of its revision no longer verifies.
const DOMAIN_V4: &str = "mpvault value v4";

fn message(place: &Place, sealed: &Sealed) -> Vec<u8> {
    let version = version_text(sealed);
    let Some(revision) = sealed.revision else {
        let mut parts = described(DOMAIN.as_bytes(), place, sealed, &version);
        parts.push(sealed.sealed_by.as_deref().unwrap_or_default().as_bytes());
        parts.push(sealed.value.as_bytes());
        return encode(&parts);
    };
    let revision = revision.to_string();
    let restored = sealed.restored.map(|v| v.to_string()).unwrap_or_default();
    let mut parts = described(DOMAIN_V4.as_bytes(), place, sealed, &version);
    parts.push(revision.as_bytes());
    parts.push(restored.as_bytes());
    parts.push(sealed.sealed_by.as_deref().unwrap_or_default().as_bytes());
    parts.push(sealed.value.as_bytes());
    encode(&parts)
}

/// What both the associated data and the signature bind, after their domain.
fn described<'p>(
    domain: &'p [u8],
    place: &'p Place,
    sealed: &'p Sealed,
    version: &'p str,
) -> Vec<&'p [u8]> {
    vec![
        domain,
        place.vault_id.as_bytes(),
        place.app.as_bytes(),
        place.level.as_bytes(),
        place.path.as_bytes(),
        version.as_bytes(),
        sealed.set_by.as_bytes(),
        sealed.set_at.as_bytes(),
    ]
}

/// Signs a sealed value in place.
pub fn sign(place: &Place, sealed: &mut Sealed, key: &impl SignsMessages) -> Result<()> {
    sealed.sig = None;
    let signature = key.sign_message(&message(place, sealed))?;
    sealed.sig = Some(B64.encode(signature.to_bytes()));
    Ok(())
}

/// Whether the value carries a valid signature by `signing_key` (`ed25519:<base64>`).
pub fn verify(place: &Place, sealed: &Sealed, signing_key: &str) -> bool {
    let Some(key) = decode_signing_key(signing_key) else {
        return false;
    };
    let Some(bytes) = sealed
        .sig
        .as_deref()
        .and_then(|s| B64.decode(s).ok())
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
    else {
        return false;
    };
    key.verify(&message(place, sealed), &Signature::from_bytes(&bytes))
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealed() -> Sealed {
        Sealed {
            revision: None,
            restored: None,
            version: Some(2),
            set_by: "bob".into(),
            set_at: "2026-01-01T00:00:00Z".into(),
            sealed_by: None,
            value: "AAAA".into(),
            sig: None,
        }
    }

    #[test]
    fn a_signature_holds_only_for_its_place_and_metadata() {
        let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
        let public = crate::key::encode_signing_key(&key.verifying_key());
        let place = Place {
            vault_id: "v",
            app: "shop",
            level: "developer",
            path: "secrets/A",
        };
        let mut s = sealed();
        sign(&place, &mut s, &key).unwrap();
        assert!(verify(&place, &s, &public));
        let moved = Place {
            path: "secrets/B",
            ..place
        };
        assert!(!verify(&moved, &s, &public));
        let lowered = Place {
            level: "team",
            path: "secrets/A",
            ..moved
        };
        assert!(!verify(&lowered, &s, &public));
        let mut forged = s.clone();
        forged.set_by = "alice".into();
        assert!(!verify(
            &Place {
                level: "developer",
                ..lowered
            },
            &forged,
            &public
        ));
        let mut older = s.clone();
        older.version = Some(1);
        let place = Place {
            vault_id: "v",
            app: "shop",
            level: "developer",
            path: "secrets/A",
        };
        assert!(!verify(&place, &older, &public));
    }
}
