//! The Mini Program world: AppIDs, console roles, access levels and the secrets WeChat issues.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// An AppID is `wx` followed by 16 lowercase hex digits.
pub fn check_appid(appid: &str) -> Result<()> {
    let ok = appid.len() == 18
        && appid.starts_with("wx")
        && appid[2..]
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            format!(
                "'{appid}' is not a Mini Program AppID (wx followed by 16 lowercase hex digits)"
            ),
            "copy the AppID (小程序ID) from 开发管理 → 开发设置 in the WeChat console",
        ))
    }
}

/// Console roles on a Mini Program (成员管理).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Admin,
    Operator,
    Developer,
    DataAnalyst,
    TransactionsAnalyst,
    Tester,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Operator,
        Role::Developer,
        Role::DataAnalyst,
        Role::TransactionsAnalyst,
        Role::Tester,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Developer => "developer",
            Role::DataAnalyst => "data-analyst",
            Role::TransactionsAnalyst => "transactions-analyst",
            Role::Tester => "tester",
        }
    }

    /// The name the console's 成员管理 page shows.
    pub fn chinese(self) -> &'static str {
        match self {
            Role::Admin => "管理员",
            Role::Operator => "运营者",
            Role::Developer => "开发者",
            Role::DataAnalyst => "数据分析者",
            Role::TransactionsAnalyst => "交易分析者",
            Role::Tester => "体验者",
        }
    }

    /// The highest access level this role reads.
    pub fn level(self) -> Level {
        match self {
            Role::Admin => Level::Admin,
            Role::Developer => Level::Developer,
            _ => Level::Team,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = Error;

    /// Accepts the English names in any case and spacing, and the console's Chinese names.
    fn from_str(s: &str) -> Result<Self> {
        let folded: String = s
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .collect();
        let role = match folded.as_str() {
            "admin" | "administrator" | "管理员" => Role::Admin,
            "operator" | "运营者" | "运营" => Role::Operator,
            "developer" | "dev" | "开发者" | "开发" => Role::Developer,
            "dataanalyst" | "analyst" | "数据分析者" | "数据分析" => Role::DataAnalyst,
            "transactionsanalyst"
            | "transactionanalyst"
            | "datatransactionsanalyst"
            | "交易分析者"
            | "交易分析" => Role::TransactionsAnalyst,
            "tester" | "体验者" | "体验成员" | "体验" => Role::Tester,
            _ => {
                let all = "use admin, operator, developer, data-analyst, transactions-analyst or tester (or 管理员, 运营者, 开发者, 数据分析者, 交易分析者, 体验者)";
                let hint = match crate::suggest::closest(s, Role::ALL.map(Role::as_str)) {
                    Some(near) => format!("did you mean {near}? Roles: {}", &all[4..]),
                    None => all.to_string(),
                };
                return Err(Error::invalid(
                    format!("'{}' is not a console role", crate::display::escape(s)),
                    hint,
                ));
            }
        };
        Ok(role)
    }
}

/// Who may read a value: every member on the app's roster, its admins and developers, or its
/// admins. Vault owners read every level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Team,
    Developer,
    Admin,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Team, Level::Developer, Level::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Team => "team",
            Level::Developer => "developer",
            Level::Admin => "admin",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Level {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_lowercase().as_str() {
            "team" => Ok(Level::Team),
            "developer" | "dev" => Ok(Level::Developer),
            "admin" => Ok(Level::Admin),
            _ => Err(Error::invalid(
                format!("'{s}' is not an access level"),
                "use team, developer or admin",
            )),
        }
    }
}

/// The shape a known secret's value must have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// 32 hex digits (the AppSecret).
    Hex32,
    /// 32 letters and digits (WeChat Pay API keys).
    Alnum32,
    /// A PEM block (`-----BEGIN …-----`).
    Pem,
    Any,
}

