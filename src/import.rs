//! Moving an existing `.env` file into the vault: which names are secrets, what config is
//! stored as, and what is refused. The file is read by `export::read` with the same reader
//! model the writer of that dialect uses.

use std::collections::BTreeMap;

use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::export::read::Read;
use crate::preset::{appid_names, bundle_prefix};
use crate::wechat::{self, Level};

/// What an imported name becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The AppID under one of its exported names: checked, not stored.
    AppId,
    Config,
    Secret(Level),
}

/// One name of the file and what happens to it.
pub struct Item {
    /// The name as written in the file.
    pub file_name: String,
    /// The name it is stored under (config loses its bundle prefix).
    pub name: String,
    pub kind: Kind,
    /// Why it is a secret or config, for the plan.
    pub why: &'static str,
    pub value: Zeroizing<String>,
}

impl std::fmt::Debug for Item {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Item")
            .field("file_name", &self.file_name)
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("why", &self.why)
            .field("value", &"[REDACTED]")
            .finish()
    }
}

/// Words that make a name a secret.
const SECRET_WORDS: [&str; 12] = [
    "SECRET",
    "TOKEN",
    "PASSWORD",
    "PASSWD",
    "PRIVATE",
    "CREDENTIAL",
    "APIKEY",
    "API_KEY",
    "ACCESS_KEY",
    "WEBHOOK",
    "APPSECRET",
    "SIGNING",
];

/// A name that says it holds a secret: SECRET, TOKEN, PASSWORD, PRIVATE, … or a `_KEY` part,
/// unless it says PUBLIC (a public key is not a secret).
pub fn secret_by_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    if upper.contains("PUBLIC") {
        return false;
    }
    SECRET_WORDS.iter().any(|w| upper.contains(w))
        || upper.ends_with("_KEY")
        || upper.contains("_KEY_")
}

/// A value that looks like a secret: 32 hex digits (an AppSecret), a private-key PEM block, a
/// JSON web token, or a long run of base64 with the variety of random bytes.
pub fn secret_by_value(value: &str) -> bool {
    let v = value.trim();
    let hex32 = v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit());
    let pem = v.contains("-----BEGIN ") && v.contains("PRIVATE KEY-----");
    let jwt = v.starts_with("eyJ")
        && v.split('.').count() == 3
        && v.bytes().all(|b| is_base64(b) || b == b'.');
    let base64 = v.len() >= 32 && v.bytes().all(is_base64) && entropy(v) >= 4.2;
    hex32 || pem || jwt || base64
}

fn is_base64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_')
}

/// Shannon entropy in bits per byte: random base64 of 32+ bytes has about 4.5 and more, words
/// and identifiers stay well below.
fn entropy(v: &str) -> f64 {
    // u32 counts convert to f64 exactly; saturating keeps a (never seen) 4 GiB value from
    // overflowing, at the cost of an estimate that is off for it.
    let mut counts = [0u32; 256];
    for b in v.bytes() {
        let count = &mut counts[usize::from(b)];
        *count = count.saturating_add(1);
    }
    let n = f64::from(counts.iter().fold(0u32, |n, &c| n.saturating_add(c)));
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// What the user forced with `--secrets` and `--config` (names as in the file).
pub struct Overrides<'a> {
    pub secrets: &'a [String],
    pub config: &'a [String],
}

/// Classifies every name read from `file`, checks names, the AppID and secrets' shapes, and
/// returns the plan. Refuses with one sentence naming the key (never a value).
pub fn plan(file: &str, reads: Vec<Read>, forced: &Overrides, appid: &str) -> Result<Vec<Item>> {
    for name in forced.secrets.iter().chain(forced.config) {
        if !reads.iter().any(|r| &r.name == name) {
            return Err(Error::not_found(
                format!("{file} has no variable named {name}"),
                "name variables exactly as they are written in the file",
            ));
        }
    }
    if let Some(both) = forced.secrets.iter().find(|n| forced.config.contains(n)) {
        return Err(Error::invalid(
            format!("{both} is named by both --secrets and --config"),
            "name it in only one of them",
        ));
    }
    let mut items: Vec<Item> = Vec::new();
    for read in reads {
        let value = read.value.map_err(|reason| {
            Error::invalid(
                format!("{} in {file} cannot be imported: {reason}", read.name),
                "write the value itself in the file (for the expand dialect, \\$ for a literal $), or pick the --dialect of the program that reads it",
            )
        })?;
        items.push(classify(&read.name, value, forced, appid, file)?);
    }
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for item in items.iter().filter(|i| i.kind != Kind::AppId) {
        if let Some(other) = seen.insert(&item.name, &item.file_name) {
            return Err(Error::invalid(
                format!(
                    "{other} and {} in {file} would both be stored as {}",
                    item.file_name, item.name
                ),
                "remove one of them from the file",
            ));
        }
    }
    Ok(items)
}

