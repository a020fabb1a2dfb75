//! Identities: the user's age key (or SSH key), where it is found, and members' public lines.

use std::fs;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{SigningKey, VerifyingKey};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

pub const ENV_TEXT: &str = "MPVAULT_IDENTITY";
pub const ENV_FILE: &str = "MPVAULT_IDENTITY_FILE";
pub const ENV_PASSPHRASE: &str = "MPVAULT_PASSPHRASE";

const ARMOR_BEGIN: &str = "-----BEGIN AGE ENCRYPTED FILE-----";
const PUBLIC_PREFIX: &str = "# public key: ";
const SIGNING_PREFIX: &str = "ed25519:";

/// A loaded identity: what decrypts, what signs, and the public key that names its member.
pub struct Identity {
    inner: Box<dyn age::Identity>,
    /// The member key this identity answers to (normalized, see [`parse_public_line`]).
    pub public: String,
    /// Signs the vault's roster; SSH identities have none, so they cannot be owners.
    pub signing: Option<SigningKey>,
    /// Where it came from, for messages.
    pub source: String,
    /// The age plugin that holds the key (a YubiKey, Secure Enclave or TPM), if any.
    pub plugin: Option<String>,
}

impl Identity {
    pub fn age(&self) -> &dyn age::Identity {
        self.inner.as_ref()
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
fn derive_signing_key(identity: &age::x25519::Identity) -> SigningKey {
    let secret = identity.to_string();
    let mut hash = Sha256::new();
    hash.update(b"mpvault/ed25519-signing-key/v1\0");
    hash.update(secret.expose_secret().as_bytes());
    let seed = Zeroizing::new(<[u8; 32]>::from(hash.finalize()));
    SigningKey::from_bytes(&seed)
}

pub fn encode_signing_key(key: &VerifyingKey) -> String {
    format!("{SIGNING_PREFIX}{}", B64.encode(key.as_bytes()))
}

pub fn decode_signing_key(text: &str) -> Option<VerifyingKey> {
    let bytes = B64.decode(text.strip_prefix(SIGNING_PREFIX)?).ok()?;
    VerifyingKey::from_bytes(&bytes.try_into().ok()?).ok()
}

/// `<config dir>/mpvault/identity.txt`.
pub fn default_path() -> Result<PathBuf> {
    dirs::config_dir()
        .map(|d| d.join("mpvault").join("identity.txt"))
        .ok_or_else(|| {
            Error::not_found(
                "cannot find this user's config folder",
                "set HOME, or pass --identity PATH",
            )
        })
}

/// Resolution order: `--identity PATH`, `MPVAULT_IDENTITY` (key text), `MPVAULT_IDENTITY_FILE`,
/// then the default file.
pub fn resolve(flag: Option<&Path>) -> Result<Identity> {
    if let Some(path) = flag {
        return load_file(path);
    }
    if let Ok(text) = std::env::var(ENV_TEXT) {
        let text = Zeroizing::new(text);
        return parse(&text, None, ENV_TEXT.to_string());
    }
    if let Some(path) = std::env::var_os(ENV_FILE) {
        return load_file(Path::new(&path));
    }
    let path = default_path()?;
    if !path.exists() {
        return Err(Error::not_found(
            format!("no identity found (looked for {})", path.display()),
            "run `mpvault identity new`, or pass --identity PATH or set MPVAULT_IDENTITY",
        ));
    }
    load_file(&path)
}

fn load_file(path: &Path) -> Result<Identity> {
    let bytes = Zeroizing::new(fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::not_found(
            format!("the identity file {} does not exist", path.display()),
            "check --identity / MPVAULT_IDENTITY_FILE, or run `mpvault identity new`",
        ),
        _ => Error::io_at("read the identity", path, e),
    })?);
    let text =
        std::str::from_utf8(&bytes).map_err(|_| not_an_identity(&path.display().to_string()))?;
    parse(text, Some(path), path.display().to_string())
}

fn not_an_identity(source: &str) -> Error {
    Error::invalid(
        format!("{source} does not hold an age or SSH private key"),
        "point --identity at the file `mpvault identity new` wrote, or an unencrypted SSH key",
    )
}

fn parse(text: &str, path: Option<&Path>, source: String) -> Result<Identity> {
    if text.contains(ARMOR_BEGIN) {
        let plain = decrypt_protected(text, &source)?;
        return parse(&plain, None, source);
    }
    if text.contains("PRIVATE KEY-----") {
        return parse_ssh(text, path, source);
    }
    if let Some(line) = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with(PLUGIN_IDENTITY_PREFIX))
    {
        return parse_plugin(text, line, source);
    }
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .ok_or_else(|| not_an_identity(&source))?;
    let identity = age::x25519::Identity::from_str(line).map_err(|_| not_an_identity(&source))?;
    Ok(Identity {
        public: identity.to_public().to_string(),
        signing: Some(derive_signing_key(&identity)),
        inner: Box::new(identity),
        source,
        plugin: None,
    })
}

