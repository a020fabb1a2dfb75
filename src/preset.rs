//! Framework presets: how exported names are spelled for a frontend build. This is the one place
//! that knows the bundle prefixes (names a framework compiles into the shipped package).

use clap::ValueEnum;

/// A framework's naming of the exported values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Preset {
    /// Names as stored; the AppID as `WECHAT_APPID`
    Plain,
    /// Taro: the AppID as `TARO_APP_ID`, config prefixed `TARO_APP_`
    Taro,
    /// uni-app on Vue 3 (Vite): config prefixed `VITE_`
    Vite,
    /// uni-app on Vue 2 (vue-cli): config prefixed `VUE_APP_`, the AppID as `VUE_APP_WECHAT_APPID`
    VueCli,
}

impl Preset {
    pub const ALL: [Preset; 4] = [Preset::Plain, Preset::Taro, Preset::Vite, Preset::VueCli];

    /// What non-secret config is prefixed with; the framework compiles such names into the
    /// shipped package, so secrets never get it.
    pub fn prefix(self) -> &'static str {
        match self {
            Preset::Plain => "",
            Preset::Taro => "TARO_APP_",
            Preset::Vite => "VITE_",
            Preset::VueCli => "VUE_APP_",
        }
    }

    /// The name the AppID is exported as.
    pub fn appid_name(self) -> &'static str {
        match self {
            Preset::Plain | Preset::Vite => "WECHAT_APPID",
            Preset::Taro => "TARO_APP_ID",
            Preset::VueCli => "VUE_APP_WECHAT_APPID",
        }
    }

    /// The name as exported with this preset: config gets the prefix, secrets never do.
    pub fn exported_name(self, name: &str, secret: bool) -> String {
        if secret {
            name.to_string()
        } else {
            format!("{}{name}", self.prefix())
        }
    }
}

/// The bundle prefix `name` starts with, if any (`TARO_APP_`, `VITE_`, `VUE_APP_`).
pub fn bundle_prefix(name: &str) -> Option<&'static str> {
    Preset::ALL
        .into_iter()
        .map(Preset::prefix)
        .find(|p| !p.is_empty() && name.starts_with(p))
}

/// Every name any preset exports the AppID as.
pub fn appid_names() -> impl Iterator<Item = &'static str> {
    Preset::ALL.into_iter().map(Preset::appid_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert_eq!(bundle_prefix("VITE_API"), Some("VITE_"));
        assert_eq!(bundle_prefix("TARO_APP_ID"), Some("TARO_APP_"));
        assert_eq!(bundle_prefix("VUE_APP_X"), Some("VUE_APP_"));
        assert_eq!(bundle_prefix("WECHAT_APPSECRET"), None);
        assert_eq!(Preset::VueCli.exported_name("API", false), "VUE_APP_API");
        assert_eq!(Preset::VueCli.exported_name("KEY", true), "KEY");
    }
}
