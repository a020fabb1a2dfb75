//! Value parsers for the domain types on the command line. Each delegates to the rule it
//! names and fails with that rule's own error (one sentence and a hint), which `main`
//! reports like any other error.

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::vault::rules::MAX_DAYS;

/// An AppID: `wx` and 16 lowercase hex digits.
pub fn appid(text: &str) -> Result<String> {
    crate::wechat::check_appid(text)?;
    Ok(text.to_string())
}

/// A day, `YYYY-MM-DD`.
pub fn date(text: &str) -> Result<time::Date> {
    crate::date::parse_date(text)
}

/// A build mode: named like an app. Vite reserves `local` (`.env.local` is the local override
/// of every mode), so it is refused as well.
pub fn mode(text: &str) -> Result<String> {
    crate::vault::model::check_name("mode", text)?;
    if text == "local" {
        return Err(Error::invalid(
            "'local' cannot be a mode name, because Vite and Taro read .env.local in every mode",
            "choose another name, such as development or staging",
        ));
    }
    Ok(text.to_string())
}

/// The longest `unlock --for` takes: a week; an agent is for a session, not for good.
const MAX_UNLOCK_SECS: u64 = 7 * 24 * 3600;

/// `unlock --for DURATION`: a number and a unit (s, m, h or d), from a second to a week.
pub fn duration(text: &str) -> Result<std::time::Duration> {
    let bad = || {
        Error::invalid(
            format!("'{}' is not a duration", crate::display::escape(text)),
            "write it like 90s, 30m, 8h or 1d (at most 7d)",
        )
    };
    let text = text.trim();
    let unit = text.chars().last().ok_or_else(bad)?;
    let scale = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86400,
        _ => return Err(bad()),
    };
    let secs = text[..text.len() - 1]
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .filter(|s| (1..=MAX_UNLOCK_SECS).contains(s))
        .ok_or_else(bad)?;
    Ok(std::time::Duration::from_secs(secs))
}

/// `policy set --max-age NAME=DAYS`: a secret's maximum age, or none.
#[derive(Clone, Debug)]
pub struct MaxAge {
    pub name: String,
    pub days: Option<u32>,
}

/// Parses `NAME=DAYS` or `NAME=off`.
pub fn max_age(text: &str) -> Result<MaxAge> {
    let bad = || {
        Error::invalid(
            format!("'{}' is not NAME=DAYS", crate::display::escape(text)),
            format!("write it like WECHAT_APPSECRET=180 (days, at most {MAX_DAYS}), or NAME=off for no limit"),
        )
    };
    let (name, days) = text.split_once('=').ok_or_else(bad)?;
    crate::export::check_env_name(name)?;
    let days = match days.trim() {
        "off" | "none" => None,
        d => Some(
            d.parse::<u32>()
                .ok()
                .filter(|d| (1..=MAX_DAYS).contains(d))
                .ok_or_else(bad)?,
        ),
    };
    Ok(MaxAge {
        name: name.to_string(),
        days,
    })
}

/// `policy set --app-window APP=DAYS`: one app's own warning window; `None`
/// (`APP=default`) gives it the vault's again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppWindow {
    pub app: String,
    pub days: Option<u32>,
}

/// Parses `APP=DAYS` or `APP=default`.
pub fn app_window(text: &str) -> Result<AppWindow> {
    let bad = || {
        Error::invalid(
            format!("'{}' is not APP=DAYS", crate::display::escape(text)),
            format!("write it like shop=30 (days before the expiry, at most {MAX_DAYS}), or shop=default for the vault's window"),
        )
    };
    let (app, days) = text.split_once('=').ok_or_else(bad)?;
    crate::vault::model::check_name("app", app)?;
    let days = match days.trim() {
        "default" => None,
        d => Some(
            d.parse::<u32>()
                .ok()
                .filter(|d| *d <= MAX_DAYS)
                .ok_or_else(bad)?,
        ),
    };
    Ok(AppWindow {
        app: app.to_string(),
        days,
    })
}

/// Where `export --upload-key-file [PATH]` writes the upload key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UploadKeyFile {
    /// No PATH given: `private.<appid>.key` in the current folder, as miniprogram-ci names it.
    NamedByAppid,
    At(PathBuf),
}

impl UploadKeyFile {
    /// What clap substitutes when the option has no value. No argument can hold a NUL byte,
    /// so no PATH the user writes is mistaken for it.
    pub const NAMED_BY_APPID: &'static str = "\0";