const PLUGIN_IDENTITY_PREFIX: &str = "AGE-PLUGIN-";

/// A plugin identity file (as age-plugin-yubikey, age-plugin-se or age-plugin-tpm write them):
/// the `AGE-PLUGIN-…` line, and the recipient it answers to in a comment such as
/// `#    Recipient: age1yubikey1…` or `# public key: age1se1…`.
fn parse_plugin(text: &str, line: &str, source: String) -> Result<Identity> {
    let identity = age::plugin::Identity::from_str(line).map_err(|_| not_an_identity(&source))?;
    let plugin = identity.plugin().to_string();
    let public = text
        .lines()
        .filter(|l| l.trim_start().starts_with('#'))
        .flat_map(str::split_whitespace)
        .find(|word| {
            age::plugin::Recipient::from_str(word).is_ok_and(|r| r.plugin() == plugin)
        })
        .ok_or_else(|| {
            Error::invalid(
                format!("the plugin identity in {source} does not say which recipient it answers to"),
                format!("keep the comment age-plugin-{plugin} printed with it (`#    Recipient: age1{plugin}1…`), or add that line"),
            )
        })?
        .to_string();
    let inner = age::plugin::IdentityPluginV1::new(&plugin, &[identity], TerminalPrompt)
        .map_err(|_| missing_plugin(&plugin, "reading with this identity"))?;
    Ok(Identity {
        inner: Box::new(inner),
        public,
        signing: None,
        source,
        plugin: Some(plugin),
    })
}

fn missing_plugin(plugin: &str, doing: &str) -> Error {
    Error::not_found(
        format!("{doing} needs the program age-plugin-{plugin}, which is not on PATH"),
        format!("install age-plugin-{plugin} (for example from your package manager or its releases page) and run the command again"),
    )
}

fn parse_ssh(text: &str, path: Option<&Path>, source: String) -> Result<Identity> {
    let parsed = age::ssh::Identity::from_buffer(text.as_bytes(), Some(source.clone()))
        .map_err(|_| not_an_identity(&source))?;
    let inner: Box<dyn age::Identity> = match parsed {
        age::ssh::Identity::Unsupported(_) => {
            return Err(Error::invalid(
                format!("the SSH key in {source} is of a kind age cannot use"),
                "use an ssh-ed25519 or ssh-rsa key, or an mpvault identity",
            ))
        }
        key @ age::ssh::Identity::Unencrypted(_) => Box::new(key),
        key @ age::ssh::Identity::Encrypted(_) => Box::new(key.with_callbacks(TerminalPrompt)),
    };
    let pub_path = path.map(|p| PathBuf::from(format!("{}.pub", p.display())));
    let public = pub_path
        .as_deref()
        .and_then(|p| fs::read_to_string(p).ok())
        .ok_or_else(|| {
            Error::not_found(
                format!("the public half of the SSH key {source} was not found beside it"),
                "keep the public key as <key>.pub next to the private key (as ssh-keygen writes it)",
            )
        })?;
    Ok(Identity {
        public: parse_public_line(&public)?.0,
        signing: None,
        inner,
        source,
        plugin: None,
    })
}

/// Asks for SSH key passphrases on the terminal.
#[derive(Clone, Copy)]
struct TerminalPrompt;

impl age::Callbacks for TerminalPrompt {
    fn display_message(&self, message: &str) {
        eprintln!("{message}");
    }
    fn confirm(&self, _: &str, _: &str, _: Option<&str>) -> Option<bool> {
        None
    }
    fn request_public_string(&self, _: &str) -> Option<String> {
        None
    }
    fn request_passphrase(&self, description: &str) -> Option<SecretString> {
        rpassword::prompt_password(format!("{description}: "))
            .ok()
            .map(SecretString::from)
    }
}

fn decrypt_protected(text: &str, source: &str) -> Result<Zeroizing<String>> {
    let armored: String = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    let reader = age::armor::ArmoredReader::new(armored.as_bytes());
    let damaged = || {
        Error::corrupt(
            format!("the protected identity {source} is damaged"),
            "restore it from your backup",
        )
    };
    let decryptor = age::Decryptor::new(reader).map_err(|_| damaged())?;
    if !decryptor.is_scrypt() {
        return Err(damaged());
    }
    let passphrase = passphrase(&format!("Passphrase for {source}: "))?;
    let identity = age::scrypt::Identity::new(passphrase);
    let mut plain = Zeroizing::new(String::new());
    decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(|_| {
            Error::denied(
                format!("the passphrase for {source} is wrong"),
                format!("try again, or check {ENV_PASSPHRASE} if you set it"),
            )
        })?
        .read_to_string(&mut plain)
        .map_err(|_| damaged())?;
    Ok(plain)
}

