//! Invitations and join requests (format 5). An owner's invitation commits to a one-time code
//! without holding it; a newcomer who has the code proves it with a MAC over their keys; an
//! owner checks the MAC with a key only owners can unwrap. See FORMAT.md, "Invitations".

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::crypto::DataKey;
use super::records::{Invitation, JoinRequest};
use crate::error::{Error, Result};

/// Crockford's base32: no I, L, O or U, so a code read aloud is not misheard.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// 16 characters of 5 bits: 80 bits, in four groups of four.
const CODE_CHARS: usize = 16;
/// scrypt's cost: 2^15 × 8 × 128 bytes = 32 MiB, a fraction of a second.
const LOG_N: u8 = 15;
const SALT_DOMAIN: &str = "mpvault invitation v1";
const COMMITMENT_DOMAIN: &[u8] = b"mpvault/invitation-commitment/v1\0";
const MAC_DOMAIN: &str = "mpvault join request v1";

/// A one-time invitation code, as 16 characters of the alphabet (no prefix, no dashes).
pub struct Code(Zeroizing<String>);

impl Code {
    pub fn generate() -> Result<Self> {
        let mut bytes = Zeroizing::new([0u8; CODE_CHARS]);
        crate::random::fill(bytes.as_mut())?;
        let text = bytes
            .iter()
            .map(|b| char::from(ALPHABET[usize::from(b & 31)]))
            .collect();
        Ok(Code(Zeroizing::new(text)))
    }

    /// Reads a code as a person types it: any case, spaces and dashes anywhere, the `mpv`
    /// prefix optional, O for 0 and I or L for 1.
    pub fn parse(text: &str) -> Result<Self> {
        let upper = text.trim().to_uppercase();
        let body = upper.strip_prefix("MPV").unwrap_or(&upper);
        let mut code = Zeroizing::new(String::with_capacity(CODE_CHARS));
        for c in body.chars().filter(|c| !matches!(c, '-' | ' ' | '\t')) {
            let c = match c {
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            };
            if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) {
                return Err(bad_code());
            }
            code.push(c);
        }
        if code.len() != CODE_CHARS {
            return Err(bad_code());
        }
        Ok(Code(code))
    }

    /// `mpv-XXXX-XXXX-XXXX-XXXX`, to read aloud or paste into a chat.
    pub fn display(&self) -> String {
        let groups: Vec<&str> = (0..CODE_CHARS)
            .step_by(4)
            .map(|i| &self.0[i..i + 4])
            .collect();
        format!("mpv-{}", groups.join("-"))
    }
}

fn bad_code() -> Error {
    Error::invalid(
        "that is not an invitation code",
        "type it as the owner gave it, like mpv-7Q4K-92ZD-XH3M-5NPA (case, spaces and dashes do not matter)",
    )
}

/// `P(x)`: the length of `x` as 4 bytes big-endian, then `x`.
fn framed(parts: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for part in parts {
        let len = u32::try_from(part.len()).expect("bounded by the vault's limits");
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(part.as_bytes());
    }
    out
}

/// The code's two keys: the first half of scrypt's output is committed to, the second is the
/// MAC key. The salt binds the vault, the invitation, the handle and the inviting owner.
struct Keys {
    commit: Zeroizing<[u8; 32]>,
    mac: Zeroizing<[u8; 32]>,
}

fn derive(code: &Code, vault_id: &str, inv: &Invitation) -> Keys {
    let mut salt = framed(&[
        SALT_DOMAIN,
        vault_id,
        &inv.id,
        &inv.handle,
        &inv.by_key,
        &inv.salt,
    ]);
    let owners: Vec<&str> = inv.owners.iter().map(String::as_str).collect();
    salt.extend(framed(&owners));
    let params = scrypt::Params::new(LOG_N, 8, 1, 64).expect("fixed, valid parameters");
    let mut out = Zeroizing::new([0u8; 64]);
    scrypt::scrypt(code.0.as_bytes(), &salt, &params, out.as_mut())
        .expect("64 bytes is a valid output length");
    let mut keys = Keys {
        commit: Zeroizing::new([0u8; 32]),
        mac: Zeroizing::new([0u8; 32]),
    };
    keys.commit.copy_from_slice(&out[..32]);
    keys.mac.copy_from_slice(&out[32..]);
    keys
}

fn commitment(keys: &Keys) -> String {
    let mut hash = Sha256::new();
    hash.update(COMMITMENT_DOMAIN);
    hash.update(keys.commit.as_ref());
    B64.encode(hash.finalize())
}

/// What an invitation holds before its code is bound to it.
pub struct Draft<'a> {
    pub vault_id: &'a str,
    pub handle: &'a str,
    pub roles: std::collections::BTreeMap<String, Vec<crate::wechat::Role>>,
    pub by: &'a str,
    pub by_key: &'a str,
    pub owners: Vec<String>,
    pub at: &'a str,
    pub expires: String,
}

