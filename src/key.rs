//! Keys and their text forms: a loaded identity's keys, members' public lines (age, age plugin
//! and SSH recipients), Ed25519 signing keys and their fingerprints. No files and no prompts
//! of its own: [`crate::identity`] finds and unlocks identities, the vault uses this module.
//!
//! (An age plugin recipient takes age callbacks; they are [`TerminalPrompt`]'s, so a plugin
//! can still show its own message while the vault encrypts to it.)

use std::collections::HashSet;
use std::fmt::Write as _;
use std::str::FromStr;
use std::sync::{mpsc, Arc, Mutex, PoisonError};
use std::time::Duration;

use age_core::format::{FileKey, Stanza};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{SigningKey, VerifyingKey};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::prompt::TerminalPrompt;

const SIGNING_PREFIX: &str = "ed25519:";

/// A loaded identity: what decrypts, what signs, and the public key that names its member.
pub struct Identity {
    /// What decrypts; `identity` builds it from a file, the environment or a plugin.
    pub(crate) inner: Box<dyn age::Identity>,
    /// The member key this identity answers to (normalized, see [`parse_public_line`]).
    pub public: String,
    /// Signs the vault's roster; SSH identities have none, so they cannot be owners.
    pub signing: Option<SigningKey>,
    /// Where it came from, for messages.
    pub source: String,
    /// The age plugin that holds the key (a YubiKey, Secure Enclave or TPM), if any.
    pub plugin: Option<String>,
    /// For a public demo identity (`examples/demo/`), the one vault id it may open.
    pub demo_vault: Option<String>,
}

/// The first words of the line that marks a public demo identity; the vault id follows.
pub const DEMO_MARKER: &str = "# mpvault demo identity for vault ";

/// The vault id a demo identity's marker line names, if the text carries one.
pub fn demo_vault(text: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let rest = l.trim().strip_prefix(DEMO_MARKER)?;
        Some(
            rest.split(':')
                .next()
                .unwrap_or_default()
                .trim()
                .to_string(),
        )
    })
}

impl Identity {
    pub fn age(&self) -> &dyn age::Identity {
        self.inner.as_ref()
    }

    /// A demo identity's key is published with mpvault, so it protects nothing: it opens only
    /// the demo vault, never a vault that someone made a demo key a member of.
    pub fn require_not_demo(&self, vault_id: &str) -> Result<()> {
        match &self.demo_vault {
            Some(demo) if demo != vault_id => Err(Error::denied(
                format!("the identity from {} is a public demo identity, which opens only the demo vault in examples/demo", self.source),
                "use your own identity (`mpvault identity new`), and remove any member whose key is a demo key",
            )),
            _ => Ok(()),
        }
    }

    /// Hardware-key identities read, but never write: every stored value is to carry its
    /// writer's signature, made with the Ed25519 key of an mpvault identity, which a plugin
    /// key does not have.
    pub fn require_writer(&self) -> Result<()> {
        match &self.plugin {
            None => Ok(()),
            Some(plugin) => Err(Error::denied(
                format!("the identity from {} is a hardware key (age-plugin-{plugin}), which can read the vault but not change it, because every change is signed with an mpvault identity", self.source),
                "make the change with an mpvault identity (`mpvault identity new`, then ask an owner to add it), or ask a member who has one",
            )),
        }
    }

    /// The one line `member add --key` takes: the age recipient, then the signing key.
    pub fn public_line(&self) -> String {
        match &self.signing {
            Some(key) => format!(
                "{} {}",
                self.public,
                encode_signing_key(&key.verifying_key())
            ),
            None => self.public.clone(),
        }
    }
}

/// The Ed25519 signing key of an age identity, derived from it with a domain-separated hash so
/// one secret backs both.
pub(crate) fn derive_signing_key(identity: &age::x25519::Identity) -> SigningKey {
    let secret = identity.to_string();
    let mut hash = Sha256::new();
    hash.update(b"mpvault/ed25519-signing-key/v1\0");
    hash.update(secret.expose_secret().as_bytes());
    let seed = Zeroizing::new(<[u8; 32]>::from(hash.finalize()));
    SigningKey::from_bytes(&seed)
}

/// `ed25519:<base64>`, the signing key as members' lines and the vault carry it.
pub fn encode_signing_key(key: &VerifyingKey) -> String {
    format!("{SIGNING_PREFIX}{}", B64.encode(key.as_bytes()))
}

/// The key [`encode_signing_key`] wrote; `None` for anything else.
pub fn decode_signing_key(text: &str) -> Option<VerifyingKey> {
    let bytes = B64.decode(text.strip_prefix(SIGNING_PREFIX)?).ok()?;
    VerifyingKey::from_bytes(&bytes.try_into().ok()?).ok()
}

/// Lower-case hex of `bytes`, as fingerprints and hashes are shown.
pub fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