/// What mpvault knows about a secret by its name.
#[derive(Clone, Copy, Debug)]
pub struct SecretKind {
    pub name: &'static str,
    pub what: &'static str,
    pub shape: Shape,
    pub level: Level,
    /// Whether we may choose the value (`--generate`); console-issued values are never generated.
    pub generated: bool,
}

pub const APPSECRET: &str = "WECHAT_APPSECRET";

const KNOWN: &[SecretKind] = &[
    SecretKind {
        name: APPSECRET,
        what: "the AppSecret",
        shape: Shape::Hex32,
        level: Level::Developer,
        generated: false,
    },
    SecretKind {
        name: "WECHAT_UPLOAD_KEY",
        what: "the code-upload private key",
        shape: Shape::Pem,
        level: Level::Developer,
        generated: false,
    },
    SecretKind {
        name: "WECHAT_PAY_API_V3_KEY",
        what: "the WeChat Pay APIv3 key",
        shape: Shape::Alnum32,
        level: Level::Admin,
        generated: true,
    },
    SecretKind {
        name: "WECHAT_PAY_API_V2_KEY",
        what: "the WeChat Pay APIv2 key",
        shape: Shape::Alnum32,
        level: Level::Admin,
        generated: true,
    },
    SecretKind {
        name: "WECHAT_PAY_PRIVATE_KEY",
        what: "the WeChat Pay merchant private key (apiclient_key.pem)",
        shape: Shape::Pem,
        level: Level::Admin,
        generated: false,
    },
];

/// The kind of a secret by name; unknown names are free-form, `admin` when they are WeChat Pay's.
pub fn secret_kind(name: &str) -> SecretKind {
    if let Some(kind) = KNOWN.iter().find(|k| k.name == name) {
        return *kind;
    }
    let level = if name.starts_with("WECHAT_PAY_") {
        Level::Admin
    } else {
        Level::Developer
    };
    SecretKind {
        name: "",
        what: "a secret",
        shape: Shape::Any,
        level,
        generated: true,
    }
}

/// Where a secret is reset after someone who could read it left: the WeChat console issues
/// the AppSecret and the upload key, the merchant platform WeChat Pay's keys; of any other
/// secret (a Tencent COS key, a BaaS secret) only its issuer is known to the team.
pub fn reset_where(name: &str) -> &'static str {
    if name == APPSECRET || name == "WECHAT_UPLOAD_KEY" {
        "in the WeChat console"
    } else if name.starts_with("WECHAT_PAY_") {
        "on the WeChat Pay merchant platform"
    } else {
        "where it was issued"
    }
}

/// What the client's 管理员 does so that a secret anyone here could read no longer works, in
/// the console's own words: where to reset it.
pub fn reset_step(name: &str) -> &'static str {
    if name == APPSECRET {
        "reset the AppSecret at 开发管理 → 开发设置 in the WeChat console"
    } else if name == "WECHAT_UPLOAD_KEY" {
        "regenerate the code upload key at 开发管理 → 开发设置 → 小程序代码上传 in the WeChat console"
    } else if name.starts_with("WECHAT_PAY_") {
        "reset it on the WeChat Pay merchant platform (商户平台 → 账户中心 → API安全)"
    } else {
        "reset it where it was issued (the BaaS or service console)"
    }
}

/// The lowest level a secret may ever be stored at, whatever the file says: what WeChat issues
/// for builds is for developers, and WeChat Pay's keys are for admins.
pub fn minimum_level(name: &str) -> Level {
    const DEVELOPER: [&str; 4] = [
        APPSECRET,
        "WECHAT_UPLOAD_KEY",
        "BAAS_CLIENT_SECRET",
        "MINCLOUD_CLIENT_SECRET",
    ];
    if name.starts_with("WECHAT_PAY_") {
        Level::Admin
    } else if DEVELOPER.contains(&name) {
        Level::Developer
    } else {
        Level::Team
    }
}