/// A new invitation for `code`, its MAC key wrapped to `owners` (the owners' keys).
pub fn invitation(
    draft: Draft<'_>,
    code: &Code,
    owners: &[Box<dyn age::Recipient + Send>],
) -> Result<Invitation> {
    let mut salt = [0u8; 16];
    crate::random::fill(&mut salt)?;
    let mut inv = Invitation {
        id: crate::random::hex128()?,
        handle: draft.handle.to_string(),
        roles: draft.roles,
        by: draft.by.to_string(),
        by_key: draft.by_key.to_string(),
        owners: draft.owners,
        at: draft.at.into(),
        expires: draft.expires.into(),
        salt: B64.encode(salt),
        commitment: String::new(),
        mac_key: String::new(),
        used: false,
    };
    let keys = derive(code, draft.vault_id, &inv);
    inv.commitment = commitment(&keys);
    inv.mac_key = DataKey::from_bytes(keys.mac).wrap(owners)?;
    Ok(inv)
}

/// Whether `signing_key` was an owner's when the invitation was made. Once the code matched,
/// this list is the inviter's own, so it decides whose signature a newcomer accepts.
pub fn vouches_for(inv: &Invitation, signing_key: &str) -> bool {
    inv.owners.iter().any(|k| k == signing_key)
}

/// The MAC key of a code that matches the invitation's commitment; `None` for any other code.
pub struct MacKey(Zeroizing<[u8; 32]>);

pub fn open_with_code(code: &Code, vault_id: &str, inv: &Invitation) -> Option<MacKey> {
    let keys = derive(code, vault_id, inv);
    (commitment(&keys) == inv.commitment).then(|| MacKey(keys.mac))
}

/// The MAC key as an owner unwraps it; `Ok(None)` when they were not an owner at the time.
pub fn open_as_owner(inv: &Invitation, identity: &dyn age::Identity) -> Result<Option<MacKey>> {
    let file = DataKey::decode(&inv.mac_key)?;
    Ok(DataKey::unwrap(&file, identity)?.map(|k| MacKey(Zeroizing::new(*k.bytes()))))
}

fn mac(
    key: &MacKey,
    vault_id: &str,
    invitation: &str,
    handle: &str,
    member_key: &str,
    signing_key: Option<&str>,
) -> Hmac<Sha256> {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key.0.as_ref()).expect("HMAC takes any key length");
    mac.update(&framed(&[
        MAC_DOMAIN,
        vault_id,
        invitation,
        handle,
        member_key,
        signing_key.unwrap_or(""),
    ]));
    mac
}

/// A newcomer's request, proving the code with a MAC over who they are.
pub fn request(
    key: &MacKey,
    vault_id: &str,
    inv: &Invitation,
    member_key: &str,
    signing_key: Option<&str>,
    at: &str,
) -> JoinRequest {
    let tag = mac(key, vault_id, &inv.id, &inv.handle, member_key, signing_key);
    JoinRequest {
        handle: inv.handle.clone(),
        invitation: inv.id.clone(),
        key: member_key.to_string(),
        signing_key: signing_key.map(str::to_string),
        at: at.into(),
        mac: B64.encode(tag.finalize().into_bytes()),
    }
}

/// Whether the request's MAC is the code's, over exactly its handle, invitation and keys.
pub fn proves_code(key: &MacKey, vault_id: &str, req: &JoinRequest) -> bool {
    let Ok(tag) = B64.decode(&req.mac) else {
        return false;
    };
    mac(
        key,
        vault_id,
        &req.invitation,
        &req.handle,
        &req.key,
        req.signing_key.as_deref(),
    )
    .verify_slice(&tag)
    .is_ok()
}

/// The fingerprint a newcomer reads out: their signing key's, or their key's when they have
/// none (SSH).
pub fn fingerprint(key: &str, signing_key: Option<&str>) -> String {
    crate::key::fingerprint(signing_key.unwrap_or(key))
}

/// Whether the invitation's expiry is before `now` (both RFC 3339 UTC). An unreadable expiry
/// counts as expired.
pub fn expired(inv: &Invitation, now: &str) -> bool {
    inv.expires.is_before(&crate::date::Timestamp::from(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_back_however_they_are_typed() {
        let code = Code::generate().unwrap();
        let shown = code.display();
        assert_eq!(shown.len(), 4 + 16 + 3);
        let typed = shown.to_lowercase().replace('-', " ");
        assert_eq!(Code::parse(&typed).unwrap().display(), shown);
        assert_eq!(
            Code::parse("MPV-0OIL-0000-0000-0000").unwrap().display(),
            "mpv-0011-0000-0000-0000"
        );
        assert!(Code::parse("mpv-0000-0000-0000").is_err());
        assert!(Code::parse("mpv-UUUU-0000-0000-0000").is_err());
    }
}
