//! Data keys, value encryption (XChaCha20-Poly1305 with the value's place as associated data)
//! and key wrapping (age).

use std::io::{Read, Write};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::random;

const NONCE_LEN: usize = 24;

/// A random 32-byte key for one (app, access level).
pub struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
    pub fn generate() -> Result<Self> {
        let mut key = Zeroizing::new([0u8; 32]);
        random::fill(key.as_mut())?;
        Ok(DataKey(key))
    }

    /// A key derived elsewhere (an invitation's MAC key), to wrap and unwrap like a data key.
    pub(super) fn from_bytes(key: Zeroizing<[u8; 32]>) -> Self {
        DataKey(key)
    }

    pub(super) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.0.as_ref().into())
    }

    /// What the signed policy records of this key: base64 of SHA-256 over a domain tag and
    /// the key, so a swapped wrapped key is caught when it is unwrapped.
    pub fn commitment(&self) -> String {
        let mut hash = Sha256::new();
        hash.update(b"mpvault/data-key-commitment/v1\0");
        hash.update(self.0.as_ref());
        B64.encode(hash.finalize())
    }

    /// Encrypts `plaintext`, binding it to `ad`. Returns base64(nonce ‖ ciphertext ‖ tag).
    pub fn seal(&self, ad: &[u8], plaintext: &[u8]) -> Result<String> {
        let mut nonce = [0u8; NONCE_LEN];
        random::fill(&mut nonce)?;
        let ciphertext = self
            .cipher()
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: ad,
                },
            )
            .expect("XChaCha20-Poly1305 encryption cannot fail for in-memory buffers");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ciphertext);
        Ok(B64.encode(out))
    }

    /// Decrypts a sealed value; `None` if it was not sealed under this key at this place.
    pub fn open(&self, ad: &[u8], sealed: &str) -> Option<Zeroizing<Vec<u8>>> {
        let bytes = B64.decode(sealed).ok()?;
        if bytes.len() < NONCE_LEN + 16 {
            return None;
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        self.cipher()
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: ad,
                },
            )
            .ok()
            .map(Zeroizing::new)
    }

    /// Wraps the key with age to exactly `recipients`.
    pub fn wrap(&self, recipients: &[Box<dyn age::Recipient + Send>]) -> Result<String> {
        let encryptor = age::Encryptor::with_recipients(
            recipients.iter().map(|r| r.as_ref() as &dyn age::Recipient),
        )
        .map_err(|e| match e {
            age::EncryptError::Io(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                Error::denied(
                    format!("a member's hardware key cannot be encrypted to: {e}, so nothing was written"),
                    "check that the plugin works (`mpvault member list` shows whose key it is), then run the command again",
                )
            }
            e => Error::invalid(
                format!("cannot encrypt to the members' keys: {e}"),
                "check the members' keys with `mpvault member list`",
            ),
        })?;
        let mut out = Vec::with_capacity(256 * recipients.len());
        let mut writer = encryptor
            .wrap_output(&mut out)
            .map_err(|e| Error::io("cannot wrap a data key", e))?;
        writer
            .write_all(self.0.as_ref())
            .and_then(|()| writer.finish().map(|_| ()))
            .map_err(|e| Error::io("cannot wrap a data key", e))?;
        Ok(B64.encode(out))
    }

    /// Unwraps a key, given as its age file (`decode` of the base64 the vault holds), with
    /// `identity`: `Ok(None)` when the identity is not among its recipients.
    pub fn unwrap(age_file: &[u8], identity: &dyn age::Identity) -> Result<Option<Self>> {
        let decryptor = age::Decryptor::new(age_file).map_err(|_| damaged_key())?;
        let mut reader = match decryptor.decrypt(std::iter::once(identity)) {
            Ok(reader) => reader,
            Err(age::DecryptError::NoMatchingKeys) => return Ok(None),
            // the agent holding the identity ended in the middle of the command
            Err(age::DecryptError::Io(e)) if e.kind() == std::io::ErrorKind::ConnectionAborted => {
                return Err(Error::denied(
                    format!("the data key could not be unwrapped: {e}"),
                    "run the command again: with no agent it asks for the passphrase (`mpvault unlock` starts the agent again)",
                ))
            }
            // a hardware key that is not plugged in, a wrong PIN, a plugin that failed
            Err(e @ (age::DecryptError::Plugin(_) | age::DecryptError::MissingPlugin { .. })) => {
                return Err(Error::denied(
                    format!("your hardware key's age plugin could not decrypt: {e}"),
                    "plug in the key (and enter its PIN or touch it if asked), then run the command again",
                ))
            }
            Err(_) => return Err(damaged_key()),
        };
        let mut key = Zeroizing::new(Vec::with_capacity(32));
        reader.read_to_end(&mut key).map_err(|_| damaged_key())?;
        let key: [u8; 32] = key.as_slice().try_into().map_err(|_| damaged_key())?;
        Ok(Some(DataKey(Zeroizing::new(key))))
    }

    /// The age file of a wrapped key, from the base64 the vault holds.
    pub fn decode(wrapped: &str) -> Result<Vec<u8>> {
        B64.decode(wrapped).map_err(|_| damaged_key())
    }
}

fn damaged_key() -> Error {
    Error::corrupt(
        "a wrapped data key in the vault is damaged",
        "restore mpvault.json from git",
    )
}

/// The associated data that binds a value to its vault, app, level, field and author.
pub fn associated_data(
    vault_id: &str,
    app: &str,
    level: &str,
    path: &str,
    set_by: &str,
    set_at: &str,
) -> Vec<u8> {
    let mut ad = b"mpvault.v1".to_vec();
    for part in [vault_id, app, level, path, set_by, set_at] {
        ad.push(0);
        ad.extend_from_slice(part.as_bytes());
    }
    ad
}

/// 16 random bytes as hex, for vault ids.
pub fn random_id() -> Result<String> {
    Ok(crate::random::hex128()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_opens_only_at_its_place() {
        let key = DataKey::generate().unwrap();
        let ad = associated_data("v", "shop", "developer", "secrets/A", "alice", "t");
        let sealed = key.seal(&ad, b"hello").unwrap();
        assert_eq!(key.open(&ad, &sealed).unwrap().as_slice(), b"hello");
        let moved = associated_data("v", "shop", "developer", "secrets/B", "alice", "t");
        assert!(key.open(&moved, &sealed).is_none());
        assert!(DataKey::generate().unwrap().open(&ad, &sealed).is_none());
    }

    #[test]
    fn wrapped_keys_open_for_recipients_only() {
        let alice = age::x25519::Identity::generate();
        let bob = age::x25519::Identity::generate();
        let key = DataKey::generate().unwrap();
        let wrapped = key.wrap(&[Box::new(alice.to_public())]).unwrap();
        let opened = DataKey::unwrap(&DataKey::decode(&wrapped).unwrap(), &alice)
            .unwrap()
            .unwrap();
        assert_eq!(opened.0.as_ref(), key.0.as_ref());
        assert!(DataKey::unwrap(&DataKey::decode(&wrapped).unwrap(), &bob)
            .unwrap()
            .is_none());
    }
}