/// Checks a value against the shape its name promises. The error never quotes the value.
pub fn check_secret(name: &str, value: &str) -> Result<()> {
    let kind = secret_kind(name);
    let ok = match kind.shape {
        Shape::Hex32 => value.len() == 32 && value.bytes().all(|b| b.is_ascii_hexdigit()),
        Shape::Alnum32 => value.len() == 32 && value.bytes().all(|b| b.is_ascii_alphanumeric()),
        Shape::Pem => looks_like_pem(value),
        Shape::Any => !value.is_empty(),
    };
    if ok {
        return Ok(());
    }
    let (what, hint) = match kind.shape {
        Shape::Hex32 => (
            format!("the value for {name} is not an AppSecret (32 hex digits)"),
            "copy the AppSecret again from 开发管理 → 开发设置; it is shown only once after a reset",
        ),
        Shape::Alnum32 => (
            format!("the value for {name} is not a WeChat Pay API key (32 letters and digits)"),
            "check the key in the WeChat Pay merchant platform, or use `rotate-secret --generate`",
        ),
        Shape::Pem => (
            format!("the value for {name} is not a PEM key (-----BEGIN … -----END …)"),
            "pass the whole key file on standard input: `--stdin < private.key`",
        ),
        Shape::Any => (format!("the value for {name} is empty"), "enter a non-empty value"),
    };
    Err(Error::invalid(what, hint))
}

fn looks_like_pem(value: &str) -> bool {
    let text = value.trim();
    text.starts_with("-----BEGIN ")
        && text.contains('\n')
        && text.ends_with("-----")
        && text.contains("-----END ")
}

/// A strong value for a secret we may choose: 32 letters and digits, as WeChat Pay asks.
pub fn generate_key() -> Result<zeroize::Zeroizing<String>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = zeroize::Zeroizing::new(String::with_capacity(32));
    let mut byte = [0u8; 1];
    while out.len() < 32 {
        crate::random::fill(&mut byte)?;
        // 248 = 62 * 4: rejecting the rest keeps every character equally likely.
        if byte[0] < 248 {
            out.push(ALPHABET[(byte[0] % 62) as usize] as char);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appids() {
        assert!(check_appid("wx0123456789abcdef").is_ok());
        for bad in [
            "wx0123456789ABCDEF",
            "wx0123456789abcde",
            "xw0123456789abcdef",
            "wx0123456789abcdeg",
            "",
        ] {
            assert!(check_appid(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn chinese_role_names_are_aliases() {
        assert_eq!("管理员".parse::<Role>().unwrap(), Role::Admin);
        assert_eq!("体验者".parse::<Role>().unwrap(), Role::Tester);
        assert_eq!("Data Analyst".parse::<Role>().unwrap(), Role::DataAnalyst);
        assert_eq!(
            "交易分析者".parse::<Role>().unwrap(),
            Role::TransactionsAnalyst
        );
        assert!("boss".parse::<Role>().is_err());
    }

    #[test]
    fn secret_shapes() {
        assert!(check_secret(APPSECRET, "0123456789abcdef0123456789abcdef").is_ok());
        assert!(check_secret(APPSECRET, "0123456789abcdef0123456789abcde").is_err());
        assert!(check_secret("WECHAT_PAY_API_V3_KEY", "a".repeat(32).as_str()).is_ok());
        assert!(check_secret("WECHAT_PAY_API_V3_KEY", &"a-".repeat(16)).is_err());
        assert!(check_secret(
            "WECHAT_UPLOAD_KEY",
            "-----BEGIN RSA PRIVATE KEY-----\nAAA\n-----END RSA PRIVATE KEY-----\n"
        )
        .is_ok());
        assert!(check_secret("WECHAT_UPLOAD_KEY", "not a key").is_err());
        assert_eq!(secret_kind("WECHAT_PAY_MCH_SECRET").level, Level::Admin);
    }

    #[test]
    fn generated_keys_are_32_alphanumerics() {
        let key = generate_key().unwrap();
        assert!(check_secret("WECHAT_PAY_API_V3_KEY", &key).is_ok());
        assert_ne!(*key, *generate_key().unwrap());
    }
}