fn classify(
    file_name: &str,
    value: Zeroizing<String>,
    forced: &Overrides,
    appid: &str,
    file: &str,
) -> Result<Item> {
    let prefix = bundle_prefix(file_name);
    let stripped = prefix.map_or(file_name, |p| &file_name[p.len()..]);
    if appid_names().any(|n| n == file_name || n == stripped) {
        if value.as_str() != appid {
            let shown = if wechat::check_appid(&value).is_ok() {
                value.to_string()
            } else {
                "not an AppID".to_string()
            };
            return Err(Error::invalid(
                format!("{file_name} in {file} is {shown}, but this app's AppID is {appid}"),
                "import the file into the app with that AppID (`mpvault app list`), or fix the file",
            ));
        }
        return Ok(item(file_name, file_name, Kind::AppId, "AppID", value));
    }
    let by_flag_secret = forced.secrets.iter().any(|n| n == file_name);
    let by_flag_config = forced.config.iter().any(|n| n == file_name);
    let (secret, why) = if by_flag_secret {
        (true, "--secrets")
    } else if by_flag_config {
        (false, "--config")
    } else if wechat::secret_kind(file_name).name == file_name || secret_by_name(stripped) {
        (true, "name")
    } else if secret_by_value(&value) {
        (true, "value")
    } else {
        (false, "default")
    };
    if !secret {
        crate::export::check_env_name(stripped)?;
        return Ok(item(file_name, stripped, Kind::Config, why, value));
    }
    let looks = match why {
        "--secrets" => "is named by --secrets".to_string(),
        _ => format!("looks like a secret (by its {why})"),
    };
    if let Some(prefix) = prefix {
        return Err(Error::invalid(
            format!("{file_name} in {file} {looks}, but its {prefix} prefix ships it inside the Mini Program package"),
            format!("if it is public, pass --config {file_name}; if it is a secret, reset it (it has shipped) and import it without the {prefix} prefix"),
        ));
    }
    crate::export::check_env_name(file_name)?;
    if value.is_empty() {
        return Err(Error::invalid(
            format!("{file_name} in {file} {looks} but is empty"),
            format!("fill it in, or pass --config {file_name} if it is not a secret"),
        ));
    }
    wechat::check_secret(file_name, &value)?;
    let level = wechat::secret_kind(file_name).level;
    Ok(item(file_name, file_name, Kind::Secret(level), why, value))
}

fn item(
    file_name: &str,
    name: &str,
    kind: Kind,
    why: &'static str,
    value: Zeroizing<String>,
) -> Item {
    Item {
        file_name: file_name.to_string(),
        name: name.to_string(),
        kind,
        why,
        value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_by_name() {
        for n in [
            "WECHAT_APPSECRET",
            "MINCLOUD_CLIENT_SECRET",
            "API_TOKEN",
            "DB_PASSWORD",
            "STRIPE_API_KEY",
            "OSS_ACCESS_KEY_ID",
            "JWT_SIGNING_KEY",
            "SLACK_WEBHOOK_URL",
        ] {
            assert!(secret_by_name(n), "{n}");
        }
        for n in [
            "API_BASE",
            "WECHAT_PAY_PLATFORM_PUBLIC_KEY",
            "KEYWORDS",
            "MONKEY",
            "ENV",
        ] {
            assert!(!secret_by_name(n), "{n}");
        }
    }

    #[test]
    fn secrets_by_value() {
        assert!(secret_by_value("0123456789abcdef0123456789abcdef"));
        assert!(secret_by_value(
            "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"
        ));
        assert!(secret_by_value("Zx8Qm3VtR7pLk2Nw9Hs4Jd6Fg1Bc5Ya0"));
        assert!(secret_by_value(
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
        ));
        for v in [
            "https://api.example.com",
            "production",
            "my_really_long_config_name_value_2",
            "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n",
            "wx0123456789abcdef",
        ] {
            assert!(!secret_by_value(v), "{v}");
        }
    }
}