/// A short, readable fingerprint of a signing key, for checking out of band.
pub fn fingerprint(signing_key: &str) -> String {
    let digest = Sha256::digest(signing_key.as_bytes());
    hex(&digest[..10])
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).expect("hex is ASCII"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a member key is an age plugin recipient (a hardware key: read-only member).
pub fn is_plugin_key(key: &str) -> bool {
    age::x25519::Recipient::from_str(key).is_err() && age::plugin::Recipient::from_str(key).is_ok()
}

/// Checks a member's public line and splits it into the canonical encryption key (an age
/// recipient, an age plugin recipient, or an SSH public key without its comment) and the
/// signing key, if any.
pub fn parse_public_line(line: &str) -> Result<(String, Option<String>)> {
    let line = line.trim();
    if line.starts_with("AGE-SECRET-KEY") || line.contains("PRIVATE KEY") {
        return Err(Error::invalid(
            "that is a private key, not a public one; it must not be shared",
            "generate a fresh identity (`mpvault identity new --force`) and send only the line `mpvault identity show` prints",
        ));
    }
    let mut words = line.split_whitespace();
    let first = words.next().unwrap_or_default();
    if first.starts_with("age1") && age::x25519::Recipient::from_str(first).is_ok() {
        let signing = match words.next() {
            None => None,
            Some(word) if decode_signing_key(word).is_some() => Some(word.to_string()),
            Some(_) => {
                return Err(Error::invalid(
                    "the signing key after the age key is malformed",
                    "ask the member for the whole line `mpvault identity show` prints",
                ))
            }
        };
        return Ok((first.to_string(), signing));
    }
    if let Ok(recipient) = age::plugin::Recipient::from_str(first) {
        if words.next().is_some() {
            return Err(Error::invalid(
                "a hardware-key recipient line has nothing after the key",
                "send only the age1… recipient the plugin printed",
            ));
        }
        if recipient.plugin().len() > 40 {
            return Err(Error::invalid(
                "the plugin name in that recipient is too long",
                "check the recipient the plugin printed",
            ));
        }
        return Ok((first.to_string(), None));
    }
    if first.starts_with("ssh-") {
        let canonical = line
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");
        if age::ssh::Recipient::from_str(&canonical).is_ok() {
            return Ok((canonical, None));
        }
    }
    Err(Error::invalid(
        "the key is not an age public key (age1…) or an SSH ed25519/RSA public key",
        "ask the member for the line `mpvault identity show` prints",
    ))
}

/// The age recipient for a member's (normalized) key.
pub fn recipient(key: &str) -> Result<Box<dyn age::Recipient + Send>> {
    let bad = || {
        Error::corrupt(
            "a member key in the vault is malformed",
            "restore mpvault.json from git",
        )
    };
    if let Ok(r) = age::x25519::Recipient::from_str(key) {
        return Ok(Box::new(r));
    }
    if let Ok(r) = age::plugin::Recipient::from_str(key) {
        let plugin = r.plugin().to_string();
        let inner = age::plugin::RecipientPluginV1::new(&plugin, &[r], &[], TerminalPrompt)
            .map_err(|_| missing_plugin(&plugin, "encrypting to a member's hardware key"))?;
        return Ok(Box::new(TimedRecipient {
            plugin,
            inner: Arc::new(Mutex::new(Box::new(inner))),
        }));
    }
    if key.starts_with("age1") {
        return Err(bad());
    }
    age::ssh::Recipient::from_str(key)
        .map(|r| Box::new(r) as _)
        .map_err(|_| bad())
}

/// How long an age plugin may take to wrap a key: a plugin that never answers must end the
/// command rather than hang it (`rekey`, a role grant), with nothing written.
const PLUGIN_TIMEOUT_SECS: u64 = 60;

/// `MPVAULT_PLUGIN_TIMEOUT_SECS` shortens the wait, for tests only: a test cannot wait a
/// minute for a plugin that never answers.
fn plugin_timeout() -> Duration {
    let secs = std::env::var("MPVAULT_PLUGIN_TIMEOUT_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(PLUGIN_TIMEOUT_SECS);
    Duration::from_secs(secs)
}

/// A plugin recipient asked on its own thread, waited for at most [`plugin_timeout`]. On a
/// timeout the command fails and exits, which closes the plugin's pipes.
struct TimedRecipient {
    plugin: String,
    inner: Arc<Mutex<Box<dyn age::Recipient + Send>>>,
}

impl age::Recipient for TimedRecipient {
    fn wrap_file_key(
        &self,
        file_key: &FileKey,
    ) -> std::result::Result<(Vec<Stanza>, HashSet<String>), age::EncryptError> {
        let key = FileKey::new(Box::new(*file_key.expose_secret()));
        let inner = Arc::clone(&self.inner);
        let (answer, answered) = mpsc::channel();
        std::thread::spawn(move || {
            let recipient = inner.lock().unwrap_or_else(PoisonError::into_inner);
            let _ = answer.send(recipient.wrap_file_key(&key));
        });
        let timeout = plugin_timeout();
        answered.recv_timeout(timeout).unwrap_or_else(|_| {
            Err(age::EncryptError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!(
                    "age-plugin-{} did not answer within {} second(s)",
                    self.plugin,
                    timeout.as_secs()
                ),
            )))
        })
    }
}

pub(crate) fn missing_plugin(plugin: &str, doing: &str) -> Error {
    Error::not_found(
        format!("{doing} needs the program age-plugin-{plugin}, which is not on PATH"),
        format!("install age-plugin-{plugin} (for example from your package manager or its releases page) and run the command again"),
    )
}