    /// Paths are taken as the OS gives them, UTF-8 or not.
    pub fn parser() -> impl clap::builder::TypedValueParser<Value = Self> {
        use clap::builder::TypedValueParser as _;
        clap::builder::OsStringValueParser::new().map(|text| {
            if text == Self::NAMED_BY_APPID {
                UploadKeyFile::NamedByAppid
            } else {
                UploadKeyFile::At(PathBuf::from(text))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn upload_key_file(args: &[&str]) -> Option<UploadKeyFile> {
        let mut argv = vec!["mpvault", "export", "shop"];
        argv.extend(args);
        match Cli::try_parse_from(argv).unwrap().command {
            Command::Export(export) => export.upload_key_file,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn upload_key_file_with_and_without_a_path() {
        assert_eq!(upload_key_file(&[]), None);
        assert_eq!(
            upload_key_file(&["--upload-key-file"]),
            Some(UploadKeyFile::NamedByAppid)
        );
        assert_eq!(
            upload_key_file(&["--upload-key-file", "keys/k.pem"]),
            Some(UploadKeyFile::At("keys/k.pem".into()))
        );
        assert_eq!(
            upload_key_file(&["--upload-key-file="]),
            Some(UploadKeyFile::At("".into()))
        );
    }

    #[test]
    fn domain_values_are_refused_with_their_own_sentence() {
        assert!(mode("production").is_ok());
        assert!(mode("local").unwrap_err().to_string().contains("'local'"));
        assert!(mode("Prod").is_err());
        assert!(appid("wx0123456789abcdef").is_ok());
        assert!(appid("wx0123456789ABCDEF").is_err());
        let age = max_age("WECHAT_APPSECRET=off").unwrap();
        assert_eq!((age.name.as_str(), age.days), ("WECHAT_APPSECRET", None));
        assert_eq!(max_age("KEY=30").unwrap().days, Some(30));
        for bad in ["KEY", "KEY=0", "KEY=-1", &format!("KEY={}", MAX_DAYS + 1)] {
            assert!(max_age(bad).is_err(), "{bad}");
        }
        let err = Cli::try_parse_from(["mpvault", "status", "--as-of", "2027-02-30"]).unwrap_err();
        let source = std::error::Error::source(&err).and_then(|s| s.downcast_ref::<Error>());
        assert_eq!(
            source.map(ToString::to_string).as_deref(),
            Some("'2027-02-30' is not a date")
        );
    }
}

/// `member invite --role APP=ROLE`.
#[derive(Clone, Debug)]
pub struct AppRole {
    pub app: String,
    pub role: crate::wechat::Role,
}

/// Parses `APP=ROLE` (a role in English or Chinese).
pub fn app_role(text: &str) -> Result<AppRole> {
    let (app, role) = text.split_once('=').ok_or_else(|| {
        Error::invalid(
            format!("'{}' is not APP=ROLE", crate::display::escape(text)),
            "write it like shop=developer",
        )
    })?;
    crate::vault::model::check_name("app", app)?;
    Ok(AppRole {
        app: app.to_string(),
        role: role.parse()?,
    })
}

/// `member add --service --read APP=LEVEL` / `--client NAME[=LEVEL]`: a name and the highest
/// level a service member reads there.
#[derive(Clone, Debug)]
pub struct NameLevel {
    pub name: String,
    pub level: crate::wechat::Level,
}

/// Parses `APP=LEVEL`.
pub fn app_level(text: &str) -> Result<NameLevel> {
    let (app, level) = text.split_once('=').ok_or_else(|| {
        Error::invalid(
            format!("'{}' is not APP=LEVEL", crate::display::escape(text)),
            "write it like shop=developer (team, developer or admin)",
        )
    })?;
    crate::vault::model::check_name("app", app)?;
    Ok(NameLevel {
        name: app.to_string(),
        level: level.parse()?,
    })
}

/// Parses `NAME` or `NAME=LEVEL`; the developer level (AppSecret, upload key) when left out,
/// which is what a build needs.
pub fn client_level(text: &str) -> Result<NameLevel> {
    let (name, level) = match text.split_once('=') {
        Some((name, level)) => (name, level.parse()?),
        None => (text, crate::wechat::Level::Developer),
    };
    crate::vault::model::check_name("client", name)?;
    Ok(NameLevel {
        name: name.to_string(),
        level,
    })
}

/// The longest an invitation may stay open.
const MAX_INVITATION_DAYS: u64 = 90;

/// `member invite --expires`: a whole number followed by d, h, m or s (`7d`, `12h`).
pub fn invitation_duration(text: &str) -> Result<std::time::Duration> {
    let bad = || {
        Error::invalid(
            format!(
                "'{}' is not a duration of at most {MAX_INVITATION_DAYS} days",
                crate::display::escape(text)
            ),
            "write it like 7d, 12h or 30m",
        )
    };
    let text = text.trim();
    let (split, _) = text.char_indices().last().ok_or_else(bad)?;
    let (number, unit) = text.split_at(split);
    let seconds = match unit {
        "d" => 86_400,
        "h" => 3_600,
        "m" => 60,
        "s" => 1,
        _ => return Err(bad()),
    };
    let total = number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(seconds))
        .filter(|t| (1..=MAX_INVITATION_DAYS * 86_400).contains(t))
        .ok_or_else(bad)?;
    Ok(std::time::Duration::from_secs(total))
}
