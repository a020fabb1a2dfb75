//! Keys and their text forms: a loaded identity's keys, members' public lines (age, age plugin
//! and SSH recipients), Ed25519 signing keys and their fingerprints. No files and no prompts
//! of its own: [`crate::identity`] finds and unlocks identities, the vault uses this module.
//!
//! (An age plugin recipient takes age callbacks; they are [`TerminalPrompt`]'s, so a plugin
//! can still show its own message while the vault encrypts to it.)

use std::collections::HashSet;
use std::fmt::Write as _;
use std::str::FromStr;
use std::sync::{mpsc, Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use age_core::format::{FileKey, Stanza};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::prompt::TerminalPrompt;

const SIGNING_PREFIX: &str = "ed25519:";

/// A loaded identity: what decrypts, what signs, and the public key that names its member.
/// An mpvault identity's secret half is unlocked only when a command first decrypts or signs
/// (a protected file says who it is in its public line), so a command that needs only who
/// you are never asks for a passphrase.
pub struct Identity {
    decrypts: Decrypts,
    /// The member key this identity answers to (normalized, see [`parse_public_line`]).
    pub public: String,
    /// Signs the vault's roster; SSH identities have none, so they cannot be owners.
    pub signing: Option<Signing>,
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

enum Decrypts {
    /// An SSH or plugin key, which age decrypts with directly.
    Other(Box<dyn age::Identity>),
    /// An mpvault key, held by this process or an agent once unlocked.
    Held(HeldAge),
}

impl Identity {
    /// An SSH or plugin identity, which age uses as it is.
    pub fn other(
        inner: Box<dyn age::Identity>,
        public: String,
        source: String,
        plugin: Option<String>,
    ) -> Self {
        Identity {
            decrypts: Decrypts::Other(inner),
            public,
            signing: None,
            source,
            plugin,
            demo_vault: None,
        }
    }

    /// An mpvault identity whose secret `unlock` gives on first use; `public` and `signing`
    /// are what its public line says, and `unlock` checks the key against them.
    pub fn mpvault(public: String, signing: VerifyingKey, source: String, unlock: Unlock) -> Self {
        Self::held(public, signing, source, OnceLock::new(), unlock)
    }

    /// An mpvault identity whose key this process already holds.
    pub fn local(key: LocalKey, source: String) -> Self {
        let public = key.age.to_public().to_string();
        let signing = key.signing.verifying_key();
        let holder = OnceLock::new();
        let _ = holder.set(Box::new(key) as Box<dyn Holder>);
        // Never called: the key is held from the start.
        Self::held(public, signing, source, holder, Box::new(not_loaded))
    }

    fn held(
        public: String,
        signing: VerifyingKey,
        source: String,
        holder: OnceLock<Box<dyn Holder>>,
        unlock: Unlock,
    ) -> Self {
        let secret = Arc::new(Secret { holder, unlock });
        Identity {
            decrypts: Decrypts::Held(HeldAge(Arc::clone(&secret))),
            public,
            signing: Some(Signing {
                public: signing,
                secret,
            }),
            source,
            plugin: None,
            demo_vault: None,
        }
    }

    /// What decrypts, unlocked first if it is not yet (which may ask for a passphrase).
    pub fn age(&self) -> Result<&dyn age::Identity> {
        match &self.decrypts {
            Decrypts::Other(inner) => Ok(inner.as_ref()),
            Decrypts::Held(held) => {
                held.0.get()?;
                Ok(held)
            }
        }
    }

    /// Whether this identity decrypts without asking anyone: its key is in this process or in
    /// the agent (an SSH or plugin key is taken as it is, as before).
    pub fn opens_without_asking(&self) -> bool {
        match &self.decrypts {
            Decrypts::Other(_) => true,
            Decrypts::Held(held) => held.0.get_with(false).is_ok(),
        }
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

/// `Identity::local` holds its key from the start; its unlock is never called.
fn not_loaded(_: bool) -> Result<Box<dyn Holder>> {
    Err(Error::invalid(
        "the identity's key was not loaded",
        "run the command again",
    ))
}

/// How an identity's secret is unlocked on first use: from an agent that already holds it, or
/// (when its argument, may ask, is true) with a passphrase.
pub type Unlock = Box<dyn Fn(bool) -> Result<Box<dyn Holder>> + Send + Sync>;

/// What holds an unlocked secret key: this process ([`LocalKey`]), or an agent that answers
/// for it and never hands the key out.
pub trait Holder: Send + Sync {
    /// age's `unwrap_stanzas`: the file key of a header that has a stanza for this key.
    fn unwrap(&self, stanzas: &[Stanza])
        -> Option<std::result::Result<FileKey, age::DecryptError>>;
    /// An Ed25519 signature by the identity's signing key over a message of mpvault's.
    fn sign(&self, message: &[u8]) -> Result<Signature>;
}

/// An mpvault identity's age key and the signing key derived from it, in this process.
pub struct LocalKey {
    age: age::x25519::Identity,
    signing: SigningKey,
}

impl LocalKey {
    pub fn new(age: age::x25519::Identity) -> Self {
        let signing = derive_signing_key(&age);
        LocalKey { age, signing }
    }

    /// The secret key's text (`AGE-SECRET-KEY-1…`), for handing to the agent on a pipe.
    pub fn secret(&self) -> secrecy::SecretString {
        self.age.to_string()
    }

    /// The public line this key answers to (as `identity show` prints it).
    pub fn public_line(&self) -> String {
        format!(
            "{} {}",
            self.age.to_public(),
            encode_signing_key(&self.signing.verifying_key())
        )
    }
}

impl Holder for LocalKey {
    fn unwrap(
        &self,
        stanzas: &[Stanza],
    ) -> Option<std::result::Result<FileKey, age::DecryptError>> {
        age::Identity::unwrap_stanzas(&self.age, stanzas)
    }
    fn sign(&self, message: &[u8]) -> Result<Signature> {
        Ok(self.signing.sign(message))
    }
}

/// The secret half of an mpvault identity, unlocked once, on first use.
struct Secret {
    holder: OnceLock<Box<dyn Holder>>,
    unlock: Unlock,
}

impl Secret {
    fn get(&self) -> Result<&dyn Holder> {
        self.get_with(true)
    }

    fn get_with(&self, may_ask: bool) -> Result<&dyn Holder> {
        if let Some(holder) = self.holder.get() {
            return Ok(holder.as_ref());
        }
        let holder = (self.unlock)(may_ask)?;
        Ok(self.holder.get_or_init(|| holder).as_ref())
    }
}

/// age's view of an unlocked [`Secret`] ([`Identity::age`] unlocks it first).
struct HeldAge(Arc<Secret>);

impl age::Identity for HeldAge {
    fn unwrap_stanza(
        &self,
        stanza: &Stanza,
    ) -> Option<std::result::Result<FileKey, age::DecryptError>> {
        self.unwrap_stanzas(std::slice::from_ref(stanza))
    }
    fn unwrap_stanzas(
        &self,
        stanzas: &[Stanza],
    ) -> Option<std::result::Result<FileKey, age::DecryptError>> {
        self.0.holder.get()?.unwrap(stanzas)
    }
}

/// An identity's Ed25519 signing key: its public half known from the start, its secret half
/// unlocked when something is first signed.
pub struct Signing {
    public: VerifyingKey,
    secret: Arc<Secret>,
}

impl Signing {
    pub fn verifying_key(&self) -> VerifyingKey {
        self.public
    }

    /// Signs `message` (unlocking the identity first if it is not yet).
    pub fn sign(&self, message: &[u8]) -> Result<Signature> {
        self.secret.get()?.sign(message)
    }
}

/// What signs a message of mpvault's: an identity's [`Signing`], or a bare key (tools, tests).
pub trait SignsMessages {
    fn sign_message(&self, message: &[u8]) -> Result<Signature>;
}

impl SignsMessages for Signing {
    fn sign_message(&self, message: &[u8]) -> Result<Signature> {
        self.sign(message)
    }
}

impl SignsMessages for SigningKey {
    fn sign_message(&self, message: &[u8]) -> Result<Signature> {
        Ok(self.sign(message))
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
