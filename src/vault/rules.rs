//! Health rules: how old a secret may grow, how early a verification expiry is flagged, and
//! whether an ICP filing number is required. They live in the vault and are signed with the
//! policy, so only an owner can relax them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::wechat::APPSECRET;

/// The AppSecret's maximum age when the vault sets none.
pub const DEFAULT_APPSECRET_MAX_AGE: u32 = 180;
/// The upload key's and WeChat Pay keys' maximum age when the vault sets none: a year, so they
/// are replaced with the yearly verification rather than only when someone leaves.
pub const DEFAULT_KEY_MAX_AGE: u32 = 365;
/// The secrets with a default age limit, and that limit.
pub const DEFAULT_MAX_AGES: [(&str, u32); 5] = [
    (APPSECRET, DEFAULT_APPSECRET_MAX_AGE),
    ("WECHAT_UPLOAD_KEY", DEFAULT_KEY_MAX_AGE),
    ("WECHAT_PAY_API_V3_KEY", DEFAULT_KEY_MAX_AGE),
    ("WECHAT_PAY_API_V2_KEY", DEFAULT_KEY_MAX_AGE),
    ("WECHAT_PAY_PRIVATE_KEY", DEFAULT_KEY_MAX_AGE),
];
/// Reminders start three months before the yearly verification (认证) runs out.
pub const DEFAULT_VERIFICATION_WINDOW: u32 = 90;
/// A Mini Program cannot publish without an ICP filing (备案).
pub const DEFAULT_ICP_REQUIRED: bool = true;
/// Upper bound for any number of days in the rules, so arithmetic on them never overflows.
pub const MAX_DAYS: u32 = 36_500;

/// What the vault says; an absent field means the default.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    /// Maximum age in days by secret name; `null` means no limit (overriding a default).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub max_age_days: BTreeMap<String, Option<u32>>,
    /// How many days before the verification expiry it is flagged as due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_window_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icp_required: Option<bool>,
    /// An app's own warning window, overriding `verification_window_days` for that app (a
    /// client that renews late, or one that wants warning earlier).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub app_verification_window_days: BTreeMap<String, u32>,
}

impl Rules {
    pub fn is_default(&self) -> bool {
        *self == Rules::default()
    }

    /// The maximum age of a secret, in days, or `None` when it may grow old.
    pub fn max_age(&self, secret: &str) -> Option<u32> {
        match self.max_age_days.get(secret) {
            Some(set) => *set,
            None => DEFAULT_MAX_AGES
                .iter()
                .find(|(name, _)| *name == secret)
                .map(|(_, days)| *days),
        }
    }

    pub fn verification_window(&self) -> u32 {
        self.verification_window_days
            .unwrap_or(DEFAULT_VERIFICATION_WINDOW)
    }

    /// The warning window for `app`: its own, else the vault's.
    pub fn verification_window_for(&self, app: &str) -> u32 {
        self.app_verification_window_days
            .get(app)
            .copied()
            .unwrap_or_else(|| self.verification_window())
    }

    pub fn icp_required(&self) -> bool {
        self.icp_required.unwrap_or(DEFAULT_ICP_REQUIRED)
    }

    /// Every secret name with a limit or an explicit "no limit", defaults included.
    pub fn max_ages(&self) -> BTreeMap<String, Option<u32>> {
        let mut all = self.max_age_days.clone();
        for (name, days) in DEFAULT_MAX_AGES {
            all.entry(name.to_string()).or_insert(Some(days));
        }
        all
    }

    /// Structural rules for a file someone else may have written.
    pub fn check(&self) -> std::result::Result<(), String> {
        for (name, days) in &self.max_age_days {
            if crate::envnames::check_env_name(name).is_err() {
                return Err("the health rules name a malformed secret".to_string());
            }
            if days.is_some_and(|d| d > MAX_DAYS) {
                return Err(format!(
                    "the health rules give {name} an impossible maximum age"
                ));
            }
        }
        if self.verification_window_days.is_some_and(|d| d > MAX_DAYS) {
            return Err("the health rules have an impossible verification window".to_string());
        }
        for (app, days) in &self.app_verification_window_days {
            if !super::names::is_name(app) || *days > MAX_DAYS {
                return Err(
                    "the health rules have an impossible verification window for an app"
                        .to_string(),
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let mut rules = Rules::default();
        assert!(rules.is_default());
        assert_eq!(rules.max_age(APPSECRET), Some(180));
        assert_eq!(rules.max_age("OTHER"), None);
        rules.max_age_days.insert(APPSECRET.into(), None);
        rules.max_age_days.insert("OTHER".into(), Some(30));
        assert_eq!(rules.max_age(APPSECRET), None);
        assert_eq!(rules.max_age("OTHER"), Some(30));
        assert!(!rules.is_default());
        assert_eq!(serde_json::to_string(&Rules::default()).unwrap(), "{}");
    }

    #[test]
    fn hostile_rules_are_refused() {
        let mut rules = Rules::default();
        rules.max_age_days.insert("bad\nname".into(), Some(1));
        assert!(rules.check().is_err());
        let rules = Rules {
            verification_window_days: Some(u32::MAX),
            ..Rules::default()
        };
        assert!(rules.check().is_err());
    }
}