/// A passphrase from `MPVAULT_PASSPHRASE` (automation) or a hidden prompt on the terminal.
fn passphrase(prompt: &str) -> Result<SecretString> {
    if let Ok(p) = std::env::var(ENV_PASSPHRASE) {
        return Ok(SecretString::from(p));
    }
    if !std::io::stderr().is_terminal() && !std::io::stdin().is_terminal() {
        return Err(Error::invalid(
            "a passphrase is needed but there is no terminal to ask on",
            format!("run it in a terminal, or set {ENV_PASSPHRASE}"),
        ));
    }
    rpassword::prompt_password(prompt)
        .map(SecretString::from)
        .map_err(|e| Error::io("cannot read the passphrase", e))
}

/// Creates a new identity file (0600); returns its public line.
pub fn generate(path: &Path, force: bool, protect: bool, now: &str) -> Result<String> {
    let identity = age::x25519::Identity::generate();
    let public = format!(
        "{} {}",
        identity.to_public(),
        encode_signing_key(&derive_signing_key(&identity).verifying_key())
    );
    let secret = identity.to_string();
    let plain = Zeroizing::new(format!(
        "# created: {now}\n{PUBLIC_PREFIX}{public}\n{}\n",
        secret.expose_secret()
    ));
    let contents = if protect {
        let pass = passphrase("Passphrase to protect the new identity: ")?;
        if std::env::var(ENV_PASSPHRASE).is_err() {
            let again = passphrase("Same passphrase again: ")?;
            if again.expose_secret() != pass.expose_secret() {
                return Err(Error::invalid(
                    "the two passphrases differ",
                    "run the command again",
                ));
            }
        }
        if pass.expose_secret().is_empty() {
            return Err(Error::invalid(
                "the passphrase is empty",
                "choose a passphrase, or leave out --passphrase",
            ));
        }
        let armored = encrypt_with_passphrase(plain.as_bytes(), pass)?;
        Zeroizing::new(format!(
            "# mpvault identity, protected with a passphrase\n{PUBLIC_PREFIX}{public}\n{armored}"
        ))
    } else {
        plain
    };
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| Error::io_at("create", dir, e))?;
    }
    if path.exists() && !force {
        return Err(Error::exists(
            format!("an identity already exists at {}", path.display()),
            "keep using it (`mpvault identity show`), or pass --force to replace it; the old key then opens nothing new",
        ));
    }
    crate::store::write_private(path, contents.as_bytes(), force)?;
    Ok(public)
}

fn encrypt_with_passphrase(plain: &[u8], pass: SecretString) -> Result<String> {
    use std::io::Write;
    let fail = |e: std::io::Error| Error::io("cannot encrypt the identity", e);
    let mut out = Vec::new();
    let armor = age::armor::ArmoredWriter::wrap_output(&mut out, age::armor::Format::AsciiArmor)
        .map_err(fail)?;
    let mut writer = age::Encryptor::with_user_passphrase(pass)
        .wrap_output(armor)
        .map_err(fail)?;
    writer.write_all(plain).map_err(fail)?;
    writer
        .finish()
        .and_then(|armor| armor.finish())
        .map_err(fail)?;
    Ok(String::from_utf8(out).expect("armor is ASCII"))
}

/// The public line of an identity, without decrypting a protected file when it says its own.
pub fn show(flag: Option<&Path>) -> Result<String> {
    let from_comment = |path: &Path| -> Option<String> {
        let text = fs::read_to_string(path).ok()?;
        if !text.contains(ARMOR_BEGIN) {
            return None;
        }
        text.lines()
            .find_map(|l| l.strip_prefix(PUBLIC_PREFIX))
            .map(|s| s.trim().to_string())
    };
    let path = match flag {
        Some(p) => Some(p.to_path_buf()),
        None if std::env::var_os(ENV_TEXT).is_some() => None,
        None => Some(
            std::env::var_os(ENV_FILE)
                .map(PathBuf::from)
                .map_or_else(default_path, Ok)?,
        ),
    };
    if let Some(public) = path.as_deref().and_then(from_comment) {
        return Ok(public);
    }
    Ok(resolve(flag)?.public_line())
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
        return age::plugin::RecipientPluginV1::new(&plugin, &[r], &[], TerminalPrompt)
            .map(|r| Box::new(r) as _)
            .map_err(|_| missing_plugin(&plugin, "encrypting to a member's hardware key"));
    }
    if key.starts_with("age1") {
        return Err(bad());
    }
    age::ssh::Recipient::from_str(key)
        .map(|r| Box::new(r) as _)
        .map_err(|_| bad())
}
