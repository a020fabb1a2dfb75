//! Identities on this machine: where the user's age key (or SSH or plugin key) is found, how a
//! file is read and unlocked, and making a new one. What an identity *is* (its keys and their
//! text forms) lives in [`crate::key`], which the vault uses without this module's files and
//! prompts.

use std::fs;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::key::{
    decode_signing_key, demo_vault, derive_signing_key, encode_signing_key, missing_plugin,
    parse_public_line, Holder, Identity, LocalKey,
};
use crate::prompt::TerminalPrompt;

pub const ENV_TEXT: &str = "MPVAULT_IDENTITY";
pub const ENV_FILE: &str = "MPVAULT_IDENTITY_FILE";
pub const ENV_PASSPHRASE: &str = "MPVAULT_PASSPHRASE";

const ARMOR_BEGIN: &str = "-----BEGIN AGE ENCRYPTED FILE-----";
const PUBLIC_PREFIX: &str = "# public key: ";

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

/// Whether an identity is named anywhere [`resolve`] looks: the flag, the environment, or a
/// default file that exists. A command that can go on without an identity does so only when
/// none is named; one named but unusable is an error.
pub fn named(flag: Option<&Path>) -> bool {
    flag.is_some()
        || std::env::var_os(ENV_TEXT).is_some()
        || std::env::var_os(ENV_FILE).is_some()
        || default_path().is_ok_and(|p| p.exists())
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

/// Parses an identity, remembering a demo identity's marker (outside a passphrase's armor too).
fn parse(text: &str, path: Option<&Path>, source: String) -> Result<Identity> {
    let mut identity = parse_key(text, path, source)?;
    identity.demo_vault = identity.demo_vault.or_else(|| demo_vault(text));
    Ok(identity)
}

fn parse_key(text: &str, path: Option<&Path>, source: String) -> Result<Identity> {
    if text.contains(ARMOR_BEGIN) {
        return protected(text, source);
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
    Ok(Identity::local(LocalKey::new(identity), source))
}

/// A protected identity: who it is comes from its public line, and its key is unlocked only
/// when a command first decrypts or signs, from the agent when it holds this identity, else
/// with the passphrase. A file without a public line is unlocked at once.
fn protected(text: &str, source: String) -> Result<Identity> {
    let Some((public, signing, line)) = public_comment(text) else {
        let plain = decrypt_protected(text, &source)?;
        return parse(&plain, None, source);
    };
    let text = text.to_string();
    let from = source.clone();
    let unlock = move |may_ask: bool| -> Result<Box<dyn Holder>> {
        #[cfg(unix)]
        if let Some(agent) = crate::agent::for_public_line(&line) {
            return Ok(agent);
        }
        if !may_ask {
            return Err(Error::denied(
                format!("the identity {from} is locked"),
                "run `mpvault unlock` to keep it unlocked for a session",
            ));
        }
        Ok(Box::new(unlock_checked(&text, &from, &line)?))
    };
    Ok(Identity::mpvault(public, signing, source, Box::new(unlock)))
}

/// The `# public key:` line of a protected file: the age key, the signing key, the whole line.
fn public_comment(text: &str) -> Option<(String, ed25519_dalek::VerifyingKey, String)> {
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix(PUBLIC_PREFIX))?
        .trim();
    let (public, signing) = parse_public_line(line).ok()?;
    let signing = decode_signing_key(&signing?)?;
    Some((public, signing, line.to_string()))
}

/// Unlocks a protected mpvault identity with its passphrase and checks that its key is the
/// one its public line names (a line that names another key would make the clone act as
/// someone else).
fn unlock_checked(text: &str, source: &str, line: &str) -> Result<LocalKey> {
    let plain = decrypt_protected(text, source)?;
    let secret = plain
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .and_then(|l| age::x25519::Identity::from_str(l).ok())
        .ok_or_else(|| not_an_identity(source))?;
    let key = LocalKey::new(secret);
    if key.public_line() != line {
        return Err(Error::corrupt(
            format!("the public line in {source} does not name the key it protects"),
            "restore the identity file from your backup; do not edit its `# public key:` line",
        ));
    }
    Ok(key)
}

/// The key of the protected identity a command would use, unlocked with its passphrase, for
/// the agent to hold (`mpvault unlock`); with where it came from.
pub fn unlock_for_agent(flag: Option<&Path>) -> Result<(LocalKey, String)> {
    let path = match flag {
        Some(p) => p.to_path_buf(),
        None if std::env::var_os(ENV_TEXT).is_some() => {
            return Err(not_protected(ENV_TEXT));
        }
        None => std::env::var_os(ENV_FILE)
            .map(PathBuf::from)
            .map_or_else(default_path, Ok)?,
    };
    let source = path.display().to_string();
    let text = Zeroizing::new(fs::read_to_string(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::not_found(
            format!("the identity file {source} does not exist"),
            "check --identity / MPVAULT_IDENTITY_FILE, or run `mpvault identity new --passphrase`",
        ),
        _ => Error::io_at("read the identity", &path, e),
    })?);
    if !text.contains(ARMOR_BEGIN) {
        return Err(not_protected(&source));
    }
    let Some((_, _, line)) = public_comment(&text) else {
        return Err(Error::invalid(
            format!("{source} does not say its public line, so the agent could not tell it is the one a command uses"),
            "create it again with `mpvault identity new --passphrase` (then ask an owner to swap your key)",
        ));
    };
    Ok((unlock_checked(&text, &source, &line)?, source))
}

fn not_protected(source: &str) -> Error {
    Error::invalid(
        format!("the identity from {source} is not protected with a passphrase, so there is nothing to unlock"),
        "commands already use it without asking; the agent is for identities made with `mpvault identity new --passphrase`",
    )
}

/// Whether the identity a command would use is a protected file (for `identity show`).
pub fn is_protected(flag: Option<&Path>) -> bool {
    let path = match flag {
        Some(p) => Some(p.to_path_buf()),
        None if std::env::var_os(ENV_TEXT).is_some() => None,
        None => std::env::var_os(ENV_FILE)
            .map(PathBuf::from)
            .or_else(|| default_path().ok()),
    };
    path.and_then(|p| fs::read_to_string(p).ok())
        .is_some_and(|t| t.contains(ARMOR_BEGIN))
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
    Ok(Identity::other(
        Box::new(inner),
        public,
        source,
        Some(plugin),
    ))
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
    Ok(Identity::other(
        inner,
        parse_public_line(&public)?.0,
        source,
        None,
    ))
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
        .map_err(|e| Error::stdin("cannot read the passphrase", e))
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
        .and_then(age::armor::ArmoredWriter::finish)
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
