//! "Did you mean …?" for names of apps, secrets, members and roles. A name typed where a value
//! belongs (a pasted secret) is never echoed back, and never offered as a name to create.

use crate::error::Error;

pub use crate::redact::looks_like_value;

/// The candidate closest to `input`, if one is close enough to be a typo.
pub fn closest<'c>(input: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    if looks_like_value(input) {
        return None;
    }
    let folded = input.to_lowercase();
    candidates
        .into_iter()
        .filter(|c| !looks_like_value(c) && *c != input)
        .map(|c| (strsim::damerau_levenshtein(&folded, &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= (c.chars().count() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// How to show a name the user typed: as it was, or not at all when it may be a secret.
fn shown(name: &str) -> Option<String> {
    (!looks_like_value(name)).then(|| crate::display::escape(name).into_owned())
}

const HIDDEN: &str = "that name (it looks like a value, so it is not repeated here)";

pub fn unknown_client<'c>(name: &str, known: impl IntoIterator<Item = &'c str>) -> Error {
    let what = match shown(name) {
        Some(n) => format!("no app in this vault is run for a client named '{n}'"),
        None => format!("no app in this vault is run for a client named {HIDDEN}"),
    };
    let hint = match closest(name, known) {
        Some(c) => format!("did you mean '{c}'? (`mpvault app list` shows each app's client)"),
        None => "`mpvault app list` shows each app's client; `mpvault app set APP --client NAME` sets one".into(),
    };
    Error::not_found(what, hint)
}

pub fn unknown_app<'c>(name: &str, known: impl IntoIterator<Item = &'c str>) -> Error {
    let what = match shown(name) {
        Some(n) => format!("there is no app named '{n}' in this vault"),
        None => format!("there is no app named {HIDDEN}"),
    };
    let hint = match closest(name, known) {
        Some(c) => format!("did you mean '{c}'? (`mpvault app list` lists the apps)"),
        None => "run `mpvault app list` to see the apps, or `mpvault app add` to add it".into(),
    };
    Error::not_found(what, hint)
}

pub fn unknown_member<'c>(handle: &str, known: impl IntoIterator<Item = &'c str>) -> Error {
    let what = match shown(handle) {
        Some(h) => format!("there is no member named '{h}' in this vault"),
        None => format!("there is no member named {HIDDEN}"),
    };
    let hint = match closest(handle, known) {
        Some(c) => format!("did you mean '{c}'? (`mpvault member list` lists the members)"),
        None => "run `mpvault member list` to see the members, or `mpvault member add` to add them"
            .into(),
    };
    Error::not_found(what, hint)
}

pub fn unknown_secret<'c>(
    app: &str,
    name: &str,
    known: impl IntoIterator<Item = &'c str>,
) -> Error {
    let Some(shown_name) = shown(name) else {
        return Error::not_found(
            format!("app '{app}' has no secret named {HIDDEN}"),
            "give the secret's name, such as WECHAT_APPSECRET; values are read from a hidden prompt or --stdin, never from arguments",
        );
    };
    let hint = match closest(name, known) {
        Some(c) => format!("did you mean {c}? (`mpvault app show {app}` lists its secrets)"),
        None => format!("run `mpvault app show {app}` to see its secrets, or `mpvault add-secret {app} {shown_name}` to add it"),
    };
    Error::not_found(
        format!("app '{app}' has no secret named {shown_name}"),
        hint,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_name_and_values_find_none() {
        let names = ["WECHAT_APPSECRET", "WECHAT_UPLOAD_KEY"];
        assert_eq!(closest("WECHAT_APPSECRT", names), Some("WECHAT_APPSECRET"));
        assert_eq!(closest("wechat_appsecret", names), Some("WECHAT_APPSECRET"));
        assert_eq!(closest("SOMETHING_ELSE", names), None);
        assert_eq!(closest("0123456789abcdef0123456789abcdef", names), None);
        assert_eq!(closest("shp", ["shop", "blog"]), Some("shop"));
        assert_eq!(
            closest("shop", ["0123456789abcdef0123456789abcdef"]),
            None,
            "a value-looking candidate is never offered"
        );
    }
}
